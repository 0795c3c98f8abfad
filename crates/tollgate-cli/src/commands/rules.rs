//! `tollgate rules`: the loaded rule catalog. A custom rule file that fails
//! to load is reported on stderr and left out (exit 2).

use clap::{Args, ValueEnum};

use super::PolicyArgs;
use crate::Console;
use crate::error::CliError;
use crate::render::rules_table;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RulesFormat {
    /// A table: id, severity, zone, title.
    Text,
    /// The rules' metadata as JSON.
    Json,
    /// A markdown table (the README's rule section).
    Markdown,
}

/// The raw flags of `tollgate rules`.
#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    format: RulesFormat,
    #[command(flatten)]
    policy: PolicyArgs,
}

impl RulesArgs {
    pub(crate) fn execute(&self, console: &mut Console<'_>) -> Result<i32, CliError> {
        let (engine, code) = self.policy.build_keep_going(console.err)?;
        let rules = engine.rules();
        match self.format {
            RulesFormat::Text => rules_table::write_text(console.out, rules)?,
            RulesFormat::Json => rules_table::write_json(console.out, rules)?,
            RulesFormat::Markdown => console.out.write_all(rules_table::markdown(rules).as_bytes())?,
        }
        Ok(code)
    }
}
