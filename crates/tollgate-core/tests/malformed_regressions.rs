//! Regression tests for inputs that crashed, hung or exhausted memory (found
//! by fuzzing or by review; each test names the cause). Each
//! input is scanned in memory and must finish quickly with a diagnostic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tollgate_core::{Diagnostic, ScanOptions, ScanOutput, scan_sources};

fn scan_one(name: &str, text: &str) -> ScanOutput {
    scan_with(name, text, &ScanOptions::default())
}

fn scan_with(name: &str, text: &str, options: &ScanOptions) -> ScanOutput {
    let files = BTreeMap::from([(PathBuf::from(name), text.to_string())]);
    let started = Instant::now();
    let out = scan_sources(files, options).unwrap();
    assert!(started.elapsed() < Duration::from_secs(60), "{name} took {:?}", started.elapsed());
    out
}

fn codes(out: &ScanOutput) -> Vec<(&'static str, Option<u32>)> {
    out.diagnostics.iter().map(|d: &Diagnostic| (d.code, d.line)).collect()
}

/// The value of `local.x` as the unit's only resource attribute `v`.
fn local_value(expr: &str) -> String {
    format!("locals {{\n  x = {expr}\n}}\n\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket = local.x\n}}\n")
}

/// `indent` repeated its padding without a bound: an allocation abort.
#[test]
fn indent_with_a_huge_width() {
    let out = scan_one("main.tf", &local_value("indent(1e15, \"a\\nb\")"));
    assert_eq!(codes(&out), [("eval", Some(2))]);
}

/// `format` padded to any width: an allocation abort.
#[test]
fn format_with_a_huge_width() {
    let out = scan_one("main.tf", &local_value("format(\"%999999999999d\", 1)"));
    assert_eq!(codes(&out), [("eval", Some(2))]);
}

/// `format` printed any precision: an allocation abort.
#[test]
fn format_with_a_huge_precision() {
    let out = scan_one("main.tf", &local_value("format(\"%.999999999999f\", 1)"));
    assert_eq!(codes(&out), [("eval", Some(2))]);
}

fn scan_tree(files: &[(&str, &str)]) -> ScanOutput {
    let files = files.iter().map(|(p, t)| (PathBuf::from(p), t.to_string())).collect();
    let started = Instant::now();
    let out = scan_sources(files, &ScanOptions::default()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
    out
}

/// Nested modules with `count` multiply: 4096 × 4096 × 4096 instances from
/// three tiny files grew past 12 GB before the unit-wide instance limit.
#[test]
fn nested_module_counts_are_bounded() {
    let out = scan_tree(&[
        ("main.tf", "module \"a\" {\n  count  = 4096\n  source = \"./a\"\n}\n"),
        ("a/main.tf", "module \"b\" {\n  count  = 4096\n  source = \"../b\"\n}\n"),
        ("b/main.tf", "resource \"aws_s3_bucket\" \"x\" {\n  count  = 4096\n  bucket = \"b-${count.index}\"\n}\n"),
    ]);
    let limits: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "limit").map(|d| (&*d.file, d.line)).collect();
    assert_eq!(limits, [("b/main.tf", Some(2))], "{:?}", out.diagnostics);
    let resources: usize = out.units.iter().map(|u| u.graph.resources.len()).sum();
    assert!(resources < 65_536, "{resources} resources");
}

/// 1024 × 1024 × 1024 iterations: stopped by the step budget.
const CUBE: &str = "[for a in range(1024) : [for b in range(1024) : [for c in range(1024) : \"${a}${b}${c}\"]]]";

#[test]
fn nested_for_loops_stop_at_the_step_budget() {
    let options = ScanOptions { max_eval_steps: 20_000, ..ScanOptions::default() };
    let out = scan_with("main.tf", &local_value(CUBE), &options);
    let limits: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "limit").map(|d| d.message.as_str()).collect();
    assert_eq!(
        limits,
        [
            "evaluation stopped at more than 20000 evaluation steps in one unit; the rest is unknown",
            "1 resource instance(s) in this file were evaluated after the unit's evaluation budget ran out; their values are unknown"
        ]
    );
}

#[test]
fn nested_for_loops_stop_at_the_time_limit() {
    let options = ScanOptions { file_time_limit: Duration::from_millis(200), ..ScanOptions::default() };
    let started = Instant::now();
    let out = scan_with("main.tf", &local_value(CUBE), &options);
    let limits: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "limit").map(|d| d.message.as_str()).collect();
    assert_eq!(
        limits,
        [
            "evaluation stopped at the time limit of 0.2 s for one unit; the rest is unknown",
            "1 resource instance(s) in this file were evaluated after the unit's evaluation budget ran out; their values are unknown"
        ]
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}

/// Resources that depend on each other: CloudFormation rejects the template.
#[test]
fn cloudformation_dependency_cycles_are_reported_once() {
    let text = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !GetAtt B.TopicName\n  B:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref A\n  C:\n    Type: AWS::SNS::Topic\n    DependsOn: C\n  D:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref A\n";
    let out = scan_one("template.yaml", text);
    let cycles: Vec<_> =
        out.diagnostics.iter().filter(|d| d.code == "cycle").map(|d| (d.line, d.message.as_str())).collect();
    assert_eq!(
        cycles,
        [
            (
                Some(3),
                "circular dependency between resources A, B (through Ref, Fn::GetAtt, Fn::Sub or DependsOn); CloudFormation rejects this template"
            ),
            (
                Some(11),
                "circular dependency between resources C (through Ref, Fn::GetAtt, Fn::Sub or DependsOn); CloudFormation rejects this template"
            ),
        ]
    );
}

/// The IAM action summaries (graph grants) of a policy with many distinct
/// wildcard patterns took minutes (1,000 patterns, 18 KB of JSON); the
/// expansions per unit are now bounded (`MAX_WILDCARD_EXPANSIONS`).
#[test]
fn many_wildcard_patterns_are_bounded() {
    let stmts: Vec<String> = (0..20)
        .map(|i| {
            let actions: Vec<String> = (0..50)
                .map(|j| format!("\"*{}{}*\"", (b'a' + (i % 26) as u8) as char, (b'a' + (j % 26) as u8) as char))
                .collect();
            format!("{{\"Effect\": \"Allow\", \"Action\": [{}], \"Resource\": \"*\"}}", actions.join(", "))
        })
        .collect();
    let text = format!("{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}", stmts.join(", "));
    let started = Instant::now();
    let _ = scan_one("policy.json", &text);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}
