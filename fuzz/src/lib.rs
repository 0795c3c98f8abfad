//! Helpers shared by the fuzz targets: turning fuzzer bytes into in-memory
//! trees for `tollgate_core::scan_sources` and checking invariants that must
//! hold for any input.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tollgate_core::{ScanOptions, ScanOutput};

/// Separator between files in a tree input: `\n--- PATH\n`.
pub const FILE_SEPARATOR: &str = "\n--- ";

/// Most files one tree input may hold.
const MAX_FILES: usize = 16;

/// One file named `name` holding `data` (lossily decoded: the disk reader
/// rejects non-UTF-8 bytes before any parser runs).
pub fn single(name: &str, data: &[u8]) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from(name), String::from_utf8_lossy(data).into_owned());
    files
}

/// Splits `data` into files: the text before the first separator is
/// `main.tf`; every `\n--- PATH\n` starts a file named PATH (sanitized to a
/// short relative path; an empty name becomes `extra.tf`).
pub fn tree(data: &[u8]) -> BTreeMap<PathBuf, String> {
    let text = String::from_utf8_lossy(data);
    let mut files = BTreeMap::new();
    let mut parts = text.split(FILE_SEPARATOR);
    if let Some(first) = parts.next() {
        files.insert(PathBuf::from("main.tf"), first.to_string());
    }
    for part in parts.take(MAX_FILES) {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        files.insert(PathBuf::from(sanitize(name)), body.to_string());
    }
    files
}

/// A relative path of at most four short components made of `[A-Za-z0-9._-]`
/// (`..` and `.` components allowed: they exercise module source resolution).
fn sanitize(name: &str) -> String {
    let parts: Vec<String> = name
        .split('/')
        .map(|c| c.chars().filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-')).take(24).collect())
        .filter(|c: &String| !c.is_empty())
        .take(4)
        .collect();
    if parts.is_empty() { "extra.tf".to_string() } else { parts.join("/") }
}

/// Options for fuzzing: the defaults, with a smaller file size limit so that
/// inputs over it exercise the limit path.
pub fn options() -> ScanOptions {
    ScanOptions { max_file_bytes: 1 << 20, ..ScanOptions::default() }
}

/// Invariants of every scan, whatever the input: the output serializes, the
/// counts agree with the units, and every diagnostic names a file of the tree
/// (or a directory holding one) and has 1-based positions.
pub fn check_output(files: &BTreeMap<PathBuf, String>, out: &ScanOutput) {
    let json = serde_json::to_string(out);
    assert!(json.is_ok(), "scan output does not serialize: {json:?}");
    assert_eq!(out.stats.units, out.units.len());
    for d in &out.diagnostics {
        assert!(d.line != Some(0), "0 line in {d:?}");
        assert!(d.column != Some(0), "0 column in {d:?}");
        let known = files.keys().any(|p| {
            let p = p.to_string_lossy();
            p == *d.file || p.starts_with(&format!("{}/", d.file)) || &*d.file == "."
        });
        assert!(known, "diagnostic for a file not in the tree: {d:?} (files {:?})", files.keys());
    }
}
