//! CloudFormation templates (YAML short and long forms, JSON) into the graph.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tollgate_core::{ScanOptions, ScanOutput, scan_paths};

/// Fixture paths relative to the workspace root (every test in this binary
/// runs from there, so reported paths read `fixtures/…`).
fn fixture(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::set_current_dir(&root).expect("workspace root");
    PathBuf::from("fixtures/cloudformation").join(name)
}

fn scan(name: &str, options: &ScanOptions) -> ScanOutput {
    scan_paths(&[fixture(name)], options).expect("scan")
}

/// Resources, edges and diagnostics: what the CloudFormation reader decides.
fn view(out: &ScanOutput) -> Json {
    let g = out.merged_graph();
    json!({
        "resources": g.resources,
        "edges": g.edges,
        "diagnostics": out.diagnostics,
    })
}

fn resource<'a>(out: &'a ScanOutput, address: &str) -> &'a tollgate_core::graph::Resource {
    out.units
        .iter()
        .flat_map(|u| u.graph.resources.iter())
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("no resource {address}"))
}

fn attr(out: &ScanOutput, address: &str) -> Json {
    resource(out, address).attributes.to_json()
}

#[test]
fn short_form_yaml() {
    let out = scan("short-form.yaml", &ScanOptions::default());
    insta::assert_json_snapshot!("cfn_short_form_yaml", view(&out));
}

#[test]
fn long_form_json() {
    let out = scan("long-form.json", &ScanOptions::default());
    insta::assert_json_snapshot!("cfn_long_form_json", view(&out));
}

#[test]
fn long_form_yaml() {
    let out = scan("long-form.yaml", &ScanOptions::default());
    insta::assert_json_snapshot!("cfn_long_form_yaml", view(&out));
}

#[test]
fn foreach_loops_expand() {
    let out = scan("foreach.yaml", &ScanOptions::default());
    insta::assert_json_snapshot!("cfn_foreach", view(&out));
}

#[test]
fn duplicate_keys_are_warnings() {
    let out = scan("duplicate-keys.yaml", &ScanOptions::default());
    insta::assert_json_snapshot!("cfn_duplicate_keys", view(&out));
}

#[test]
fn condition_cycles_are_reported() {
    let out = scan("condition-cycle.yaml", &ScanOptions::default());
    insta::assert_json_snapshot!("cfn_condition_cycle", view(&out));
}

#[test]
fn non_templates_are_skipped() {
    let out = scan("not-a-template.yaml", &ScanOptions::default());
    assert!(out.units.is_empty());
    assert!(out.diagnostics.is_empty());
    assert_eq!(out.stats.files_skipped, 1);
}

#[test]
fn broken_template_is_a_located_error() {
    let out = scan("broken.yaml", &ScanOptions::default());
    assert!(out.units.is_empty());
    assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    let d = &out.diagnostics[0];
    assert_eq!((&*d.file, d.code), ("fixtures/cloudformation/broken.yaml", "parse"));
    assert!(d.line.is_some_and(|l| l >= 5) && d.column.is_some(), "{d:?}");
}

#[test]
fn params_override_defaults_and_pseudo_parameters() {
    let options = ScanOptions {
        params: BTreeMap::from([
            ("Env".to_string(), "dev".to_string()),
            ("AWS::Region".to_string(), "us-east-1".to_string()),
            ("AWS::AccountId".to_string(), "111122223333".to_string()),
            ("BucketName".to_string(), "my-bucket".to_string()),
        ]),
        ..ScanOptions::default()
    };
    let out = scan("short-form.yaml", &options);
    let bucket = attr(&out, "Bucket");
    assert_eq!(bucket["BucketName"], json!("my-bucket"));
    assert_eq!(bucket["AccessControl"], json!("PublicRead"));
    assert_eq!(
        bucket["Tags"],
        json!([{"Key": "env", "Value": "dev-us-east-1"}, {"Key": "region", "Value": "primary"}])
    );
    let policy = attr(&out, "BucketPolicy");
    let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[0]["Action"], json!(["s3:*"]));
    assert_eq!(statements[1]["Resource"], json!({"$unknown": "Bucket.Arn"}));
    // Env=dev: ProdInUsEast1 is false, so AdminPolicy is dropped and DevOnlyTopic kept.
    assert!(out.units[0].graph.resources.iter().all(|r| r.address != "AdminPolicy"));
    assert_eq!(resource(&out, "DevOnlyTopic").resource_type, "AWS::SNS::Topic");
    assert_eq!(attr(&out, "Role")["ManagedPolicyArns"], json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"]));
}

