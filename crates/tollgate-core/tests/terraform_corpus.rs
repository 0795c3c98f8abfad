//! The real Terraform corpus (terraform-aws-modules, terragoat) loads with
//! no error diagnostics. Run with
//! `cargo test --release -p tollgate-core --test terraform_corpus -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use tollgate_core::{DiagnosticLevel, ScanOptions, scan_paths};

#[test]
#[ignore = "needs ../shared/corpus"]
fn terraform_corpus_loads_without_errors() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    // TOLLGATE_TF_CORPUS narrows the scan to some directories (debugging aid).
    let paths: Vec<PathBuf> = match std::env::var("TOLLGATE_TF_CORPUS") {
        Ok(list) => list.split(':').map(PathBuf::from).collect(),
        Err(_) => ["terraform-aws-modules", "terragoat"].iter().map(|p| corpus.join(p)).collect(),
    };
    if !paths.iter().all(|p| p.is_dir()) {
        eprintln!("corpus not found at {}", corpus.display());
        return;
    }
    let start = Instant::now();
    let options =
        ScanOptions { allow_outside_root: std::env::var_os("TOLLGATE_TF_CORPUS").is_some(), ..ScanOptions::default() };
    let out = scan_paths(&paths, &options).expect("scan");
    let elapsed = start.elapsed();
    let tf_units = out.units.iter().filter(|u| u.kind == tollgate_core::graph::SourceKind::Terraform).count();
    let mut by_code: BTreeMap<(String, &str), usize> = BTreeMap::new();
    for d in &out.diagnostics {
        *by_code.entry((format!("{:?}", d.level), d.code)).or_default() += 1;
    }
    eprintln!(
        "scanned {} files ({} Terraform units, {} resources) in {:.2?}; diagnostics by level/code: {by_code:?}",
        out.stats.files_scanned, tf_units, out.stats.resources, elapsed
    );
    for d in &out.diagnostics {
        if d.level != DiagnosticLevel::Info {
            eprintln!(
                "{}:{}:{} {:?} {} {}",
                d.file,
                d.line.unwrap_or(0),
                d.column.unwrap_or(0),
                d.level,
                d.code,
                d.message
            );
        }
    }
    let errors: Vec<_> = out
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error && (d.file.ends_with(".tf") || d.file.ends_with(".tfvars")))
        .collect();
    assert!(errors.is_empty(), "{} error diagnostics in Terraform files", errors.len());
}
