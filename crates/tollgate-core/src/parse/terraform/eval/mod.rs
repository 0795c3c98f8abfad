//! The Terraform evaluator: walks the hcl-edit syntax tree of a root module
//! and its child modules and produces resource instances with evaluated
//! attributes, spans and edges.
//!
//! Evaluation is lazy and memoized per module instance: a local, an output,
//! a resource or a module call is evaluated the first time it is referenced
//! (or at the end, for whatever nothing referenced). A reference back into
//! something still being evaluated is a cycle: it is reported and yields an
//! unknown. Every recursion is bounded ([`MAX_DEPTH`], [`MAX_MODULE_DEPTH`]).
//!
//! While an attribute is evaluated, every resource instance it reaches
//! (directly, or through locals, variables and module outputs) is collected
//! so that the attribute's edges can be recorded.

mod budget;
mod calls;
mod expressions;
mod memo;
mod module;
mod references;
mod resource;
mod templates;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, FuncCall, ObjectKey, Traversal, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Directive, Element, Template};

use super::funcs::{self, CallError, to_string, values_equal};
use super::size::{self, NODE_COST};
use super::{Decl, ModuleConfig, TerraformDir, objects, parse_hcl, policy_doc};
use crate::diagnostic::{Diagnostic, DiagnosticLevel};
use crate::graph::{CallSite, Edge, LineRange, Location, Mode, Resource, SourceKind, path};
use crate::parse::UnitOutput;
use crate::parse::context::{Budget, ParseContext};
use crate::source::{self, ReadError};
use crate::span::LineIndex;
use crate::value::Value;
use memo::{Lookup, Memo};

/// Maximum nesting of evaluation (expressions, and references through
/// locals, outputs and resources).
const MAX_DEPTH: usize = 256;
/// Maximum depth of nested module calls.
const MAX_MODULE_DEPTH: usize = 32;
/// Maximum size of one value ([`size`]: string bytes count 1, every value
/// [`NODE_COST`]; so at most half a million elements or 16 MiB of text).
/// Every builder measures what it is about to build against it (and
/// against what is left of the unit's [`Budget`]) before building it.
const MAX_VALUE_SIZE: usize = 16 * 1024 * 1024;
/// Maximum instances of one resource or module block.
const MAX_INSTANCES: usize = 4096;
/// Maximum instances of all resource and module blocks of one unit: nested
/// modules with `count` multiply (4096 × 4096 × 4096 from three tiny files).
const MAX_UNIT_INSTANCES: usize = 65_536;

/// Resource instances a value depends on (shared text: a set is copied
/// into every value that references the one it belongs to).
type Refs = BTreeSet<Rc<str>>;
type Spans = BTreeMap<String, LineRange>;

/// How a block with `count`/`for_each` expands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expansion {
    Single,
    Count,
    ForEach,
    /// `count` or `for_each` is unknown: one instance addressed `[?]`.
    Unknown,
}

/// An evaluated resource block.
#[derive(Clone)]
struct ResState {
    value: Value,
    expansion: Expansion,
    /// Address without instance key (`module.a.aws_x.y`).
    base: String,
    /// Instance addresses.
    addrs: Vec<String>,
}

/// An instantiated module call.
#[derive(Clone)]
struct ModCall {
    expansion: Expansion,
    /// Instance key (for count/for_each) and child instance.
    children: Vec<(Value, usize)>,
    /// Why the module's outputs are unknown, when they are.
    unresolved: Option<String>,
}

/// One module instance (the root, or one instance of a module call).
struct Instance {
    config: Arc<ModuleConfig>,
    /// `""` or `module.a["k"].module.b.`
    prefix: String,
    /// Module call names from the root (for `modules.json` keys).
    key_path: Vec<String>,
    call_sites: Vec<CallSite>,
    /// `path.module`, relative to the root module.
    path_module: String,
    /// Module directories from the root down to this one.
    chain: Vec<PathBuf>,
    vars: Memo<(Value, Refs), VarInput>,
    locals: Memo<(Value, Refs)>,
    outputs: Memo<(Value, Refs)>,
    /// Shared: every reference to a resource reads it, none copies it whole.
    resources: Memo<Rc<ResState>>,
    modules: Memo<ModCall>,
}

