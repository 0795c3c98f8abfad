//! [`EngineBuilder`]: what to load and how to run it, gathered before an
//! [`Engine`] is built.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tollgate_core::ScanOptions;

use super::Engine;
use crate::error::Error;
use crate::report::Report;
use crate::rule::Severity;

/// Builds an [`Engine`].
#[derive(Debug, Clone, Default)]
pub struct EngineBuilder {
    pub(crate) no_bundled: bool,
    pub(crate) policy_dirs: Vec<PathBuf>,
    pub(crate) only_rules: Vec<String>,
    pub(crate) skip_rules: Vec<String>,
    pub(crate) min_severity: Option<Severity>,
    pub(crate) rule_time_limit: Option<Duration>,
    /// Run every rule in the interpreter (tests compare it with the VM).
    pub(crate) interpreter_only: bool,
    /// Compile the bundled rules at run time even when the program
    /// compiled at build time is there (tests compare the two).
    pub(crate) no_precompiled: bool,
    /// Leave out custom rule files that fail to load, and report them.
    pub(crate) keep_going: bool,
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

    /// Runs only these rule ids (repeatable; empty = all). Selecting a
    /// deprecated rule by id runs it.
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

    /// Limits the evaluation time of one rule over one unit (default
    /// [`DEFAULT_RULE_TIME_LIMIT`](crate::DEFAULT_RULE_TIME_LIMIT)). A rule that exceeds it is reported as
    /// an error naming the rule; the other rules still run.
    pub fn rule_time_limit(mut self, limit: Duration) -> Self {
        self.rule_time_limit = Some(limit);
        self
    }

    /// A custom rule file that fails to load (unreadable, bad metadata, a
    /// Rego error, no `deny`, a duplicate id or package, a recursive
    /// function) is left out instead of failing the build: each one is
    /// reported with its file and line in [`Engine::load_errors`] and in
    /// the `errors` of every report, and the other rules run. Without it
    /// the first such error fails [`EngineBuilder::build`].
    pub fn keep_going(mut self) -> Self {
        self.keep_going = true;
        self
    }

    pub fn build(self) -> Result<Engine, Error> {
        Engine::from_builder(self)
    }

    /// Builds the engine and scans files and directories on disk with it,
    /// as [`Engine::scan`] does; the engine is built side by side with
    /// finding and reading the files (on the current rayon pool), so a
    /// short scan does not wait for one and then the other. An error in
    /// the rules wins over an error of the scan.
    pub fn build_and_scan(self, paths: &[PathBuf], options: &ScanOptions) -> Result<(Engine, Report), Error> {
        let start = Instant::now();
        let (engine, prepared) = rayon::join(|| self.build(), || tollgate_core::prepare_paths(paths, options));
        let engine = engine?;
        let report = engine.scan_prepared(prepared?, start);
        Ok((engine, report))
    }
}
