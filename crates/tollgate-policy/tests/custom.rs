//! Custom rule directories: loading, metadata errors, the sandbox and the
//! time limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tollgate_policy::{Engine, Error, Severity};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/custom_rules").join(name)
}

const GRAPH: &str = r#"{
  "resources": [
    {"address": "aws_s3_bucket.a", "type": "aws_s3_bucket", "loc": {"address": "aws_s3_bucket.a", "file": "main.tf", "line": 1, "end_line": 3}},
    {"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "loc": {"address": "aws_s3_bucket.b", "file": "main.tf", "line": 5, "end_line": 7}}
  ],
  "policies": [], "attachments": [], "network_rules": [], "buckets": []
}"#;

#[test]
fn custom_rules_load_next_to_bundled_ones() {
    let bundled = Engine::builder().build().unwrap().rules().len();
    let engine = Engine::builder().policy_dir(dir("ok")).build().unwrap();
    assert_eq!(engine.rules().len(), bundled + 1);
    let rule = engine.rule("OK001").unwrap();
    assert!(rule.custom);
    assert_eq!(rule.severity, Severity::Info);
    assert!(rule.source.ends_with("tests/custom_rules/ok/OK001_every_resource.rego"));
    let report = engine.evaluate_graph_json(GRAPH, "g").unwrap();
    let got: Vec<(&str, &str, u32)> =
        report.findings.iter().map(|f| (f.rule_id.as_str(), f.message.as_str(), f.line)).collect();
    assert_eq!(got, vec![("OK001", "resource aws_s3_bucket.a", 1), ("OK001", "resource aws_s3_bucket.b", 5)]);
}

#[test]
fn unknown_metadata_field_names_file_and_field() {
    match Engine::builder().policy_dir(dir("bad_meta")).build() {
        Err(Error::UnknownMetadataField { file, line, field }) => {
            assert!(file.ends_with("bad_meta/BAD001_meta.rego"), "{file}");
            assert_eq!((line, field.as_str()), (9, "custom.owner"));
        }
        other => panic!("expected an unknown-field error, got {other:?}"),
    }
}

/// Rules cannot reach the network or the host: `http.send` and
/// `opa.runtime` (environment variables) are not compiled into regorus here,
/// so a rule calling them never produces a value: evaluating it is an error
/// of that rule. No regorus builtin reads files. Nor the clock: the `time.*`
/// builtins are left out too (findings must not depend on when a scan runs).
#[test]
fn network_runtime_and_clock_builtins_are_not_available() {
    for (dir_name, id, builtin) in
        [("http", "HTTP001", "http.send"), ("runtime", "RT001", "opa.runtime"), ("clock", "CLK001", "time.now_ns")]
    {
        let engine = match Engine::builder().without_bundled().policy_dir(dir(dir_name)).build() {
            Err(Error::RegoCompile { message, .. }) => {
                assert!(message.contains(builtin), "{message}");
                continue;
            }
            other => other.unwrap(),
        };
        let report = engine.evaluate_graph_json(GRAPH, "g").unwrap();
        assert!(report.findings.is_empty(), "{builtin}: {:?}", report.findings);
        assert_eq!(report.errors.len(), 1, "{builtin}: {:?}", report.errors);
        let message = &report.errors[0].message;
        assert!(message.starts_with(&format!("rule {id}: ")), "{message}");
        assert!(message.contains(builtin), "{message}");
    }
}

#[test]
fn a_looping_rule_is_stopped_and_reported_while_others_run() {
    let engine = Engine::builder()
        .without_bundled()
        .policy_dir(dir("looping"))
        .rule_time_limit(Duration::from_millis(300))
        .build()
        .unwrap();
    let t = Instant::now();
    let report = engine.evaluate_graph_json(GRAPH, "main").unwrap();
    assert!(t.elapsed() < Duration::from_secs(20), "took {:?}", t.elapsed());
    assert_eq!(report.findings.len(), 2, "{:?}", report.findings);
    assert!(report.findings.iter().all(|f| f.rule_id == "OK001"));
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert_eq!((&*e.file, e.code), ("main", "rule"));
    assert!(e.message.starts_with("rule LOOP001: "), "{}", e.message);
    let stat = report.rule_stats.iter().find(|s| s.rule_id == "LOOP001").unwrap();
    assert_eq!((stat.findings, stat.errors), (0, 1));
}

#[test]
fn rule_selection() {
    let engine = Engine::builder().only_rule("NET001").only_rule("S3004").build().unwrap();
    assert_eq!(engine.active_rules(), vec!["NET001", "S3004"]);
    let engine = Engine::builder().skip_rule("IAM001").build().unwrap();
    assert!(!engine.active_rules().contains(&"IAM001"));
    assert_eq!(engine.active_rules().len(), engine.rules().len() - 1);
    assert!(matches!(
        Engine::builder().only_rule("NOPE1").build(),
        Err(Error::UnknownRuleId { rule_id }) if rule_id == "NOPE1"
    ));
}

#[test]
fn min_severity_filters_and_summary_counts() {
    let mut files = BTreeMap::new();
    files.insert(
        PathBuf::from("p.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*", "s3:PutObject"], "Resource": "*"}]}"#
            .to_string(),
    );
    let both = || Engine::builder().only_rule("IAM001").only_rule("IAM003");
    let all = both().build().unwrap().scan_sources(files.clone(), &Default::default()).unwrap();
    let ids: Vec<&str> = all.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["IAM001", "IAM003"]);
    assert_eq!((all.summary.critical, all.summary.medium, all.summary.findings), (1, 1, 2));
    assert_eq!(all.summary.files_scanned, 1);
    assert!(all.sources.contains_key("p.json"));
    let high = both().min_severity(Severity::High).build().unwrap();
    let report = high.scan_sources(files, &Default::default()).unwrap();
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["IAM001"]);
    let stat = report.rule_stats.iter().find(|s| s.rule_id == "IAM003").unwrap();
    assert_eq!(stat.findings, 0);
}

/// A rule that builds an object of sets (`by_type[t] contains a`) gets
/// the grouping right (regorus' bytecode VM flattens such rules; custom
/// rules run in the interpreter).
#[test]
fn a_rule_grouping_into_sets_sees_the_groups() {
    let engine = Engine::builder().without_bundled().policy_dir(dir("grouped")).build().unwrap();
    let report = engine.evaluate_graph_json(GRAPH, "main").unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["aws_s3_bucket.a is one of 2 aws_s3_bucket resources", "aws_s3_bucket.b is one of 2 aws_s3_bucket resources"]
    );
}
