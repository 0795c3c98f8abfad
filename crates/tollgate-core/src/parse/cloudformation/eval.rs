//! Evaluation of a template: parameters, conditions, intrinsic functions,
//! and one [`Resource`] per entry of `Resources`.
//!
//! What is known before deployment is computed; everything else is an
//! explicit [`Value::Unknown`]:
//! - `Ref` to a parameter gives its `--param` value, else its `Default`
//!   (`List<…>` and `CommaDelimitedList` become lists; SSM parameter types
//!   are unknown unless given, as their value is read at deploy time).
//! - Pseudo parameters are unknown unless given with `--param`, except
//!   `AWS::Partition` (`aws`), `AWS::URLSuffix` (`amazonaws.com`) and
//!   `AWS::NoValue`, which removes the key or list item that holds it.
//! - `Ref` to a resource is `Unknown("<LogicalId>")`, `Fn::GetAtt` is
//!   `Unknown("<LogicalId>.<Attribute>")`; both add an edge.
//! - `Fn::Sub`, `Fn::Join`: a string when every part is known, otherwise an
//!   unknown whose text is the partly rendered string (`arn:aws:s3:::${Bucket}/*`).
//! - `Fn::If` on a condition that depends on unknown input keeps both
//!   branches where that can be represented: as a list item, both branches
//!   become items; where both branches are lists (or one is `AWS::NoValue`),
//!   the value is the concatenation; where both give the same value, that
//!   value; otherwise `Unknown("Fn::If <Condition>")`.
//! - `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::Base64`, `Fn::Cidr`,
//!   `Fn::Length`, `Fn::ToJsonString` are computed from known input;
//!   `Fn::GetAZs`, `Fn::ImportValue` and other functions are unknown.
//!
//! Values built from other values (`Fn::Sub`, `Fn::Join`, `Fn::Base64`,
//! `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::ToJsonString`, and every
//! copy of a parameter's value) draw on one byte budget per template,
//! [`MAX_BUILT_BYTES`], checked with the result's size before it is built:
//! a 1 MB parameter used 5,000 times would otherwise build gigabytes. A
//! value over the budget is unknown, with one located `limit` error per
//! template; the rest of the template is still evaluated.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::foreach;
use super::tree::{Tree, TreeEntry, TreeKind};
use crate::diagnostic::Diagnostic;
use crate::graph::{Edge, LineRange, Location, Mode, Resource, SourceKind, path};
use crate::parse::UnitOutput;
use crate::parse::codec::{base64, cidr};
use crate::span::Span;
use crate::value::Value;

/// Most bytes of values one template may build from other values (see the
/// module documentation); far above what real templates build (the corpus's
/// largest builds under 1 MB).
pub(crate) const MAX_BUILT_BYTES: usize = 32 << 20;

/// True for a template: `AWSTemplateFormatVersion` at the top, or a
/// `Resources` map with at least one entry whose `Type` is `AWS::…`, or a
/// `Resources` map beside an `AWS::…` `Transform` (as loops need).
pub(crate) fn is_template(root: &Tree) -> bool {
    if root.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    let aws_transform = root.get("Transform").is_some_and(|t| match &t.kind {
        TreeKind::String(s) => s.starts_with("AWS::"),
        TreeKind::List(items) => items.iter().any(|i| i.as_str().is_some_and(|s| s.starts_with("AWS::"))),
        _ => false,
    });
    if aws_transform && root.get("Resources").and_then(Tree::as_map).is_some() {
        return true;
    }
    root.get("Resources").and_then(Tree::as_map).is_some_and(|entries| {
        entries.iter().any(|e| e.value.get("Type").and_then(Tree::as_str).is_some_and(|t| t.starts_with("AWS::")))
    })
}

/// Evaluates a recognised template into resources and edges.
pub(crate) fn evaluate(
    file: &Arc<str>,
    root: &Tree,
    overrides: &BTreeMap<String, String>,
    diagnostics: Vec<Diagnostic>,
) -> UnitOutput {
    let mut early = Vec::new();
    let resources = root.get("Resources");
    let declared = resources.and_then(Tree::as_map).unwrap_or(&[]);
    let mut budget = MAX_BUILT_BYTES;
    let expanded = foreach::has_loops(declared).then(|| {
        let mut pre = Evaluator::new(file, root, overrides, &[], budget);
        let expanded = foreach::expand(declared, &mut |t| pre.collection(t), file, &mut early);
        // Only the collections' limits are news: the rest is evaluated again below.
        early.extend(pre.diagnostics.into_iter().filter(|d| d.code == "limit"));
        budget = pre.budget;
        expanded
    });
    let entries = expanded.as_deref().unwrap_or(declared);
    let mut ev = Evaluator::new(file, root, overrides, entries, budget);
    ev.diagnostics.extend(diagnostics);
    ev.diagnostics.extend(early);
    let mut out = UnitOutput::default();
    if let Some(r) = resources.filter(|r| r.as_map().is_none()) {
        ev.warn(r, "`Resources` is not a map");
    }
    for entry in entries {
        ev.resource(entry, &mut out);
    }
    ev.diagnostics.extend(dependency_cycles(file, entries, &out.edges));
    ev.diagnostics.sort();
    ev.diagnostics.dedup();
    out.diagnostics = ev.diagnostics;
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CondState {
    Visiting,
    Done(Option<bool>),
}

struct Evaluator<'t> {
    file: Arc<str>,
    overrides: &'t BTreeMap<String, String>,
    params: BTreeMap<String, Value>,
    mappings: Option<&'t Tree>,
    condition_defs: BTreeMap<&'t str, &'t Tree>,
    conditions: BTreeMap<String, CondState>,
    resources: BTreeSet<&'t str>,
    diagnostics: Vec<Diagnostic>,
    /// The resource being evaluated: references found (target, attribute).
    refs: BTreeSet<(String, String)>,
    /// Top-level property under evaluation (the edge attribute).
    attribute: String,
    spans: BTreeMap<String, LineRange>,
    /// Whether `eval` records spans (off inside function arguments).
    record: bool,
    /// Bytes that built values may still take (see [`MAX_BUILT_BYTES`]).
    budget: usize,
    /// Whether the `limit` error of this template was reported.
    over_budget: bool,
}

