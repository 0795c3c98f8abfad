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
use super::{ModuleConfig, TerraformDir, policy_doc};
use crate::diagnostic::{Diagnostic, DiagnosticLevel};
use crate::graph::{CallSite, Edge, LineRange, Location, Mode, Resource, SourceKind, path};
use crate::parse::UnitOutput;
use crate::scan::{Budget, ScanContext};
use crate::source::{self, ReadError};
use crate::span::LineIndex;
use crate::value::Value;

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

/// A memoized named value.
enum Slot {
    InProgress,
    Done(Value, Refs),
}

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

enum RState {
    InProgress,
    /// Shared: every reference to the resource reads it, none copies it whole.
    Done(Rc<ResState>),
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

enum MState {
    InProgress,
    Done(ModCall),
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
    vars: BTreeMap<String, VarSlot>,
    locals: BTreeMap<String, Slot>,
    outputs: BTreeMap<String, Slot>,
    resources: BTreeMap<String, RState>,
    modules: BTreeMap<String, MState>,
}

/// A variable of a module instance, evaluated when first referenced (so an
/// input may depend on another output of the same module call).
enum VarSlot {
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
    InProgress,
    Done(Value, Refs),
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
    ctx: &'a ScanContext,
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
pub(super) fn load(ctx: &ScanContext, root: &TerraformDir, all: &[TerraformDir]) -> UnitOutput {
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
/// The attribute `rest` starts with, read from a resource instance's value
/// without copying the rest of it (`aws_x.y.name`), with its description;
/// `None` when `rest` does not start with an attribute the value has (the
/// caller then applies the operators to the whole value).
fn take_attr(value: &Value, desc: &str, rest: &[&TraversalOperator]) -> Option<(Value, String)> {
    let (Some(TraversalOperator::GetAttr(name)), Value::Map(m)) = (rest.first(), value) else { return None };
    m.get(name.as_str()).map(|v| (v.clone(), [desc, ".", name.as_str()].concat()))
}

/// Follows the leading `.name` operators of `ops` through `v` as far as
/// `v` has those attributes, exactly as [`Ev::apply_ops`] would (appending
/// `.name` to `desc`), but without copying what is left behind: returns
/// the value reached and how many operators were followed.
fn follow_attrs(v: &Value, ops: &[&TraversalOperator], desc: &mut String) -> (Value, usize) {
    let mut cur = v;
    let mut n = 0;
    while let (Some(TraversalOperator::GetAttr(name)), Value::Map(m)) = (ops.get(n), cur) {
        let Some(next) = m.get(name.as_str()) else { break };
        desc.push('.');
        desc.push_str(name.as_str());
        cur = next;
        n += 1;
    }
    (cur.clone(), n)
}

/// `TYPE.NAME`, the key of a managed resource in [`ModuleConfig::resources`].
fn resource_key(rtype: &str, name: &str) -> String {
    let mut key = String::with_capacity(rtype.len() + 1 + name.len());
    key.push_str(rtype);
    key.push('.');
    key.push_str(name);
    key
}

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

/// Path of `to` relative to `from` (both normalized), for `path.module`.
fn relative(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in t.iter().skip(common) {
        out.push(c.as_os_str());
    }
    let s = out.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}

fn is_local_source(s: &str) -> bool {
    s.starts_with("./") || s.starts_with("../")
}

impl<'a> Ev<'a> {
    // --- diagnostics and bookkeeping ------------------------------------

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

    // --- configuration loading -------------------------------------------

    fn read_manifest(&mut self) {
        let p = self.root_dir.join(".terraform").join("modules").join("modules.json");
        let Ok(text) = self.ctx.files.read_text(&p) else { return };
        let display = source::display_path(&p);
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                self.diags.push(Diagnostic::warning(
                    display,
                    "module",
                    format!("cannot read the module manifest: {e}"),
                ));
                return;
            }
        };
        for m in json.get("Modules").and_then(|m| m.as_array()).into_iter().flatten() {
            let key = m.get("Key").and_then(|k| k.as_str()).unwrap_or("");
            let dir = m.get("Dir").and_then(|k| k.as_str()).unwrap_or("");
            if !key.is_empty() && !dir.is_empty() {
                self.manifest.insert(key.to_string(), source::normalize(&self.root_dir.join(dir)));
            }
        }
    }

    /// The parsed configuration of a directory (a scanned one, or one read
    /// through the guarded file access), cached per unit.
    /// `Err` says why a module directory cannot be read.
    fn config(&mut self, dir: &Path) -> Result<Arc<ModuleConfig>, String> {
        let dir = source::normalize(dir);
        if let Some(c) = self.configs.get(dir.as_os_str()) {
            return c.clone();
        }
        let scanned =
            self.all.binary_search_by(|d| d.key.as_os_str().cmp(dir.as_os_str())).ok().and_then(|i| self.all.get(i));
        let cfg = match scanned {
            Some(d) => {
                let cfg = d.config();
                self.diags.extend(cfg.diagnostics.iter().cloned());
                self.configs.insert(dir.into_os_string(), Ok(cfg.clone()));
                return Ok(cfg);
            }
            None => {
                let mut files = Vec::new();
                // A directory outside the roots is neither listed nor probed.
                let mut outside = self.ctx.files.is_outside(&dir);
                for p in self.ctx.files.list_dir(&dir) {
                    let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                    if !(name.ends_with(".tf") || name.ends_with(".tf.json")) {
                        continue;
                    }
                    let display = source::display_path(&p);
                    match self.ctx.files.read_text(&p) {
                        Ok(text) => files.push(crate::source::SourceFile { path: display, fs_path: p.clone(), text }),
                        Err(ReadError::OutsideRoot) => outside = true,
                        Err(e) => self.diags.push(Diagnostic::error(display, "io", e.to_string())),
                    }
                }
                if files.is_empty() {
                    let shown = source::display_path(&dir);
                    let why = if outside {
                        format!("{shown} is outside the scanned tree (allow with --allow-outside-root)")
                    } else if self.ctx.files.is_dir(&dir) {
                        format!("no Terraform files in {shown}")
                    } else {
                        format!("{shown} does not exist")
                    };
                    self.configs.insert(dir.into_os_string(), Err(why.clone()));
                    return Err(why);
                }
                ModuleConfig::parse(&dir, &files)
            }
        };
        self.diags.extend(cfg.diagnostics.iter().cloned());
        let cfg = Arc::new(cfg);
        self.configs.insert(dir.into_os_string(), Ok(cfg.clone()));
        Ok(cfg)
    }

    fn new_instance(
        &mut self,
        config: Arc<ModuleConfig>,
        prefix: String,
        key_path: Vec<String>,
        call_sites: Vec<CallSite>,
        path_module: String,
        chain: Vec<PathBuf>,
    ) -> usize {
        self.insts.push(Instance {
            config,
            prefix,
            key_path,
            call_sites,
            path_module,
            chain,
            vars: BTreeMap::new(),
            locals: BTreeMap::new(),
            outputs: BTreeMap::new(),
            resources: BTreeMap::new(),
            modules: BTreeMap::new(),
        });
        self.insts.len() - 1
    }

    /// Sets the variable slots of an instance (every declared variable).
    fn set_vars(&mut self, inst: usize, mut inputs: BTreeMap<String, VarSlot>) {
        let cfg = self.insts[inst].config.clone();
        let vars =
            cfg.variables.keys().map(|name| (name.clone(), inputs.remove(name).unwrap_or(VarSlot::Absent))).collect();
        self.insts[inst].vars = vars;
    }

    /// The value of `var.NAME` in an instance: the given input, else the
    /// default, else unknown; converted to the declared type. `None` when
    /// no such variable is declared.
    fn var(&mut self, inst: usize, name: &str) -> Option<(Value, Refs)> {
        let slot = self.insts[inst].vars.get_mut(name)?;
        let slot = std::mem::replace(slot, VarSlot::InProgress);
        let cfg = self.insts[inst].config.clone();
        let decl = cfg.variables.get(name)?;
        let (raw, refs) = match slot {
            VarSlot::Done(v, r) => {
                self.insts[inst].vars.insert(name.to_string(), VarSlot::Done(v.clone(), r.clone()));
                return Some((v, r));
            }
            VarSlot::InProgress => {
                self.diag(
                    inst,
                    decl.file,
                    decl.block.span(),
                    DiagnosticLevel::Warning,
                    "cycle",
                    format!("the value of var.{name} depends on itself; it is unknown"),
                );
                return Some((Value::unknown(format!("var.{name}")), Refs::new()));
            }
            VarSlot::Given(v) => (Some(v), Refs::new()),
            VarSlot::Absent => (None, Refs::new()),
            VarSlot::Input { parent, call, bind, refs } => {
                let pcfg = self.insts[parent].config.clone();
                match pcfg.modules.get(&call).and_then(|d| d.block.body.get_attribute(name).map(|a| (d.file, a))) {
                    Some((file, a)) => {
                        let b = bind.as_deref().map(|vals| Bind {
                            vals: Cow::Borrowed(vals),
                            refs: Some(Cow::Borrowed(&*refs)),
                            parent: None,
                        });
                        let sc = Scope { inst: parent, file, bind: b.as_ref() };
                        let (v, r) = self.isolated(|ev| ev.collect(|ev| ev.eval(&a.value, &sc)));
                        (Some(v), r)
                    }
                    None => (None, Refs::new()),
                }
            }
        };
        let sc = Scope { inst, file: decl.file, bind: None };
        let body = &decl.block.body;
        let non_nullable =
            matches!(body.get_attribute("nullable").map(|a| &a.value), Some(Expression::Bool(b)) if !*b.value());
        let given = raw.filter(|v| !(non_nullable && matches!(v, Value::Null)));
        let v = match given {
            Some(v) => v,
            None => match body.get_attribute("default") {
                Some(a) => self.isolated(|ev| ev.eval(&a.value, &sc)),
                None => Value::unknown(format!("var.{name}")),
            },
        };
        let v = match body.get_attribute("type") {
            Some(t) => self.isolated(|ev| ev.conform(v, &t.value, &sc, 0)),
            None => v,
        };
        self.insts[inst].vars.insert(name.to_string(), VarSlot::Done(v.clone(), refs.clone()));
        Some((v, refs))
    }

