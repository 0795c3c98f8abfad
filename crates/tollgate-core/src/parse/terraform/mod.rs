//! Terraform: HCL and JSON configuration, variables, modules and plans.
//!
//! A root module directory is parsed with hcl-edit (which keeps byte spans)
//! and evaluated by our own evaluator ([`eval`]) into one resource per
//! instance. Child modules are instantiated per call with that call's
//! inputs. Anything not knowable before apply is an explicit unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hcl_edit::structure::{Attribute, Block, Body, Structure};
use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::graph::Mode;
use crate::parse::UnitOutput;
use crate::parse::context::ParseContext;
use crate::source::{self, SourceFile};
use crate::span::LineIndex;

mod calls;
mod eval;
mod funcs;
mod objects;
pub(crate) mod plan;
mod policy_doc;
mod size;
mod tfjson;
pub(crate) mod units;

/// The Terraform files of one directory.
#[derive(Debug)]
pub(crate) struct TerraformDir {
    /// Filesystem path of the directory.
    pub(crate) dir: PathBuf,
    /// `dir` normalized ([`source::normalize`]): the scan keeps its
    /// directories sorted by the bytes of it (not component by component:
    /// cheaper, and any one order will do), so a module's directory is
    /// found by binary search.
    pub(crate) key: PathBuf,
    /// Display path of the directory.
    pub(crate) display: Arc<str>,
    /// `.tf` and `.tf.json` files, sorted by path.
    pub(crate) files: Vec<SourceFile>,
    /// `terraform.tfvars`, `*.auto.tfvars` (and `.json`) in load order.
    pub(crate) var_files: Vec<SourceFile>,
    /// The parsed configuration, shared by the units that use this
    /// directory (as a root or as a module) while any of them is pending.
    pub(crate) parsed: SharedParse,
}

/// The parse of one directory, shared between units and released when the
/// last unit that reaches the directory is done (so the hcl-edit trees of
/// finished parts of a scan do not stay alive until its end).
#[derive(Debug, Default)]
pub(crate) struct SharedParse {
    slot: Mutex<Option<Arc<ModuleConfig>>>,
    /// Units still to be evaluated that reach this directory ([`share_parses`]).
    users: AtomicUsize,
    /// For a root: the directories its unit reaches (itself included), each
    /// released once the unit is evaluated.
    reach: OnceLock<Vec<usize>>,
}

impl TerraformDir {
    /// The parsed configuration of this directory: the shared parse while a
    /// pending unit still needs it, a fresh parse otherwise.
    pub(crate) fn config(&self) -> Arc<ModuleConfig> {
        let mut slot = self.parsed.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cfg) = slot.as_ref() {
            return cfg.clone();
        }
        let cfg = Arc::new(ModuleConfig::parse(&self.dir, &self.files));
        if self.parsed.users.load(Ordering::Acquire) > 0 {
            *slot = Some(cfg.clone());
        }
        cfg
    }

    /// The text a unit rooted here reads: the `.tf` files of every
    /// directory it reaches (known once [`share_parses`] ran), an estimate
    /// of its cost.
    pub(crate) fn unit_bytes(&self, all: &[TerraformDir]) -> usize {
        let own = |d: &TerraformDir| d.files.iter().map(|f| f.text.len()).sum::<usize>();
        match self.parsed.reach.get() {
            Some(reach) => reach.iter().filter_map(|i| all.get(*i)).map(own).sum(),
            None => own(self),
        }
    }

    /// One unit that reaches this directory is done; the last one drops the
    /// shared parse.
    fn release(&self) {
        let prev = self.parsed.users.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        if prev == Ok(1) {
            let mut slot = self.parsed.slot.lock().unwrap_or_else(PoisonError::into_inner);
            if self.parsed.users.load(Ordering::Acquire) == 0 {
                *slot = None;
            }
        }
    }
}

/// The local module calls of every scanned directory: per directory, the
/// directories it calls and the file holding each call. Found by a
/// lexical scan of each file ([`calls::module_calls`]); a `.tf.json` file,
/// or a `.tf` file the scan does not follow, is parsed instead.
#[derive(Debug, Default)]
pub(crate) struct ModuleCalls {
    calls: Vec<Vec<(usize, Arc<str>)>>,
}

