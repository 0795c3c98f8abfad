//! The scan: discover files under the given paths, read them, group them
//! into units, parse each unit and build its graph. Units are independent
//! and processed in parallel; the output order is stable.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::graph::{Graph, SourceKind};
use crate::parse::terraform::TerraformDir;
use crate::parse::{self, DocFormat, Document};
use crate::source::{self, FileAccess, ReadError, SourceFile};

/// Default limit on the size of one input file.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Default wall-clock budget for evaluating one unit (a root module with its
/// children, or one template).
pub const DEFAULT_FILE_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Default budget of evaluation steps for one unit. Deterministic, unlike
/// the time limit: the same input stops at the same place on every machine.
pub const DEFAULT_MAX_EVAL_STEPS: u64 = 10_000_000;

/// Options of a scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Extra Terraform variable files (`--var-file`), applied after the
    /// auto-loaded `terraform.tfvars` and `*.auto.tfvars` of every root.
    pub var_files: Vec<PathBuf>,
    /// CloudFormation parameter overrides (`--param KEY=VALUE`), applied
    /// after `param_files`.
    pub params: BTreeMap<String, String>,
    /// CloudFormation parameter files: `[{"ParameterKey": k, "ParameterValue": v}]`
    /// or `{"Parameters": {k: v}}` or `{k: v}`.
    pub param_files: Vec<PathBuf>,
    /// Follow symlinks out of the scan roots and let `file()`/`templatefile()`
    /// and modules read there (the kernel's pseudo file systems never).
    pub allow_outside_root: bool,
    /// Files larger than this are reported and not parsed.
    pub max_file_bytes: u64,
    /// Configuration directory for Terraform plans (`--config-dir`).
    pub config_dir: Option<PathBuf>,
    /// Action catalog for the IAM `grants` summaries (`--catalog FILE`);
    /// `None` uses the embedded one.
    pub catalog: Option<Arc<tollgate_catalog::Catalog>>,
    /// Wall-clock budget for evaluating one unit; a unit over it stops with
    /// a `limit` diagnostic and its remaining values are unknown.
    pub file_time_limit: Duration,
    /// Evaluation steps allowed for one unit (same effect as the time limit).
    pub max_eval_steps: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            var_files: Vec::new(),
            params: BTreeMap::new(),
            param_files: Vec::new(),
            allow_outside_root: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            config_dir: None,
            catalog: None,
            file_time_limit: DEFAULT_FILE_TIME_LIMIT,
            max_eval_steps: DEFAULT_MAX_EVAL_STEPS,
        }
    }
}

/// Default budget of value bytes one unit may build (see [`Budget::charge_bytes`]).
/// Normal configurations build a few megabytes; the bound keeps a hostile
/// unit (a 13 MB string joined a thousand times) from exhausting memory.
pub(crate) const DEFAULT_MAX_EVAL_BYTES: usize = 256 * 1024 * 1024;

/// The evaluation budget of one unit: a step count, a deadline and a
/// memory allowance. An evaluator calls [`Budget::step`] once per
/// expression and [`Budget::charge`] for work worth many steps (a regex
/// compile), and [`Budget::charge_bytes`] with the size of every value it
/// is about to build (before building it); once one of them returns false
/// the evaluator reports [`Budget::message`] once (code `limit`) and
/// yields unknowns for everything left, so the unit finishes quickly with
/// what was evaluated so far.
#[derive(Debug)]
pub(crate) struct Budget {
    steps: u64,
    max_steps: u64,
    started: Instant,
    limit: Duration,
    bytes: usize,
    max_bytes: usize,
    exceeded: Option<Exceeded>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exceeded {
    Steps,
    Time,
    Memory,
}

impl Budget {
    pub(crate) fn new(max_steps: u64, limit: Duration, max_bytes: usize) -> Budget {
        Budget { steps: 0, max_steps, started: Instant::now(), limit, bytes: 0, max_bytes, exceeded: None }
    }

    /// Counts one step; false once the budget is spent (and from then on).
    pub(crate) fn step(&mut self) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        self.steps += 1;
        if self.steps > self.max_steps {
            self.exceeded = Some(Exceeded::Steps);
        } else if self.steps.is_multiple_of(1024) && self.started.elapsed() > self.limit {
            self.exceeded = Some(Exceeded::Time);
        }
        self.exceeded.is_none()
    }