    /// Converts a variable value to its type constraint the way Terraform
    /// does where it matters for evaluation: primitive conversions, and
    /// object attributes declared `optional(...)` filled with their default
    /// (or null) when absent. Attributes not in an object type are dropped.
    fn conform(&mut self, v: Value, ty: &Expression, sc: &Scope<'_>, depth: usize) -> Value {
        if depth > 32 || v.is_unknown() || matches!(v, Value::Null) {
            return v;
        }
        match ty {
            Expression::Variable(t) => match (t.as_str(), v) {
                ("string", Value::Number(n)) => Value::String(funcs::number_text(&n)),
                ("string", Value::Bool(b)) => Value::String(b.to_string()),
                ("number", Value::String(s)) => match s.trim().parse::<f64>() {
                    Ok(n) => funcs::num(n),
                    Err(_) => Value::String(s),
                },
                ("bool", Value::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
                (_, v) => v,
            },
            Expression::Parenthesis(p) => self.conform(v, p.inner(), sc, depth + 1),
            Expression::FuncCall(f) => {
                let args: Vec<&Expression> = f.args.iter().collect();
                match (f.name.name.as_str(), args.as_slice(), v) {
                    ("list" | "set", [inner], Value::List(items)) => {
                        Value::List(items.into_iter().map(|i| self.conform(i, inner, sc, depth + 1)).collect())
                    }
                    ("map", [inner], Value::Map(m)) => {
                        Value::Map(m.into_iter().map(|(k, i)| (k, self.conform(i, inner, sc, depth + 1))).collect())
                    }
                    ("object", [Expression::Object(o)], Value::Map(mut m)) => {
                        let mut out = BTreeMap::new();
                        for (k, attr_ty) in o.iter() {
                            let key = match k {
                                ObjectKey::Ident(i) => i.as_str().to_string(),
                                ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                                ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_string(),
                                ObjectKey::Expression(_) => continue,
                            };
                            let (inner_ty, default) = match attr_ty.expr() {
                                Expression::FuncCall(of) if of.name.name.as_str() == "optional" => {
                                    let mut a = of.args.iter();
                                    (a.next(), a.next())
                                }
                                other => (Some(other), None),
                            };
                            let val = match m.remove(&key) {
                                Some(Value::Null) | None => match default {
                                    Some(d) => self.eval(d, sc),
                                    None => Value::Null,
                                },
                                Some(x) => x,
                            };
                            let val = match inner_ty {
                                Some(t) => self.conform(val, t, sc, depth + 1),
                                None => val,
                            };
                            out.insert(key, val);
                        }
                        Value::Map(out)
                    }
                    (_, _, v) => v,
                }
            }
            _ => v,
        }
    }

    /// Root variables: defaults, then `terraform.tfvars`, `*.auto.tfvars`
    /// (in name order) and `--var-file`s, later ones winning.
    fn root_vars(&mut self, inst: usize, root: &TerraformDir) {
        let mut inputs: BTreeMap<String, VarSlot> = BTreeMap::new();
        let files: Vec<crate::source::SourceFile> =
            root.var_files.iter().chain(self.ctx.extra_var_files.iter()).cloned().collect();
        for f in files {
            for (k, v) in self.var_file(&f) {
                inputs.insert(k, VarSlot::Given(v));
            }
        }
        self.set_vars(inst, inputs);
    }

    fn var_file(&mut self, f: &crate::source::SourceFile) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        if f.path.ends_with(".json") {
            match crate::parse::json::parse(&f.text, &f.path) {
                Ok(node) => {
                    if let Value::Map(m) = node.to_value() {
                        out.extend(m);
                    }
                }
                Err(d) => self.diags.push(d),
            }
            return out;
        }
        match super::parse_hcl(&f.text, &f.path, "invalid HCL") {
            Ok(body) => {
                // Variable files hold constant expressions only.
                let cfg = Arc::new(ModuleConfig::parse(Path::new(""), &[]));
                let tmp = self.new_instance(cfg, String::new(), Vec::new(), Vec::new(), ".".into(), Vec::new());
                for a in body.attributes() {
                    let sc = Scope { inst: tmp, file: 0, bind: None };
                    let v = self.eval(&a.value, &sc);
                    out.insert(a.key.as_str().to_string(), v);
                }
            }
            Err(d) => self.diags.push(d),
        }
        out
    }

    /// Evaluates everything in an instance that nothing referenced yet.
    fn force(&mut self, inst: usize) {
        let cfg = self.insts[inst].config.clone();
        for name in cfg.locals.keys() {
            let _ = self.collect(|ev| ev.local(inst, name));
        }
        for key in cfg.resources.keys() {
            let _ = self.resource(inst, key);
        }
        for name in cfg.modules.keys() {
            if let Some(call) = self.module(inst, name) {
                for (_, child) in call.children {
                    self.force(child);
                }
            }
        }
        // Outputs nothing referenced add no resource and no edge; they are
        // evaluated for their errors in the root and in the first instance
        // of each module directory, not in every instance.
        let is_root = self.insts.get(inst).is_some_and(|i| i.prefix.is_empty());
        if is_root || self.outputs_checked.insert(cfg.dir.clone().into_os_string()) {
            for name in cfg.outputs.keys() {
                let _ = self.collect(|ev| ev.output(inst, name));
            }
        }
    }

    // --- named values ------------------------------------------------------

