//! The rule catalog as a terminal table, a markdown table (the README's
//! rule section is this output) and JSON.

use std::io::{self, Write};

use tollgate_policy::RuleMeta;

use super::escape::visible;

fn title(rule: &RuleMeta) -> String {
    let mut t = rule.title.clone();
    if rule.deprecated {
        t.push_str(" (deprecated)");
    }
    if rule.custom {
        t.push_str(&format!(" [{}]", rule.source));
    }
    t
}

pub(crate) fn write_text(w: &mut dyn Write, rules: &[RuleMeta]) -> io::Result<()> {
    let id_width = rules.iter().map(|r| r.id.chars().count()).max().unwrap_or(0).max(2);
    writeln!(w, "{:<id_width$}  {:<8}  {:<4}  TITLE", "ID", "SEVERITY", "ZONE")?;
    for rule in rules {
        writeln!(
            w,
            "{:<id_width$}  {:<8}  {:<4}  {}",
            visible(&rule.id),
            rule.severity.as_str(),
            rule.zone.to_string(),
            visible(&title(rule))
        )?;
    }
    Ok(())
}

/// Escapes what would break a markdown table cell.
fn cell(s: &str) -> String {
    visible(&s.replace('\\', "\\\\").replace('|', "\\|").replace('\n', " ")).into_owned()
}

/// The markdown table (no trailing blank line).
pub(crate) fn markdown(rules: &[RuleMeta]) -> String {
    let mut out = String::from("| ID | Severity | Zone | Title |\n|---|---|---|---|\n");
    for rule in rules {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&rule.id),
            rule.severity.as_str(),
            rule.zone,
            cell(&title(rule))
        ));
    }
    out
}

pub(crate) fn write_json(w: &mut dyn Write, rules: &[RuleMeta]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, rules).map_err(io::Error::from)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_policy::{Severity, Zone};

    fn rule(id: &str, title: &str) -> RuleMeta {
        RuleMeta {
            id: id.into(),
            title: title.into(),
            severity: Severity::High,
            zone: Zone::A,
            description: String::new(),
            remediation: String::new(),
            references: Vec::new(),
            aliases: Vec::new(),
            deprecated: false,
            custom: false,
            source: "policies/x.rego".into(),
        }
    }

    #[test]
    fn markdown_escapes_cells() {
        let md = markdown(&[rule("NET001", "a | b")]);
        assert_eq!(md, "| ID | Severity | Zone | Title |\n|---|---|---|---|\n| NET001 | high | A | a \\| b |\n");
    }

    #[test]
    fn text_table_aligns_columns() {
        let mut out = Vec::new();
        write_text(&mut out, &[rule("IAM001", "Wildcard action"), rule("S3001", "Public ACL")]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ID      SEVERITY  ZONE  TITLE\nIAM001  high      A     Wildcard action\nS3001   high      A     Public ACL\n"
        );
    }
}