    /// Counts `n` steps of work done at once and checks the clock: the
    /// cost of an expensive built-in, so that one slow call cannot run far
    /// past the deadline between two of [`Budget::step`]'s clock checks.
    pub(crate) fn charge(&mut self, n: u64) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.max_steps {
            self.exceeded = Some(Exceeded::Steps);
        } else if self.started.elapsed() > self.limit {
            self.exceeded = Some(Exceeded::Time);
        }
        self.exceeded.is_none()
    }

    /// Whether a limit was hit (the unit stops).
    pub(crate) fn exhausted(&self) -> bool {
        self.exceeded.is_some()
    }

    /// Value bytes still allowed (0 once any limit was hit).
    pub(crate) fn room(&self) -> usize {
        if self.exceeded.is_some() { 0 } else { self.max_bytes.saturating_sub(self.bytes) }
    }

    /// Takes `n` value bytes for a value about to be built; false, and the
    /// budget spent, when fewer are left.
    pub(crate) fn charge_bytes(&mut self, n: usize) -> bool {
        if self.exceeded.is_some() {
            return false;
        }
        if n > self.room() {
            self.exceeded = Some(Exceeded::Memory);
            return false;
        }
        self.bytes += n;
        true
    }

    /// What was exceeded, for the evaluator's `limit` diagnostic
    /// ("evaluation stopped at {this}; the rest is unknown").
    pub(crate) fn message(&self) -> String {
        match self.exceeded {
            Some(Exceeded::Time) => format!("the time limit of {} s for one unit", self.limit.as_secs_f64()),
            Some(Exceeded::Memory) => format!("more than {} MiB of values built in one unit", self.max_bytes >> 20),
            _ => format!("more than {} evaluation steps in one unit", self.max_steps),
        }
    }
}

/// Everything a parser may need besides its own files.
#[derive(Debug)]
pub(crate) struct ScanContext {
    pub(crate) files: FileAccess,
    pub(crate) options: ScanOptions,
    /// `--var-file` contents, read once.
    pub(crate) extra_var_files: Vec<SourceFile>,
    /// Merged CloudFormation parameter overrides.
    pub(crate) params: BTreeMap<String, String>,
}

impl ScanContext {
    /// A fresh evaluation budget for one unit.
    pub(crate) fn budget(&self) -> Budget {
        Budget::new(self.options.max_eval_steps, self.options.file_time_limit, DEFAULT_MAX_EVAL_BYTES)
    }
}

/// One independently evaluated piece of input and its graph.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub kind: SourceKind,
    /// The root module directory, template or policy file.
    pub root: Arc<str>,
    pub graph: Graph,
}

/// Counts for the scan summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Files read and parsed as infrastructure code or variables.
    pub files_scanned: usize,
    /// Files seen and skipped (not infrastructure code we understand).
    pub files_skipped: usize,
    /// Files that could not be read or parsed.
    pub files_failed: usize,
    pub units: usize,
    pub resources: usize,
}

/// The result of a scan: the units with their graphs (or, from
/// [`scan_paths_with`], what the visitor made of each unit), the
/// diagnostics, and the text of every file read (for rendering snippets).
#[derive(Debug, Clone, Serialize)]
pub struct ScanOutput<U = Unit> {
    /// One entry per unit, sorted by the unit's root.
    pub units: Vec<U>,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: ScanStats,
    #[serde(skip)]
    pub sources: BTreeMap<Arc<str>, Arc<str>>,
    /// Where the time went (not part of the serialized output).
    #[serde(skip)]
    pub timings: ScanTimings,
}