    fn local(&mut self, inst: usize, name: &str) -> Value {
        match self.insts[inst].locals.get(name) {
            Some(Slot::Done(v, refs)) => {
                let (v, refs) = (v.clone(), refs.clone());
                self.add_refs(&refs);
                return v;
            }
            Some(Slot::InProgress) => {
                let cfg = self.insts[inst].config.clone();
                if let Some((file, attr)) = cfg.locals.get(name) {
                    self.diag(
                        inst,
                        *file,
                        attr.span(),
                        DiagnosticLevel::Warning,
                        "cycle",
                        format!("local.{name} depends on itself; its value is unknown"),
                    );
                }
                return Value::unknown(format!("local.{name}"));
            }
            None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let Some((file, attr)) = cfg.locals.get(name) else {
            self.soft_error();
            return Value::unknown(format!("local.{name}"));
        };
        self.insts[inst].locals.insert(name.to_string(), Slot::InProgress);
        let sc = Scope { inst, file: *file, bind: None };
        let (v, refs) = self.isolated(|ev| ev.collect(|ev| ev.eval(&attr.value, &sc)));
        self.add_refs(&refs);
        self.insts[inst].locals.insert(name.to_string(), Slot::Done(v.clone(), refs));
        v
    }

    fn output(&mut self, inst: usize, name: &str) -> Value {
        match self.insts[inst].outputs.get(name) {
            Some(Slot::Done(v, refs)) => {
                let (v, refs) = (v.clone(), refs.clone());
                self.add_refs(&refs);
                return v;
            }
            Some(Slot::InProgress) => {
                let prefix = self.insts[inst].prefix.clone();
                let cfg = self.insts[inst].config.clone();
                if let Some(d) = cfg.outputs.get(name) {
                    self.diag(
                        inst,
                        d.file,
                        d.block.span(),
                        DiagnosticLevel::Warning,
                        "cycle",
                        format!(
                            "output {name} of {} depends on itself; its value is unknown",
                            prefix.trim_end_matches('.')
                        ),
                    );
                }
                return Value::unknown(format!("{prefix}{name}"));
            }
            None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let Some(decl) = cfg.outputs.get(name) else {
            self.soft_error();
            return Value::unknown(format!("{}{name}", self.insts[inst].prefix));
        };
        let Some(attr) = decl.block.body.get_attribute("value") else {
            return Value::Null;
        };
        self.insts[inst].outputs.insert(name.to_string(), Slot::InProgress);
        let sc = Scope { inst, file: decl.file, bind: None };
        let (v, refs) = self.isolated(|ev| ev.collect(|ev| ev.eval(&attr.value, &sc)));
        self.add_refs(&refs);
        self.insts[inst].outputs.insert(name.to_string(), Slot::Done(v.clone(), refs));
        v
    }

    fn all_outputs(&mut self, inst: usize) -> Value {
        let cfg = self.insts[inst].config.clone();
        let mut m = BTreeMap::new();
        for name in cfg.outputs.keys() {
            let v = self.output(inst, name);
            m.insert(name.clone(), v);
        }
        Value::Map(m)
    }

    /// Evaluates `count` / `for_each` of a block into instance keys and bindings.
    /// Also returns the references of `for_each` (for the instances' `each`).
    fn expansion(
        &mut self,
        body: &Body,
        sc: &Scope<'_>,
        what: &str,
    ) -> (Expansion, Vec<(Value, Option<BindVals>)>, Refs) {
        let mut each_refs = Refs::new();
        let (e, items) = self.expansion_inner(body, sc, what, &mut each_refs);
        (e, items, each_refs)
    }

    fn expansion_inner(
        &mut self,
        body: &Body,
        sc: &Scope<'_>,
        what: &str,
        each_refs: &mut Refs,
    ) -> (Expansion, Vec<(Value, Option<BindVals>)>) {
        if let Some(a) = body.get_attribute("count") {
            let (v, _) = self.collect(|ev| ev.eval(&a.value, sc));
            return match &v {
                Value::Unknown(_) => (
                    Expansion::Unknown,
                    vec![(
                        Value::Null,
                        Some(BindVals::One("count".into(), map1("index", Value::unknown("count.index")))),
                    )],
                ),
                other => match funcs::to_number(other) {
                    Ok(n) if n >= 0.0 && n.fract() == 0.0 => {
                        let mut n = n as usize;
                        if n > MAX_INSTANCES {
                            // A cut expansion hides what the rest would show: an error, the gate cannot pass.
                            self.diag(sc.inst, sc.file, a.span(), DiagnosticLevel::Error, "limit", format!("{what}: count {n} exceeds the limit of {MAX_INSTANCES} instances; only the first {MAX_INSTANCES} are evaluated"));
                            n = MAX_INSTANCES;
                        }
                        n = self.reserve_instances(n, sc, a.span());
                        (
                            Expansion::Count,
                            (0..n)
                                .map(|i| {
                                    let iv = Value::from(i as i64);
                                    (iv.clone(), Some(BindVals::One("count".into(), map1("index", iv))))
                                })
                                .collect(),
                        )
                    }
                    _ => {
                        self.error(
                            sc,
                            a.span(),
                            format!("{what}: count must be a whole number, got {}", other.type_name()),
                        );
                        (
                            Expansion::Unknown,
                            vec![(
                                Value::Null,
                                Some(BindVals::One("count".into(), map1("index", Value::unknown("count.index")))),
                            )],
                        )
                    }
                },
            };
        }
        if let Some(a) = body.get_attribute("for_each") {
            let (v, refs) = self.collect(|ev| ev.eval(&a.value, sc));
            *each_refs = refs;
            let unknown_each = || {
                let mut m = BTreeMap::new();
                m.insert("key".to_string(), Value::unknown("each.key"));
                m.insert("value".to_string(), Value::unknown("each.value"));
                (Expansion::Unknown, vec![(Value::Null, Some(BindVals::One("each".into(), Value::Map(m))))])
            };
            let pairs: Vec<(String, Value)> = match &v {
                Value::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                Value::List(l) => {
                    if l.iter().any(Value::contains_unknown) {
                        return unknown_each();
                    }
                    match funcs::string_set(l) {
                        Ok(set) => set.into_iter().map(|s| (s.clone(), Value::String(s))).collect(),
                        Err(e) => {
                            self.error(sc, a.span(), format!("{what}: for_each set must hold strings: {e}"));
                            return unknown_each();
                        }
                    }
                }
                Value::Unknown(_) => return unknown_each(),
                Value::Null => {
                    self.error(sc, a.span(), format!("{what}: for_each is null"));
                    return unknown_each();
                }
                other => {
                    self.error(
                        sc,
                        a.span(),
                        format!("{what}: for_each needs a map or a set, got {}", other.type_name()),
                    );
                    return unknown_each();
                }
            };
            let mut out = Vec::new();
            if pairs.len() > MAX_INSTANCES {
                self.diag(
                    sc.inst,
                    sc.file,
                    a.span(),
                    DiagnosticLevel::Error,
                    "limit",
                    format!(
                        "{what}: for_each has {} keys, more than the limit of {MAX_INSTANCES} instances; only the first {MAX_INSTANCES} (in key order) are evaluated",
                        pairs.len()
                    ),
                );
            }
            let n = self.reserve_instances(pairs.len().min(MAX_INSTANCES), sc, a.span());
            for (k, v) in pairs.into_iter().take(n) {
                let mut m = BTreeMap::new();
                m.insert("key".to_string(), Value::String(k.clone()));
                m.insert("value".to_string(), v);
                out.push((Value::String(k), Some(BindVals::One("each".into(), Value::Map(m)))));
            }
            return (Expansion::ForEach, out);
        }
        (Expansion::Single, vec![(Value::Null, None)])
    }

    /// Evaluates a resource or data block (all its instances), once.
    fn resource(&mut self, inst: usize, key: &str) -> Option<Rc<ResState>> {
        match self.insts[inst].resources.get(key) {
            Some(RState::Done(rs)) => return Some(rs.clone()),
            Some(RState::InProgress) => {
                let cfg = self.insts[inst].config.clone();
                if let Some(rd) = cfg.resources.get(key) {
                    let prefix = self.insts[inst].prefix.clone();
                    self.diag(
                        inst,
                        rd.decl.file,
                        rd.decl.block.span(),
                        DiagnosticLevel::Warning,
                        "cycle",
                        format!("{prefix}{key} refers to itself; the reference is unknown"),
                    );
                }
                return None;
            }
            None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let rd = cfg.resources.get(key)?;
        self.insts[inst].resources.insert(key.to_string(), RState::InProgress);
        let prefix = self.insts[inst].prefix.clone();
        let call_sites = self.insts[inst].call_sites.clone();
        let base = [prefix.as_str(), key].concat();
        let file = rd.decl.file;
        let sc0 = Scope { inst, file, bind: None };
        let body = &rd.decl.block.body;
        let (expansion, instances, each_refs) = self.isolated(|ev| ev.expansion(body, &sc0, &base));
        let pfile = &cfg.files[file];
        let block_lines =
            rd.decl.block.span().map(|r| span_lines(&pfile.index, &r)).unwrap_or(LineRange { line: 1, end_line: 1 });
        let mut values: Vec<(Value, Value)> = Vec::new();
        let mut addrs = Vec::new();
        for (ikey, bind) in instances {
            let address = if expansion == Expansion::Unknown {
                format!("{base}[?]")
            } else {
                [base.as_str(), &key_suffix(&ikey)].concat()
            };
            let b = bind.map(|vals| Bind::new(vals, Some(refs_for_key(&each_refs, &ikey)), None));
            let sc = Scope { inst, file, bind: b.as_ref() };
            let mut spans = Spans::new();
            let mut attr_refs: BTreeMap<String, Refs> = BTreeMap::new();
            let mut attrs = self.isolated(|ev| ev.body(body, &sc, "", &mut spans, Some(&mut attr_refs)));
            if rd.mode == Mode::Data && rd.rtype == "aws_iam_policy_document" {
                let r = policy_doc::render(&address, &attrs);
                attrs.insert("json".into(), r.json);
                attrs.insert("minified_json".into(), r.minified_json);
            }
            for (attr, refs) in attr_refs {
                for to in refs {
                    if *to != *address {
                        self.edges.push(Edge { from: address.clone(), to: to.to_string(), attribute: attr.clone() });
                    }
                }
            }
            // Arguments left null are computed by the provider: unknown when referenced.
            let refval = if rd.mode == Mode::Data && rd.rtype != "aws_iam_policy_document" {
                Value::unknown(address.clone())
            } else {
                Value::Map(
                    attrs
                        .iter()
                        .filter(|(_, v)| !matches!(v, Value::Null))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            };
            values.push((ikey, refval));
            let span = crate::span::Span::new(pfile.path.clone(), block_lines.line, 1, block_lines.end_line);
            self.resources.push(Resource {
                address: address.clone(),
                resource_type: rd.rtype.clone(),
                kind: SourceKind::Terraform,
                mode: rd.mode,
                attributes: Value::Map(attrs),
                loc: Location::new(address.clone(), &span, &call_sites),
                spans,
            });
            addrs.push(address);
        }
        let value = match expansion {
            Expansion::Single => values.into_iter().next().map(|(_, v)| v).unwrap_or(Value::Null),
            Expansion::Count => Value::List(values.into_iter().map(|(_, v)| v).collect()),
            Expansion::ForEach => {
                Value::Map(values.into_iter().filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), v))).collect())
            }
            Expansion::Unknown => Value::unknown(base.clone()),
        };
        let rs = Rc::new(ResState { value, expansion, base, addrs });
        self.insts[inst].resources.insert(key.to_string(), RState::Done(rs.clone()));
        Some(rs)
    }

