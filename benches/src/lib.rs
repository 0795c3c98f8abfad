//! Helpers shared by tollgate's benchmarks: in-memory trees for
//! `scan_sources`, and the parse-only floor (discover, read and parse the
//! same files tollgate reads, with no evaluation and no rules).

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
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
    /// `.tf.json`, `terraform.tfvars.json`, `*.auto.tfvars.json`: Terraform JSON, always parsed.
    TerraformJson,
    /// Other `.json`, and `.template` files starting with `{`: parsed when
    /// they can be a template, a policy or a plan.
    Json,
    /// `.yaml`, `.yml`, other `.template` files: parsed when they can be a template.
    Yaml,
}

/// The same file-name classification as tollgate's scan.
pub fn classify(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".tf.json") || name == "terraform.tfvars.json" || name.ends_with(".auto.tfvars.json") {
        Some(Format::TerraformJson)
    } else if name.ends_with(".json") {
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
/// entries are visited in name order, entry types come from the directory
/// listing (only symlinks cost a `stat`), and a real path is the parent's
/// real path and the entry's name unless the entry is a symlink.
pub fn discover(roots: &[PathBuf]) -> Vec<(PathBuf, Format)> {
    let mut out = Vec::new();
    let mut seen_dirs = HashSet::new();
    for root in roots {
        if root.is_dir() {
            let real = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
            walk(root, real, &mut seen_dirs, &mut out);
        } else if let Some(format) = classify(root) {
            out.push((root.clone(), format));
        }
    }
    out
}

fn walk(dir: &Path, real: PathBuf, seen_dirs: &mut HashSet<OsString>, out: &mut Vec<(PathBuf, Format)>) {
    if !seen_dirs.insert(real.clone().into_os_string()) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<(PathBuf, Option<std::fs::FileType>)> =
        entries.filter_map(|e| e.ok()).map(|e| (e.path(), e.file_type().ok().filter(|t| !t.is_symlink()))).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, file_type) in entries {
        let (is_dir, linked) = match file_type {
            Some(t) => (t.is_dir(), false),
            None => match std::fs::metadata(&path) {
                Ok(m) => (m.is_dir(), true),
                Err(_) => continue,
            },
        };
        if is_dir {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if !name.starts_with('.') && name != "node_modules" {
                let child_real = match (linked, path.file_name()) {
                    (false, Some(n)) => real.join(n),
                    _ => std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()),
                };
                walk(&path, child_real, seen_dirs, out);
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
        Format::Json | Format::TerraformJson => {
            serde_json::from_str::<serde_json::Value>(text).map(drop).map_err(|e| e.to_string())
        }
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
    /// Documents read but not parsed: tollgate skips them unparsed too.
    pub skipped: usize,
    /// Files that could not be read as UTF-8 or failed to parse.
    pub failed: usize,
}

/// The parse-only floor: discovers the files under `roots`, then reads
/// each in parallel (rayon) through a buffer kept per thread and parses it
/// when tollgate would parse it, with no evaluation.
pub fn parse_floor(roots: &[PathBuf]) -> FloorStats {
    use std::io::Read;
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let files = discover(roots);
    // (bytes, parsed, ok)
    let results: Vec<(u64, bool, bool)> = files
        .par_iter()
        .map(|(path, format)| {
            BUFFER.with_borrow_mut(|buf| {
                buf.clear();
                let read = std::fs::File::open(path).and_then(|mut f| f.read_to_end(buf));
                match (read, std::str::from_utf8(buf)) {
                    (Ok(n), Ok(text)) if tollgate_core::parses_file(path, text) => {
                        (n as u64, true, parse_text(*format, text).is_ok())
                    }
                    (Ok(n), Ok(_)) => (n as u64, false, true),
                    _ => (0, false, false),
                }
            })
        })
        .collect();
    FloorStats {
        files: files.len(),
        bytes: results.iter().map(|(b, _, _)| b).sum(),
        skipped: results.iter().filter(|(_, parsed, ok)| !parsed && *ok).count(),
        failed: results.iter().filter(|(_, _, ok)| !ok).count(),
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
        assert_eq!(classify(Path::new("a/main.tf.json")), Some(Format::TerraformJson));
        assert_eq!(classify(Path::new("a/policy.json")), Some(Format::Json));
        assert_eq!(classify(Path::new("prod.auto.tfvars")), Some(Format::Hcl));
        assert_eq!(classify(Path::new("terraform.tfvars.json")), Some(Format::TerraformJson));
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
    fn documents_tollgate_skips_are_not_parsed() {
        use tollgate_core::parses_file;
        assert!(!parses_file(Path::new("package-lock.json"), r#"{"lockfileVersion": 3}"#));
        assert!(parses_file(Path::new("policy.json"), r#"{"Statement": []}"#));
        assert!(parses_file(Path::new("main.tf.json"), r#"{"resource": {}}"#));
        assert!(!parses_file(Path::new("ci.yml"), "name: ci\non: push\n"));
        assert!(parses_file(Path::new("t.yaml"), "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"));
        assert!(parses_file(Path::new("t.template"), "{\"Resources\": {}}"));
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
