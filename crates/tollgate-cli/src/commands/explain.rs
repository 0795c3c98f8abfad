//! `tollgate explain ID`: a rule's description, remediation and references.
//! A custom rule file that fails to load is reported on stderr and left out
//! (exit 2).

use std::io::Write;

use clap::{Args, ValueEnum};
use tollgate_policy::RuleMeta;

use super::PolicyArgs;
use crate::Console;
use crate::error::CliError;
use crate::render::escape::{visible, visible_lines};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExplainFormat {
    Text,
    Json,
}

/// The raw flags of `tollgate explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// Rule id or alias, e.g. IAM001 (case-insensitive).
    #[arg(value_name = "ID")]
    id: String,
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
    #[command(flatten)]
    policy: PolicyArgs,
}

impl ExplainArgs {
    pub(crate) fn execute(&self, console: &mut Console<'_>) -> Result<i32, CliError> {
        let (engine, code) = self.policy.build_keep_going(console.err)?;
        let wanted = self.id.trim();
        // By id or alias, then case-insensitively.
        let found = engine.rule(wanted).or_else(|| engine.rules().iter().find(|r| r.id.eq_ignore_ascii_case(wanted)));
        let Some(rule) = found else {
            return Err(CliError::Usage(format!("unknown rule {wanted} (see `tollgate rules`)")));
        };
        match self.format {
            ExplainFormat::Text => write_text(console.out, rule)?,
            ExplainFormat::Json => {
                serde_json::to_writer_pretty(&mut *console.out, rule).map_err(std::io::Error::from)?;
                writeln!(console.out)?;
            }
        }
        Ok(code)
    }
}

fn write_text(w: &mut dyn Write, rule: &RuleMeta) -> std::io::Result<()> {
    writeln!(w, "{}: {}", visible(&rule.id), visible(&rule.title))?;
    write!(w, "severity: {}  zone: {}  source: {}", rule.severity.as_str(), rule.zone, visible(&rule.source))?;
    if rule.deprecated {
        write!(w, "  (deprecated)")?;
    }
    writeln!(w)?;
    if !rule.description.trim().is_empty() {
        writeln!(w, "\n{}", visible_lines(rule.description.trim()))?;
    }
    if !rule.remediation.trim().is_empty() {
        writeln!(w, "\nRemediation:\n{}", visible_lines(rule.remediation.trim()))?;
    }
    if !rule.references.is_empty() {
        writeln!(w, "\nReferences:")?;
        for reference in &rule.references {
            writeln!(w, "- {}", visible(reference))?;
        }
    }
    Ok(())
}
