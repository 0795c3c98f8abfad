//! Discovery and classification: which files under the scan roots are
//! read, and as what. Hidden directories, `node_modules` and symlinks out
//! of the roots are not entered (the role `ignore` plays in ripgrep); file
//! names decide the class, bytes compared.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::parse::{self, DocFormat};
use crate::source::{self, ReadError};

/// What a discovered file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileClass {
    Terraform,
    TfVars,
    Document(DocFormat),
}

/// Classifies a file by its name, compared as bytes: a name that is not
/// UTF-8 (`m\xff.tf`) is loaded by Terraform, so it is scanned too.
pub(super) fn classify(path: &Path) -> Option<FileClass> {
    let name = path.file_name()?.as_encoded_bytes().to_ascii_lowercase();
    let name = name.as_slice();
    if name.ends_with(b".tf") || name.ends_with(b".tf.json") {
        Some(FileClass::Terraform)
    } else if name == b"terraform.tfvars"
        || name == b"terraform.tfvars.json"
        || name.ends_with(b".auto.tfvars")
        || name.ends_with(b".auto.tfvars.json")
    {
        Some(FileClass::TfVars)
    } else if name.ends_with(b".json") {
        Some(FileClass::Document(DocFormat::Json))
    } else if name.ends_with(b".yaml") || name.ends_with(b".yml") {
        Some(FileClass::Document(DocFormat::Yaml))
    } else if name.ends_with(b".template") {
        // JSON or YAML: decided from the text once read.
        Some(FileClass::Document(DocFormat::Yaml))
    } else {
        None
    }
}

/// A `.template` file (classified as YAML) whose text starts with `{` is JSON.
pub(super) fn document_format(format: DocFormat, text: &str) -> DocFormat {
    if format == DocFormat::Yaml && text.trim_start().starts_with('{') { DocFormat::Json } else { format }
}

/// Whether a scan parses the file at `path` when it holds `text`: every
/// Terraform file, and the JSON and YAML documents that can be a template,
/// a policy or a plan; the other documents are skipped unparsed, and
/// files of other names are not read. The parse-only floor in `benches/`
/// parses exactly these.
pub fn parses_file(path: &Path, text: &str) -> bool {
    match classify(path) {
        Some(FileClass::Terraform | FileClass::TfVars) => true,
        Some(FileClass::Document(format)) => match document_format(format, text) {
            DocFormat::Json => parse::may_be_ours_json(text),
            DocFormat::Yaml => parse::cloudformation::sniff_yaml(text),
        },
        None => false,
    }
}

pub(super) struct Discovered {
    /// Each file with its class and whether the directory listing showed
    /// it to be a regular file (then reading needs no `stat` first).
    pub(super) files: Vec<(PathBuf, FileClass, bool)>,
    pub(super) skipped: usize,
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// Real paths already reached (directories and files), compared as
/// bytes: they are canonical, so no component-wise comparison is needed.
#[derive(Default)]
struct Seen {
    dirs: HashSet<OsString>,
    files: HashSet<OsString>,
}

/// Where a walk may go: symlinks are followed only to targets under one of
/// the roots (their real paths), unless `--allow-outside-root`; the
/// kernel's pseudo file systems never.
struct Confinement {
    roots: Vec<PathBuf>,
    allow_outside_root: bool,
}

impl Confinement {
    fn admits(&self, real: &Path) -> bool {
        self.allow_outside_root || self.roots.iter().any(|r| real.starts_with(r))
    }
}

/// Walks the given roots: hidden directories and `.terraform/` are not
/// entered, symlinked directories are followed once (loops are cut), and
/// a symlink leading outside the roots is skipped with a warning that
/// names the link, never its target.
pub(super) fn discover(roots: &[PathBuf], allow_outside_root: bool) -> Discovered {
    let mut d = Discovered { files: Vec::new(), skipped: 0, diagnostics: Vec::new() };
    let mut seen = Seen::default();
    let confinement =
        Confinement { roots: roots.iter().filter_map(|r| std::fs::canonicalize(r).ok()).collect(), allow_outside_root };
    for root in roots {
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => {
                let real = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
                if source::is_pseudo_file_system(&real) {
                    d.diagnostics.push(special_file(root));
                    continue;
                }
                walk(root, real, &confinement, &mut seen, &mut d);
            }
            Ok(_) if std::fs::canonicalize(root).is_ok_and(|real| source::is_pseudo_file_system(&real)) => {
                d.diagnostics.push(special_file(root));
            }
            Ok(_) => match classify(root) {
                Some(class) => {
                    let real = std::fs::canonicalize(root).unwrap_or_else(|_| source::normalize(root));
                    if seen.files.insert(real.into_os_string()) {
                        d.files.push((root.clone(), class, false));
                    }
                }
                None => d.skipped += 1,
            },
            Err(e) => d.diagnostics.push(Diagnostic::error(source::display_path(root), "io", e.to_string())),
        }
    }
    d
}

