//! `terraform show -json` plans.
//!
//! A plan is recognised by `format_version` plus `planned_values` or
//! `resource_changes`. Resources come from `planned_values` (the root
//! module and its `child_modules`, recursively), or from the `after` values
//! of `resource_changes` when a plan has no `planned_values`; data sources
//! read during planning come from `prior_state`. Attributes are the planned
//! values, with every position that `after_unknown` marks as unknown set to
//! `Value::Unknown("<address>.<path>")`. Addresses are the plan's own.
//!
//! Locations: when the configuration is available — the `.tf` and
//! `.tf.json` files in the plan's directory, or in
//! `ScanOptions::config_dir` — each resource points at the block that
//! declares it (local child modules are found through
//! `configuration.root_module.module_calls[*].source`, downloaded ones
//! through `.terraform/modules/modules.json`), with the module call sites
//! of its module instances and spans for the block's attributes and nested
//! blocks. Otherwise it points at its object in the plan JSON, with spans
//! for every attribute path there. A plan given alone on the command line
//! may read its own directory (the scan allows it).
//!
//! A plan stands for its configuration: when a scan finds both, the
//! configuration's root directory is not evaluated as a unit of its own
//! (the scan reports that with an info diagnostic, code `plan`), so each
//! resource is checked once, with the plan's evaluated values.
//!
//! Edges come from the `references` of the configuration's expressions,
//! between resources of the same module instance.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Body, Structure};

use crate::diagnostic::Diagnostic;
use crate::graph::{CallSite, Edge, LineRange, Location, Mode, Resource, SourceKind, path};
use crate::parse::UnitOutput;
use crate::parse::context::ParseContext;
use crate::parse::json::{self, Kind, Node};
use crate::source::{self, SourceFile};
use crate::span::{LineIndex, Span};
use crate::value::Value;

/// True for a plan: `format_version` plus `planned_values` or `resource_changes`.
pub(crate) fn is_plan(node: &Node) -> bool {
    node.get("format_version").is_some()
        && (node.get("planned_values").is_some_and(Node::is_object)
            || node.get("resource_changes").is_some_and(Node::is_array))
}

/// A cheap test on the text before parsing: a plan has these keys.
pub(crate) fn may_be_plan(text: &str) -> bool {
    text.contains("\"format_version\"")
        && (text.contains("\"planned_values\"") || text.contains("\"resource_changes\""))
}

/// The directory of the configuration a plan was made from, read for
/// locations: `ScanOptions::config_dir`, else the plan file's directory.
pub(crate) fn config_root(ctx: &ParseContext, file: &SourceFile) -> PathBuf {
    match &ctx.config_dir {
        Some(d) => d.clone(),
        None => match file.fs_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    }
}

/// One resource instance of the plan.
struct Instance<'a> {
    address: String,
    /// Module instance address (`module.a["k"].module.b[0]`), empty at the root.
    module: String,
    mode: Mode,
    resource_type: String,
    name: String,
    values: Option<&'a Node>,
    /// The resource's object in the plan JSON.
    node: &'a Node,
}

