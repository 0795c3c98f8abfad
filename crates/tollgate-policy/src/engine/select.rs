//! Selection: which loaded rules a scan runs (`only_rule`, `skip_rule`,
//! deprecated rules) and which findings it keeps (`min_severity`).

use std::collections::BTreeSet;

use super::EngineBuilder;
use crate::error::Error;
use crate::report::Finding;
use crate::rule::{RuleMeta, Severity};

/// A selected rule: its index in `Engine::rules` and its `deny` path.
#[derive(Debug, Clone)]
pub(super) struct ActiveRule {
    pub(super) index: usize,
    pub(super) entrypoint: String,
    /// Where the rule runs in the VM: a program and its entry-point index;
    /// `None` runs it in the interpreter.
    pub(super) vm: Option<(usize, usize)>,
}

/// The rules a scan runs (`rules` sorted by id, each with its `deny`
/// path): every rule that is not deprecated, or those of `only_rule`, minus
/// those of `skip_rule`. Unknown ids are errors.
pub(super) fn select_active(rules: &[(RuleMeta, String)], b: &EngineBuilder) -> Result<Vec<ActiveRule>, Error> {
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

/// Drops the findings below `min` (all are kept without one).
pub(super) fn at_least(min: Option<Severity>, findings: &mut Vec<Finding>) {
    if let Some(min) = min {
        findings.retain(|f| f.severity >= min);
    }
}
