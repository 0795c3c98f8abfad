//! What a scan reports: findings, diagnostics and a summary.

use serde::{Deserialize, Serialize};
use tollgate_core::Diagnostic;
use tollgate_core::graph::CallSite;

/// Severity of a rule, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Indeterminate verdicts and notes; never fails a gate by default.
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// Hazard zone of what a rule guards: A = identity, secrets, crypto,
/// production network exposure, customer data; B = data access, parsing,
/// network calls; C = moderate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Zone {
    A,
    B,
    C,
}

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
}

/// The result of [`crate::Engine::scan`]: everything the CLI prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: String,
    pub findings: Vec<Finding>,
    pub errors: Vec<Diagnostic>,
    pub summary: Summary,
}
