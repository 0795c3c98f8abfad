//! The scan: discover files under the given paths, read them, group them
//! into units, parse each unit and build its graph. Units are independent
//! and processed in parallel; the output order is stable.
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | the entry points and the output types |
//! | `options.rs` | [`ScanOptions`], and the parser context built from them |
//! | `discover.rs` | which files are read, and as what |
//! | `run.rs` | units parsed, evaluated and turned into graphs; results in order |
//! | `schedule.rs` | the order units run in on the worker pool |

mod discover;
mod options;
mod run;
mod schedule;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::graph::{Graph, SourceKind};
use crate::parse::context::ParseContext;
use crate::source::{self, FileAccess, ReadError};
pub use discover::parses_file;
use discover::{classify, discover};
use options::parse_context;
pub use options::{DEFAULT_FILE_TIME_LIMIT, DEFAULT_MAX_EVAL_STEPS, DEFAULT_MAX_FILE_BYTES, ScanOptions};
use run::{ReadFile, Run, run};

/// One independently evaluated piece of input and its graph.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub kind: SourceKind,
    /// The root module directory, template or policy file.
    pub root: Arc<str>,
    pub graph: Graph,
}

/// Counts for the scan summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Files read and parsed as infrastructure code or variables.
    pub files_scanned: usize,
    /// Files seen and skipped (not infrastructure code we understand).
    pub files_skipped: usize,
    /// Files that could not be read or parsed.
    pub files_failed: usize,
    pub units: usize,
    pub resources: usize,
}

/// The result of a scan: the units with their graphs (or, from
/// [`scan_paths_with`], what the visitor made of each unit), the
/// diagnostics, and the text of every file read (for rendering snippets).
#[derive(Debug, Clone, Serialize)]
pub struct ScanOutput<U = Unit> {
    /// One entry per unit, sorted by the unit's root.
    pub units: Vec<U>,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: ScanStats,
    #[serde(skip)]
    pub sources: BTreeMap<Arc<str>, Arc<str>>,
    /// Where the time went (not part of the serialized output).
    #[serde(skip)]
    pub timings: ScanTimings,
}

/// Where the time of a scan went, in microseconds. `discovery_micros`,
/// `read_micros`, `units_wall_micros` and `total_micros` are wall time;
/// `parse_micros` and `graph_micros` are summed over the parallel workers
/// (so they can exceed the wall time of the phase that runs them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanTimings {
    /// Walking the roots and classifying file names.
    pub discovery_micros: u64,
    /// Reading the discovered files (parallel).
    pub read_micros: u64,
    /// Evaluating units (Terraform modules from their parsed directories;
    /// parsing and evaluating templates and policies), summed.
    pub parse_micros: u64,
    /// `Graph::build` of every unit, summed.
    pub graph_micros: u64,
    /// Finding every Terraform directory's module calls (a lexical scan,
    /// in parallel) and the root modules, before any unit is evaluated (wall).
    pub terraform_parse_micros: u64,
    /// Wall time of the parallel parse and graph-build phase.
    pub units_wall_micros: u64,
    /// Wall time of the whole scan.
    pub total_micros: u64,
}

fn micros_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl ScanOutput {
    /// All units' graphs in one (as `tollgate graph` prints it).
    pub fn merged_graph(&self) -> Graph {
        let mut g = Graph { schema_version: crate::graph::SCHEMA_VERSION, ..Graph::default() };
        for u in &self.units {
            g.extend(u.graph.clone());
        }
        g
    }
}

/// Scans files and directories on disk.
pub fn scan_paths(paths: &[PathBuf], options: &ScanOptions) -> Result<ScanOutput> {
    scan_paths_with(paths, options, |unit| unit)
}

/// Scans files and directories on disk and hands every unit to `visit` as
/// soon as its graph is built, on the worker thread that built it. The unit
/// is dropped once `visit` returns, so a scan that only needs, say, the
/// findings of each unit holds the graphs of the units in flight instead of
/// all of them. The output keeps what `visit` returned, sorted by root.
pub fn scan_paths_with<T: Send>(
    paths: &[PathBuf],
    options: &ScanOptions,
    visit: impl Fn(Unit) -> T + Sync,
) -> Result<ScanOutput<T>> {
    Ok(prepare_paths(paths, options)?.run(visit))
}

