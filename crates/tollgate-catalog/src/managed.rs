//! AWS-managed policies carried in the catalog.

use std::borrow::Cow;

use crate::error::CatalogError;
use crate::tables::RawManaged;

/// Texts borrowed from the embedded image, or owned when read from a file.
#[derive(Debug, Clone)]
pub(crate) struct ManagedEntry {
    /// Path after `policy/`: `AdministratorAccess`, `service-role/AWSLambdaBasicExecutionRole`.
    path: Cow<'static, str>,
    version: Cow<'static, str>,
    document: Cow<'static, str>,
}

impl From<RawManaged<'static>> for ManagedEntry {
    fn from(m: RawManaged<'static>) -> Self {
        ManagedEntry { path: m.path, version: m.version, document: m.document }
    }
}

impl ManagedEntry {
    pub(crate) fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// An AWS-managed policy: its name, ARN, default version and document.
#[derive(Debug, Clone, Copy)]
pub struct ManagedPolicy<'a> {
    pub(crate) entry: &'a ManagedEntry,
}

impl<'a> ManagedPolicy<'a> {
    /// The policy name (`AdministratorAccess`).
    pub fn name(&self) -> &'a str {
        self.entry.name()
    }

    /// The path and name after `policy/` (`service-role/AWSLambdaBasicExecutionRole`).
    pub fn path(&self) -> &'a str {
        &self.entry.path
    }

    /// The ARN in the `aws` partition.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy/{}", self.entry.path)
    }

    /// The default version the document was taken from (`v12`).
    pub fn version(&self) -> &'a str {
        &self.entry.version
    }

    /// The policy document as minified JSON text.
    pub fn document_json(&self) -> &'a str {
        &self.entry.document
    }

    /// The policy document, parsed.
    pub fn document(&self) -> Result<serde_json::Value, CatalogError> {
        serde_json::from_str(&self.entry.document)
            .map_err(|e| CatalogError::Document { policy: self.entry.path.to_string(), message: e.to_string() })
    }
}
