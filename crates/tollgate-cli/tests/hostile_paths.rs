//! A pull request as an attacker writes it, against the files the scan
//! reads and the log it writes: symlinks out of the tree (the CI job's
//! environment, `/etc/passwd`, a sibling checkout, the whole filesystem),
//! module sources that probe outside, file names that are not UTF-8 or
//! carry workflow commands, values with escape sequences, and a reader
//! that closes the pipe early. Each case checks the exit code, the
//! diagnostic, that the good file's finding is still reported, and that
//! nothing from outside the roots reaches any output format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;

/// The secret the CI job holds in its environment.
const SECRET: &str = "AKIA-hostile-paths-secret-value";
/// The content of a file beside the scanned tree.
const OUTSIDE: &str = "OUTSIDE-content-not-to-print";

/// A policy with a finding (IAM001), the good file of every case.
const GOOD: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

struct Tree {
    base: PathBuf,
}

impl Tree {
    /// `base/tree` (scanned, with `good/policy.json`) beside `base/outside`
    /// (a Terraform file with a finding and a secret) .
    fn new(name: &str) -> Tree {
        let base = std::env::temp_dir().join(format!("tollgate-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("tree/good")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(base.join("tree/good/policy.json"), GOOD).unwrap();
        std::fs::write(
            base.join("outside/main.tf"),
            format!(
                "# {OUTSIDE}\nresource \"aws_iam_policy\" \"p\" {{\n  policy = jsonencode({{Statement = [{{Effect = \"Allow\", Action = \"*\", Resource = \"*\"}}]}})\n}}\n"
            ),
        )
        .unwrap();
        // Its parse error would print this line as a snippet.
        std::fs::write(base.join("outside/broken.tf"), format!("locals {{ broken = \"{OUTSIDE}\" + }}\n")).unwrap();
        std::fs::write(base.join("outside/terraform.tfvars"), format!("x = \"{OUTSIDE}\"\n")).unwrap();
        Tree { base }
    }

    fn root(&self) -> PathBuf {
        self.base.join("tree")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn tollgate(dir: &Path, args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(dir)
        .env("TOLLGATE_HOSTILE_SECRET", SECRET)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `check` in every format, and `graph`: (exit code, stdout + stderr) each.
fn every_output(tree: &Tree, extra: &[&str]) -> Vec<(String, i32, String)> {
    let mut runs = Vec::new();
    for format in ["text", "json", "sarif"] {
        let mut args: Vec<&OsStr> = vec![OsStr::new("check"), OsStr::new("tree"), OsStr::new("--format")];
        args.push(OsStr::new(format));
        args.extend(extra.iter().map(OsStr::new));
        let out = tollgate(&tree.base, &args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        runs.push((format.to_string(), out.status.code().unwrap_or(-1), text));
    }
    let mut args: Vec<&OsStr> = vec![OsStr::new("graph"), OsStr::new("tree")];
    args.extend(extra.iter().map(OsStr::new));
    let out = tollgate(&tree.base, &args);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    runs.push(("graph".to_string(), out.status.code().unwrap_or(-1), text));
    runs
}

fn json_check(tree: &Tree, extra: &[&str]) -> (i32, Json) {
    let mut args: Vec<&OsStr> = vec![OsStr::new("check"), OsStr::new("tree"), OsStr::new("--format=json")];
    args.extend(extra.iter().map(OsStr::new));
    let out = tollgate(&tree.base, &args);
    (out.status.code().unwrap_or(-1), serde_json::from_slice(&out.stdout).unwrap())
}

fn findings(report: &Json) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule_id"].as_str().unwrap().to_string(), f["file"].as_str().unwrap().to_string()))
        .collect()
}

fn errors(report: &Json) -> Vec<(String, String, String, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (s("file"), s("level"), s("code"), s("message"))
        })
        .collect()
}

fn assert_nothing_from_outside(runs: &[(String, i32, String)]) {
    for (format, _, text) in runs {
        assert!(!text.contains(SECRET), "{format}: the environment leaked:\n{text}");
        assert!(!text.contains(OUTSIDE), "{format}: a file outside the tree leaked:\n{text}");
        assert!(!text.contains("root:x:0:0"), "{format}: /etc/passwd leaked:\n{text}");
    }
}

const LINK_WARNING: &str = "symlink to a path outside the scanned tree: not scanned (allow with --allow-outside-root)";

#[test]
fn symlinks_out_of_the_tree_are_not_followed() {
    let tree = Tree::new("links");
    symlink("/proc/self/environ", tree.path("env.tf")).unwrap();
    symlink("/etc/passwd", tree.path("passwd.tf")).unwrap();
    symlink("../outside", tree.path("ext")).unwrap();
    symlink("../../outside/terraform.tfvars", tree.path("good/terraform.tfvars")).unwrap();
    symlink("../../outside/main.tf", tree.path("good/linked.tf")).unwrap();
    let runs = every_output(&tree, &[]);
    assert_nothing_from_outside(&runs);
    for (format, code, _) in &runs {
        let want = if format == "graph" { 0 } else { 1 };
        assert_eq!(*code, want, "{format}: warnings do not fail the gate; the good finding does");
    }
    let (_, report) = json_check(&tree, &[]);
    assert_eq!(findings(&report), [("IAM001".to_string(), "tree/good/policy.json".to_string())]);
    let mut want: Vec<_> = ["tree/ext", "tree/good/linked.tf", "tree/good/terraform.tfvars", "tree/passwd.tf"]
        .iter()
        .map(|f| (f.to_string(), "warning".to_string(), "io".to_string(), LINK_WARNING.to_string()))
        .collect();
    want.push((
        "tree/env.tf".to_string(),
        "warning".to_string(),
        "io".to_string(),
        "a special file or pseudo file system: not read".to_string(),
    ));
    want.sort();
    assert_eq!(errors(&report), want);
}

#[test]
fn allow_outside_root_follows_links_but_never_into_proc() {
    let tree = Tree::new("allowed");
    symlink("/proc/self/environ", tree.path("env.tf")).unwrap();
    symlink("../outside", tree.path("ext")).unwrap();
    let (code, report) = json_check(&tree, &["--allow-outside-root"]);
    // The linked directory is scanned as before (its broken file: exit 2).
    assert_eq!(code, 2);
    assert!(errors(&report).iter().any(|e| e.0 == "tree/ext/broken.tf" && e.2 == "parse"));
    let mut got = findings(&report);
    got.sort();
    assert_eq!(
        got,
        [
            ("IAM001".to_string(), "tree/ext/main.tf".to_string()),
            ("IAM001".to_string(), "tree/good/policy.json".to_string())
        ]
    );
    let errors = errors(&report);
    assert!(errors.contains(&(
        "tree/env.tf".to_string(),
        "warning".to_string(),
        "io".to_string(),
        "a special file or pseudo file system: not read".to_string()
    )));
    assert!(!serde_json::to_string(&report).unwrap().contains(SECRET));
}

#[test]
fn a_link_to_the_filesystem_root_ends_at_once() {
    let tree = Tree::new("root");
    symlink("/", tree.path("r")).unwrap();
    let started = std::time::Instant::now();
    let (code, report) = json_check(&tree, &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "walked the filesystem");
    assert_eq!(code, 1);
    assert_eq!(findings(&report).len(), 1);
    assert_eq!(
        errors(&report),
        [("tree/r".to_string(), "warning".to_string(), "io".to_string(), LINK_WARNING.to_string())]
    );
}

#[test]
fn module_sources_outside_the_tree_are_not_probed() {
    // The same message whether the directory out there exists, holds no
    // Terraform or is missing: the input learns nothing about the disk.
    let tree = Tree::new("modules");
    std::fs::create_dir_all(tree.base.join("empty")).unwrap();
    std::fs::write(
        tree.path("good/main.tf"),
        "module \"a\" {\n  source = \"../../outside\"\n}\nmodule \"b\" {\n  source = \"../../empty\"\n}\nmodule \"c\" {\n  source = \"../../missing\"\n}\nmodule \"d\" {\n  source = \"../../../../../../../../..\"\n}\n",
    )
    .unwrap();
    let runs = every_output(&tree, &[]);
    assert_nothing_from_outside(&runs);
    let (code, report) = json_check(&tree, &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report), [("IAM001".to_string(), "tree/good/policy.json".to_string())]);
    let messages: Vec<String> = errors(&report).into_iter().map(|e| e.3).collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    for m in &messages {
        assert!(m.contains("is outside the scanned tree (allow with --allow-outside-root)"), "{m}");
        assert!(!m.contains("does not exist") && !m.contains("no Terraform files"), "{m}");
    }
}

#[test]
fn a_file_name_that_is_not_utf8_is_scanned() {
    let tree = Tree::new("utf8");
    let name = OsStr::from_bytes(b"bad\xffname.tf");
    std::fs::write(
        tree.path("good").join(name),
        "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"b\"\n  acl    = \"public-read-write\"\n}\n",
    )
    .unwrap();
    let (code, report) = json_check(&tree, &[]);
    assert_eq!(code, 1);
    let mut got = findings(&report);
    got.sort();
    assert_eq!(
        got,
        [
            ("IAM001".to_string(), "tree/good/policy.json".to_string()),
            ("S3001".to_string(), "tree/good/bad\u{fffd}name.tf".to_string()),
            ("S3004".to_string(), "tree/good/bad\u{fffd}name.tf".to_string())
        ]
    );
    assert_eq!(report["summary"]["files_scanned"], 2);
}

#[test]
fn names_and_values_cannot_write_workflow_commands_or_escapes() {
    let tree = Tree::new("inject");
    let name = "x\n::error file=app.py,line=1::injected\u{1b}[2J.tf";
    std::fs::write(
        tree.path("good").join(name),
        "resource \"aws_iam_policy\" \"p\" {\n  name   = \"n\\n::add-mask::\\u001b[2J\"\n  policy = jsonencode({Statement = [{Effect = \"Allow\", Action = \"*\", Resource = \"*\", Sid = \"a\\n::warning::b\"}]})\n}\n",
    )
    .unwrap();
    // A parse error whose snippet holds a raw escape sequence.
    std::fs::write(tree.path("good/broken.tf"), "locals { y = \"\u{1b}[31m\" + }\n").unwrap();
    for extra in [&[][..], &["--no-color"][..]] {
        let mut args: Vec<&OsStr> = vec![OsStr::new("check"), OsStr::new("tree")];
        args.extend(extra.iter().map(OsStr::new));
        let out = tollgate(&tree.base, &args);
        assert_eq!(out.status.code(), Some(2), "a broken file: exit 2");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\u{1b}'), "an escape sequence reached the log:\n{text}");
        for line in text.lines() {
            assert!(!line.trim_start().starts_with("::"), "a workflow command reached the log: {line:?}");
        }
        assert!(text.contains("x\\n::error file=app.py,line=1::injected\\u{1b}[2J.tf"), "{text}");
        assert!(text.contains("critical[IAM001]"), "{text}");
        assert!(text.contains(" --> tree/good/x\\n::error file=app.py,line=1::injected\\u{1b}[2J.tf:"), "{text}");
        assert!(text.contains("locals { y = \"\\u{1b}[31m\" + }"), "{text}");
    }
}

#[test]
fn a_closed_pipe_does_not_pass_the_gate() {
    let tree = Tree::new("pipe");
    // Enough findings to fill any pipe buffer.
    for i in 0..2000 {
        std::fs::write(tree.path(&format!("good/p{i}.json")), GOOD).unwrap();
    }
    for format in ["text", "json", "sarif"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["check", "tree", "--format", format])
            .current_dir(&tree.base)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The reader goes away at once (`| head -0`).
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(1), "{format}: findings fail the gate whatever happens to stdout");
    }
}