impl ModuleCalls {
    pub(crate) fn find(dirs: &[TerraformDir]) -> ModuleCalls {
        let index: BTreeMap<&OsStr, usize> = dirs.iter().enumerate().map(|(i, d)| (d.key.as_os_str(), i)).collect();
        let per_dir: Vec<Vec<(String, Arc<str>)>> = dirs
            .par_iter()
            .map(|d| {
                // Module names are unique per directory: a later block of the
                // same name replaces an earlier one, as in `ModuleConfig`.
                let mut by_name: BTreeMap<String, (Option<String>, Arc<str>)> = BTreeMap::new();
                for f in &d.files {
                    let found = if f.path.ends_with(".json") { None } else { calls::module_calls(&f.text) };
                    let found = found.unwrap_or_else(|| {
                        let cfg = ModuleConfig::parse(&d.dir, std::slice::from_ref(f));
                        cfg.modules
                            .iter()
                            .map(|(name, decl)| {
                                let source = decl.block.body.get_attribute("source");
                                (name.clone(), source.and_then(|a| a.value.as_str().map(str::to_string)))
                            })
                            .collect()
                    });
                    for (name, source) in found {
                        by_name.insert(name, (source, f.path.clone()));
                    }
                }
                by_name
                    .into_values()
                    .filter_map(|(source, file)| source.map(|s| (s, file)))
                    .filter(|(s, _)| s.starts_with("./") || s.starts_with("../"))
                    .collect()
            })
            .collect();
        let mut calls = vec![Vec::new(); dirs.len()];
        for (i, (d, sources)) in dirs.iter().zip(per_dir).enumerate() {
            for (src, file) in sources {
                let child = source::normalize(&d.dir.join(&src));
                if let Some(&j) = index.get(child.as_os_str())
                    && j != i
                    && let Some(c) = calls.get_mut(i)
                {
                    c.push((j, file));
                }
            }
        }
        for c in &mut calls {
            c.sort();
            c.dedup();
        }
        ModuleCalls { calls }
    }

    /// The directories `i` calls, leaving out calls made in `broken` files.
    fn children<'a>(&'a self, i: usize, broken: &'a BTreeSet<Arc<str>>) -> impl Iterator<Item = usize> + 'a {
        self.calls.get(i).into_iter().flatten().filter(|(_, f)| !broken.contains(f)).map(|(j, _)| *j)
    }

    /// Whether any call is made in one of `files`.
    pub(crate) fn made_in_any(&self, files: &BTreeSet<Arc<str>>) -> bool {
        self.calls.iter().flatten().any(|(_, f)| files.contains(f))
    }
}

/// Indexes of the directories to evaluate as root modules: every directory
/// that no other scanned directory calls as a child module (calls made in
/// `broken` files, which do not parse, do not count). When directories
/// only call each other (a module cycle), the first of them is taken as a
/// root so that the cycle is still evaluated and reported.
pub(crate) fn roots(dirs: &[TerraformDir], calls: &ModuleCalls, broken: &BTreeSet<Arc<str>>) -> Vec<usize> {
    let mut called = vec![false; dirs.len()];
    for i in 0..dirs.len() {
        for j in calls.children(i, broken) {
            if let Some(c) = called.get_mut(j) {
                *c = true;
            }
        }
    }
    let mut roots: Vec<usize> = (0..dirs.len()).filter(|i| !called.get(*i).copied().unwrap_or(false)).collect();
    let mut reached = vec![false; dirs.len()];
    let mut stack: Vec<usize> = roots.clone();
    loop {
        while let Some(i) = stack.pop() {
            if reached.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(r) = reached.get_mut(i) {
                *r = true;
            }
            stack.extend(calls.children(i, broken));
        }
        match (0..dirs.len()).find(|i| !reached.get(*i).copied().unwrap_or(true)) {
            Some(i) => {
                roots.push(i);
                stack.push(i);
            }
            None => break,
        }
    }
    roots.sort_unstable();
    roots
}

/// Prepares the sharing of parses between the units of `roots`: counts,
/// for every directory, the units that reach it, so that its parse is kept
/// while one of them is pending and dropped after the last.
pub(crate) fn share_parses(dirs: &[TerraformDir], calls: &ModuleCalls, broken: &BTreeSet<Arc<str>>, roots: &[usize]) {
    for &r in roots {
        let mut seen = BTreeSet::new();
        let mut stack = vec![r];
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(calls.children(i, broken));
            }
        }
        for &i in &seen {
            if let Some(d) = dirs.get(i) {
                d.parsed.users.fetch_add(1, Ordering::AcqRel);
            }
        }
        if let Some(d) = dirs.get(r) {
            let _ = d.parsed.reach.set(seen.into_iter().collect());
        }
    }
}

/// The diagnostic code of an hcl-edit parse error: `limit` for its nesting
/// bound, `parse` otherwise.
pub(crate) fn hcl_error_code(e: &hcl_edit::parser::Error) -> &'static str {
    if e.message().contains("nesting depth") { "limit" } else { "parse" }
}

