//! Terraform's units: the read `.tf` and variable files grouped by
//! directory, the module calls between the directories, the root modules
//! evaluated as units (each with the modules it calls), and the roots a
//! plan stands for. The scan hands files in and gets units out; how
//! Terraform loads a configuration stays here.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ModuleCalls, TerraformDir};
use crate::diagnostic::Diagnostic;
use crate::parse::context::ParseContext;
use crate::source::{self, SourceFile};

/// Files grouped by their directory, keyed by the normalized directory's
/// bytes (the order [`TerraformDir::key`] documents).
#[derive(Default)]
pub(crate) struct Grouping {
    dirs: BTreeMap<OsString, TerraformDir>,
}

impl Grouping {
    /// Adds a `.tf`/`.tf.json` file, or a variable file when `var_file`.
    pub(crate) fn add(&mut self, file: SourceFile, var_file: bool) {
        let dir = file.fs_path.parent().map(Path::to_path_buf).unwrap_or_default();
        let key = source::normalize(&dir);
        let entry = self.dirs.entry(key.clone().into_os_string()).or_insert_with(|| TerraformDir {
            display: source::display_path(&dir),
            dir: dir.clone(),
            key,
            files: Vec::new(),
            var_files: Vec::new(),
            parsed: Default::default(),
        });
        if var_file {
            entry.var_files.push(file);
        } else {
            entry.files.push(file);
        }
    }

    /// The directories in key order, each with its variable files in
    /// Terraform's load order: `terraform.tfvars(.json)` first, then
    /// `*.auto.tfvars` by name.
    pub(crate) fn finish(self) -> Vec<TerraformDir> {
        let mut dirs: Vec<TerraformDir> =
            self.dirs.into_values().filter(|d| !d.files.is_empty() || !d.var_files.is_empty()).collect();
        for d in &mut dirs {
            d.var_files.sort_by_key(|f| {
                let name = f.fs_path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                (!name.starts_with("terraform.tfvars"), name)
            });
        }
        dirs
    }
}

/// The configuration directories that plans stand for, each with the plan
/// (the first by path when several cover one directory). Such a root is not
/// evaluated on its own: each resource is checked once, with the plan's
/// values, and an info diagnostic says so.
#[derive(Default)]
pub(crate) struct Covered {
    by_dir: BTreeMap<PathBuf, Arc<str>>,
}

impl Covered {
    /// The directories covered by `plans`.
    pub(crate) fn new<'a>(ctx: &ParseContext, plans: impl Iterator<Item = &'a SourceFile>) -> Self {
        let mut by_dir: BTreeMap<PathBuf, Arc<str>> = BTreeMap::new();
        for f in plans {
            let dir = dir_key(&super::plan::config_root(ctx, f));
            let by = by_dir.entry(dir).or_insert_with(|| f.path.clone());
            if f.path < *by {
                *by = f.path.clone();
            }
        }
        Covered { by_dir }
    }

    /// Drops the covered roots (before their parses are shared out), with
    /// an info diagnostic for each.
    fn drop_from(&self, dirs: &[TerraformDir], roots: &mut Vec<usize>, diagnostics: &mut Vec<Diagnostic>) {
        if self.by_dir.is_empty() {
            return;
        }
        roots.retain(|i| {
            let Some(d) = dirs.get(*i).filter(|d| !d.files.is_empty()) else { return true };
            let Some(plan) = self.by_dir.get(&dir_key(&d.dir)) else { return true };
            diagnostics.push(Diagnostic::info(
                d.display.clone(),
                "plan",
                format!("configuration covered by the plan {plan}: its resources are checked with the plan's values"),
            ));
            false
        });
    }
}

/// A directory as a key for comparing the configuration directory of a
/// plan with the directories of `.tf` files.
fn dir_key(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    std::fs::canonicalize(dir).unwrap_or_else(|_| source::normalize(dir))
}

/// The module calls between the directories and the roots to evaluate.
pub(crate) struct Roots {
    calls: ModuleCalls,
    /// Indexes into the directories, sorted.
    pub(crate) first: Vec<usize>,
}

impl Roots {
    /// Finds every directory's module calls (a lexical scan) and the root
    /// modules, less those a plan covers; shares the parses of the
    /// directories several roots call.
    pub(crate) fn find(dirs: &[TerraformDir], covered: &Covered, diagnostics: &mut Vec<Diagnostic>) -> Self {
        let calls = ModuleCalls::find(dirs);
        let no_broken = BTreeSet::new();
        let mut first = super::roots(dirs, &calls, &no_broken);
        covered.drop_from(dirs, &mut first, diagnostics);
        super::share_parses(dirs, &calls, &no_broken, &first);
        Roots { calls, first }
    }

    /// A file that does not parse makes no module calls: the directories
    /// that only such files (`broken`) call are evaluated as roots of their
    /// own. Returns those roots (none when no broken file makes a call).
    pub(crate) fn after_broken(
        &self,
        dirs: &[TerraformDir],
        broken: &BTreeSet<Arc<str>>,
        covered: &Covered,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<usize> {
        if !self.calls.made_in_any(broken) {
            return Vec::new();
        }
        let again = super::roots(dirs, &self.calls, broken);
        let mut extra: Vec<usize> = again.into_iter().filter(|i| self.first.binary_search(i).is_err()).collect();
        covered.drop_from(dirs, &mut extra, diagnostics);
        super::share_parses(dirs, &self.calls, broken, &extra);
        extra
    }
}
