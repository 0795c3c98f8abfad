//! Graph-building budgets met by crafted input: a budget that runs out is a
//! located `limit` error (a truncated unit cannot pass the gate), and the
//! other units are complete.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use tollgate_core::{DiagnosticLevel, ScanOptions, scan_sources};

/// An IAM policy document with one statement per action list.
fn policy(statements: &[Vec<String>]) -> String {
    let statements: Vec<String> = statements
        .iter()
        .map(|actions| {
            let actions: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
            format!("{{\"Effect\": \"Allow\", \"Action\": [{}], \"Resource\": \"*\"}}", actions.join(", "))
        })
        .collect();
    format!("{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}", statements.join(",\n"))
}

#[test]
fn wildcards_past_the_expansion_budget_are_a_located_limit_error() {
    // 1,100 distinct wildcards in the first statement spend the unit's
    // budget; the second statement's `iam:*` is left unexpanded.
    let many: Vec<String> = (0..1100).map(|i| format!("s3:Get{i}*")).collect();
    let crafted = policy(&[many, vec!["iam:*".to_string()]]);
    let good = policy(&[vec!["iam:Pass*".to_string()]]);
    let files =
        BTreeMap::from([(PathBuf::from("crafted/policy.json"), crafted), (PathBuf::from("good/policy.json"), good)]);
    let out = scan_sources(files, &ScanOptions::default()).unwrap();
    let limits: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "limit").collect();
    assert_eq!(limits.len(), 1, "{:?}", out.diagnostics);
    let limit = limits.first().unwrap();
    assert_eq!((&*limit.file, limit.level), ("crafted/policy.json", DiagnosticLevel::Error));
    assert!(limit.message.contains("more than 1024 catalog expansions"), "{}", limit.message);
    assert!(limit.line.is_some());
    // The other unit is annotated in full.
    let good = out.units.iter().find(|u| &*u.root == "good/policy.json").unwrap();
    assert!(good.graph.policies.iter().flat_map(|p| &p.statements).all(|s| s.grants.is_some()));
}

#[test]
fn a_unit_within_the_budget_has_no_limit_diagnostic() {
    let some: Vec<String> = (0..100).map(|i| format!("s3:Get{i}*")).collect();
    let files = BTreeMap::from([(PathBuf::from("policy.json"), policy(&[some]))]);
    let out = scan_sources(files, &ScanOptions::default()).unwrap();
    assert!(out.diagnostics.iter().all(|d| d.code != "limit"), "{:?}", out.diagnostics);
}
