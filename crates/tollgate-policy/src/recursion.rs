//! Recursive functions in custom rules, found before they run.
//!
//! Rego does not allow recursion (OPA rejects it at compile time), but
//! regorus 0.14 only catches it for rules, at run time: a recursive
//! *function* (`f(x) := y if { y := f(x + 1) }`) recurses on the native
//! stack until the process aborts, within milliseconds, whatever the time
//! limit. So every custom module is parsed (regorus' own parser) and the
//! calls between functions are followed; a function that reaches itself is
//! an error of the rule file that declares it.
//!
//! Calls are resolved as regorus does: `data.…` paths as written, a leading
//! import alias replaced by its path, anything else in the module's own
//! package. `with f as g` counts as a call of `g`. A call through a rule
//! (`f` reads rule `r`, which calls `f`) is not followed: regorus detects
//! a rule that depends on itself and fails that evaluation cleanly.

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{Expr, Literal, Module, Parser, Query, Rule, RuleHead, Source};

/// A function that calls itself, directly or through others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recursion {
    /// The rule file that declares the function.
    pub(crate) file: String,
    pub(crate) line: u32,
    /// `data.pkg.f`.
    pub(crate) function: String,
    /// The functions of the cycle, from `function` back to it.
    pub(crate) cycle: Vec<String>,
}

/// One declared function: where it is and what it calls.
struct Function {
    file: String,
    line: u32,
    calls: BTreeSet<String>,
}

/// The recursive functions among `modules` (path, Rego text). Modules that
/// do not parse are left out (loading reports them).
pub(crate) fn find(modules: &[(&str, &str)]) -> Vec<Recursion> {
    let mut functions: BTreeMap<String, Function> = BTreeMap::new();
    for (path, text) in modules {
        let Ok(source) = Source::from_contents((*path).to_string(), (*text).to_string()) else { continue };
        let Ok(mut parser) = Parser::new(&source) else { continue };
        let Ok(module) = parser.parse() else { continue };
        collect(path, &module, &mut functions);
    }
    let mut out = Vec::new();
    for (name, f) in &functions {
        if let Some(cycle) = cycle_from(name, &functions) {
            out.push(Recursion { file: f.file.clone(), line: f.line, function: name.clone(), cycle });
        }
    }
    out
}

/// The path from `start` back to itself through calls, if there is one
/// (breadth first, so the shortest).
fn cycle_from(start: &str, functions: &BTreeMap<String, Function>) -> Option<Vec<String>> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        let Some(f) = functions.get(at) else { continue };
        for callee in &f.calls {
            if callee == start {
                let mut cycle = vec![start.to_string()];
                let mut back = at;
                while back != start {
                    cycle.push(back.to_string());
                    back = parent.get(back).copied().unwrap_or(start);
                }
                cycle.push(start.to_string());
                // Collected backwards between the two ends.
                let last = cycle.len() - 1;
                if let Some(middle) = cycle.get_mut(1..last) {
                    middle.reverse();
                }
                return Some(cycle);
            }
            if functions.contains_key(callee.as_str()) && !parent.contains_key(callee.as_str()) {
                parent.insert(callee.as_str(), at);
                queue.push_back(callee.as_str());
            }
        }
    }
    None
}

/// Records the functions `module` declares, with their calls.
fn collect(file: &str, module: &Module, functions: &mut BTreeMap<String, Function>) {
    let package = path_of(&module.package.refr).map_or_else(String::new, |p| format!("data.{p}"));
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    for import in &module.imports {
        let Some(path) = path_of(&import.refr) else { continue };
        let alias = match &import.r#as {
            Some(span) => span.text().to_string(),
            None => path.rsplit('.').next().unwrap_or_default().to_string(),
        };
        aliases.insert(alias, path);
    }
    let resolve = |call: &str| -> String {
        if call.starts_with("data.") {
            return call.to_string();
        }
        let (first, rest) = call.split_once('.').map_or((call, None), |(a, b)| (a, Some(b)));
        match (aliases.get(first), rest) {
            (Some(target), Some(rest)) => format!("{target}.{rest}"),
            (Some(target), None) => target.clone(),
            (None, _) => format!("{package}.{call}"),
        }
    };
    for rule in &module.policy {
        let Rule::Spec { head: RuleHead::Func { refr, assign, .. }, bodies, span } = &**rule else { continue };
        let Some(name) = path_of(refr) else { continue };
        let mut exprs: Vec<&Expr> = Vec::new();
        let mut queries: Vec<&Query> = Vec::new();
        if let Some(a) = assign {
            exprs.push(&a.value);
        }
        for body in bodies {
            if let Some(a) = &body.assign {
                exprs.push(&a.value);
            }
            queries.push(&body.query);
        }
        let mut calls = BTreeSet::new();
        walk(exprs, queries, &mut |call| {
            calls.insert(resolve(call));
        });
        let entry = functions.entry(format!("{package}.{name}")).or_insert_with(|| Function {
            file: file.to_string(),
            line: span.line,
            calls: BTreeSet::new(),
        });
        entry.calls.extend(calls);
    }
}