#[test]
fn yaml_and_json_forms_agree() {
    let dir = std::env::temp_dir().join(format!("tollgate-cfn-forms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = "Resources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: !Sub '${AWS::Partition}-x'\n      Roles: [!Ref Role]\n      PolicyDocument:\n        Statement: [{Effect: Allow, Action: 's3:*', Resource: !GetAtt Role.Arn}]\n  Role:\n    Type: AWS::IAM::Role\n";
    let json = r#"{"Resources": {"R": {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": {"Fn::Sub": "${AWS::Partition}-x"}, "Roles": [{"Ref": "Role"}],
        "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::GetAtt": ["Role", "Arn"]}}]}}},
        "Role": {"Type": "AWS::IAM::Role"}}}"#;
    std::fs::write(dir.join("t.yaml"), yaml).unwrap();
    std::fs::write(dir.join("t.json"), json).unwrap();
    let y = scan_paths(&[dir.join("t.yaml")], &ScanOptions::default()).unwrap();
    let j = scan_paths(&[dir.join("t.json")], &ScanOptions::default()).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let (gy, gj) = (y.merged_graph(), j.merged_graph());
    assert_eq!(gy.resources.len(), 2);
    for (a, b) in gy.resources.iter().zip(&gj.resources) {
        assert_eq!(a.address, b.address);
        assert_eq!(a.attributes, b.attributes);
    }
    assert_eq!(gy.edges, gj.edges);
    assert_eq!(
        gy.resources.iter().find(|r| r.address == "R").unwrap().attributes.to_json(),
        json!({"PolicyName": "aws-x", "Roles": [{"$unknown": "Role"}],
               "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": {"$unknown": "Role.Arn"}}]}})
    );
    assert!(y.diagnostics.is_empty() && j.diagnostics.is_empty());
}

/// Hostile and broken input: one located diagnostic per file, never a panic.
#[test]
fn hostile_input_gives_diagnostics() {
    let deep_json = format!("{{\"Resources\": {}{}}}", "[".repeat(200_000), "]".repeat(200_000));
    let deep_yaml = format!("AWSTemplateFormatVersion: x\nResources: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
    let mut deep_block = String::from("AWSTemplateFormatVersion: x\nResources:\n");
    for i in 1..400 {
        deep_block.push_str(&" ".repeat(i));
        deep_block.push_str("k:\n");
    }
    let mut bomb = String::from("AWSTemplateFormatVersion: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 9].join(", ")));
    }
    let files = std::collections::BTreeMap::from([
        (PathBuf::from("deep.json"), deep_json),
        (PathBuf::from("deep.yaml"), deep_yaml),
        (PathBuf::from("deep-block.yaml"), deep_block),
        (PathBuf::from("bomb.yaml"), bomb),
        (
            PathBuf::from("truncated.json"),
            "{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {\"A\": {\"Type\"".into(),
        ),
        (
            PathBuf::from("truncated.yaml"),
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: 'AWS::S3::Bucket\n".into(),
        ),
        (PathBuf::from("k8s.yaml"), "apiVersion: v1\nkind: List\nResources: [a, b]\n".into()),
        (PathBuf::from("empty.yaml"), "Resources:\n".into()),
        (PathBuf::from("scalar.yaml"), "Resources".into()),
        (PathBuf::from("helm.yaml"), "Resources: {{ .Values.resources }}\n  bad: [\n".into()),
    ]);
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).unwrap();
    let got: Vec<(&str, &str, bool)> =
        out.diagnostics.iter().map(|d| (&*d.file, d.code, d.line.is_some() && d.column.is_some())).collect();
    assert_eq!(
        got,
        [
            ("bomb.yaml", "limit", true),
            ("deep-block.yaml", "limit", true),
            ("deep.json", "limit", true),
            ("deep.yaml", "limit", true),
            ("truncated.json", "parse", true),
            ("truncated.yaml", "parse", true),
        ]
    );
    assert!(out.units.is_empty());
    assert_eq!(out.stats.files_failed, 6);
}

