//! The facade: an [`Engine`] built once from bundled and custom rules, then
//! used for any number of scans.
//!
//! All rule and library modules are loaded into one regorus engine, which
//! is analysed once when the [`Engine`] is built. The selected bundled
//! rules' `deny` sets are compiled once into one program for regorus'
//! bytecode VM (3.5× faster than its interpreter on the corpus; a test
//! checks that both give the same findings on every fixture). Custom rules
//! run in a clone of the prepared interpreter, the reference
//! implementation: regorus 0.14's VM gets some constructs wrong (an object
//! of sets built with `x[k] contains v`; a function with conflicting
//! outputs is undefined instead of an error). A scan converts each unit's
//! graph (a root module, template or policy file) into a regorus value once
//! and runs every selected rule over it. Units are evaluated in parallel, and
//! so are the rules of one unit when a thread is idle.
//!
//! One file per concern, each an `impl Engine` block or the helpers it uses:
//!
//! - `builder.rs`: [`EngineBuilder`], the options of a build;
//! - `load.rs`: the bundled program or rule sources, custom files, the
//!   checks each file passes, and the files `keep_going` leaves out;
//! - `select.rs`: the rules a scan runs (`only_rule`, `skip_rule`,
//!   deprecated) and the findings it keeps (`min_severity`);
//! - `compile.rs`: the prepared interpreter, VM programs, VM set-up;
//! - `run.rs`: the scan entry points and the rules over each unit, in
//!   parallel, under the time limit;
//! - `finding.rs`: the finding contract, and findings confined to the
//!   scan's files;
//! - `assemble.rs`: the units' results merged into a [`Report`].

use std::sync::Arc;
use std::time::Duration;

use regorus::rvm::program::Program;
use tollgate_core::Diagnostic;

use crate::input::Input;
use crate::rule::{RuleMeta, Severity};

mod assemble;
mod builder;
mod compile;
mod finding;
mod load;
mod run;
mod select;
#[cfg(test)]
mod tests;

pub use builder::EngineBuilder;
use select::ActiveRule;

/// Default limit on the evaluation time of one rule over one unit.
pub const DEFAULT_RULE_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Compiled rules, ready to scan. `Send + Sync + Clone`; cheap to call repeatedly.
#[derive(Clone)]
pub struct Engine {
    pub(crate) rules: Vec<RuleMeta>,
    active: Arc<[ActiveRule]>,
    /// The prepared interpreter, for the rules that do not run in the VM
    /// (`None` when every active rule runs in the VM).
    rego: Option<regorus::Engine>,
    /// VM programs of the active rules (usually one holding every rule).
    programs: Arc<[Arc<Program>]>,
    rule_time_limit: Duration,
    min_severity: Option<Severity>,
    /// The part of each graph the rules receive: all of it when custom
    /// rules are loaded, else what the bundled rules read.
    input: Input,
    /// Custom rule files left out by [`EngineBuilder::keep_going`].
    load_errors: Arc<[Diagnostic]>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
            .field("active", &self.active.iter().map(|a| a.entrypoint.as_str()).collect::<Vec<_>>())
            .field("min_severity", &self.min_severity)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Custom rule files left out by [`EngineBuilder::keep_going`], each
    /// with its file, line (where known) and message.
    pub fn load_errors(&self) -> &[Diagnostic] {
        &self.load_errors
    }

    /// The loaded rules, sorted by id.
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    /// The metadata of one rule, by id or alias.
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id || r.aliases.iter().any(|a| a == id))
    }

    /// The ids of the rules a scan evaluates (after `only_rule`/`skip_rule`
    /// and leaving out deprecated rules), sorted.
    pub fn active_rules(&self) -> Vec<&str> {
        self.active.iter().filter_map(|a| self.rules.get(a.index)).map(|r| r.id.as_str()).collect()
    }
}