    /// Instantiates a module call (all its instances), once.
    fn module(&mut self, inst: usize, name: &str) -> Option<ModCall> {
        match self.insts[inst].modules.get(name) {
            Some(MState::Done(c)) => return Some(c.clone()),
            Some(MState::InProgress) => {
                let prefix = self.insts[inst].prefix.clone();
                let cfg = self.insts[inst].config.clone();
                if let Some(d) = cfg.modules.get(name) {
                    self.diag(
                        inst,
                        d.file,
                        d.block.span(),
                        DiagnosticLevel::Warning,
                        "cycle",
                        format!("the inputs of {prefix}module.{name} depend on its own outputs; they are unknown"),
                    );
                }
                return None;
            }
            None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let decl = cfg.modules.get(name)?;
        self.insts[inst].modules.insert(name.to_string(), MState::InProgress);
        let call = self.isolated(|ev| ev.instantiate(inst, name, decl));
        self.insts[inst].modules.insert(name.to_string(), MState::Done(call.clone()));
        Some(call)
    }

    fn instantiate(&mut self, inst: usize, name: &str, decl: &super::Decl) -> ModCall {
        let unresolved =
            |why: String| ModCall { expansion: Expansion::Single, children: Vec::new(), unresolved: Some(why) };
        let sc0 = Scope { inst, file: decl.file, bind: None };
        let body = &decl.block.body;
        let prefix = self.insts[inst].prefix.clone();
        let addr = [prefix.as_str(), "module.", name].concat();
        let source = body.get_attribute("source").map(|a| self.eval(&a.value, &sc0));
        let source = match source {
            Some(Value::String(s)) => s,
            _ => {
                self.diag(
                    inst,
                    decl.file,
                    decl.block.span(),
                    DiagnosticLevel::Warning,
                    "module",
                    format!("{addr} has no literal source; its outputs are unknown"),
                );
                return unresolved("no source".into());
            }
        };
        let mut key_path = self.insts[inst].key_path.clone();
        key_path.push(name.to_string());
        let parent_dir = self.insts[inst].config.dir.clone();
        let dir = match self.manifest.get(&key_path.join(".")) {
            Some(d) => d.clone(),
            None if is_local_source(&source) => source::normalize(&parent_dir.join(&source)),
            None => {
                self.diag(
                    inst,
                    decl.file,
                    decl.block.span(),
                    DiagnosticLevel::Info,
                    "module",
                    format!("{addr} (source \"{source}\") is not available locally (run `terraform init` to scan it); its outputs are unknown"),
                );
                return unresolved(source);
            }
        };
        let chain = self.insts[inst].chain.clone();
        if chain.contains(&dir) {
            self.diag(
                inst,
                decl.file,
                decl.block.span(),
                DiagnosticLevel::Warning,
                "cycle",
                format!("{addr} (source \"{source}\") calls a module that is already being instantiated (module cycle); it is not expanded"),
            );
            return unresolved("module cycle".into());
        }
        if chain.len() >= MAX_MODULE_DEPTH {
            self.diag(
                inst,
                decl.file,
                decl.block.span(),
                DiagnosticLevel::Error,
                "limit",
                format!("{addr}: modules nested deeper than {MAX_MODULE_DEPTH} levels are not expanded"),
            );
            return unresolved("nesting limit".into());
        }
        let config = match self.config(&dir) {
            Ok(c) => c,
            Err(why) => {
                self.diag(
                    inst,
                    decl.file,
                    decl.block.span(),
                    DiagnosticLevel::Warning,
                    "module",
                    format!("{addr} (source \"{source}\"): {why}; its outputs are unknown"),
                );
                return unresolved(source);
            }
        };
        let (expansion, instances, each_refs) = self.expansion(body, &sc0, &addr);
        let call_file = self.insts[inst]
            .config
            .files
            .get(decl.file)
            .map(|f| (f.path.clone(), decl.block.span().map(|r| span_lines(&f.index, &r))));
        let path_module = relative(&self.root_dir, &dir);
        let mut children = Vec::new();
        for (ikey, bind) in instances {
            let suffix = if expansion == Expansion::Unknown { "[?]".to_string() } else { key_suffix(&ikey) };
            let shared = bind.map(Rc::new);
            let refs = Rc::new(if shared.is_some() { refs_for_key(&each_refs, &ikey) } else { Refs::new() });
            let mut inputs = BTreeMap::new();
            for a in body.attributes() {
                let k = a.key.as_str();
                if matches!(k, "source" | "version" | "count" | "for_each" | "providers" | "depends_on") {
                    continue;
                }
                if config.variables.contains_key(k) {
                    let input = VarSlot::Input {
                        parent: inst,
                        call: name.to_string(),
                        bind: shared.clone(),
                        refs: refs.clone(),
                    };
                    inputs.insert(k.to_string(), input);
                }
            }
            let mut call_sites = self.insts[inst].call_sites.clone();
            if let Some((file, Some(lines))) = &call_file {
                call_sites.push(CallSite {
                    module: format!("{addr}{suffix}"),
                    file: file.clone(),
                    line: lines.line,
                    end_line: lines.end_line,
                });
            }
            let mut child_chain = chain.clone();
            child_chain.push(dir.clone());
            let child = self.new_instance(
                config.clone(),
                format!("{addr}{suffix}."),
                key_path.clone(),
                call_sites,
                path_module.clone(),
                child_chain,
            );
            self.set_vars(child, inputs);
            children.push((ikey, child));
        }
        ModCall { expansion, children, unresolved: None }
    }

    // --- bodies --------------------------------------------------------------

    /// Evaluates a block body into attributes. Nested blocks become lists of
    /// maps; `dynamic` blocks expand. With `top`, meta-arguments are skipped
    /// and the references of each top-level attribute are returned.
    fn body(
        &mut self,
        body: &Body,
        sc: &Scope<'_>,
        at: &str,
        spans: &mut Spans,
        mut top: Option<&mut BTreeMap<String, Refs>>,
    ) -> BTreeMap<String, Value> {
        let cfg = self.insts[sc.inst].config.clone();
        let Some(file) = cfg.files.get(sc.file) else { return BTreeMap::new() };
        let mut attrs = BTreeMap::new();
        let mut blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown_blocks: BTreeMap<String, Value> = BTreeMap::new();
        for st in body.iter() {
            match st {
                Structure::Attribute(a) => {
                    let k = a.key.as_str();
                    if top.is_some() && matches!(k, "count" | "for_each" | "provider" | "depends_on") {
                        continue;
                    }
                    let p = path::key(at, k);
                    if let Some(r) = a.span() {
                        spans.insert(p.clone(), span_lines(&file.index, &r));
                    }
                    let (v, refs) = self.collect(|ev| ev.eval(&a.value, sc));
                    self.structure_spans(&a.value, Some(&v), &p, sc, spans);
                    match top.as_deref_mut() {
                        Some(t) => {
                            t.entry(k.to_string()).or_default().extend(refs);
                        }
                        None => self.add_refs(&refs),
                    }
                    attrs.insert(k.to_string(), v);
                }
                Structure::Block(b) => {
                    let ident = b.ident.as_str();
                    if top.is_some() && matches!(ident, "lifecycle" | "provisioner" | "connection") {
                        continue;
                    }
                    if ident == "dynamic" {
                        let Some(label) = b.labels.first().map(|l| l.as_str().to_string()) else { continue };
                        let (_, refs) = self.collect(|ev| {
                            ev.dynamic(b, &label, sc, at, spans, &mut blocks, &mut unknown_blocks);
                        });
                        match top.as_deref_mut() {
                            Some(t) => {
                                t.entry(label).or_default().extend(refs);
                            }
                            None => self.add_refs(&refs),
                        }
                        continue;
                    }
                    let list = blocks.entry(ident.to_string()).or_default();
                    let p = path::index(&path::key(at, ident), list.len());
                    if let Some(r) = b.span() {
                        spans.insert(p.clone(), span_lines(&file.index, &r));
                    }
                    let (v, refs) = self.collect(|ev| ev.body(&b.body, sc, &p, spans, None));
                    blocks.entry(ident.to_string()).or_default().push(Value::Map(v));
                    match top.as_deref_mut() {
                        Some(t) => {
                            t.entry(ident.to_string()).or_default().extend(refs);
                        }
                        None => self.add_refs(&refs),
                    }
                }
            }
        }
        for (name, list) in blocks {
            attrs.entry(name).or_insert(Value::List(list));
        }
        for (name, u) in unknown_blocks {
            attrs.insert(name, u);
        }
        attrs
    }

    #[allow(clippy::too_many_arguments)]
    fn dynamic(
        &mut self,
        b: &hcl_edit::structure::Block,
        label: &str,
        sc: &Scope<'_>,
        at: &str,
        spans: &mut Spans,
        blocks: &mut BTreeMap<String, Vec<Value>>,
        unknown_blocks: &mut BTreeMap<String, Value>,
    ) {
        let cfg = self.insts[sc.inst].config.clone();
        let Some(file) = cfg.files.get(sc.file) else { return };
        let iterator = match b.body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(v)) => v.as_str().to_string(),
            _ => label.to_string(),
        };
        let Some(content) = b.body.get_blocks("content").next() else { return };
        let coll = match b.body.get_attribute("for_each") {
            Some(a) => self.eval(&a.value, sc),
            None => return,
        };
        let items: Vec<(Value, Value)> = match coll {
            Value::List(l) => l.into_iter().enumerate().map(|(i, v)| (Value::from(i as i64), v)).collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            Value::Null => Vec::new(),
            Value::Unknown(w) => {
                unknown_blocks.insert(label.to_string(), Value::unknown(format!("dynamic \"{label}\" over {w}")));
                return;
            }
            other => {
                self.error(
                    sc,
                    b.span(),
                    format!("dynamic \"{label}\": for_each needs a list, set or map, got {}", other.type_name()),
                );
                unknown_blocks.insert(label.to_string(), Value::unknown(format!("dynamic \"{label}\"")));
                return;
            }
        };
        for (k, v) in items {
            let mut m = BTreeMap::new();
            m.insert("key".to_string(), k);
            m.insert("value".to_string(), v);
            let bind = Bind::new(BindVals::One(iterator.clone(), Value::Map(m)), None, sc.bind);
            let inner = Scope { inst: sc.inst, file: sc.file, bind: Some(&bind) };
            let idx = blocks.get(label).map(Vec::len).unwrap_or(0);
            let p = path::index(&path::key(at, label), idx);
            if let Some(r) = content.span() {
                spans.insert(p.clone(), span_lines(&file.index, &r));
            }
            let v = self.body(&content.body, &inner, &p, spans, None);
            blocks.entry(label.to_string()).or_default().push(Value::Map(v));
        }
    }

