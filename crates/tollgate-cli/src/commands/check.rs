//! `tollgate check [PATH...]`: scan and report findings.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tollgate_core::ScanOptions;
use tollgate_policy::{Engine, EngineBuilder, Report, Severity};

use super::{Destination, PolicyArgs, ScanArgs, SeverityArg, in_pool, verdict};
use crate::error::CliError;
use crate::paths::PathStyle;
use crate::render::{self, Sources, failing_findings, scan_errors};
use crate::{Console, exit, progress};

/// Output format of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// rustc-style diagnostics with source snippets, then a summary.
    Text,
    /// One JSON document: findings, errors, summary.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}

/// The `--fail-on` gate: a severity, or `none` to never fail on findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    None,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOn {
    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::None => None,
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
        }
    }
}

/// The raw flags of `tollgate check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Files and directories to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of standard output (`-`: standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Report only findings at or above LEVEL.
    #[arg(long, value_enum, value_name = "LEVEL")]
    severity: Option<SeverityArg>,
    /// Exit 1 when a reported finding is at or above LEVEL (`none`: never).
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "high")]
    fail_on: FailOn,
    /// Run only this rule (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Do not run this rule (repeatable).
    #[arg(long = "skip-rule", value_name = "ID")]
    skip_rules: Vec<String>,
    #[command(flatten)]
    scan: ScanArgs,
    /// No colour (also when NO_COLOR is set or output is not a terminal).
    #[arg(long)]
    no_color: bool,
    /// Worker threads for the scan (0 or absent: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// `check`'s flags, checked and converted.
struct CheckConfig {
    paths: Vec<PathBuf>,
    format: Format,
    destination: Destination,
    engine: EngineBuilder,
    options: ScanOptions,
    fail_on: Option<Severity>,
    no_color: bool,
    threads: Option<usize>,
}

impl TryFrom<&CheckArgs> for CheckConfig {
    type Error = CliError;

    fn try_from(args: &CheckArgs) -> Result<Self, CliError> {
        // A custom rule that fails to load is reported and the others run.
        let mut engine = args.policy.builder().keep_going();
        for id in &args.rules {
            engine = engine.only_rule(id.trim());
        }
        for id in &args.skip_rules {
            engine = engine.skip_rule(id.trim());
        }
        if let Some(min) = args.severity {
            engine = engine.min_severity(min.into());
        }
        if let Some(id) = args.rules.iter().find(|id| args.skip_rules.contains(id)) {
            return Err(CliError::Usage(format!("rule {id} is given to both --rule and --skip-rule")));
        }
        Ok(CheckConfig {
            paths: args.paths.clone(),
            format: args.format,
            destination: Destination::new(args.output.as_ref()),
            engine,
            options: ScanOptions::try_from(&args.scan)?,
            fail_on: args.fail_on.severity(),
            no_color: args.no_color,
            threads: args.threads.filter(|n| *n > 0),
        })
    }
}

/// The exit code of a scan: [`exit::ERROR`] when a file could not be read
/// or parsed, else [`exit::FINDINGS`] when a reported finding is at or
/// above the gate, else [`exit::SUCCESS`].
pub(crate) fn exit_code(report: &Report, fail_on: Option<Severity>) -> i32 {
    if scan_errors(report) > 0 {
        exit::ERROR
    } else if failing_findings(report, fail_on) > 0 {
        exit::FINDINGS
    } else {
        exit::SUCCESS
    }
}

impl CheckArgs {
    pub(crate) fn execute(&self, console: &mut Console<'_>) -> Result<i32, CliError> {
        let config = CheckConfig::try_from(self)?;
        let show_progress = config.format == Format::Text && console.err_is_terminal;
        let label = format!("scanning {}", display_paths(&config.paths));
        // The engine is built on the scan's pool, side by side with finding
        // and reading the files.
        let (engine, report): (Engine, _) = progress::with_spinner(show_progress, &label, || {
            in_pool(config.threads, || config.engine.clone().build_and_scan(&config.paths, &config.options))
        })??;
        let paths = PathStyle::from_current_dir();
        let color = config.format == Format::Text
            && config.destination.is_stdout()
            && console.out_is_terminal
            && !config.no_color
            && !console.no_color_env;
        let code = exit_code(&report, config.fail_on);
        let written = config.destination.write_with(console.out, |w| match config.format {
            Format::Text => {
                let options = render::text::TextOptions { color, fail_on: config.fail_on };
                render::text::write(w, &report, &Sources::new(report.sources.clone()), &paths, &options)
            }
            Format::Json => render::json::write(w, &report, &paths),
            Format::Sarif => render::sarif::write(w, &report, engine.rules(), &paths),
        });
        verdict(written, code)
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().take(3).map(|p| p.display().to_string()).collect();
    let more = paths.len().saturating_sub(3);
    if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tollgate_core::Diagnostic;
    use tollgate_policy::{Finding, Summary, Zone};

    fn report(severities: &[Severity], errors: usize) -> Report {
        Report {
            version: "0".into(),
            findings: severities
                .iter()
                .map(|s| Finding {
                    rule_id: "X".into(),
                    severity: *s,
                    zone: Zone::A,
                    title: String::new(),
                    message: String::new(),
                    resource: String::new(),
                    file: String::new(),
                    line: 1,
                    end_line: 1,
                    call_sites: Vec::new(),
                })
                .collect(),
            errors: (0..errors).map(|_| Diagnostic::error(Arc::from("f.tf"), "parse", "bad")).collect(),
            summary: Summary::default(),
            rule_stats: Vec::new(),
            sources: Default::default(),
        }
    }

    #[test]
    fn exit_codes_follow_the_gate() {
        assert_eq!(exit_code(&report(&[], 0), Some(Severity::High)), exit::SUCCESS);
        assert_eq!(exit_code(&report(&[Severity::Medium], 0), Some(Severity::High)), exit::SUCCESS);
        assert_eq!(exit_code(&report(&[Severity::High], 0), Some(Severity::High)), exit::FINDINGS);
        assert_eq!(exit_code(&report(&[Severity::Critical], 0), Some(Severity::High)), exit::FINDINGS);
        assert_eq!(exit_code(&report(&[Severity::Critical], 0), None), exit::SUCCESS);
        assert_eq!(exit_code(&report(&[Severity::Info], 0), Some(Severity::Info)), exit::FINDINGS);
        // A scan error wins over findings.
        assert_eq!(exit_code(&report(&[Severity::Critical], 1), Some(Severity::High)), exit::ERROR);
        assert_eq!(exit_code(&report(&[], 1), None), exit::ERROR);
    }

    #[test]
    fn warnings_do_not_fail_the_scan() {
        let mut r = report(&[], 0);
        r.errors.push(Diagnostic::warning(Arc::from("t.yaml"), "duplicate-key", "duplicate key"));
        assert_eq!(exit_code(&r, Some(Severity::High)), exit::SUCCESS);
    }
}