/// A scan of files on disk whose files are found and read, none parsed
/// yet: the first part of [`scan_paths_with`], for a caller with other
/// set-up to do side by side with it (the policy engine builds its rules
/// while this runs on another worker).
pub struct PreparedScan {
    ctx: ParseContext,
    catalog: Option<Arc<tollgate_catalog::Catalog>>,
    read: Vec<ReadFile>,
    skipped: usize,
    diagnostics: Vec<Diagnostic>,
    timings: ScanTimings,
    start: Instant,
}

impl PreparedScan {
    /// Parses the files, builds the units' graphs and hands each unit to
    /// `visit`, as [`scan_paths_with`] does.
    pub fn run<T: Send>(self, visit: impl Fn(Unit) -> T + Sync) -> ScanOutput<T> {
        let PreparedScan { ctx, catalog, read, skipped, diagnostics, timings, start } = self;
        let setup = Run { ctx: &ctx, catalog: catalog.as_deref(), skipped, diagnostics, timings, start };
        run(setup, read, &visit)
    }
}

/// Finds and reads the files of a scan of `paths` (see [`PreparedScan`]).
pub fn prepare_paths(paths: &[PathBuf], options: &ScanOptions) -> Result<PreparedScan> {
    let start = Instant::now();
    let roots: Vec<PathBuf> = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let discovered = discover(&roots, options.allow_outside_root);
    let mut timings = ScanTimings { discovery_micros: micros_since(start), ..ScanTimings::default() };
    let read_start = Instant::now();
    let mut allowed_roots = roots.clone();
    allowed_roots.extend(options.var_files.iter().cloned());
    allowed_roots.extend(options.config_dir.iter().cloned());
    // A plan given alone may read the configuration beside it (for locations).
    allowed_roots.extend(
        roots.iter().filter(|r| r.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) && r.is_file()).map(
            |r| match r.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            },
        ),
    );
    let files = FileAccess::disk(allowed_roots, options.allow_outside_root, options.max_file_bytes);
    let limit = options.max_file_bytes;
    let read: Vec<ReadFile> = discovered
        .files
        .into_par_iter()
        .map(|(p, class, regular)| {
            let text = if regular { source::read_regular_file(&p, limit) } else { source::read_disk_text(&p, limit) };
            (p, class, text)
        })
        .collect();
    let ctx = parse_context(files, options, |p| source::read_disk_text(p, limit))?;
    timings.read_micros = micros_since(read_start);
    Ok(PreparedScan {
        ctx,
        catalog: options.catalog.clone(),
        read,
        skipped: discovered.skipped,
        diagnostics: discovered.diagnostics,
        timings,
        start,
    })
}

/// Scans an in-memory tree: `files` maps paths to contents. `file()` and
/// modules resolve inside this tree only.
pub fn scan_sources(files: BTreeMap<PathBuf, String>, options: &ScanOptions) -> Result<ScanOutput> {
    scan_sources_with(files, options, |unit| unit)
}

/// [`scan_sources`] with a visitor for each unit, as [`scan_paths_with`].
pub fn scan_sources_with<T: Send>(
    files: BTreeMap<PathBuf, String>,
    options: &ScanOptions,
    visit: impl Fn(Unit) -> T + Sync,
) -> Result<ScanOutput<T>> {
    let start = Instant::now();
    let limit = options.max_file_bytes;
    let tree: BTreeMap<PathBuf, Arc<str>> =
        files.into_iter().map(|(p, t)| (source::normalize(&p), Arc::from(t))).collect();
    let mut skipped = 0;
    let mut read = Vec::new();
    for (p, text) in &tree {
        let hidden = p.components().any(|c| {
            let s = c.as_os_str().to_string_lossy();
            s.starts_with('.') && s != "." && s != ".."
        });
        match classify(p) {
            Some(class) if !hidden => {
                let text = if text.len() as u64 > limit {
                    Err(ReadError::TooLarge { size: text.len() as u64, limit })
                } else {
                    Ok(text.clone())
                };
                read.push((p.clone(), class, text));
            }
            _ => skipped += 1,
        }
    }
    let lookup = tree.clone();
    let ctx = parse_context(FileAccess::memory(tree, limit), options, |p| {
        lookup.get(&source::normalize(p)).cloned().ok_or(ReadError::NotFound)
    })?;
    let timings = ScanTimings { discovery_micros: micros_since(start), ..ScanTimings::default() };
    let setup =
        Run { ctx: &ctx, catalog: options.catalog.as_deref(), skipped, diagnostics: Vec::new(), timings, start };
    Ok(run(setup, read, &visit))
}
