//! Every template of the public corpus loads without an error diagnostic.
//! Skipped (with a note) when the corpus is not present.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Instant;

use tollgate_core::{DiagnosticLevel, ScanOptions, graph::SourceKind, scan_paths};

#[test]
fn corpus_templates_load_without_errors() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/aws-cloudformation-templates");
    let Ok(corpus) = corpus.canonicalize() else {
        eprintln!("corpus not found at {}: skipped", corpus.display());
        return;
    };
    let start = Instant::now();
    let out = scan_paths(std::slice::from_ref(&corpus), &ScanOptions::default()).expect("scan");
    let elapsed = start.elapsed();
    let templates = out.units.iter().filter(|u| u.kind == SourceKind::Cloudformation).count();
    let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Error).collect();
    let warnings = out.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Warning).count();
    eprintln!(
        "corpus: {templates} templates, {} resources, {} skipped files, {} errors, {warnings} warnings, {elapsed:?}",
        out.stats.resources,
        out.stats.files_skipped,
        errors.len()
    );
    for d in out.diagnostics.iter().filter(|d| d.level != DiagnosticLevel::Info) {
        eprintln!(
            "  {}:{}:{} {:?} {} {}",
            d.file,
            d.line.unwrap_or(0),
            d.column.unwrap_or(0),
            d.level,
            d.code,
            d.message
        );
    }
    // Documents that mention CloudFormation types but were not loaded as a unit.
    let roots: std::collections::BTreeSet<String> = out.units.iter().map(|u| u.root.to_string()).collect();
    let mut stack = vec![corpus.clone()];
    let mut not_loaded = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            let name = p.to_string_lossy().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if [".yaml", ".yml", ".json", ".template"].iter().any(|e| name.ends_with(e))
                && !roots.contains(&name)
                && std::fs::read_to_string(&p).is_ok_and(|t| t.contains("AWS::"))
            {
                not_loaded.push(name);
            }
        }
    }
    not_loaded.sort();
    for n in &not_loaded {
        eprintln!("  not loaded (mentions AWS::): {n}");
    }
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(templates > 100, "only {templates} templates recognised");
}
