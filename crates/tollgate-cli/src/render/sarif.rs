//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//!
//! - every loaded rule is declared in `tool.driver.rules` with its title,
//!   description, help (text and markdown), default level, tags and
//!   `properties.security-severity` (GitHub's severity scale);
//! - each finding is a result with `ruleId`/`ruleIndex`, `level`, the file
//!   region, the resource as a logical location, module call sites as
//!   `relatedLocations`, and a `partialFingerprints` entry that survives
//!   line shifts (see [`fingerprint`]);
//! - scan errors are `toolExecutionNotifications`, and
//!   `executionSuccessful` is false when a file could not be read or parsed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, ReportingDescriptorReference,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};
use tollgate_core::DiagnosticLevel;
use tollgate_policy::{Finding, Report, RuleMeta, Severity};

use super::{scan_errors, sorted_errors, sorted_findings};
use crate::paths::PathStyle;

/// The `$schema` written into the log.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Key of our entry in `partialFingerprints`. Bump the suffix if the
/// fingerprint's inputs ever change.
pub(crate) const FINGERPRINT_KEY: &str = "tollgateFindingHash/v1";

/// GitHub's `security-severity` (0.0–10.0; ≥9 critical, ≥7 high, ≥4 medium).
pub(crate) fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn result_level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

/// FNV-1a, 64 bit: small, stable across platforms and releases (unlike
/// `std`'s hasher), which is all a fingerprint needs.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// A fingerprint of what a finding is, not where it is: rule id, file,
/// resource address and message; no line numbers, so editing lines above a
/// finding keeps its identity. `occurrence` (1-based) tells apart identical
/// findings of one resource, counted in report order.
pub(crate) fn fingerprint(finding: &Finding, file: &str, occurrence: usize) -> String {
    format!("{:016x}:{occurrence}", fnv1a(&[&finding.rule_id, file, &finding.resource, &finding.message]))
}

fn text(s: impl Into<String>) -> Message {
    Message { text: Some(s.into()), ..Message::default() }
}

fn physical(uri: String, line: u32, end_line: u32, column: Option<u32>) -> PhysicalLocation {
    let region = (line > 0).then(|| Region {
        start_line: Some(i64::from(line)),
        end_line: Some(i64::from(end_line.max(line))),
        start_column: column.filter(|c| *c > 0).map(i64::from),
        ..Region::default()
    });
    PhysicalLocation {
        artifact_location: Some(ArtifactLocation { uri: Some(uri), ..ArtifactLocation::default() }),
        region,
        ..PhysicalLocation::default()
    }
}

fn descriptor(rule: &RuleMeta) -> ReportingDescriptor {
    let mut help_text = rule.description.trim().to_string();
    let mut help_markdown = help_text.clone();
    if !rule.remediation.trim().is_empty() {
        help_text.push_str(&format!("\n\nRemediation: {}", rule.remediation.trim()));
        help_markdown.push_str(&format!("\n\n## Remediation\n\n{}", rule.remediation.trim()));
    }
    if !rule.references.is_empty() {
        help_text.push_str("\n\nReferences:");
        help_markdown.push_str("\n\n## References\n");
        for reference in &rule.references {
            help_text.push_str(&format!("\n- {reference}"));
            help_markdown.push_str(&format!("\n- <{reference}>"));
        }
    }
    let mut tags = vec![
        "security".to_string(),
        "least-privilege".to_string(),
        format!("severity-{}", rule.severity.as_str()),
        format!("zone-{}", rule.zone),
    ];
    if rule.deprecated {
        tags.push("deprecated".to_string());
    }
    if rule.custom {
        tags.push("custom".to_string());
    }
    let mut additional = BTreeMap::new();
    additional.insert("security-severity".to_string(), json!(security_severity(rule.severity)));
    additional.insert("severity".to_string(), json!(rule.severity.as_str()));
    additional.insert("zone".to_string(), json!(rule.zone.to_string()));
    let full = rule.description.trim();
    let mut descriptor = ReportingDescriptor::builder()
        .id(rule.id.clone())
        .short_description(message_string(rule.title.clone(), None))
        .full_description(message_string(if full.is_empty() { rule.title.clone() } else { full.to_string() }, None))
        .help(message_string(help_text, Some(help_markdown)))
        .default_configuration(ReportingConfiguration {
            level: Some(json!(result_level(rule.severity))),
            ..ReportingConfiguration::default()
        })
        .properties(PropertyBag { tags: Some(tags), additional_properties: additional })
        .build();
    descriptor.help_uri =
        rule.references.iter().find(|r| r.starts_with("https://") || r.starts_with("http://")).cloned();
    descriptor
}

fn message_string(text: String, markdown: Option<String>) -> MultiformatMessageString {
    let mut m = MultiformatMessageString::builder().text(text).build();
    m.markdown = markdown;
    m
}

