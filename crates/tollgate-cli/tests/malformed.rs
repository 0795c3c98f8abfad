//! `tollgate check` over broken and hostile input (`fixtures/malformed` plus
//! generated cases): exit code 2, one error entry per broken file, and the
//! good file's finding still in a complete report, in every format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;

/// A copy of `fixtures/malformed` under a fresh temporary directory, with a
/// secret file beside it (outside the scanned tree) and generated cases.
struct TempTree {
    base: PathBuf,
}

impl TempTree {
    fn new(name: &str) -> TempTree {
        let base = std::env::temp_dir().join(format!("tollgate-cli-malformed-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/malformed"), &base.join("tree"));
        std::fs::write(base.join("secret"), "TOPSECRET-do-not-print\n").unwrap();
        let generated = base.join("tree/gen");
        std::fs::create_dir_all(generated.join("deep")).unwrap();
        std::fs::create_dir_all(generated.join("long")).unwrap();
        let deep = format!("{{\"Statement\": {}{}}}", "[".repeat(200_000), "]".repeat(200_000));
        std::fs::write(generated.join("deep/policy.json"), deep).unwrap();
        // A valid 1 MB line, with a broken line after it (rendered as a snippet).
        let long = format!("locals {{ long = \"{}\" }}\nlocals {{ broken = }}\n", "x".repeat(1 << 20));
        std::fs::write(generated.join("long/main.tf"), long).unwrap();
        std::os::unix::fs::symlink("..", generated.join("loop")).unwrap();
        TempTree { base }
    }

    fn root(&self) -> PathBuf {
        self.base.join("tree")
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn tollgate(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("check")
        .args(args)
        .arg(".")
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The files the errors of a JSON report name, each with its count.
fn error_files(report: &Json) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for e in report["errors"].as_array().unwrap() {
        *counts.entry(e["file"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

const BROKEN: &[&str] = &[
    "cfn/condition-cycle.json",
    "cfn/depends-on-self.yaml",
    "cfn/ref-cycle.yaml",
    "file-device/main.tf",
    "file-dir/main.tf",
    "file-outside/passwd.tf",
    "file-outside/secret.tf",
    "gen/deep/policy.json",
    "gen/long/main.tf",
    "json-yaml/alias-bomb.yaml",
    "json-yaml/invalid-template.yaml",
    "json-yaml/truncated-policy.json",
    "json-yaml/truncated-template.json",
    "locals-cycle/main.tf",
    "module-self/main.tf",
    "tf-binary/x.tf",
    "tf-nonutf8/main.tf",
    "tf-truncated/main.tf",
];

#[test]
fn json_report_is_complete_and_exit_code_is_2() {
    let t = TempTree::new("json");
    let out = tollgate(&t.root(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let want: Vec<(String, usize)> = BROKEN.iter().map(|f| (f.to_string(), 1)).collect();
    assert_eq!(error_files(&report), want);
    for e in report["errors"].as_array().unwrap() {
        assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
        assert!(e["line"].as_u64().is_some_and(|l| l >= 1), "no line: {e}");
    }
    let good: Vec<&Json> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["file"] == "good/main.tf").collect();
    assert_eq!(good.len(), 1, "{:#}", report["findings"]);
    assert_eq!((good[0]["rule_id"].as_str(), good[0]["line"].as_u64()), (Some("IAM001"), Some(6)));
    assert_eq!(good[0]["resource"], "aws_iam_policy.admin");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("TOPSECRET") && !text.contains("root:x:0:0"), "outside content leaked");
}

#[test]
fn text_and_sarif_reports_render_every_broken_file() {
    let t = TempTree::new("formats");
    let text = tollgate(&t.root(), &["--format", "text"]);
    assert_eq!(text.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&text.stderr));
    let rendered = format!("{}{}", String::from_utf8_lossy(&text.stdout), String::from_utf8_lossy(&text.stderr));
    for f in BROKEN {
        assert!(rendered.contains(f), "{f} missing from the text report");
    }
    assert!(rendered.contains("IAM001"));
    // A 1 MB line is not printed whole.
    assert!(rendered.len() < 512 * 1024, "text report is {} bytes", rendered.len());

    let sarif = tollgate(&t.root(), &["--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&sarif.stderr));
    let doc: Json = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "IAM001"), "no IAM001 result");
}

#[test]
fn allow_outside_root_reads_the_file() {
    let t = TempTree::new("allow");
    let out = tollgate(&t.root(), &["--format", "json", "--allow-outside-root"]);
    assert_eq!(out.status.code(), Some(2));
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<String> = error_files(&report).into_iter().map(|(f, _)| f).collect();
    assert!(!files.contains(&"file-outside/secret.tf".to_string()), "{files:?}");
    let zero: Vec<&Json> =
        report["errors"].as_array().unwrap().iter().filter(|e| e["file"] == "file-device/main.tf").collect();
    assert_eq!(zero.len(), 1);
    assert_eq!(zero[0]["message"], "file(\"/dev/zero\"): not a regular file");
}
