//! Module instances: configuration loading, variables, locals, outputs
//! and module calls (their expansion and instantiation).

use super::*;

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

impl Ev<'_> {
    pub(super) fn read_manifest(&mut self) {
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
    pub(super) fn config(&mut self, dir: &Path) -> Result<Arc<ModuleConfig>, String> {
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

    pub(super) fn new_instance(
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
            vars: Memo::default(),
            locals: Memo::default(),
            outputs: Memo::default(),
            resources: Memo::default(),
            modules: Memo::default(),
        });
        self.insts.len() - 1
    }

    /// Sets the variable slots of an instance (every declared variable).
    fn set_vars(&mut self, inst: usize, mut inputs: BTreeMap<String, VarInput>) {
        let cfg = self.insts[inst].config.clone();
        let vars =
            cfg.variables.keys().map(|name| (name.clone(), inputs.remove(name).unwrap_or(VarInput::Absent))).collect();
        self.insts[inst].vars = vars;
    }

    /// The value of `var.NAME` in an instance: the given input, else the
    /// default, else unknown; converted to the declared type. `None` when
    /// no such variable is declared.
    pub(super) fn var(&mut self, inst: usize, name: &str) -> Option<(Value, Refs)> {
        let state = self.insts[inst].vars.lookup(name)?;
        let cfg = self.insts[inst].config.clone();
        let decl = cfg.variables.get(name)?;
        match state {
            Lookup::Done(done) => return Some(done),
            Lookup::Cycle => {
                self.cycle(
                    inst,
                    Some((decl.file, decl.block.span())),
                    format!("the value of var.{name} depends on itself; it is unknown"),
                );
                return Some((Value::unknown(format!("var.{name}")), Refs::new()));
            }
            Lookup::Pending => {}
        }
        let (raw, refs) = match self.insts[inst].vars.begin(name) {
            Some(VarInput::Given(v)) => (Some(v), Refs::new()),
            Some(VarInput::Absent) | None => (None, Refs::new()),
            Some(VarInput::Input { parent, call, bind, refs }) => {
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
        self.insts[inst].vars.finish(name, (v.clone(), refs.clone()));
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
    pub(super) fn root_vars(&mut self, inst: usize, root: &TerraformDir) {
        let mut inputs: BTreeMap<String, VarInput> = BTreeMap::new();
        let files: Vec<crate::source::SourceFile> =
            root.var_files.iter().chain(self.ctx.extra_var_files.iter()).cloned().collect();
        for f in files {
            for (k, v) in self.var_file(&f) {
                inputs.insert(k, VarInput::Given(v));
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
        match parse_hcl(&f.text, &f.path, "invalid HCL") {
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
    pub(super) fn force(&mut self, inst: usize) {
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

    pub(super) fn local(&mut self, inst: usize, name: &str) -> Value {
        match self.insts[inst].locals.lookup(name) {
            Some(Lookup::Done((v, refs))) => {
                self.add_refs(&refs);
                return v;
            }
            Some(Lookup::Cycle) => {
                let cfg = self.insts[inst].config.clone();
                let at = cfg.locals.get(name).map(|(file, attr)| (*file, attr.span()));
                self.cycle(inst, at, format!("local.{name} depends on itself; its value is unknown"));
                return Value::unknown(format!("local.{name}"));
            }
            Some(Lookup::Pending) | None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let Some((file, attr)) = cfg.locals.get(name) else {
            self.soft_error();
            return Value::unknown(format!("local.{name}"));
        };
        self.insts[inst].locals.begin(name);
        let sc = Scope { inst, file: *file, bind: None };
        let (v, refs) = self.isolated(|ev| ev.collect(|ev| ev.eval(&attr.value, &sc)));
        self.add_refs(&refs);
        self.insts[inst].locals.finish(name, (v.clone(), refs));
        v
    }

    pub(super) fn output(&mut self, inst: usize, name: &str) -> Value {
        match self.insts[inst].outputs.lookup(name) {
            Some(Lookup::Done((v, refs))) => {
                self.add_refs(&refs);
                return v;
            }
            Some(Lookup::Cycle) => {
                let prefix = self.insts[inst].prefix.clone();
                let cfg = self.insts[inst].config.clone();
                let at = cfg.outputs.get(name).map(|d| (d.file, d.block.span()));
                self.cycle(
                    inst,
                    at,
                    format!(
                        "output {name} of {} depends on itself; its value is unknown",
                        prefix.trim_end_matches('.')
                    ),
                );
                return Value::unknown(format!("{prefix}{name}"));
            }
            Some(Lookup::Pending) | None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let Some(decl) = cfg.outputs.get(name) else {
            self.soft_error();
            return Value::unknown(format!("{}{name}", self.insts[inst].prefix));
        };
        let Some(attr) = decl.block.body.get_attribute("value") else {
            return Value::Null;
        };
        self.insts[inst].outputs.begin(name);
        let sc = Scope { inst, file: decl.file, bind: None };
        let (v, refs) = self.isolated(|ev| ev.collect(|ev| ev.eval(&attr.value, &sc)));
        self.add_refs(&refs);
        self.insts[inst].outputs.finish(name, (v.clone(), refs));
        v
    }

    pub(super) fn all_outputs(&mut self, inst: usize) -> Value {
        let cfg = self.insts[inst].config.clone();
        let mut m = BTreeMap::new();
        for name in cfg.outputs.keys() {
            let v = self.output(inst, name);
            m.insert(name.clone(), v);
        }
        Value::Map(m)
    }

    /// Instantiates a module call (all its instances), once.
    pub(super) fn module(&mut self, inst: usize, name: &str) -> Option<ModCall> {
        match self.insts[inst].modules.lookup(name) {
            Some(Lookup::Done(c)) => return Some(c),
            Some(Lookup::Cycle) => {
                let prefix = self.insts[inst].prefix.clone();
                let cfg = self.insts[inst].config.clone();
                let at = cfg.modules.get(name).map(|d| (d.file, d.block.span()));
                self.cycle(
                    inst,
                    at,
                    format!("the inputs of {prefix}module.{name} depend on its own outputs; they are unknown"),
                );
                return None;
            }
            Some(Lookup::Pending) | None => {}
        }
        let cfg = self.insts[inst].config.clone();
        let decl = cfg.modules.get(name)?;
        self.insts[inst].modules.begin(name);
        let call = self.isolated(|ev| ev.instantiate(inst, name, decl));
        self.insts[inst].modules.finish(name, call.clone());
        Some(call)
    }

    fn instantiate(&mut self, inst: usize, name: &str, decl: &Decl) -> ModCall {
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
                    let input = VarInput::Input {
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
}
