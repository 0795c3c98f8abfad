//! Terraform configuration (HCL and JSON, variables, modules) into the graph.

// Test helpers fail the test on bad fixtures.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tollgate_core::{ScanOptions, ScanOutput, scan_paths};

/// Fixture paths relative to the workspace root (every test in this binary
/// runs from there, so reported paths read `fixtures/…`).
fn fixture(path: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::set_current_dir(&root).expect("workspace root");
    PathBuf::from("fixtures").join(path)
}

fn scan(path: &str) -> ScanOutput {
    scan_with(path, &ScanOptions::default())
}

fn scan_with(path: &str, options: &ScanOptions) -> ScanOutput {
    scan_paths(&[fixture(path)], options).expect("scan")
}

/// Resources, edges and diagnostics: what the Terraform reader decides.
fn view(out: &ScanOutput) -> Json {
    let mut resources = Vec::new();
    let mut edges = Vec::new();
    for u in &out.units {
        resources.extend(u.graph.resources.iter().map(|r| json!({"unit": u.root, "resource": r})));
        edges.extend(u.graph.edges.iter().cloned());
    }
    json!({ "resources": resources, "edges": edges, "diagnostics": out.diagnostics })
}

fn resource<'a>(out: &'a ScanOutput, address: &str) -> &'a tollgate_core::graph::Resource {
    out.units
        .iter()
        .flat_map(|u| u.graph.resources.iter())
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("no resource {address}"))
}

fn attr(out: &ScanOutput, address: &str, name: &str) -> Json {
    resource(out, address).attributes.to_json().get(name).cloned().unwrap_or(Json::Null)
}

fn edges(out: &ScanOutput) -> Vec<(String, String, String)> {
    out.units
        .iter()
        .flat_map(|u| u.graph.edges.iter())
        .map(|e| (e.from.clone(), e.to.clone(), e.attribute.clone()))
        .collect()
}

fn edge(from: &str, to: &str, attribute: &str) -> (String, String, String) {
    (from.to_string(), to.to_string(), attribute.to_string())
}

macro_rules! snapshot_case {
    ($name:ident, $path:expr) => {
        #[test]
        fn $name() {
            let out = scan($path);
            insta::assert_json_snapshot!(concat!("terraform_", stringify!($name)), view(&out));
        }
    };
}

snapshot_case!(basics, "terraform/basics");
snapshot_case!(expansion, "terraform/expansion");
snapshot_case!(dynamic_blocks, "terraform/dynamic");
snapshot_case!(policies, "terraform/policies");
snapshot_case!(templates_and_functions, "terraform/templates");
snapshot_case!(policy_document, "terraform/policy-document");
snapshot_case!(locals_cycle, "terraform/locals-cycle");
snapshot_case!(tfvars_precedence, "terraform/tfvars");
snapshot_case!(network, "terraform/network");
snapshot_case!(buckets, "terraform/buckets");
snapshot_case!(tf_json, "terraform/tfjson");
snapshot_case!(broken_file, "terraform/broken");
snapshot_case!(module_siblings, "modules/siblings");
snapshot_case!(module_for_each, "modules/for-each");
snapshot_case!(module_nested, "modules/nested");
snapshot_case!(module_registry, "modules/registry");
snapshot_case!(module_cycle, "modules/cycle");
snapshot_case!(module_example_caller, "modules/example-caller");

#[test]
fn var_file_overrides_auto_loaded_files() {
    let options =
        ScanOptions { var_files: vec![fixture("terraform/tfvars-extra/prod.tfvars")], ..ScanOptions::default() };
    let out = scan_with("terraform/tfvars", &options);
    assert_eq!(attr(&out, "aws_s3_bucket.b", "bucket"), json!("tfvars-a/tfvars-json-b/auto-b-c/var-file-d"));
    assert_eq!(attr(&out, "aws_s3_bucket.b", "tags"), json!({"e": "var-file-e"}));
}

#[test]
fn sibling_module_calls_do_not_share_values() {
    let out = scan("modules/siblings");
    let web = resource(&out, "module.web_sg.aws_security_group.this");
    let db = resource(&out, "module.db_sg.aws_security_group.this");
    assert_eq!(web.attributes.to_json()["ingress"][0]["cidr_blocks"], json!(["0.0.0.0/0"]));
    assert_eq!(web.attributes.to_json()["ingress"][0]["from_port"], json!(22));
    assert_eq!(db.attributes.to_json()["ingress"][0]["cidr_blocks"], json!(["10.0.0.0/8"]));
    assert_eq!(db.attributes.to_json()["ingress"][0]["from_port"], json!(5432));
    // The finding location is the module file, with the call site in the caller.
    assert_eq!(&*web.loc.file, "fixtures/modules/siblings/modules/sg/main.tf");
    assert_eq!(web.loc.call_sites.len(), 1);
    assert_eq!(web.loc.call_sites[0].module, "module.web_sg");
    assert_eq!(&*web.loc.call_sites[0].file, "fixtures/modules/siblings/main.tf");
    assert_eq!(web.loc.call_sites[0].line, 1);
    assert_eq!(db.loc.call_sites[0].line, 7);
    assert!(edges(&out).contains(&edge(
        "aws_security_group_rule.extra",
        "module.web_sg.aws_security_group.this",
        "security_group_id"
    )));
}

