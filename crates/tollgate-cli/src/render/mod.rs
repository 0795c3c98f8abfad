//! Output formats. Each takes the [`Report`] (and, for SARIF and the rule
//! table, the loaded rules' metadata) and writes it; nothing here computes
//! a verdict the report does not already hold.

use std::collections::BTreeMap;
use std::sync::Arc;

use tollgate_core::{Diagnostic, DiagnosticLevel};
use tollgate_policy::{Finding, Report, Severity};

pub(crate) mod escape;
pub(crate) mod json;
pub(crate) mod rules_table;
pub(crate) mod sarif;
pub(crate) mod text;

/// Findings in the order every format prints them: by file, line, rule,
/// resource and message.
pub(crate) fn sorted_findings(report: &Report) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.end_line, &a.rule_id, &a.resource, &a.message).cmp(&(
            &b.file,
            b.line,
            b.end_line,
            &b.rule_id,
            &b.resource,
            &b.message,
        ))
    });
    findings
}

/// The report's diagnostics in a stable order.
pub(crate) fn sorted_errors(report: &Report) -> Vec<&Diagnostic> {
    sorted_diagnostics(&report.errors)
}

/// Diagnostics in a stable order: by file, position, level and message.
pub(crate) fn sorted_diagnostics(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut errors: Vec<&Diagnostic> = diagnostics.iter().collect();
    errors.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.level, a.code, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.level, b.code, &b.message))
    });
    errors
}

/// Diagnostics that mean the scan is incomplete (a file not read or parsed).
pub(crate) fn scan_errors(report: &Report) -> usize {
    report.errors.iter().filter(|d| d.level == DiagnosticLevel::Error).count()
}

/// Reported findings at or above `fail_on` (none when the gate is off).
pub(crate) fn failing_findings(report: &Report, fail_on: Option<Severity>) -> usize {
    fail_on.map_or(0, |min| report.findings.iter().filter(|f| f.severity >= min).count())
}

/// The text of scanned files, for snippets: only what the scan itself read
/// (kept in [`Report::sources`]). Nothing is read again from disk: a
/// diagnostic may name a file the scan refused to read (outside the scanned
/// tree, too large), and its content must not appear in the output.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    scanned: BTreeMap<Arc<str>, Arc<str>>,
}

impl Sources {
    pub(crate) fn new(scanned: BTreeMap<Arc<str>, Arc<str>>) -> Self {
        Sources { scanned }
    }

    pub(crate) fn get(&self, file: &str) -> Option<&str> {
        self.scanned.get(file).map(|t| &**t)
    }

    #[cfg(test)]
    pub(crate) fn insert(&mut self, file: &str, text: &str) {
        self.scanned.insert(Arc::from(file), Arc::from(text));
    }
}
