//! String templates: interpolation, directives and strip markers.

use super::*;

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

impl Ev<'_> {
    pub(super) fn template(&mut self, t: &Template, sc: &Scope<'_>) -> Value {
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
}
