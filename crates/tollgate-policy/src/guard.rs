//! Bounds on the built-in functions whose result grows with their
//! arguments, for the interpreter that runs custom rules.
//!
//! regorus 0.14 bounds neither the size of a value nor the memory of an
//! evaluation (its memory limits need its own allocator, the
//! `allocator-memory-limits` feature), and `numbers.range(1, 200000000)`
//! reserves 4.8 GB at once: the allocation fails and the process aborts,
//! which no time limit prevents. Each built-in below is replaced (regorus
//! looks extensions up before built-ins) by a guard that works out the
//! size of the result from the arguments, refuses one over [`MAX_ITEMS`]
//! or [`MAX_BYTES`] with an error of the rule, and otherwise calls the
//! built-in itself. Values share their parts, so sizes are counted over
//! the value as it would be written out, stopping once over the limit.
//!
//! Bundled rules run in the VM from the program compiled at build time and
//! never meet these guards.

use std::sync::Arc;

use regorus::Value;
use regorus::unstable::{BUILTINS, Expr, Parser, Ref, Rule, RuleAssign, RuleHead, Source, Span};

/// Most items of an array or set a guarded built-in may build.
pub(crate) const MAX_ITEMS: u64 = 1_000_000;

/// Most bytes of text a guarded built-in may build.
pub(crate) const MAX_BYTES: u64 = 16 << 20;

/// How a guarded built-in's result is sized: items or bytes, from its arguments.
type Sizer = fn(&[Value]) -> OutSize;

/// The size of a result: items and bytes (saturating).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OutSize {
    items: u64,
    bytes: u64,
}

/// The guarded built-ins: name, number of arguments, result size.
const GUARDED: &[(&str, u8, Sizer)] = &[
    ("numbers.range", 2, range_size),
    ("numbers.range_step", 3, range_step_size),
    ("array.concat", 2, array_concat_size),
    ("concat", 2, concat_size),
    ("replace", 3, replace_size),
    ("strings.replace_n", 2, replace_n_size),
    ("sprintf", 2, sprintf_size),
    ("json.marshal", 1, marshal_size),
    ("json.marshal_with_options", 2, marshal_size),
    ("base64.encode", 1, marshal_size),
];

/// Adds the guards to an interpreter.
pub(crate) fn install(rego: &mut regorus::Engine) -> Result<(), String> {
    let site = call_site().ok_or("cannot build the guards' call site")?;
    for (name, nargs, size) in GUARDED {
        let Some(builtin) = BUILTINS.get(name).map(|b| b.0) else { continue };
        let (span, params) = (site.0.clone(), site.1.clone());
        let size = *size;
        let guard = move |args: Vec<Value>| -> anyhow::Result<Value> {
            let s = size(&args);
            if s.items > MAX_ITEMS {
                anyhow::bail!("{name} would build {} items, beyond the limit of {MAX_ITEMS}", s.items);
            }
            if s.bytes > MAX_BYTES {
                anyhow::bail!("{name} would build {} bytes, beyond the limit of {MAX_BYTES}", s.bytes);
            }
            // As the interpreter calls a built-in (not strict): an error is undefined.
            Ok(builtin(&span, &params, &args, false).unwrap_or(Value::Undefined))
        };
        rego.add_extension((*name).to_string(), *nargs, Box::new(guard)).map_err(|e| format!("{name}: {e:#}"))?;
    }
    Ok(())
}

/// A span and three parameter expressions for calling a built-in outside a
/// rule (built-ins use them only in error messages).
fn call_site() -> Option<Arc<(Span, Vec<Ref<Expr>>)>> {
    let source = Source::from_contents("guard".to_string(), "package guard\nx := f(a, b, c)\n".to_string()).ok()?;
    let module = Parser::new(&source).ok()?.parse().ok()?;
    let rule = module.policy.first()?;
    let Rule::Spec { head: RuleHead::Compr { assign: Some(RuleAssign { value, .. }), .. }, .. } = &**rule else {
        return None;
    };
    match &**value {
        Expr::Call { span, params, .. } => Some(Arc::new((span.clone(), params.clone()))),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i128> {
    v.as_i64().ok().map(i128::from)
}

fn items(n: i128) -> OutSize {
    let items = u64::try_from(n.max(0)).unwrap_or(u64::MAX);
    OutSize { items, bytes: 0 }
}

fn range_size(args: &[Value]) -> OutSize {
    match (args.first().and_then(int), args.get(1).and_then(int)) {
        (Some(a), Some(b)) => items((b - a).abs() + 1),
        // Not integers: the built-in gives undefined or an error.
        _ => OutSize::default(),
    }
}

fn range_step_size(args: &[Value]) -> OutSize {
    match (args.first().and_then(int), args.get(1).and_then(int), args.get(2).and_then(int)) {
        (Some(a), Some(b), Some(step)) if step > 0 => items((b - a).abs() / step + 1),
        _ => OutSize::default(),
    }
}

fn len(v: &Value) -> u64 {
    match v {
        Value::Array(a) => a.len() as u64,
        Value::Set(s) => s.len() as u64,
        Value::Object(o) => o.len() as u64,
        Value::String(s) => s.len() as u64,
        _ => 0,
    }
}

fn array_concat_size(args: &[Value]) -> OutSize {
    OutSize { items: args.iter().map(len).fold(0, u64::saturating_add), bytes: 0 }
}

/// Strings of an array or set.
fn strings(v: &Value) -> Vec<&str> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Set(s) => s.iter().collect(),
        _ => Vec::new(),
    };
    items.into_iter().filter_map(|i| i.as_string().ok().map(|s| &**s)).collect()
}

