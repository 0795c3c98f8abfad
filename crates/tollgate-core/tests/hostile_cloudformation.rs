//! Hostile CloudFormation templates (the "hostile pull request" issue): a
//! large parameter or anchored scalar multiplied by `Fn::Sub`, `Fn::Join`,
//! `Ref`, `Fn::ForEach` or YAML aliases would build gigabytes. Each case is
//! generated here (a few MB at most), and each gives a located `limit`
//! diagnostic while the rest of the template and the sibling policy file
//! are still read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tollgate_core::{Diagnostic, DiagnosticLevel, ScanOptions, ScanOutput, Value, scan_sources};

/// One megabyte: the size of the hostile parameter or scalar.
const MB: usize = 1 << 20;

/// A wildcard IAM policy beside the hostile template: it must still be read.
const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

/// A template whose `Big` parameter defaults to 1 MB of text, with `uses`
/// lines of `body` (each using `Big`) under `Hostile`'s properties, and an
/// `AdminPolicy` resource after it.
fn template(uses: usize, body: &str) -> String {
    let mut t = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Big:\n    Type: String\n    Default: {}\nResources:\n  Hostile:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags:\n",
        "x".repeat(MB)
    );
    for _ in 0..uses {
        t.push_str("        - ");
        t.push_str(body);
        t.push('\n');
    }
    t.push_str(ADMIN);
    t
}

/// A resource after the hostile one, to check the rest of the template.
const ADMIN: &str = "  AdminPolicy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: '*'\n            Resource: '*'\n";

fn scan(template: String) -> (ScanOutput, Duration) {
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("template.yaml"), template);
    files.insert(PathBuf::from("policy.json"), POLICY.to_string());
    let t = Instant::now();
    let out = scan_sources(files, &ScanOptions::default()).unwrap();
    (out, t.elapsed())
}

/// The `limit` diagnostics of the template.
fn limits(out: &ScanOutput) -> Vec<&Diagnostic> {
    out.diagnostics.iter().filter(|d| d.code == "limit" && d.file.ends_with("template.yaml")).collect()
}

/// The policy file and the template's `AdminPolicy` were read: both are
/// policies of their units' graphs.
fn assert_the_rest_is_read(out: &ScanOutput) {
    let unit = |name: &str| out.units.iter().find(|u| u.root.ends_with(name)).unwrap_or_else(|| panic!("{name}"));
    assert_eq!(unit("policy.json").graph.policies.len(), 1, "the sibling policy is read");
    let template = unit("template.yaml");
    assert!(template.graph.resources.iter().any(|r| r.address == "AdminPolicy"), "the rest of the template is read");
    assert!(template.graph.policies.iter().any(|p| p.owner == "AdminPolicy"));
}

/// Every built value stays within the budget: no attribute holds more
/// than the budget's worth of text.
fn assert_values_bounded(out: &ScanOutput) {
    fn bytes(v: &Value) -> usize {
        match v {
            Value::String(s) | Value::Unknown(s) => s.len(),
            Value::List(items) => items.iter().map(bytes).sum(),
            Value::Map(m) => m.iter().map(|(k, v)| k.len() + bytes(v)).sum(),
            _ => 0,
        }
    }
    let total: usize = out.units.iter().flat_map(|u| &u.graph.resources).map(|r| bytes(&r.attributes)).sum();
    assert!(total <= 40 * MB, "{total} bytes of attributes");
}

fn assert_located_limit(out: &ScanOutput, line: u32, what: &str) {
    let found = limits(out);
    assert_eq!(found.len(), 1, "{:?}", out.diagnostics);
    let d = found[0];
    assert_eq!((d.level, d.line), (DiagnosticLevel::Error, Some(line)), "{d:?}");
    assert!(d.column.is_some());
    assert!(d.message.contains(what), "{}", d.message);
}

/// The line of the `n`-th (0-based) use in [`template`].
fn use_line(n: u32) -> u32 {
    11 + n
}

