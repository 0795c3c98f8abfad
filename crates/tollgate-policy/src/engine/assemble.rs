//! Assembly: the results of every unit merged into one [`Report`] (sorted
//! and deduplicated findings, errors, per-rule statistics, the summary).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use tollgate_core::Diagnostic;

use super::Engine;
use super::run::UnitResult;
use crate::report::{EvalTimings, Report, RuleStat, Summary};
use crate::rule::Severity;

impl Engine {
    pub(super) fn assemble(
        &self,
        results: Vec<UnitResult>,
        mut errors: Vec<Diagnostic>,
        stats: &tollgate_core::ScanStats,
        sources: BTreeMap<Arc<str>, Arc<str>>,
        files: Option<&BTreeSet<String>>,
        start: Instant,
    ) -> Report {
        let mut rule_stats: Vec<RuleStat> = self
            .active
            .iter()
            .filter_map(|a| self.rules.get(a.index))
            .map(|m| RuleStat { rule_id: m.id.clone(), ..RuleStat::default() })
            .collect();
        let mut findings = Vec::new();
        let mut eval_timings = EvalTimings::default();
        for r in results {
            eval_timings.input_micros += r.input_micros;
            eval_timings.rules_micros += r.stats.iter().map(|s| s.2).sum::<u64>();
            for (stat, (n, e, micros)) in rule_stats.iter_mut().zip(r.stats) {
                stat.findings += n;
                stat.errors += e;
                stat.eval_micros += micros;
            }
            findings.extend(r.findings);
            errors.extend(r.errors);
        }
        findings.sort_by(|a, b| {
            (&a.file, a.line, &a.rule_id, &a.message, &a.resource, a.end_line, &a.call_sites).cmp(&(
                &b.file,
                b.line,
                &b.rule_id,
                &b.message,
                &b.resource,
                b.end_line,
                &b.call_sites,
            ))
        });
        findings.dedup();
        self.confine_findings(&mut findings, &mut errors, &sources, files);
        errors.extend(self.load_errors.iter().cloned());
        errors.sort();
        errors.dedup();
        let mut summary = Summary {
            files_scanned: stats.files_scanned,
            files_skipped: stats.files_skipped,
            files_failed: stats.files_failed,
            resources: stats.resources,
            findings: findings.len(),
            eval_timings,
            ..Summary::default()
        };
        for f in &findings {
            match f.severity {
                Severity::Critical => summary.critical += 1,
                Severity::High => summary.high += 1,
                Severity::Medium => summary.medium += 1,
                Severity::Low => summary.low += 1,
                Severity::Info => summary.info += 1,
            }
        }
        summary.duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        Report { version: env!("CARGO_PKG_VERSION").to_string(), findings, errors, summary, rule_stats, sources }
    }
}
