//! Loading: the bundled rules (from the program `build.rs` compiled, or
//! from source), custom rule files from `--policy` directories, the checks
//! each file passes on its own, and the files [`EngineBuilder::keep_going`]
//! leaves out (each a located diagnostic).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use regorus::rvm::program::Program;
use tollgate_core::Diagnostic;

use super::compile::{compile_programs, has_keyed_set_rule, interpreter};
use super::select::select_active;
use super::{DEFAULT_RULE_TIME_LIMIT, Engine, EngineBuilder};
use crate::error::Error;
use crate::input::Input;
use crate::rule::{RuleMeta, metadata};
use crate::{guard, recursion};

pub(super) mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// One `.rego` file to load.
pub(super) struct RuleSource {
    /// Display path (`policies/aws/iam/IAM001_….rego` or the user's path).
    pub(super) path: String,
    pub(super) text: String,
    pub(super) custom: bool,
}

impl Engine {
    pub(super) fn from_builder(b: EngineBuilder) -> Result<Engine, Error> {
        if !b.no_bundled
            && b.policy_dirs.is_empty()
            && !b.interpreter_only
            && !b.no_precompiled
            && let Some(engine) = Engine::from_program(&b)?
        {
            return Ok(engine);
        }
        let mut sources = Vec::new();
        if !b.no_bundled {
            for (rel, text) in bundled::BUNDLED {
                sources.push(RuleSource { path: format!("policies/{rel}"), text: (*text).to_string(), custom: false });
            }
        }
        let mut load_errors = Vec::new();
        for dir in &b.policy_dirs {
            let mut files = Vec::new();
            collect_rego(dir, &mut files)?;
            files.sort();
            for path in files {
                let display = path.to_string_lossy().replace('\\', "/");
                match std::fs::read_to_string(&path) {
                    Ok(text) => sources.push(RuleSource { path: display, text, custom: true }),
                    Err(source) if b.keep_going => {
                        load_errors.push(load_error(&Error::Io { path: path.clone(), source }, &display, None));
                    }
                    Err(source) => return Err(Error::Io { path, source }),
                }
            }
        }
        Engine::from_sources_keep_going(sources, &b, load_errors)
    }

    /// The bundled rules alone, with the VM program `build.rs` compiled
    /// from them: only the rules' metadata is read here. `None` when the
    /// build left no program (the rules are then compiled from source).
    fn from_program(b: &EngineBuilder) -> Result<Option<Engine>, Error> {
        // The program and the rules' metadata blocks are read side by side
        // (the YAML of the metadata is the larger part of an engine build).
        let (program, metas) = rayon::join(
            || Program::deserialize_binary(bundled::PROGRAM),
            || {
                bundled::BUNDLED
                    .par_iter()
                    .map(|(rel, text)| {
                        let path = format!("policies/{rel}");
                        metadata::parse(&path, text, false).map(|m| (*rel, m))
                    })
                    .collect::<Vec<_>>()
            },
        );
        let Ok(regorus::rvm::program::DeserializationResult::Complete(program)) = program else {
            return Ok(None);
        };
        let mut rules: Vec<(RuleMeta, String)> = Vec::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for parsed in metas {
            let (rel, m) = parsed?;
            let Some(m) = m else { continue };
            let Some((_, entrypoint)) = bundled::ENTRY_POINTS.iter().find(|(r, _)| *r == rel) else {
                return Ok(None);
            };
            check_ids(&mut ids, &m)?;
            rules.push((m, (*entrypoint).to_string()));
        }
        rules.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let mut active = select_active(&rules, b)?;
        for a in &mut active {
            let Some(index) = program.entry_points.get_index_of(&a.entrypoint) else { return Ok(None) };
            a.vm = Some((0, index));
        }
        Ok(Some(Engine {
            rules: rules.into_iter().map(|(m, _)| m).collect(),
            active: active.into(),
            rego: None,
            programs: vec![Arc::new(program)].into(),
            rule_time_limit: b.rule_time_limit.unwrap_or(DEFAULT_RULE_TIME_LIMIT),
            min_severity: b.min_severity,
            input: Input::Bundled,
            load_errors: Arc::from([]),
        }))
    }

    #[cfg(test)]
    pub(super) fn from_sources(sources: Vec<RuleSource>, b: &EngineBuilder) -> Result<Engine, Error> {
        Engine::from_sources_keep_going(sources, b, Vec::new())
    }