/// Where the time of a scan went, in microseconds. `discovery_micros`,
/// `read_micros`, `units_wall_micros` and `total_micros` are wall time;
/// `parse_micros` and `graph_micros` are summed over the parallel workers
/// (so they can exceed the wall time of the phase that runs them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanTimings {
    /// Walking the roots and classifying file names.
    pub discovery_micros: u64,
    /// Reading the discovered files (parallel).
    pub read_micros: u64,
    /// Evaluating units (Terraform modules from their parsed directories;
    /// parsing and evaluating templates and policies), summed.
    pub parse_micros: u64,
    /// `Graph::build` of every unit, summed.
    pub graph_micros: u64,
    /// Finding every Terraform directory's module calls (a lexical scan,
    /// in parallel) and the root modules, before any unit is evaluated (wall).
    pub terraform_parse_micros: u64,
    /// Wall time of the parallel parse and graph-build phase.
    pub units_wall_micros: u64,
    /// Wall time of the whole scan.
    pub total_micros: u64,
}

fn micros_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl ScanOutput {
    /// All units' graphs in one (as `tollgate graph` prints it).
    pub fn merged_graph(&self) -> Graph {
        let mut g = Graph { schema_version: crate::graph::SCHEMA_VERSION, ..Graph::default() };
        for u in &self.units {
            g.extend(u.graph.clone());
        }
        g
    }
}

/// What a discovered file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileClass {
    Terraform,
    TfVars,
    Document(DocFormat),
}