impl<'t> Evaluator<'t> {
    /// An evaluator for a template whose resources are `resources`.
    fn new(
        file: &Arc<str>,
        root: &'t Tree,
        overrides: &'t BTreeMap<String, String>,
        resources: &'t [TreeEntry],
        budget: usize,
    ) -> Self {
        let mut ev = Evaluator {
            file: file.clone(),
            overrides,
            params: BTreeMap::new(),
            mappings: root.get("Mappings"),
            condition_defs: BTreeMap::new(),
            conditions: BTreeMap::new(),
            resources: BTreeSet::new(),
            diagnostics: Vec::new(),
            refs: BTreeSet::new(),
            attribute: String::new(),
            spans: BTreeMap::new(),
            record: false,
            budget,
            over_budget: false,
        };
        if let Some(entries) = root.get("Parameters").and_then(Tree::as_map) {
            for e in entries {
                let v = ev.parameter(e);
                ev.params.insert(e.key.clone(), v);
            }
        }
        if let Some(entries) = root.get("Conditions").and_then(Tree::as_map) {
            ev.condition_defs = entries.iter().map(|e| (e.key.as_str(), &e.value)).collect();
        }
        ev.resources = resources.iter().map(|e| e.key.as_str()).collect();
        // Evaluate every condition once, so cycles are reported even when unused.
        let names: Vec<&str> = ev.condition_defs.keys().copied().collect();
        for name in names {
            if let Some(def) = ev.condition_defs.get(name).copied() {
                ev.condition_named(name, def);
            }
        }
        ev
    }

    /// The values of a `Fn::ForEach` collection, when known.
    fn collection(&mut self, node: &Tree) -> Option<Vec<String>> {
        match self.arg(node)? {
            Value::List(items) => items.iter().map(scalar_text).collect(),
            _ => None,
        }
    }

