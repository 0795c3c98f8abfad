//! Terraform's hash, UUID and time functions, evaluated in a configuration
//! (the `file*` hashes read through the same guarded access as `file()`).

#![allow(clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tollgate_core::{ScanOptions, ScanOutput, scan_paths};

fn scan(path: &str) -> ScanOutput {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::set_current_dir(&root).expect("workspace root");
    scan_paths(&[PathBuf::from(path)], &ScanOptions::default()).expect("scan")
}

fn attributes(out: &ScanOutput, address: &str) -> Json {
    out.units
        .iter()
        .flat_map(|u| u.graph.resources.iter())
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("no resource {address}"))
        .attributes
        .to_json()
}

#[test]
fn hashes_uuids_and_times_are_exact() {
    let out = scan("fixtures/terraform/functions");
    assert_eq!(
        attributes(&out, "aws_s3_bucket.hashes"),
        json!({
            "bucket": "logs-4485ecf5",
            "tags": {
                "md5": "5eb63bbbe01eeed093cb22bb8f5acdc3",
                "sha1": "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed",
                "sha256": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
                "sha512": "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f\
                           989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
                "base64sha256": "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
                "base64sha512": "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==",
                "id": "a5008fae-b28c-5ba5-96cd-82b4c53552d6",
                "created": "02 Jan 2018 23:12 UTC",
                "expires": "2018-02-01T23:12:01Z",
                "random": {"$unknown": "uuid()"},
                "now": {"$unknown": "timestamp()"}
            }
        })
    );
}

/// The `file*` hashes read the file like `file()` does: relative to the
/// root module, confined to the scanned tree, errors as diagnostics.
#[test]
fn file_hashes_read_through_guarded_access() {
    let out = scan("fixtures/terraform/functions");
    assert_eq!(
        attributes(&out, "aws_s3_object.policy"),
        json!({
            "bucket": {"$unknown": "aws_s3_bucket.hashes.id"},
            "key": "policy.json",
            "etag": "bbd608e42a837244409da17b95c865cd",
            "sha1": "1431788f465aa70564c787259b365e4bd470db31",
            "sha256": "e9ff5701f8e4bfc7a6dce1b86e3d839701f935d2cd26032a00cdb2bebd46fbe4",
            "sha512": "8c0e75a45e02b859a9e8b61733ac14e169b767b32e40f1261fd60ce2ca842ae2\
                       9c192abfb2fa3a1728760a3b1240fe3438330bdf94283f31fdfd1a54723d37e2",
            "source_hash": "6f9XAfjkv8em3OG4bj2DlwH5NdLNJgMqAM2yvr1G++Q=",
            "checksum_sha512": "jA51pF4CuFmp6LYXM6wU4Wm3Z7MuQPEmH9YM4sqEKuKcGSq/svo6Fyh2CjsSQP40ODML35QoPzH9/RpUcj034g==",
            "missing": {"$unknown": "filemd5(./missing.json)"},
            "outside": {"$unknown": "filesha256(./../../plan/plan.json)"},
            "bad_spec": {"$unknown": "formatdate(...)"},
            "later": {"$unknown": "timeadd(timestamp())"}
        })
    );
    let diagnostics: Vec<(u32, &str, &str, &str)> =
        out.diagnostics.iter().map(|d| (d.line.unwrap_or(0), level(d.level), d.code, d.message.as_str())).collect();
    assert_eq!(
        diagnostics,
        [
            (31, "warning", "eval", "filemd5(\"./missing.json\"): not found"),
            (
                32,
                "warning",
                "eval",
                "filesha256(\"./../../plan/plan.json\"): outside the scanned tree (allow with --allow-outside-root)"
            ),
            (
                33,
                "warning",
                "eval",
                "formatdate(): invalid date format verb \"YYY\": year must either be \"YY\" or \"YYYY\""
            ),
        ]
    );
    assert!(out.diagnostics.iter().all(|d| &*d.file == "fixtures/terraform/functions/main.tf"));
}

fn level(l: tollgate_core::DiagnosticLevel) -> &'static str {
    match l {
        tollgate_core::DiagnosticLevel::Error => "error",
        tollgate_core::DiagnosticLevel::Warning => "warning",
        tollgate_core::DiagnosticLevel::Info => "info",
    }
}
