//! `tollgate eval DIR...`: scores the rules against labelled cases, for
//! benchmark-driven rule tuning.
//!
//! A case is a directory holding an `expected.json`: the findings that must
//! appear when the directory is scanned, as a list (or `{"findings": [...]}`)
//! of `{"rule_id", "file", "line", "resource"}` with `file` relative to the
//! case directory (`line` and `resource` may be left out to match any).
//! Every finding not listed is a false positive, every listed one not found
//! a false negative. In a case inside a directory named for a rule id
//! (`fixtures/rules/IAM001/...`) only that rule is scored. The command
//! prints per-rule TP, FP, FN, precision, recall and evaluation time, lists
//! each mismatch, and exits 1 when a rule misses `--min-precision` or
//! `--min-recall`. A custom rule file that fails to load is reported on
//! stderr and left out; the other rules are scored and the exit code is 2.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;
use tollgate_core::{DiagnosticLevel, ScanOptions};
use tollgate_policy::labels::{self, EXPECTED_FILE, Expected};
use tollgate_policy::{Engine, Finding, Report};

use super::{PolicyArgs, ScanArgs};
use super::{in_pool, verdict};
use crate::error::CliError;
use crate::paths::{self, PathStyle};
use crate::render::escape::visible;
use crate::{Console, exit, progress};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EvalFormat {
    Text,
    Json,
}

/// The raw flags of `tollgate eval`.
#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Labelled corpora: every directory under DIR with an expected.json is a case.
    #[arg(value_name = "DIR", required = true)]
    dirs: Vec<PathBuf>,
    /// Exit 1 when a rule's precision is below X (0.0–1.0).
    #[arg(long, value_name = "X", default_value_t = 0.0)]
    min_precision: f64,
    /// Exit 1 when a rule's recall is below Y (0.0–1.0).
    #[arg(long, value_name = "Y", default_value_t = 0.0)]
    min_recall: f64,
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    format: EvalFormat,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    scan: ScanArgs,
    /// Worker threads (0 or absent: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// Counts of one rule over all cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Score {
    pub(crate) tp: usize,
    pub(crate) fp: usize,
    #[serde(rename = "fn")]
    pub(crate) fn_: usize,
    pub(crate) eval_micros: u64,
}

impl Score {
    /// `None` when the rule reported nothing (no false positive either).
    pub(crate) fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `None` when nothing was expected of the rule.
    pub(crate) fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    fn add(&mut self, other: &Score) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
        self.eval_micros += other.eval_micros;
    }
}

