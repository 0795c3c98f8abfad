//! Errors of loading a catalog or reading a managed policy from it.

use std::path::PathBuf;

/// What went wrong while loading a catalog file or reading from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The catalog file could not be read.
    #[error("cannot read catalog {path}: {message}")]
    Io { path: PathBuf, message: String },
    /// The gzip stream is corrupt.
    #[error("catalog {origin} is not valid gzip: {message}")]
    Decompress { origin: String, message: String },
    /// The (decompressed) catalog exceeds the size limit.
    #[error("catalog {origin} is larger than {limit} bytes")]
    TooLarge { origin: String, limit: usize },
    /// The catalog text is not UTF-8.
    #[error("catalog {origin} is not UTF-8 text")]
    NotUtf8 { origin: String },
    /// A line of the catalog does not follow the format.
    #[error("catalog {origin}, line {line}: {message}")]
    Format { origin: String, line: usize, message: String },
    /// The catalog was written in a format version this build does not read.
    #[error("catalog {origin} has format version {found}; this build reads version {supported}")]
    Version { origin: String, found: String, supported: u32 },
    /// A managed policy's document in the catalog is not valid JSON.
    #[error("managed policy {policy} has an invalid document: {message}")]
    Document { policy: String, message: String },
}