    fn warn(&mut self, at: &Tree, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(self.file.clone(), "eval", message).at(at.line, at.column));
    }

    /// Takes `bytes` from the budget before a value of that size is built;
    /// false (and the template's `limit` error, once) when they are not there.
    fn charge(&mut self, bytes: usize, at: &Tree, what: &str) -> bool {
        if bytes <= self.budget {
            self.budget -= bytes;
            return true;
        }
        if !self.over_budget {
            self.over_budget = true;
            let message = format!(
                "`{what}` would build {bytes} bytes, beyond the {MAX_BUILT_BYTES} bytes of values a template may build: the value is unknown"
            );
            self.diagnostics.push(Diagnostic::error(self.file.clone(), "limit", message).at(at.line, at.column));
        }
        false
    }

    /// A string built by `out`: charged to the budget, or unknown when over it.
    fn built(&mut self, out: Partial, at: &Tree, what: &str) -> Value {
        let need = out.need();
        match out.finish() {
            Some(v) if self.charge(need, at, what) => v,
            Some(_) => Value::unknown(what),
            None => {
                self.charge(need, at, what);
                Value::unknown(what)
            }
        }
    }

    // ----- parameters -------------------------------------------------------

    fn parameter(&mut self, e: &TreeEntry) -> Value {
        let ty = e.value.get("Type").and_then(Tree::as_str).unwrap_or("String");
        let is_list = ty == "CommaDelimitedList" || ty.starts_with("List<");
        if let Some(given) = self.overrides.get(&e.key) {
            return typed(ty, is_list, given);
        }
        if ty.starts_with("AWS::SSM::Parameter::Value") {
            // The default names an SSM parameter; its value is read at deploy time.
            return Value::unknown(e.key.clone());
        }
        match e.value.get("Default") {
            Some(d) => match d.to_value() {
                Value::String(s) => typed(ty, is_list, &s),
                Value::Number(n) if is_list => Value::List(vec![Value::String(n.to_string())]),
                other => other,
            },
            None => Value::unknown(e.key.clone()),
        }
    }

    // ----- conditions -------------------------------------------------------

    /// The value of a named condition: `None` when it depends on unknown input.
    fn condition_named(&mut self, name: &str, at: &Tree) -> Option<bool> {
        match self.conditions.get(name) {
            Some(CondState::Done(v)) => return *v,
            Some(CondState::Visiting) => {
                self.diagnostics.push(
                    Diagnostic::warning(self.file.clone(), "cycle", format!("condition `{name}` depends on itself"))
                        .at(at.line, at.column),
                );
                self.conditions.insert(name.to_string(), CondState::Done(None));
                return None;
            }
            None => {}
        }
        let Some(def) = self.condition_defs.get(name).copied() else {
            self.warn(at, format!("condition `{name}` is not defined"));
            return None;
        };
        self.conditions.insert(name.to_string(), CondState::Visiting);
        let v = self.condition(def);
        // A cycle found below already settled this condition as unknown.
        if self.conditions.get(name) == Some(&CondState::Visiting) {
            self.conditions.insert(name.to_string(), CondState::Done(v));
            v
        } else {
            None
        }
    }

    /// A condition expression (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    fn condition(&mut self, node: &Tree) -> Option<bool> {
        if let TreeKind::Bool(b) = node.kind {
            return Some(b);
        }
        let Some(e) = node.single_entry() else {
            self.warn(node, "a condition must be `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` or `Condition`");
            return None;
        };
        let args: &[Tree] = match &e.value.kind {
            TreeKind::List(items) => items,
            _ => std::slice::from_ref(&e.value),
        };
        match e.key.as_str() {
            "Fn::Equals" => match args {
                [a, b] => {
                    let a = self.arg(a);
                    let b = self.arg(b);
                    equals(a.as_ref(), b.as_ref())
                }
                _ => {
                    self.warn(node, "`Fn::Equals` takes two values");
                    None
                }
            },
            "Fn::Not" => match args {
                [c] => self.condition(c).map(|b| !b),
                _ => {
                    self.warn(node, "`Fn::Not` takes one condition");
                    None
                }
            },
            "Fn::And" | "Fn::Or" => {
                let and = e.key == "Fn::And";
                let mut unknown = false;
                for c in args {
                    match self.condition(c) {
                        Some(v) if v != and => return Some(v),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                if unknown { None } else { Some(and) }
            }
            "Condition" => match e.value.as_str() {
                Some(name) => self.condition_named(name, node),
                None => {
                    self.warn(node, "`Condition` takes a condition name");
                    None
                }
            },
            other => {
                self.warn(node, format!("`{other}` is not a condition function"));
                None
            }
        }
    }

    /// The value of `Fn::If`'s condition name.
    fn if_condition(&mut self, node: &Tree, name: &Tree) -> Option<bool> {
        match &name.kind {
            TreeKind::String(n) => self.condition_named(n, name),
            // Not valid CloudFormation, but seen in real templates: an inline
            // condition expression instead of a condition name.
            TreeKind::Map(_) => self.condition(name),
            _ => {
                self.warn(node, "`Fn::If` takes a condition name first");
                None
            }
        }
    }

    // ----- resources --------------------------------------------------------

    fn resource(&mut self, entry: &TreeEntry, out: &mut UnitOutput) {
        let id = entry.key.as_str();
        let def = &entry.value;
        let Some(ty) = def.get("Type").and_then(Tree::as_str) else {
            self.warn(def, format!("resource `{id}` has no `Type`"));
            return;
        };
        if let Some(c) = def.get("Condition") {
            let known = match c.as_str() {
                Some(name) => self.condition_named(name, c),
                None => {
                    self.warn(c, "a resource `Condition` must be a condition name");
                    None
                }
            };
            if known == Some(false) {
                return;
            }
        }
        self.refs.clear();
        self.spans.clear();
        self.record = true;
        let attributes = match def.get("Properties") {
            None => Value::Map(BTreeMap::new()),
            Some(props) => match props.as_map() {
                Some(entries) if props.single_entry().is_none_or(|e| !is_intrinsic(&e.key)) => {
                    let mut map = BTreeMap::new();
                    let mut p = String::new();
                    for e in entries {
                        self.attribute = e.key.clone();
                        self.map_entry(e, &mut p, &mut map);
                    }
                    Value::Map(map)
                }
                _ => {
                    self.attribute = "Properties".to_string();
                    self.eval(props, &mut String::new()).unwrap_or_else(|| Value::Map(BTreeMap::new()))
                }
            },
        };
        self.record = false;
        if let Some(dep) = def.get("DependsOn") {
            let names: Vec<&Tree> = match &dep.kind {
                TreeKind::List(items) => items.iter().collect(),
                _ => vec![dep],
            };
            for n in names {
                match n.as_str() {
                    Some(name) if self.resources.contains(name) => {
                        self.refs.insert((name.to_string(), "DependsOn".to_string()));
                    }
                    Some(name) => self.warn(n, format!("`DependsOn` names `{name}`, which is not a resource")),
                    None => self.warn(n, "`DependsOn` takes resource names"),
                }
            }
        }
        for (to, attribute) in std::mem::take(&mut self.refs) {
            out.edges.push(Edge { from: id.to_string(), to, attribute });
        }
        let span = Span::new(self.file.clone(), entry.line, entry.column, entry.lines().end_line);
        out.resources.push(Resource {
            address: id.to_string(),
            resource_type: ty.to_string(),
            kind: SourceKind::Cloudformation,
            mode: Mode::Managed,
            attributes,
            loc: Location::new(id, &span, &[]),
            spans: std::mem::take(&mut self.spans),
        });
    }

    // ----- values -----------------------------------------------------------

    /// Evaluates a node at attribute path `p`, recording spans. `None` is
    /// `AWS::NoValue`: the key or item is removed.
    fn eval(&mut self, node: &Tree, p: &mut String) -> Option<Value> {
        if self.record && !p.is_empty() {
            self.spans.insert(p.clone(), node.lines());
        }
        match &node.kind {
            TreeKind::Null => Some(Value::Null),
            TreeKind::Bool(b) => Some(Value::Bool(*b)),
            TreeKind::Number(n) => Some(Value::Number(n.clone())),
            TreeKind::String(s) => Some(Value::String(s.clone())),
            TreeKind::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    self.item(item, p, &mut out);
                }
                Some(Value::List(out))
            }
            TreeKind::Map(entries) => {
                if let Some(e) = node.single_entry()
                    && is_intrinsic(&e.key)
                {
                    return self.intrinsic(e, node, p);
                }
                let mut map = BTreeMap::new();
                for e in entries {
                    self.map_entry(e, p, &mut map);
                }
                Some(Value::Map(map))
            }
        }
    }

    fn map_entry(&mut self, e: &TreeEntry, p: &mut String, map: &mut BTreeMap<String, Value>) {
        let base = p.len();
        path::push_key(p, &e.key);
        match self.eval(&e.value, p) {
            Some(v) => {
                if self.record {
                    self.spans.insert(p.clone(), e.lines());
                }
                map.insert(e.key.clone(), v);
            }
            None => self.forget(p),
        }
        p.truncate(base);
    }

    /// Appends a list item (or, for `Fn::If` on an unknown condition, both
    /// branches) to `out`.
    fn item(&mut self, item: &Tree, p: &mut String, out: &mut Vec<Value>) {
        if let Some((name, a, b)) = as_if(item)
            && self.if_condition(item, name).is_none()
        {
            self.item(a, p, out);
            self.item(b, p, out);
            return;
        }
        let base = p.len();
        path::push_index(p, out.len());
        match self.eval(item, p) {
            Some(v) => out.push(v),
            None => self.forget(p),
        }
        p.truncate(base);
    }

    /// Drops the spans recorded at `p` and below it.
    fn forget(&mut self, p: &str) {
        if !self.record {
            return;
        }
        let stale: Vec<String> = self
            .spans
            .range(p.to_string()..)
            .take_while(|(k, _)| k.starts_with(p))
            .filter(|(k, _)| k.len() == p.len() || matches!(k.as_bytes().get(p.len()), Some(b'.' | b'[')))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            self.spans.remove(&k);
        }
    }

    /// A function argument: evaluated without recording spans.
    fn arg(&mut self, node: &Tree) -> Option<Value> {
        let record = std::mem::replace(&mut self.record, false);
        let v = self.eval(node, &mut String::new());
        self.record = record;
        v
    }

    fn intrinsic(&mut self, e: &TreeEntry, node: &Tree, p: &mut String) -> Option<Value> {
        let arg = &e.value;
        let args: &[Tree] = arg.as_list().unwrap_or(&[]);
        let name = e.key.as_str();
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target, node),
                None => {
                    self.warn(node, "`Ref` takes a name");
                    Some(Value::unknown("Ref"))
                }
            },
            "Fn::GetAtt" => Some(self.get_att(arg, node)),
            "Fn::If" => self.fn_if(node, args, p),
            "Fn::Sub" => Some(self.sub(arg, node)),
            "Fn::Join" => Some(self.join(args, node)),
            "Fn::Select" => Some(self.select(args, node)),
            "Fn::Split" => Some(self.split(args, node)),
            "Fn::FindInMap" => Some(self.find_in_map(args, node)),
            "Fn::Base64" => Some(match self.arg(arg) {
                Some(Value::String(s)) if !self.charge(s.len().div_ceil(3).saturating_mul(4), node, name) => {
                    Value::unknown(name)
                }
                Some(Value::String(s)) => Value::String(base64::encode(s.as_bytes())),
                Some(Value::Unknown(w)) => Value::unknown(format!("Fn::Base64({w})")),
                _ => {
                    self.warn(node, "`Fn::Base64` takes a string");
                    Value::unknown("Fn::Base64")
                }
            }),
            "Fn::Cidr" => Some(self.cidr(args, node)),
            "Fn::GetAZs" => {
                let region = self.arg(arg);
                Some(Value::unknown(match region {
                    Some(Value::String(r)) if !r.is_empty() => format!("Fn::GetAZs {r}"),
                    _ => "Fn::GetAZs".to_string(),
                }))
            }
            "Fn::ImportValue" => Some(Value::unknown(match self.arg(arg) {
                Some(Value::String(s)) => format!("Fn::ImportValue {s}"),
                _ => "Fn::ImportValue".to_string(),
            })),
            "Fn::Length" => Some(match self.arg(arg) {
                Some(Value::List(items)) => Value::from(i64::try_from(items.len()).unwrap_or(i64::MAX)),
                _ => Value::unknown("Fn::Length"),
            }),
            "Fn::ToJsonString" => Some(match self.arg(arg) {
                // JSON text is about the size of the value it encodes.
                Some(v) if !v.contains_unknown() && !self.charge(value_bytes(&v), node, name) => Value::unknown(name),
                Some(v) if !v.contains_unknown() => Value::String(v.to_json().to_string()),
                _ => Value::unknown("Fn::ToJsonString"),
            }),
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                Some(self.condition(node).map_or_else(|| Value::unknown(name), Value::Bool))
            }
            other => {
                self.diagnostics.push(
                    Diagnostic::info(self.file.clone(), "eval", format!("`{other}` is not evaluated"))
                        .at(node.line, node.column),
                );
                Some(Value::unknown(other))
            }
        }
    }

    fn reference(&mut self, target: &str, node: &Tree) -> Option<Value> {
        if let Some(v) = self.params.get(target) {
            let need = value_bytes(v);
            if !self.charge(need, node, "Ref") {
                return Some(Value::unknown(target));
            }
            return self.params.get(target).cloned();
        }
        if target.starts_with("AWS::") {
            if target == "AWS::NoValue" {
                return None;
            }
            if let Some(given) = self.overrides.get(target) {
                return Some(if target == "AWS::NotificationARNs" {
                    typed("CommaDelimitedList", true, given)
                } else {
                    Value::String(given.clone())
                });
            }
            return Some(match target {
                "AWS::Partition" => Value::from("aws"),
                "AWS::URLSuffix" => Value::from("amazonaws.com"),
                "AWS::AccountId" | "AWS::Region" | "AWS::StackName" | "AWS::StackId" | "AWS::NotificationARNs" => {
                    Value::unknown(target)
                }
                _ => {
                    self.warn(node, format!("unknown pseudo parameter `{target}`"));
                    Value::unknown(target)
                }
            });
        }
        if self.resources.contains(target) {
            self.refs.insert((target.to_string(), self.attribute.clone()));
        } else {
            self.warn(node, format!("`Ref` to `{target}`, which is neither a parameter nor a resource"));
        }
        Some(Value::unknown(target))
    }

    fn get_att(&mut self, arg: &Tree, node: &Tree) -> Value {
        let (res, attr) = match &arg.kind {
            TreeKind::String(s) => match s.split_once('.') {
                Some((r, a)) => (r.to_string(), Some(a.to_string())),
                None => (s.clone(), None),
            },
            TreeKind::List(items) => match items.as_slice() {
                [r, a] => {
                    let attr = match self.arg(a) {
                        Some(Value::String(s)) => Some(s),
                        Some(Value::Unknown(w)) => Some(format!("${{{w}}}")),
                        _ => None,
                    };
                    (r.as_str().unwrap_or_default().to_string(), attr)
                }
                _ => (String::new(), None),
            },
            _ => (String::new(), None),
        };
        let Some(attr) = attr.filter(|_| !res.is_empty()) else {
            self.warn(node, "`Fn::GetAtt` takes a resource name and an attribute");
            return Value::unknown("Fn::GetAtt");
        };
        self.resource_attribute(&res, &attr, node)
    }

    fn resource_attribute(&mut self, res: &str, attr: &str, node: &Tree) -> Value {
        if self.resources.contains(res) {
            self.refs.insert((res.to_string(), self.attribute.clone()));
        } else {
            self.warn(node, format!("`Fn::GetAtt` on `{res}`, which is not a resource"));
        }
        Value::unknown(format!("{res}.{attr}"))
    }

    fn fn_if(&mut self, node: &Tree, args: &[Tree], p: &mut String) -> Option<Value> {
        let [name, a, b] = args else {
            self.warn(node, "`Fn::If` takes a condition name and two values");
            return Some(Value::unknown("Fn::If"));
        };
        match self.if_condition(node, name) {
            Some(true) => self.eval(a, p),
            Some(false) => self.eval(b, p),
            None => {
                let cname = name.as_str().unwrap_or("(inline condition)");
                let va = self.eval(a, p);
                let a_spans = std::mem::take(&mut self.spans);
                let vb = self.eval(b, p);
                let b_spans = std::mem::replace(&mut self.spans, a_spans);
                let result = match (va, vb) {
                    (None, None) => return None,
                    (Some(Value::List(mut x)), Some(Value::List(y))) => {
                        self.merge_shifted(p, b_spans, x.len());
                        x.extend(y);
                        Some(Value::List(x))
                    }
                    (Some(Value::List(x)), None) => Some(Value::List(x)),
                    (None, Some(Value::List(y))) => {
                        self.merge_shifted(p, b_spans, 0);
                        Some(Value::List(y))
                    }
                    (Some(x), Some(y)) if x == y => Some(x),
                    _ => {
                        self.forget(p);
                        Some(Value::unknown(format!("Fn::If {cname}")))
                    }
                };
                if self.record && !p.is_empty() {
                    self.spans.insert(p.clone(), node.lines());
                }
                result
            }
        }
    }

    /// Adds spans recorded for list items under `p`, shifting their indexes by `by`.
    fn merge_shifted(&mut self, p: &str, spans: BTreeMap<String, LineRange>, by: usize) {
        if !self.record {
            return;
        }
        for (k, r) in spans {
            let Some(rest) = k.strip_prefix(p).and_then(|r| r.strip_prefix('[')) else { continue };
            let Some((idx, tail)) = rest.split_once(']') else { continue };
            let Ok(i) = idx.parse::<usize>() else { continue };
            let mut key = p.to_string();
            path::push_index(&mut key, i + by);
            key.push_str(tail);
            self.spans.insert(key, r);
        }
    }

    fn sub(&mut self, arg: &Tree, node: &Tree) -> Value {
        let (template, vars) = match &arg.kind {
            TreeKind::String(s) => (s.as_str(), None),
            TreeKind::List(items) => match items.as_slice() {
                [t, v] if t.as_str().is_some() => (t.as_str().unwrap_or_default(), v.as_map()),
                [t] if t.as_str().is_some() => (t.as_str().unwrap_or_default(), None),
                _ => {
                    self.warn(node, "`Fn::Sub` takes a string, or a string and a map of variables");
                    return Value::unknown("Fn::Sub");
                }
            },
            _ => {
                self.warn(node, "`Fn::Sub` takes a string, or a string and a map of variables");
                return Value::unknown("Fn::Sub");
            }
        };
        let mut values: BTreeMap<&str, Option<Value>> = BTreeMap::new();
        for e in vars.unwrap_or(&[]) {
            let v = self.arg(&e.value);
            values.insert(e.key.as_str(), v);
        }
        let mut out = Partial::within(self.budget);
        let mut rest = template;
        while let Some(pos) = rest.find("${") {
            out.push_str(rest.get(..pos).unwrap_or(""));
            let after = rest.get(pos + 2..).unwrap_or("");
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(rest.get(pos..).unwrap_or(""));
                rest = "";
                break;
            };
            let name = after.get(..end).unwrap_or("").trim();
            rest = after.get(end + 1..).unwrap_or("");
            // Variables and parameters are read in place, not copied.
            if let Some(v) = values.get(name) {
                out.push(v.as_ref());
                continue;
            }
            if let Some(v) = self.params.get(name) {
                out.push(Some(v));
                continue;
            }
            let value = match name.split_once('.') {
                Some((res, attr)) => Some(self.resource_attribute(res, attr, node)),
                None => self.reference(name, node),
            };
            out.push(value.as_ref());
        }
        out.push_str(rest);
        self.built(out, node, "Fn::Sub")
    }

    fn join(&mut self, args: &[Tree], node: &Tree) -> Value {
        let [delim, list] = args else {
            self.warn(node, "`Fn::Join` takes a delimiter and a list");
            return Value::unknown("Fn::Join");
        };
        let delim = match self.arg(delim) {
            Some(Value::String(d)) => d,
            Some(Value::Unknown(_)) => return Value::unknown("Fn::Join"),
            _ => {
                self.warn(node, "`Fn::Join` takes a string delimiter");
                return Value::unknown("Fn::Join");
            }
        };
        match self.arg(list) {
            Some(Value::List(items)) => {
                // The size of the result, before it is built.
                let parts = items.iter().map(|i| scalar_len(i).unwrap_or(0)).fold(0, usize::saturating_add);
                let need = delim.len().saturating_mul(items.len().saturating_sub(1)).saturating_add(parts);
                if need > self.budget {
                    self.charge(need, node, "Fn::Join");
                    return Value::unknown("Fn::Join");
                }
                let mut out = Partial::within(self.budget);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&delim);
                    }
                    out.push(Some(item));
                }
                self.built(out, node, "Fn::Join")
            }
            Some(Value::Unknown(w)) => Value::unknown(format!("Fn::Join({w})")),
            _ => {
                self.warn(node, "`Fn::Join` takes a list of values");
                Value::unknown("Fn::Join")
            }
        }
    }

    fn select(&mut self, args: &[Tree], node: &Tree) -> Value {
        let [index, list] = args else {
            self.warn(node, "`Fn::Select` takes an index and a list");
            return Value::unknown("Fn::Select");
        };
        let index = self.arg(index);
        let list = self.arg(list);
        match (index.as_ref().and_then(Value::as_i64), list) {
            (_, Some(Value::Unknown(w))) => Value::unknown(match index.as_ref().and_then(Value::as_i64) {
                Some(i) => format!("{w}[{i}]"),
                None => w,
            }),
            (None, _) if index.as_ref().is_some_and(Value::is_unknown) => Value::unknown("Fn::Select"),
            (Some(i), Some(Value::List(items))) => match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                Some(v) if !self.charge(value_bytes(v), node, "Fn::Select") => Value::unknown("Fn::Select"),
                Some(v) => v.clone(),
                None => {
                    self.warn(node, format!("`Fn::Select` index {i} is out of range ({} items)", items.len()));
                    Value::unknown("Fn::Select")
                }
            },
            _ => {
                self.warn(node, "`Fn::Select` takes a numeric index and a list");
                Value::unknown("Fn::Select")
            }
        }
    }

    fn split(&mut self, args: &[Tree], node: &Tree) -> Value {
        let [delim, source] = args else {
            self.warn(node, "`Fn::Split` takes a delimiter and a string");
            return Value::unknown("Fn::Split");
        };
        match (self.arg(delim), self.arg(source)) {
            (Some(Value::String(d)), Some(Value::String(s))) if !d.is_empty() => {
                let items = s.matches(d.as_str()).count().saturating_add(1);
                let need = items.saturating_mul(std::mem::size_of::<Value>()).saturating_add(s.len());
                if !self.charge(need, node, "Fn::Split") {
                    return Value::unknown("Fn::Split");
                }
                Value::List(s.split(d.as_str()).map(Value::from).collect())
            }
            (_, Some(Value::Unknown(w))) => Value::unknown(format!("Fn::Split({w})")),
            (Some(Value::Unknown(_)), _) => Value::unknown("Fn::Split"),
            _ => {
                self.warn(node, "`Fn::Split` takes a delimiter and a string");
                Value::unknown("Fn::Split")
            }
        }
    }

    fn find_in_map(&mut self, args: &[Tree], node: &Tree) -> Value {
        let (keys, default) = match args {
            [m, a, b] => ([m, a, b], None),
            [m, a, b, d] => ([m, a, b], d.get("DefaultValue")),
            _ => {
                self.warn(node, "`Fn::FindInMap` takes a map name and two keys");
                return Value::unknown("Fn::FindInMap");
            }
        };
        let mut names = Vec::new();
        for k in keys {
            match self.arg(k) {
                Some(Value::Unknown(_)) => return Value::unknown("Fn::FindInMap"),
                Some(v) => match scalar_text(&v) {
                    Some(s) => names.push(s),
                    None => {
                        self.warn(node, "`Fn::FindInMap` keys must be strings");
                        return Value::unknown("Fn::FindInMap");
                    }
                },
                None => {
                    self.warn(node, "`Fn::FindInMap` keys must be strings");
                    return Value::unknown("Fn::FindInMap");
                }
            }
        }
        let found = self
            .mappings
            .and_then(|m| m.get(names.first().map_or("", String::as_str)))
            .and_then(|m| m.get(names.get(1).map_or("", String::as_str)))
            .and_then(|m| m.get(names.get(2).map_or("", String::as_str)));
        match (found, default) {
            // The mapping's subtree is copied (at most its own size) and
            // charged before it is kept: a large entry looked up many times.
            (Some(v), _) | (None, Some(v)) => match self.arg(v) {
                Some(v) if !self.charge(value_bytes(&v), node, "Fn::FindInMap") => Value::unknown("Fn::FindInMap"),
                v => v.unwrap_or(Value::Null),
            },
            (None, None) => {
                self.warn(node, format!("`Fn::FindInMap`: no entry `{}`", names.join(".")));
                Value::unknown("Fn::FindInMap")
            }
        }
    }

    fn cidr(&mut self, args: &[Tree], node: &Tree) -> Value {
        let [block, count, bits] = args else {
            self.warn(node, "`Fn::Cidr` takes an address block, a count and a number of bits");
            return Value::unknown("Fn::Cidr");
        };
        let (block, count, bits) = (self.arg(block), self.arg(count), self.arg(bits));
        if [&block, &count, &bits].iter().any(|v| v.as_ref().is_some_and(Value::contains_unknown)) {
            return Value::unknown("Fn::Cidr");
        }
        match cidr_subnets(block.as_ref(), count.as_ref(), bits.as_ref()) {
            Some(list) => Value::List(list.into_iter().map(Value::String).collect()),
            None => {
                self.warn(node, "`Fn::Cidr`: invalid address block, count or bits");
                Value::unknown("Fn::Cidr")
            }
        }
    }
}

