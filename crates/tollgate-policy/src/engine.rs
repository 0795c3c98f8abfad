//! The facade: an [`Engine`] built once from bundled and custom rules, then
//! used for any number of scans.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use tollgate_core::ScanOptions;

use crate::error::Error;
use crate::report::{Report, Severity, Zone};

/// A rule's metadata, read from the `# METADATA` block of its `.rego` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub zone: Zone,
    /// Markdown: what it flags, why it is risky, an example, a fix.
    pub description: String,
    pub remediation: String,
    pub references: Vec<String>,
    pub deprecated: bool,
    /// False for bundled rules, true for `--policy DIR` rules.
    pub custom: bool,
    /// Where the rule came from (`policies/aws/iam/IAM001_….rego` or the user's path).
    pub source: String,
}

/// Builds an [`Engine`].
#[derive(Debug, Clone, Default)]
pub struct EngineBuilder {
    pub(crate) no_bundled: bool,
    pub(crate) policy_dirs: Vec<PathBuf>,
    pub(crate) only_rules: Vec<String>,
    pub(crate) skip_rules: Vec<String>,
    pub(crate) min_severity: Option<Severity>,
}

impl EngineBuilder {
    /// Leave out the bundled rules (only `--policy` rules run).
    pub fn without_bundled(mut self) -> Self {
        self.no_bundled = true;
        self
    }

    /// Adds a directory of custom `.rego` rules (searched recursively).
    pub fn policy_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.policy_dirs.push(dir.into());
        self
    }

    /// Runs only these rule ids (repeatable; empty = all).
    pub fn only_rule(mut self, id: impl Into<String>) -> Self {
        self.only_rules.push(id.into());
        self
    }

    /// Never runs this rule id.
    pub fn skip_rule(mut self, id: impl Into<String>) -> Self {
        self.skip_rules.push(id.into());
        self
    }

    /// Drops findings below this severity.
    pub fn min_severity(mut self, severity: Severity) -> Self {
        self.min_severity = Some(severity);
        self
    }

    pub fn build(self) -> Result<Engine, Error> {
        Engine::from_builder(self)
    }
}

/// Compiled rules, ready to scan. `Send + Sync`; cheap to call repeatedly.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) rules: Vec<RuleMeta>,
}

impl Engine {
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    fn from_builder(_b: EngineBuilder) -> Result<Engine, Error> {
        Ok(Engine { rules: Vec::new() })
    }

    /// The loaded rules, sorted by id.
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    /// Scans files and directories on disk.
    pub fn scan(&self, _paths: &[PathBuf], _options: &ScanOptions) -> Result<Report, Error> {
        Err(Error::NotReady)
    }

    /// Scans an in-memory tree of files.
    pub fn scan_sources(&self, _files: BTreeMap<PathBuf, String>, _options: &ScanOptions) -> Result<Report, Error> {
        Err(Error::NotReady)
    }
}
