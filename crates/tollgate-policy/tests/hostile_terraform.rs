//! Hostile Terraform in a pull request: inputs of a few hundred bytes
//! that used to exhaust memory, hang or make the gate pass. Each scan
//! must finish quickly, report a located `limit` error where the input
//! was cut, and keep the finding of a good unit beside it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tollgate_core::{DiagnosticLevel, ScanOptions};
use tollgate_policy::{Engine, Report};

#[path = "support/hostile_terraform_inputs.rs"]
mod inputs;
use inputs::{GOOD, big_string};

/// `good/main.tf` and `hostile/main.tf` holding `hostile`.
fn scan(hostile: &str, options: &ScanOptions) -> Report {
    let files = BTreeMap::from([
        (PathBuf::from("good/main.tf"), GOOD.to_string()),
        (PathBuf::from("hostile/main.tf"), hostile.to_string()),
    ]);
    let engine = Engine::builder().build().expect("engine");
    let started = Instant::now();
    let report = engine.scan_sources(files, options).expect("scan");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    report
}

/// The located `limit` errors: (file, line).
fn limits(report: &Report) -> Vec<(String, u32)> {
    report
        .errors
        .iter()
        .filter(|d| d.code == "limit")
        .map(|d| {
            assert_eq!(d.level, DiagnosticLevel::Error, "{d:?}");
            (d.file.to_string(), d.line.unwrap_or_else(|| panic!("limit without a line: {d:?}")))
        })
        .collect()
}

fn assert_good_kept(report: &Report) {
    assert!(
        report.findings.iter().any(|f| f.rule_id == "IAM001" && &*f.file == "good/main.tf"),
        "the good unit's finding is lost: {:?}",
        report.findings.iter().map(|f| (&f.rule_id, &f.file)).collect::<Vec<_>>()
    );
}

/// Each of these built 13.4 GB (the process aborted, no report at all).
#[test]
fn multiplying_a_13_megabyte_string_stops_at_the_value_limit() {
    for expr in [
        "length(join(local.s13m, range(1024)))",
        "length([for i in range(1024) : local.s13m])",
        "length(replace(local.s13m, \" \", local.s13m))",
        "length(formatlist(\"%s%s\", range(1024), local.s13m))",
        "length(\"%{for i in range(1024)}${local.s13m}%{endfor}\")",
        "length(join(\"\", [local.s13m, local.s13m]))",
    ] {
        let report = scan(&big_string(expr), &ScanOptions::default());
        assert_eq!(limits(&report), [("hostile/main.tf".to_string(), 4)], "{expr}: {:?}", report.errors);
        assert_good_kept(&report);
    }
}

/// Many values each under the per-value bound: the unit's budget stops them.
#[test]
fn many_large_values_stop_at_the_unit_budget() {
    let mut text = String::from(
        "locals {\n  s64k = format(\"%65536s\", \"\")\n  s1m = join(\"\", [for i in range(16) : local.s64k])\n",
    );
    for i in 0..400 {
        text.push_str(&format!("  c{i} = \"${{local.s1m}}-{i}\"\n"));
    }
    text.push_str("}\n");
    let report = scan(&text, &ScanOptions::default());
    let found = limits(&report);
    assert_eq!(found.len(), 1, "{:?}", report.errors);
    assert_eq!(found[0].0, "hostile/main.tf");
    assert!(report.errors.iter().any(|d| d.message.contains("MiB of values built in one unit")), "{:?}", report.errors);
    assert_good_kept(&report);
}

/// `jsonencode` of a value that doubles 20 times: the text is measured
/// before it is written (2 GB before).
#[test]
fn jsonencode_of_a_deep_value_is_measured_first() {
    let mut text = String::from("locals {\n  l0 = [format(\"%4096s\", \"\")]\n");
    for i in 1..=20 {
        text.push_str(&format!("  l{i} = [local.l{p}, local.l{p}]\n", p = i - 1));
    }
    text.push_str("}\n");
    let report = scan(&text, &ScanOptions::default());
    let found = limits(&report);
    assert_eq!(found.len(), 1, "{:?}", report.errors);
    assert_good_kept(&report);
}

/// A `for_each` over more keys than one block may have: the cut is an
/// error at the `for_each`, so the gate cannot pass on the part evaluated.
#[test]
fn a_truncated_for_each_is_an_error_at_the_expression() {
    let text = r#"locals {
  names = toset(flatten([for a in range(5) : [for b in range(1001) : format("b%d-%04d", a, b)]]))
}
resource "aws_s3_bucket" "b" {
  for_each = local.names
  bucket   = each.key
}
"#;
    let report = scan(text, &ScanOptions::default());
    assert_eq!(limits(&report), [("hostile/main.tf".to_string(), 5)], "{:?}", report.errors);
    assert_good_kept(&report);
}

#[test]
fn a_truncated_count_is_an_error_at_the_expression() {
    let text = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n  count  = 5000\n}\n";
    let report = scan(text, &ScanOptions::default());
    assert_eq!(limits(&report), [("hostile/main.tf".to_string(), 3)], "{:?}", report.errors);
    assert_good_kept(&report);
}

/// Regex compiles are charged and the clock is read after each: a unit
/// of slow patterns stops near its deadline, not seconds after it.
#[test]
fn slow_regexes_stop_near_the_time_limit() {
    let text = "locals {\n  x = [for i in range(1024) : can(regex(\"(?:\\\\w{40}\\\\W{40}){12}${i}\", \"a\"))]\n}\n";
    let options = ScanOptions { file_time_limit: Duration::from_millis(300), ..ScanOptions::default() };
    let started = Instant::now();
    let report = scan(text, &options);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let found = limits(&report);
    assert_eq!(found, [("hostile/main.tf".to_string(), 2)], "{:?}", report.errors);
    assert_good_kept(&report);
}

/// An object literal with many keys: the parser's duplicate-key check is
/// quadratic, so the file is refused before it is parsed.
#[test]
fn an_object_literal_with_too_many_keys_is_refused_before_parsing() {
    let mut text = String::from("locals {\n  m = {\n");
    for i in 0..60_000 {
        text.push_str(&format!("    k{i} = {i}\n"));
    }
    text.push_str("  }\n}\n");
    let report = scan(&text, &ScanOptions::default());
    assert_eq!(limits(&report), [("hostile/main.tf".to_string(), 2)], "{:?}", report.errors);
    assert_good_kept(&report);
}

/// The other files of a module keep their findings when one file of it
/// is cut.
#[test]
fn a_limit_in_one_file_keeps_the_other_files_of_the_module() {
    let files = BTreeMap::from([
        (PathBuf::from("m/good.tf"), GOOD.to_string()),
        (PathBuf::from("m/hostile.tf"), big_string("length(join(local.s13m, range(1024)))")),
    ]);
    let engine = Engine::builder().build().expect("engine");
    let report = engine.scan_sources(files, &ScanOptions::default()).expect("scan");
    assert_eq!(limits(&report), [("m/hostile.tf".to_string(), 4)], "{:?}", report.errors);
    assert!(report.findings.iter().any(|f| f.rule_id == "IAM001" && &*f.file == "m/good.tf"));
}