/// The warning for a path in `/proc`, `/sys` or `/dev`: not read.
fn special_file(path: &Path) -> Diagnostic {
    Diagnostic::warning(source::display_path(path), "io", "a special file or pseudo file system: not read")
}

/// Walks `dir`, whose real path is `real`. A subdirectory reached through
/// a plain entry has its parent's real path and its name; only symlinks
/// cost a `realpath`.
fn walk(dir: &Path, real: PathBuf, confinement: &Confinement, seen: &mut Seen, d: &mut Discovered) {
    if !seen.dirs.insert(real.clone().into_os_string()) {
        return; // symlink loop or a directory reached twice
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            d.diagnostics.push(Diagnostic::error(
                source::display_path(dir),
                "io",
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    // The entry type comes with the directory listing: only symlinks (and
    // entries of unknown type) cost a `stat` to see what they point at.
    let mut entries: Vec<(PathBuf, Option<std::fs::FileType>)> =
        entries.filter_map(|e| e.ok()).map(|e| (e.path(), e.file_type().ok().filter(|t| !t.is_symlink()))).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, file_type) in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (is_dir, linked, regular) = match file_type {
            Some(t) => (t.is_dir(), false, t.is_file()),
            None => match std::fs::metadata(&path) {
                Ok(m) => (m.is_dir(), true, false),
                Err(_) => {
                    // Dangling symlink or unreadable entry.
                    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                        d.skipped += 1;
                    } else if classify(&path).is_some() {
                        d.diagnostics.push(Diagnostic::error(source::display_path(&path), "io", "cannot read file"));
                    }
                    continue;
                }
            },
        };
        if is_dir && (name.starts_with('.') || name == "node_modules") {
            continue;
        }
        let class = if is_dir { None } else { classify(&path) };
        if !is_dir && class.is_none() {
            d.skipped += 1;
            continue;
        }
        // A plain entry is known by its directory's real path and its
        // name; a symlink by where it points, which must be inside.
        let entry_real = match (linked, path.file_name()) {
            (false, Some(file)) => real.join(file),
            _ => match std::fs::canonicalize(&path) {
                Ok(target) if source::is_pseudo_file_system(&target) => {
                    d.diagnostics.push(special_file(&path));
                    continue;
                }
                Ok(target) if !confinement.admits(&target) => {
                    d.diagnostics.push(Diagnostic::warning(
                        source::display_path(&path),
                        "io",
                        "symlink to a path outside the scanned tree: not scanned (allow with --allow-outside-root)",
                    ));
                    continue;
                }
                Ok(target) => target,
                Err(_) => path.clone(),
            },
        };
        match class {
            None => {
                if source::is_pseudo_file_system(&entry_real) {
                    d.diagnostics.push(special_file(&path));
                    continue;
                }
                walk(&path, entry_real, confinement, seen, d);
            }
            Some(class) => {
                if seen.files.insert(entry_real.into_os_string()) {
                    d.files.push((path, class, regular));
                }
            }
        }
    }
}

pub(super) fn read_error_diagnostic(path: &Arc<str>, e: &ReadError) -> Diagnostic {
    let d = Diagnostic::error(
        path.clone(),
        if matches!(e, ReadError::TooLarge { .. }) { "limit" } else { "io" },
        e.to_string(),
    );
    match e {
        ReadError::NotUtf8 { line } => d.at(*line, 1),
        _ => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_name() {
        assert_eq!(classify(Path::new("a/main.tf")), Some(FileClass::Terraform));
        assert_eq!(classify(Path::new("a/main.tf.json")), Some(FileClass::Terraform));
        assert_eq!(classify(Path::new("a/prod.auto.tfvars")), Some(FileClass::TfVars));
        assert_eq!(classify(Path::new("terraform.tfvars")), Some(FileClass::TfVars));
        assert_eq!(classify(Path::new("x.tfvars")), None);
        assert_eq!(classify(Path::new("t.yml")), Some(FileClass::Document(DocFormat::Yaml)));
        assert_eq!(classify(Path::new("README.md")), None);
    }
}
