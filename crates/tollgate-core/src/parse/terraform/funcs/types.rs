//! Type conversions and the textual forms of values shared with the
//! evaluator (`to_string`, `number_text`, `values_equal`).

use super::collections::set_of;
use super::*;

/// Terraform's string conversion (for templates and string arguments).
pub(crate) fn to_string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(number_text(n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("null value cannot be used as a string".into()),
        other => Err(format!("cannot convert {} to string", other.type_name())),
    }
}

pub(crate) fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
        Some(f) => format!("{f}"),
        None => n.to_string(),
    }
}

/// Equality as Terraform sees it (numbers by value).
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k1, v1), (k2, v2))| k1 == k2 && values_equal(v1, v2))
        }
        _ => a == b,
    }
}

fn to_list(v: &Value) -> CallResult {
    match v {
        Value::List(_) | Value::Unknown(_) | Value::Null => Ok(v.clone()),
        Value::Map(m) => Ok(Value::List(m.values().cloned().collect())),
        other => Err(format!("cannot convert {} to list", other.type_name())),
    }
}

pub(super) fn tolist(args: &[Value]) -> CallResult {
    one(args).and_then(to_list)
}

pub(super) fn toset(args: &[Value]) -> CallResult {
    one(args).and_then(to_list).map(|l| match l {
        Value::List(items) => Value::List(set_of(&items)),
        other => other,
    })
}

pub(super) fn tomap(args: &[Value]) -> CallResult {
    one(args).and_then(|v| match v {
        Value::Map(_) | Value::Unknown(_) | Value::Null => Ok(v.clone()),
        other => Err(format!("cannot convert {} to map", other.type_name())),
    })
}

pub(super) fn tostring(args: &[Value]) -> CallResult {
    one(args).and_then(|v| match v {
        Value::Null => Ok(Value::Null),
        other => to_string(other).map(Value::String),
    })
}

pub(super) fn tonumber(args: &[Value]) -> CallResult {
    one(args).and_then(|v| match v {
        Value::Null => Ok(Value::Null),
        other => to_number(other).map(num),
    })
}

pub(super) fn tobool(args: &[Value]) -> CallResult {
    one(args).and_then(|v| match v {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if s == "false" => Ok(Value::Bool(false)),
        other => Err(format!("cannot convert {} to bool", other.type_name())),
    })
}

/// `sensitive` and `nonsensitive`: the value itself (sensitivity is not modelled).
pub(super) fn sensitive(args: &[Value]) -> CallResult {
    one(args).cloned()
}

/// `type(value)`: the name of the value's type.
pub(super) fn type_of(args: &[Value]) -> CallResult {
    one(args).map(|v| Value::String(v.type_name().to_string()))
}
