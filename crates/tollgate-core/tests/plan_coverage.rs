//! A Terraform plan and the configuration it was made from are one input:
//! the plan is scanned, the configuration only gives locations. (The
//! findings on the same fixtures: tollgate-policy's `tests/plan_findings.rs`.)

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use tollgate_core::graph::SourceKind;
use tollgate_core::{Diagnostic, DiagnosticLevel, ScanOptions, ScanOutput, scan_paths, scan_sources};

fn at_root() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::set_current_dir(&root).expect("workspace root");
}

fn units(out: &ScanOutput) -> Vec<(String, SourceKind)> {
    out.units.iter().map(|u| (u.root.to_string(), u.kind)).collect()
}

fn diagnostics(out: &ScanOutput) -> Vec<(String, DiagnosticLevel, &'static str, String)> {
    out.diagnostics.iter().map(|d: &Diagnostic| (d.file.to_string(), d.level, d.code, d.message.clone())).collect()
}

/// The directory holds `plan.json` and the `.tf` files it was made from:
/// one unit (the plan), and an info diagnostic for the covered root.
#[test]
fn directory_with_plan_and_configuration_is_one_unit() {
    at_root();
    let out = scan_paths(&[PathBuf::from("fixtures/plan")], &ScanOptions::default()).expect("scan");
    assert_eq!(units(&out), [("fixtures/plan/plan.json".to_string(), SourceKind::TerraformPlan)]);
    assert_eq!(
        diagnostics(&out),
        [(
            "fixtures/plan".to_string(),
            DiagnosticLevel::Info,
            "plan",
            "configuration covered by the plan fixtures/plan/plan.json: its resources are checked with the plan's values"
                .to_string()
        )]
    );
    assert_eq!(out.stats.units, 1);
}

/// A plan given alone reads the `.tf` files beside it for locations,
/// without `--config-dir`, and finds the same things at the same lines.
#[test]
fn plan_alone_reads_the_configuration_beside_it() {
    at_root();
    let out = scan_paths(&[PathBuf::from("fixtures/plan/plan.json")], &ScanOptions::default()).expect("scan");
    assert_eq!(units(&out), [("fixtures/plan/plan.json".to_string(), SourceKind::TerraformPlan)]);
    assert_eq!(diagnostics(&out), []);
    let admin = out.units[0].graph.resources.iter().find(|r| r.address == "aws_iam_policy.admin").expect("admin");
    assert_eq!((&*admin.loc.file, admin.loc.line, admin.loc.end_line), ("fixtures/plan/main.tf", 1, 7));
}

fn plan_json() -> String {
    serde_json::json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_security_group.sg", "mode": "managed", "type": "aws_security_group", "name": "sg",
            "values": {"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22, "protocol": "tcp"}]}
        }]}}
    })
    .to_string()
}

const MAIN_TF: &str = "resource \"aws_security_group\" \"sg\" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = \"tcp\"\n    cidr_blocks = [var.cidr]\n  }\n}\n\nvariable \"cidr\" {}\n";

#[test]
fn only_the_configuration_of_a_plan_is_covered() {
    let files = BTreeMap::from([
        (PathBuf::from("env/plan.json"), plan_json()),
        (PathBuf::from("env/main.tf"), MAIN_TF.to_string()),
        (PathBuf::from("other/main.tf"), MAIN_TF.to_string()),
    ]);
    let out = scan_sources(files, &ScanOptions::default()).expect("scan");
    assert_eq!(
        units(&out),
        [("env/plan.json".to_string(), SourceKind::TerraformPlan), ("other".to_string(), SourceKind::Terraform)]
    );
    assert_eq!(
        diagnostics(&out),
        [(
            "env".to_string(),
            DiagnosticLevel::Info,
            "plan",
            "configuration covered by the plan env/plan.json: its resources are checked with the plan's values"
                .to_string()
        )]
    );
    let sg = out.units[0].graph.resources.iter().find(|r| r.address == "aws_security_group.sg").expect("sg");
    assert_eq!((&*sg.loc.file, sg.loc.line, sg.loc.end_line), ("env/main.tf", 1, 8));
}

/// With `--config-dir`, the plan covers that directory wherever it is.
#[test]
fn config_dir_is_the_covered_configuration() {
    let files = BTreeMap::from([
        (PathBuf::from("plans/prod.json"), plan_json()),
        (PathBuf::from("cfg/main.tf"), MAIN_TF.to_string()),
    ]);
    let options = ScanOptions { config_dir: Some(PathBuf::from("cfg")), ..ScanOptions::default() };
    let out = scan_sources(files, &options).expect("scan");
    assert_eq!(units(&out), [("plans/prod.json".to_string(), SourceKind::TerraformPlan)]);
    assert_eq!(
        diagnostics(&out),
        [(
            "cfg".to_string(),
            DiagnosticLevel::Info,
            "plan",
            "configuration covered by the plan plans/prod.json: its resources are checked with the plan's values"
                .to_string()
        )]
    );
}

/// A plan that does not parse covers nothing: the configuration is
/// scanned on its own and the broken plan is reported.
#[test]
fn a_broken_plan_covers_nothing() {
    let broken = plan_json().replace("\"planned_values\":", "\"planned_values\"");
    let files =
        BTreeMap::from([(PathBuf::from("env/plan.json"), broken), (PathBuf::from("env/main.tf"), MAIN_TF.to_string())]);
    let out = scan_sources(files, &ScanOptions::default()).expect("scan");
    assert_eq!(units(&out), [("env".to_string(), SourceKind::Terraform)]);
    let d = diagnostics(&out);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].0.as_str(), d[0].1, d[0].2), ("env/plan.json", DiagnosticLevel::Error, "parse"));
}
