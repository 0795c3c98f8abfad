//! Running: a scan's entry points, and the active rules over each unit
//! (units in parallel, and the rules of one unit when a thread is idle),
//! each rule under its time limit in a VM or the interpreter.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use regorus::rvm::vm::RegoVM;
use tollgate_core::graph::Graph;
use tollgate_core::{Diagnostic, ScanOptions, ScanOutput};

use super::Engine;
use super::compile::vm;
use super::finding::{collect_findings, graph_files};
use super::select::{ActiveRule, at_least};
use crate::error::Error;
use crate::input::{Input, graph_to_value};
use crate::report::{Finding, Report};

/// One rule's results over one unit.
#[derive(Default)]
struct RuleOutcome {
    findings: Vec<Finding>,
    errors: Vec<Diagnostic>,
    micros: u64,
}

/// The VMs (one per program, made on first use) and the interpreter that
/// one piece of a unit's rules is evaluated with, over the unit's input.
struct Runners {
    vms: Vec<Option<RegoVM>>,
    interpreter: Option<regorus::Engine>,
}

impl Runners {
    fn new(programs: usize) -> Self {
        Runners { vms: (0..programs).map(|_| None).collect(), interpreter: None }
    }
}

/// What evaluating the rules over one unit produced.
#[derive(Default)]
pub(super) struct UnitResult {
    pub(super) findings: Vec<Finding>,
    pub(super) errors: Vec<Diagnostic>,
    /// Per active rule: (findings, errors, micros).
    pub(super) stats: Vec<(usize, usize, u64)>,
    /// Converting the graph into the rules' input.
    pub(super) input_micros: u64,
}

impl Engine {
    /// Scans files and directories on disk. Each unit's rules run as soon
    /// as its graph is built, and the graph is dropped afterwards.
    pub fn scan(&self, paths: &[PathBuf], options: &ScanOptions) -> Result<Report, Error> {
        let start = Instant::now();
        Ok(self.scan_prepared(tollgate_core::prepare_paths(paths, options)?, start))
    }

    /// The rest of a scan on disk whose files are found and read.
    pub(super) fn scan_prepared(&self, prepared: tollgate_core::PreparedScan, start: Instant) -> Report {
        self.finish(prepared.run(|u| self.eval_graph(&u.graph, &u.root)), start)
    }

    /// Scans an in-memory tree of files.
    pub fn scan_sources(&self, files: BTreeMap<PathBuf, String>, options: &ScanOptions) -> Result<Report, Error> {
        let start = Instant::now();
        let output = tollgate_core::scan_sources_with(files, options, |u| self.eval_graph(&u.graph, &u.root))?;
        Ok(self.finish(output, start))
    }

    /// Evaluates the rules over an already scanned [`ScanOutput`].
    pub fn check(&self, output: ScanOutput) -> Report {
        self.check_since(output, Instant::now())
    }

