//! The SARIF output validates against the official SARIF 2.1.0 schema
//! (a copy of `../shared/schemas/sarif-schema-2.1.0.json` in `tests/data/`),
//! for a scan with findings and module call sites and for one with scan
//! errors (tool execution notifications).

// Helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sarif(dir: &Path, args: &[&str]) -> Json {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "--format", "sarif"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tollgate");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn assert_valid(log: &Json) {
    let schema: Json = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).expect("the schema is JSON");
    let validator = jsonschema::draft4::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(log).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF schema violations:\n{}", errors.join("\n"));
}

#[test]
fn quickstart_sarif_is_valid() {
    let log = sarif(&workspace_root(), &["fixtures/examples/quickstart"]);
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    assert_valid(&log);
}

#[test]
fn sarif_with_scan_errors_is_valid() {
    let dir = std::env::temp_dir().join(format!("tollgate-cli-sarif-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.json"), "{\"Statement\": [").unwrap();
    std::fs::write(dir.join("my policy.json"), r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)
        .unwrap();
    let log = sarif(&dir, &["."]);
    let _ = std::fs::remove_dir_all(&dir);
    let run = &log["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "my%20policy.json");
    assert_valid(&log);
}

#[test]
fn a_broken_log_is_rejected() {
    // The validator really checks: a result without a message is invalid.
    let mut log = sarif(&workspace_root(), &["fixtures/examples/quickstart"]);
    log["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    let schema: Json = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    assert!(!jsonschema::draft4::new(&schema).unwrap().is_valid(&log));
}