/// A string being built from parts, some of which may be unknown; unknown
/// parts are rendered as `${what}`. It never grows past `limit` bytes: a
/// part that would take it there is not copied, and the string is dropped.
struct Partial {
    text: String,
    unknown: bool,
    limit: usize,
    /// Bytes the whole string needs (more than `limit` when over it).
    need: usize,
}

impl Partial {
    fn within(limit: usize) -> Self {
        Partial { text: String::new(), unknown: false, limit, need: 0 }
    }

    fn push_str(&mut self, s: &str) {
        self.need = self.need.saturating_add(s.len());
        if self.need > self.limit {
            self.text = String::new();
        } else {
            self.text.push_str(s);
        }
    }

    fn push(&mut self, v: Option<&Value>) {
        match v {
            None | Some(Value::Null) => {}
            Some(Value::Unknown(w)) => {
                self.unknown = true;
                self.push_str("${");
                self.push_str(w);
                self.push_str("}");
            }
            Some(Value::String(s)) => self.push_str(s),
            Some(other) => match scalar_text(other) {
                Some(s) => self.push_str(&s),
                None => {
                    self.unknown = true;
                    self.push_str("${");
                    self.push_str(other.type_name());
                    self.push_str("}");
                }
            },
        }
    }

    fn need(&self) -> usize {
        self.need
    }

