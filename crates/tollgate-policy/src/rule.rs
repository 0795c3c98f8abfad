//! A rule's description: its metadata ([`RuleMeta`]), [`Severity`] and
//! [`Zone`]. The metadata is read from the `# METADATA` block of the rule's
//! `.rego` file by [`metadata`], straight into [`RuleMeta`].
//!
//! This module sits below the engine and the report: it imports neither.

use serde::{Deserialize, Serialize};

pub(crate) mod metadata;

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

impl Severity {
    /// The severity of a lowercase name (`critical`, `high`, `medium`,
    /// `low`, `info`), as written in metadata and findings.
    pub(crate) fn from_name(s: &str) -> Option<Severity> {
        match s {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    /// The lowercase name used in metadata and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    /// Parses `critical`, `high`, `medium`, `low` or `info` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::from_name(&s.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown severity `{s}`: expected critical, high, medium, low or info"))
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Zone::A => "A",
            Zone::B => "B",
            Zone::C => "C",
        })
    }
}
