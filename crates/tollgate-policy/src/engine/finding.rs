//! The finding contract: a rule's `deny` set read into [`Finding`]s
//! (`{"msg": string, "loc": Location}`, optional `severity` and
//! `indeterminate`), and the check that a custom rule's findings point only
//! at files the scan read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tollgate_core::Diagnostic;
use tollgate_core::graph::CallSite;

use super::Engine;
use crate::report::Finding;
use crate::rule::{RuleMeta, Severity};

impl Engine {
    /// A custom rule's finding may only point at a file the scan read (the
    /// text report prints a snippet of it): one that names another file
    /// (`/etc/passwd`, a path outside the scanned tree) is dropped, and is
    /// an error of that rule. `files` are the scan's files when it read
    /// none from disk (a graph given as JSON), else `sources`' names.
    pub(super) fn confine_findings(
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
}

/// Every file a graph in its JSON form names (the `file` of its locations).
pub(super) fn graph_files(json: &str) -> BTreeSet<String> {
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

/// Reads the `deny` set of one rule into findings; returns a message per
/// malformed element (the well-formed ones are kept).
pub(super) fn collect_findings(meta: &RuleMeta, value: &regorus::Value, out: &mut Vec<Finding>) -> Vec<String> {
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
        Some(s) => s.as_str().and_then(Severity::from_name).ok_or_else(|| bad("unknown `severity`"))?,
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
