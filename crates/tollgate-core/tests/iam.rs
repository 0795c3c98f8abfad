//! Raw IAM policy JSON files (bare documents and AWS CLI wrappers) into the graph.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tollgate_core::{DiagnosticLevel, ScanOptions, ScanOutput, graph::SourceKind, scan_paths};

/// Runs from the workspace root so that reported paths read `fixtures/…`.
fn scan(path: &str) -> ScanOutput {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::set_current_dir(&root).expect("workspace root");
    scan_paths(&[PathBuf::from(path)], &ScanOptions::default()).expect("scan")
}

fn view(out: &ScanOutput) -> Json {
    let g = out.merged_graph();
    json!({
        "units": out.units.iter().map(|u| json!({"kind": u.kind, "root": u.root})).collect::<Vec<_>>(),
        "resources": g.resources,
        "edges": g.edges,
        "diagnostics": out.diagnostics,
    })
}

#[test]
fn iam_fixtures() {
    let out = scan("fixtures/iam");
    insta::assert_json_snapshot!("iam_fixtures", view(&out));
}

#[test]
fn every_policy_file_is_one_unit() {
    let out = scan("fixtures/iam");
    let roots: Vec<&str> = out.units.iter().map(|u| &*u.root).collect();
    assert_eq!(
        roots,
        [
            "fixtures/iam/duplicate-keys.json",
            "fixtures/iam/get-bucket-policy.json",
            "fixtures/iam/get-policy-version.json",
            "fixtures/iam/get-role-policy.json",
            "fixtures/iam/list.json",
            "fixtures/iam/single-object.json",
        ]
    );
    assert!(out.units.iter().all(|u| u.kind == SourceKind::IamJson && u.graph.resources.len() == 1));
    // package.json is not ours; the truncated policy is a located error.
    assert_eq!(out.stats.files_skipped, 1);
    let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Error).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!((&*errors[0].file, errors[0].code, errors[0].line), ("fixtures/iam/truncated.json", "parse", Some(5)));
}

#[test]
fn wrapped_documents_equal_bare_ones() {
    let out = scan("fixtures/iam/get-role-policy.json");
    let r = &out.units[0].graph.resources[0];
    assert_eq!(r.address, "fixtures/iam/get-role-policy.json");
    assert_eq!(
        r.attributes.to_json(),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]})
    );
    assert_eq!((r.loc.line, r.loc.end_line), (4, 13));
    let st = r.spans.get("Statement[0]").unwrap();
    assert_eq!((st.line, st.end_line), (7, 11));
}
