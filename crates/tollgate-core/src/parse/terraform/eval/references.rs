//! References: variables, locals, resources, modules and the traversal
//! operators applied to what they name.

use super::*;

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

trait CopiedPair {
    fn copied_pair(self) -> Option<(Value, usize)>;
}

impl CopiedPair for Option<&(Value, usize)> {
    fn copied_pair(self) -> Option<(Value, usize)> {
        self.map(|(k, c)| (k.clone(), *c))
    }
}

impl Ev<'_> {
    pub(super) fn traversal(&mut self, t: &Traversal, sc: &Scope<'_>) -> Value {
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
                if let Some((v, refs)) = self.insts.get(inst).and_then(|i| i.vars.done(n)) {
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
                if let Some((v, refs)) = self.insts.get(inst).and_then(|i| i.locals.done(n)) {
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
}