    /// Records spans of the literal structure inside an attribute value:
    /// object keys, list elements, the argument of `jsonencode(...)` and a
    /// JSON document in a string or heredoc.
    fn structure_spans(&mut self, e: &Expression, value: Option<&Value>, at: &str, sc: &Scope<'_>, spans: &mut Spans) {
        let cfg = self.insts[sc.inst].config.clone();
        let Some(file) = cfg.files.get(sc.file) else { return };
        match e {
            Expression::Object(o) => {
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_string(),
                        ObjectKey::Expression(_) => continue,
                    };
                    let p = path::key(at, &key);
                    if let (Some(ks), Some(vs)) = (k.span(), v.expr().span()) {
                        spans.insert(p.clone(), span_lines(&file.index, &(ks.start..vs.end)));
                    }
                    let inner = value.and_then(|x| x.get(&key));
                    self.structure_spans(v.expr(), inner, &p, sc, spans);
                }
            }
            Expression::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    let p = path::index(at, i);
                    if let Some(r) = item.span() {
                        spans.insert(p.clone(), span_lines(&file.index, &r));
                    }
                    let inner = value.and_then(|x| x.as_list()).and_then(|l| l.get(i));
                    self.structure_spans(item, inner, &p, sc, spans);
                }
            }
            Expression::Parenthesis(p) => self.structure_spans(p.inner(), value, at, sc, spans),
            Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" && !f.name.is_namespaced() => {
                if let Some(arg) = f.args.iter().next() {
                    self.structure_spans(arg, None, at, sc, spans);
                }
            }
            Expression::HeredocTemplate(h) => {
                let (Some(Value::String(text)), Some(r)) = (value, h.span()) else { return };
                let lines = span_lines(&file.index, &r);
                let content_lines = lines.end_line.saturating_sub(lines.line).saturating_sub(1);
                let rendered_lines = u32::try_from(text.lines().count()).unwrap_or(u32::MAX);
                if rendered_lines == content_lines {
                    json_spans(text, at, lines.line, &file.path, spans);
                }
            }
            Expression::String(_) | Expression::StringTemplate(_) => {
                let (Some(Value::String(text)), Some(r)) = (value, e.span()) else { return };
                let lines = span_lines(&file.index, &r);
                if !text.contains('\n') && lines.line == lines.end_line {
                    json_spans(text, at, lines.line - 1, &file.path, spans);
                }
            }
            _ => {}
        }
    }

    // --- expressions -------------------------------------------------------

    fn eval(&mut self, e: &Expression, sc: &Scope<'_>) -> Value {
        if self.depth >= MAX_DEPTH {
            if !self.depth_reported {
                self.depth_reported = true;
                self.diag(
                    sc.inst,
                    sc.file,
                    e.span(),
                    DiagnosticLevel::Error,
                    "limit",
                    format!(
                        "expression nesting (through references) deeper than {MAX_DEPTH} levels; the value is unknown"
                    ),
                );
            }
            self.errors += 1;
            return Value::unknown("nesting limit");
        }
        if !self.budget.step() {
            let what = self.budget.message();
            self.over_budget(sc, e.span(), what);
            return Value::unknown("evaluation limit");
        }
        self.depth += 1;
        let v = self.eval_inner(e, sc);
        self.depth -= 1;
        // A reference copies what it names: the copy is charged like a
        // value built (builders charge themselves, before building).
        if matches!(e, Expression::Traversal(_) | Expression::Variable(_))
            && !matches!(v, Value::Null | Value::Bool(_) | Value::Number(_))
            && !self.charge_value(&v, sc, e.span())
        {
            return Value::unknown("size limit");
        }
        v
    }

    /// Room for one value about to be built: the per-value bound, or what
    /// is left of the unit's memory budget when that is less.
    fn room(&self) -> usize {
        MAX_VALUE_SIZE.min(self.budget.room())
    }

    /// Takes `n` bytes from the unit's budget for a value about to be
    /// built, `n` being at most [`Ev::room`] or not. False (and reported)
    /// when the value is over [`MAX_VALUE_SIZE`] (it alone is unknown) or
    /// the unit's budget is spent (the unit stops).
    fn charge_bytes(&mut self, n: Option<usize>, sc: &Scope<'_>, at: Option<Range<usize>>) -> bool {
        match n {
            Some(n) if n <= MAX_VALUE_SIZE && self.budget.charge_bytes(n) => true,
            _ => {
                self.too_large(sc, at);
                false
            }
        }
    }

    /// Reports a value that does not fit in [`Ev::room`].
    fn too_large(&mut self, sc: &Scope<'_>, at: Option<Range<usize>>) {
        if self.budget.room() < MAX_VALUE_SIZE {
            // The unit's budget is what is short: spend it, the unit stops.
            self.budget.charge_bytes(usize::MAX);
            let what = self.budget.message();
            self.over_budget(sc, at, what);
        } else {
            let msg = format!("a value larger than {} MiB would be built here; it is unknown", MAX_VALUE_SIZE >> 20);
            self.limit_error(sc, at, msg);
        }
    }

    /// Measures and charges a value that was just copied or built.
    fn charge_value(&mut self, v: &Value, sc: &Scope<'_>, at: Option<Range<usize>>) -> bool {
        let n = size::value_size(v, self.room());
        self.charge_bytes(n, sc, at)
    }

    /// Adds `v` to a collection of `*size` bytes being built, charging the
    /// new element's slot (and `key`): false (reported) when the collection
    /// would be over [`Ev::room`].
    fn grow(&mut self, size: &mut usize, v: &Value, key: usize, sc: &Scope<'_>, at: Option<Range<usize>>) -> bool {
        let room = self.room();
        let new =
            size::value_size(v, room.saturating_sub(*size)).and_then(|n| size::add(*size, n.saturating_add(key), room));
        match new {
            Some(n) if self.budget.charge_bytes(NODE_COST + key) => {
                *size = n;
                true
            }
            _ => {
                self.too_large(sc, at);
                false
            }
        }
    }

    /// Takes up to `n` instances from the unit's [`MAX_UNIT_INSTANCES`];
    /// reports the limit when fewer are left.
    fn reserve_instances(&mut self, n: usize, sc: &Scope<'_>, at: Option<Range<usize>>) -> usize {
        let room = MAX_UNIT_INSTANCES.saturating_sub(self.instances);
        if n > room {
            self.over_budget(sc, at, format!("more than {MAX_UNIT_INSTANCES} resource and module instances"));
        }
        let n = n.min(room);
        self.instances += n;
        n
    }

    /// Reports (once per unit) that an evaluation limit was hit.
    /// Reports (once per unit) a value or an input left unknown because it
    /// is too large; the evaluation goes on.
    fn limit_error(&mut self, sc: &Scope<'_>, at: Option<Range<usize>>, msg: String) {
        self.errors += 1;
        if !self.value_reported {
            self.value_reported = true;
            // A value the rules cannot see may hide a finding: an error.
            self.diag(sc.inst, sc.file, at, DiagnosticLevel::Error, "limit", msg);
        }
    }

    fn over_budget(&mut self, sc: &Scope<'_>, at: Option<Range<usize>>, what: String) {
        self.errors += 1;
        if self.budget.exhausted() && self.stopped_at.is_none() {
            self.stopped_at = Some(self.resources.len());
        }
        if !self.budget_reported {
            self.budget_reported = true;
            self.diag(
                sc.inst,
                sc.file,
                at,
                // The unit's remaining values are unknown, so its findings are incomplete: an error.
                DiagnosticLevel::Error,
                "limit",
                format!("evaluation stopped at {what}; the rest is unknown"),
            );
        }
    }

    /// Says which files' resources were evaluated after the unit's budget
    /// ran out (their values are unknown): one error per file, so that
    /// what was not evaluated is named, not only where it stopped.
    fn report_unevaluated(&mut self) {
        let Some(from) = self.stopped_at else { return };
        // Per file: how many, and the first line.
        let mut files: BTreeMap<Arc<str>, (usize, u32)> = BTreeMap::new();
        for r in self.resources.get(from..).unwrap_or_default() {
            let e = files.entry(r.loc.file.clone()).or_insert((0, r.loc.line));
            e.0 += 1;
            e.1 = e.1.min(r.loc.line);
        }
        for (file, (n, line)) in files {
            self.diags.push(
                Diagnostic::error(
                    file,
                    "limit",
                    format!("{n} resource instance(s) in this file were evaluated after the unit's evaluation budget ran out; their values are unknown"),
                )
                .at(line, 1),
            );
        }
    }

    fn eval_inner(&mut self, e: &Expression, sc: &Scope<'_>) -> Value {
        match e {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => {
                let n = n.value();
                match n.as_i64() {
                    Some(i) => Value::from(i),
                    None => n.as_f64().map(funcs::num).unwrap_or(Value::Null),
                }
            }
            Expression::String(s) => Value::String(s.value().clone()),
            Expression::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                let mut size = NODE_COST;
                for i in a.iter() {
                    let v = self.eval(i, sc);
                    if !self.grow(&mut size, &v, 0, sc, i.span()) {
                        return Value::unknown("size limit");
                    }
                    items.push(v);
                }
                Value::List(items)
            }
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                let mut size = NODE_COST;
                let mut unknown_key = None;
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_string(),
                        ObjectKey::Expression(ke) => match self.eval(ke, sc) {
                            Value::Unknown(w) => {
                                unknown_key = Some(w);
                                continue;
                            }
                            kv => match to_string(&kv) {
                                Ok(s) => s,
                                Err(msg) => {
                                    self.error(sc, ke.span(), format!("object key: {msg}"));
                                    continue;
                                }
                            },
                        },
                    };
                    let val = self.eval(v.expr(), sc);
                    if !self.grow(&mut size, &val, key.len(), sc, v.expr().span()) {
                        return Value::unknown("size limit");
                    }
                    m.insert(key, val);
                }
                match unknown_key {
                    Some(w) => Value::unknown(format!("object with key {w}")),
                    None => Value::Map(m),
                }
            }
            Expression::StringTemplate(t) => self.template(t, sc),
            Expression::HeredocTemplate(h) => self.template(&h.template, sc),
            Expression::Parenthesis(p) => self.eval(p.inner(), sc),
            Expression::Variable(v) => {
                let name = v.as_str();
                match sc.lookup(name) {
                    Some((val, refs)) => {
                        if let Some(r) = refs {
                            self.add_refs(r);
                        }
                        val.clone()
                    }
                    None => {
                        self.error(sc, v.span(), format!("unknown name \"{name}\""));
                        Value::unknown(name)
                    }
                }
            }
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, sc);
                match cond {
                    Value::Bool(true) => self.eval(&c.true_expr, sc),
                    Value::Bool(false) => self.eval(&c.false_expr, sc),
                    Value::Unknown(w) => {
                        let a = self.eval(&c.true_expr, sc);
                        let b = self.eval(&c.false_expr, sc);
                        if !a.contains_unknown() && values_equal(&a, &b) {
                            a
                        } else {
                            Value::unknown(format!("conditional on {w}"))
                        }
                    }
                    other => match other.as_bool() {
                        Some(true) => self.eval(&c.true_expr, sc),
                        Some(false) => self.eval(&c.false_expr, sc),
                        None => {
                            self.error(
                                sc,
                                c.cond_expr.span(),
                                format!("condition must be a bool, got {}", other.type_name()),
                            );
                            Value::unknown("conditional")
                        }
                    },
                }
            }
            Expression::FuncCall(f) => self.call(f, sc),
            Expression::Traversal(t) => self.traversal(t, sc),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, sc);
                match (u.operator.value(), v) {
                    (_, Value::Unknown(w)) => Value::unknown(w),
                    (UnaryOperator::Not, v) => match v.as_bool() {
                        Some(b) => Value::Bool(!b),
                        None => {
                            self.error(sc, u.span(), format!("! needs a bool, got {}", v.type_name()));
                            Value::unknown("!")
                        }
                    },
                    (UnaryOperator::Neg, v) => match funcs::to_number(&v) {
                        Ok(n) => funcs::num(-n),
                        Err(msg) => {
                            self.error(sc, u.span(), msg);
                            Value::unknown("-")
                        }
                    },
                }
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr, sc);
                let r = self.eval(&b.rhs_expr, sc);
                self.binary(*b.operator.value(), l, r, sc, b.span())
            }
            Expression::ForExpr(f) => self.for_expr(f, sc),
        }
    }

    fn binary(&mut self, op: BinaryOperator, l: Value, r: Value, sc: &Scope<'_>, at: Option<Range<usize>>) -> Value {
        use BinaryOperator as B;
        match op {
            B::And | B::Or => {
                let (lb, rb) = (l.as_bool(), r.as_bool());
                let is_and = op == B::And;
                if l.is_unknown() || r.is_unknown() {
                    let decisive = !is_and;
                    if lb == Some(decisive) || rb == Some(decisive) {
                        return Value::Bool(decisive);
                    }
                    return Value::unknown(if is_and { "&&" } else { "||" });
                }
                match (lb, rb) {
                    (Some(x), Some(y)) => Value::Bool(if is_and { x && y } else { x || y }),
                    _ => {
                        self.error(sc, at, "&& and || need bools".into());
                        Value::unknown("logic")
                    }
                }
            }
            B::Eq | B::NotEq => {
                // A value that is not itself unknown is known not to be null,
                // even when parts of it are unknown.
                let null_check =
                    (matches!(l, Value::Null) && !r.is_unknown()) || (matches!(r, Value::Null) && !l.is_unknown());
                if !null_check && (l.contains_unknown() || r.contains_unknown()) {
                    return Value::unknown("comparison");
                }
                let eq = values_equal(&l, &r);
                Value::Bool(if op == B::Eq { eq } else { !eq })
            }
            _ => {
                if let Value::Unknown(w) = &l {
                    return Value::unknown(w.clone());
                }
                if let Value::Unknown(w) = &r {
                    return Value::unknown(w.clone());
                }
                let (x, y) = match (funcs::to_number(&l), funcs::to_number(&r)) {
                    (Ok(x), Ok(y)) => (x, y),
                    (Err(m), _) | (_, Err(m)) => {
                        self.error(sc, at, m);
                        return Value::unknown("arithmetic");
                    }
                };
                match op {
                    B::Plus => funcs::num(x + y),
                    B::Minus => funcs::num(x - y),
                    B::Mul => funcs::num(x * y),
                    B::Div => {
                        if y == 0.0 {
                            self.error(sc, at, "division by zero".into());
                            Value::unknown("division by zero")
                        } else {
                            funcs::num(x / y)
                        }
                    }
                    B::Mod => {
                        if y == 0.0 {
                            self.error(sc, at, "modulo by zero".into());
                            Value::unknown("modulo by zero")
                        } else {
                            funcs::num(x % y)
                        }
                    }
                    B::Less => Value::Bool(x < y),
                    B::LessEq => Value::Bool(x <= y),
                    B::Greater => Value::Bool(x > y),
                    B::GreaterEq => Value::Bool(x >= y),
                    _ => Value::unknown("operator"),
                }
            }
        }
    }

    fn for_expr(&mut self, f: &hcl_edit::expr::ForExpr, sc: &Scope<'_>) -> Value {
        let coll = self.eval(&f.intro.collection_expr, sc);
        let pairs: Vec<(Value, Value)> = match coll {
            Value::List(l) => l.into_iter().enumerate().map(|(i, v)| (Value::from(i as i64), v)).collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            Value::Unknown(w) => return Value::unknown(format!("for over {w}")),
            other => {
                self.error(
                    sc,
                    f.intro.collection_expr.span(),
                    format!("for needs a collection, got {}", other.type_name()),
                );
                return Value::unknown("for");
            }
        };
        let kname = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let vname = f.intro.value_var.as_str().to_string();
        let mut size = NODE_COST;
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in pairs {
            let mut m = BTreeMap::new();
            if let Some(kn) = &kname {
                m.insert(kn.clone(), k);
            }
            m.insert(vname.clone(), v);
            let bind = Bind::new(BindVals::Many(m), None, sc.bind);
            let inner = Scope { inst: sc.inst, file: sc.file, bind: Some(&bind) };
            if let Some(c) = &f.cond {
                match self.eval(&c.expr, &inner) {
                    Value::Bool(true) => {}
                    Value::Bool(false) => continue,
                    Value::Unknown(w) => return Value::unknown(format!("for filtered on {w}")),
                    other => match other.as_bool() {
                        Some(true) => {}
                        Some(false) => continue,
                        None => {
                            self.error(sc, c.expr.span(), "for condition must be a bool".into());
                            return Value::unknown("for");
                        }
                    },
                }
            }
            match &f.key_expr {
                Some(ke) => {
                    let key = match self.eval(ke, &inner) {
                        Value::Unknown(w) => return Value::unknown(format!("for with key {w}")),
                        kv => match to_string(&kv) {
                            Ok(s) => s,
                            Err(msg) => {
                                self.error(sc, ke.span(), msg);
                                return Value::unknown("for");
                            }
                        },
                    };
                    let val = self.eval(&f.value_expr, &inner);
                    if !self.grow(&mut size, &val, key.len(), sc, f.value_expr.span()) {
                        return Value::unknown("size limit");
                    }
                    if f.grouping {
                        groups.entry(key).or_default().push(val);
                    } else {
                        if map.contains_key(&key) {
                            self.error(
                                sc,
                                ke.span(),
                                format!("duplicate key \"{key}\" in for expression (use ... to group)"),
                            );
                        }
                        map.insert(key, val);
                    }
                }
                None => {
                    let val = self.eval(&f.value_expr, &inner);
                    if !self.grow(&mut size, &val, 0, sc, f.value_expr.span()) {
                        return Value::unknown("size limit");
                    }
                    list.push(val);
                }
            }
        }
        if f.key_expr.is_some() {
            if f.grouping {
                return Value::Map(groups.into_iter().map(|(k, v)| (k, Value::List(v))).collect());
            }
            return Value::Map(map);
        }
        Value::List(list)
    }

    // --- templates -----------------------------------------------------------

    fn template(&mut self, t: &Template, sc: &Scope<'_>) -> Value {
        if let Some(Element::Interpolation(i)) = t.as_single_element()
            && !i.strip.strip_start()
            && !i.strip.strip_end()
        {
            return self.eval(&i.expr, sc);
        }
        let mut r = Render { at: t.span(), ..Render::default() };
        match self.render(t, sc, &mut r) {
            Ok(()) => Value::String(r.buf),
            Err(v) => v,
        }
    }

    fn render(&mut self, t: &Template, sc: &Scope<'_>, r: &mut Render) -> Result<(), Value> {
        for el in t.iter() {
            match el {
                Element::Literal(s) => {
                    self.grow_text(r, s.value().len(), sc)?;
                    r.literal(s.value());
                }
                Element::Interpolation(i) => {
                    if i.strip.strip_start() {
                        r.strip_prev();
                    }
                    let v = self.eval(&i.expr, sc);
                    let text = self.stringify(v, sc, i.expr.span())?;
                    self.grow_text(r, text.len(), sc)?;
                    r.value(&text);
                    r.strip_next = i.strip.strip_end();
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        if d.if_expr.strip.strip_start() {
                            r.strip_prev();
                        }
                        let cond = self.eval(&d.if_expr.cond_expr, sc);
                        let cond = match cond {
                            Value::Unknown(w) => return Err(Value::unknown(format!("template condition on {w}"))),
                            other => match other.as_bool() {
                                Some(b) => b,
                                None => {
                                    self.error(
                                        sc,
                                        d.if_expr.cond_expr.span(),
                                        "template condition must be a bool".into(),
                                    );
                                    return Err(Value::unknown("template"));
                                }
                            },
                        };
                        if cond {
                            r.strip_next = d.if_expr.strip.strip_end();
                            self.render(&d.if_expr.template, sc, r)?;
                            let closing = d.else_expr.as_ref().map(|e| e.strip).unwrap_or(d.endif_expr.strip);
                            if closing.strip_start() {
                                r.strip_prev();
                            }
                        } else if let Some(e) = &d.else_expr {
                            r.strip_next = e.strip.strip_end();
                            self.render(&e.template, sc, r)?;
                            if d.endif_expr.strip.strip_start() {
                                r.strip_prev();
                            }
                        }
                        r.strip_next = d.endif_expr.strip.strip_end();
                    }
                    Directive::For(d) => {
                        if d.for_expr.strip.strip_start() {
                            r.strip_prev();
                        }
                        let coll = self.eval(&d.for_expr.collection_expr, sc);
                        let pairs: Vec<(Value, Value)> = match coll {
                            Value::List(l) => {
                                l.into_iter().enumerate().map(|(i, v)| (Value::from(i as i64), v)).collect()
                            }
                            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                            Value::Unknown(w) => return Err(Value::unknown(format!("template for over {w}"))),
                            other => {
                                self.error(
                                    sc,
                                    d.for_expr.collection_expr.span(),
                                    format!("template for needs a collection, got {}", other.type_name()),
                                );
                                return Err(Value::unknown("template"));
                            }
                        };
                        for (k, v) in pairs {
                            let mut m = BTreeMap::new();
                            if let Some(kv) = &d.for_expr.key_var {
                                m.insert(kv.as_str().to_string(), k);
                            }
                            m.insert(d.for_expr.value_var.as_str().to_string(), v);
                            let bind = Bind::new(BindVals::Many(m), None, sc.bind);
                            let inner = Scope { inst: sc.inst, file: sc.file, bind: Some(&bind) };
                            r.strip_next = d.for_expr.strip.strip_end();
                            self.render(&d.for_expr.template, &inner, r)?;
                            if d.endfor_expr.strip.strip_start() {
                                r.strip_prev();
                            }
                        }
                        r.strip_next = d.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
        Ok(())
    }

    /// Charges `n` more bytes of a template's text before they are written.
    fn grow_text(&mut self, r: &Render, n: usize, sc: &Scope<'_>) -> Result<(), Value> {
        let new = size::add(r.buf.len(), n.saturating_add(NODE_COST), self.room());
        if new.is_some() && self.budget.charge_bytes(n) {
            return Ok(());
        }
        self.too_large(sc, r.at.clone());
        Err(Value::unknown("size limit"))
    }

    fn stringify(&mut self, v: Value, sc: &Scope<'_>, at: Option<Range<usize>>) -> Result<String, Value> {
        match v {
            Value::Unknown(w) => Err(Value::unknown(w)),
            other => match to_string(&other) {
                Ok(s) => Ok(s),
                Err(msg) => {
                    self.error(sc, at, format!("in a template: {msg}"));
                    Err(Value::unknown("template"))
                }
            },
        }
    }

    // --- references --------------------------------------------------------

    fn traversal(&mut self, t: &Traversal, sc: &Scope<'_>) -> Value {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let (value, mut desc, used, computed) = match &t.expr {
            Expression::Variable(v) => self.root_ref(v.as_str(), &ops, sc, t.span()),
            other => (self.eval(other, sc), "value".to_string(), 0, false),
        };
        let v = self.apply_ops(value, &mut desc, ops.get(used..).unwrap_or(&[]), sc, computed);
        // An unknown reached through a resource or module is named after
        // the attribute referenced (`aws_x.y.name`), not its inner cause.
        match v {
            Value::Unknown(_) if computed && !desc.contains("[*]") => Value::Unknown(desc),
            other => other,
        }
    }

    fn attr_name<'o>(op: Option<&&'o TraversalOperator>) -> Option<&'o str> {
        match op {
            Some(TraversalOperator::GetAttr(n)) => Some(n.as_str()),
            _ => None,
        }
    }

    /// Resolves the root of a traversal. Returns the value, a description
    /// (for naming unknowns), how many operators were consumed, and whether
    /// missing attributes are computed ones (resources, modules).
    fn root_ref(
        &mut self,
        name: &str,
        ops: &[&TraversalOperator],
        sc: &Scope<'_>,
        at: Option<Range<usize>>,
    ) -> (Value, String, usize, bool) {
        if let Some((v, refs)) = sc.lookup(name) {
            if let Some(r) = refs {
                self.add_refs(r);
            }
            let mut desc = name.to_string();
            let (v, used) = follow_attrs(v, ops, &mut desc);
            return (v, desc, used, false);
        }
        let inst = sc.inst;
        let first = Self::attr_name(ops.first());
        let rest = ops.get(1..).unwrap_or(&[]);
        match (name, first) {
            ("var", Some(n)) => {
                let mut desc = ["var.", n].concat();
                // Evaluated before: read what is referenced, not the whole variable.
                if let Some(VarSlot::Done(v, refs)) = self.insts.get(inst).and_then(|i| i.vars.get(n)) {
                    let (v, used) = follow_attrs(v, rest, &mut desc);
                    if let Some(c) = self.collectors.last_mut() {
                        c.extend(refs.iter().cloned());
                    }
                    return (v, desc, 1 + used, false);
                }
                match self.var(inst, n) {
                    Some((v, refs)) => {
                        self.add_refs(&refs);
                        (v, desc, 1, false)
                    }
                    None => {
                        self.error(sc, at, format!("reference to undeclared variable var.{n}"));
                        (Value::unknown(format!("var.{n}")), desc, 1, true)
                    }
                }
            }
            ("local", Some(n)) => {
                if !self.insts[inst].config.locals.contains_key(n) {
                    self.error(sc, at, format!("reference to undeclared local.{n}"));
                }
                let mut desc = ["local.", n].concat();
                if let Some(Slot::Done(v, refs)) = self.insts.get(inst).and_then(|i| i.locals.get(n)) {
                    let (v, used) = follow_attrs(v, rest, &mut desc);
                    if let Some(c) = self.collectors.last_mut() {
                        c.extend(refs.iter().cloned());
                    }
                    return (v, desc, 1 + used, false);
                }
                (self.local(inst, n), desc, 1, false)
            }
            ("path", Some(n)) => {
                let v = match n {
                    "module" => Value::String(self.insts[inst].path_module.clone()),
                    "root" => Value::String(".".into()),
                    "cwd" => Value::String(self.root_dir.to_string_lossy().replace('\\', "/")),
                    _ => Value::unknown(format!("path.{n}")),
                };
                (v, format!("path.{n}"), 1, false)
            }
            ("terraform", Some("workspace")) => {
                (Value::String("default".into()), "terraform.workspace".into(), 1, false)
            }
            ("terraform", _) | ("count", _) | ("each", _) | ("self", _) => {
                (Value::unknown(name), name.to_string(), 0, true)
            }
            ("module", Some(n)) => self.module_ref(inst, n, ops.get(1..).unwrap_or(&[]), sc),
            ("data", Some(t)) => match Self::attr_name(ops.get(1)) {
                Some(n) => {
                    let key = ["data.", t, ".", n].concat();
                    let (v, d, used) = self.resource_ref(inst, &key, ops.get(2..).unwrap_or(&[]), sc, at);
                    (v, d, used + 2, true)
                }
                None => (Value::unknown(format!("data.{t}")), format!("data.{t}"), 1, true),
            },
            _ => {
                if let Some(n) = first {
                    let key = resource_key(name, n);
                    if self.insts[inst].config.resources.contains_key(&key) {
                        let (v, d, used) = self.resource_ref(inst, &key, ops.get(1..).unwrap_or(&[]), sc, at);
                        return (v, d, used + 1, true);
                    }
                }
                let what = match first {
                    Some(n) => format!("{name}.{n}"),
                    None => name.to_string(),
                };
                if matches!(name, "var" | "local" | "module" | "data" | "path") {
                    self.error(sc, at, format!("invalid reference {what}"));
                } else {
                    self.error(sc, at, format!("reference to undeclared resource {what}"));
                }
                (Value::unknown(what.clone()), what, usize::from(first.is_some()), true)
            }
        }
    }

    fn resource_ref(
        &mut self,
        inst: usize,
        key: &str,
        rest: &[&TraversalOperator],
        sc: &Scope<'_>,
        at: Option<Range<usize>>,
    ) -> (Value, String, usize) {
        let Some(rs) = self.resource(inst, key) else {
            let prefix = &self.insts[inst].prefix;
            return (Value::unknown(format!("{prefix}{key}")), format!("{prefix}{key}"), 0);
        };
        if rs.expansion == Expansion::Unknown
            && matches!(rest.first(), Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)))
        {
            for a in &rs.addrs {
                self.add_ref(a);
            }
            return (Value::unknown(format!("{}[?]", rs.base)), format!("{}[?]", rs.base), 1);
        }
        if matches!(rs.expansion, Expansion::Count | Expansion::ForEach) {
            let idx = match rest.first() {
                Some(TraversalOperator::Index(e)) => Some(self.eval(e, sc)),
                Some(TraversalOperator::LegacyIndex(n)) => {
                    Some(Value::from(i64::try_from(*n.value()).unwrap_or(i64::MAX)))
                }
                _ => None,
            };
            if let Some(k) = idx {
                let k = match (&k, rs.expansion) {
                    (Value::String(s), Expansion::Count) => s.parse::<i64>().map(Value::from).unwrap_or(k),
                    _ => k,
                };
                if !k.is_unknown() {
                    let addr = [rs.base.as_str(), &key_suffix(&k)].concat();
                    if rs.addrs.contains(&addr) {
                        self.add_ref(&addr);
                        let v = match (&rs.value, &k) {
                            (Value::List(l), Value::Number(n)) => {
                                n.as_u64().and_then(|i| usize::try_from(i).ok()).and_then(|i| l.get(i))
                            }
                            (Value::Map(m), Value::String(s)) => m.get(s),
                            _ => None,
                        };
                        if let Some((attr, desc)) = v.and_then(|v| take_attr(v, &addr, rest.get(1..).unwrap_or(&[]))) {
                            return (attr, desc, 2);
                        }
                        return (v.cloned().unwrap_or(Value::Null), addr, 1);
                    }
                    self.error(sc, at, format!("{addr} is not an instance of {}", rs.base));
                    return (Value::unknown(addr.clone()), addr, 1);
                }
            }
        }
        for a in &rs.addrs {
            self.add_ref(a);
        }
        if let Some((attr, desc)) = take_attr(&rs.value, &rs.base, rest) {
            return (attr, desc, 1);
        }
        (rs.value.clone(), rs.base.clone(), 0)
    }

    fn module_ref(
        &mut self,
        inst: usize,
        name: &str,
        rest: &[&TraversalOperator],
        sc: &Scope<'_>,
    ) -> (Value, String, usize, bool) {
        let prefix = self.insts[inst].prefix.clone();
        let addr = [prefix.as_str(), "module.", name].concat();
        let Some(call) = self.module(inst, name) else {
            return (Value::unknown(addr.clone()), addr, 1, true);
        };
        if call.unresolved.is_some() {
            return (Value::unknown(addr.clone()), addr, 1, true);
        }
        match call.expansion {
            Expansion::Single => {
                let Some((_, child)) = call.children.first().copied_pair() else {
                    return (Value::unknown(addr.clone()), addr, 1, true);
                };
                match Self::attr_name(rest.first()) {
                    Some(out) if self.insts[child].config.outputs.contains_key(out) => {
                        (self.output(child, out), [addr.as_str(), ".", out].concat(), 2, true)
                    }
                    _ => (self.all_outputs(child), addr, 1, true),
                }
            }
            Expansion::Unknown => (Value::unknown(addr.clone()), addr, 1, true),
            Expansion::Count | Expansion::ForEach => {
                let idx = match rest.first() {
                    Some(TraversalOperator::Index(e)) => Some(self.eval(e, sc)),
                    Some(TraversalOperator::LegacyIndex(n)) => {
                        Some(Value::from(i64::try_from(*n.value()).unwrap_or(i64::MAX)))
                    }
                    _ => None,
                };
                if let Some(k) = idx {
                    if k.is_unknown() {
                        return (Value::unknown(format!("{addr}[?]")), format!("{addr}[?]"), 2, true);
                    }
                    let child = call
                        .children
                        .iter()
                        .find(|(ck, _)| values_equal(ck, &k) || to_string(ck).ok() == to_string(&k).ok())
                        .map(|(_, c)| *c);
                    let iaddr = [addr.as_str(), &key_suffix(&k)].concat();
                    let Some(child) = child else {
                        self.soft_error();
                        return (Value::unknown(iaddr.clone()), iaddr, 2, true);
                    };
                    return match Self::attr_name(rest.get(1)) {
                        Some(out) if self.insts[child].config.outputs.contains_key(out) => {
                            (self.output(child, out), [iaddr.as_str(), ".", out].concat(), 3, true)
                        }
                        _ => (self.all_outputs(child), iaddr, 2, true),
                    };
                }
                let mut items = Vec::new();
                for (k, child) in &call.children {
                    items.push((k.clone(), self.all_outputs(*child)));
                }
                let v = if call.expansion == Expansion::Count {
                    Value::List(items.into_iter().map(|(_, v)| v).collect())
                } else {
                    Value::Map(items.into_iter().filter_map(|(k, v)| k.as_str().map(|s| (s.to_string(), v))).collect())
                };
                (v, addr, 1, true)
            }
        }
    }

    fn apply_ops(
        &mut self,
        mut value: Value,
        desc: &mut String,
        ops: &[&TraversalOperator],
        sc: &Scope<'_>,
        computed: bool,
    ) -> Value {
        let mut i = 0;
        while let Some(op) = ops.get(i) {
            match op {
                TraversalOperator::GetAttr(n) => {
                    value = self.get_attr(value, n.as_str(), desc, computed);
                }
                TraversalOperator::Index(e) => {
                    let k = self.eval(e, sc);
                    value = self.index(value, &k, desc, computed);
                }
                TraversalOperator::LegacyIndex(n) => {
                    let k = Value::from(i64::try_from(*n.value()).unwrap_or(i64::MAX));
                    value = self.index(value, &k, desc, computed);
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let full = matches!(op, TraversalOperator::FullSplat(_));
                    let mut j = i + 1;
                    while let Some(next) = ops.get(j) {
                        let ok = match next {
                            TraversalOperator::GetAttr(_) => true,
                            TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => full,
                            _ => false,
                        };
                        if !ok {
                            break;
                        }
                        j += 1;
                    }
                    let sub = ops.get(i + 1..j).unwrap_or(&[]);
                    desc.push_str("[*]");
                    value = match value {
                        Value::Unknown(w) => Value::unknown(format!("{w}[*]")),
                        Value::Null => Value::List(Vec::new()),
                        Value::List(items) => {
                            let base = desc.trim_end_matches("[*]").to_string();
                            Value::List(
                                items
                                    .into_iter()
                                    .enumerate()
                                    .map(|(n, it)| self.apply_ops(it, &mut format!("{base}[{n}]"), sub, sc, computed))
                                    .collect(),
                            )
                        }
                        other => Value::List(vec![self.apply_ops(other, &mut desc.clone(), sub, sc, computed)]),
                    };
                    i = j;
                    continue;
                }
            }
            i += 1;
        }
        value
    }

    fn get_attr(&mut self, value: Value, name: &str, desc: &mut String, computed: bool) -> Value {
        desc.push('.');
        desc.push_str(name);
        match value {
            Value::Map(mut m) => match m.remove(name) {
                Some(v) => v,
                None => {
                    if !computed {
                        self.soft_error();
                    }
                    Value::unknown(desc.clone())
                }
            },
            Value::Unknown(_) => Value::unknown(desc.clone()),
            _ => {
                self.soft_error();
                Value::unknown(desc.clone())
            }
        }
    }

    fn index(&mut self, value: Value, k: &Value, desc: &mut String, computed: bool) -> Value {
        if k.is_unknown() {
            desc.push_str("[?]");
            return Value::unknown(desc.clone());
        }
        desc.push_str(&key_suffix(k));
        match value {
            Value::List(l) => {
                let i = funcs::to_number(k).ok().filter(|n| *n >= 0.0 && n.fract() == 0.0).map(|n| n as usize);
                match i.and_then(|i| l.get(i)) {
                    Some(v) => v.clone(),
                    None => {
                        self.soft_error();
                        Value::unknown(desc.clone())
                    }
                }
            }
            Value::Map(m) => match to_string(k).ok().and_then(|s| m.get(&s).cloned()) {
                Some(v) => v,
                None => {
                    if !computed {
                        self.soft_error();
                    }
                    Value::unknown(desc.clone())
                }
            },
            Value::Unknown(_) => Value::unknown(desc.clone()),
            _ => {
                self.soft_error();
                Value::unknown(desc.clone())
            }
        }
    }

    // --- functions -------------------------------------------------------------

    fn call(&mut self, f: &FuncCall, sc: &Scope<'_>) -> Value {
        let name = f.name.name.as_str();
        if f.name.is_namespaced() {
            // Provider-defined functions are not known offline; their
            // arguments are still evaluated for the references they make.
            for a in f.args.iter() {
                self.eval(a, sc);
            }
            return Value::unknown(format!("provider function {name}(...)"));
        }
        match name {
            "try" => {
                for a in f.args.iter() {
                    let before = self.errors;
                    self.try_depth += 1;
                    let v = self.eval(a, sc);
                    self.try_depth -= 1;
                    if self.errors == before {
                        return v;
                    }
                }
                self.error(sc, f.span(), "try(): no argument could be evaluated".into());
                return Value::unknown("try(...)");
            }
            "can" => {
                let before = self.errors;
                self.try_depth += 1;
                let v = f.args.iter().next().map(|a| self.eval(a, sc)).unwrap_or(Value::Null);
                self.try_depth -= 1;
                if self.errors != before {
                    return Value::Bool(false);
                }
                return if v.contains_unknown() { Value::unknown("can(...)") } else { Value::Bool(true) };
            }
            _ => {}
        }
        let mut args: Vec<Value> = f.args.iter().map(|a| self.eval(a, sc)).collect();
        if f.args.expand_final() {
            match args.pop() {
                Some(Value::List(l)) => args.extend(l),
                Some(Value::Unknown(w)) => return Value::unknown(format!("{name}({w}...)")),
                Some(other) => {
                    self.error(
                        sc,
                        f.span(),
                        format!("{name}(...): the expanded argument must be a list, got {}", other.type_name()),
                    );
                    return Value::unknown(format!("{name}(...)"));
                }
                None => {}
            }
        }
        let v = match name {
            "file" | "templatefile" | "fileexists" | "filebase64" | "fileset" => {
                self.file_fn(name, &args, sc, f.span())
            }
            n if funcs::is_file_digest(n) => self.file_fn(name, &args, sc, f.span()),
            _ => self.builtin(name, &args, sc, f.span()),
        };
        // What the call built (or copied out of its arguments) is charged;
        // the functions that could build far more than that measured it first.
        if !matches!(v, Value::Null | Value::Bool(_) | Value::Number(_)) && !self.charge_value(&v, sc, f.span()) {
            return Value::unknown("size limit");
        }
        v
    }

    fn builtin(&mut self, name: &str, args: &[Value], sc: &Scope<'_>, at: Option<Range<usize>>) -> Value {
        let r = funcs::call(name, args, self.room());
        let extra = funcs::extra_steps(name, args);
        if extra > 0 && !self.budget.charge(extra) {
            let what = self.budget.message();
            self.over_budget(sc, at, what);
            return Value::unknown("evaluation limit");
        }
        match r {
            Some(Ok(v)) => v,
            Some(Err(CallError::TooLarge)) => {
                self.too_large(sc, at);
                Value::unknown(format!("{name}(...)"))
            }
            Some(Err(CallError::Eval(msg))) => {
                self.error(sc, at.clone(), format!("{name}(): {msg}"));
                Value::unknown(format!("{name}(...)"))
            }
            None => {
                self.errors += 1;
                if self.try_depth == 0 {
                    self.diag(
                        sc.inst,
                        sc.file,
                        at.clone(),
                        DiagnosticLevel::Warning,
                        "eval",
                        format!("unknown function {name}(); its result is unknown"),
                    );
                }
                Value::unknown(format!("{name}(...)"))
            }
        }
    }

    fn file_fn(&mut self, name: &str, args: &[Value], sc: &Scope<'_>, at: Option<Range<usize>>) -> Value {
        let p = match args.first() {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Unknown(w)) => return Value::unknown(format!("{name}({w})")),
            _ => {
                self.error(sc, at, format!("{name}() needs a path string"));
                return Value::unknown(format!("{name}(...)"));
            }
        };
        let full =
            if Path::new(&p).is_absolute() { PathBuf::from(&p) } else { source::normalize(&self.root_dir.join(&p)) };
        if name == "fileset" {
            return Value::unknown(format!("fileset({p})"));
        }
        let text = self.ctx.files.read_text(&full);
        if name == "fileexists" {
            return match text {
                Ok(_) => Value::Bool(true),
                Err(ReadError::NotFound) => Value::Bool(false),
                Err(ReadError::IsDirectory) => {
                    self.error(sc, at, format!("fileexists(\"{p}\"): is a directory"));
                    Value::unknown(format!("fileexists({p})"))
                }
                Err(e) => {
                    self.error(sc, at, format!("fileexists(\"{p}\"): {e}"));
                    Value::unknown(format!("fileexists({p})"))
                }
            };
        }
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                self.error(sc, at, format!("{name}(\"{p}\"): {e}"));
                return Value::unknown(format!("{name}({p})"));
            }
        };
        match name {
            "file" => Value::String(text.to_string()),
            "filebase64" => Value::String(funcs::base64_encode(text.as_bytes())),
            n if funcs::is_file_digest(n) => funcs::file_digest(n, text.as_bytes()),
            _ => {
                let vars = match args.get(1) {
                    Some(Value::Map(m)) => m.clone(),
                    None | Some(Value::Null) => BTreeMap::new(),
                    Some(Value::Unknown(w)) => return Value::unknown(format!("templatefile({p}, {w})")),
                    Some(other) => {
                        self.error(
                            sc,
                            at,
                            format!("templatefile(): variables must be a map, got {}", other.type_name()),
                        );
                        return Value::unknown(format!("templatefile({p})"));
                    }
                };
                if let Err(e) = super::objects::check_template(&text) {
                    let (line, col) = LineIndex::new(&text).line_col(e.offset);
                    let msg = format!(
                        "templatefile(\"{p}\"): an object literal with {} keys or more (line {line}, column {col} of the template) is more than the parser can check for duplicate keys; the result is unknown",
                        e.keys
                    );
                    self.limit_error(sc, at, msg);
                    return Value::unknown(format!("templatefile({p})"));
                }
                let tpl = match hcl_edit::parser::parse_template(&text) {
                    Ok(t) => t,
                    Err(e) => {
                        let loc = e.location();
                        self.error(
                            sc,
                            at,
                            format!(
                                "templatefile(\"{p}\"): invalid template at line {}, column {}: {}",
                                loc.line(),
                                loc.column(),
                                e.message()
                            ),
                        );
                        return Value::unknown(format!("templatefile({p})"));
                    }
                };
                let bind = Bind::new(BindVals::Many(vars), None, None);
                let inner = Scope { inst: sc.inst, file: sc.file, bind: Some(&bind) };
                self.template(&tpl, &inner)
            }
        }
    }
}

