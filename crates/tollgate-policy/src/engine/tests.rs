//! Tests of the engine as a whole: the VM against the interpreter, the
//! bundled input projection, selection, loading errors and the finding
//! contract.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tollgate_core::ScanOptions;

use super::compile::has_keyed_set_rule;
use super::load::{RuleSource, bundled};
use super::{Engine, EngineBuilder};
use crate::error::Error;
use crate::input::Input;
use crate::rule::Severity;

#[test]
fn keyed_set_rules_are_recognised() {
    assert!(has_keyed_set_rule("by_type[t] contains a if {"));
    assert!(has_keyed_set_rule("  x.y[k]  contains\tv if true"));
    assert!(!has_keyed_set_rule("deny contains f if {"));
    assert!(!has_keyed_set_rule("a := input.x[0] # contains"));
    assert!(!has_keyed_set_rule("f := {\"msg\": m} if m := x[0]"));
    assert!(!has_keyed_set_rule("some [loc, _] in paths"));
}

/// The bundled rules give the same findings in the bytecode VM as in
/// the interpreter, on every labelled fixture and example, and so does
/// the program compiled at build time.
#[test]
fn the_vm_agrees_with_the_interpreter_on_the_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let built = Engine::builder().build().unwrap();
    assert!(!bundled::PROGRAM.is_empty(), "build.rs compiled the bundled rules");
    assert!(built.rego.is_none(), "the bundled rules load from the program compiled at build time");
    assert!(built.active.iter().all(|a| a.vm.is_some()));
    assert_eq!(built.active_rules().len(), bundled::ENTRY_POINTS.len());
    let vm = Engine::from_builder(EngineBuilder { no_precompiled: true, ..EngineBuilder::default() }).unwrap();
    assert!(vm.active.iter().all(|a| a.vm.is_some()), "every bundled rule compiles for the VM");
    assert_eq!(vm.rules, built.rules);
    let interp = Engine::from_builder(EngineBuilder { interpreter_only: true, ..EngineBuilder::default() }).unwrap();
    assert!(interp.active.iter().all(|a| a.vm.is_none()));
    let options = ScanOptions::default();
    let mut compared = 0;
    for dir in ["rules", "examples", "terraform", "cloudformation", "iam", "modules", "plan"] {
        let paths = [root.join(dir)];
        let a = vm.scan(&paths, &options).unwrap();
        let b = interp.scan(&paths, &options).unwrap();
        let c = built.scan(&paths, &options).unwrap();
        assert_eq!(a.findings, b.findings, "{dir}");
        assert_eq!(a.errors, b.errors, "{dir}");
        assert_eq!(c.findings, a.findings, "{dir}");
        assert_eq!(c.errors, a.errors, "{dir}");
        compared += a.findings.len();
    }
    assert!(compared > 100, "{compared} findings compared");
}

