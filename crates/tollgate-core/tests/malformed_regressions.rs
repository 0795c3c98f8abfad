//! Regression tests for inputs that crashed, hung or exhausted memory (found
//! by fuzzing or by review; see `/work/notes/crashes.md` for causes). Each
//! input is scanned in memory and must finish quickly with a diagnostic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tollgate_core::{Diagnostic, ScanOptions, ScanOutput, scan_sources};

fn scan_one(name: &str, text: &str) -> ScanOutput {
    scan_with(name, text, &ScanOptions::default())
}

fn scan_with(name: &str, text: &str, options: &ScanOptions) -> ScanOutput {
    let files = BTreeMap::from([(PathBuf::from(name), text.to_string())]);
    let started = Instant::now();
    let out = scan_sources(files, options).unwrap();
    assert!(started.elapsed() < Duration::from_secs(60), "{name} took {:?}", started.elapsed());
    out
}

fn codes(out: &ScanOutput) -> Vec<(&'static str, Option<u32>)> {
    out.diagnostics.iter().map(|d: &Diagnostic| (d.code, d.line)).collect()
}

/// The value of `local.x` as the unit's only resource attribute `v`.
fn local_value(expr: &str) -> String {
    format!("locals {{\n  x = {expr}\n}}\n\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket = local.x\n}}\n")
}

#[test]
fn indent_with_a_huge_width() {
    let out = scan_one("main.tf", &local_value("indent(1e15, \"a\\nb\")"));
    assert_eq!(codes(&out), [("eval", Some(2))]);
}

#[test]
fn format_with_a_huge_width() {
    let out = scan_one("main.tf", &local_value("format(\"%999999999999d\", 1)"));
    assert_eq!(codes(&out), [("eval", Some(2))]);
}

#[test]
fn format_with_a_huge_precision() {
    let out = scan_one("main.tf", &local_value("format(\"%.999999999999f\", 1)"));
    assert_eq!(codes(&out), [("eval", Some(2))]);
}

fn scan_tree(files: &[(&str, &str)]) -> ScanOutput {
    let files = files.iter().map(|(p, t)| (PathBuf::from(p), t.to_string())).collect();
    let started = Instant::now();
    let out = scan_sources(files, &ScanOptions::default()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
    out
}

/// Nested modules with `count` multiply: 4096 × 4096 × 4096 instances from
/// three tiny files grew past 12 GB before the unit-wide instance limit.
#[test]
fn nested_module_counts_are_bounded() {
    let out = scan_tree(&[
        ("main.tf", "module \"a\" {\n  count  = 4096\n  source = \"./a\"\n}\n"),
        ("a/main.tf", "module \"b\" {\n  count  = 4096\n  source = \"../b\"\n}\n"),
        ("b/main.tf", "resource \"aws_s3_bucket\" \"x\" {\n  count  = 4096\n  bucket = \"b-${count.index}\"\n}\n"),
    ]);
    let limits: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "limit").map(|d| (&*d.file, d.line)).collect();
    assert_eq!(limits, [("b/main.tf", Some(2))], "{:?}", out.diagnostics);
    let resources: usize = out.units.iter().map(|u| u.graph.resources.len()).sum();
    assert!(resources < 65_536, "{resources} resources");
}