    /// Evaluates the rules over a graph in its JSON form (as `tollgate graph`
    /// prints it, or written by hand). `root` names the unit in rule errors.
    pub fn evaluate_graph_json(&self, json: &str, root: &str) -> Result<Report, Error> {
        let start = Instant::now();
        let input = regorus::Value::from_json_str(json).map_err(|e| Error::GraphJson { message: format!("{e:#}") })?;
        let resources = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("resources").and_then(|r| r.as_array()).map(Vec::len))
            .unwrap_or(0);
        let root: Arc<str> = Arc::from(root);
        let result = self.eval_input(input, &root);
        let stats = tollgate_core::ScanStats { units: 1, resources, ..Default::default() };
        let files = graph_files(json);
        Ok(self.assemble(vec![result], Vec::new(), &stats, BTreeMap::new(), Some(&files), start))
    }

    fn check_since(&self, output: ScanOutput, start: Instant) -> Report {
        let t = Instant::now();
        let results: Vec<UnitResult> = output.units.par_iter().map(|u| self.eval_graph(&u.graph, &u.root)).collect();
        let wall = micros(t);
        let mut report = self.assemble(results, output.diagnostics, &output.stats, output.sources, None, start);
        report.summary.eval_timings.wall_micros = wall;
        report
    }

    /// The report of a scan whose units were evaluated while it ran
    /// (evaluation overlaps the scan, so it has no wall time of its own).
    fn finish(&self, output: ScanOutput<UnitResult>, start: Instant) -> Report {
        self.assemble(output.units, output.diagnostics, &output.stats, output.sources, None, start)
    }

    fn eval_graph(&self, graph: &Graph, root: &Arc<str>) -> UnitResult {
        // Every bundled rule reports from a derived view (a policy, an
        // attachment, a principal, a network rule or a bucket): a unit with
        // none (most module examples, plain networking) is not converted
        // and not evaluated.
        if self.input == Input::Bundled && no_views(graph) {
            return UnitResult { stats: vec![(0, 0, 0); self.active.len()], ..UnitResult::default() };
        }
        let t = Instant::now();
        let input = graph_to_value(graph, self.input);
        let input_micros = micros(t);
        match input {
            Ok(input) => UnitResult { input_micros, ..self.eval_input(input, root) },
            Err(message) => UnitResult {
                errors: vec![Diagnostic::error(root.clone(), "rule", format!("cannot convert the graph: {message}"))],
                stats: vec![(0, 0, 0); self.active.len()],
                ..UnitResult::default()
            },
        }
    }

    /// Evaluates every active rule over one unit's input. The rules run as
    /// a parallel iterator: on a busy pool one thread takes them in turn,
    /// and a thread left idle (the last unit of a scan) takes some of them.
    /// Each piece of the split has its own VM (and interpreter) over the
    /// same input; results are merged in rule order.
    fn eval_input(&self, input: regorus::Value, root: &Arc<str>) -> UnitResult {
        let per_rule: Vec<RuleOutcome> = self
            .active
            .par_iter()
            .map_init(|| Runners::new(self.programs.len()), |runners, rule| self.eval_rule(runners, rule, &input, root))
            .collect();
        let mut out = UnitResult { stats: Vec::with_capacity(per_rule.len()), ..UnitResult::default() };
        for r in per_rule {
            out.stats.push((r.findings.len(), r.errors.len(), r.micros));
            out.findings.extend(r.findings);
            out.errors.extend(r.errors);
        }
        out
    }

    /// Runs one rule over `input` with the VMs (or interpreter) of `runners`.
    fn eval_rule(
        &self,
        runners: &mut Runners,
        rule: &ActiveRule,
        input: &regorus::Value,
        root: &Arc<str>,
    ) -> RuleOutcome {
        let mut out = RuleOutcome::default();
        let Some(meta) = self.rules.get(rule.index) else { return out };
        let t = Instant::now();
        let value: Result<regorus::Value, String> = match rule.vm {
            Some((program, entry)) => match (runners.vms.get_mut(program), self.programs.get(program)) {
                (Some(slot), Some(p)) => {
                    let vm = slot.get_or_insert_with(|| vm(p, self.rule_time_limit, input));
                    vm.execute_entry_point_by_index(entry).map_err(|e| e.to_string())
                }
                _ => Err("no program for the rule".to_string()),
            },
            None => match (&mut runners.interpreter, &self.rego) {
                (Some(rego), _) => rego.eval_rule(rule.entrypoint.clone()).map_err(|e| format!("{e:#}")),
                (slot @ None, Some(prepared)) => {
                    let mut rego = prepared.clone();
                    rego.set_input(input.clone());
                    let value = rego.eval_rule(rule.entrypoint.clone()).map_err(|e| format!("{e:#}"));
                    *slot = Some(rego);
                    value
                }
                (None, None) => Err("no interpreter for the rule".to_string()),
            },
        };
        out.micros = micros(t);
        match value {
            Ok(v) => {
                for message in collect_findings(meta, &v, &mut out.findings) {
                    out.errors.push(Diagnostic::error(root.clone(), "rule", format!("rule {}: {message}", meta.id)));
                }
            }
            Err(e) => {
                out.errors.push(Diagnostic::error(root.clone(), "rule", format!("rule {}: {e}", meta.id)));
            }
        }
        at_least(self.min_severity, &mut out.findings);
        out
    }
}

/// The graph has no derived view: only resources and edges.
fn no_views(g: &Graph) -> bool {
    g.policies.is_empty()
        && g.attachments.is_empty()
        && g.iam_principals.is_empty()
        && g.network_rules.is_empty()
        && g.buckets.is_empty()
        && g.aws_managed_policies.is_empty()
}

pub(super) fn micros(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}
