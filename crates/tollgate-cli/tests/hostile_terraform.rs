//! `tollgate check` over hostile Terraform in a pull request, run as CI
//! runs it, under a 2 GiB address-space limit: an unbounded allocation
//! aborts the process (exit 134) instead of passing. Every case must exit
//! 2 with a located `limit` error and keep the good unit's finding.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

#[path = "../../tollgate-policy/tests/support/hostile_terraform_inputs.rs"]
mod inputs;
use inputs::{GOOD, big_string};

/// `good/main.tf` and `hostile/main.tf` under a fresh directory, removed on drop.
struct Tree(PathBuf);

impl Tree {
    fn new(name: &str, hostile: &str) -> Tree {
        let base = std::env::temp_dir().join(format!("tollgate-cli-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for (dir, text) in [("good", GOOD), ("hostile", hostile)] {
            std::fs::create_dir_all(base.join(dir)).unwrap();
            std::fs::write(base.join(dir).join("main.tf"), text).unwrap();
        }
        Tree(base)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `tollgate check . --format json` in `dir` with `ulimit -v` 2 GiB:
/// the exit code and the report.
fn check(dir: &Path) -> (i32, Json) {
    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", ".", "--format", "json", "--no-color"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("exit {code}, no report ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (code, report)
}

/// Asserts exit 2, exactly the `limit` errors `want` (file, line), and
/// the good unit's IAM001 finding.
fn assert_cut_and_kept(name: &str, hostile: &str, want: &[(&str, u64)]) {
    let tree = Tree::new(name, hostile);
    let (code, report) = check(&tree.0);
    let limits: Vec<(&str, u64)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["code"] == "limit")
        .map(|e| (e["file"].as_str().unwrap(), e["line"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(limits, want, "{name}: {:#}", report["errors"]);
    assert!(
        report["findings"].as_array().unwrap().iter().any(|f| f["file"] == "good/main.tf" && f["rule_id"] == "IAM001"),
        "{name}: {:#}",
        report["findings"]
    );
    assert_eq!(code, 2, "{name}");
}

#[test]
fn a_13_megabyte_string_multiplied() {
    for (name, expr) in [
        ("join", "length(join(local.s13m, range(1024)))"),
        ("for", "length([for i in range(1024) : local.s13m])"),
        ("replace", "length(replace(local.s13m, \" \", local.s13m))"),
        ("formatlist", "length(formatlist(\"%s%s\", range(1024), local.s13m))"),
    ] {
        assert_cut_and_kept(name, &big_string(expr), &[("hostile/main.tf", 4)]);
    }
}

#[test]
fn jsonencode_of_a_deep_value() {
    let mut text = String::from("locals {\n  l0 = [format(\"%4096s\", \"\")]\n");
    for i in 1..=20 {
        text.push_str(&format!("  l{i} = [local.l{p}, local.l{p}]\n", p = i - 1));
    }
    text.push_str("  x = length(jsonencode([for i in range(64) : local.l20]))\n}\n");
    let tree = Tree::new("json", &text);
    let (code, report) = check(&tree.0);
    assert_eq!(code, 2, "{:#}", report["errors"]);
    assert!(report["errors"].as_array().unwrap().iter().any(|e| e["code"] == "limit" && e["line"].is_u64()));
}

/// The public bucket sorts last of 5,005: cut off by the instance limit,
/// it used to leave no finding and exit 0.
#[test]
fn a_for_each_over_too_many_keys_fails_the_gate() {
    let text = r#"locals {
  names = toset(flatten([for a in range(5) : [for b in range(1001) : format("b%d-%04d", a, b)]]))
}
resource "aws_s3_bucket" "b" {
  for_each = local.names
  bucket   = each.key
}
resource "aws_s3_bucket_acl" "b" {
  for_each = aws_s3_bucket.b
  bucket   = each.value.id
  acl      = each.key == "b4-1000" ? "public-read" : "private"
}
"#;
    assert_cut_and_kept("foreach", text, &[("hostile/main.tf", 5)]);
}

#[test]
fn an_object_literal_with_600000_keys() {
    let mut text = String::from("locals {\n  m = {\n");
    for i in 0..600_000 {
        text.push_str(&format!("  k{i}=1\n"));
    }
    text.push_str("  }\n}\n");
    assert_cut_and_kept("objects", &text, &[("hostile/main.tf", 2)]);
}
