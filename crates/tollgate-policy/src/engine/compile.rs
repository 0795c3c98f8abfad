//! Compilation: the prepared interpreter (every module added and analysed
//! once), the active rules compiled into programs for regorus' bytecode VM,
//! and the set-up of a VM or interpreter with a time limit.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::utils::limits::ExecutionTimerConfig;

use super::select::ActiveRule;
use crate::error::Error;

/// Compiles the active rules for the VM: all of them into one program (one
/// entry point each); when the VM compiler rejects that, each rule on its
/// own, and a rule it rejects alone stays with the interpreter.
pub(super) fn compile_programs(
    rego: &mut regorus::Engine,
    active: &mut [ActiveRule],
    on_vm: impl Fn(&ActiveRule) -> bool,
) -> Result<Vec<Arc<Program>>, Error> {
    let mut chosen: Vec<&mut ActiveRule> = active.iter_mut().filter(|a| on_vm(a)).collect();
    let Some(first) = chosen.first() else { return Ok(Vec::new()) };
    let first: regorus::Rc<str> = first.entrypoint.as_str().into();
    // The compiled policy holds every module; the entry point only names
    // where an evaluation without one would start.
    let compiled = rego
        .compile_with_entrypoint(&first)
        .map_err(|e| Error::RegoCompile { file: "policies".to_string(), message: format!("{e:#}") })?;
    let names: Vec<&str> = chosen.iter().map(|a| a.entrypoint.as_str()).collect();
    if let Ok(program) = Compiler::compile_from_policy(&compiled, &names) {
        for (i, a) in chosen.iter_mut().enumerate() {
            a.vm = Some((0, i));
        }
        return Ok(vec![program]);
    }
    let mut programs = Vec::new();
    for a in chosen {
        if let Ok(program) = Compiler::compile_from_policy(&compiled, &[a.entrypoint.as_str()]) {
            a.vm = Some((programs.len(), 0));
            programs.push(program);
        }
    }
    Ok(programs)
}

/// A rule head that builds an object of sets (`by_type[t] contains a if …`).
/// regorus 0.14's VM compiles such a rule into one flat set, so a policy
/// set that defines one runs in the interpreter (which gets it right).
pub(super) fn has_keyed_set_rule(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        let Some((name, rest)) = line.split_once('[') else { return false };
        let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let after = rest.split_once(']').map_or("", |(_, after)| after);
        is_name && after.trim_start().strip_prefix("contains").is_some_and(|t| t.starts_with(char::is_whitespace))
    })
}

/// The time limit of one rule over one unit, checked every 64 steps.
pub(super) fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig { limit, check_interval: NonZeroU32::MIN.saturating_add(63) }
}

/// A new interpreter holding `modules` (path, text), each rule's
/// evaluation limited to `limit`; `print` output of rules is collected per
/// clone and dropped.
pub(super) fn interpreter<'a>(
    modules: impl Iterator<Item = (&'a String, &'a String)>,
    limit: Duration,
) -> Result<regorus::Engine, Error> {
    let mut rego = regorus::Engine::new();
    rego.set_gather_prints(true);
    rego.set_execution_timer_config(timer(limit));
    for (path, text) in modules {
        rego.add_policy(path.clone(), text.clone())
            .map_err(|e| Error::RegoCompile { file: path.clone(), message: format!("{e:#}") })?;
    }
    Ok(rego)
}

/// A VM running `program` over `input`, each entry point limited to `limit`.
pub(super) fn vm(program: &Arc<Program>, limit: Duration, input: &regorus::Value) -> RegoVM {
    let mut vm = RegoVM::new();
    vm.load_program(program.clone());
    vm.set_max_instructions(usize::MAX);
    vm.set_execution_timer_config(Some(timer(limit)));
    vm.set_input(input.clone());
    vm
}
