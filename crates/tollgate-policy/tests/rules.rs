//! The rule catalog against its fixtures: for every rule `<ID>`,
//! `fixtures/rules/<ID>/fire/*` must produce exactly the findings listed in
//! `fixtures/rules/<ID>/expected.json` and `silent/*` none; the full
//! findings (ids, spans, messages; paths relative to the rule directory) are
//! snapshotted as `snapshots/rules__<ID>.snap`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::json;
use tollgate_core::ScanOptions;
use tollgate_policy::{Engine, Finding, labels};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rules_dir() -> PathBuf {
    repo().join("fixtures/rules")
}

/// Files under `dir` (recursively), relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Runs the engine restricted to `id` over its fixture directory; returns
/// the findings with file paths relative to that directory.
fn run_rule(id: &str) -> Vec<Finding> {
    let dir = rules_dir().join(id);
    let engine = Engine::builder().only_rule(id).build().unwrap();
    let report = engine.scan(std::slice::from_ref(&dir), &ScanOptions::default()).unwrap();
    let marker = format!("fixtures/rules/{id}/");
    let relative = |p: &str| p.split_once(marker.as_str()).map_or(p.to_string(), |(_, rest)| rest.to_string());
    assert!(report.errors.is_empty(), "{id}: scan errors: {:#?}", report.errors);
    report
        .findings
        .into_iter()
        .map(|mut f| {
            f.file = relative(&f.file);
            // Raw policy files are addressed by their path.
            f.resource = relative(&f.resource);
            for c in &mut f.call_sites {
                c.file = relative(&c.file).into();
            }
            f
        })
        .collect()
}

fn check_rule(id: &str) {
    let findings = run_rule(id);
    for f in &findings {
        assert_eq!(f.rule_id, id);
        assert!(!f.file.starts_with("silent/"), "{id}: silent fixture fired: {f:#?}");
    }
    let got: BTreeSet<(String, String, u32, String)> =
        findings.iter().map(|f| (f.rule_id.clone(), f.file.clone(), f.line, f.resource.clone())).collect();
    if std::env::var_os("TOLLGATE_BLESS").is_some() {
        // Writes expected.json from the current findings: review the diff before committing.
        let rows: Vec<serde_json::Value> = got
            .iter()
            .map(|(rule_id, file, line, resource)| json!({"rule_id": rule_id, "file": file, "line": line, "resource": resource}))
            .collect();
        let text = serde_json::to_string_pretty(&rows).unwrap() + "\n";
        std::fs::write(rules_dir().join(id).join(labels::EXPECTED_FILE), text).unwrap();
    }
    let expected = labels::read(&rules_dir().join(id)).unwrap_or_else(|e| panic!("{id}: {e}"));
    let want: BTreeSet<(String, String, u32, String)> = expected
        .iter()
        .map(|e| {
            let (Some(line), Some(resource)) = (e.line, &e.resource) else {
                panic!("{id}: every label of a rule fixture names its line and resource: {e:?}");
            };
            (e.rule_id.clone(), e.file.clone(), line, resource.clone())
        })
        .collect();
    assert_eq!(got.len(), findings.len(), "{id}: two findings share rule, file, line and resource");
    assert_eq!(want.len(), expected.len(), "{id}: expected.json has duplicates");
    let missing: Vec<_> = want.difference(&got).collect();
    let unexpected: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && unexpected.is_empty(), "{id}: missing {missing:#?}\nunexpected {unexpected:#?}");

    let snapshot: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut v = json!({
                "rule_id": f.rule_id,
                "severity": f.severity,
                "zone": f.zone,
                "file": f.file,
                "line": f.line,
                "end_line": f.end_line,
                "resource": f.resource,
                "message": f.message,
            });
            if !f.call_sites.is_empty() {
                v["call_sites"] = json!(f.call_sites);
            }
            v
        })
        .collect();
    insta::assert_yaml_snapshot!(id, snapshot);
}

macro_rules! rule_tests {
    ($($id:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $id() {
                check_rule(stringify!($id));
            }
        )*

        const TESTED: &[&str] = &[$(stringify!($id)),*];
    };
}

rule_tests!(
    IAM001, IAM002, IAM003, IAM004, IAM005, IAM006, IAM007, IAM008, IAM009, NET001, NET002, S3001, S3002, S3003, S3004,
);

#[test]
fn every_rule_has_fire_and_silent_fixtures_and_a_test() {
    let engine = Engine::builder().build().unwrap();
    let ids: BTreeSet<String> = engine.rules().iter().map(|r| r.id.clone()).collect();
    let tested: BTreeSet<String> = TESTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(ids, tested, "rule_tests! must list every bundled rule");
    let dirs: BTreeSet<String> = std::fs::read_dir(rules_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ids, dirs, "fixtures/rules/<ID> must exist for exactly the bundled rules");
    for id in &ids {
        let dir = rules_dir().join(id);
        for kind in ["fire", "silent"] {
            assert!(!files_under(&dir.join(kind)).is_empty(), "{id}: no {kind} fixture");
        }
        assert!(dir.join("expected.json").is_file(), "{id}: no expected.json");
    }
}

#[test]
fn every_policy_file_is_bundled_and_named_for_its_rule() {
    let engine = Engine::builder().build().unwrap();
    let on_disk: Vec<String> = files_under(&repo().join("policies"))
        .into_iter()
        .filter(|f| f.ends_with(".rego"))
        .filter(|f| std::fs::read_to_string(repo().join("policies").join(f)).unwrap().contains("# METADATA"))
        .map(|f| format!("policies/{f}"))
        .collect();
    let mut loaded: Vec<String> = engine.rules().iter().map(|r| r.source.clone()).collect();
    loaded.sort();
    assert_eq!(on_disk, loaded);
    for r in engine.rules() {
        let name = Path::new(&r.source).file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(&format!("{}_", r.id)), "{} is in {}", r.id, r.source);
        let text = std::fs::read_to_string(repo().join(&r.source)).unwrap();
        assert!(text.contains(&format!("\npackage tollgate.rules.{}\n", r.id)), "{}: package", r.id);
    }
}

#[test]
fn every_bundled_rule_has_complete_metadata() {
    let engine = Engine::builder().build().unwrap();
    assert!(engine.rules().len() >= 13);
    let mut seen = BTreeSet::new();
    for r in engine.rules() {
        assert!(seen.insert(r.id.clone()), "duplicate id {}", r.id);
        for alias in &r.aliases {
            assert!(seen.insert(alias.clone()), "duplicate alias {alias}");
        }
        assert!(!r.custom && !r.deprecated, "{}", r.id);
        assert!(!r.title.is_empty() && !r.remediation.is_empty(), "{}", r.id);
        assert!(!r.references.is_empty(), "{}: no references", r.id);
        assert!(r.references.iter().all(|u| u.starts_with("https://")), "{}: references", r.id);
        for heading in ["## What it flags", "## Why it is risky", "## Example", "## Fix"] {
            assert!(r.description.contains(heading), "{}: description lacks {heading:?}", r.id);
        }
    }
}
