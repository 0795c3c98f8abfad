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

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;
use tollgate_core::graph::{CallSite, Graph};
use tollgate_core::{Diagnostic, ScanOptions, ScanOutput};

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::utils::limits::ExecutionTimerConfig;

use crate::error::Error;
use crate::input::{Input, graph_to_value};
use crate::report::{EvalTimings, Finding, Report, RuleStat, Severity, Summary, Zone};
use crate::{guard, meta, recursion};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// Default limit on the evaluation time of one rule over one unit.
pub const DEFAULT_RULE_TIME_LIMIT: Duration = Duration::from_secs(10);

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
    /// Older ids that also select this rule in `only_rule`/`skip_rule`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
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
    /// [`DEFAULT_RULE_TIME_LIMIT`]). A rule that exceeds it is reported as
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

/// A selected rule: its index in `Engine::rules` and its `deny` path.
#[derive(Debug, Clone)]
struct ActiveRule {
    index: usize,
    entrypoint: String,
    /// Where the rule runs in the VM: a program and its entry-point index;
    /// `None` runs it in the interpreter.
    vm: Option<(usize, usize)>,
}

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

/// One `.rego` file to load.
struct RuleSource {
    /// Display path (`policies/aws/iam/IAM001_….rego` or the user's path).
    path: String,
    text: String,
    custom: bool,
}

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
struct UnitResult {
    findings: Vec<Finding>,
    errors: Vec<Diagnostic>,
    /// Per active rule: (findings, errors, micros).
    stats: Vec<(usize, usize, u64)>,
    /// Converting the graph into the rules' input.
    input_micros: u64,
}

impl Engine {
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    fn from_builder(b: EngineBuilder) -> Result<Engine, Error> {
        if !b.no_bundled
            && b.policy_dirs.is_empty()
            && !b.interpreter_only
            && !b.no_precompiled
            && let Some(engine) = Engine::from_program(&b)?
        {
            return Ok(engine);
        }
        let mut sources = Vec::new();
        if !b.no_bundled {
            for (rel, text) in bundled::BUNDLED {
                sources.push(RuleSource { path: format!("policies/{rel}"), text: (*text).to_string(), custom: false });
            }
        }
        let mut load_errors = Vec::new();
        for dir in &b.policy_dirs {
            let mut files = Vec::new();
            collect_rego(dir, &mut files)?;
            files.sort();
            for path in files {
                let display = path.to_string_lossy().replace('\\', "/");
                match std::fs::read_to_string(&path) {
                    Ok(text) => sources.push(RuleSource { path: display, text, custom: true }),
                    Err(source) if b.keep_going => {
                        load_errors.push(load_error(&Error::Io { path: path.clone(), source }, &display, None));
                    }
                    Err(source) => return Err(Error::Io { path, source }),
                }
            }
        }
        Engine::from_sources_keep_going(sources, &b, load_errors)
    }

    /// The bundled rules alone, with the VM program `build.rs` compiled
    /// from them: only the rules' metadata is read here. `None` when the
    /// build left no program (the rules are then compiled from source).
    fn from_program(b: &EngineBuilder) -> Result<Option<Engine>, Error> {
        // The program and the rules' metadata blocks are read side by side
        // (the YAML of the metadata is the larger part of an engine build).
        let (program, metas) = rayon::join(
            || Program::deserialize_binary(bundled::PROGRAM),
            || {
                bundled::BUNDLED
                    .par_iter()
                    .map(|(rel, text)| {
                        let path = format!("policies/{rel}");
                        meta::parse(&path, text).map(|m| (*rel, path, m))
                    })
                    .collect::<Vec<_>>()
            },
        );
        let Ok(regorus::rvm::program::DeserializationResult::Complete(program)) = program else {
            return Ok(None);
        };
        let mut rules: Vec<(RuleMeta, String)> = Vec::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for parsed in metas {
            let (rel, path, m) = parsed?;
            let Some(m) = m else { continue };
            let Some((_, entrypoint)) = bundled::ENTRY_POINTS.iter().find(|(r, _)| *r == rel) else {
                return Ok(None);
            };
            check_ids(&mut ids, &m, &path)?;
            rules.push((rule_meta(m, false, path), (*entrypoint).to_string()));
        }
        rules.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let mut active = select_active(&rules, b)?;
        for a in &mut active {
            let Some(index) = program.entry_points.get_index_of(&a.entrypoint) else { return Ok(None) };
            a.vm = Some((0, index));
        }
        Ok(Some(Engine {
            rules: rules.into_iter().map(|(m, _)| m).collect(),
            active: active.into(),
            rego: None,
            programs: vec![Arc::new(program)].into(),
            rule_time_limit: b.rule_time_limit.unwrap_or(DEFAULT_RULE_TIME_LIMIT),
            min_severity: b.min_severity,
            input: Input::Bundled,
            load_errors: Arc::from([]),
        }))
    }