pub(crate) fn load(ctx: &ParseContext, file: &SourceFile, node: &Node) -> UnitOutput {
    let mut out = UnitOutput::default();
    let index = LineIndex::new(&file.text);
    out.diagnostics.extend(node.duplicate_keys(&file.path, &index));

    let mut instances = Vec::new();
    let mut seen = BTreeSet::new();
    if let Some(root) = node.get("planned_values").and_then(|p| p.get("root_module")) {
        collect_module(root, &mut instances, &mut seen);
    } else {
        for rc in node.get("resource_changes").map(|r| r.items()).into_iter().flatten() {
            let after = rc.get("change").and_then(|c| c.get("after")).filter(|a| a.is_object());
            if after.is_some() {
                push_instance(rc, after, rc.get("module_address"), &mut instances, &mut seen);
            }
        }
    }
    if let Some(root) = node.get("prior_state").and_then(|p| p.get("values")).and_then(|v| v.get("root_module")) {
        let mut data = Vec::new();
        collect_module(root, &mut data, &mut BTreeSet::new());
        for inst in data.into_iter().filter(|i| i.mode == Mode::Data) {
            if seen.insert(inst.address.clone()) {
                instances.push(inst);
            }
        }
    }

    let unknowns: BTreeMap<&str, &Node> = node
        .get("resource_changes")
        .map(|r| r.items())
        .into_iter()
        .flatten()
        .filter_map(|rc| Some((rc.get("address")?.as_str()?, rc.get("change")?.get("after_unknown")?)))
        .collect();

    let configuration = node.get("configuration").and_then(|c| c.get("root_module"));
    let mut config = Config::new(ctx, file, configuration);

    for inst in &instances {
        let mut attributes = inst.values.map(Node::to_value).unwrap_or_else(|| Value::Map(BTreeMap::new()));
        if let Some(unk) = unknowns.get(inst.address.as_str()) {
            merge_unknown(&mut attributes, unk, &mut String::new(), &inst.address);
        }
        let modules = module_path(&inst.module);
        let names: Vec<&str> = modules.iter().map(|(n, _)| n.as_str()).collect();
        let declared = config.as_mut().and_then(|c| {
            let block = c.block(&names, inst.mode, &inst.resource_type, &inst.name)?;
            let call_sites = c.call_sites(&modules)?;
            Some((block, call_sites))
        });
        let (loc, spans) = match declared {
            Some((block, call_sites)) => {
                let span = Span::new(block.file.clone(), block.lines.line, 1, block.lines.end_line);
                (Location::new(inst.address.clone(), &span, &call_sites), block.spans)
            }
            None => {
                let r = inst.node.line_range(&index);
                let (line, column) = inst.node.line_col(&index);
                let span = Span::new(file.path.clone(), line, column, r.end_line);
                let mut spans = BTreeMap::new();
                if let Some(values) = inst.values {
                    values.record_spans("", &index, &mut spans);
                }
                (Location::new(inst.address.clone(), &span, &[]), spans)
            }
        };
        out.resources.push(Resource {
            address: inst.address.clone(),
            resource_type: inst.resource_type.clone(),
            kind: SourceKind::TerraformPlan,
            mode: inst.mode,
            attributes,
            loc,
            spans,
        });
    }

    if let Some(cfg) = configuration {
        out.edges = edges(cfg, &instances);
    }
    if let Some(c) = config {
        out.diagnostics.extend(c.diagnostics);
    }
    out
}

fn collect_module<'a>(module: &'a Node, out: &mut Vec<Instance<'a>>, seen: &mut BTreeSet<String>) {
    let address = module.get("address");
    for r in module.get("resources").map(|r| r.items()).into_iter().flatten() {
        push_instance(r, r.get("values"), address, out, seen);
    }
    for child in module.get("child_modules").map(|c| c.items()).into_iter().flatten() {
        collect_module(child, out, seen);
    }
}

fn push_instance<'a>(
    r: &'a Node,
    values: Option<&'a Node>,
    module: Option<&'a Node>,
    out: &mut Vec<Instance<'a>>,
    seen: &mut BTreeSet<String>,
) {
    let (Some(address), Some(resource_type), Some(name)) = (
        r.get("address").and_then(Node::as_str),
        r.get("type").and_then(Node::as_str),
        r.get("name").and_then(Node::as_str),
    ) else {
        return;
    };
    if !seen.insert(address.to_string()) {
        return;
    }
    let mode = if r.get("mode").and_then(Node::as_str) == Some("data") { Mode::Data } else { Mode::Managed };
    let module = module.and_then(Node::as_str).map(str::to_string).unwrap_or_else(|| module_of(address));
    out.push(Instance {
        address: address.to_string(),
        module,
        mode,
        resource_type: resource_type.to_string(),
        name: name.to_string(),
        values,
        node: r,
    });
}

/// The module instance part of a resource address (`module.a[0].aws_x.y` -> `module.a[0]`).
fn module_of(address: &str) -> String {
    let modules = module_path(address);
    modules.last().map(|(_, prefix)| prefix.clone()).unwrap_or_default()
}