    /// The value, or `None` when it went over its limit.
    fn finish(self) -> Option<Value> {
        if self.need > self.limit {
            None
        } else if self.unknown {
            Some(Value::Unknown(self.text))
        } else {
            Some(Value::String(self.text))
        }
    }
}

/// Bytes a value takes: its text and one `Value` per node.
fn value_bytes(v: &Value) -> usize {
    let own = match v {
        Value::String(s) | Value::Unknown(s) => s.len(),
        Value::List(items) => items.iter().map(value_bytes).fold(0, usize::saturating_add),
        Value::Map(m) => m.iter().map(|(k, v)| k.len().saturating_add(value_bytes(v))).fold(0, usize::saturating_add),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    };
    own.saturating_add(std::mem::size_of::<Value>())
}

/// The length of a scalar's text in a string (`None` for other values).
fn scalar_len(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) | Value::Unknown(s) => Some(s.len()),
        Value::Number(_) | Value::Bool(_) => scalar_text(v).map(|s| s.len()),
        _ => None,
    }
}

/// True for a key that makes a one-entry map an intrinsic function.
fn is_intrinsic(key: &str) -> bool {
    key == "Ref" || key.starts_with("Fn::")
}

/// `{"Fn::If": [name, a, b]}` as its parts.
fn as_if(node: &Tree) -> Option<(&Tree, &Tree, &Tree)> {
    let e = node.single_entry()?;
    if e.key != "Fn::If" {
        return None;
    }
    match e.value.as_list()? {
        [name, a, b] => Some((name, a, b)),
        _ => None,
    }
}

