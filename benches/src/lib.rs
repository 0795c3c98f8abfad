//! Helpers shared by tollgate's benchmarks: in-memory trees for
//! `scan_sources`, and the parse-only floor (discover, read and parse the
//! same files tollgate reads, with no evaluation and no rules).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// `benches/data`: the small stable inputs copied from the shared corpus.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The repository's `fixtures/` tree.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("fixtures")
}

/// How a discovered file is parsed by the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// `.tf`, `terraform.tfvars`, `*.auto.tfvars`: HCL.
    Hcl,
    /// `.tf.json`, `*.tfvars.json`, `.json`, and `.template` files starting with `{`.
    Json,
    /// `.yaml`, `.yml`, other `.template` files.
    Yaml,
}

/// The same file-name classification as tollgate's scan.
pub fn classify(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".tf.json") || name.ends_with(".tfvars.json") || name.ends_with(".json") {
        Some(Format::Json)
    } else if name.ends_with(".tf") || name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
        Some(Format::Hcl)
    } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".template") {
        Some(Format::Yaml)
    } else {
        None
    }
}

/// Walks the roots as tollgate does: hidden directories and `node_modules`
/// are not entered, directories reached twice (symlinks) are walked once,
/// entries are visited in name order. Returns the classified files.
pub fn discover(roots: &[PathBuf]) -> Vec<(PathBuf, Format)> {
    let mut out = Vec::new();
    let mut seen_dirs = BTreeSet::new();
    for root in roots {
        if root.is_dir() {
            walk(root, &mut seen_dirs, &mut out);
        } else if let Some(format) = classify(root) {
            out.push((root.clone(), format));
        }
    }
    out
}

fn walk(dir: &Path, seen_dirs: &mut BTreeSet<PathBuf>, out: &mut Vec<(PathBuf, Format)>) {
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !seen_dirs.insert(real) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if !name.starts_with('.') && name != "node_modules" {
                walk(&path, seen_dirs, out);
            }
        } else if let Some(format) = classify(&path) {
            out.push((path, format));
        }
    }
}

/// Parses one file's text in its format, keeping nothing: `Err` carries the
/// parser's message.
pub fn parse_text(format: Format, text: &str) -> Result<(), String> {
    let format = if format == Format::Yaml && text.trim_start().starts_with('{') { Format::Json } else { format };
    match format {
        Format::Hcl => hcl_edit::parser::parse_body(text).map(drop).map_err(|e| e.to_string()),
        Format::Json => serde_json::from_str::<serde_json::Value>(text).map(drop).map_err(|e| e.to_string()),
        Format::Yaml => {
            use saphyr::LoadableYamlNode;
            saphyr::MarkedYaml::load_from_str(text).map(drop).map_err(|e| e.to_string())
        }
    }
}

/// What the floor did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloorStats {
    pub files: usize,
    pub bytes: u64,
    /// Files that could not be read as UTF-8 or failed to parse.
    pub failed: usize,
}

/// The parse-only floor: discovers the files under `roots`, then reads and
/// parses each in parallel (rayon), as tollgate does, with no evaluation.
pub fn parse_floor(roots: &[PathBuf]) -> FloorStats {
    let files = discover(roots);
    let results: Vec<(u64, bool)> = files
        .par_iter()
        .map(|(path, format)| match std::fs::read_to_string(path) {
            Ok(text) => (text.len() as u64, parse_text(*format, &text).is_ok()),
            Err(_) => (0, false),
        })
        .collect();
    FloorStats {
        files: files.len(),
        bytes: results.iter().map(|(b, _)| b).sum(),
        failed: results.iter().filter(|(_, ok)| !ok).count(),
    }
}

/// Reads every file under `root` into an in-memory tree for
/// `scan_sources`, keyed by the path relative to `root` (prefixed with
/// `prefix`). Files that are not UTF-8 are left out.
pub fn load_tree(root: &Path, prefix: &str) -> BTreeMap<PathBuf, String> {
    let mut tree = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let (Ok(rel), Ok(text)) = (path.strip_prefix(root), std::fs::read_to_string(&path)) {
                tree.insert(Path::new(prefix).join(rel), text);
            }
        }
    }
    tree
}

/// The middle value of `values` (the mean of the two middle ones for an
/// even count); 0 for none.
pub fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => 0,
        _ if n % 2 == 1 => values.get(n / 2).copied().unwrap_or(0),
        _ => {
            let a = values.get(n / 2 - 1).copied().unwrap_or(0);
            let b = values.get(n / 2).copied().unwrap_or(0);
            (a + b) / 2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_like_tollgate() {
        assert_eq!(classify(Path::new("a/main.tf")), Some(Format::Hcl));
        assert_eq!(classify(Path::new("a/main.tf.json")), Some(Format::Json));
        assert_eq!(classify(Path::new("prod.auto.tfvars")), Some(Format::Hcl));
        assert_eq!(classify(Path::new("terraform.tfvars.json")), Some(Format::Json));
        assert_eq!(classify(Path::new("x.tfvars")), None);
        assert_eq!(classify(Path::new("t.yml")), Some(Format::Yaml));
        assert_eq!(classify(Path::new("t.template")), Some(Format::Yaml));
        assert_eq!(classify(Path::new("README.md")), None);
    }

    #[test]
    fn parses_each_format() {
        assert_eq!(parse_text(Format::Hcl, "resource \"a\" \"b\" {\n  x = 1\n}\n"), Ok(()));
        assert!(parse_text(Format::Hcl, "resource \"a\" {").is_err());
        assert_eq!(parse_text(Format::Json, r#"{"a": [1, 2]}"#), Ok(()));
        assert!(parse_text(Format::Json, "{").is_err());
        assert_eq!(parse_text(Format::Yaml, "a: !Ref B\nc: [1, 2]\n"), Ok(()));
        assert_eq!(parse_text(Format::Yaml, "{\"a\": 1}"), Ok(()));
        assert!(parse_text(Format::Yaml, "a: [").is_err());
    }

    #[test]
    fn floor_reads_the_bench_data() {
        let stats = parse_floor(&[data_dir()]);
        assert_eq!(stats.failed, 0);
        assert!(stats.files >= 5, "{stats:?}");
        assert!(stats.bytes > 10_000, "{stats:?}");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), 0);
        assert_eq!(median(&mut [5, 1, 3]), 3);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2);
    }
}