#[test]
fn nested_modules_pass_a_cidr_down_and_an_output_up() {
    let out = scan("modules/nested");
    let sg = resource(&out, "module.network.module.app_subnet.aws_security_group.subnet");
    assert_eq!(sg.attributes.to_json()["ingress"][0]["cidr_blocks"], json!(["10.50.3.0/24"]));
    let modules: Vec<&str> = sg.loc.call_sites.iter().map(|c| c.module.as_str()).collect();
    assert_eq!(modules, ["module.network", "module.network.module.app_subnet"]);
    assert_eq!(attr(&out, "aws_security_group_rule.from_subnet", "cidr_blocks"), json!(["10.50.3.0/24"]));
}

#[test]
fn a_module_only_used_as_a_child_is_not_a_root() {
    let out = scan("modules/example-caller");
    let roots: Vec<&str> = out.units.iter().map(|u| &*u.root).collect();
    assert_eq!(roots, ["fixtures/modules/example-caller/examples/basic"]);
    assert_eq!(attr(&out, "module.example.aws_s3_bucket.this", "bucket"), json!("example-bucket"));
}

#[test]
fn unresolved_remote_modules_are_named_and_unknown() {
    let out = scan("modules/registry");
    let info: Vec<&str> = out.diagnostics.iter().filter(|d| d.code == "module").map(|d| d.message.as_str()).collect();
    assert_eq!(info.len(), 1);
    assert!(info[0].starts_with("module.vpc (source \"git::https://example.com/vpc.git\")"));
    let policy = attr(&out, "aws_s3_bucket_policy.p", "policy");
    assert_eq!(
        policy,
        json!(r#"{"Statement":[{"Action":"s3:*","Effect":"Allow","Resource":{"$unknown":"module.vpc.arn"}}]}"#)
    );
    assert_eq!(attr(&out, "module.bucket.aws_s3_bucket.this", "bucket"), json!("from-registry"));
}

#[test]
fn policy_document_renders_like_the_provider_and_links_its_consumers() {
    let out = scan("terraform/policy-document");
    let json_doc = attr(&out, "data.aws_iam_policy_document.public", "minified_json");
    assert_eq!(
        json_doc,
        json!(
            r#"{"Version":"2012-10-17","Id":"PublicRead","Statement":[{"Effect":"Allow","NotAction":"s3:DeleteObject","NotResource":"arn:aws:s3:::private/*","Principal":"*"}]}"#
        )
    );
    let e = edges(&out);
    assert!(e.contains(&edge("aws_iam_role.role", "data.aws_iam_policy_document.trust", "assume_role_policy")));
    let doc = resource(&out, "data.aws_iam_policy_document.trust");
    assert_eq!(doc.spans.get("statement[0]").map(|r| (r.line, r.end_line)), Some((16, 36)));
    // Unknown values stay in place, marked, so the known parts remain readable.
    assert_eq!(
        attr(&out, "data.aws_iam_policy_document.unknown", "minified_json"),
        json!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":{"$unknown":"aws_s3_bucket.b.arn"}}]}"#
        )
    );
}

#[test]
fn jsonencode_policy_spans_point_into_the_source() {
    let out = scan("terraform/policies");
    let p = resource(&out, "aws_iam_policy.jsonencoded");
    let span = |k: &str| p.spans.get(k).map(|r| (r.line, r.end_line));
    assert_eq!(span("policy.Statement[0]"), Some((6, 11)));
    assert_eq!(span("policy.Statement[0].Action"), Some((9, 9)));
    let h = resource(&out, "aws_iam_role_policy.heredoc");
    assert_eq!(h.spans.get("policy.Statement[0].Action").map(|r| r.line), Some(34));
}