/// Parses HCL configuration text (a `.tf` file, a variable file, the
/// rewrite of a `.tf.json` file) with hcl-edit, once [`objects`] has found
/// its object literals cheap enough to parse; otherwise, or when it does
/// not parse, a diagnostic located in `path` (read as `what`).
pub(crate) fn parse_hcl(text: &str, path: &Arc<str>, what: &str) -> Result<Body, Diagnostic> {
    if let Err(e) = objects::check_body(text) {
        let (line, col) = LineIndex::new(text).line_col(e.offset);
        return Err(Diagnostic::error(
            path.clone(),
            "limit",
            format!(
                "an object literal with {} keys or more is more than the parser can check for duplicate keys \
                 (its time grows with the square of the keys); the file is not evaluated",
                e.keys
            ),
        )
        .at(line, col));
    }
    hcl_edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        Diagnostic::error(path.clone(), hcl_error_code(&e), format!("{what}: {}", e.message()))
            .at(u32::try_from(loc.line()).unwrap_or(u32::MAX), u32::try_from(loc.column()).unwrap_or(u32::MAX))
    })
}

/// Evaluates one root module (with its children) into resources and edges.
/// Releases, afterwards, the shared parses of the directories the unit
/// reaches.
pub(crate) fn load(ctx: &ParseContext, root: &TerraformDir, all: &[TerraformDir]) -> UnitOutput {
    let out = eval::load(ctx, root, all);
    for &i in root.parsed.reach.get().into_iter().flatten() {
        if let Some(d) = all.get(i) {
            d.release();
        }
    }
    out
}

/// One parsed configuration file.
#[derive(Debug)]
pub(crate) struct ParsedFile {
    pub(crate) path: Arc<str>,
    pub(crate) index: LineIndex,
}

/// A declaration: its block and the file it is in.
#[derive(Debug)]
pub(crate) struct Decl {
    pub(crate) file: usize,
    pub(crate) block: Block,
}

/// A `resource` or `data` block.
#[derive(Debug)]
pub(crate) struct ResourceDecl {
    pub(crate) mode: Mode,
    pub(crate) rtype: String,
    pub(crate) decl: Decl,
}

/// The parsed configuration of one module directory.
#[derive(Debug)]
pub(crate) struct ModuleConfig {
    pub(crate) dir: PathBuf,
    pub(crate) files: Vec<ParsedFile>,
    pub(crate) variables: BTreeMap<String, Decl>,
    pub(crate) locals: BTreeMap<String, (usize, Attribute)>,
    pub(crate) outputs: BTreeMap<String, Decl>,
    /// Keyed `TYPE.NAME` for managed resources, `data.TYPE.NAME` for data sources.
    pub(crate) resources: BTreeMap<String, ResourceDecl>,
    pub(crate) modules: BTreeMap<String, Decl>,
    /// Parse diagnostics (one per broken file).
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl ModuleConfig {
    /// Parses the given `.tf` / `.tf.json` files of one directory.
    pub(crate) fn parse(dir: &Path, files: &[SourceFile]) -> ModuleConfig {
        let mut cfg = ModuleConfig {
            dir: source::normalize(dir),
            files: Vec::new(),
            variables: BTreeMap::new(),
            locals: BTreeMap::new(),
            outputs: BTreeMap::new(),
            resources: BTreeMap::new(),
            modules: BTreeMap::new(),
            diagnostics: Vec::new(),
        };
        for f in files {
            let idx = cfg.files.len();
            let mut index = LineIndex::new(&f.text);
            let body = if f.path.ends_with(".json") {
                match tfjson::body(&f.text, &f.path) {
                    Ok((b, rewritten)) => {
                        index = LineIndex::new(&rewritten);
                        b
                    }
                    Err(d) => {
                        cfg.diagnostics.push(d);
                        Body::new()
                    }
                }
            } else {
                match parse_hcl(&f.text, &f.path, "invalid HCL") {
                    Ok(b) => b,
                    Err(d) => {
                        cfg.diagnostics.push(d);
                        Body::new()
                    }
                }
            };
            cfg.files.push(ParsedFile { path: f.path.clone(), index });
            cfg.add_body(idx, body);
        }
        cfg
    }

    fn add_body(&mut self, file: usize, body: Body) {
        for st in body {
            let Structure::Block(block) = st else { continue };
            let labels: Vec<String> = block.labels.iter().map(|l| l.as_str().to_string()).collect();
            match (block.ident.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    self.variables.insert(name.clone(), Decl { file, block });
                }
                ("output", [name]) => {
                    self.outputs.insert(name.clone(), Decl { file, block });
                }
                ("module", [name]) => {
                    self.modules.insert(name.clone(), Decl { file, block });
                }
                ("locals", []) => {
                    for st in block.body {
                        if let Structure::Attribute(a) = st {
                            self.locals.insert(a.key.as_str().to_string(), (file, a));
                        }
                    }
                }
                ("resource", [t, n]) => {
                    let key = format!("{t}.{n}");
                    let decl = Decl { file, block };
                    self.resources.insert(key, ResourceDecl { mode: Mode::Managed, rtype: t.clone(), decl });
                }
                ("data", [t, n]) => {
                    let key = format!("data.{t}.{n}");
                    let decl = Decl { file, block };
                    self.resources.insert(key, ResourceDecl { mode: Mode::Data, rtype: t.clone(), decl });
                }
                _ => {}
            }
        }
    }
}