/// Classifies a file by its name, compared as bytes: a name that is not
/// UTF-8 (`m\xff.tf`) is loaded by Terraform, so it is scanned too.
fn classify(path: &Path) -> Option<FileClass> {
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
fn document_format(format: DocFormat, text: &str) -> DocFormat {
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

struct Discovered {
    /// Each file with its class and whether the directory listing showed
    /// it to be a regular file (then reading needs no `stat` first).
    files: Vec<(PathBuf, FileClass, bool)>,
    skipped: usize,
    diagnostics: Vec<Diagnostic>,
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
fn discover(roots: &[PathBuf], allow_outside_root: bool) -> Discovered {
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

fn read_error_diagnostic(path: &Arc<str>, e: &ReadError) -> Diagnostic {
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

/// Scans files and directories on disk.
pub fn scan_paths(paths: &[PathBuf], options: &ScanOptions) -> Result<ScanOutput> {
    scan_paths_with(paths, options, |unit| unit)
}

/// Scans files and directories on disk and hands every unit to `visit` as
/// soon as its graph is built, on the worker thread that built it. The unit
/// is dropped once `visit` returns, so a scan that only needs, say, the
/// findings of each unit holds the graphs of the units in flight instead of
/// all of them. The output keeps what `visit` returned, sorted by root.
pub fn scan_paths_with<T: Send>(
    paths: &[PathBuf],
    options: &ScanOptions,
    visit: impl Fn(Unit) -> T + Sync,
) -> Result<ScanOutput<T>> {
    Ok(prepare_paths(paths, options)?.run(visit))
}

/// A scan of files on disk whose files are found and read, none parsed
/// yet: the first part of [`scan_paths_with`], for a caller with other
/// set-up to do side by side with it (the policy engine builds its rules
/// while this runs on another worker).
pub struct PreparedScan {
    ctx: ScanContext,
    read: Vec<(PathBuf, FileClass, std::result::Result<Arc<str>, ReadError>)>,
    skipped: usize,
    diagnostics: Vec<Diagnostic>,
    timings: ScanTimings,
    start: Instant,
}

impl PreparedScan {
    /// Parses the files, builds the units' graphs and hands each unit to
    /// `visit`, as [`scan_paths_with`] does.
    pub fn run<T: Send>(self, visit: impl Fn(Unit) -> T + Sync) -> ScanOutput<T> {
        let PreparedScan { ctx, read, skipped, diagnostics, timings, start } = self;
        run(&ctx, read, skipped, diagnostics, timings, start, &visit)
    }
}

/// Finds and reads the files of a scan of `paths` (see [`PreparedScan`]).
pub fn prepare_paths(paths: &[PathBuf], options: &ScanOptions) -> Result<PreparedScan> {
    let start = Instant::now();
    let roots: Vec<PathBuf> = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let discovered = discover(&roots, options.allow_outside_root);
    let mut timings = ScanTimings { discovery_micros: micros_since(start), ..ScanTimings::default() };
    let read_start = Instant::now();
    let mut allowed_roots = roots.clone();
    allowed_roots.extend(options.var_files.iter().cloned());
    allowed_roots.extend(options.config_dir.iter().cloned());
    // A plan given alone may read the configuration beside it (for locations).
    allowed_roots.extend(
        roots.iter().filter(|r| r.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) && r.is_file()).map(
            |r| match r.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            },
        ),
    );
    let files = FileAccess::disk(allowed_roots, options.allow_outside_root, options.max_file_bytes);
    let limit = options.max_file_bytes;
    let read: Vec<(PathBuf, FileClass, std::result::Result<Arc<str>, ReadError>)> = discovered
        .files
        .into_par_iter()
        .map(|(p, class, regular)| {
            let text = if regular { source::read_regular_file(&p, limit) } else { source::read_disk_text(&p, limit) };
            (p, class, text)
        })
        .collect();
    let ctx = context(files, options, |p| source::read_disk_text(p, limit))?;
    timings.read_micros = micros_since(read_start);
    Ok(PreparedScan { ctx, read, skipped: discovered.skipped, diagnostics: discovered.diagnostics, timings, start })
}

/// Scans an in-memory tree: `files` maps paths to contents. `file()` and
/// modules resolve inside this tree only.
pub fn scan_sources(files: BTreeMap<PathBuf, String>, options: &ScanOptions) -> Result<ScanOutput> {
    scan_sources_with(files, options, |unit| unit)
}

/// [`scan_sources`] with a visitor for each unit, as [`scan_paths_with`].
pub fn scan_sources_with<T: Send>(
    files: BTreeMap<PathBuf, String>,
    options: &ScanOptions,
    visit: impl Fn(Unit) -> T + Sync,
) -> Result<ScanOutput<T>> {
    let start = Instant::now();
    let limit = options.max_file_bytes;
    let tree: BTreeMap<PathBuf, Arc<str>> =
        files.into_iter().map(|(p, t)| (source::normalize(&p), Arc::from(t))).collect();
    let mut skipped = 0;
    let mut read = Vec::new();
    for (p, text) in &tree {
        let hidden = p.components().any(|c| {
            let s = c.as_os_str().to_string_lossy();
            s.starts_with('.') && s != "." && s != ".."
        });
        match classify(p) {
            Some(class) if !hidden => {
                let text = if text.len() as u64 > limit {
                    Err(ReadError::TooLarge { size: text.len() as u64, limit })
                } else {
                    Ok(text.clone())
                };
                read.push((p.clone(), class, text));
            }
            _ => skipped += 1,
        }
    }
    let lookup = tree.clone();
    let ctx = context(FileAccess::memory(tree, limit), options, |p| {
        lookup.get(&source::normalize(p)).cloned().ok_or(ReadError::NotFound)
    })?;
    let timings = ScanTimings { discovery_micros: micros_since(start), ..ScanTimings::default() };
    Ok(run(&ctx, read, skipped, Vec::new(), timings, start, &visit))
}

fn context(
    files: FileAccess,
    options: &ScanOptions,
    read: impl Fn(&Path) -> std::result::Result<Arc<str>, ReadError>,
) -> Result<ScanContext> {
    let mut extra_var_files = Vec::new();
    for p in &options.var_files {
        let text = read(p).map_err(|e| Error::InvalidVarFile { path: p.clone(), message: e.to_string() })?;
        extra_var_files.push(SourceFile { path: source::display_path(p), fs_path: p.clone(), text });
    }
    let mut params = BTreeMap::new();
    for p in &options.param_files {
        let text = read(p).map_err(|e| Error::InvalidVarFile { path: p.clone(), message: e.to_string() })?;
        params.extend(parse_param_file(&text).map_err(|message| Error::InvalidVarFile { path: p.clone(), message })?);
    }
    params.extend(options.params.clone());
    Ok(ScanContext { files, options: options.clone(), extra_var_files, params })
}

/// Reads a CloudFormation parameters file in any of the three common shapes.
fn parse_param_file(text: &str) -> std::result::Result<BTreeMap<String, String>, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = BTreeMap::new();
    match &json {
        serde_json::Value::Array(items) => {
            for item in items {
                let k = item.get("ParameterKey").and_then(|k| k.as_str());
                let v = item.get("ParameterValue");
                match (k, v) {
                    (Some(k), Some(v)) => {
                        out.insert(k.to_string(), scalar(v));
                    }
                    _ => return Err("expected objects with ParameterKey and ParameterValue".into()),
                }
            }
        }
        serde_json::Value::Object(map) => {
            let map = match map.get("Parameters").and_then(|p| p.as_object()) {
                Some(inner) => inner,
                None => map,
            };
            for (k, v) in map {
                out.insert(k.clone(), scalar(v));
            }
        }
        _ => return Err("expected a list or an object of parameters".into()),
    }
    Ok(out)
}

/// A directory as a key for comparing the configuration directory of a
/// plan with the directories of `.tf` files.
fn dir_key(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    std::fs::canonicalize(dir).unwrap_or_else(|_| source::normalize(dir))
}

/// Groups read files into units, parses them in parallel, builds graphs and
/// hands each unit to `visit`.
fn run<T: Send>(
    ctx: &ScanContext,
    read: Vec<(PathBuf, FileClass, std::result::Result<Arc<str>, ReadError>)>,
    skipped: usize,
    mut diagnostics: Vec<Diagnostic>,
    mut timings: ScanTimings,
    start: Instant,
    visit: &(dyn Fn(Unit) -> T + Sync),
) -> ScanOutput<T> {
    let mut stats = ScanStats { files_skipped: skipped, ..ScanStats::default() };
    let mut sources = BTreeMap::new();
    // Keyed by the normalized directory's bytes (the order `TerraformDir::key` documents).
    let mut tf_dirs: BTreeMap<OsString, TerraformDir> = BTreeMap::new();
    let mut documents = Vec::new();
    for (path, class, text) in read {
        let display = source::display_path(&path);
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                stats.files_failed += 1;
                diagnostics.push(read_error_diagnostic(&display, &e));
                continue;
            }
        };
        sources.insert(display.clone(), text.clone());
        let file = SourceFile { path: display, fs_path: path.clone(), text };
        match class {
            FileClass::Terraform | FileClass::TfVars => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let key = source::normalize(&dir);
                let entry = tf_dirs.entry(key.clone().into_os_string()).or_insert_with(|| TerraformDir {
                    display: source::display_path(&dir),
                    dir: dir.clone(),
                    key,
                    files: Vec::new(),
                    var_files: Vec::new(),
                    parsed: Default::default(),
                });
                if class == FileClass::Terraform {
                    entry.files.push(file);
                } else {
                    entry.var_files.push(file);
                }
            }
            FileClass::Document(format) => {
                let format = document_format(format, &file.text);
                documents.push((file, format));
            }
        }
    }
    // Terraform load order: terraform.tfvars(.json) first, then *.auto.tfvars in name order.
    let mut dirs: Vec<TerraformDir> =
        tf_dirs.into_values().filter(|d| !d.files.is_empty() || !d.var_files.is_empty()).collect();
    for d in &mut dirs {
        d.var_files.sort_by_key(|f| {
            let name = f.fs_path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            (!name.starts_with("terraform.tfvars"), name)
        });
        stats.files_scanned += d.files.len() + d.var_files.len();
    }
    // A plan stands for the configuration it was made from: that root is
    // not evaluated on its own (each resource is checked once, with the
    // plan's values), and an info diagnostic says so.
    let plans: Vec<Option<parse::json::Node>> = documents
        .par_iter()
        .map(|(f, fmt)| {
            if *fmt != DocFormat::Json || !parse::terraform::plan::may_be_plan(&f.text) {
                return None;
            }
            parse::json::parse(&f.text, &f.path).ok().filter(parse::terraform::plan::is_plan)
        })
        .collect();
    let mut covered: BTreeMap<PathBuf, Arc<str>> = BTreeMap::new();
    for ((f, _), plan) in documents.iter().zip(&plans) {
        if plan.is_some() {
            let dir = dir_key(&parse::terraform::plan::config_root(ctx, f));
            let by = covered.entry(dir).or_insert_with(|| f.path.clone());
            if f.path < *by {
                *by = f.path.clone();
            }
        }
    }
    // Drops the covered roots (before their parses are shared out).
    let drop_covered = |roots: &mut Vec<usize>, diagnostics: &mut Vec<Diagnostic>| {
        if covered.is_empty() {
            return;
        }
        roots.retain(|i| {
            let Some(d) = dirs.get(*i).filter(|d| !d.files.is_empty()) else { return true };
            let Some(plan) = covered.get(&dir_key(&d.dir)) else { return true };
            diagnostics.push(Diagnostic::info(
                d.display.clone(),
                "plan",
                format!("configuration covered by the plan {plan}: its resources are checked with the plan's values"),
            ));
            false
        });
    };

    let roots_start = Instant::now();
    let calls = parse::terraform::ModuleCalls::find(&dirs);
    let no_broken = BTreeSet::new();
    let mut roots = parse::terraform::roots(&dirs, &calls, &no_broken);
    drop_covered(&mut roots, &mut diagnostics);
    parse::terraform::share_parses(&dirs, &calls, &no_broken, &roots);
    timings.terraform_parse_micros = micros_since(roots_start);

    enum Job<'a> {
        Terraform(&'a TerraformDir),
        Doc(&'a SourceFile, DocFormat),
        Plan(&'a SourceFile, &'a parse::json::Node),
    }
    let mut jobs: Vec<Job<'_>> =
        roots.iter().filter_map(|i| dirs.get(*i)).filter(|d| !d.files.is_empty()).map(Job::Terraform).collect();
    jobs.extend(documents.iter().zip(&plans).map(|((f, fmt), plan)| match plan {
        Some(node) => Job::Plan(f, node),
        None => Job::Doc(f, *fmt),
    }));

    if ctx.options.catalog.is_none() {
        // Decode the embedded action catalog on another worker while the
        // first units are parsed and evaluated: the first graph with a
        // policy needs it. Spawned here and not before the files are
        // grouped: a worker waiting in a parallel loop there would run the
        // decode first and hold up the grouping.
        rayon::spawn(|| {
            let _ = tollgate_catalog::Catalog::embedded();
        });
    }
    let units_start = Instant::now();
    let eval_job = |job: &Job<'_>| {
        let t = Instant::now();
        let (unit, diags, outcome, parse) = match job {
            Job::Terraform(dir) => {
                let mut out = parse::terraform::load(ctx, dir, &dirs);
                let parse = micros_since(t);
                let graph = build_graph(ctx, out.resources, out.edges, &mut out.diagnostics);
                let unit = Unit { kind: SourceKind::Terraform, root: dir.display.clone(), graph };
                (Some(unit), out.diagnostics, 0, parse)
            }
            Job::Plan(file, node) => {
                let mut out = parse::terraform::plan::load(ctx, file, node);
                let parse = micros_since(t);
                let graph = build_graph(ctx, out.resources, out.edges, &mut out.diagnostics);
                (
                    Some(Unit { kind: SourceKind::TerraformPlan, root: file.path.clone(), graph }),
                    out.diagnostics,
                    1,
                    parse,
                )
            }
            Job::Doc(file, format) => match parse::load_document(ctx, file, *format) {
                Document::Unit(kind, mut out) => {
                    let parse = micros_since(t);
                    let graph = build_graph(ctx, out.resources, out.edges, &mut out.diagnostics);
                    (Some(Unit { kind, root: file.path.clone(), graph }), out.diagnostics, 1, parse)
                }
                Document::Skipped => (None, Vec::new(), -1, micros_since(t)),
                Document::Failed(d) => (None, vec![d], 2, micros_since(t)),
            },
        };
        let total = micros_since(t);
        let unit = unit.map(|u| (u.root.clone(), u.graph.resources.len(), visit(u)));
        (unit, diags, outcome, parse, total.saturating_sub(parse))
    };
    let cost = |job: &Job<'_>| match job {
        Job::Terraform(dir) => dir.unit_bytes(&dirs),
        Job::Doc(file, _) | Job::Plan(file, _) => file.text.len(),
    };
    let mut results: Vec<_> = big_first(&jobs, cost, eval_job);
    // A file that does not parse makes no module calls: the directories
    // that only such files call are evaluated as roots of their own.
    let broken: BTreeSet<Arc<str>> = results
        .iter()
        .flat_map(|r| r.1.iter())
        .filter(|d| matches!(d.code, "parse" | "limit"))
        .map(|d| d.file.clone())
        .collect();
    if calls.made_in_any(&broken) {
        let again = parse::terraform::roots(&dirs, &calls, &broken);
        let mut extra: Vec<usize> = again.into_iter().filter(|i| roots.binary_search(i).is_err()).collect();
        drop_covered(&mut extra, &mut diagnostics);
        parse::terraform::share_parses(&dirs, &calls, &broken, &extra);
        let jobs: Vec<Job<'_>> =
            extra.iter().filter_map(|i| dirs.get(*i)).filter(|d| !d.files.is_empty()).map(Job::Terraform).collect();
        results.extend(big_first(&jobs, cost, eval_job));
    }
    timings.units_wall_micros = micros_since(units_start);

    let mut units = Vec::new();
    for (unit, diags, outcome, parse, graph) in results {
        timings.parse_micros += parse;
        timings.graph_micros += graph;
        match outcome {
            1 => stats.files_scanned += 1,
            -1 => stats.files_skipped += 1,
            2 => stats.files_failed += 1,
            _ => {}
        }
        if let Some(u) = unit {
            units.push(u);
        }
        diagnostics.extend(diags);
    }
    // Skipped documents are not kept as sources.
    let keep: BTreeSet<Arc<str>> = units.iter().map(|u| u.0.clone()).collect();
    sources.retain(|path, _| {
        !path.ends_with(".json") && !path.ends_with(".yaml") && !path.ends_with(".yml") && !path.ends_with(".template")
            || keep.contains(path)
            || diagnostics.iter().any(|d| &d.file == path)
    });
    units.sort_by(|a, b| a.0.cmp(&b.0));
    diagnostics.sort();
    diagnostics.dedup();
    stats.units = units.len();
    stats.resources = units.iter().map(|u| u.1).sum();
    timings.total_micros = micros_since(start);
    let units = units.into_iter().map(|u| u.2).collect();
    ScanOutput { units, diagnostics, stats, sources, timings }
}

