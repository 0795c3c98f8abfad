//! `dynamic` blocks in Terraform's JSON syntax give the same resources as
//! the same configuration in native syntax.

#![allow(clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tollgate_core::{ScanOptions, ScanOutput, scan_paths};

fn scan(path: &str) -> ScanOutput {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::set_current_dir(&root).expect("workspace root");
    scan_paths(&[PathBuf::from(path)], &ScanOptions::default()).expect("scan")
}

/// Each resource without its source locations (which differ by syntax).
fn resources(out: &ScanOutput) -> Vec<Json> {
    assert_eq!(out.units.len(), 1);
    out.units[0]
        .graph
        .resources
        .iter()
        .map(|r| json!({"address": r.address, "type": r.resource_type, "mode": r.mode, "attributes": r.attributes}))
        .collect()
}

#[test]
fn json_dynamic_blocks_equal_native_ones() {
    let hcl = scan("fixtures/terraform/dynamic-json/hcl");
    let tf_json = scan("fixtures/terraform/dynamic-json/json");
    assert_eq!(hcl.diagnostics, []);
    assert_eq!(tf_json.diagnostics, []);
    assert_eq!(resources(&tf_json), resources(&hcl));
    assert_eq!(
        resources(&tf_json),
        [
            json!({"address": "aws_security_group.sg", "type": "aws_security_group", "mode": "managed", "attributes": {
                "name": "dyn",
                "ingress": [
                    {"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
                    {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]},
                    {"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}
                ],
                "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "description": "all"}],
                "tags": {"dynamic": "not a block"}
            }}),
            json!({"address": "aws_security_group.unknown", "type": "aws_security_group", "mode": "managed", "attributes": {
                "name": "unknown",
                "ingress": {"$unknown": "dynamic \"ingress\" over var.unknown_rules"}
            }}),
            json!({"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "mode": "managed", "attributes": {
                "bucket": "nested",
                "lifecycle_rule": [
                    {"id": "logs", "enabled": true, "expiration": [{"days": 7}, {"days": 30}]},
                    {"id": "tmp", "enabled": true, "expiration": [{"days": 1}]}
                ]
            }}),
        ]
    );
}

/// Spans of the JSON file point at the JSON lines of each generated block.
#[test]
fn json_dynamic_blocks_point_at_their_content() {
    let out = scan("fixtures/terraform/dynamic-json/json");
    let sg = out.units[0].graph.resources.iter().find(|r| r.address == "aws_security_group.sg").expect("sg");
    let span = |p: &str| sg.spans.get(p).map(|r| (r.line, r.end_line));
    assert_eq!(span("ingress[0]"), Some((15, 20)));
    assert_eq!(span("ingress[1]"), Some((24, 29)));
    assert_eq!(span("ingress[2]"), Some((24, 29)));
    assert_eq!(span("egress[0]"), Some((35, 40)));
    assert_eq!(span("ingress[1].cidr_blocks"), Some((28, 28)));
}