fn concat_size(args: &[Value]) -> OutSize {
    let delim = args.first().map_or(0, len);
    let parts = args.get(1).map(strings).unwrap_or_default();
    let text = parts.iter().map(|p| p.len() as u64).fold(0, u64::saturating_add);
    OutSize { items: 0, bytes: delim.saturating_mul((parts.len() as u64).saturating_sub(1)).saturating_add(text) }
}

/// The length of `s` with every `old` replaced by `new_len` bytes (an
/// empty `old` matches between every character, as in Go).
fn replaced_len(s_len: u64, count: u64, old_len: u64, new_len: u64) -> u64 {
    s_len.saturating_sub(count.saturating_mul(old_len)).saturating_add(count.saturating_mul(new_len))
}

fn replace_size(args: &[Value]) -> OutSize {
    let text = |i: usize| args.get(i).and_then(|v| v.as_string().ok()).map(|s| s.to_string());
    let (Some(s), Some(old), Some(new)) = (text(0), text(1), text(2)) else { return OutSize::default() };
    let count = if old.is_empty() { s.chars().count() as u64 + 1 } else { s.matches(old.as_str()).count() as u64 };
    OutSize { items: 0, bytes: replaced_len(s.len() as u64, count, old.len() as u64, new.len() as u64) }
}

fn replace_n_size(args: &[Value]) -> OutSize {
    let (Some(Value::Object(patterns)), Some(s)) = (args.first(), args.get(1).and_then(|v| v.as_string().ok())) else {
        return OutSize::default();
    };
    // Patterns are applied in turn; each may grow what the next one sees.
    let mut bound = s.len() as u64;
    for (old, new) in patterns.iter() {
        let (Ok(old), Ok(new)) = (old.as_string(), new.as_string()) else { continue };
        let count = bound / (old.len() as u64).max(1) + 1;
        bound = bound.saturating_add(count.saturating_mul(new.len() as u64));
    }
    OutSize { items: 0, bytes: bound }
}

/// `sprintf`: the format, every `%` width, and each argument written out.
fn sprintf_size(args: &[Value]) -> OutSize {
    let Some(format) = args.first().and_then(|v| v.as_string().ok()) else { return OutSize::default() };
    let mut bytes = format.len() as u64;
    let mut rest = &**format;
    while let Some(at) = rest.find('%') {
        rest = rest.get(at + 1..).unwrap_or("");
        let spec: String = rest.chars().take_while(|c| !c.is_ascii_alphabetic() && *c != '%').collect();
        for width in spec.split(|c: char| !c.is_ascii_digit()).filter(|w| !w.is_empty()) {
            bytes = bytes.saturating_add(width.parse::<u64>().unwrap_or(u64::MAX));
        }
    }
    let written = args.get(1).map_or(0, |v| written_size(v, MAX_BYTES));
    OutSize { items: 0, bytes: bytes.saturating_add(written) }
}

fn marshal_size(args: &[Value]) -> OutSize {
    let written = args.first().map_or(0, |v| written_size(v, MAX_BYTES));
    // base64 and indented JSON are at most about twice the compact text.
    OutSize { items: 0, bytes: written.saturating_mul(2) }
}

/// The size of `v` written out as JSON, counted until it exceeds `cap`
/// (shared parts are counted each time they are written; the walk stops
/// once past `cap`, so it is quick whatever the value).
fn written_size(v: &Value, cap: u64) -> u64 {
    let mut total: u64 = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(match v {
            Value::String(s) => s.len() as u64 + 2,
            Value::Array(a) => {
                stack.extend(a.iter());
                a.len() as u64 + 2
            }
            Value::Set(s) => {
                stack.extend(s.iter());
                s.len() as u64 + 2
            }
            Value::Object(o) => {
                for (k, v) in o.iter() {
                    stack.push(k);
                    stack.push(v);
                }
                o.len() as u64 * 2 + 2
            }
            _ => 8,
        });
        if total > cap {
            return total;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    #[test]
    fn sizes_come_from_the_arguments() {
        assert_eq!(range_size(&[Value::from(1), Value::from(200_000_000)]).items, 200_000_000);
        assert_eq!(range_size(&[Value::from(5), Value::from(1)]).items, 5);
        assert_eq!(range_step_size(&[Value::from(0), Value::from(10), Value::from(5)]).items, 3);
        let big = s(&"x".repeat(1000));
        let parts = Value::from(vec![s("a"); 1000]);
        assert_eq!(concat_size(&[big.clone(), parts]).bytes, 999 * 1000 + 1000);
        assert_eq!(replace_size(&[s("abc"), s(""), s("xx")]).bytes, 3 + 4 * 2);
        assert!(sprintf_size(&[s("%0999999999d"), Value::from(vec![Value::from(1)])]).bytes > MAX_BYTES);
        // A value that shares one large part many times is large written out.
        let shared = Value::from(vec![big; 100_000]);
        assert!(marshal_size(&[shared]).bytes > MAX_BYTES);
    }
}