/// A parameter value given as text, converted for its declared type.
fn typed(ty: &str, is_list: bool, text: &str) -> Value {
    if is_list {
        if text.is_empty() {
            return Value::List(Vec::new());
        }
        return Value::List(text.split(',').map(|s| Value::from(s.trim())).collect());
    }
    if ty == "Number"
        && let Some(n) = crate::parse::json::number_from_literal(text.trim())
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

/// The text of a scalar as CloudFormation would put it in a string.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `Fn::Equals`: CloudFormation compares values as strings.
fn equals(a: Option<&Value>, b: Option<&Value>) -> Option<bool> {
    let a = a.cloned().unwrap_or(Value::Null);
    let b = b.cloned().unwrap_or(Value::Null);
    if a.contains_unknown() || b.contains_unknown() {
        return None;
    }
    Some(canonical(&a) == canonical(&b))
}

fn canonical(v: &Value) -> serde_json::Value {
    match v {
        Value::List(items) => serde_json::Value::Array(items.iter().map(canonical).collect()),
        Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect()),
        Value::Null => serde_json::Value::String(String::new()),
        other => serde_json::Value::String(scalar_text(other).unwrap_or_default()),
    }
}

/// `Fn::Cidr`: the first `count` subnets of `block` with `bits` host bits each.
fn cidr_subnets(block: Option<&Value>, count: Option<&Value>, bits: Option<&Value>) -> Option<Vec<String>> {
    let net: ipnet::IpNet = block?.as_str()?.trim().parse().ok()?;
    let count = usize::try_from(count?.as_i64()?).ok().filter(|c| (1..=256).contains(c))?;
    let bits = u8::try_from(bits?.as_i64()?).ok()?;
    let prefix = cidr::width(&net).checked_sub(u32::from(bits))?;
    let newbits = prefix.checked_sub(u32::from(net.prefix_len()))?;
    (0..count).map(|i| cidr::subnet(net, newbits, u128::try_from(i).ok()?).ok().map(|n| n.to_string())).collect()
}

