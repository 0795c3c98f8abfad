//! The `# METADATA` block of a rule file, read by tollgate itself (regorus
//! parses and drops these comments).
//!
//! The block is the run of `#` comment lines that starts with `# METADATA`;
//! its text, with the leading `#` and one space removed from each line, is
//! YAML:
//!
//! ```yaml
//! title: Wildcard action in an Allow statement
//! description: |
//!   ## What it flags
//!   …
//! related_resources:
//!   - https://docs.aws.amazon.com/…
//!   - ref: https://…
//!     description: optional text
//! custom:
//!   id: IAM001
//!   severity: critical        # critical | high | medium | low | info
//!   hazard_zone: A            # A | B | C
//!   remediation: Name the actions the principal needs.
//!   aliases: [AWS001]         # optional: older ids that select this rule too
//!   deprecated: false         # optional
//! ```
//!
//! Unknown fields anywhere in the block are rejected with the field's name
//! and line. `scope` (an OPA annotation) is accepted and ignored.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::error::Error;
use crate::rule::{RuleMeta, Severity, Zone};

/// The YAML text of the metadata block and the 1-based line of the file at
/// which that text starts, or `None` when the file has no block.
fn extract_block(source: &str) -> Option<(String, u32)> {
    let mut lines = source.lines().enumerate();
    let start = loop {
        let (i, line) = lines.next()?;
        let t = line.trim();
        if t.is_empty() || (t.starts_with('#') && t.trim_start_matches('#').trim() != "METADATA") {
            continue;
        }
        if t.starts_with('#') {
            break i;
        }
        return None;
    };
    let mut text = String::new();
    for (_, line) in lines {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix('#') else { break };
        text.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        text.push('\n');
    }
    Some((text, u32::try_from(start + 2).unwrap_or(u32::MAX)))
}

