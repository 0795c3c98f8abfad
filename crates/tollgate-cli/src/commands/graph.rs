//! `tollgate graph PATH...`: the normalized resource graph as JSON, with the
//! diagnostics of the scan, for policy authors (like `conftest parse`).
//!
//! Output: the merged graph of all units (the input Rego rules receive,
//! unit by unit) plus `"diagnostics"`; with `--unit`, `{"schema_version",
//! "units": [{"kind", "root", "graph"}], "diagnostics"}`.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};
use tollgate_core::ScanOptions;

use super::in_pool;
use super::{Destination, ScanArgs};
use crate::error::CliError;
use crate::render::sorted_diagnostics;
use crate::{Console, exit};

/// The raw flags of `tollgate graph`.
#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    /// Files and directories to read.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Print one graph per unit (root module, template, policy file) instead of the merged graph.
    #[arg(long)]
    unit: bool,
    /// Write the JSON to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    scan: ScanArgs,
    /// Worker threads (0 or absent: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

impl GraphArgs {
    pub(crate) fn execute(&self, console: &mut Console<'_>) -> Result<i32, CliError> {
        let options = ScanOptions::try_from(&self.scan)?;
        let output = in_pool(self.threads.filter(|n| *n > 0), || tollgate_core::scan_paths(&self.paths, &options))??;
        let diagnostics =
            serde_json::to_value(sorted_diagnostics(&output.diagnostics)).map_err(std::io::Error::from)?;
        let doc = if self.unit {
            json!({
                "schema_version": tollgate_core::graph::SCHEMA_VERSION,
                "units": output.units,
                "diagnostics": diagnostics,
            })
        } else {
            let mut graph = serde_json::to_value(output.merged_graph()).map_err(std::io::Error::from)?;
            if let Value::Object(map) = &mut graph {
                map.insert("diagnostics".to_string(), diagnostics);
            }
            graph
        };
        Destination::new(self.output.as_ref()).write_with(console.out, |w| {
            serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::from)?;
            writeln!(w)
        })?;
        let failed = output.diagnostics.iter().any(|d| d.level == tollgate_core::DiagnosticLevel::Error);
        Ok(if failed { exit::ERROR } else { exit::SUCCESS })
    }
}