#[test]
fn sub_of_a_large_parameter_is_bounded() {
    let (out, took) = scan(template(5_000, "!Sub '${Big}-${AWS::Region}'"));
    // 32 uses fit in the 32 MiB budget (each is 1 MiB and a few bytes).
    assert_located_limit(&out, use_line(31), "Fn::Sub");
    assert_the_rest_is_read(&out);
    assert_values_bounded(&out);
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn join_with_a_large_delimiter_is_bounded() {
    let items = vec!["a"; 5_000].join(", ");
    let (out, _) = scan(template(1, &format!("!Join [!Ref Big, [{items}]]")));
    assert_located_limit(&out, use_line(0), "Fn::Join");
    assert_the_rest_is_read(&out);
    assert_values_bounded(&out);
}

#[test]
fn refs_to_a_large_parameter_are_bounded() {
    let (out, _) = scan(template(5_000, "!Ref Big"));
    assert_located_limit(&out, use_line(31), "Ref");
    assert_the_rest_is_read(&out);
    assert_values_bounded(&out);
}

#[test]
fn base64_select_and_split_are_charged() {
    let (out, _) = scan(template(100, "!Base64 { Ref: Big }"));
    // Base64 output is 4/3 of its input, and the Ref copy is charged too.
    assert_eq!(limits(&out).len(), 1, "{:?}", out.diagnostics);
    assert_the_rest_is_read(&out);
    assert_values_bounded(&out);
    let (out, _) = scan(template(100, "!Select [0, !Split [',', !Ref Big]]"));
    assert_eq!(limits(&out).len(), 1, "{:?}", out.diagnostics);
    assert_the_rest_is_read(&out);
    assert_values_bounded(&out);
}

#[test]
fn foreach_over_a_large_value_is_bounded() {
    // A list parameter of five 1 MB values, each substituted 200 times in
    // the loop body: 1 GB of copies without a byte budget.
    let values = vec!["y".repeat(MB); 5].join(",");
    let subs = "              - !Sub '${Name}'\n".repeat(200);
    let text = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::LanguageExtensions\nParameters:\n  Names:\n    Type: CommaDelimitedList\n    Default: {values}\nResources:\n  Fn::ForEach::Topics:\n    - Name\n    - !Ref Names\n    - Topic${{Name}}:\n        Type: AWS::SNS::Topic\n        Properties:\n          Tags:\n{subs}{ADMIN}"
    );
    let (out, _) = scan(text);
    let found = limits(&out);
    assert!(!found.is_empty(), "{:?}", out.diagnostics);
    assert!(found.iter().all(|d| d.line == Some(8)), "{found:?}");
    assert!(found.iter().any(|d| d.message.contains("bytes")), "{found:?}");
    assert_the_rest_is_read(&out);
    assert_values_bounded(&out);
}

#[test]
fn yaml_aliases_of_a_large_scalar_are_bounded() {
    // A 1 MB anchored scalar aliased 10,000 times: 10 GB of text in 10,000 nodes.
    let mut text = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nMetadata:\n  Big: &big {}\nResources:\n  Hostile:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags:\n",
        "x".repeat(MB)
    );
    text.push_str(&"        - *big\n".repeat(10_000));
    let (out, took) = scan(text);
    let found = limits(&out);
    assert_eq!(found.len(), 1, "{:?}", out.diagnostics);
    // 16 aliases of 1 MiB fit in the 16 MiB alias budget: the 17th is at fault.
    assert_eq!((found[0].level, found[0].line), (DiagnosticLevel::Error, Some(8 + 17)), "{:?}", found[0]);
    assert!(found[0].message.contains("bytes of text"), "{}", found[0].message);
    let policy = out.units.iter().find(|u| u.root.ends_with("policy.json")).unwrap();
    assert_eq!(policy.graph.policies.len(), 1, "the sibling policy is read");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn ordinary_templates_are_not_limited() {
    // The same shapes with a small parameter build their values in full.
    let small = template(5_000, "!Sub '${Big}-${AWS::Region}'").replace(&"x".repeat(MB), "small");
    let (out, _) = scan(small);
    assert!(limits(&out).is_empty(), "{:?}", limits(&out));
    let unit = out.units.iter().find(|u| u.root.ends_with("template.yaml")).unwrap();
    let hostile = unit.graph.resources.iter().find(|r| r.address == "Hostile").unwrap();
    let tags = hostile.attributes.get("Tags").and_then(Value::as_list).unwrap();
    assert_eq!(tags.len(), 5_000);
    assert_eq!(tags[0], Value::unknown("small-${AWS::Region}"));
}