/// The bundled rules get the graph without `edges`, resource `spans` and
/// resources of types they do not read (`Input::Bundled`): none of them
/// names either field or reads a value whole (`walk`, `json.marshal`,
/// `object.keys`), the resource types they name are kept, and their
/// findings on every fixture are those they give with the whole graph.
#[test]
fn bundled_rules_do_not_read_what_their_input_leaves_out() {
    for (rel, text) in bundled::BUNDLED {
        for word in ["edges", "spans", "walk(", "json.marshal", "object.keys", "input["] {
            assert!(!text.contains(word), "policies/{rel} uses `{word}`");
        }
        // A rule that reads resources names their types: each must be kept.
        if !text.contains("input.resources") {
            continue;
        }
        let code = text.lines().filter(|l| !l.trim_start().starts_with('#'));
        for line in code {
            for quoted in line.split('"').skip(1).step_by(2) {
                let resource_type = quoted.starts_with("AWS::") || quoted.starts_with("aws_");
                if resource_type && quoted != "aws_managed_policies" {
                    assert!(
                        crate::input::BUNDLED_RESOURCE_TYPES.contains(&quoted),
                        "policies/{rel} reads resources of type {quoted}: add it to BUNDLED_RESOURCE_TYPES"
                    );
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let projected = Engine::builder().build().unwrap();
    assert_eq!(projected.input, Input::Bundled);
    let mut full = projected.clone();
    full.input = Input::Full;
    for dir in ["rules", "examples", "terraform", "cloudformation", "iam", "modules", "plan"] {
        let paths = [root.join(dir)];
        let (a, b) = (
            projected.scan(&paths, &ScanOptions::default()).unwrap(),
            full.scan(&paths, &ScanOptions::default()).unwrap(),
        );
        assert_eq!(a.findings, b.findings, "{dir}");
        assert_eq!(a.errors, b.errors, "{dir}");
    }
    let custom = Engine::from_sources(vec![rule("X9", "deny contains 1 if false")], &EngineBuilder::default()).unwrap();
    assert_eq!(custom.input, Input::Full);
}

/// No bundled rule reports anything from resources alone: a graph of
/// every resource type the rules look at (an open role trust, a user,
/// an account public access block turned off, a world-open
/// security group, a public bucket) but no derived view gives no
/// finding, so units without views can be skipped.
#[test]
fn bundled_rules_need_a_derived_view() {
    let loc = |a: &str| serde_json::json!({"address": a, "file": "m.tf", "line": 1, "end_line": 1});
    let res = |t: &str, a: &str, attrs: serde_json::Value| serde_json::json!({"address": a, "type": t, "kind": "terraform", "mode": "managed", "attributes": attrs, "loc": loc(a), "spans": {}});
    let graph = serde_json::json!({
        "schema_version": 1,
        "resources": [
            res("aws_iam_role", "aws_iam_role.r", serde_json::json!({"name": "r", "assume_role_policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}"})),
            res("aws_iam_user", "aws_iam_user.u", serde_json::json!({"name": "u"})),
            res("aws_s3_account_public_access_block", "aws_s3_account_public_access_block.a", serde_json::json!({"block_public_acls": false})),
            res("aws_security_group", "aws_security_group.s", serde_json::json!({"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]})),
            res("aws_s3_bucket", "aws_s3_bucket.b", serde_json::json!({"bucket": "b", "acl": "public-read"})),
        ],
        "edges": [], "policies": [], "attachments": [], "iam_principals": [], "network_rules": [],
        "buckets": [], "aws_managed_policies": [],
    });
    let engine = Engine::builder().build().unwrap();
    let report = engine.evaluate_graph_json(&graph.to_string(), "m").unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // The same resources with their views do give findings (the graph above is not inert).
    let mut files = BTreeMap::new();
    files.insert(
        PathBuf::from("main.tf"),
        "resource \"aws_security_group\" \"s\" {\n  ingress {\n    from_port = 22\n    to_port = 22\n    protocol = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n".to_string(),
    );
    let scanned = engine.scan_sources(files, &ScanOptions::default()).unwrap();
    assert_eq!(scanned.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(), ["NET001"]);
}

/// `only_rule`, `skip_rule` and unknown ids behave the same with the
/// program compiled at build time and with rules compiled at run time.
#[test]
fn rule_selection_with_the_precompiled_program() {
    let select = |b: EngineBuilder| -> Vec<(Vec<String>, bool)> {
        [false, true]
            .into_iter()
            .map(|no_precompiled| {
                let e = Engine::from_builder(EngineBuilder { no_precompiled, ..b.clone() }).unwrap();
                (e.active_rules().iter().map(|s| s.to_string()).collect(), e.rego.is_none())
            })
            .collect()
    };
    let got = select(Engine::builder().only_rule("IAM005").only_rule("NET001"));
    assert_eq!(
        got,
        [
            (vec!["IAM005".to_string(), "NET001".to_string()], true),
            (vec!["IAM005".to_string(), "NET001".to_string()], true)
        ]
    );
    let got = select(Engine::builder().skip_rule("S3004"));
    assert_eq!(got[0], got[1]);
    assert!(!got[0].0.contains(&"S3004".to_string()));
    for no_precompiled in [false, true] {
        let r = Engine::from_builder(EngineBuilder { no_precompiled, ..Engine::builder().only_rule("NOPE1") });
        assert!(matches!(r, Err(Error::UnknownRuleId { rule_id }) if rule_id == "NOPE1"));
    }
}

fn src(path: &str, text: &str) -> RuleSource {
    RuleSource { path: path.to_string(), text: text.to_string(), custom: true }
}

const META: &str = "# METADATA\n# title: T\n# description: d\n# custom:\n#   id: ID\n#   severity: low\n#   hazard_zone: C\n#   remediation: r\n";

fn rule(id: &str, body: &str) -> RuleSource {
    src(
        &format!("{id}.rego"),
        &format!("{}package custom.{id}\n{body}\n", META.replace("id: ID", &format!("id: {id}"))),
    )
}

#[test]
fn engine_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Engine>();
}

#[test]
fn build_and_scan_reports_what_build_then_scan_reports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let options = ScanOptions::default();
    let paths = [root.join("rules"), root.join("iam")];
    let (engine, together) = Engine::builder().build_and_scan(&paths, &options).unwrap();
    let apart = Engine::builder().build().unwrap().scan(&paths, &options).unwrap();
    assert!(!together.findings.is_empty());
    assert_eq!(together.findings, apart.findings);
    assert_eq!(together.errors, apart.errors);
    assert_eq!(
        (together.summary.files_scanned, together.summary.resources),
        (apart.summary.files_scanned, apart.summary.resources)
    );
    assert_eq!(engine.rules().len(), bundled::ENTRY_POINTS.len());
    // On one thread as on many; an error in the rules wins over the scan's.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let one = pool.install(|| Engine::builder().build_and_scan(&paths, &options)).unwrap().1;
    assert_eq!(one.findings, apart.findings);
    let bad_scan = ScanOptions { var_files: vec![root.join("no-such.tfvars")], ..ScanOptions::default() };
    let scan_error = Engine::builder().build_and_scan(&paths, &bad_scan);
    assert!(matches!(scan_error, Err(Error::Scan(_))), "{scan_error:?}");
    let both = Engine::builder().policy_dir(root.join("no-such-policies")).build_and_scan(&paths, &bad_scan);
    assert!(matches!(both, Err(Error::Io { .. })), "{both:?}");
}

#[test]
fn missing_deny_is_an_error() {
    let r = Engine::from_sources(vec![rule("X1", "allow := true")], &EngineBuilder::default());
    assert!(matches!(r, Err(Error::MissingDeny { rule_id, .. }) if rule_id == "X1"));
}

#[test]
fn duplicate_ids_and_compile_errors() {
    let mut second = rule("X1", "deny contains 1 if false");
    second.text = second.text.replace("package custom.X1", "package custom.other");
    second.path = "other.rego".into();
    let r = Engine::from_sources(vec![rule("X1", "deny contains 1 if false"), second], &EngineBuilder::default());
    assert!(matches!(r, Err(Error::DuplicateRuleId { rule_id, .. }) if rule_id == "X1"));
    let r = Engine::from_sources(vec![rule("X2", "deny contains if {")], &EngineBuilder::default());
    assert!(matches!(r, Err(Error::RegoCompile { file, .. }) if file == "X2.rego"));
}

#[test]
fn finding_contract_and_errors() {
    let body = r#"
deny contains {"msg": "ok", "loc": input.loc}
deny contains {"msg": "info", "loc": input.loc, "indeterminate": true}
deny contains {"msg": "up", "loc": input.loc, "severity": "critical"}
deny contains {"msg": 3}
"#;
    let engine = Engine::from_sources(vec![rule("X3", body)], &EngineBuilder::default()).unwrap();
    let report = engine
        .evaluate_graph_json(r#"{"loc": {"address": "a.b", "file": "m.tf", "line": 4, "end_line": 6}}"#, "m")
        .unwrap();
    let got: Vec<(String, Severity, u32, u32)> =
        report.findings.iter().map(|f| (f.message.clone(), f.severity, f.line, f.end_line)).collect();
    assert_eq!(
        got,
        vec![
            ("indeterminate: info".to_string(), Severity::Info, 4, 6),
            ("ok".to_string(), Severity::Low, 4, 6),
            ("up".to_string(), Severity::Critical, 4, 6),
        ]
    );
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].message.starts_with("rule X3: malformed finding (`msg` must be a string)"));
    assert_eq!(report.rule_stats[0].findings, 3);
    assert_eq!(report.rule_stats[0].errors, 1);
}

/// `f(x) := g(x) with g as f` (a body-less function with `with`) is not
/// Rego regorus 0.14 parses: the rule fails to load, at its line, instead
/// of recursing when it runs; with keep_going it is left out and reported.
#[test]
fn a_body_less_function_with_with_fails_to_load() {
    let body = "f(x) := g(x) with g as f\ng(x) := x\ndeny contains {\"msg\": \"m\"} if f(1) == 2";
    let r = Engine::from_sources(vec![rule("X4", body)], &EngineBuilder::default());
    assert!(
        matches!(&r, Err(e @ Error::RegoCompile { file, .. }) if file == "X4.rego" && e.location() == Some(("X4.rego", Some(10)))),
        "{r:?}"
    );
    let kept = Engine::from_sources(vec![rule("X4", body)], &EngineBuilder { keep_going: true, ..Default::default() });
    let kept = kept.unwrap();
    assert!(kept.rules().is_empty());
    assert_eq!(kept.load_errors().len(), 1);
    assert_eq!(kept.load_errors()[0].line, Some(10));
}
