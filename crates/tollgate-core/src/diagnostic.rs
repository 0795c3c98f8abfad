//! Diagnostics: problems found while reading input, reported beside findings.

use std::sync::Arc;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// The file (or part of it) could not be read; the scan is incomplete.
    Error,
    /// Accepted, but suspicious (duplicate keys, unresolved module, cycle).
    Warning,
    /// Worth knowing (an unresolved remote module, a skipped construct).
    Info,
}

/// One problem in one file. `line`/`column` are 1-based where known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Diagnostic {
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub level: DiagnosticLevel,
    /// A short stable code: `parse`, `io`, `limit`, `cycle`, `eval`, `module`, `duplicate-key`…
    pub code: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: Arc<str>, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { file, line: None, column: None, level: DiagnosticLevel::Error, code, message: message.into() }
    }

    pub fn warning(file: Arc<str>, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { level: DiagnosticLevel::Warning, ..Diagnostic::error(file, code, message) }
    }

    pub fn info(file: Arc<str>, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { level: DiagnosticLevel::Info, ..Diagnostic::error(file, code, message) }
    }

    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}