/// Where a variable of a module instance gets its value; evaluated when
/// first referenced (so an input may depend on another output of the same
/// module call).
enum VarInput {
    /// The argument of the same name in module call `call` of instance
    /// `parent`, with that instance's `count`/`each` binding.
    Input {
        parent: usize,
        call: String,
        /// Shared by every input of the instance.
        bind: Option<Rc<BindVals>>,
        refs: Rc<Refs>,
    },
    /// A value from a variable file.
    Given(Value),
    /// Not set: the default applies.
    Absent,
}

/// Names bound while evaluating (`count`, `each`, `for` variables, dynamic
/// iterators, template variables), innermost first.
#[derive(Clone)]
enum BindVals {
    One(String, Value),
    Many(BTreeMap<String, Value>),
}

struct Bind<'p> {
    /// Borrowed when the values are shared (the `count`/`each` of a module
    /// instance, read by every input of the instance).
    vals: Cow<'p, BindVals>,
    /// Resource instances a use of these names depends on (`for_each`
    /// over resources).
    refs: Option<Cow<'p, Refs>>,
    parent: Option<&'p Bind<'p>>,
}

impl<'p> Bind<'p> {
    fn new(vals: BindVals, refs: Option<Refs>, parent: Option<&'p Bind<'p>>) -> Self {
        Bind { vals: Cow::Owned(vals), refs: refs.map(Cow::Owned), parent }
    }
}

/// Where an expression is evaluated.
#[derive(Clone, Copy)]
struct Scope<'p> {
    inst: usize,
    file: usize,
    bind: Option<&'p Bind<'p>>,
}

impl<'p> Scope<'p> {
    fn lookup(&self, name: &str) -> Option<(&'p Value, Option<&'p Refs>)> {
        let mut b = self.bind;
        while let Some(cur) = b {
            match &*cur.vals {
                BindVals::One(n, v) if n == name => return Some((v, cur.refs.as_deref())),
                BindVals::Many(m) => {
                    if let Some(v) = m.get(name) {
                        return Some((v, cur.refs.as_deref()));
                    }
                }
                BindVals::One(..) => {}
            }
            b = cur.parent;
        }
        None
    }
}

/// The evaluator of one unit (a root module with its children).
struct Ev<'a> {
    ctx: &'a ParseContext,
    all: &'a [TerraformDir],
    root_dir: PathBuf,
    /// By normalized directory (its bytes).
    configs: BTreeMap<OsString, Result<Arc<ModuleConfig>, String>>,
    /// Module directories whose unreferenced outputs were evaluated ([`Ev::force`]).
    outputs_checked: BTreeSet<OsString>,
    insts: Vec<Instance>,
    manifest: BTreeMap<String, PathBuf>,
    diags: Vec<Diagnostic>,
    depth: usize,
    depth_reported: bool,
    /// Expressions evaluated so far in this unit, against a step count and a
    /// deadline (`ScanOptions::max_eval_steps`, `ScanOptions::file_time_limit`).
    budget: Budget,
    budget_reported: bool,
    /// Whether a value over [`MAX_VALUE_SIZE`] was reported ([`Ev::limit_error`]).
    value_reported: bool,
    /// Resources recorded when the budget ran out: those after them were
    /// evaluated to unknowns, and a diagnostic names their files.
    stopped_at: Option<usize>,
    /// Instances created by `count`/`for_each` so far (bounded by [`MAX_UNIT_INSTANCES`]).
    instances: usize,
    collectors: Vec<Refs>,
    try_depth: usize,
    errors: usize,
    resources: Vec<Resource>,
    edges: Vec<Edge>,
}

/// Evaluates one root module (with its children).
pub(super) fn load(ctx: &ParseContext, root: &TerraformDir, all: &[TerraformDir]) -> UnitOutput {
    let root_dir = source::normalize(&root.dir);
    let mut ev = Ev {
        ctx,
        all,
        root_dir: root_dir.clone(),
        configs: BTreeMap::new(),
        outputs_checked: BTreeSet::new(),
        insts: Vec::new(),
        manifest: BTreeMap::new(),
        diags: Vec::new(),
        depth: 0,
        depth_reported: false,
        budget: ctx.budget(),
        budget_reported: false,
        value_reported: false,
        stopped_at: None,
        instances: 0,
        collectors: vec![Refs::new()],
        try_depth: 0,
        errors: 0,
        resources: Vec::new(),
        edges: Vec::new(),
    };
    ev.read_manifest();
    let Ok(config) = ev.config(&root_dir) else {
        return UnitOutput { resources: Vec::new(), edges: Vec::new(), diagnostics: ev.diags };
    };
    let id = ev.new_instance(config, String::new(), Vec::new(), Vec::new(), ".".to_string(), vec![root_dir]);
    ev.root_vars(id, root);
    ev.force(id);
    ev.report_unevaluated();
    let mut resources = ev.resources;
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    let mut edges = ev.edges;
    edges.sort();
    edges.dedup();
    let mut diagnostics = ev.diags;
    diagnostics.sort();
    diagnostics.dedup();
    UnitOutput { resources, edges, diagnostics }
}

