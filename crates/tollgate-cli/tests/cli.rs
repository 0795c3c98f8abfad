//! End-to-end tests of the `tollgate` binary: the quickstart example in
//! every format (insta snapshots, timings and the version redacted), exit
//! codes, filters, `rules`/`explain`/`graph`/`eval`, and `cargo tollgate`.

// Helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;

const QUICKSTART: &str = "fixtures/examples/quickstart";

/// The rules the quickstart example is built to trigger. Snapshots select
/// them, so that rules added to the catalog do not change the snapshots.
const QUICKSTART_RULES: [&str; 12] = [
    "--rule", "IAM001", "--rule", "IAM002", "--rule", "IAM006", "--rule", "NET001", "--rule", "S3001", "--rule",
    "S3004",
];

fn quickstart(args: &[&str]) -> Output {
    let mut all = vec!["check", QUICKSTART];
    all.extend_from_slice(&QUICKSTART_RULES);
    all.extend_from_slice(args);
    tollgate(&all)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `tollgate ARGS` in `dir` with a clean colour environment.
fn tollgate_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run tollgate")
}

fn tollgate(args: &[&str]) -> Output {
    tollgate_in(&workspace_root(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn json(o: &Output) -> Json {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", stdout(o)))
}

/// Snapshot settings: timings and the tool version vary.
macro_rules! redacted {
    ($body:block) => {
        insta::with_settings!({
            filters => vec![
                (r"in \d+ ms", "in [time] ms"),
                (r#""duration_ms": \d+"#, r#""duration_ms": "[time]""#),
                (concat!(r#""version": ""#, env!("CARGO_PKG_VERSION"), r#"""#), r#""version": "[version]""#),
                (concat!(r#""semanticVersion": ""#, env!("CARGO_PKG_VERSION"), r#"""#), r#""semanticVersion": "[version]""#),
            ],
            prepend_module_to_snapshot => false,
        }, $body)
    };
}

/// The findings of a JSON report as `RULE file:line resource`.
fn finding_keys(report: &Json) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["rule_id"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"],
                f["resource"].as_str().unwrap()
            )
        })
        .collect()
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tollgate-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const ADMIN_POLICY_TF: &str = r#"resource "aws_iam_policy" "admin" {
  name = "admin"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
"#;

const OPEN_SSH_TF: &str = r#"resource "aws_security_group" "ssh" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

const READ_ONLY_JSON: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]
}
"#;

#[test]
fn quickstart_text() {
    let out = quickstart(&["--no-color"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!stdout(&out).contains('\u{1b}'), "no colour when piped");
    redacted!({
        insta::assert_snapshot!("quickstart_text", stdout(&out));
    });
}

#[test]
fn quickstart_json() {
    let out = quickstart(&["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["findings"], report["findings"].as_array().unwrap().len());
    assert!(report["errors"].as_array().unwrap().is_empty());
    redacted!({
        insta::assert_snapshot!("quickstart_json", stdout(&out));
    });
}

#[test]
fn quickstart_sarif() {
    let out = quickstart(&["--format", "sarif"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let log = json(&out);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    // Every loaded rule is declared, each with help and a security-severity.
    let listed = json(&tollgate(&["rules", "--format", "json"]));
    assert_eq!(rules.len(), listed.as_array().unwrap().len());
    for rule in rules {
        assert!(rule["help"]["markdown"].as_str().is_some_and(|m| !m.is_empty()), "{rule}");
        assert!(rule["properties"]["security-severity"].as_str().is_some(), "{rule}");
    }
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(result["partialFingerprints"]["tollgateFindingHash/v1"].is_string());
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    // The rule texts come from the rules' metadata (checked above and by
    // `tollgate explain`); the snapshot keeps their shape, not their prose.
    // The snapshot keeps the rules that have results, and no rule indexes
    // (checked above), so that rules added to the catalog do not change it.
    let mut log = log.clone();
    let used: Vec<Json> = log["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["ruleId"].clone()).collect();
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array_mut().unwrap();
    rules.retain(|r| used.contains(&r["id"]));
    for rule in rules {
        rule["fullDescription"]["text"] = Json::from("[description]");
        rule["help"]["text"] = Json::from("[help]");
        rule["help"]["markdown"] = Json::from("[help markdown]");
    }
    for result in log["runs"][0]["results"].as_array_mut().unwrap() {
        result["ruleIndex"] = Json::from("[index]");
    }
    redacted!({
        insta::assert_snapshot!("quickstart_sarif", serde_json::to_string_pretty(&log).unwrap());
    });
}

#[test]
fn output_file_receives_the_report() {
    let dir = TempDir::new("output");
    let file = dir.0.join("report.json");
    let out = tollgate(&["check", QUICKSTART, "--format", "json", "--output", file.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let written: Json = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(finding_keys(&written), finding_keys(&json(&tollgate(&["check", QUICKSTART, "--format", "json"]))));
}

#[test]
fn sarif_fingerprints_survive_line_shifts() {
    let dir = TempDir::new("shift");
    dir.write("main.tf", ADMIN_POLICY_TF);
    let before = json(&tollgate_in(&dir.0, &["check", ".", "--format", "sarif"]));
    dir.write("main.tf", &format!("# a comment\n\n\n{ADMIN_POLICY_TF}"));
    let after = json(&tollgate_in(&dir.0, &["check", ".", "--format", "sarif"]));
    let result = |log: &Json| log["runs"][0]["results"][0].clone();
    assert_eq!(result(&before)["partialFingerprints"], result(&after)["partialFingerprints"]);
    let line = |log: &Json| result(log)["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap();
    assert_eq!(line(&after), line(&before) + 3);
}

#[test]
fn exit_code_0_when_nothing_reaches_the_gate() {
    let dir = TempDir::new("clean");
    dir.write("policy.json", READ_ONLY_JSON);
    let out = tollgate_in(&dir.0, &["check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("result: passed: no finding at or above high"), "{}", stdout(&out));
    // Findings below the gate do not fail it.
    let out = tollgate(&["check", QUICKSTART, "--fail-on", "none", "--format", "json"]);
    assert_eq!(code(&out), 0);
    assert!(!json(&out)["findings"].as_array().unwrap().is_empty());
    let out = tollgate(&["check", QUICKSTART, "--rule", "S3004", "--format", "json"]);
    assert_eq!(code(&out), 0, "S3004 is low, below the default gate");
    assert_eq!(finding_keys(&json(&out)), vec!["S3004 fixtures/examples/quickstart/main.tf:57 aws_s3_bucket.assets"]);
    let out = tollgate(&["check", QUICKSTART, "--rule", "S3004", "--fail-on", "low"]);
    assert_eq!(code(&out), 1);
}

#[test]
fn exit_code_2_on_a_broken_file_and_the_other_findings_still_printed() {
    let dir = TempDir::new("broken");
    dir.write("good/main.tf", OPEN_SSH_TF);
    dir.write("bad/main.tf", "resource \"aws_iam_policy\" \"x\" {\n  policy = \n");
    for format in ["text", "json", "sarif"] {
        let out = tollgate_in(&dir.0, &["check", ".", "--format", format]);
        assert_eq!(code(&out), 2, "{format}: {}", stdout(&out));
        let text = stdout(&out);
        assert!(text.contains("NET001"), "{format}: the good file's finding is printed: {text}");
        assert!(text.contains("bad/main.tf"), "{format}: the broken file is named: {text}");
    }
    let report = json(&tollgate_in(&dir.0, &["check", ".", "--format", "json"]));
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "bad/main.tf");
    assert_eq!(errors[0]["level"], "error");
    assert!(errors[0]["line"].as_u64().is_some());
    let sarif = json(&tollgate_in(&dir.0, &["check", ".", "--format", "sarif"]));
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(invocation["toolExecutionNotifications"][0]["level"], "error");
    let text = stdout(&tollgate_in(&dir.0, &["check", ".", "--no-color"]));
    assert!(text.contains("result: error: 1 input could not be read or parsed and was not checked"), "{text}");
}

#[test]
fn exit_code_2_on_usage_errors() {
    for args in [
        &["check", "--format", "yaml"][..],
        &["check", "--param", "novalue", QUICKSTART],
        &["check", "--rule", "NOPE999", QUICKSTART],
        &["check", "--severity", "severe"],
        &["explain", "NOPE999"],
        &["eval"],
        &["frobnicate"],
    ] {
        let out = tollgate(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}: usage errors go to stderr");
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
}

const PARAM_SG_YAML: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AdminCidr:
    Type: String
    Default: 10.0.0.0/8
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: admin
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref AdminCidr
"#;

const VAR_SG_TF: &str = r#"variable "cidr" {
  default = "10.0.0.0/8"
}

resource "aws_security_group" "sg" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }
}
"#;

#[test]
fn params_and_var_files_reach_the_scan() {
    let dir = TempDir::new("params");
    dir.write("cfn/sg.yaml", PARAM_SG_YAML);
    dir.write("open.json", r#"{"AdminCidr": "0.0.0.0/0"}"#);
    dir.write("tf/main.tf", VAR_SG_TF);
    dir.write("open.tfvars", "cidr = \"0.0.0.0/0\"\n");
    let rules = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "--format", "json", "--rule", "NET001"];
        all.extend_from_slice(args);
        let out = tollgate_in(&dir.0, &all);
        assert_ne!(code(&out), 2, "{args:?}: {}{}", stdout(&out), stderr(&out));
        finding_keys(&json(&out))
    };
    assert_eq!(rules(&["cfn"]), Vec::<String>::new());
    assert_eq!(rules(&["cfn", "--param", "AdminCidr=0.0.0.0/0"]), vec!["NET001 cfn/sg.yaml:12 Sg"]);
    assert_eq!(rules(&["cfn", "--param-file", "open.json"]), vec!["NET001 cfn/sg.yaml:12 Sg"]);
    // --param wins over --param-file.
    assert_eq!(rules(&["cfn", "--param-file", "open.json", "--param", "AdminCidr=10.1.0.0/16"]), Vec::<String>::new());
    assert_eq!(rules(&["tf"]), Vec::<String>::new());
    assert_eq!(rules(&["tf", "--var-file", "open.tfvars"]), vec!["NET001 tf/main.tf:6 aws_security_group.sg"]);
}

#[test]
fn severity_filter_and_rule_selection() {
    let all = json(&tollgate(&["check", QUICKSTART, "--format", "json"]));
    let high = json(&tollgate(&["check", QUICKSTART, "--format", "json", "--severity", "high"]));
    let severities = |r: &Json| -> Vec<String> {
        r["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap().to_string()).collect()
    };
    assert!(severities(&all).iter().any(|s| s == "low"));
    assert!(severities(&high).iter().all(|s| s == "high" || s == "critical"), "{:?}", severities(&high));
    assert_eq!(severities(&high).len(), severities(&all).iter().filter(|s| *s == "high" || *s == "critical").count());
    let only = json(&tollgate(&["check", QUICKSTART, "--format", "json", "--rule", "NET001", "--rule", "IAM006"]));
    let rules: Vec<&str> =
        only["findings"].as_array().unwrap().iter().map(|f| f["rule_id"].as_str().unwrap()).collect();
    assert_eq!(rules, vec!["NET001", "IAM006"]);
    let skipped = json(&tollgate(&["check", QUICKSTART, "--format", "json", "--skip-rule", "NET001"]));
    let keys = finding_keys(&skipped);
    assert!(!keys.iter().any(|k| k.starts_with("NET001")));
    assert_eq!(keys.len() + 1, finding_keys(&all).len());
}

#[test]
fn module_findings_carry_call_sites() {
    let report = json(&tollgate(&["check", QUICKSTART, "--format", "json", "--rule", "NET001"]));
    let finding = &report["findings"][0];
    assert_eq!(finding["file"], "fixtures/examples/quickstart/modules/web_sg/main.tf");
    assert_eq!(finding["call_sites"][0]["module"], "module.web_sg");
    assert_eq!(finding["call_sites"][0]["file"], "fixtures/examples/quickstart/main.tf");
    let sarif = json(&tollgate(&["check", QUICKSTART, "--format", "sarif", "--rule", "NET001"]));
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["artifactLocation"]["uri"], "fixtures/examples/quickstart/main.tf");
    assert_eq!(related["message"]["text"], "`module.web_sg` is called here");
}

#[test]
fn absolute_paths_are_printed_relative_to_the_current_directory() {
    let abs = workspace_root().join(QUICKSTART).canonicalize().unwrap();
    let root = workspace_root().canonicalize().unwrap();
    let report = json(&tollgate_in(&root, &["check", abs.to_str().unwrap(), "--format", "json", "--rule", "IAM001"]));
    assert_eq!(report["findings"][0]["file"], "fixtures/examples/quickstart/main.tf");
}

#[test]
fn threads_option_gives_the_same_report() {
    let one = json(&tollgate(&["check", QUICKSTART, "--format", "json", "--threads", "1"]));
    let many = json(&tollgate(&["check", QUICKSTART, "--format", "json", "--threads", "4"]));
    assert_eq!(finding_keys(&one), finding_keys(&many));
}

#[test]
fn rules_and_explain() {
    let catalog = json(&tollgate(&["rules", "--format", "json"]));
    let catalog = catalog.as_array().unwrap();
    let ids: Vec<&str> = catalog.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in [
        "IAM001", "IAM002", "IAM003", "IAM004", "IAM005", "IAM006", "IAM007", "NET001", "NET002", "S3001", "S3002",
        "S3003", "S3004",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let out = tollgate(&["rules"]);
    assert_eq!(code(&out), 0);
    let table = stdout(&out);
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("ID      SEVERITY  ZONE  TITLE"));
    for (line, rule) in lines.zip(catalog) {
        let expected = format!(
            "{:<6}  {:<8}  {:<4}  {}",
            rule["id"].as_str().unwrap(),
            rule["severity"].as_str().unwrap(),
            rule["zone"].as_str().unwrap(),
            rule["title"].as_str().unwrap()
        );
        assert_eq!(line, expected);
    }
    assert_eq!(table.lines().count(), catalog.len() + 1);

    let net = catalog.iter().find(|r| r["id"] == "NET001").unwrap();
    let out = tollgate(&["explain", "NET001"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "NET001: {}\nseverity: high  zone: A  source: policies/",
            net["title"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(text.contains(net["description"].as_str().unwrap().trim()), "{text}");
    assert!(text.contains(&format!("Remediation:\n{}", net["remediation"].as_str().unwrap().trim())), "{text}");
    for reference in net["references"].as_array().unwrap() {
        assert!(text.contains(&format!("- {}", reference.as_str().unwrap())), "{text}");
    }
    // Case-insensitive, and JSON carries the same metadata.
    let lower = tollgate(&["explain", "net001", "--format", "json"]);
    assert_eq!(&json(&lower), net);
}

#[test]
fn graph_prints_the_merged_graph_with_diagnostics() {
    let out = tollgate(&["graph", QUICKSTART]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let graph = json(&out);
    let addresses: Vec<&str> =
        graph["resources"].as_array().unwrap().iter().map(|r| r["address"].as_str().unwrap()).collect();
    for expected in ["aws_iam_policy.deploy", "module.web_sg.aws_security_group.this", "SupportRole", "JobsQueue"] {
        assert!(addresses.contains(&expected), "{expected} in {addresses:?}");
    }
    assert!(graph["diagnostics"].as_array().unwrap().is_empty());
    assert!(graph["policies"].as_array().is_some_and(|p| !p.is_empty()));
    let units = json(&tollgate(&["graph", QUICKSTART, "--unit"]));
    let roots: Vec<&str> = units["units"].as_array().unwrap().iter().map(|u| u["root"].as_str().unwrap()).collect();
    assert_eq!(roots.len(), 2, "{roots:?}");
    assert!(roots.contains(&"fixtures/examples/quickstart/template.yaml"), "{roots:?}");
}

#[test]
fn graph_reports_unparsable_files() {
    let dir = TempDir::new("graph-broken");
    dir.write("bad.json", "{\"Statement\": [");
    let out = tollgate_in(&dir.0, &["graph", "."]);
    assert_eq!(code(&out), 2);
    let graph = json(&out);
    assert_eq!(graph["diagnostics"][0]["file"], "bad.json");
}

#[test]
fn eval_scores_a_labelled_directory() {
    let dir = TempDir::new("eval");
    // A case scoped to IAM001 by its directory name: one true positive.
    dir.write("corpus/IAM001/fire/main.tf", ADMIN_POLICY_TF);
    dir.write("corpus/IAM001/silent/policy.json", READ_ONLY_JSON);
    dir.write(
        "corpus/IAM001/expected.json",
        r#"[{"rule_id": "IAM001", "file": "fire/main.tf", "line": 5, "resource": "aws_iam_policy.admin"}]"#,
    );
    let out = tollgate_in(&dir.0, &["eval", "corpus", "--min-precision", "1.0", "--min-recall", "1.0"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let text = stdout(&out);
    let row = text.lines().find(|l| l.starts_with("IAM001")).unwrap_or_else(|| panic!("{text}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[..6], &["IAM001", "1", "0", "0", "1.000", "1.000"], "{text}");
    assert!(text.contains("1 labelled case"), "{text}");
    assert!(text.contains("thresholds met"), "{text}");

    // An unscoped case with a wrong label: one false positive, one false negative.
    dir.write("corpus/mixed/main.tf", OPEN_SSH_TF);
    dir.write("corpus/mixed/expected.json", r#"{"findings": [{"rule_id": "NET001", "file": "main.tf", "line": 99}]}"#);
    let out = tollgate_in(&dir.0, &["eval", "corpus", "--min-precision", "1.0", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let result = json(&out);
    let net = result["rules"].as_array().unwrap().iter().find(|r| r["rule_id"] == "NET001").unwrap();
    assert_eq!((net["tp"].as_u64(), net["fp"].as_u64(), net["fn"].as_u64()), (Some(0), Some(1), Some(1)));
    assert_eq!(net["precision"], 0.0);
    assert!(net["eval_micros"].as_u64().is_some());
    assert_eq!(result["failed_rules"], serde_json::json!(["NET001"]));
    let kinds: Vec<&str> =
        result["mismatches"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["fn", "fp"]);
    assert_eq!(result["cases"], 2);
}

#[test]
fn cargo_subcommand_form() {
    let cargo = Command::new(env!("CARGO_BIN_EXE_cargo-tollgate"))
        .args(["tollgate", "rules", "--format", "markdown"])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert_eq!(code(&cargo), 0, "{}", stderr(&cargo));
    assert_eq!(stdout(&cargo), stdout(&tollgate(&["rules", "--format", "markdown"])));
    let help = Command::new(env!("CARGO_BIN_EXE_cargo-tollgate")).args(["tollgate", "--help"]).output().unwrap();
    assert!(stdout(&help).contains("Usage: cargo tollgate <COMMAND>"), "{}", stdout(&help));
}

#[test]
fn help_documents_exit_codes() {
    let out = tollgate(&["--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("Exit codes:\n  0  no finding at or above --fail-on"), "{}", stdout(&out));
}

/// A writer whose reader has gone away.
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

#[test]
fn broken_pipe_is_success() {
    let mut err = Vec::new();
    let mut out = ClosedPipe;
    let code = tollgate_cli::run(["tollgate", "rules"], &mut tollgate_cli::Console::captured(&mut out, &mut err));
    assert_eq!(code, tollgate_cli::exit::SUCCESS);
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
}

/// Runs `tollgate check` in-process as if stdout were a terminal.
fn check_on_terminal(extra: &[&str], no_color_env: bool) -> String {
    let quickstart = workspace_root().join(QUICKSTART);
    let mut args = vec!["tollgate", "check", quickstart.to_str().unwrap(), "--rule", "IAM001"];
    args.extend_from_slice(extra);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut console = tollgate_cli::Console::captured(&mut out, &mut err);
    console.out_is_terminal = true;
    console.no_color_env = no_color_env;
    assert_eq!(tollgate_cli::run(args, &mut console), tollgate_cli::exit::FINDINGS);
    String::from_utf8(out).unwrap()
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    assert!(check_on_terminal(&[], false).contains("\u{1b}["), "coloured on a terminal");
    assert!(!check_on_terminal(&[], true).contains('\u{1b}'), "NO_COLOR");
    assert!(!check_on_terminal(&["--no-color"], false).contains('\u{1b}'), "--no-color");
    assert!(!check_on_terminal(&["--format", "json"], false).contains('\u{1b}'), "JSON is never coloured");
}

const CUSTOM_RULE: &str = r#"# METADATA
# title: Security group without a description
# description: |
#   ## What it flags
#   A security group resource with no `description`.
#   ## Why it is risky
#   Nobody knows what it is for.
#   ## Example
#   A bare `aws_security_group`.
#   ## Fix
#   Describe it.
# custom:
#   id: ORG001
#   severity: low
#   hazard_zone: C
#   remediation: Add a description.
package org.rules.ORG001

import rego.v1

deny contains f if {
	some r in input.resources
	r.type == "aws_security_group"
	not r.attributes.description
	f := {"msg": sprintf("%s has no description", [r.address]), "loc": r.loc}
}
"#;

#[test]
fn custom_rules_from_policy_dirs() {
    let dir = TempDir::new("custom");
    dir.write("rules/ORG001_sg_description.rego", CUSTOM_RULE);
    dir.write("infra/main.tf", OPEN_SSH_TF);
    let out = tollgate_in(&dir.0, &["check", "infra", "--policy", "rules", "--no-bundled", "--format", "json"]);
    assert_eq!(code(&out), 0, "ORG001 is low: {}{}", stdout(&out), stderr(&out));
    assert_eq!(finding_keys(&json(&out)), vec!["ORG001 infra/main.tf:1 aws_security_group.ssh"]);
    // With the bundled rules too; the custom rule is declared in SARIF and tagged.
    let sarif = json(&tollgate_in(&dir.0, &["check", "infra", "--policy", "rules", "--format", "sarif"]));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let org = rules.iter().find(|r| r["id"] == "ORG001").unwrap();
    assert!(org["properties"]["tags"].as_array().unwrap().contains(&Json::from("custom")));
    let ids: Vec<&str> =
        sarif["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["ORG001", "NET001"], "by line: the resource (1) before its ingress block (2)");
    let table = stdout(&tollgate_in(&dir.0, &["rules", "--policy", "rules", "--no-bundled"]));
    assert!(
        table.contains(
            "ORG001  low       C     Security group without a description [rules/ORG001_sg_description.rego]"
        ),
        "{table}"
    );
    // A rule that does not load is an error (exit 2) naming the file, and
    // the other rules' findings are still reported.
    dir.write("bad/X.rego", "# METADATA\n# title: x\n# custom:\n#   colour: red\npackage x\n");
    let out = tollgate_in(&dir.0, &["check", "infra", "--policy", "bad"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("bad/X.rego"), "{}", stdout(&out));
    assert!(stdout(&out).contains("NET001"), "{}", stdout(&out));
}

/// A directory with `rules/` holding ORG001 and a rule file that fails to
/// load (an unknown metadata field on line 5), for the commands that only
/// list or score rules.
fn rules_with_one_broken(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("rules/ORG001_sg_description.rego", CUSTOM_RULE);
    dir.write("rules/X.rego", "# METADATA\n# title: x\n# description: d\n# custom:\n#   colour: red\npackage x\n");
    dir
}

const BROKEN_RULE_ERROR: &str = "error: rules/X.rego:5: rule file not loaded:";

#[test]
fn rules_lists_the_rules_that_load_and_reports_the_others() {
    let dir = rules_with_one_broken("keep-going-rules");
    let out = tollgate_in(&dir.0, &["rules", "--policy", "rules", "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(BROKEN_RULE_ERROR), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown metadata field `custom.colour`"), "{}", stderr(&out));
    let ids: Vec<String> = json(&out).as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().into()).collect();
    assert!(ids.contains(&"ORG001".to_string()) && ids.contains(&"IAM001".to_string()), "{ids:?}");
}

#[test]
fn explain_explains_a_rule_that_loads_and_reports_the_others() {
    let dir = rules_with_one_broken("keep-going-explain");
    let out = tollgate_in(&dir.0, &["explain", "ORG001", "--policy", "rules"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains(BROKEN_RULE_ERROR), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ORG001: Security group without a description"), "{}", stdout(&out));
}

#[test]
fn eval_scores_the_rules_that_load_and_reports_the_others() {
    let dir = rules_with_one_broken("keep-going-eval");
    dir.write("corpus/IAM001/fire/main.tf", ADMIN_POLICY_TF);
    dir.write(
        "corpus/IAM001/expected.json",
        r#"[{"rule_id": "IAM001", "file": "fire/main.tf", "line": 5, "resource": "aws_iam_policy.admin"}]"#,
    );
    let out = tollgate_in(&dir.0, &["eval", "corpus", "--policy", "rules", "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    // Printed once, not once per case, and not among the cases' errors.
    assert_eq!(stderr(&out).matches(BROKEN_RULE_ERROR).count(), 1, "{}", stderr(&out));
    let result = json(&out);
    assert_eq!(result["errors"], serde_json::json!([]));
    let iam = result["rules"].as_array().unwrap().iter().find(|r| r["rule_id"] == "IAM001").unwrap();
    assert_eq!((iam["tp"].as_u64(), iam["fp"].as_u64(), iam["fn"].as_u64()), (Some(1), Some(0), Some(0)));
}
