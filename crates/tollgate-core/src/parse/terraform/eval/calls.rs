//! Function calls: `try`/`can`, the file functions, and the pure
//! built-ins of [`funcs`].

use super::*;

impl Ev<'_> {
    pub(super) fn call(&mut self, f: &FuncCall, sc: &Scope<'_>) -> Value {
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
            // `try` and `can` were handled above; the rest read files.
            n if funcs::is_evaluators(n) => self.file_fn(name, &args, sc, f.span()),
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
            "filebase64" => Value::String(crate::parse::codec::base64::encode(text.as_bytes())),
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
                if let Err(e) = objects::check_template(&text) {
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
