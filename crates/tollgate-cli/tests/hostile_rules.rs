//! `tollgate check` on a hostile pull request (generated here): templates
//! that would build gigabytes, and custom rules that recurse, allocate by
//! argument, fail to load or point at files outside the scan. The binary
//! runs under `ulimit -v 2 GiB`, so an unbounded allocation aborts (134)
//! instead of passing; each case must exit 2 with a located error, still
//! report the sibling policy's IAM001 finding, and print nothing of the
//! secret beside the scanned tree, in every format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value as Json;

const SECRET: &str = "TOPSECRET-do-not-print";

/// `BASE/tree` (scanned: the case's files and a wildcard `policy.json`),
/// `BASE/rules` (custom rules, when the case has some) and `BASE/secret`.
struct Case {
    base: PathBuf,
}

impl Case {
    fn new(name: &str) -> Case {
        let base = std::env::temp_dir().join(format!("tollgate-cli-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("tree")).unwrap();
        std::fs::create_dir_all(base.join("rules")).unwrap();
        std::fs::write(base.join("secret"), format!("{SECRET}\n")).unwrap();
        let case = Case { base };
        case.write(
            "tree/policy.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        );
        case
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.base.join(rel), text).unwrap();
    }

    /// Runs `tollgate check . --format FORMAT` in `tree` under a 2 GiB
    /// address-space limit, with `--policy ../rules` when rules are given.
    fn check(&self, format: &str, with_rules: bool) -> Output {
        let mut args = vec!["check", ".", "--format", format];
        if with_rules {
            args.extend(["--policy", "../rules"]);
        }
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2097152; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_tollgate"))
            .args(&args)
            .current_dir(self.base.join("tree"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    /// Every format: exit 2, the IAM001 finding of `policy.json`, no
    /// secret; returns the JSON report's errors.
    fn run(&self, with_rules: bool) -> Vec<Json> {
        let mut errors = Vec::new();
        for format in ["json", "sarif", "text"] {
            let out = self.check(format, with_rules);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{format}: {stderr}\n{}", &stdout[..stdout.len().min(4000)]);
            assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{format}");
            assert!(!stdout.contains("root:x:0:0"), "{format}: /etc/passwd content");
            assert!(stdout.contains("IAM001"), "{format}: the sibling policy's finding");
            if format == "json" {
                let report: Json = serde_json::from_str(&stdout).unwrap();
                let iam = report["findings"].as_array().unwrap().iter().any(|f| {
                    f["rule_id"] == "IAM001" && f["file"].as_str().is_some_and(|p| p.ends_with("policy.json"))
                });
                assert!(iam, "{stdout}");
                errors = report["errors"].as_array().unwrap().clone();
            }
        }
        errors
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// The error with `code` whose message contains `text`, with its line.
fn find_error<'a>(errors: &'a [Json], code: &str, text: &str) -> &'a Json {
    errors
        .iter()
        .find(|e| e["code"] == code && e["message"].as_str().is_some_and(|m| m.contains(text)))
        .unwrap_or_else(|| panic!("no {code} error with {text}: {errors:?}"))
}

fn rule(id: &str, body: &str) -> String {
    format!(
        "# METADATA\n# title: T\n# description: d\n# custom:\n#   id: {id}\n#   severity: high\n#   hazard_zone: C\n#   remediation: r\npackage custom.{id}\n\nimport rego.v1\n\n{body}\n"
    )
}

#[test]
fn cloudformation_sub_join_and_alias_bombs_are_limits() {
    let case = Case::new("cfn");
    let big = "x".repeat(1 << 20);
    let mut sub = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Big:\n    Type: String\n    Default: {big}\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags:\n"
    );
    sub.push_str(&"        - !Sub '${Big}${Big}'\n".repeat(5_000));
    sub.push_str(&"        - !Join [!Ref Big, [a, b, c, d, e, f, g, h]]\n".repeat(100));
    case.write("tree/sub.yaml", &sub);
    let mut alias = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nMetadata:\n  Big: &big {big}\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags:\n"
    );
    alias.push_str(&"        - *big\n".repeat(10_000));
    case.write("tree/alias.yaml", &alias);
    let errors = case.run(false);
    let e = find_error(&errors, "limit", "Fn::Sub");
    assert!(e["file"].as_str().unwrap().ends_with("sub.yaml") && e["line"].as_u64().is_some(), "{e}");
    let e = find_error(&errors, "limit", "bytes of text");
    assert!(e["file"].as_str().unwrap().ends_with("alias.yaml") && e["line"] == 25, "{e}");
}

#[test]
fn custom_rules_that_recurse_or_allocate_are_errors_of_their_rule() {
    let case = Case::new("rego");
    case.write(
        "rules/REC001.rego",
        &rule("REC001", "f(x) := y if {\n\ty := f(x + 1)\n}\n\ndeny contains {\"msg\": \"x\", \"loc\": {\"address\": \"a\", \"file\": \"policy.json\", \"line\": 1}} if f(1)"),
    );
    case.write(
        "rules/RNG001.rego",
        &rule("RNG001", "deny contains {\"msg\": \"x\", \"loc\": {\"address\": \"a\", \"file\": \"policy.json\", \"line\": 1}} if count(numbers.range(1, 200000000)) > 0"),
    );
    case.write("rules/BAD001.rego", &rule("BAD001", "deny contains x if {\n\tx := \n}"));
    case.write("rules/BAD002.rego", &rule("BAD002", "allow := true"));
    case.write(
        "rules/OUT001.rego",
        &rule("OUT001", "deny contains {\"msg\": \"leak\", \"loc\": {\"address\": \"a\", \"file\": \"/etc/passwd\", \"line\": 1}}\ndeny contains {\"msg\": \"leak\", \"loc\": {\"address\": \"a\", \"file\": \"../secret\", \"line\": 1}}"),
    );
    let errors = case.run(true);
    let e = find_error(&errors, "rule", "REC001");
    assert!(e["file"].as_str().unwrap().ends_with("REC001.rego") && e["line"] == 13, "{e}");
    find_error(&errors, "rule", "numbers.range would build 200000000 items");
    let e = find_error(&errors, "rule", "BAD001");
    assert!(e["file"].as_str().unwrap().ends_with("BAD001.rego") && e["line"].as_u64().is_some(), "{e}");
    find_error(&errors, "rule", "BAD002");
    find_error(&errors, "rule", "/etc/passwd");
    find_error(&errors, "rule", "../secret");
}