#[allow(clippy::cast_precision_loss)] // counts are far below 2^52
fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A finding that should not be there, or an expected one that is missing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub(crate) struct Mismatch {
    /// `fp` or `fn`.
    pub(crate) kind: &'static str,
    pub(crate) rule_id: String,
    pub(crate) file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

/// The scored result of one case.
#[derive(Debug, Default)]
pub(crate) struct CaseScore {
    pub(crate) scores: BTreeMap<String, Score>,
    pub(crate) mismatches: Vec<Mismatch>,
}

/// Compares a case's findings with its labels. `scope`: the only rule
/// scored (a directory named for a rule). Each label matches at most one
/// finding, and each finding at most one label.
pub(crate) fn score_case(
    case_dir: &Path,
    scope: Option<&str>,
    expected: &[Expected],
    report: &Report,
    paths: &PathStyle,
) -> CaseScore {
    let in_scope = |rule: &str| scope.is_none_or(|s| s == rule);
    // (finding, file relative to the case, resource as labelled): a raw IAM
    // file's resource address is its path, which is labelled relative too.
    let findings: Vec<(&Finding, String, String)> = report
        .findings
        .iter()
        .filter(|f| in_scope(&f.rule_id))
        .map(|f| {
            let file = paths::relative_to(&f.file, case_dir).unwrap_or_else(|| f.file.clone());
            let resource = if f.resource == f.file { file.clone() } else { f.resource.clone() };
            (f, file, resource)
        })
        .collect();
    let mut matched = vec![false; findings.len()];
    let mut case = CaseScore::default();
    for label in expected.iter().filter(|e| in_scope(&e.rule_id)) {
        let label_file = paths::lexical(Path::new(&label.file)).to_string_lossy().replace('\\', "/");
        let hit = findings.iter().zip(matched.iter_mut()).find(|((f, file, resource), used)| {
            !**used
                && f.rule_id == label.rule_id
                && *file == label_file
                && label.line.is_none_or(|l| l == f.line)
                && label.resource.as_ref().is_none_or(|r| r == resource)
        });
        let score = case.scores.entry(label.rule_id.clone()).or_default();
        match hit {
            Some((_, used)) => {
                *used = true;
                score.tp += 1;
            }
            None => {
                score.fn_ += 1;
                case.mismatches.push(Mismatch {
                    kind: "fn",
                    rule_id: label.rule_id.clone(),
                    file: paths.display(&case_dir.join(&label_file).to_string_lossy()),
                    line: label.line,
                    resource: label.resource.clone(),
                    message: None,
                });
            }
        }
    }
    for ((f, _, _), used) in findings.iter().zip(&matched) {
        if !used {
            case.scores.entry(f.rule_id.clone()).or_default().fp += 1;
            case.mismatches.push(Mismatch {
                kind: "fp",
                rule_id: f.rule_id.clone(),
                file: paths.display(&f.file),
                line: Some(f.line),
                resource: Some(f.resource.clone()),
                message: Some(f.message.clone()),
            });
        }
    }
    for stat in report.rule_stats.iter().filter(|s| in_scope(&s.rule_id)) {
        case.scores.entry(stat.rule_id.clone()).or_default().eval_micros += stat.eval_micros;
    }
    case
}

/// Directories under `root` (itself included) holding an expected.json,
/// sorted; hidden directories are skipped, and a case's subdirectories are
/// part of the case.
pub(crate) fn find_cases(root: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut cases = Vec::new();
    let mut seen = BTreeSet::new();
    walk(root, &mut cases, &mut seen)?;
    Ok(cases)
}

fn walk(dir: &Path, cases: &mut Vec<PathBuf>, seen: &mut BTreeSet<PathBuf>) -> Result<(), CliError> {
    let real =
        std::fs::canonicalize(dir).map_err(|e| CliError::Input { path: dir.to_path_buf(), message: e.to_string() })?;
    if !seen.insert(real) {
        return Ok(());
    }
    if dir.join(EXPECTED_FILE).is_file() {
        cases.push(dir.to_path_buf());
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| CliError::Input { path: dir.to_path_buf(), message: e.to_string() })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    dirs.sort();
    for d in dirs {
        walk(&d, cases, seen)?;
    }
    Ok(())
}

/// The rule a case is limited to: the nearest directory from the case up
/// to (and including) the corpus root named for a loaded rule id.
fn case_scope<'e>(engine: &'e Engine, root: &Path, case_dir: &Path) -> Option<&'e str> {
    let root = paths::lexical(root);
    let mut dir = Some(paths::lexical(case_dir));
    while let Some(d) = dir {
        let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(rule) = engine.rules().iter().find(|r| r.id == name) {
            return Some(rule.id.as_str());
        }
        if d == root {
            break;
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    None
}

/// `eval`'s flags, checked.
struct EvalConfig {
    dirs: Vec<PathBuf>,
    min_precision: f64,
    min_recall: f64,
    options: ScanOptions,
    threads: Option<usize>,
}

impl TryFrom<&EvalArgs> for EvalConfig {
    type Error = CliError;

    fn try_from(args: &EvalArgs) -> Result<Self, CliError> {
        for (name, value) in [("--min-precision", args.min_precision), ("--min-recall", args.min_recall)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(CliError::Usage(format!("{name} must be between 0.0 and 1.0, got {value}")));
            }
        }
        Ok(EvalConfig {
            dirs: args.dirs.clone(),
            min_precision: args.min_precision,
            min_recall: args.min_recall,
            options: ScanOptions::try_from(&args.scan)?,
            threads: args.threads.filter(|n| *n > 0),
        })
    }
}

