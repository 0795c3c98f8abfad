//! Resource blocks: expansion with `count`/`for_each`, evaluated bodies
//! with their spans, and `dynamic` blocks.

use super::*;

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

fn map1(k: &str, v: Value) -> Value {
    let mut m = BTreeMap::new();
    m.insert(k.to_string(), v);
    Value::Map(m)
}

impl Ev<'_> {
    /// Evaluates `count` / `for_each` of a block into instance keys and bindings.
    /// Also returns the references of `for_each` (for the instances' `each`).
    pub(super) fn expansion(
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
    pub(super) fn resource(&mut self, inst: usize, key: &str) -> Option<Rc<ResState>> {
        match self.insts[inst].resources.lookup(key) {
            Some(Lookup::Done(rs)) => return Some(rs),
            Some(Lookup::Cycle) => {
                let cfg = self.insts[inst].config.clone();
                let prefix = self.insts[inst].prefix.clone();
                let at = cfg.resources.get(key).map(|rd| (rd.decl.file, rd.decl.block.span()));
                self.cycle(inst, at, format!("{prefix}{key} refers to itself; the reference is unknown"));
                return None;
            }
            Some(Lookup::Pending) | None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let rd = cfg.resources.get(key)?;
        self.insts[inst].resources.begin(key);
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
        self.insts[inst].resources.finish(key, rs.clone());
        Some(rs)
    }

    /// Evaluates a block body into attributes. Nested blocks become lists of
    /// maps; `dynamic` blocks expand. With `top`, meta-arguments are skipped
    /// and the references of each top-level attribute are returned.
    pub(super) fn body(
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
}
