//! Errors of the library API. Problems inside input files are not errors:
//! they become [`crate::Diagnostic`]s and the scan goes on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("invalid parameter `{arg}`: expected KEY=VALUE")]
    InvalidParameter { arg: String },
    #[error("{path}: invalid variables file: {message}")]
    InvalidVarFile { path: PathBuf, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