/// Deep reference chains and deep expressions end in a `limit` diagnostic,
/// not a stack overflow (scans run on rayon's worker threads).
#[test]
fn deep_reference_chains_are_bounded() {
    let dir = std::env::temp_dir().join(format!("tollgate-tf-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut text = String::from("locals {\n  l0 = 1\n");
    for i in 1..2000 {
        text.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    text.push_str("}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.l1999\n}\n");
    std::fs::write(dir.join("main.tf"), text).expect("write");
    let out = scan_paths(std::slice::from_ref(&dir), &ScanOptions::default()).expect("scan");
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.diagnostics.iter().any(|d| d.code == "limit"), "{:?}", out.diagnostics);
    assert_eq!(out.stats.resources, 1);
}

/// Values that double at every step stop at the size limit instead of
/// exhausting memory.
#[test]
fn doubling_values_are_bounded() {
    let dir = std::env::temp_dir().join(format!("tollgate-tf-double-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut text = String::from("locals {\n  s0 = \"xxxxxxxxxxxxxxxx\"\n  l0 = [\"x\"]\n");
    for i in 1..64 {
        text.push_str(&format!(
            "  s{i} = \"${{local.s{p}}}${{local.s{p}}}\"\n  l{i} = concat(local.l{p}, local.l{p})\n",
            p = i - 1
        ));
    }
    text.push_str(
        "}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.s63\n  tags = { n = length(local.l63) }\n}\n",
    );
    std::fs::write(dir.join("main.tf"), text).expect("write");
    let out = scan_paths(std::slice::from_ref(&dir), &ScanOptions::default()).expect("scan");
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.diagnostics.iter().any(|d| d.code == "limit"), "{:?}", out.diagnostics);
    let b = &out.units[0].graph.resources[0];
    assert!(b.attributes.get("bucket").is_some_and(tollgate_core::Value::is_unknown));
}

#[test]
fn a_module_outside_the_scanned_tree_is_reported_not_read() {
    let out = scan("modules/example-caller/examples/basic");
    let msgs: Vec<(&str, &str)> = out.diagnostics.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(
        msgs,
        [(
            "module",
            "module.example (source \"../../\"): fixtures/modules/example-caller is outside the scanned tree \
             (allow with --allow-outside-root); its outputs are unknown"
        )]
    );
    assert_eq!(out.stats.resources, 0);
    let options = ScanOptions { allow_outside_root: true, ..ScanOptions::default() };
    let out = scan_with("modules/example-caller/examples/basic", &options);
    assert_eq!(attr(&out, "module.example.aws_s3_bucket.this", "bucket"), json!("example-bucket"));
}

/// Module calls are found without parsing; a call in a file that does not
/// parse is not made, so a directory only that file calls is evaluated as a
/// root of its own (its resources are not lost with the broken file).
#[test]
fn a_module_called_only_from_a_file_that_does_not_parse_is_its_own_root() {
    let files: std::collections::BTreeMap<PathBuf, String> = [
        ("app/main.tf", "module \"m\" {\n  source = \"../m\"\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n"),
        ("app/ok.tf", "module \"n\" {\n  source = \"../n\"\n}\n"),
        ("m/main.tf", "resource \"aws_iam_role\" \"r\" {\n  name = \"r\"\n}\n"),
        ("n/main.tf", "resource \"aws_iam_role\" \"s\" {\n  name = \"s\"\n}\n"),
    ]
    .into_iter()
    .map(|(p, t)| (PathBuf::from(p), t.to_string()))
    .collect();
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).expect("scan");
    let units: Vec<(&str, Vec<&str>)> =
        out.units.iter().map(|u| (&*u.root, u.graph.resources.iter().map(|r| r.address.as_str()).collect())).collect();
    assert_eq!(units, [("app", vec!["module.n.aws_iam_role.s"]), ("m", vec!["aws_iam_role.r"])]);
    let errors: Vec<(&str, &str, Option<u32>)> =
        out.diagnostics.iter().map(|d| (&*d.file, d.code, d.line)).filter(|d| d.1 == "parse").collect();
    assert_eq!(errors, [("app/main.tf", "parse", Some(5))]);
}

/// An output nothing references is evaluated once per module directory:
/// its error is reported (from the first instance), and a module called
/// several times gives the same graph as before.
#[test]
fn unreferenced_module_outputs_are_checked_once_per_directory() {
    let files: std::collections::BTreeMap<PathBuf, String> = [
        (
            "app/main.tf",
            "module \"m\" {\n  source = \"../m\"\n  count  = 3\n  name   = \"r${count.index}\"\n}\noutput \"first\" {\n  value = module.m[0].arn\n}\n",
        ),
        (
            "m/main.tf",
            "variable \"name\" {}\nresource \"aws_iam_role\" \"r\" {\n  name = var.name\n}\noutput \"arn\" {\n  value = aws_iam_role.r.arn\n}\noutput \"broken\" {\n  value = var.missing\n}\n",
        ),
    ]
    .into_iter()
    .map(|(p, t)| (PathBuf::from(p), t.to_string()))
    .collect();
    let out = tollgate_core::scan_sources(files, &ScanOptions::default()).expect("scan");
    let resources: Vec<&str> =
        out.units.iter().flat_map(|u| u.graph.resources.iter().map(|r| r.address.as_str())).collect();
    assert_eq!(resources, ["module.m[0].aws_iam_role.r", "module.m[1].aws_iam_role.r", "module.m[2].aws_iam_role.r"]);
    let errors: Vec<(&str, Option<u32>, &str)> =
        out.diagnostics.iter().map(|d| (&*d.file, d.line, d.message.as_str())).collect();
    assert_eq!(errors, [("m/main.tf", Some(9), "reference to undeclared variable var.missing")]);
}
