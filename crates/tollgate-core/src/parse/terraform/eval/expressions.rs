//! Expressions: operators, conditionals, collections and `for` expressions.

use super::*;

impl Ev<'_> {
    pub(super) fn eval(&mut self, e: &Expression, sc: &Scope<'_>) -> Value {
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

    pub(super) fn for_expr(&mut self, f: &hcl_edit::expr::ForExpr, sc: &Scope<'_>) -> Value {
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
}
