//! Terraform: HCL and JSON configuration, variables, modules and plans.
//!
//! A root module directory is parsed with hcl-edit (which keeps byte spans)
//! and evaluated by our own evaluator ([`eval`]) into one resource per
//! instance. Child modules are instantiated per call with that call's
//! inputs. Anything not knowable before apply is an explicit unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hcl_edit::structure::{Attribute, Block, Body, Structure};
use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::graph::Mode;
use crate::parse::UnitOutput;
use crate::scan::ScanContext;
use crate::source::{self, SourceFile};
use crate::span::LineIndex;

mod eval;
mod funcs;
pub(crate) mod plan;
mod policy_doc;
mod tfjson;

/// The Terraform files of one directory.
#[derive(Debug)]
pub(crate) struct TerraformDir {
    /// Filesystem path of the directory.
    pub(crate) dir: PathBuf,
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
    /// Units still to be evaluated that reach this directory ([`roots`]).
    users: AtomicUsize,
    /// For a root: the directories its unit reaches (itself included), each
    /// released once the unit is evaluated.
    reach: OnceLock<Vec<usize>>,
}

/// Source text (bytes) of the directories whose parse [`roots`] keeps for
/// the units; the others are parsed again by the first unit that needs
/// them. Bounds the memory of parse trees waiting for their units.
const KEEP_PARSED_BYTES: usize = 1024 * 1024;

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

    fn text_len(&self) -> usize {
        self.files.iter().map(|f| f.text.len()).sum()
    }
}

/// Indexes of the directories to evaluate as root modules: every directory
/// that is not used as a child module by another scanned directory. When
/// directories only call each other (a module cycle), the first of them is
/// taken as a root so that the cycle is still evaluated and reported.
pub(crate) fn roots(_ctx: &ScanContext, dirs: &[TerraformDir]) -> Vec<usize> {
    let index: BTreeMap<PathBuf, usize> =
        dirs.iter().enumerate().map(|(i, d)| (source::normalize(&d.dir), i)).collect();
    let mut calls: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); dirs.len()];
    let mut called = vec![false; dirs.len()];
    // The first directories (up to KEEP_PARSED_BYTES of text) keep this
    // parse for their units; the others are parsed again when needed.
    let mut budget = KEEP_PARSED_BYTES;
    let keep: Vec<bool> = dirs
        .iter()
        .map(|d| {
            let n = d.text_len();
            let fits = n <= budget;
            if fits {
                budget -= n;
            }
            fits
        })
        .collect();
    let sources: Vec<Vec<String>> = dirs
        .par_iter()
        .zip(&keep)
        .map(|(d, keep)| {
            let cfg = Arc::new(ModuleConfig::parse(&d.dir, &d.files));
            let sources = local_module_sources(&cfg);
            if *keep {
                *d.parsed.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(cfg);
            }
            sources
        })
        .collect();
    for (i, (d, sources)) in dirs.iter().zip(sources).enumerate() {
        for src in sources {
            let child = source::normalize(&d.dir.join(&src));
            if let Some(&j) = index.get(&child)
                && j != i
            {
                if let Some(c) = calls.get_mut(i) {
                    c.insert(j);
                }
                if let Some(c) = called.get_mut(j) {
                    *c = true;
                }
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
            stack.extend(calls.get(i).into_iter().flatten().copied());
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
    // Count, for every directory, the units that reach it; a parse kept
    // above and reached by none is dropped now.
    for &r in &roots {
        let mut seen = BTreeSet::new();
        let mut stack = vec![r];
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(calls.get(i).into_iter().flatten().copied());
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
    for d in dirs {
        if d.parsed.users.load(Ordering::Acquire) == 0 {
            *d.parsed.slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }
    roots
}

/// Local `source` values of the module blocks of a configuration.
fn local_module_sources(cfg: &ModuleConfig) -> Vec<String> {
    cfg.modules
        .values()
        .filter_map(|d| d.block.body.get_attribute("source"))
        .filter_map(|a| a.value.as_str().map(str::to_string))
        .filter(|s| s.starts_with("./") || s.starts_with("../"))
        .collect()
}

/// The diagnostic code of an hcl-edit parse error: `limit` for its nesting
/// bound, `parse` otherwise.
pub(crate) fn hcl_error_code(e: &hcl_edit::parser::Error) -> &'static str {
    if e.message().contains("nesting depth") { "limit" } else { "parse" }
}

/// Evaluates one root module (with its children) into resources and edges.
/// Releases, afterwards, the shared parses of the directories the unit
/// reaches.
pub(crate) fn load(ctx: &ScanContext, root: &TerraformDir, all: &[TerraformDir]) -> UnitOutput {
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
                match hcl_edit::parser::parse_body(&f.text) {
                    Ok(b) => b,
                    Err(e) => {
                        let loc = e.location();
                        let line = u32::try_from(loc.line()).unwrap_or(u32::MAX);
                        let col = u32::try_from(loc.column()).unwrap_or(u32::MAX);
                        cfg.diagnostics.push(
                            Diagnostic::error(
                                f.path.clone(),
                                hcl_error_code(&e),
                                format!("invalid HCL: {}", e.message()),
                            )
                            .at(line, col),
                        );
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