/// The whole evaluation, as printed.
#[derive(Debug, Serialize)]
struct EvalResult {
    cases: usize,
    rules: Vec<RuleRow>,
    total: Score,
    mismatches: Vec<Mismatch>,
    errors: Vec<EvalError>,
    /// Rules that were loaded but have no labelled case and no finding.
    unlabelled_rules: Vec<String>,
    min_precision: f64,
    min_recall: f64,
    /// Rules below a threshold.
    failed_rules: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RuleRow {
    rule_id: String,
    #[serde(flatten)]
    score: Score,
    precision: Option<f64>,
    recall: Option<f64>,
}

#[derive(Debug, Serialize)]
struct EvalError {
    file: String,
    line: Option<u32>,
    code: &'static str,
    message: String,
}

impl EvalArgs {
    pub(crate) fn execute(&self, console: &mut Console<'_>) -> Result<i32, CliError> {
        let config = EvalConfig::try_from(self)?;
        let (engine, load_code) = self.policy.build_keep_going(console.err)?;
        let paths = PathStyle::from_current_dir();
        let mut cases = Vec::new();
        for root in &config.dirs {
            for case in find_cases(root)? {
                let scope = case_scope(&engine, root, &case).map(str::to_string);
                cases.push((case, scope));
            }
        }
        if cases.is_empty() {
            return Err(CliError::Usage(format!(
                "no directory with an {EXPECTED_FILE} under {}",
                config.dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            )));
        }
        let mut scores: BTreeMap<String, Score> = BTreeMap::new();
        let mut mismatches = Vec::new();
        let mut errors = Vec::new();
        let show_progress = self.format == EvalFormat::Text && console.err_is_terminal;
        let label = format!("evaluating {} cases", cases.len());
        progress::with_spinner(show_progress, &label, || -> Result<(), CliError> {
            for (case, scope) in &cases {
                let expected = labels::read(case)?;
                let report = in_pool(config.threads, || engine.scan(std::slice::from_ref(case), &config.options))??;
                let scored = score_case(case, scope.as_deref(), &expected, &report, &paths);
                for (rule, score) in scored.scores {
                    scores.entry(rule).or_default().add(&score);
                }
                mismatches.extend(scored.mismatches);
                // Rule files that failed to load are in every report; they
                // were printed once, above.
                let case_errors = report
                    .errors
                    .iter()
                    .filter(|d| d.level == DiagnosticLevel::Error && !engine.load_errors().contains(d));
                errors.extend(case_errors.map(|d| EvalError {
                    file: paths.display(&d.file),
                    line: d.line,
                    code: d.code,
                    message: d.message.clone(),
                }));
            }
            Ok(())
        })?;
        mismatches.sort();
        let mut total = Score::default();
        let rows: Vec<RuleRow> = scores
            .into_iter()
            .map(|(rule_id, score)| {
                total.add(&score);
                RuleRow { rule_id, precision: score.precision(), recall: score.recall(), score }
            })
            .collect();
        let failed_rules = rows
            .iter()
            .filter(|r| {
                r.precision.is_some_and(|p| p < config.min_precision) || r.recall.is_some_and(|p| p < config.min_recall)
            })
            .map(|r| r.rule_id.clone())
            .collect();
        let unlabelled_rules = engine
            .active_rules()
            .into_iter()
            .filter(|id| !rows.iter().any(|r| r.rule_id == *id))
            .map(str::to_string)
            .collect();
        let result = EvalResult {
            cases: cases.len(),
            rules: rows,
            total,
            mismatches,
            errors,
            unlabelled_rules,
            min_precision: config.min_precision,
            min_recall: config.min_recall,
            failed_rules,
        };
        let code = if !result.errors.is_empty() || load_code == exit::ERROR {
            exit::ERROR
        } else if !result.failed_rules.is_empty() {
            exit::FINDINGS
        } else {
            exit::SUCCESS
        };
        let written = match self.format {
            EvalFormat::Text => write_text(console.out, &result),
            EvalFormat::Json => serde_json::to_writer_pretty(&mut *console.out, &result)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(console.out)),
        };
        verdict(written.map_err(CliError::Io), code)
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{r:.3}"))
}

#[allow(clippy::cast_precision_loss)] // display only
fn fmt_micros(micros: u64) -> String {
    format!("{:.1} ms", micros as f64 / 1000.0)
}

fn write_text(w: &mut dyn Write, result: &EvalResult) -> std::io::Result<()> {
    let width = result.rules.iter().map(|r| r.rule_id.len()).max().unwrap_or(0).max(5);
    writeln!(
        w,
        "{:<width$}  {:>5}  {:>5}  {:>5}  {:>9}  {:>6}  {:>10}",
        "RULE", "TP", "FP", "FN", "PRECISION", "RECALL", "TIME"
    )?;
    let row = |w: &mut dyn Write, id: &str, s: &Score| {
        writeln!(
            w,
            "{id:<width$}  {:>5}  {:>5}  {:>5}  {:>9}  {:>6}  {:>10}",
            s.tp,
            s.fp,
            s.fn_,
            fmt_ratio(s.precision()),
            fmt_ratio(s.recall()),
            fmt_micros(s.eval_micros)
        )
    };
    for r in &result.rules {
        row(w, &r.rule_id, &r.score)?;
    }
    row(w, "TOTAL", &result.total)?;
    writeln!(w, "\n{} labelled {}", result.cases, if result.cases == 1 { "case" } else { "cases" })?;
    if !result.unlabelled_rules.is_empty() {
        writeln!(w, "rules without labelled cases: {}", result.unlabelled_rules.join(", "))?;
    }
    if !result.mismatches.is_empty() {
        writeln!(w, "\nmismatches:")?;
        for m in &result.mismatches {
            let line = m.line.map(|l| format!(":{l}")).unwrap_or_default();
            let resource = m.resource.as_deref().map(|r| format!(" {r}")).unwrap_or_default();
            let message = m.message.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let kind = if m.kind == "fp" { "false positive" } else { "false negative" };
            let text = format!("{kind} {} {}{line}{resource}{message}", m.rule_id, m.file);
            writeln!(w, "  {}", visible(&text))?;
        }
    }
    if !result.errors.is_empty() {
        writeln!(w, "\nscan errors:")?;
        for e in &result.errors {
            let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(w, "  {}{line}: {} [{}]", visible(&e.file), visible(&e.message), e.code)?;
        }
    }
    let thresholds = format!("precision >= {:.3}, recall >= {:.3}", result.min_precision, result.min_recall);
    if result.failed_rules.is_empty() {
        writeln!(w, "\nthresholds met ({thresholds})")
    } else {
        writeln!(w, "\nthresholds missed ({thresholds}) by: {}", result.failed_rules.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_policy::{RuleStat, Severity, Summary, Zone};

    fn finding(rule: &str, file: &str, line: u32, resource: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity: Severity::High,
            zone: Zone::A,
            title: String::new(),
            message: format!("msg {line}"),
            resource: resource.into(),
            file: file.into(),
            line,
            end_line: line,
            call_sites: Vec::new(),
        }
    }

    fn expected(rule: &str, file: &str, line: u32, resource: &str) -> Expected {
        Expected { rule_id: rule.into(), file: file.into(), line: Some(line), resource: Some(resource.into()) }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            version: "0".into(),
            findings,
            errors: Vec::new(),
            summary: Summary::default(),
            rule_stats: vec![
                RuleStat { rule_id: "IAM001".into(), findings: 0, errors: 0, eval_micros: 40 },
                RuleStat { rule_id: "NET001".into(), findings: 0, errors: 0, eval_micros: 7 },
            ],
            sources: Default::default(),
        }
    }

    #[test]
    fn scores_true_and_false_positives_and_negatives() {
        let paths = PathStyle::with_cwd("/nowhere");
        let r = report(vec![
            finding("IAM001", "cases/IAM001/fire/a.tf", 3, "aws_iam_policy.a"),
            finding("IAM001", "cases/IAM001/silent/b.tf", 9, "aws_iam_policy.b"),
            finding("NET001", "cases/IAM001/fire/a.tf", 20, "aws_security_group.s"),
        ]);
        let labels = vec![
            expected("IAM001", "fire/a.tf", 3, "aws_iam_policy.a"),
            expected("IAM001", "./fire/a.tf", 12, "aws_iam_policy.c"),
        ];
        let scored = score_case(Path::new("cases/IAM001"), Some("IAM001"), &labels, &r, &paths);
        let s = scored.scores.get("IAM001").copied().unwrap();
        assert_eq!((s.tp, s.fp, s.fn_, s.eval_micros), (1, 1, 1, 40));
        assert_eq!(s.precision(), Some(0.5));
        assert_eq!(s.recall(), Some(0.5));
        // NET001 is out of scope in an IAM001 directory.
        assert!(!scored.scores.contains_key("NET001"));
        let kinds: Vec<(&str, &str)> = scored.mismatches.iter().map(|m| (m.kind, m.file.as_str())).collect();
        assert_eq!(kinds, vec![("fn", "cases/IAM001/fire/a.tf"), ("fp", "cases/IAM001/silent/b.tf")]);
    }

    #[test]
    fn unscoped_cases_score_every_rule_and_labels_match_once() {
        let paths = PathStyle::with_cwd("/nowhere");
        let r = report(vec![finding("NET001", "c/main.tf", 5, "aws_security_group.s")]);
        let labels = vec![
            Expected { rule_id: "NET001".into(), file: "main.tf".into(), line: None, resource: None },
            Expected { rule_id: "NET001".into(), file: "main.tf".into(), line: None, resource: None },
        ];
        let scored = score_case(Path::new("c"), None, &labels, &r, &paths);
        let s = scored.scores.get("NET001").copied().unwrap();
        assert_eq!((s.tp, s.fp, s.fn_, s.eval_micros), (1, 0, 1, 7));
        assert_eq!(scored.scores.get("IAM001").map(|s| (s.tp, s.fp, s.fn_)), Some((0, 0, 0)));
        assert_eq!(scored.scores.get("IAM001").and_then(Score::precision), None);
    }

    #[test]
    fn raw_iam_resources_are_labelled_relative_to_the_case() {
        let paths = PathStyle::with_cwd("/nowhere");
        let r = report(vec![finding("IAM001", "cases/IAM001/fire/p.json", 4, "cases/IAM001/fire/p.json")]);
        let labels = vec![expected("IAM001", "fire/p.json", 4, "fire/p.json")];
        let scored = score_case(Path::new("cases/IAM001"), Some("IAM001"), &labels, &r, &paths);
        assert_eq!(scored.scores.get("IAM001").map(|s| (s.tp, s.fp, s.fn_)), Some((1, 0, 0)));
    }
}