/// The SARIF log of one scan; `rules` are the loaded rules (declared even
/// when they found nothing).
pub(crate) fn log(report: &Report, rules: &[RuleMeta], paths: &PathStyle) -> Sarif {
    let index: BTreeMap<&str, i64> =
        rules.iter().enumerate().map(|(i, r)| (r.id.as_str(), i64::try_from(i).unwrap_or(i64::MAX))).collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let results: Vec<SarifResult> = sorted_findings(report)
        .into_iter()
        .map(|f| {
            let file = paths.display(&f.file);
            let key = format!("{:016x}", fnv1a(&[&f.rule_id, &file, &f.resource, &f.message]));
            let occurrence = seen.entry(key).and_modify(|n| *n += 1).or_insert(1);
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert(FINGERPRINT_KEY.to_string(), fingerprint(f, &file, *occurrence));
            let related: Vec<Location> = f
                .call_sites
                .iter()
                .zip(1_i64..)
                .map(|(c, id)| Location {
                    id: Some(id),
                    physical_location: Some(physical(paths.uri(&c.file), c.line, c.end_line, None)),
                    message: Some(text(format!("`{}` is called here", c.module))),
                    ..Location::default()
                })
                .collect();
            let mut properties = BTreeMap::new();
            properties.insert("severity".to_string(), json!(f.severity.as_str()));
            properties.insert("zone".to_string(), json!(f.zone.to_string()));
            properties.insert("resource".to_string(), json!(f.resource));
            let mut result = SarifResult::builder()
                .rule_id(f.rule_id.clone())
                .level(result_level(f.severity))
                .message(text(format!("{}: {} (resource {})", f.title, f.message, f.resource)))
                .locations(vec![Location {
                    physical_location: Some(physical(paths.uri(&f.file), f.line, f.end_line, None)),
                    logical_locations: Some(vec![LogicalLocation {
                        fully_qualified_name: Some(f.resource.clone()),
                        kind: Some("resource".to_string()),
                        ..LogicalLocation::default()
                    }]),
                    ..Location::default()
                }])
                .partial_fingerprints(fingerprints)
                .properties(PropertyBag { tags: None, additional_properties: properties })
                .build();
            result.rule_index = index.get(f.rule_id.as_str()).copied();
            result.related_locations = (!related.is_empty()).then_some(related);
            result
        })
        .collect();
    let notifications: Vec<Notification> = sorted_errors(report)
        .into_iter()
        .map(|d| {
            Notification::builder()
                .level(json!(match d.level {
                    DiagnosticLevel::Error => "error",
                    DiagnosticLevel::Warning => "warning",
                    DiagnosticLevel::Info => "note",
                }))
                .message(text(d.message.clone()))
                .descriptor(ReportingDescriptorReference { id: Some(d.code.to_string()), ..Default::default() })
                .locations(vec![Location {
                    physical_location: Some(physical(
                        paths.uri(&d.file),
                        d.line.unwrap_or(0),
                        d.line.unwrap_or(0),
                        d.column,
                    )),
                    ..Location::default()
                }])
                .build()
        })
        .collect();
    let mut invocation = Invocation::builder().execution_successful(scan_errors(report) == 0).build();
    invocation.tool_execution_notifications = (!notifications.is_empty()).then_some(notifications);
    let driver = ToolComponent::builder()
        .name("tollgate")
        .version(report.version.clone())
        .semantic_version(report.version.clone())
        .rules(rules.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .build();
    Sarif::builder().schema(SCHEMA_URI).version(json!("2.1.0")).runs(vec![run]).build()
}

pub(crate) fn write(w: &mut dyn Write, report: &Report, rules: &[RuleMeta], paths: &PathStyle) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &log(report, rules, paths)).map_err(io::Error::from)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_policy::Zone;

    fn finding(line: u32) -> Finding {
        Finding {
            rule_id: "IAM001".into(),
            severity: Severity::Critical,
            zone: Zone::A,
            title: "t".into(),
            message: "Action \"*\"".into(),
            resource: "aws_iam_policy.admin".into(),
            file: "main.tf".into(),
            line,
            end_line: line + 2,
            call_sites: Vec::new(),
        }
    }

    #[test]
    fn fingerprint_ignores_lines_but_not_identity() {
        assert_eq!(fingerprint(&finding(3), "main.tf", 1), fingerprint(&finding(30), "main.tf", 1));
        assert_ne!(fingerprint(&finding(3), "main.tf", 1), fingerprint(&finding(3), "main.tf", 2));
        assert_ne!(fingerprint(&finding(3), "main.tf", 1), fingerprint(&finding(3), "other.tf", 1));
        let mut other = finding(3);
        other.resource = "aws_iam_policy.other".into();
        assert_ne!(fingerprint(&finding(3), "main.tf", 1), fingerprint(&other, "main.tf", 1));
        // Stable across releases: a changed value here breaks existing alerts.
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&["a"]), 0x089b_e207_b544_f1e4);
    }
}
