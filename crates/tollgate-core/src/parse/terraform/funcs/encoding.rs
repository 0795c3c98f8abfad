//! Encoding functions: JSON (Go-style, as Terraform writes it), YAML,
//! base64 and URL encoding.

use super::*;
use crate::parse::codec::base64;

pub(super) fn jsonencode(args: &[Value], room: usize) -> SizedResult {
    let v = one(args)?;
    if v.is_unknown() {
        return Ok(v.clone());
    }
    fits(json_len(v, room).and_then(|n| size::add(n, NODE_COST, room)))?;
    Ok(Value::String(encode_json(v, false)))
}

/// `yamlencode` writes at most three bytes per element more than
/// `jsonencode` (`- ` and a newline for a comma).
pub(super) fn yamlencode(args: &[Value], room: usize) -> SizedResult {
    let v = one(args)?;
    let entries = match v {
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        _ => 1,
    };
    let n = json_len(v, room).and_then(|n| size::add(n, entries.saturating_mul(3).saturating_add(NODE_COST), room));
    fits(n)?;
    Ok(yaml_encode(v))
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Encodes like Go's `encoding/json` (what Terraform and the AWS provider
/// use): keys sorted, `<`, `>` and `&` escaped. `indent` renders with two
/// spaces per level like `json.MarshalIndent(v, "", "  ")`.
///
/// An unknown inside the value is written as `{"$unknown": "<what>"}` so
/// the known parts of a document stay readable.
/// The length of `encode_json(v, false)`, or `None` when it is more than
/// `cap` (counted without building it, stopping at the cap).
pub(crate) fn json_len(v: &Value, cap: usize) -> Option<usize> {
    fn walk(v: &Value, left: &mut usize) -> bool {
        let take = |n: usize, left: &mut usize| {
            if n > *left {
                return false;
            }
            *left -= n;
            true
        };
        match v {
            Value::Null => take(4, left),
            Value::Bool(b) => take(if *b { 4 } else { 5 }, left),
            Value::Number(n) => take(number_text(n).len(), left),
            Value::String(s) => take(json_string_len(s), left),
            Value::List(items) => take(2 + items.len().saturating_sub(1), left) && items.iter().all(|i| walk(i, left)),
            Value::Map(m) => {
                take(2 + m.len().saturating_sub(1), left)
                    && m.iter().all(|(k, i)| take(json_string_len(k).saturating_add(1), left) && walk(i, left))
            }
            Value::Unknown(what) => {
                take(json_string_len(crate::value::UNKNOWN_KEY).saturating_add(3 + json_string_len(what)), left)
            }
        }
    }
    let mut left = cap;
    walk(v, &mut left).then(|| cap - left)
}

/// The length of a string as [`write_json_string`] writes it.
fn json_string_len(s: &str) -> usize {
    let extra: usize = s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' => 1,
            '<' | '>' | '&' => 5,
            '\u{2028}' | '\u{2029}' => 3,
            c if (c as u32) < 0x20 => 5,
            _ => 0,
        })
        .sum();
    s.len().saturating_add(extra).saturating_add(2)
}

pub(crate) fn encode_json(v: &Value, indent: bool) -> String {
    let mut out = String::new();
    write_json(v, indent, 0, &mut out);
    out
}

fn write_json(v: &Value, indent: bool, level: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(s) => write_json_string(s, out),
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent, level + 1, out);
                write_json(item, indent, level + 1, out);
            }
            newline(indent, level, out);
            out.push(']');
        }
        Value::Map(map) => write_json_object(map.iter(), map.is_empty(), indent, level, out),
        Value::Unknown(what) => {
            let m: BTreeMap<String, Value> =
                std::iter::once((crate::value::UNKNOWN_KEY.to_string(), Value::String(what.clone()))).collect();
            write_json(&Value::Map(m), indent, level, out);
        }
    }
}

/// Writes an object with entries in the given order.
pub(crate) fn write_json_object<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    empty: bool,
    indent: bool,
    level: usize,
    out: &mut String,
) {
    if empty {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (k, val)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(indent, level + 1, out);
        write_json_string(k, out);
        out.push(':');
        if indent {
            out.push(' ');
        }
        write_json(val, indent, level + 1, out);
    }
    newline(indent, level, out);
    out.push('}');
}

fn newline(indent: bool, level: usize, out: &mut String) {
    if indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str("  ");
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `yamlencode` for the shapes whose exact Terraform output is simple: a
/// scalar, or a flat list or map of scalars (Terraform quotes every string
/// and key). Nested documents are unknown rather than approximated.
fn yaml_encode(v: &Value) -> Value {
    let scalar = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(encode_json(&Value::String(s.clone()), false)),
            Value::Number(n) => Some(number_text(n)),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => Some("null".to_string()),
            Value::List(l) if l.is_empty() => Some("[]".to_string()),
            Value::Map(m) if m.is_empty() => Some("{}".to_string()),
            _ => None,
        }
    };
    let mut out = String::new();
    match v {
        Value::List(l) if !l.is_empty() => {
            for item in l {
                let Some(s) = scalar(item) else { return Value::unknown("yamlencode(...)") };
                out.push_str("- ");
                out.push_str(&s);
                out.push('\n');
            }
        }
        Value::Map(m) if !m.is_empty() => {
            for (k, item) in m {
                let Some(s) = scalar(item) else { return Value::unknown("yamlencode(...)") };
                out.push_str(&encode_json(&Value::String(k.clone()), false));
                out.push_str(": ");
                out.push_str(&s);
                out.push('\n');
            }
        }
        other => match scalar(other) {
            Some(s) => {
                out.push_str(&s);
                out.push('\n');
            }
            None => return Value::unknown("yamlencode(...)"),
        },
    }
    Value::String(out)
}

pub(super) fn jsondecode(args: &[Value]) -> CallResult {
    str_arg(args, 0).and_then(|s| Value::parse_json(s).map_err(|e| format!("invalid JSON: {e}")))
}

pub(super) fn base64encode(args: &[Value], room: usize) -> SizedResult {
    str_arg(args, 0).map_err(CallError::Eval).and_then(|s| {
        fits(size::add(s.len().div_ceil(3).saturating_mul(4), NODE_COST, room))?;
        Ok(Value::String(base64::encode(s.as_bytes())))
    })
}

pub(super) fn base64decode(args: &[Value]) -> CallResult {
    str_arg(args, 0).and_then(|s| {
        base64::decode(s)
            .ok_or_else(|| "invalid base64".to_string())
            .and_then(|b| String::from_utf8(b).map_err(|_| "decoded bytes are not UTF-8".to_string()))
            .map(Value::String)
    })
}

pub(super) fn urlencode_fn(args: &[Value], room: usize) -> SizedResult {
    str_arg(args, 0).map_err(CallError::Eval).and_then(|s| {
        let escaped = s.bytes().filter(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')));
        fits(size::add(s.len().saturating_add(2 * escaped.count()), NODE_COST, room))?;
        Ok(Value::String(urlencode(s)))
    })
}
