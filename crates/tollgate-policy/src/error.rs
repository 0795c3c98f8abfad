//! Errors of the policy engine.
//!
//! Loading rules fails with a typed error that names the rule file (and the
//! metadata field or rule id where one is at fault). Problems while
//! *evaluating* a rule are not errors of the API: they become diagnostics in
//! the [`crate::Report`] and the other rules still run.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `--policy` directory or rule file could not be read.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    /// A rule file has no `# METADATA` block and is not a library module.
    #[error("{file}: the `# METADATA` block is not valid YAML: {message}")]
    MetadataSyntax { file: String, line: u32, message: String },

    /// A metadata field is not part of the schema.
    #[error("{file}:{line}: unknown metadata field `{field}`")]
    UnknownMetadataField { file: String, line: u32, field: String },

    /// A required metadata field is missing.
    #[error("{file}: metadata field `{field}` is required")]
    MissingMetadataField { file: String, field: String },

    /// A metadata field has a value of the wrong type or outside its domain.
    #[error("{file}:{line}: metadata field `{field}`: {message}")]
    InvalidMetadataField { file: String, line: u32, field: String, message: String },

    /// The Rego source does not compile.
    #[error("{file}: {message}")]
    RegoCompile { file: String, message: String },

    /// A rule file does not define the `deny` rule every rule must have.
    #[error("{file}: rule {rule_id} does not define `deny contains f if {{ … }}`")]
    MissingDeny { file: String, rule_id: String },

    /// A function calls itself, directly or through other functions: Rego
    /// does not allow recursion, and regorus would recurse until the
    /// process runs out of stack.
    #[error("{file}:{line}: function `{function}` calls itself ({cycle}); Rego does not allow recursion")]
    RecursiveFunction { file: String, line: u32, function: String, cycle: String },

    /// Two rule files declare the same id (or alias).
    #[error("rule id {rule_id} is declared by both {first} and {second}")]
    DuplicateRuleId { rule_id: String, first: String, second: String },

    /// Two rule files declare the same Rego package.
    #[error("package {package} is declared by both {first} and {second}")]
    DuplicatePackage { package: String, first: String, second: String },

    /// `only_rule` / `skip_rule` named a rule that is not loaded.
    #[error("unknown rule id {rule_id}")]
    UnknownRuleId { rule_id: String },

    /// The graph given to [`crate::Engine::evaluate_graph_json`] is not valid JSON.
    #[error("invalid graph JSON: {message}")]
    GraphJson { message: String },

    #[error(transparent)]
    Scan(#[from] tollgate_core::Error),
}

impl Error {
    /// The rule file and line (where known) an error of loading is about.
    pub fn location(&self) -> Option<(&str, Option<u32>)> {
        match self {
            Error::MetadataSyntax { file, line, .. }
            | Error::UnknownMetadataField { file, line, .. }
            | Error::InvalidMetadataField { file, line, .. }
            | Error::RecursiveFunction { file, line, .. } => Some((file, Some(*line))),
            Error::MissingMetadataField { file, .. } | Error::MissingDeny { file, .. } => Some((file, None)),
            Error::RegoCompile { file, message } => Some((file, regorus_line(message, file))),
            Error::DuplicateRuleId { second, .. } | Error::DuplicatePackage { second, .. } => Some((second, None)),
            _ => None,
        }
    }
}

/// The line of `file` a regorus error message points at (`--> file:line:col`).
fn regorus_line(message: &str, file: &str) -> Option<u32> {
    let marker = format!("--> {file}:");
    let at = message.find(&marker)? + marker.len();
    let digits: String = message.get(at..)?.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
