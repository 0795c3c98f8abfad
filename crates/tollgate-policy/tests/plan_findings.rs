//! The findings on a Terraform plan and its configuration (the scan side,
//! one unit and the covered root: tollgate-core's `tests/plan_coverage.rs`):
//! the same findings at the same `.tf` lines whether the directory or the
//! plan file alone is scanned.

#![allow(clippy::expect_used)]

use std::path::PathBuf;

use tollgate_core::ScanOptions;
use tollgate_policy::Engine;

fn findings(path: &str) -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root");
    let engine = Engine::builder().build().expect("engine");
    let report = engine.scan(&[root.join(path)], &ScanOptions::default()).expect("scan");
    let prefix = format!("{}/", root.display());
    report
        .findings
        .iter()
        .map(|f| format!("{} {}:{} {}", f.rule_id, f.file.trim_start_matches(&prefix), f.line, f.resource))
        .collect()
}

const FINDINGS: [&str; 7] = [
    "IAM001 fixtures/plan/main.tf:5 aws_iam_policy.admin",
    "S3001 fixtures/plan/main.tf:29 aws_s3_bucket.logs[0]",
    "S3001 fixtures/plan/main.tf:29 aws_s3_bucket.logs[1]",
    "S3004 fixtures/plan/main.tf:29 aws_s3_bucket.logs[0]",
    "S3004 fixtures/plan/main.tf:29 aws_s3_bucket.logs[1]",
    r#"NET001 fixtures/plan/modules/network/main.tf:9 module.network["blue"].aws_security_group.web["ssh"]"#,
    r#"NET001 fixtures/plan/modules/network/main.tf:9 module.network["green"].aws_security_group.web["ssh"]"#,
];

#[test]
fn directory_with_plan_and_configuration() {
    assert_eq!(findings("fixtures/plan"), FINDINGS);
}

#[test]
fn plan_alone_with_the_configuration_beside_it() {
    assert_eq!(findings("fixtures/plan/plan.json"), FINDINGS);
}