/// Circular dependencies between resources (through `Ref`, `Fn::GetAtt`,
/// `Fn::Sub` or `DependsOn`), which CloudFormation rejects: one `cycle`
/// warning per cycle, at its first resource in template order. Tarjan's
/// strongly connected components, iterative (no recursion on input).
fn dependency_cycles(file: &Arc<str>, entries: &[TreeEntry], edges: &[Edge]) -> Vec<Diagnostic> {
    let index: BTreeMap<&str, usize> = entries.iter().enumerate().map(|(i, e)| (e.key.as_str(), i)).collect();
    let n = entries.len();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            next[a].push(b);
        }
    }
    let mut t = Tarjan { order: vec![usize::MAX; n], low: vec![0; n], on_stack: vec![false; n], ..Tarjan::default() };
    let mut out = Vec::new();
    for root in 0..n {
        if t.order[root] != usize::MAX {
            continue;
        }
        t.visit(root);
        while let Some((v, i)) = t.call.last().copied() {
            if let Some(&w) = next[v].get(i) {
                if let Some(top) = t.call.last_mut() {
                    top.1 += 1;
                }
                if t.order[w] == usize::MAX {
                    t.visit(w);
                } else if t.on_stack[w] {
                    t.low[v] = t.low[v].min(t.order[w]);
                }
                continue;
            }
            t.call.pop();
            if let Some(&(parent, _)) = t.call.last() {
                t.low[parent] = t.low[parent].min(t.low[v]);
            }
            if t.low[v] != t.order[v] {
                continue;
            }
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on_stack[w] = false;
                scc.push(w);
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 || next[v].contains(&v) {
                scc.sort_unstable();
                let names: Vec<&str> = scc.iter().map(|&i| entries[i].key.as_str()).collect();
                let first = &entries[scc[0]];
                let message = format!(
                    "circular dependency between resources {} (through Ref, Fn::GetAtt, Fn::Sub or DependsOn); CloudFormation rejects this template",
                    names.join(", ")
                );
                out.push(Diagnostic::warning(file.clone(), "cycle", message).at(first.line, first.column));
            }
        }
    }
    out
}