    #[cfg(test)]
    fn from_sources(sources: Vec<RuleSource>, b: &EngineBuilder) -> Result<Engine, Error> {
        Engine::from_sources_keep_going(sources, b, Vec::new())
    }

    /// Loads rule files. Each is checked on its own first (metadata, Rego
    /// syntax, `deny`, recursion, ids and packages); with `keep_going` a
    /// custom file that fails is left out and reported, and so is one the
    /// analysis of all modules together names in its error.
    fn from_sources_keep_going(
        sources: Vec<RuleSource>,
        b: &EngineBuilder,
        mut load_errors: Vec<Diagnostic>,
    ) -> Result<Engine, Error> {
        let rule_time_limit = b.rule_time_limit.unwrap_or(DEFAULT_RULE_TIME_LIMIT);
        let custom_modules: Vec<(&str, &str)> =
            sources.iter().filter(|s| s.custom).map(|s| (s.path.as_str(), s.text.as_str())).collect();
        let recursive = recursion::find(&custom_modules);
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut packages: BTreeMap<String, String> = BTreeMap::new();
        let mut accepted: Vec<(RuleSource, Option<meta::ParsedMeta>, String)> = Vec::new();
        for src in sources {
            match check_source(&src, &recursive, &mut ids, &mut packages) {
                Ok((parsed, package)) => accepted.push((src, parsed, package)),
                Err((e, id)) if b.keep_going && src.custom => load_errors.push(load_error(&e, &src.path, id)),
                Err((e, _)) => return Err(e),
            }
        }
        let mut rego = loop {
            let mut rego = regorus::Engine::new();
            // `print` output of rules is collected per clone and dropped.
            rego.set_gather_prints(true);
            rego.set_execution_timer_config(timer(rule_time_limit));
            for (src, _, _) in &accepted {
                rego.add_policy(src.path.clone(), src.text.clone())
                    .map_err(|e| Error::RegoCompile { file: src.path.clone(), message: format!("{e:#}") })?;
            }
            // Analyse the modules once, so every clone starts prepared.
            rego.set_input(regorus::Value::new_object());
            let Err(e) = rego.eval_query("true".to_string(), false) else { break rego };
            let message = format!("{e:#}");
            let culprit = accepted.iter().position(|(src, _, _)| {
                src.custom && (message.contains(&format!("--> {}:", src.path)) || message.starts_with(&src.path))
            });
            match culprit {
                Some(i) if b.keep_going => {
                    let (src, parsed, _) = accepted.remove(i);
                    let e = Error::RegoCompile { file: src.path.clone(), message };
                    load_errors.push(load_error(&e, &src.path, parsed.map(|m| m.id)));
                }
                _ => return Err(Error::RegoCompile { file: "policies".to_string(), message }),
            }
        };
        let mut rules: Vec<(RuleMeta, String)> = Vec::new();
        let mut custom_texts = Vec::new();
        for (src, parsed, package) in accepted {
            if src.custom {
                custom_texts.push(src.text);
            }
            if let Some(m) = parsed {
                rules.push((rule_meta(m, src.custom, src.path), format!("{package}.deny")));
            }
        }
        rules.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let active = select_active(&rules, b)?;

        // The bytecode VM runs the bundled rules (their findings are tested
        // equal to the interpreter's on every fixture); custom rules run in
        // the interpreter, the reference implementation, and so does
        // everything when a custom module uses a construct the VM gets wrong.
        let mut active = active;
        let vm_safe = !custom_texts.iter().any(|t| has_keyed_set_rule(t)) && !b.interpreter_only;
        let programs = compile_programs(&mut rego, &mut active, |a| {
            vm_safe && rules.get(a.index).is_some_and(|(m, _)| !m.custom)
        })?;
        if !custom_texts.is_empty() {
            guard::install(&mut rego)
                .map_err(|message| Error::RegoCompile { file: "policies".to_string(), message })?;
        }
        let needs_interpreter = active.iter().any(|a| a.vm.is_none());
        load_errors.sort();
        Ok(Engine {
            rules: rules.into_iter().map(|(m, _)| m).collect(),
            active: active.into(),
            rego: needs_interpreter.then_some(rego),
            programs: programs.into(),
            rule_time_limit,
            min_severity: b.min_severity,
            input: if custom_texts.is_empty() { Input::Bundled } else { Input::Full },
            load_errors: load_errors.into(),
        })
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

    /// Scans files and directories on disk. Each unit's rules run as soon
    /// as its graph is built, and the graph is dropped afterwards.
    pub fn scan(&self, paths: &[PathBuf], options: &ScanOptions) -> Result<Report, Error> {
        let start = Instant::now();
        Ok(self.scan_prepared(tollgate_core::prepare_paths(paths, options)?, start))
    }

    /// The rest of a scan on disk whose files are found and read.
    fn scan_prepared(&self, prepared: tollgate_core::PreparedScan, start: Instant) -> Report {
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
                    let vm = slot.get_or_insert_with(|| {
                        let mut vm = RegoVM::new();
                        vm.load_program(p.clone());
                        vm.set_max_instructions(usize::MAX);
                        vm.set_execution_timer_config(Some(timer(self.rule_time_limit)));
                        vm.set_input(input.clone());
                        vm
                    });
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
        if let Some(min) = self.min_severity {
            out.findings.retain(|f| f.severity >= min);
        }
        out
    }

    /// A custom rule's finding may only point at a file the scan read (the
    /// text report prints a snippet of it): one that names another file
    /// (`/etc/passwd`, a path outside the scanned tree) is dropped, and is
    /// an error of that rule. `files` are the scan's files when it read
    /// none from disk (a graph given as JSON), else `sources`' names.
    fn confine_findings(
        &self,
        findings: &mut Vec<Finding>,
        errors: &mut Vec<Diagnostic>,
        sources: &BTreeMap<Arc<str>, Arc<str>>,
        files: Option<&BTreeSet<String>>,
    ) {
        let read = |f: &str| files.map_or_else(|| sources.contains_key(f), |files| files.contains(f));
        findings.retain(|f| {
            let Some(meta) = self.rule(&f.rule_id).filter(|m| m.custom) else { return true };
            let outside = std::iter::once(f.file.as_str())
                .chain(f.call_sites.iter().map(|c| &*c.file))
                .find(|file| !read(file));
            let Some(outside) = outside else { return true };
            let message = format!(
                "rule {}: a finding points at `{outside}`, a file the scan did not read; findings may only point at scanned files",
                meta.id
            );
            errors.push(Diagnostic::error(Arc::from(meta.source.as_str()), "rule", message));
            false
        });
    }

    fn assemble(
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

/// Every file a graph in its JSON form names (the `file` of its locations).
fn graph_files(json: &str) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else { return files };
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(serde_json::Value::String(f)) = o.get("file") {
                    files.insert(f.clone());
                }
                stack.extend(o.values());
            }
            serde_json::Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    files
}

/// Checks one rule file on its own: its metadata, its Rego (in a scratch
/// engine), its `deny`, recursion, and that its id and package are new.
/// Returns the metadata and package, or the error and the rule id if known.
fn check_source(
    src: &RuleSource,
    recursive: &[recursion::Recursion],
    ids: &mut BTreeMap<String, String>,
    packages: &mut BTreeMap<String, String>,
) -> Result<(Option<meta::ParsedMeta>, String), (Error, Option<String>)> {
    let parsed = meta::parse(&src.path, &src.text).map_err(|e| (e, None))?;
    let id = parsed.as_ref().map(|m| m.id.clone());
    let fail = |e: Error| (e, id.clone());
    let mut scratch = regorus::Engine::new();
    let package = scratch
        .add_policy(src.path.clone(), src.text.clone())
        .map_err(|e| fail(Error::RegoCompile { file: src.path.clone(), message: format!("{e:#}") }))?;
    if let Some(r) = recursive.iter().find(|r| r.file == src.path) {
        return Err(fail(Error::RecursiveFunction {
            file: src.path.clone(),
            line: r.line,
            function: r.function.clone(),
            cycle: r.cycle.join(" -> "),
        }));
    }
    if let Some(m) = &parsed {
        let has_deny = scratch
            .has_declared_rule_rooted_at(&src.path, "deny")
            .map_err(|e| fail(Error::RegoCompile { file: src.path.clone(), message: format!("{e:#}") }))?;
        if !has_deny {
            return Err(fail(Error::MissingDeny { file: src.path.clone(), rule_id: m.id.clone() }));
        }
    }
    if let Some(first) = packages.get(&package) {
        return Err(fail(Error::DuplicatePackage { package, first: first.clone(), second: src.path.clone() }));
    }
    if let Some(m) = &parsed {
        check_ids(ids, m, &src.path).map_err(fail)?;
    }
    packages.insert(package.clone(), src.path.clone());
    Ok((parsed, package))
}

/// A rule file that failed to load, as a diagnostic at its file and line.
fn load_error(e: &Error, path: &str, rule_id: Option<String>) -> Diagnostic {
    let (file, line) = e.location().unwrap_or((path, None));
    let message = match rule_id {
        Some(id) => format!("rule {id} not loaded: {e}"),
        None => format!("rule file not loaded: {e}"),
    };
    let mut d = Diagnostic::error(Arc::from(file), "rule", message);
    d.line = line;
    d
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

/// The time limit of one rule over one unit, checked every 64 steps.
fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig { limit, check_interval: NonZeroU32::MIN.saturating_add(63) }
}

/// Records a rule's id and aliases; an id seen before is an error.
fn check_ids(ids: &mut BTreeMap<String, String>, m: &meta::ParsedMeta, path: &str) -> Result<(), Error> {
    for id in std::iter::once(&m.id).chain(&m.aliases) {
        if let Some(first) = ids.insert(id.clone(), path.to_string()) {
            return Err(Error::DuplicateRuleId { rule_id: id.clone(), first, second: path.to_string() });
        }
    }
    Ok(())
}

fn rule_meta(m: meta::ParsedMeta, custom: bool, source: String) -> RuleMeta {
    RuleMeta {
        id: m.id,
        title: m.title,
        severity: m.severity,
        zone: m.zone,
        description: m.description,
        remediation: m.remediation,
        references: m.references,
        aliases: m.aliases,
        deprecated: m.deprecated,
        custom,
        source,
    }
}

/// The rules a scan runs (`rules` sorted by id, each with its `deny`
/// path): every rule that is not deprecated, or those of `only_rule`, minus
/// those of `skip_rule`. Unknown ids are errors.
fn select_active(rules: &[(RuleMeta, String)], b: &EngineBuilder) -> Result<Vec<ActiveRule>, Error> {
    let resolve = |name: &str| -> Result<String, Error> {
        rules
            .iter()
            .find(|(m, _)| m.id == name || m.aliases.iter().any(|a| a == name))
            .map(|(m, _)| m.id.clone())
            .ok_or_else(|| Error::UnknownRuleId { rule_id: name.to_string() })
    };
    let only: BTreeSet<String> = b.only_rules.iter().map(|n| resolve(n)).collect::<Result<_, _>>()?;
    let skip: BTreeSet<String> = b.skip_rules.iter().map(|n| resolve(n)).collect::<Result<_, _>>()?;
    Ok(rules
        .iter()
        .enumerate()
        .filter(|(_, (m, _))| {
            let selected = if only.is_empty() { !m.deprecated } else { only.contains(&m.id) };
            selected && !skip.contains(&m.id)
        })
        .map(|(index, (_, entrypoint))| ActiveRule { index, entrypoint: entrypoint.clone(), vm: None })
        .collect())
}

/// Compiles the active rules for the VM: all of them into one program (one
/// entry point each); when the VM compiler rejects that, each rule on its
/// own, and a rule it rejects alone stays with the interpreter.
fn compile_programs(
    rego: &mut regorus::Engine,
    active: &mut [ActiveRule],
    on_vm: impl Fn(&ActiveRule) -> bool,
) -> Result<Vec<Arc<Program>>, Error> {
    let mut chosen: Vec<&mut ActiveRule> = active.iter_mut().filter(|a| on_vm(a)).collect();
    let Some(first) = chosen.first() else { return Ok(Vec::new()) };
    let first: regorus::Rc<str> = first.entrypoint.as_str().into();
    // The compiled policy holds every module; the entry point only names
    // where an evaluation without one would start.
    let compiled = rego
        .compile_with_entrypoint(&first)
        .map_err(|e| Error::RegoCompile { file: "policies".to_string(), message: format!("{e:#}") })?;
    let names: Vec<&str> = chosen.iter().map(|a| a.entrypoint.as_str()).collect();
    if let Ok(program) = Compiler::compile_from_policy(&compiled, &names) {
        for (i, a) in chosen.iter_mut().enumerate() {
            a.vm = Some((0, i));
        }
        return Ok(vec![program]);
    }
    let mut programs = Vec::new();
    for a in chosen {
        if let Ok(program) = Compiler::compile_from_policy(&compiled, &[a.entrypoint.as_str()]) {
            a.vm = Some((programs.len(), 0));
            programs.push(program);
        }
    }
    Ok(programs)
}

/// A rule head that builds an object of sets (`by_type[t] contains a if …`).
/// regorus 0.14's VM compiles such a rule into one flat set, so a policy
/// set that defines one runs in the interpreter (which gets it right).
fn has_keyed_set_rule(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        let Some((name, rest)) = line.split_once('[') else { return false };
        let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let after = rest.split_once(']').map_or("", |(_, after)| after);
        is_name && after.trim_start().strip_prefix("contains").is_some_and(|t| t.starts_with(char::is_whitespace))
    })
}