/// Splits a module instance address into (call name, instance address
/// prefix) pairs: `module.a["k"].module.b` ->
/// `[("a", "module.a[\"k\"]"), ("b", "module.a[\"k\"].module.b")]`.
fn module_path(address: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = address.as_bytes();
    let mut pos = 0;
    while let Some(rest) = address.get(pos..).and_then(|r| r.strip_prefix("module.")) {
        let name_len = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = rest.get(..name_len).unwrap_or("");
        if name.is_empty() {
            break;
        }
        pos += "module.".len() + name_len;
        if bytes.get(pos) == Some(&b'[') {
            let mut in_string = false;
            let mut escaped = false;
            let mut end = None;
            for (i, b) in bytes.iter().enumerate().skip(pos + 1) {
                match b {
                    _ if escaped => escaped = false,
                    b'\\' if in_string => escaped = true,
                    b'"' => in_string = !in_string,
                    b']' if !in_string => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            match end {
                Some(e) => pos = e + 1,
                None => break,
            }
        }
        out.push((name.to_string(), address.get(..pos).unwrap_or("").to_string()));
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
        } else {
            break;
        }
    }
    out
}

/// Applies `after_unknown` to planned values: every `true` becomes an unknown.
fn merge_unknown(v: &mut Value, unk: &Node, p: &mut String, address: &str) {
    match unk.kind() {
        Kind::Bool(true) => {
            *v = Value::Unknown(if p.is_empty() { address.to_string() } else { format!("{address}.{p}") });
        }
        Kind::Object(o) => {
            if !contains_true(unk) {
                return;
            }
            if !matches!(v, Value::Map(_)) {
                *v = Value::Map(BTreeMap::new());
            }
            let Value::Map(map) = v else { return };
            for e in o.entries() {
                if !contains_true(&e.value) {
                    continue;
                }
                let base = p.len();
                path::push_key(p, &e.key);
                merge_unknown(map.entry(e.key.clone()).or_insert(Value::Null), &e.value, p, address);
                p.truncate(base);
            }
        }
        Kind::Array(items) => {
            if !contains_true(unk) {
                return;
            }
            if !matches!(v, Value::List(_)) {
                *v = Value::List(Vec::new());
            }
            let Value::List(list) = v else { return };
            for (i, item) in items.iter().enumerate() {
                if !contains_true(item) {
                    continue;
                }
                if list.len() <= i {
                    list.resize(i + 1, Value::Null);
                }
                let base = p.len();
                path::push_index(p, i);
                if let Some(slot) = list.get_mut(i) {
                    merge_unknown(slot, item, p, address);
                }
                p.truncate(base);
            }
        }
        _ => {}
    }
}

fn contains_true(n: &Node) -> bool {
    match n.kind() {
        Kind::Bool(b) => *b,
        Kind::Array(items) => items.iter().any(contains_true),
        Kind::Object(o) => o.entries().iter().any(|e| contains_true(&e.value)),
        _ => false,
    }
}

// ----- edges from configuration references ---------------------------------

/// Edges between instances of one module instance, from the `references` of
/// each configuration resource's expressions.
fn edges(root: &Node, instances: &[Instance<'_>]) -> Vec<Edge> {
    // (module instance, mode, type, name) -> instance addresses.
    let mut by_key: BTreeMap<(&str, Mode, &str, &str), Vec<&str>> = BTreeMap::new();
    for i in instances {
        by_key.entry((&i.module, i.mode, &i.resource_type, &i.name)).or_default().push(&i.address);
    }
    let mut out = BTreeSet::new();
    for inst in instances {
        let names: Vec<String> = module_path(&inst.module).into_iter().map(|(n, _)| n).collect();
        let Some(module) = config_module(root, &names) else { continue };
        let Some(cfg) = module.get("resources").map(|r| r.items()).into_iter().flatten().find(|r| {
            r.get("type").and_then(Node::as_str) == Some(&inst.resource_type)
                && r.get("name").and_then(Node::as_str) == Some(&inst.name)
                && (r.get("mode").and_then(Node::as_str) == Some("data")) == (inst.mode == Mode::Data)
        }) else {
            continue;
        };
        for (attribute, expr) in cfg.get("expressions").map(|e| e.entries().collect::<Vec<_>>()).unwrap_or_default() {
            let mut refs = Vec::new();
            collect_references(expr, &mut refs);
            // Target -> the exact instances named with an index (`aws_x.y[0]`), if any.
            let mut targets: BTreeMap<(Mode, &str, &str), BTreeSet<&str>> = BTreeMap::new();
            for r in refs {
                let Some((mode, ty, name, index)) = parse_reference(r) else { continue };
                let Some(instances) = by_key.get(&(inst.module.as_str(), mode, ty, name)) else { continue };
                let exact = targets.entry((mode, ty, name)).or_default();
                if let Some(ix) = index {
                    let prefix = if inst.module.is_empty() { String::new() } else { format!("{}.", inst.module) };
                    let data = if mode == Mode::Data { "data." } else { "" };
                    let address = format!("{prefix}{data}{ty}.{name}{ix}");
                    if let Some(found) = instances.iter().find(|a| **a == address) {
                        exact.insert(found);
                    }
                }
            }
            for (key, exact) in targets {
                let chosen: Vec<&str> = if exact.is_empty() {
                    by_key.get(&(inst.module.as_str(), key.0, key.1, key.2)).cloned().unwrap_or_default()
                } else {
                    exact.into_iter().collect()
                };
                for to in chosen {
                    if to != inst.address {
                        out.insert(Edge {
                            from: inst.address.clone(),
                            to: to.to_string(),
                            attribute: attribute.to_string(),
                        });
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

/// The configuration module at a path of call names.
fn config_module<'a>(root: &'a Node, names: &[String]) -> Option<&'a Node> {
    let mut m = root;
    for n in names {
        m = m.get("module_calls")?.get(n)?.get("module")?;
    }
    Some(m)
}

fn collect_references<'a>(expr: &'a Node, out: &mut Vec<&'a str>) {
    match expr.kind() {
        Kind::Object(o) => {
            for e in o.entries() {
                if e.key == "references" {
                    out.extend(e.value.items().filter_map(Node::as_str));
                } else {
                    collect_references(&e.value, out);
                }
            }
        }
        Kind::Array(items) => items.iter().for_each(|i| collect_references(i, out)),
        _ => {}
    }
}

/// `aws_x.y`, `aws_x.y[0].arn`, `data.t.n.json` -> (mode, type, name, index).
fn parse_reference(r: &str) -> Option<(Mode, &str, &str, Option<&str>)> {
    let (mode, rest) = match r.strip_prefix("data.") {
        Some(rest) => (Mode::Data, rest),
        None => (Mode::Managed, r),
    };
    let (ty, rest) = rest.split_once('.')?;
    if mode == Mode::Managed
        && matches!(ty, "var" | "local" | "module" | "each" | "count" | "path" | "terraform" | "self")
    {
        return None;
    }
    let name_len = rest.find(['.', '[']).unwrap_or(rest.len());
    let name = rest.get(..name_len)?;
    let after = rest.get(name_len..).unwrap_or("");
    let index = if after.starts_with('[') { after.find(']').and_then(|e| after.get(..=e)) } else { None };
    (!ty.is_empty() && !name.is_empty()).then_some((mode, ty, name, index))
}

// ----- configuration: block positions in the .tf files ----------------------

/// A declaring block: its file, lines, and spans of its attributes.
#[derive(Clone)]
struct Block {
    file: Arc<str>,
    lines: LineRange,
    spans: BTreeMap<String, LineRange>,
}

/// The blocks of one module directory.
#[derive(Default)]
struct ModuleBlocks {
    /// (mode, type, name) -> block.
    resources: BTreeMap<(Mode, String, String), Block>,
    /// Module call name -> its `module` block.
    calls: BTreeMap<String, Block>,
}

/// The configuration next to a plan, loaded lazily per module.
struct Config<'a> {
    ctx: &'a ParseContext,
    root_dir: PathBuf,
    configuration: Option<&'a Node>,
    /// `.terraform/modules/modules.json`: module key (`a.b`) -> directory.
    manifest: BTreeMap<String, PathBuf>,
    /// Module path (`a.b`) -> blocks (`None`: directory not found).
    modules: BTreeMap<String, Option<ModuleBlocks>>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Config<'a> {
    /// `None` when there are no `.tf` files for the root module.
    fn new(ctx: &'a ParseContext, file: &SourceFile, configuration: Option<&'a Node>) -> Option<Config<'a>> {
        let root_dir = config_root(ctx, file);
        let mut c = Config {
            ctx,
            manifest: read_manifest(ctx, &root_dir),
            root_dir,
            configuration,
            modules: BTreeMap::new(),
            diagnostics: Vec::new(),
        };
        c.load(&[])?;
        Some(c)
    }

    /// Loads (once) the blocks of the module at a path of call names.
    fn load(&mut self, names: &[&str]) -> Option<&ModuleBlocks> {
        let key = names.join(".");
        if !self.modules.contains_key(&key) {
            let blocks = self.dir_of(names).and_then(|dir| self.read_dir(&dir));
            self.modules.insert(key.clone(), blocks);
        }
        self.modules.get(&key).and_then(Option::as_ref)
    }

    fn dir_of(&self, names: &[&str]) -> Option<PathBuf> {
        let Some((last, parents)) = names.split_last() else {
            return Some(self.root_dir.clone());
        };
        if let Some(dir) = self.manifest.get(&names.join(".")) {
            return Some(dir.clone());
        }
        let mut cfg = self.configuration?;
        for n in parents {
            cfg = cfg.get("module_calls")?.get(n)?.get("module")?;
        }
        let src = cfg.get("module_calls")?.get(last)?.get("source")?.as_str()?;
        if !(src.starts_with("./") || src.starts_with("../")) {
            return None;
        }
        let parent = self.dir_of(parents)?;
        Some(source::normalize(&parent.join(src)))
    }

    fn read_dir(&mut self, dir: &Path) -> Option<ModuleBlocks> {
        let mut blocks = ModuleBlocks::default();
        let mut any = false;
        for p in self.ctx.files.list_dir(dir) {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let is_json = name.ends_with(".tf.json");
            if !is_json && !name.ends_with(".tf") {
                continue;
            }
            let Ok(text) = self.ctx.files.read_text(&p) else { continue };
            any = true;
            let display = source::display_path(&p);
            let index = LineIndex::new(&text);
            // A broken file is reported by the Terraform reader; here it only
            // means that its blocks cannot be used as locations.
            if is_json {
                match json::parse(&text, &display) {
                    Ok(doc) => index_json(&doc, &display, &index, &mut blocks),
                    Err(d) => self.diagnostics.push(Diagnostic {
                        level: crate::diagnostic::DiagnosticLevel::Info,
                        message: format!("configuration not used for locations: {}", d.message),
                        ..d
                    }),
                }
                continue;
            }
            match hcl_edit::parser::parse_body(&text) {
                Ok(body) => index_body(&body, &display, &index, &mut blocks),
                Err(e) => self.diagnostics.push(
                    Diagnostic::info(display.clone(), "parse", format!("configuration not used for locations: {e}"))
                        .at(to_u32(e.location().line()), to_u32(e.location().column())),
                ),
            }
        }
        any.then_some(blocks)
    }

    fn block(&mut self, names: &[&str], mode: Mode, ty: &str, name: &str) -> Option<Block> {
        self.load(names)?.resources.get(&(mode, ty.to_string(), name.to_string())).cloned()
    }

    /// Call sites of each module instance on the way to a resource; `None`
    /// when a call's block cannot be found.
    fn call_sites(&mut self, modules: &[(String, String)]) -> Option<Vec<CallSite>> {
        let mut out = Vec::new();
        for (i, (name, instance)) in modules.iter().enumerate() {
            let parents: Vec<&str> = modules.iter().take(i).map(|(n, _)| n.as_str()).collect();
            let call = self.load(&parents)?.calls.get(name)?;
            out.push(CallSite {
                module: instance.clone(),
                file: call.file.clone(),
                line: call.lines.line,
                end_line: call.lines.end_line,
            });
        }
        Some(out)
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Reads `.terraform/modules/modules.json` under the root module.
fn read_manifest(ctx: &ParseContext, root: &Path) -> BTreeMap<String, PathBuf> {
    let path = root.join(".terraform/modules/modules.json");
    let Ok(text) = ctx.files.read_text(&path) else { return BTreeMap::new() };
    let name: Arc<str> = source::display_path(&path);
    let Ok(doc) = json::parse(&text, &name) else { return BTreeMap::new() };
    doc.get("Modules")
        .map(|m| m.items())
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let key = m.get("Key")?.as_str()?;
            let dir = m.get("Dir")?.as_str()?;
            (!key.is_empty()).then(|| (key.to_string(), source::normalize(&root.join(dir))))
        })
        .collect()
}

/// Records `resource`, `data` and `module` blocks of one file.
fn index_body(body: &Body, file: &Arc<str>, index: &LineIndex, out: &mut ModuleBlocks) {
    for s in body.iter() {
        let Structure::Block(b) = s else { continue };
        let Some(range) = b.span() else { continue };
        let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
        let lines = line_range(index, range.start, range.end);
        let mut spans = BTreeMap::new();
        body_spans(&b.body, &mut String::new(), index, &mut spans, 0);
        let block = Block { file: file.clone(), lines, spans };
        match (b.ident.as_str(), labels.as_slice()) {
            ("resource", [ty, name]) => {
                out.resources.insert((Mode::Managed, ty.to_string(), name.to_string()), block);
            }
            ("data", [ty, name]) => {
                out.resources.insert((Mode::Data, ty.to_string(), name.to_string()), block);
            }
            ("module", [name]) => {
                out.calls.insert(name.to_string(), block);
            }
            _ => {}
        }
    }
}

/// Records `resource`, `data` and `module` blocks of a `.tf.json` file
/// (`{"resource": {"TYPE": {"NAME": {...}}}}`; each level may also be a
/// list of such objects).
fn index_json(doc: &Node, file: &Arc<str>, index: &LineIndex, out: &mut ModuleBlocks) {
    fn objects(n: &Node) -> Vec<&Node> {
        if n.is_array() { n.items().filter(|i| i.is_object()).collect() } else { vec![n] }
    }
    let block = |body: &Node| {
        let mut spans = BTreeMap::new();
        for body in objects(body) {
            for (key, value) in body.entries() {
                if !matches!(key, "count" | "for_each" | "depends_on" | "provider" | "lifecycle") {
                    value.record_spans(&path::key("", key), index, &mut spans);
                }
            }
        }
        Block { file: file.clone(), lines: body.line_range(index), spans }
    };
    for top in objects(doc) {
        for (kind, mode) in [("resource", Mode::Managed), ("data", Mode::Data)] {
            for types in top.get(kind).map(objects).unwrap_or_default() {
                for (ty, names) in types.entries() {
                    for names in objects(names) {
                        for (name, body) in names.entries() {
                            out.resources.insert((mode, ty.to_string(), name.to_string()), block(body));
                        }
                    }
                }
            }
        }
        for calls in top.get("module").map(objects).unwrap_or_default() {
            for (name, body) in calls.entries() {
                out.calls.insert(name.to_string(), block(body));
            }
        }
    }
}

/// Spans of attributes (`name`) and nested blocks (`ingress[0]`,
/// `ingress[0].cidr_blocks`) of a block body. Meta-arguments and `dynamic`
/// blocks are left out: their instances do not match source blocks one to one.
fn body_spans(body: &Body, p: &mut String, index: &LineIndex, spans: &mut BTreeMap<String, LineRange>, depth: usize) {
    if depth > 32 {
        return;
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    // Nested block type -> lines from its first block to its last.
    let mut groups: BTreeMap<&str, LineRange> = BTreeMap::new();
    for s in body.iter() {
        let base = p.len();
        match s {
            Structure::Attribute(a) => {
                let key = a.key.as_str();
                if depth == 0 && matches!(key, "count" | "for_each" | "depends_on" | "provider") {
                    continue;
                }
                if let Some(r) = a.span() {
                    path::push_key(p, key);
                    spans.insert(p.clone(), line_range(index, r.start, r.end));
                    // `policy = jsonencode({Statement = [...]})`: spans inside the
                    // document, as if it were not encoded (`policy.Statement[0]`).
                    if let Expression::FuncCall(call) = &a.value
                        && call.name.namespace.is_empty()
                        && call.name.name.as_str() == "jsonencode"
                        && let Some(arg) = call.args.iter().next()
                    {
                        expr_spans(arg, p, index, spans, 0);
                    }
                }
            }
            Structure::Block(b) => {
                let ident = b.ident.as_str();
                if matches!(ident, "dynamic" | "lifecycle" | "provisioner" | "connection") {
                    continue;
                }
                let i = counts.entry(ident).or_insert(0);
                path::push_key(p, ident);
                path::push_index(p, *i);
                *i += 1;
                if let Some(r) = b.span() {
                    let lines = line_range(index, r.start, r.end);
                    spans.insert(p.clone(), lines);
                    let g = groups.entry(ident).or_insert(lines);
                    g.line = g.line.min(lines.line);
                    g.end_line = g.end_line.max(lines.end_line);
                }
                body_spans(&b.body, p, index, spans, depth + 1);
            }
        }
        p.truncate(base);
    }
    for (ident, lines) in groups {
        let base = p.len();
        path::push_key(p, ident);
        spans.insert(p.clone(), lines);
        p.truncate(base);
    }
}

/// Spans of the keys and items of an object or array expression.
fn expr_spans(
    expr: &Expression,
    p: &mut String,
    index: &LineIndex,
    spans: &mut BTreeMap<String, LineRange>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    let base = p.len();
    match expr {
        Expression::Object(obj) => {
            for (key, value) in obj.iter() {
                let name = match key {
                    ObjectKey::Ident(i) => i.as_str(),
                    ObjectKey::Expression(Expression::String(s)) => s.as_str(),
                    ObjectKey::Expression(_) => continue,
                };
                let (Some(k), Some(v)) = (key.span(), value.expr().span()) else { continue };
                path::push_key(p, name);
                spans.insert(p.clone(), line_range(index, k.start, v.end));
                expr_spans(value.expr(), p, index, spans, depth + 1);
                p.truncate(base);
            }
        }
        Expression::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let Some(r) = item.span() else { continue };
                path::push_index(p, i);
                spans.insert(p.clone(), line_range(index, r.start, r.end));
                expr_spans(item, p, index, spans, depth + 1);
                p.truncate(base);
            }
        }
        Expression::Parenthesis(inner) => expr_spans(inner.inner(), p, index, spans, depth + 1),
        _ => {}
    }
}

fn line_range(index: &LineIndex, start: usize, end: usize) -> LineRange {
    let (line, _) = index.line_col(start);
    let (end_line, _) = index.line_col(end.saturating_sub(1).max(start));
    LineRange { line, end_line: end_line.max(line) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths() {
        assert_eq!(module_path(""), vec![]);
        assert_eq!(
            module_path(r#"module.a["x.y]"].module.b[0].aws_s3_bucket.c"#),
            vec![
                ("a".to_string(), r#"module.a["x.y]"]"#.to_string()),
                ("b".to_string(), r#"module.a["x.y]"].module.b[0]"#.to_string())
            ]
        );
        assert_eq!(module_of("module.net.aws_vpc.v"), "module.net");
        assert_eq!(module_of("aws_vpc.v"), "");
    }

    #[test]
    fn references() {
        assert_eq!(parse_reference("aws_s3_bucket.b.arn"), Some((Mode::Managed, "aws_s3_bucket", "b", None)));
        assert_eq!(parse_reference("aws_s3_bucket.b[0].arn"), Some((Mode::Managed, "aws_s3_bucket", "b", Some("[0]"))));
        assert_eq!(
            parse_reference("data.aws_iam_policy_document.d.json"),
            Some((Mode::Data, "aws_iam_policy_document", "d", None))
        );
        assert_eq!(parse_reference("var.x"), None);
        assert_eq!(parse_reference("each.value"), None);
        assert_eq!(parse_reference("count"), None);
    }

    #[test]
    fn after_unknown_marks_values() {
        let f: Arc<str> = Arc::from("p.json");
        let after = json::parse(r#"{"a": 1, "ingress": [{"cidr_blocks": ["x"]}]}"#, &f).unwrap();
        let unk =
            json::parse(r#"{"arn": true, "a": false, "ingress": [{"cidr_blocks": [false, true]}], "tags": {}}"#, &f)
                .unwrap();
        let mut v = after.to_value();
        merge_unknown(&mut v, &unk, &mut String::new(), "aws_x.y");
        assert_eq!(
            v.to_json(),
            serde_json::json!({"a": 1, "arn": {"$unknown": "aws_x.y.arn"},
                "ingress": [{"cidr_blocks": ["x", {"$unknown": "aws_x.y.ingress[0].cidr_blocks[1]"}]}]})
        );
        let mut whole = Value::Null;
        merge_unknown(&mut whole, &json::parse("true", &f).unwrap(), &mut String::new(), "aws_x.y");
        assert_eq!(whole, Value::unknown("aws_x.y"));
    }
}