/// Reads the metadata block of `source` into a rule's metadata; `file`
/// names it in errors and becomes its `source`, `custom_rule` tells a `--policy`
/// rule from a bundled one. `Ok(None)`: the file has no block and is a
/// library module.
pub(crate) fn parse(file: &str, source: &str, custom_rule: bool) -> Result<Option<RuleMeta>, Error> {
    let Some((text, first_line)) = extract_block(source) else { return Ok(None) };
    let ctx = Ctx { file, first_line };
    let docs = MarkedYaml::load_from_str(&text).map_err(|e| Error::MetadataSyntax {
        file: file.to_string(),
        line: first_line + u32::try_from(e.marker().line()).unwrap_or(0).saturating_sub(1),
        message: e.info().to_string(),
    })?;
    let root = match docs.first() {
        Some(doc) => doc,
        None => return Err(ctx.missing("title")),
    };
    let YamlData::Mapping(map) = &root.data else {
        return Err(ctx.invalid(root, "METADATA", "expected a mapping of fields"));
    };

    let mut title = None;
    let mut description = None;
    let mut references = Vec::new();
    let mut custom = None;
    for (k, v) in map {
        let key = ctx.key(k)?;
        match key.as_str() {
            "title" => title = Some(ctx.string(v, "title")?),
            "description" => description = Some(ctx.string(v, "description")?),
            "related_resources" => references = ctx.references(v)?,
            "scope" => {
                ctx.string(v, "scope")?;
            }
            "custom" => custom = Some(v),
            _ => return Err(ctx.unknown(k, &key)),
        }
    }
    let title = title.ok_or_else(|| ctx.missing("title"))?;
    let description = description.ok_or_else(|| ctx.missing("description"))?;
    let custom = custom.ok_or_else(|| ctx.missing("custom"))?;
    let YamlData::Mapping(custom_map) = &custom.data else {
        return Err(ctx.invalid(custom, "custom", "expected a mapping"));
    };

    let mut id = None;
    let mut severity = None;
    let mut zone = None;
    let mut remediation = None;
    let mut aliases = Vec::new();
    let mut deprecated = false;
    for (k, v) in custom_map {
        let key = ctx.key(k)?;
        match key.as_str() {
            "id" => {
                let s = ctx.string(v, "custom.id")?;
                if !valid_id(&s) {
                    return Err(ctx.invalid(
                        v,
                        "custom.id",
                        "expected letters, digits and `_`, starting with a letter",
                    ));
                }
                id = Some(s);
            }
            "severity" => {
                let s = ctx.string(v, "custom.severity")?;
                severity = Some(Severity::from_name(&s).ok_or_else(|| {
                    ctx.invalid(v, "custom.severity", "expected critical, high, medium, low or info")
                })?);
            }
            "hazard_zone" => {
                let s = ctx.string(v, "custom.hazard_zone")?;
                zone = Some(match s.as_str() {
                    "A" => Zone::A,
                    "B" => Zone::B,
                    "C" => Zone::C,
                    _ => return Err(ctx.invalid(v, "custom.hazard_zone", "expected A, B or C")),
                });
            }
            "remediation" => remediation = Some(ctx.string(v, "custom.remediation")?),
            "aliases" => {
                let YamlData::Sequence(items) = &v.data else {
                    return Err(ctx.invalid(v, "custom.aliases", "expected a list of rule ids"));
                };
                for item in items {
                    let s = ctx.string(item, "custom.aliases")?;
                    if !valid_id(&s) {
                        return Err(ctx.invalid(item, "custom.aliases", "not a valid rule id"));
                    }
                    aliases.push(s);
                }
            }
            "deprecated" => {
                deprecated = match &v.data {
                    YamlData::Value(Scalar::Boolean(b)) => *b,
                    _ => return Err(ctx.invalid(v, "custom.deprecated", "expected true or false")),
                }
            }
            _ => return Err(ctx.unknown(k, &format!("custom.{key}"))),
        }
    }
    Ok(Some(RuleMeta {
        id: id.ok_or_else(|| ctx.missing("custom.id"))?,
        title,
        severity: severity.ok_or_else(|| ctx.missing("custom.severity"))?,
        zone: zone.ok_or_else(|| ctx.missing("custom.hazard_zone"))?,
        description,
        remediation: remediation.ok_or_else(|| ctx.missing("custom.remediation"))?,
        references,
        aliases,
        deprecated,
        custom: custom_rule,
        source: file.to_string(),
    }))
}

/// Rule ids: an ASCII letter, then letters, digits or `_` (a Rego identifier).
fn valid_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

struct Ctx<'a> {
    file: &'a str,
    first_line: u32,
}