fn micros(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Every `*.rego` file under `dir` (recursively), except `*_test.rego`.
fn collect_rego(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let meta = std::fs::metadata(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    if meta.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let path = entry.map_err(|source| Error::Io { path: dir.to_path_buf(), source })?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') {
                collect_rego(&path, out)?;
            }
        } else if name.ends_with(".rego") && !name.ends_with("_test.rego") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads the `deny` set of one rule into findings; returns a message per
/// malformed element (the well-formed ones are kept).
fn collect_findings(meta: &RuleMeta, value: &regorus::Value, out: &mut Vec<Finding>) -> Vec<String> {
    let mut problems = Vec::new();
    let items: Vec<&regorus::Value> = match value {
        regorus::Value::Undefined => return problems,
        regorus::Value::Set(set) => set.iter().collect(),
        regorus::Value::Array(items) => items.iter().collect(),
        other => {
            problems.push(format!("`deny` must be a set of findings, got {}", short(other)));
            return problems;
        }
    };
    for item in items {
        match to_finding(meta, item) {
            Ok(f) => out.push(f),
            Err(p) => problems.push(p),
        }
    }
    problems
}

fn short(v: &regorus::Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.len() > 120 { format!("{}…", s.chars().take(120).collect::<String>()) } else { s }
}

/// The finding contract: `{"msg": string, "loc": Location}` with optional
/// `"severity"` (overrides the rule's) and `"indeterminate": true` (info,
/// message labelled).
fn to_finding(meta: &RuleMeta, item: &regorus::Value) -> Result<Finding, String> {
    let json = serde_json::to_value(item).map_err(|e| e.to_string())?;
    let bad = |what: &str| format!("malformed finding ({what}): {}", short(item));
    let obj = json.as_object().ok_or_else(|| bad("expected an object"))?;
    let msg = obj.get("msg").and_then(|m| m.as_str()).ok_or_else(|| bad("`msg` must be a string"))?;
    let loc = obj.get("loc").and_then(|l| l.as_object()).ok_or_else(|| bad("`loc` must be a location object"))?;
    let address = loc.get("address").and_then(|a| a.as_str()).ok_or_else(|| bad("`loc.address` missing"))?;
    let file = loc.get("file").and_then(|a| a.as_str()).ok_or_else(|| bad("`loc.file` missing"))?;
    let line = loc.get("line").and_then(as_u32).ok_or_else(|| bad("`loc.line` missing"))?;
    let end_line = loc.get("end_line").and_then(as_u32).unwrap_or(line).max(line);
    let mut call_sites = Vec::new();
    if let Some(sites) = loc.get("call_sites").and_then(|c| c.as_array()) {
        for s in sites {
            let module = s.get("module").and_then(|m| m.as_str()).ok_or_else(|| bad("call site without `module`"))?;
            let file = s.get("file").and_then(|m| m.as_str()).ok_or_else(|| bad("call site without `file`"))?;
            let line = s.get("line").and_then(as_u32).ok_or_else(|| bad("call site without `line`"))?;
            let end_line = s.get("end_line").and_then(as_u32).unwrap_or(line).max(line);
            call_sites.push(CallSite { module: module.to_string(), file: Arc::from(file), line, end_line });
        }
    }
    let mut severity = match obj.get("severity") {
        None => meta.severity,
        Some(s) => s.as_str().and_then(meta::parse_severity).ok_or_else(|| bad("unknown `severity`"))?,
    };
    let mut message = msg.to_string();
    if obj.get("indeterminate").and_then(|i| i.as_bool()) == Some(true) {
        severity = Severity::Info;
        if !message.starts_with("indeterminate: ") {
            message = format!("indeterminate: {message}");
        }
    }
    Ok(Finding {
        rule_id: meta.id.clone(),
        severity,
        zone: meta.zone,
        title: meta.title.clone(),
        message,
        resource: address.to_string(),
        file: file.to_string(),
        line,
        end_line,
        call_sites,
    })
}

fn as_u32(v: &serde_json::Value) -> Option<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_set_rules_are_recognised() {
        assert!(has_keyed_set_rule("by_type[t] contains a if {"));
        assert!(has_keyed_set_rule("  x.y[k]  contains\tv if true"));
        assert!(!has_keyed_set_rule("deny contains f if {"));
        assert!(!has_keyed_set_rule("a := input.x[0] # contains"));
        assert!(!has_keyed_set_rule("f := {\"msg\": m} if m := x[0]"));
        assert!(!has_keyed_set_rule("some [loc, _] in paths"));
    }

    /// The bundled rules give the same findings in the bytecode VM as in
    /// the interpreter, on every labelled fixture and example, and so does
    /// the program compiled at build time.
    #[test]
    fn the_vm_agrees_with_the_interpreter_on_the_fixtures() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let built = Engine::builder().build().unwrap();
        assert!(!bundled::PROGRAM.is_empty(), "build.rs compiled the bundled rules");
        assert!(built.rego.is_none(), "the bundled rules load from the program compiled at build time");
        assert!(built.active.iter().all(|a| a.vm.is_some()));
        assert_eq!(built.active_rules().len(), bundled::ENTRY_POINTS.len());
        let vm = Engine::from_builder(EngineBuilder { no_precompiled: true, ..EngineBuilder::default() }).unwrap();
        assert!(vm.active.iter().all(|a| a.vm.is_some()), "every bundled rule compiles for the VM");
        assert_eq!(vm.rules, built.rules);
        let interp =
            Engine::from_builder(EngineBuilder { interpreter_only: true, ..EngineBuilder::default() }).unwrap();
        assert!(interp.active.iter().all(|a| a.vm.is_none()));
        let options = ScanOptions::default();
        let mut compared = 0;
        for dir in ["rules", "examples", "terraform", "cloudformation", "iam", "modules", "plan"] {
            let paths = [root.join(dir)];
            let a = vm.scan(&paths, &options).unwrap();
            let b = interp.scan(&paths, &options).unwrap();
            let c = built.scan(&paths, &options).unwrap();
            assert_eq!(a.findings, b.findings, "{dir}");
            assert_eq!(a.errors, b.errors, "{dir}");
            assert_eq!(c.findings, a.findings, "{dir}");
            assert_eq!(c.errors, a.errors, "{dir}");
            compared += a.findings.len();
        }
        assert!(compared > 100, "{compared} findings compared");
    }

    /// The bundled rules get the graph without `edges`, resource `spans` and
    /// resources of types they do not read (`Input::Bundled`): none of them
    /// names either field or reads a value whole (`walk`, `json.marshal`,
    /// `object.keys`), the resource types they name are kept, and their
    /// findings on every fixture are those they give with the whole graph.
    #[test]
    fn bundled_rules_do_not_read_what_their_input_leaves_out() {
        for (rel, text) in bundled::BUNDLED {
            for word in ["edges", "spans", "walk(", "json.marshal", "object.keys", "input["] {
                assert!(!text.contains(word), "policies/{rel} uses `{word}`");
            }
            // A rule that reads resources names their types: each must be kept.
            if !text.contains("input.resources") {
                continue;
            }
            let code = text.lines().filter(|l| !l.trim_start().starts_with('#'));
            for line in code {
                for quoted in line.split('"').skip(1).step_by(2) {
                    let resource_type = quoted.starts_with("AWS::") || quoted.starts_with("aws_");
                    if resource_type && quoted != "aws_managed_policies" {
                        assert!(
                            crate::input::BUNDLED_RESOURCE_TYPES.contains(&quoted),
                            "policies/{rel} reads resources of type {quoted}: add it to BUNDLED_RESOURCE_TYPES"
                        );
                    }
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let projected = Engine::builder().build().unwrap();
        assert_eq!(projected.input, Input::Bundled);
        let mut full = projected.clone();
        full.input = Input::Full;
        for dir in ["rules", "examples", "terraform", "cloudformation", "iam", "modules", "plan"] {
            let paths = [root.join(dir)];
            let (a, b) = (
                projected.scan(&paths, &ScanOptions::default()).unwrap(),
                full.scan(&paths, &ScanOptions::default()).unwrap(),
            );
            assert_eq!(a.findings, b.findings, "{dir}");
            assert_eq!(a.errors, b.errors, "{dir}");
        }
        let custom =
            Engine::from_sources(vec![rule("X9", "deny contains 1 if false")], &EngineBuilder::default()).unwrap();
        assert_eq!(custom.input, Input::Full);
    }

    /// No bundled rule reports anything from resources alone: a graph of
    /// every resource type the rules look at (an open role trust, a user,
    /// an account public access block turned off, a world-open
    /// security group, a public bucket) but no derived view gives no
    /// finding, so units without views can be skipped.
    #[test]
    fn bundled_rules_need_a_derived_view() {
        let loc = |a: &str| serde_json::json!({"address": a, "file": "m.tf", "line": 1, "end_line": 1});
        let res = |t: &str, a: &str, attrs: serde_json::Value| serde_json::json!({"address": a, "type": t, "kind": "terraform", "mode": "managed", "attributes": attrs, "loc": loc(a), "spans": {}});
        let graph = serde_json::json!({
            "schema_version": 1,
            "resources": [
                res("aws_iam_role", "aws_iam_role.r", serde_json::json!({"name": "r", "assume_role_policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}"})),
                res("aws_iam_user", "aws_iam_user.u", serde_json::json!({"name": "u"})),
                res("aws_s3_account_public_access_block", "aws_s3_account_public_access_block.a", serde_json::json!({"block_public_acls": false})),
                res("aws_security_group", "aws_security_group.s", serde_json::json!({"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]})),
                res("aws_s3_bucket", "aws_s3_bucket.b", serde_json::json!({"bucket": "b", "acl": "public-read"})),
            ],
            "edges": [], "policies": [], "attachments": [], "iam_principals": [], "network_rules": [],
            "buckets": [], "aws_managed_policies": [],
        });
        let engine = Engine::builder().build().unwrap();
        let report = engine.evaluate_graph_json(&graph.to_string(), "m").unwrap();
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        // The same resources with their views do give findings (the graph above is not inert).
        let mut files = BTreeMap::new();
        files.insert(
            PathBuf::from("main.tf"),
            "resource \"aws_security_group\" \"s\" {\n  ingress {\n    from_port = 22\n    to_port = 22\n    protocol = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n".to_string(),
        );
        let scanned = engine.scan_sources(files, &ScanOptions::default()).unwrap();
        assert_eq!(scanned.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(), ["NET001"]);
    }

    /// `only_rule`, `skip_rule` and unknown ids behave the same with the
    /// program compiled at build time and with rules compiled at run time.
    #[test]
    fn rule_selection_with_the_precompiled_program() {
        let select = |b: EngineBuilder| -> Vec<(Vec<String>, bool)> {
            [false, true]
                .into_iter()
                .map(|no_precompiled| {
                    let e = Engine::from_builder(EngineBuilder { no_precompiled, ..b.clone() }).unwrap();
                    (e.active_rules().iter().map(|s| s.to_string()).collect(), e.rego.is_none())
                })
                .collect()
        };
        let got = select(Engine::builder().only_rule("IAM005").only_rule("NET001"));
        assert_eq!(
            got,
            [
                (vec!["IAM005".to_string(), "NET001".to_string()], true),
                (vec!["IAM005".to_string(), "NET001".to_string()], true)
            ]
        );
        let got = select(Engine::builder().skip_rule("S3004"));
        assert_eq!(got[0], got[1]);
        assert!(!got[0].0.contains(&"S3004".to_string()));
        for no_precompiled in [false, true] {
            let r = Engine::from_builder(EngineBuilder { no_precompiled, ..Engine::builder().only_rule("NOPE1") });
            assert!(matches!(r, Err(Error::UnknownRuleId { rule_id }) if rule_id == "NOPE1"));
        }
    }

    fn src(path: &str, text: &str) -> RuleSource {
        RuleSource { path: path.to_string(), text: text.to_string(), custom: true }
    }

    const META: &str = "# METADATA\n# title: T\n# description: d\n# custom:\n#   id: ID\n#   severity: low\n#   hazard_zone: C\n#   remediation: r\n";

    fn rule(id: &str, body: &str) -> RuleSource {
        src(
            &format!("{id}.rego"),
            &format!("{}package custom.{id}\n{body}\n", META.replace("id: ID", &format!("id: {id}"))),
        )
    }

    #[test]
    fn engine_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Engine>();
    }

    #[test]
    fn build_and_scan_reports_what_build_then_scan_reports() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let options = ScanOptions::default();
        let paths = [root.join("rules"), root.join("iam")];
        let (engine, together) = Engine::builder().build_and_scan(&paths, &options).unwrap();
        let apart = Engine::builder().build().unwrap().scan(&paths, &options).unwrap();
        assert!(!together.findings.is_empty());
        assert_eq!(together.findings, apart.findings);
        assert_eq!(together.errors, apart.errors);
        assert_eq!(
            (together.summary.files_scanned, together.summary.resources),
            (apart.summary.files_scanned, apart.summary.resources)
        );
        assert_eq!(engine.rules().len(), bundled::ENTRY_POINTS.len());
        // On one thread as on many; an error in the rules wins over the scan's.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| Engine::builder().build_and_scan(&paths, &options)).unwrap().1;
        assert_eq!(one.findings, apart.findings);
        let bad_scan = ScanOptions { var_files: vec![root.join("no-such.tfvars")], ..ScanOptions::default() };
        let scan_error = Engine::builder().build_and_scan(&paths, &bad_scan);
        assert!(matches!(scan_error, Err(Error::Scan(_))), "{scan_error:?}");
        let both = Engine::builder().policy_dir(root.join("no-such-policies")).build_and_scan(&paths, &bad_scan);
        assert!(matches!(both, Err(Error::Io { .. })), "{both:?}");
    }

    #[test]
    fn missing_deny_is_an_error() {
        let r = Engine::from_sources(vec![rule("X1", "allow := true")], &EngineBuilder::default());
        assert!(matches!(r, Err(Error::MissingDeny { rule_id, .. }) if rule_id == "X1"));
    }

    #[test]
    fn duplicate_ids_and_compile_errors() {
        let mut second = rule("X1", "deny contains 1 if false");
        second.text = second.text.replace("package custom.X1", "package custom.other");
        second.path = "other.rego".into();
        let r = Engine::from_sources(vec![rule("X1", "deny contains 1 if false"), second], &EngineBuilder::default());
        assert!(matches!(r, Err(Error::DuplicateRuleId { rule_id, .. }) if rule_id == "X1"));
        let r = Engine::from_sources(vec![rule("X2", "deny contains if {")], &EngineBuilder::default());
        assert!(matches!(r, Err(Error::RegoCompile { file, .. }) if file == "X2.rego"));
    }

    #[test]
    fn finding_contract_and_errors() {
        let body = r#"
deny contains {"msg": "ok", "loc": input.loc}
deny contains {"msg": "info", "loc": input.loc, "indeterminate": true}
deny contains {"msg": "up", "loc": input.loc, "severity": "critical"}
deny contains {"msg": 3}
"#;
        let engine = Engine::from_sources(vec![rule("X3", body)], &EngineBuilder::default()).unwrap();
        let report = engine
            .evaluate_graph_json(r#"{"loc": {"address": "a.b", "file": "m.tf", "line": 4, "end_line": 6}}"#, "m")
            .unwrap();
        let got: Vec<(String, Severity, u32, u32)> =
            report.findings.iter().map(|f| (f.message.clone(), f.severity, f.line, f.end_line)).collect();
        assert_eq!(
            got,
            vec![
                ("indeterminate: info".to_string(), Severity::Info, 4, 6),
                ("ok".to_string(), Severity::Low, 4, 6),
                ("up".to_string(), Severity::Critical, 4, 6),
            ]
        );
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].message.starts_with("rule X3: malformed finding (`msg` must be a string)"));
        assert_eq!(report.rule_stats[0].findings, 3);
        assert_eq!(report.rule_stats[0].errors, 1);
    }
}
