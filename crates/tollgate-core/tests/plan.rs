//! Terraform plan JSON (`terraform show -json`) into the graph.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tollgate_core::{ScanOptions, ScanOutput, graph::SourceKind, scan_paths};

/// Runs from the workspace root so that reported paths read `fixtures/…`.
fn scan(path: &str, options: &ScanOptions) -> ScanOutput {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::set_current_dir(&root).expect("workspace root");
    scan_paths(&[PathBuf::from(path)], options).expect("scan")
}

/// The plan unit only (scanning the directory also reads the `.tf` files as a module).
fn plan_view(out: &ScanOutput) -> Json {
    let units: Vec<_> = out.units.iter().filter(|u| u.kind == SourceKind::TerraformPlan).collect();
    assert_eq!(units.len(), 1);
    let g = &units[0].graph;
    let diagnostics: Vec<_> = out.diagnostics.iter().filter(|d| d.file.ends_with("plan.json")).collect();
    json!({"resources": g.resources, "edges": g.edges, "diagnostics": diagnostics})
}

fn resource<'a>(out: &'a ScanOutput, address: &str) -> &'a tollgate_core::graph::Resource {
    out.units
        .iter()
        .filter(|u| u.kind == SourceKind::TerraformPlan)
        .flat_map(|u| u.graph.resources.iter())
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("no resource {address}"))
}

#[test]
fn plan_with_configuration() {
    let out = scan("fixtures/plan", &ScanOptions::default());
    insta::assert_json_snapshot!("plan_with_configuration", plan_view(&out));
}

#[test]
fn plan_without_configuration_points_into_the_plan() {
    // Only the plan file is in the (in-memory) tree: no `.tf` files to read.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("fixtures/plan/plan.json")).expect("plan");
    let files = std::collections::BTreeMap::from([(PathBuf::from("fixtures/plan/plan.json"), text)]);
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).expect("scan");
    insta::assert_json_snapshot!("plan_without_configuration", plan_view(&out));
}

#[test]
fn config_dir_option_maps_back_to_blocks() {
    let options = ScanOptions { config_dir: Some(PathBuf::from("fixtures/plan")), ..ScanOptions::default() };
    let out = scan("fixtures/plan/plan.json", &options);
    let sg = resource(&out, r#"module.network["green"].aws_security_group.web["ssh"]"#);
    assert_eq!((&*sg.loc.file, sg.loc.line, sg.loc.end_line), ("fixtures/plan/modules/network/main.tf", 5, 15));
    let sites: Vec<(&str, &str, u32)> =
        sg.loc.call_sites.iter().map(|c| (c.module.as_str(), &*c.file, c.line)).collect();
    assert_eq!(sites, [(r#"module.network["green"]"#, "fixtures/plan/main.tf", 34)]);
    let rule = resource(&out, r#"module.network["blue"].module.rules[0].aws_security_group_rule.egress"#);
    assert_eq!((&*rule.loc.file, rule.loc.line), ("fixtures/plan/modules/network/modules/rules/main.tf", 9));
    let sites: Vec<(&str, &str, u32)> =
        rule.loc.call_sites.iter().map(|c| (c.module.as_str(), &*c.file, c.line)).collect();
    assert_eq!(
        sites,
        [
            (r#"module.network["blue"]"#, "fixtures/plan/main.tf", 34),
            (r#"module.network["blue"].module.rules[0]"#, "fixtures/plan/modules/network/main.tf", 17),
        ]
    );
    assert_eq!(rule.attributes.get("cidr_blocks").map(|v| v.to_json()), Some(json!(["10.0.0.0/16"])));
    let dynamic = resource(&out, "aws_iam_role_policy.dynamic");
    assert_eq!(
        dynamic.attributes.get("policy").map(|v| v.to_json()),
        Some(json!({"$unknown": "aws_iam_role_policy.dynamic.policy"}))
    );
    let admin = resource(&out, "aws_iam_policy.admin");
    assert!(admin.attributes.get("policy").and_then(|p| p.as_str()).is_some_and(|p| p.contains(r#""Action":"*""#)));
}

/// Downloaded modules are found through `.terraform/modules/modules.json`.
#[test]
fn registry_modules_via_manifest() {
    let plan = json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"child_modules": [{
            "address": "module.vpc",
            "resources": [{
                "address": "module.vpc.aws_security_group.this[0]", "mode": "managed",
                "type": "aws_security_group", "name": "this", "index": 0,
                "values": {"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": 22, "protocol": "tcp"}]}
            }]
        }]}},
        "configuration": {"root_module": {"module_calls": {"vpc": {"source": "terraform-aws-modules/vpc/aws", "module": {}}}}}
    });
    let files = std::collections::BTreeMap::from([
        (PathBuf::from("env/plan.json"), serde_json::to_string_pretty(&plan).unwrap()),
        (PathBuf::from("env/main.tf"), "terraform {}\n\nmodule \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n".to_string()),
        (
            PathBuf::from("env/.terraform/modules/modules.json"),
            r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"vpc","Source":"registry.terraform.io/terraform-aws-modules/vpc/aws","Version":"5.0.0","Dir":".terraform/modules/vpc"}]}"#.to_string(),
        ),
        (
            PathBuf::from("env/.terraform/modules/vpc/sg.tf"),
            "# security group\nresource \"aws_security_group\" \"this\" {\n  count = 1\n\n  ingress {\n    from_port = 22\n  }\n}\n".to_string(),
        ),
    ]);
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).unwrap();
    let r = resource(&out, "module.vpc.aws_security_group.this[0]");
    assert_eq!((&*r.loc.file, r.loc.line, r.loc.end_line), ("env/.terraform/modules/vpc/sg.tf", 2, 8));
    let sites: Vec<(&str, &str, u32, u32)> =
        r.loc.call_sites.iter().map(|c| (c.module.as_str(), &*c.file, c.line, c.end_line)).collect();
    assert_eq!(sites, [("module.vpc", "env/main.tf", 3, 5)]);
    let ingress = r.spans.get("ingress[0]").unwrap();
    assert_eq!((ingress.line, ingress.end_line), (5, 7));
}

/// `.tf.json` configuration gives locations too.
#[test]
fn json_configuration_gives_locations() {
    let plan = json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{
            "address": "aws_iam_policy.p", "mode": "managed", "type": "aws_iam_policy", "name": "p",
            "values": {"policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}
        }]}}
    });
    let tf_json = "{\n  \"resource\": {\n    \"aws_iam_policy\": {\n      \"p\": {\n        \"name\": \"p\",\n        \"policy\": \"${file(\\\"p.json\\\")}\"\n      }\n    }\n  }\n}\n";
    let files = std::collections::BTreeMap::from([
        (PathBuf::from("cfg/plan.json"), serde_json::to_string_pretty(&plan).unwrap()),
        (PathBuf::from("cfg/main.tf.json"), tf_json.to_string()),
    ]);
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).unwrap();
    let r = resource(&out, "aws_iam_policy.p");
    assert_eq!((&*r.loc.file, r.loc.line, r.loc.end_line), ("cfg/main.tf.json", 4, 7));
    let policy = r.spans.get("policy").unwrap();
    assert_eq!((policy.line, policy.end_line), (6, 6));
}
