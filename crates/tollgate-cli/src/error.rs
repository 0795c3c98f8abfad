//! Errors of the commands. Problems inside scanned files are not errors:
//! they are diagnostics in the report (and exit code 2).

use std::path::PathBuf;

/// Why a command could not run to the end. Every variant exits with
/// [`crate::exit::ERROR`], except a broken pipe: a command that has its
/// verdict (`check`, `eval`) keeps its exit code, any other succeeds.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A flag value that parses but makes no sense (`--param x`, `--threads 0`).
    #[error("{0}")]
    Usage(String),
    /// The rules could not be loaded or the scan could not start.
    #[error(transparent)]
    Engine(#[from] tollgate_policy::Error),
    #[error(transparent)]
    Scan(#[from] tollgate_core::Error),
    /// The IAM action catalog (`--catalog FILE`) could not be read.
    #[error(transparent)]
    Catalog(#[from] tollgate_catalog::CatalogError),
    #[error("cannot write {path}: {source}")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    /// A labelled case's `expected.json` could not be read (`tollgate eval`).
    #[error(transparent)]
    Labels(#[from] tollgate_policy::labels::LabelsError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl CliError {
    /// True when the reader of our output went away (`tollgate … | head`).
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CliError::Io(e) | CliError::Output { source: e, .. } => e.kind() == std::io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}