/// Records spans of a JSON document rendered from a string whose line `n`
/// is source line `base + n`.
fn json_spans(text: &str, at: &str, base: u32, file: &Arc<str>, spans: &mut Spans) {
    let t = text.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return;
    }
    let Ok(node) = crate::parse::json::parse(text, file) else { return };
    let index = LineIndex::new(text);
    let mut inner = Spans::new();
    node.record_spans("", &index, &mut inner);
    for (k, r) in inner {
        let mut p = at.to_string();
        if k.starts_with('[') {
            p.push_str(&k);
        } else {
            if !p.is_empty() {
                p.push('.');
            }
            p.push_str(&k);
        }
        spans.entry(p).or_insert(LineRange { line: r.line + base, end_line: r.end_line + base });
    }
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

fn map1(k: &str, v: Value) -> Value {
    let mut m = BTreeMap::new();
    m.insert(k.to_string(), v);
    Value::Map(m)
}

trait CopiedPair {
    fn copied_pair(self) -> Option<(Value, usize)>;
}

impl CopiedPair for Option<&(Value, usize)> {
    fn copied_pair(self) -> Option<(Value, usize)> {
        self.map(|(k, c)| (k.clone(), *c))
    }
}

/// Template output with HCL's whitespace strip markers (`~`).
#[derive(Default)]
struct Render {
    /// The template, for a `limit` diagnostic.
    at: Option<Range<usize>>,
    buf: String,
    /// Where the last literal began, while it is the last thing written.
    lit_start: Option<usize>,
    /// Strip leading whitespace of the next literal.
    strip_next: bool,
}

impl Render {
    fn literal(&mut self, s: &str) {
        let s = if self.strip_next { s.trim_start() } else { s };
        self.strip_next = false;
        self.lit_start = Some(self.buf.len());
        self.buf.push_str(s);
    }

    fn value(&mut self, s: &str) {
        self.strip_next = false;
        self.buf.push_str(s);
        self.lit_start = None;
    }

    fn strip_prev(&mut self) {
        if let Some(start) = self.lit_start {
            let keep = self.buf.get(start..).map(|t| start + t.trim_end().len()).unwrap_or(start);
            self.buf.truncate(keep);
        }
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
