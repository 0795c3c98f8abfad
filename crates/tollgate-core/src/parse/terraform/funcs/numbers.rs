//! Numeric functions.

use super::*;

/// A number as a value: integral values become integers.
pub(crate) fn num(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null)
    }
}

pub(crate) fn to_number(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| "not a number".to_string()),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| format!("cannot convert \"{s}\" to number")),
        other => Err(format!("cannot convert {} to number", other.type_name())),
    }
}

pub(super) fn parseint(args: &[Value]) -> CallResult {
    let s = owned_str_arg(args, 0)?;
    let base = u32::try_from(num_arg(args, 1)? as i64).map_err(|_| "invalid base".to_string())?;
    if !(2..=62).contains(&base) || base > 36 {
        return Err("unsupported base".into());
    }
    i64::from_str_radix(&s, base).map(Value::from).map_err(|e| e.to_string())
}

pub(super) fn min(args: &[Value]) -> CallResult {
    numbers(args).map(|n| num(n.into_iter().fold(f64::INFINITY, f64::min)))
}

pub(super) fn max(args: &[Value]) -> CallResult {
    numbers(args).map(|n| num(n.into_iter().fold(f64::NEG_INFINITY, f64::max)))
}

pub(super) fn abs(args: &[Value]) -> CallResult {
    num_arg(args, 0).map(|n| num(n.abs()))
}

pub(super) fn ceil(args: &[Value]) -> CallResult {
    num_arg(args, 0).map(|n| num(n.ceil()))
}

pub(super) fn floor(args: &[Value]) -> CallResult {
    num_arg(args, 0).map(|n| num(n.floor()))
}

pub(super) fn signum(args: &[Value]) -> CallResult {
    num_arg(args, 0).map(|n| num(if n == 0.0 { 0.0 } else { n.signum() }))
}

pub(super) fn pow(args: &[Value]) -> CallResult {
    num_arg(args, 0).and_then(|a| num_arg(args, 1).map(|b| num(a.powf(b))))
}

pub(super) fn sum(args: &[Value]) -> CallResult {
    list_arg(args, 0).and_then(|l| l.iter().map(to_number).collect::<Result<Vec<_>, _>>().map(|n| num(n.iter().sum())))
}
