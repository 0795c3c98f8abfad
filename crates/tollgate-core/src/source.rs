//! Source files and guarded file access (`file()`, `templatefile()`,
//! module directories) for scans of disk trees and of in-memory trees.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// A file read for a scan. `path` is the display path (as given, with `/`).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: Arc<str>,
    /// Where the file lives: a real path for disk scans, the given path for in-memory scans.
    pub fs_path: PathBuf,
    pub text: Arc<str>,
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("not found")]
    NotFound,
    #[error("is a directory")]
    IsDirectory,
    #[error("not a regular file")]
    NotRegularFile,
    #[error("outside the scanned tree (allow with --allow-outside-root)")]
    OutsideRoot,
    #[error("larger than the {limit}-byte limit ({size} bytes)")]
    TooLarge { size: u64, limit: u64 },
    #[error("not UTF-8 text (invalid byte at line {line})")]
    NotUtf8 { line: u32 },
    #[error("{0}")]
    Io(String),
}

/// Reads files for a scan: either from disk, confined to the scan roots
/// unless allowed otherwise, or from an in-memory tree.
#[derive(Debug, Clone)]
pub(crate) struct FileAccess {
    store: Store,
    pub(crate) max_file_bytes: u64,
}

#[derive(Debug, Clone)]
enum Store {
    Disk { roots: Vec<PathBuf>, allow_outside_root: bool },
    Memory(BTreeMap<PathBuf, Arc<str>>),
}

impl FileAccess {
    pub(crate) fn disk(roots: Vec<PathBuf>, allow_outside_root: bool, max_file_bytes: u64) -> Self {
        let roots = roots.iter().map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| normalize(r))).collect();
        FileAccess { store: Store::Disk { roots, allow_outside_root }, max_file_bytes }
    }

    pub(crate) fn memory(files: BTreeMap<PathBuf, Arc<str>>, max_file_bytes: u64) -> Self {
        let files = files.into_iter().map(|(p, t)| (normalize(&p), t)).collect();
        FileAccess { store: Store::Memory(files), max_file_bytes }
    }

    /// Reads a text file (for `file()`, `templatefile()`, var files, module
    /// manifests), enforcing the root confinement and the size limit.
    pub(crate) fn read_text(&self, path: &Path) -> Result<Arc<str>, ReadError> {
        match &self.store {
            Store::Memory(files) => files.get(&normalize(path)).cloned().ok_or_else(|| {
                if files.keys().any(|k| k.starts_with(normalize(path))) {
                    ReadError::IsDirectory
                } else {
                    ReadError::NotFound
                }
            }),
            Store::Disk { roots, allow_outside_root } => {
                // A missing file (a module manifest before `terraform init`)
                // fails one `stat` instead of a `realpath` walk.
                let found = std::fs::symlink_metadata(path).map(|_| ());
                let real = match found.and_then(|()| std::fs::canonicalize(path)) {
                    Ok(real) => real,
                    // A missing path outside the roots is refused as such:
                    // whether it exists out there is none of the input's business.
                    Err(_) if !allow_outside_root && !within_lexically(roots, path) => {
                        return Err(ReadError::OutsideRoot);
                    }
                    Err(e) => return Err(io_error(&e)),
                };
                if !allow_outside_root && !roots.iter().any(|r| real.starts_with(r)) {
                    return Err(ReadError::OutsideRoot);
                }
                if is_pseudo_file_system(&real) {
                    return Err(ReadError::NotRegularFile);
                }
                read_disk_text(&real, self.max_file_bytes)
            }
        }
    }

    /// True when `dir` lies outside the tree this access may read (a disk
    /// scan confined to its roots). Such a directory is neither listed nor
    /// probed: whether it exists out there is none of the input's business.
    pub(crate) fn is_outside(&self, dir: &Path) -> bool {
        match &self.store {
            Store::Memory(_) => false,
            Store::Disk { allow_outside_root: true, .. } => false,
            // Judged by where it really is (a symlink on the way may lead
            // out); a missing directory by its name, as `read_text` does.
            Store::Disk { roots, .. } => match std::fs::canonicalize(dir) {
                Ok(real) => !roots.iter().any(|r| real.starts_with(r)) || is_pseudo_file_system(&real),
                Err(_) => !within_lexically(roots, dir),
            },
        }
    }

    /// True when `path` is a directory in this tree.
    pub(crate) fn is_dir(&self, path: &Path) -> bool {
        match &self.store {
            Store::Memory(files) => {
                let p = normalize(path);
                files.keys().any(|k| k.starts_with(&p) && *k != p)
            }
            Store::Disk { .. } => !self.is_outside(path) && path.is_dir(),
        }
    }

    /// The files directly inside `dir` (not recursive), sorted by name;
    /// nothing for a directory outside the tree ([`FileAccess::is_outside`]).
    pub(crate) fn list_dir(&self, dir: &Path) -> Vec<PathBuf> {
        match &self.store {
            Store::Memory(files) => {
                let d = normalize(dir);
                files.keys().filter(|k| k.parent().map(normalize).as_deref() == Some(d.as_path())).cloned().collect()
            }
            Store::Disk { .. } if self.is_outside(dir) => Vec::new(),
            Store::Disk { .. } => {
                let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
                    .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect())
                    .unwrap_or_default();
                out.sort();
                out
            }
        }
    }
}

