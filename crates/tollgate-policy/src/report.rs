//! What a scan reports: findings, diagnostics and a summary.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tollgate_core::Diagnostic;
use tollgate_core::graph::CallSite;

use crate::rule::{Severity, Zone};

/// One finding of one rule at one place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub zone: Zone,
    pub title: String,
    /// Names the exact offending value (`Action "s3:*"`, `0.0.0.0/0 → tcp/22`).
    pub message: String,
    /// Resource address.
    pub resource: String,
    pub file: String,
    pub line: u32,
    pub end_line: u32,
    /// Module call sites, outermost first, for resources inside modules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub call_sites: Vec<CallSite>,
}

/// Totals for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files_scanned: usize,
    pub files_skipped: usize,
    pub files_failed: usize,
    pub resources: usize,
    pub findings: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub duration_ms: u64,
    /// Where the evaluation time went (the scan's own phases are in
    /// `tollgate_core::ScanOutput::timings`). Not serialized: timings would
    /// make the JSON output unstable.
    #[serde(skip)]
    pub eval_timings: EvalTimings,
}

/// Evaluation statistics of one rule over a whole scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleStat {
    pub rule_id: String,
    /// Findings reported (after the severity filter).
    pub findings: usize,
    /// Units in which evaluating the rule failed (time limit, runtime error,
    /// malformed finding); each failure is also in [`Report::errors`].
    pub errors: usize,
    /// Total evaluation time of the rule, summed over all units and threads.
    pub eval_micros: u64,
}

/// The result of [`crate::Engine::scan`]: everything the CLI prints.
///
/// Findings are sorted by file, line, rule id, message and resource; errors
/// hold the scan diagnostics and rule-evaluation errors (code `rule`, with
/// the rule id at the start of the message), sorted.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: String,
    pub findings: Vec<Finding>,
    pub errors: Vec<Diagnostic>,
    pub summary: Summary,
    /// One entry per evaluated rule, sorted by rule id.
    pub rule_stats: Vec<RuleStat>,
    /// The text of every file read, by display path (for rendering snippets).
    #[serde(skip)]
    pub sources: BTreeMap<Arc<str>, Arc<str>>,
}

/// Time spent evaluating rules, in microseconds. `input_micros` and
/// `rules_micros` are summed over the parallel workers; `wall_micros` is the
/// wall time of the whole evaluation phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EvalTimings {
    /// Converting unit graphs into the rules' input.
    pub input_micros: u64,
    /// Evaluating the rules (the sum of `RuleStat::eval_micros`).
    pub rules_micros: u64,
    /// Wall time of conversion plus evaluation over all units when they run
    /// as a phase of their own ([`crate::Engine::check`]); 0 when each unit
    /// is evaluated as soon as the scan has built it ([`crate::Engine::scan`]).
    pub wall_micros: u64,
}
