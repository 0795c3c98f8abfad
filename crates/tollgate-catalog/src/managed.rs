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
    /// JSON text, not yet checked to be UTF-8.
    document: Cow<'static, [u8]>,
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

    /// The policy document as minified JSON text (an error if the catalog
    /// holds bytes that are not UTF-8 for it).
    pub fn document_json(&self) -> Result<&'a str, CatalogError> {
        std::str::from_utf8(&self.entry.document)
            .map_err(|e| CatalogError::Document { policy: self.entry.path.to_string(), message: e.to_string() })
    }

    /// The policy document, parsed.
    pub fn document(&self) -> Result<serde_json::Value, CatalogError> {
        serde_json::from_slice(&self.entry.document)
            .map_err(|e| CatalogError::Document { policy: self.entry.path.to_string(), message: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_checked_when_read() {
        let raw = |document: &'static [u8]| {
            ManagedEntry::from(RawManaged {
                path: "job-function/X".into(),
                version: "v2".into(),
                document: document.into(),
            })
        };
        let good = raw(br#"{"Statement":[]}"#);
        let p = ManagedPolicy { entry: &good };
        assert_eq!(p.document_json().unwrap(), r#"{"Statement":[]}"#);
        assert_eq!(p.document().unwrap()["Statement"], serde_json::json!([]));
        assert_eq!((p.name(), p.path(), p.version()), ("X", "job-function/X", "v2"));
        let bad = raw(b"{\"Statement\":\"\xff\"}");
        let p = ManagedPolicy { entry: &bad };
        assert!(matches!(p.document_json(), Err(CatalogError::Document { policy, .. }) if policy == "job-function/X"));
        assert!(p.document().is_err());
    }
}