/// True when `path`, made absolute and normalized without touching the
/// filesystem, lies under one of `roots` (canonical paths).
fn within_lexically(roots: &[PathBuf], path: &Path) -> bool {
    let absolute = if path.is_absolute() {
        normalize(path)
    } else {
        match std::env::current_dir() {
            Ok(cwd) => normalize(&cwd.join(path)),
            Err(_) => return false,
        }
    };
    roots.iter().any(|r| absolute.starts_with(r))
}

/// True for a path (a real one) in the kernel's pseudo file systems
/// (`/proc`, `/sys`, `/dev`): their "regular files" are the process's
/// environment, memory maps and devices, never infrastructure code, and a
/// scan neither reads nor walks them, whatever `--allow-outside-root` says.
pub(crate) fn is_pseudo_file_system(real: &Path) -> bool {
    cfg!(unix) && ["/proc", "/sys", "/dev"].iter().any(|p| real.starts_with(p))
}

/// Reads a regular file from disk as UTF-8 text within a size limit.
pub(crate) fn read_disk_text(path: &Path, limit: u64) -> Result<Arc<str>, ReadError> {
    // `stat` before `open`: opening a FIFO would wait for a writer.
    let meta = std::fs::metadata(path).map_err(|e| io_error(&e))?;
    if meta.is_dir() {
        return Err(ReadError::IsDirectory);
    }
    if !meta.is_file() {
        return Err(ReadError::NotRegularFile);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { size: meta.len(), limit });
    }
    read_regular_file(path, limit)
}

/// [`read_disk_text`] of a path a directory listing showed to be a regular
/// file. The bytes go through a buffer kept per thread, so the only
/// allocation left is the text itself (a scan reads a thousand files and
/// keeps them all).
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Arc<str>, ReadError> {
    use std::io::Read;
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    BUFFER.with_borrow_mut(|buf| {
        buf.clear();
        // One byte past the limit tells a file over it.
        file.take(limit.saturating_add(1)).read_to_end(buf).map_err(|e| io_error(&e))?;
        if buf.len() as u64 > limit {
            let size = std::fs::metadata(path).map_or(buf.len() as u64, |m| m.len());
            *buf = Vec::new();
            return Err(ReadError::TooLarge { size, limit });
        }
        let text = text_from_utf8(buf);
        if buf.capacity() > 1 << 20 {
            // Do not keep a large file's buffer for the rest of the scan.
            *buf = Vec::new();
        }
        text
    })
}

/// UTF-8 decoding with the line of the first invalid byte; a leading BOM is dropped.
fn text_from_utf8(bytes: &[u8]) -> Result<Arc<str>, ReadError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Arc::from(s.strip_prefix('\u{feff}').unwrap_or(s))),
        Err(e) => {
            let valid = e.valid_up_to();
            let line = bytes.get(..valid).map(|b| b.iter().filter(|c| **c == b'\n').count()).unwrap_or(0);
            Err(ReadError::NotUtf8 { line: u32::try_from(line + 1).unwrap_or(u32::MAX) })
        }
    }
}

fn io_error(e: &std::io::Error) -> ReadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e.to_string()),
    }
}

/// Lexically normalizes a path: drops `.`, resolves `..` where possible.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                // Keep leading `..` of relative paths.
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A display string for a path: `/` separators, no leading `./`.
pub(crate) fn display_path(path: &Path) -> Arc<str> {
    let n = normalize(path);
    let s = n.to_string_lossy().replace('\\', "/");
    Arc::from(if s.is_empty() { ".".to_string() } else { s })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize(Path::new("./a/b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
        assert_eq!(normalize(Path::new("../../x")), PathBuf::from("../../x"));
        assert_eq!(normalize(Path::new("a/../b")), PathBuf::from("b"));
        assert_eq!(normalize(Path::new("/a/../../b")), PathBuf::from("/b"));
        assert_eq!(&*display_path(Path::new("./x/main.tf")), "x/main.tf");
    }

    #[test]
    fn memory_access_reads_and_lists() {
        let mut files = BTreeMap::new();
        files.insert(PathBuf::from("m/main.tf"), Arc::from("x"));
        files.insert(PathBuf::from("m/sub/a.tf"), Arc::from("y"));
        let fa = FileAccess::memory(files, 100);
        assert_eq!(fa.read_text(Path::new("./m/main.tf")).as_deref(), Ok("x"));
        assert_eq!(fa.read_text(Path::new("m/sub")), Err(ReadError::IsDirectory));
        assert_eq!(fa.read_text(Path::new("nope")), Err(ReadError::NotFound));
        assert!(fa.is_dir(Path::new("m")));
        assert_eq!(fa.list_dir(Path::new("m")), vec![PathBuf::from("m/main.tf")]);
    }

    #[test]
    fn missing_files_outside_the_root_are_refused_as_outside() {
        let root = std::env::temp_dir().join(format!("tollgate-source-{}", std::process::id()));
        std::fs::create_dir_all(root.join("m")).unwrap();
        let fa = FileAccess::disk(vec![root.clone()], false, 100);
        let missing_outside = root.join("m/../../no-such-file-outside");
        assert_eq!(fa.read_text(&missing_outside), Err(ReadError::OutsideRoot));
        assert_eq!(fa.read_text(&root.join("m/no-such-file")), Err(ReadError::NotFound));
        let allowed = FileAccess::disk(vec![root.clone()], true, 100);
        assert_eq!(allowed.read_text(&missing_outside), Err(ReadError::NotFound));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn reports_invalid_utf8_line() {
        assert_eq!(text_from_utf8(b"a\nb\n\xff"), Err(ReadError::NotUtf8 { line: 3 }));
        assert_eq!(text_from_utf8("\u{feff}ok".as_bytes()).as_deref(), Ok("ok"));
    }
}