/// Loops over a huge collection stop at the expansion limit.
#[test]
fn foreach_expansion_is_bounded() {
    let body: String = (0..200).map(|i| format!("            P{i}: {i}\n")).collect();
    let template = format!(
        "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Many:\n    - N\n    - !Split [',', '{}']\n    - R${{N}}:\n        Type: AWS::SNS::Topic\n        Properties:\n          Tags:\n{body}",
        (0..5_000).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
    );
    let files = std::collections::BTreeMap::from([(PathBuf::from("many.yaml"), template)]);
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).unwrap();
    let limits: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "limit").collect();
    assert_eq!(limits.len(), 1, "{:?}", out.diagnostics);
    let n = out.units[0].graph.resources.len();
    assert!(n > 1000 && n < 10_000, "{n}");
}

/// Deeply nested intrinsic functions evaluate without exhausting the stack.
#[test]
fn deeply_nested_intrinsics_evaluate() {
    // Five nesting levels per step: 4 + 5 * 24 = 124, just under the JSON limit.
    let depth = 24;
    let mut value = String::from("leaf");
    for _ in 0..depth {
        value = format!("{{\"Fn::If\": [\"Unknown\", {{\"Fn::Join\": [\"\", [{value}]]}}, \"other\"]}}");
    }
    let value = value.replace("[leaf]", "[\"leaf\"]");
    let template = format!(
        "{{\"Parameters\": {{\"P\": {{\"Type\": \"String\"}}}},
          \"Conditions\": {{\"Unknown\": {{\"Fn::Equals\": [{{\"Ref\": \"P\"}}, \"x\"]}}}},
          \"Resources\": {{\"R\": {{\"Type\": \"AWS::SNS::Topic\", \"Properties\": {{\"DisplayName\": {value}}}}}}}}}"
    );
    let files = std::collections::BTreeMap::from([(PathBuf::from("nested.json"), template)]);
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).unwrap();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let r = &out.units[0].graph.resources[0];
    assert_eq!(r.attributes.to_json(), json!({"DisplayName": {"$unknown": "Fn::If Unknown"}}));
}

/// Short-form tags add a level per YAML level; the deepest accepted YAML
/// still evaluates.
#[test]
fn deepest_yaml_intrinsics_evaluate() {
    let mut value = String::from("a");
    for _ in 0..60 {
        value = format!("!Select [0, [{value}]]");
    }
    let mut nested_if = String::from("x");
    for _ in 0..120 {
        nested_if = format!("!If [U, {nested_if}, y]");
    }
    let template = format!(
        "Parameters: {{P: {{Type: String}}}}\nConditions: {{U: !Equals [!Ref P, x]}}\nResources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: {value}\n      Other: {nested_if}\n"
    );
    let files = std::collections::BTreeMap::from([(PathBuf::from("deep.yaml"), template)]);
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).unwrap();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let r = &out.units[0].graph.resources[0];
    assert_eq!(r.attributes.to_json(), json!({"DisplayName": "a", "Other": {"$unknown": "Fn::If U"}}));
}