/// Calls `on_call` with the path of every function called (or named by a
/// `with … as`) in the expressions and queries, iteratively.
fn walk<'a>(mut exprs: Vec<&'a Expr>, mut queries: Vec<&'a Query>, on_call: &mut dyn FnMut(&str)) {
    loop {
        if let Some(q) = queries.pop() {
            for stmt in &q.stmts {
                for w in &stmt.with_mods {
                    if let Some(p) = path_of(&w.r#as) {
                        on_call(&p);
                    }
                    exprs.push(&w.r#as);
                }
                match &stmt.literal {
                    Literal::SomeVars { .. } => {}
                    Literal::SomeIn { key, value, collection, .. } => {
                        exprs.extend(key.as_deref());
                        exprs.push(value);
                        exprs.push(collection);
                    }
                    Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => exprs.push(expr),
                    Literal::Every { domain, query, .. } => {
                        exprs.push(domain);
                        queries.push(query);
                    }
                }
            }
            continue;
        }
        let Some(e) = exprs.pop() else { break };
        match e {
            Expr::Call { fcn, params, .. } => {
                if let Some(p) = path_of(fcn) {
                    on_call(&p);
                }
                exprs.extend(params.iter().map(|p| &**p));
            }
            Expr::Array { items, .. } | Expr::Set { items, .. } => exprs.extend(items.iter().map(|i| &**i)),
            Expr::Object { fields, .. } => {
                for (_, k, v) in fields {
                    exprs.push(k);
                    exprs.push(v);
                }
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                exprs.push(term);
                queries.push(query);
            }
            Expr::ObjectCompr { key, value, query, .. } => {
                exprs.push(key);
                exprs.push(value);
                queries.push(query);
            }
            Expr::UnaryExpr { expr, .. } => exprs.push(expr),
            Expr::RefDot { refr, .. } => exprs.push(refr),
            Expr::RefBrack { refr, index, .. } => {
                exprs.push(refr);
                exprs.push(index);
            }
            Expr::BinExpr { lhs, rhs, .. }
            | Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                exprs.push(lhs);
                exprs.push(rhs);
            }
            Expr::Membership { key, value, collection, .. } => {
                exprs.extend(key.as_deref());
                exprs.push(value);
                exprs.push(collection);
            }
            _ => {}
        }
    }
}

/// `a.b["c"]` as `a.b.c`; `None` for anything but a static reference.
fn path_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Var { value, .. } => value.as_string().ok().map(|s| s.to_string()),
        Expr::RefDot { refr, field, .. } => {
            let head = path_of(refr)?;
            let f = field.1.as_string().ok()?;
            Some(format!("{head}.{f}"))
        }
        Expr::RefBrack { refr, index, .. } => match &**index {
            Expr::String { value, .. } => Some(format!("{}.{}", path_of(refr)?, value.as_string().ok()?)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(u32, String, Vec<String>)> {
        find(&[("m.rego", text)]).into_iter().map(|r| (r.line, r.function, r.cycle)).collect()
    }

    #[test]
    fn self_and_mutual_recursion_are_found() {
        let got = found("package p\nimport rego.v1\nf(x) := y if { y := f(x + 1) }\n");
        assert_eq!(got, [(3, "data.p.f".to_string(), vec!["data.p.f".to_string(), "data.p.f".to_string()])]);
        let got = found("package p\nimport rego.v1\ng(x) := h(x)\nh(x) := y if { y := [v | some v in [g(x)]] }\n");
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].2, ["data.p.g", "data.p.h", "data.p.g"]);
        // Through the package path, an import alias, and `with`.
        assert_eq!(found("package p\nimport rego.v1\nf(x) := data.p.f(x)\n").len(), 1);
        assert_eq!(found("package p\nimport rego.v1\nimport data.p as q\nf(x) := q.f(x)\n").len(), 1);
        assert_eq!(found("package p\nimport rego.v1\nf(x) := y if { y := g(x) with g as f }\ng(x) := x\n").len(), 1);
        // A body-less function whose value holds a `with` (in a comprehension).
        let got = found("package p\nimport rego.v1\nf(x) := [y | y := g(x) with g as f][0]\ng(x) := x\n");
        assert_eq!(got, [(3, "data.p.f".to_string(), vec!["data.p.f".to_string(), "data.p.f".to_string()])]);
    }

    /// `f(x) := g(x) with g as f`: `with` may only follow a body literal,
    /// so regorus 0.14 does not parse this module and the check has no
    /// functions to follow in it; the file fails to load (a Rego error at
    /// the `with`) and never runs. The engine's tests pin that.
    #[test]
    fn a_with_after_a_function_value_does_not_parse() {
        assert!(found("package p\nimport rego.v1\nf(x) := g(x) with g as f\ng(x) := x\n").is_empty());
    }

    #[test]
    fn ordinary_calls_are_not_recursion() {
        assert!(found("package p\nimport rego.v1\nf(x) := g(x) + 1\ng(x) := count(x)\nr := f([1])\n").is_empty());
        // The same function name in another package is another function.
        let other = find(&[
            ("a.rego", "package a\nimport rego.v1\nf(x) := data.b.f(x)\n"),
            ("b.rego", "package b\nimport rego.v1\nf(x) := x\n"),
        ]);
        assert!(other.is_empty(), "{other:?}");
    }
}