    /// Loads rule files. Each is checked on its own first (metadata, Rego
    /// syntax, `deny`, recursion, ids and packages); with `keep_going` a
    /// custom file that fails is left out and reported, and so is one the
    /// analysis of all modules together names in its error.
    fn from_sources_keep_going(
        sources: Vec<RuleSource>,
        b: &EngineBuilder,
        mut load_errors: Vec<Diagnostic>,
    ) -> Result<Engine, Error> {
        let rule_time_limit = b.rule_time_limit.unwrap_or(DEFAULT_RULE_TIME_LIMIT);
        let custom_modules: Vec<(&str, &str)> =
            sources.iter().filter(|s| s.custom).map(|s| (s.path.as_str(), s.text.as_str())).collect();
        let recursive = recursion::find(&custom_modules);
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut packages: BTreeMap<String, String> = BTreeMap::new();
        let mut accepted: Vec<(RuleSource, Option<RuleMeta>, String)> = Vec::new();
        for src in sources {
            match check_source(&src, &recursive, &mut ids, &mut packages) {
                Ok((parsed, package)) => accepted.push((src, parsed, package)),
                Err((e, id)) if b.keep_going && src.custom => load_errors.push(load_error(&e, &src.path, id)),
                Err((e, _)) => return Err(e),
            }
        }
        let mut rego = loop {
            let mut rego = interpreter(accepted.iter().map(|(src, _, _)| (&src.path, &src.text)), rule_time_limit)?;
            // Analyse the modules once, so every clone starts prepared.
            rego.set_input(regorus::Value::new_object());
            let Err(e) = rego.eval_query("true".to_string(), false) else { break rego };
            let message = format!("{e:#}");
            let culprit = accepted.iter().position(|(src, _, _)| {
                src.custom && (message.contains(&format!("--> {}:", src.path)) || message.starts_with(&src.path))
            });
            match culprit {
                Some(i) if b.keep_going => {
                    let (src, parsed, _) = accepted.remove(i);
                    let e = Error::RegoCompile { file: src.path.clone(), message };
                    load_errors.push(load_error(&e, &src.path, parsed.map(|m| m.id)));
                }
                _ => return Err(Error::RegoCompile { file: "policies".to_string(), message }),
            }
        };
        let mut rules: Vec<(RuleMeta, String)> = Vec::new();
        let mut custom_texts = Vec::new();
        for (src, parsed, package) in accepted {
            if src.custom {
                custom_texts.push(src.text);
            }
            if let Some(m) = parsed {
                rules.push((m, format!("{package}.deny")));
            }
        }
        rules.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let active = select_active(&rules, b)?;

        // The bytecode VM runs the bundled rules (their findings are tested
        // equal to the interpreter's on every fixture); custom rules run in
        // the interpreter, the reference implementation, and so does
        // everything when a custom module uses a construct the VM gets wrong.
        let mut active = active;
        let vm_safe = !custom_texts.iter().any(|t| has_keyed_set_rule(t)) && !b.interpreter_only;
        let programs = compile_programs(&mut rego, &mut active, |a| {
            vm_safe && rules.get(a.index).is_some_and(|(m, _)| !m.custom)
        })?;
        if !custom_texts.is_empty() {
            guard::install(&mut rego)
                .map_err(|message| Error::RegoCompile { file: "policies".to_string(), message })?;
        }
        let needs_interpreter = active.iter().any(|a| a.vm.is_none());
        load_errors.sort();
        Ok(Engine {
            rules: rules.into_iter().map(|(m, _)| m).collect(),
            active: active.into(),
            rego: needs_interpreter.then_some(rego),
            programs: programs.into(),
            rule_time_limit,
            min_severity: b.min_severity,
            input: if custom_texts.is_empty() { Input::Bundled } else { Input::Full },
            load_errors: load_errors.into(),
        })
    }
}

/// Checks one rule file on its own: its metadata, its Rego (in a scratch
/// engine), its `deny`, recursion, and that its id and package are new.
/// Returns the metadata and package, or the error and the rule id if known.
fn check_source(
    src: &RuleSource,
    recursive: &[recursion::Recursion],
    ids: &mut BTreeMap<String, String>,
    packages: &mut BTreeMap<String, String>,
) -> Result<(Option<RuleMeta>, String), (Error, Option<String>)> {
    let parsed = metadata::parse(&src.path, &src.text, src.custom).map_err(|e| (e, None))?;
    let id = parsed.as_ref().map(|m| m.id.clone());
    let fail = |e: Error| (e, id.clone());
    let mut scratch = regorus::Engine::new();
    let package = scratch
        .add_policy(src.path.clone(), src.text.clone())
        .map_err(|e| fail(Error::RegoCompile { file: src.path.clone(), message: format!("{e:#}") }))?;
    if let Some(r) = recursive.iter().find(|r| r.file == src.path) {
        return Err(fail(Error::RecursiveFunction {
            file: src.path.clone(),
            line: r.line,
            function: r.function.clone(),
            cycle: r.cycle.join(" -> "),
        }));
    }
    if let Some(m) = &parsed {
        let has_deny = scratch
            .has_declared_rule_rooted_at(&src.path, "deny")
            .map_err(|e| fail(Error::RegoCompile { file: src.path.clone(), message: format!("{e:#}") }))?;
        if !has_deny {
            return Err(fail(Error::MissingDeny { file: src.path.clone(), rule_id: m.id.clone() }));
        }
    }
    if let Some(first) = packages.get(&package) {
        return Err(fail(Error::DuplicatePackage { package, first: first.clone(), second: src.path.clone() }));
    }
    if let Some(m) = &parsed {
        check_ids(ids, m).map_err(fail)?;
    }
    packages.insert(package.clone(), src.path.clone());
    Ok((parsed, package))
}

/// A rule file that failed to load, as a diagnostic at its file and line.
fn load_error(e: &Error, path: &str, rule_id: Option<String>) -> Diagnostic {
    let (file, line) = e.location().unwrap_or((path, None));
    let message = match rule_id {
        Some(id) => format!("rule {id} not loaded: {e}"),
        None => format!("rule file not loaded: {e}"),
    };
    let mut d = Diagnostic::error(Arc::from(file), "rule", message);
    d.line = line;
    d
}

/// Records a rule's id and aliases; an id seen before is an error.
fn check_ids(ids: &mut BTreeMap<String, String>, m: &RuleMeta) -> Result<(), Error> {
    for id in std::iter::once(&m.id).chain(&m.aliases) {
        if let Some(first) = ids.insert(id.clone(), m.source.clone()) {
            return Err(Error::DuplicateRuleId { rule_id: id.clone(), first, second: m.source.clone() });
        }
    }
    Ok(())
}

/// Every `*.rego` file under `dir` (recursively), except `*_test.rego`.
fn collect_rego(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let meta = std::fs::metadata(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    if meta.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let path = entry.map_err(|source| Error::Io { path: dir.to_path_buf(), source })?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') {
                collect_rego(&path, out)?;
            }
        } else if name.ends_with(".rego") && !name.ends_with("_test.rego") {
            out.push(path);
        }
    }
    Ok(())
}