/// Terraform's instance key syntax: `[0]` or `["key"]`.
fn key_suffix(key: &Value) -> String {
    match key {
        Value::Null => String::new(),
        Value::Number(n) => ["[", &funcs::number_text(n), "]"].concat(),
        // Quoted as JSON: most keys have nothing to escape.
        Value::String(s) if !s.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20 || c == 0x7f) => {
            ["[\"", s, "\"]"].concat()
        }
        Value::String(s) => ["[", &serde_json::to_string(s).unwrap_or_default(), "]"].concat(),
        _ => "[?]".to_string(),
    }
}

fn span_lines(index: &LineIndex, r: &Range<usize>) -> LineRange {
    let (line, _) = index.line_col(r.start);
    let (end_line, _) = index.line_col(r.end.saturating_sub(1).max(r.start));
    LineRange { line, end_line: end_line.max(line) }
}

/// The `for_each` references that belong to one instance key (those
/// addressing the same key), or all of them when none does.
fn refs_for_key(refs: &Refs, key: &Value) -> Refs {
    let suffix = key_suffix(key);
    if suffix.is_empty() {
        return refs.clone();
    }
    let own: Refs = refs.iter().filter(|r| r.ends_with(&suffix)).cloned().collect();
    if own.is_empty() { refs.clone() } else { own }
}

impl Ev<'_> {
    fn diag(
        &mut self,
        inst: usize,
        file: usize,
        at: Option<Range<usize>>,
        level: DiagnosticLevel,
        code: &'static str,
        msg: String,
    ) {
        let cfg = self.insts[inst].config.clone();
        let Some(f) = cfg.files.get(file) else { return };
        let mut d = Diagnostic { file: f.path.clone(), line: None, column: None, level, code, message: msg };
        if let Some(r) = at {
            let (l, c) = f.index.line_col(r.start);
            d = d.at(l, c);
        }
        self.diags.push(d);
    }

    /// Records an evaluation error: caught by `try`/`can`, otherwise a warning.
    fn error(&mut self, sc: &Scope<'_>, at: Option<Range<usize>>, msg: String) {
        self.errors += 1;
        if self.try_depth == 0 {
            self.diag(sc.inst, sc.file, at, DiagnosticLevel::Warning, "eval", msg);
        }
    }

    /// An error that is silent outside `try`/`can` (missing object
    /// attributes, which are often filled by type defaults we do not model).
    fn soft_error(&mut self) {
        self.errors += 1;
    }

    fn add_ref(&mut self, addr: &str) {
        if let Some(c) = self.collectors.last_mut()
            && !c.contains(addr)
        {
            c.insert(Rc::from(addr));
        }
    }

    fn add_refs(&mut self, refs: &Refs) {
        if let Some(c) = self.collectors.last_mut() {
            c.extend(refs.iter().cloned());
        }
    }

    /// Evaluates a memoized named value: errors inside it are its own (they
    /// neither fail nor are hidden by a `try` that happens to reference it first).
    fn isolated<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let (errors, try_depth) = (self.errors, self.try_depth);
        self.try_depth = 0;
        let v = f(self);
        self.errors = errors;
        self.try_depth = try_depth;
        v
    }

    fn collect<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> (T, Refs) {
        self.collectors.push(Refs::new());
        let v = f(self);
        let refs = self.collectors.pop().unwrap_or_default();
        (v, refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Instance keys are quoted as JSON strings, with or without the
        /// fast path for keys that need no escape.
        #[test]
        fn key_suffix_quotes_as_json(s in "\\PC*|[a-z\"\\\\\u{0}-\u{1f}\u{7f}\u{2028}é]{0,8}") {
            let want = format!("[{}]", serde_json::to_string(&s).unwrap());
            proptest::prop_assert_eq!(key_suffix(&Value::String(s)), want);
        }
    }

    #[test]
    fn key_suffix_of_numbers_and_others() {
        assert_eq!(key_suffix(&Value::from(3)), "[3]");
        assert_eq!(key_suffix(&Value::Null), "");
        assert_eq!(key_suffix(&Value::Bool(true)), "[?]");
    }
}