/// State of [`dependency_cycles`]: discovery order, low links, the
/// component stack and the explicit call stack (node, next edge).
#[derive(Default)]
struct Tarjan {
    order: Vec<usize>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    call: Vec<(usize, usize)>,
    counter: usize,
}

impl Tarjan {
    fn visit(&mut self, v: usize) {
        self.order[v] = self.counter;
        self.low[v] = self.counter;
        self.counter += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        self.call.push((v, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_is_computed() {
        let s = |x: &str| Value::from(x);
        assert_eq!(
            cidr_subnets(Some(&s("192.168.0.0/24")), Some(&Value::from(6)), Some(&Value::from(5))),
            Some(
                [
                    "192.168.0.0/27",
                    "192.168.0.32/27",
                    "192.168.0.64/27",
                    "192.168.0.96/27",
                    "192.168.0.128/27",
                    "192.168.0.160/27"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert_eq!(
            cidr_subnets(Some(&s("2001:db8::/56")), Some(&s("2")), Some(&s("64"))),
            Some(vec!["2001:db8::/64".to_string(), "2001:db8:0:1::/64".to_string()])
        );
        assert_eq!(cidr_subnets(Some(&s("10.0.0.0/24")), Some(&Value::from(3)), Some(&Value::from(9))), None);
        assert_eq!(cidr_subnets(Some(&s("10.0.0.0/30")), Some(&Value::from(8)), Some(&Value::from(1))), None);
    }

    #[test]
    fn equality_is_textual() {
        assert_eq!(equals(Some(&Value::from(1)), Some(&Value::from("1"))), Some(true));
        assert_eq!(equals(Some(&Value::from("a")), Some(&Value::from("b"))), Some(false));
        assert_eq!(equals(Some(&Value::unknown("x")), Some(&Value::from("b"))), None);
    }
}