/// A unit's graph, with a `limit` error when its statements outran the
/// wildcard-expansion budget: the statements past it carry no `grants`,
/// so rules match their actions only literally and may miss what they
/// grant. A truncated unit cannot pass the gate.
fn build_graph(
    ctx: &ScanContext,
    resources: Vec<crate::graph::Resource>,
    edges: Vec<crate::graph::Edge>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Graph {
    let mut graph = Graph::build_with(resources, edges, ctx.options.catalog.as_deref());
    if let Some(loc) = graph.grants_truncated.take() {
        diagnostics.push(
            Diagnostic::error(
                loc.file.clone(),
                "limit",
                format!(
                    "the unit's action wildcards need more than {} catalog expansions: from {} on, statements \
                     are matched by literal action names only and what their wildcards grant is not checked",
                    crate::graph::grants::MAX_WILDCARD_EXPANSIONS,
                    loc.address
                ),
            )
            .at(loc.line, 1),
        );
    }
    graph
}

/// Runs `f` over `jobs` on the current pool, every thread taking the next
/// job as it finishes one. The jobs big enough to be left running alone at
/// the end (an estimated `cost` of at least 1/(8 × threads) of the total)
/// go first, the biggest first; the others keep their order, so that the
/// units sharing parsed module directories (the examples of one module)
/// run close together and each shared parse is released soon after its
/// first user instead of at the end of the scan. Results come back in the
/// order of `jobs`.
fn big_first<J: Sync, R: Send>(jobs: &[J], cost: impl Fn(&J) -> usize, f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let costs: Vec<usize> = jobs.iter().map(&cost).collect();
    let total: usize = costs.iter().sum();
    let threads = rayon::current_num_threads().max(1);
    let big = |c: usize| c.saturating_mul(8 * threads) >= total && c > 0;
    let (mut order, rest): (Vec<usize>, Vec<usize>) =
        (0..costs.len()).partition(|&i| costs.get(i).is_some_and(|&c| big(c)));
    order.sort_by_key(|&i| std::cmp::Reverse(costs.get(i).copied().unwrap_or(0)));
    order.extend(rest);
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    let mut done: Vec<(usize, R)> = (0..workers)
        .into_par_iter()
        .flat_map_iter(|_| {
            let mut out = Vec::new();
            while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                if let Some(job) = jobs.get(i) {
                    out.push((i, f(job)));
                }
            }
            out
        })
        .collect();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_first_runs_every_job_once_and_keeps_their_order() {
        let jobs: Vec<usize> = (0..500).map(|i| (i * 7919) % 1000).collect();
        let ran = std::sync::Mutex::new(Vec::new());
        let out = big_first(
            &jobs,
            |j| *j,
            |j| {
                ran.lock().unwrap().push(*j);
                j * 2
            },
        );
        assert_eq!(out, jobs.iter().map(|j| j * 2).collect::<Vec<_>>());
        let mut ran = ran.into_inner().unwrap();
        ran.sort_unstable();
        let mut want = jobs.clone();
        want.sort_unstable();
        assert_eq!(ran, want);
        // On one thread the big jobs go first, the biggest first; the rest
        // keep their order.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let order = std::sync::Mutex::new(Vec::new());
        pool.install(|| big_first(&[3, 9, 1], |j| *j, |j| order.lock().unwrap().push(*j)));
        assert_eq!(order.into_inner().unwrap(), [9, 3, 1]);
        let order = std::sync::Mutex::new(Vec::new());
        pool.install(|| big_first(&[1, 2, 100, 3, 20, 1, 2], |j| *j, |j| order.lock().unwrap().push(*j)));
        assert_eq!(order.into_inner().unwrap(), [100, 20, 1, 2, 3, 1, 2]);
        assert!(big_first(&[] as &[usize], |j| *j, |j| *j).is_empty());
    }

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

    #[test]
    fn budget_stops_at_the_step_limit_and_stays_stopped() {
        let mut b = Budget::new(3, Duration::from_secs(60), 100);
        assert!(b.step() && b.step() && b.step());
        assert!(!b.step());
        assert!(!b.step());
        assert_eq!(b.message(), "more than 3 evaluation steps in one unit");
        let mut t = Budget::new(u64::MAX, Duration::ZERO, 100);
        assert!((0..1023).all(|_| t.step()));
        assert!(!t.step());
        assert_eq!(t.message(), "the time limit of 0 s for one unit");
    }

    #[test]
    fn charged_steps_count_and_check_the_clock_every_time() {
        let mut b = Budget::new(10, Duration::from_secs(60), 100);
        assert!(b.charge(4) && b.step());
        assert!(!b.charge(6), "5 + 6 > 10");
        assert!(!b.step() && !b.charge(0));
        assert!(!Budget::new(10, Duration::from_secs(60), 100).charge(u64::MAX), "saturates");
        // One expensive call past the deadline is caught at once, not 1,024 steps later.
        let mut t = Budget::new(u64::MAX, Duration::ZERO, 100);
        std::thread::sleep(Duration::from_millis(1));
        assert!(!t.charge(1));
        assert_eq!(t.message(), "the time limit of 0 s for one unit");
    }

    #[test]
    fn value_bytes_are_taken_until_none_are_left() {
        let mut b = Budget::new(u64::MAX, Duration::from_secs(60), 3 << 20);
        assert_eq!(b.room(), 3 << 20);
        assert!(b.charge_bytes(1 << 20) && b.charge_bytes(0));
        assert_eq!(b.room(), 2 << 20);
        assert!(b.charge_bytes(2 << 20));
        assert_eq!(b.room(), 0);
        assert!(!b.charge_bytes(1), "nothing left");
        assert_eq!(b.message(), "more than 3 MiB of values built in one unit");
        // A refused charge spends the budget: every later step stops too.
        let mut c = Budget::new(u64::MAX, Duration::from_secs(60), 10);
        assert!(!c.charge_bytes(usize::MAX));
        assert!(!c.step() && c.room() == 0);
    }

    #[test]
    fn param_files_in_three_shapes() {
        let a = parse_param_file(r#"[{"ParameterKey":"A","ParameterValue":"1"}]"#).unwrap();
        let b = parse_param_file(r#"{"Parameters":{"A":"1"}}"#).unwrap();
        let c = parse_param_file(r#"{"A":1}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert!(parse_param_file("[1]").is_err());
    }
}