impl Ctx<'_> {
    fn line(&self, node: &MarkedYaml<'_>) -> u32 {
        let l = u32::try_from(node.span.start.line()).unwrap_or(0);
        self.first_line + l.saturating_sub(1)
    }

    fn key(&self, k: &MarkedYaml<'_>) -> Result<String, Error> {
        match &k.data {
            YamlData::Value(Scalar::String(s)) => Ok(s.to_string()),
            _ => Err(self.invalid(k, "METADATA", "field names must be strings")),
        }
    }

    fn string(&self, v: &MarkedYaml<'_>, field: &str) -> Result<String, Error> {
        match &v.data {
            YamlData::Value(Scalar::String(s)) if !s.trim().is_empty() => Ok(s.to_string()),
            _ => Err(self.invalid(v, field, "expected a non-empty string")),
        }
    }

    fn references(&self, v: &MarkedYaml<'_>) -> Result<Vec<String>, Error> {
        let YamlData::Sequence(items) = &v.data else {
            return Err(self.invalid(v, "related_resources", "expected a list"));
        };
        let mut out = Vec::new();
        for item in items {
            match &item.data {
                YamlData::Mapping(m) => {
                    let mut reference = None;
                    for (k, v) in m {
                        let key = self.key(k)?;
                        match key.as_str() {
                            "ref" => reference = Some(self.string(v, "related_resources.ref")?),
                            "description" => {
                                self.string(v, "related_resources.description")?;
                            }
                            _ => return Err(self.unknown(k, &format!("related_resources.{key}"))),
                        }
                    }
                    out.push(reference.ok_or_else(|| self.missing("related_resources.ref"))?);
                }
                _ => out.push(self.string(item, "related_resources")?),
            }
        }
        Ok(out)
    }

    fn unknown(&self, k: &MarkedYaml<'_>, field: &str) -> Error {
        Error::UnknownMetadataField { file: self.file.to_string(), line: self.line(k), field: field.to_string() }
    }

    fn missing(&self, field: &str) -> Error {
        Error::MissingMetadataField { file: self.file.to_string(), field: field.to_string() }
    }

    fn invalid(&self, node: &MarkedYaml<'_>, field: &str, message: &str) -> Error {
        Error::InvalidMetadataField {
            file: self.file.to_string(),
            line: self.line(node),
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# a leading comment\n\n# METADATA\n# title: T\n# description: |\n#   ## What it flags\n#   x\n# related_resources:\n#   - https://example.com/a\n#   - ref: https://example.com/b\n#     description: b\n# custom:\n#   id: X001\n#   severity: high\n#   hazard_zone: B\n#   remediation: Fix it.\n#   aliases: [OLD1]\npackage p\n";

    #[test]
    fn reads_a_full_block() {
        let m = parse("r.rego", GOOD, true).unwrap().unwrap();
        assert_eq!(m.id, "X001");
        assert_eq!(m.title, "T");
        assert_eq!(m.description, "## What it flags\nx\n");
        assert_eq!(m.references, vec!["https://example.com/a", "https://example.com/b"]);
        assert_eq!(m.severity, Severity::High);
        assert_eq!(m.zone, Zone::B);
        assert_eq!(m.remediation, "Fix it.");
        assert_eq!(m.aliases, vec!["OLD1"]);
        assert!(!m.deprecated);
        assert!(m.custom);
        assert_eq!(m.source, "r.rego");
    }

    #[test]
    fn no_block_is_a_library() {
        assert_eq!(parse("lib.rego", "package lib\nx := 1\n", true).unwrap(), None);
    }

    #[test]
    fn unknown_top_level_field_is_named_with_its_line() {
        let src = GOOD.replace("# title: T\n", "# title: T\n# authors: [me]\n");
        match parse("r.rego", &src, true) {
            Err(Error::UnknownMetadataField { file, line, field }) => {
                assert_eq!((file.as_str(), line, field.as_str()), ("r.rego", 5, "authors"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unknown_custom_field_is_rejected() {
        let src = GOOD.replace("#   remediation: Fix it.\n", "#   remediation: Fix it.\n#   zone: A\n");
        match parse("r.rego", &src, true) {
            Err(Error::UnknownMetadataField { field, line, .. }) => {
                assert_eq!(field, "custom.zone");
                assert_eq!(line, 17);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_values_are_rejected() {
        let sev = GOOD.replace("severity: high", "severity: urgent");
        assert!(
            matches!(parse("r", &sev, true), Err(Error::InvalidMetadataField { field, .. }) if field == "custom.severity")
        );
        let zone = GOOD.replace("hazard_zone: B", "hazard_zone: D");
        assert!(
            matches!(parse("r", &zone, true), Err(Error::InvalidMetadataField { field, .. }) if field == "custom.hazard_zone")
        );
        let id = GOOD.replace("id: X001", "id: 1-bad");
        assert!(
            matches!(parse("r", &id, true), Err(Error::InvalidMetadataField { field, .. }) if field == "custom.id")
        );
        let missing = GOOD.replace("#   remediation: Fix it.\n", "");
        assert!(
            matches!(parse("r", &missing, true), Err(Error::MissingMetadataField { field, .. }) if field == "custom.remediation")
        );
        let syntax = GOOD.replace("# title: T\n", "# title: [T\n");
        assert!(matches!(parse("r", &syntax, true), Err(Error::MetadataSyntax { .. })));
    }
}
