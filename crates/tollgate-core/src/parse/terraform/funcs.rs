//! Terraform's built-in functions over evaluated values.
//!
//! Every function here is pure; `file`, `templatefile`, `try` and `can`
//! need the evaluator and live there. A function over an unknown argument
//! yields an unknown unless its result does not depend on it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::value::Value;

/// The outcome of a call: a value, or an error message (a Terraform
/// evaluation error, which `try`/`can` catch).
pub(crate) type CallResult = Result<Value, String>;

/// Functions that accept unknown arguments without becoming unknown.
fn tolerates_unknown(name: &str) -> bool {
    matches!(
        name,
        "coalesce"
            | "coalescelist"
            | "length"
            | "sensitive"
            | "nonsensitive"
            | "jsonencode"
            | "tolist"
            | "toset"
            | "tomap"
            | "concat"
            | "merge"
            | "compact"
    )
}

/// Calls a pure function. `None` when no such function is known.
pub(crate) fn call(name: &str, args: &[Value]) -> Option<CallResult> {
    if is_known_function(name) {
        let top = !matches!(name, "coalesce" | "coalescelist" | "sensitive" | "nonsensitive");
        if let Some(u) =
            args.iter().find(|a| if top && tolerates_unknown(name) { a.is_unknown() } else { a.contains_unknown() })
            && (top || !tolerates_unknown(name))
        {
            return Some(Ok(unknown_of(name, u)));
        }
    }
    let r = match name {
        "jsonencode" => {
            one(args).map(|v| if v.is_unknown() { v.clone() } else { Value::String(encode_json(v, false)) })
        }
        "jsondecode" => str_arg(args, 0).and_then(|s| {
            serde_json::from_str::<serde_json::Value>(s)
                .map(|j| Value::from_json(&j))
                .map_err(|e| format!("invalid JSON: {e}"))
        }),
        "yamlencode" => one(args).map(yaml_encode),
        "format" => format_fn(args),
        "formatlist" => formatlist(args),
        "join" => join(args),
        "split" => split(args),
        "concat" => concat(args),
        "merge" => merge(args),
        "lookup" => lookup(args),
        "element" => element(args),
        "flatten" => one(args).and_then(|v| {
            let mut out = Vec::new();
            flatten_into(v, &mut out, 0).map(|()| Value::List(out))
        }),
        "distinct" => list_arg(args, 0).map(|l| {
            let mut out: Vec<Value> = Vec::new();
            for v in l {
                if !out.iter().any(|o| values_equal(o, v)) {
                    out.push(v.clone());
                }
            }
            Value::List(out)
        }),
        "tolist" => one(args).and_then(to_list),
        "toset" => one(args).and_then(to_list).map(|l| match l {
            Value::List(items) => Value::List(set_of(&items)),
            other => other,
        }),
        "tomap" => one(args).and_then(|v| match v {
            Value::Map(_) | Value::Unknown(_) | Value::Null => Ok(v.clone()),
            other => Err(format!("cannot convert {} to map", other.type_name())),
        }),
        "tostring" => one(args).and_then(|v| match v {
            Value::Null => Ok(Value::Null),
            other => to_string(other).map(Value::String),
        }),
        "tonumber" => one(args).and_then(|v| match v {
            Value::Null => Ok(Value::Null),
            other => to_number(other).map(num),
        }),
        "tobool" => one(args).and_then(|v| match v {
            Value::Null => Ok(Value::Null),
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            other => Err(format!("cannot convert {} to bool", other.type_name())),
        }),
        "coalesce" => coalesce(args),
        "coalescelist" => coalescelist(args),
        "compact" => list_arg(args, 0).map(|l| {
            if l.iter().any(Value::is_unknown) {
                return Value::unknown("compact(...)");
            }
            Value::List(l.iter().filter(|v| !matches!(v, Value::Null) && v.as_str() != Some("")).cloned().collect())
        }),
        "length" => one(args).and_then(|v| match v {
            Value::List(l) => Ok(Value::from(l.len() as i64)),
            Value::Map(m) => Ok(Value::from(m.len() as i64)),
            Value::String(s) => Ok(Value::from(s.chars().count() as i64)),
            Value::Unknown(_) => Ok(Value::unknown("length(...)")),
            other => Err(format!("cannot take the length of {}", other.type_name())),
        }),
        "keys" => one(args).and_then(|v| match v {
            Value::Map(m) => Ok(Value::List(m.keys().map(|k| Value::String(k.clone())).collect())),
            other => Err(format!("keys() needs a map, got {}", other.type_name())),
        }),
        "values" => one(args).and_then(|v| match v {
            Value::Map(m) => Ok(Value::List(m.values().cloned().collect())),
            other => Err(format!("values() needs a map, got {}", other.type_name())),
        }),
        "lower" => str_arg(args, 0).map(|s| Value::String(s.to_lowercase())),
        "upper" => str_arg(args, 0).map(|s| Value::String(s.to_uppercase())),
        "title" => str_arg(args, 0).map(|s| Value::String(title(s))),
        "trimspace" => str_arg(args, 0).map(|s| Value::String(s.trim().to_string())),
        "trim" => two_str(args).map(|(s, cut)| Value::String(s.trim_matches(|c| cut.contains(c)).to_string())),
        "trimprefix" => two_str(args).map(|(s, p)| Value::String(s.strip_prefix(p).unwrap_or(s).to_string())),
        "trimsuffix" => two_str(args).map(|(s, p)| Value::String(s.strip_suffix(p).unwrap_or(s).to_string())),
        "replace" => replace(args),
        "substr" => substr(args),
        "contains" => match (list_arg(args, 0), args.get(1)) {
            (Ok(l), Some(v)) => Ok(Value::Bool(l.iter().any(|i| values_equal(i, v)))),
            (Err(e), _) => Err(e),
            (_, None) => Err("contains() needs two arguments".into()),
        },
        "startswith" => two_str(args).map(|(s, p)| Value::Bool(s.starts_with(p))),
        "endswith" => two_str(args).map(|(s, p)| Value::Bool(s.ends_with(p))),
        "strrev" => str_arg(args, 0).map(|s| Value::String(s.chars().rev().collect())),
        "chomp" => str_arg(args, 0).map(|s| Value::String(s.trim_end_matches(['\n', '\r']).to_string())),
        "indent" => indent(args),
        "slice" => slice(args),
        "range" => range(args),
        "zipmap" => zipmap(args),
        "setunion" => set_op(args, SetOp::Union),
        "setintersection" => set_op(args, SetOp::Intersection),
        "setsubtract" => set_op(args, SetOp::Subtract),
        "setproduct" => setproduct(args),
        "one" => list_arg(args, 0).and_then(|l| match l {
            [] => Ok(Value::Null),
            [v] => Ok(v.clone()),
            _ => Err("one() needs a list with at most one element".into()),
        }),
        "sort" => list_arg(args, 0).and_then(|l| {
            let mut s = l.iter().map(to_string).collect::<Result<Vec<_>, _>>()?;
            s.sort();
            Ok(Value::List(s.into_iter().map(Value::String).collect()))
        }),
        "reverse" => list_arg(args, 0).map(|l| Value::List(l.iter().rev().cloned().collect())),
        "min" => numbers(args).map(|n| num(n.into_iter().fold(f64::INFINITY, f64::min))),
        "max" => numbers(args).map(|n| num(n.into_iter().fold(f64::NEG_INFINITY, f64::max))),
        "abs" => num_arg(args, 0).map(|n| num(n.abs())),
        "ceil" => num_arg(args, 0).map(|n| num(n.ceil())),
        "floor" => num_arg(args, 0).map(|n| num(n.floor())),
        "signum" => num_arg(args, 0).map(|n| num(if n == 0.0 { 0.0 } else { n.signum() })),
        "pow" => num_arg(args, 0).and_then(|a| num_arg(args, 1).map(|b| num(a.powf(b)))),
        "parseint" => parseint(args),
        "cidrsubnet" => cidrsubnet(args),
        "cidrhost" => cidrhost(args),
        "cidrnetmask" => cidrnetmask(args),
        "cidrsubnets" => cidrsubnets(args),
        "base64encode" => str_arg(args, 0).map(|s| Value::String(base64_encode(s.as_bytes()))),
        "base64decode" => str_arg(args, 0).and_then(|s| {
            base64_decode(s)
                .and_then(|b| String::from_utf8(b).map_err(|_| "decoded bytes are not UTF-8".to_string()))
                .map(Value::String)
        }),
        "sensitive" | "nonsensitive" => one(args).cloned(),
        "regex" => regex_fn(args, false),
        "regexall" => regex_fn(args, true),
        "abspath" => str_arg(args, 0).map(|s| Value::String(s.to_string())),
        "basename" => str_arg(args, 0).map(|s| {
            let t = s.trim_end_matches('/');
            Value::String(t.rsplit('/').next().unwrap_or(t).to_string())
        }),
        "dirname" => str_arg(args, 0).map(|s| {
            let t = s.trim_end_matches('/');
            Value::String(match t.rfind('/') {
                Some(0) => "/".to_string(),
                Some(i) => t.get(..i).unwrap_or(".").to_string(),
                None => ".".to_string(),
            })
        }),
        "pathexpand" => str_arg(args, 0).map(|s| Value::String(s.to_string())),
        "timestamp" | "uuid" | "bcrypt" | "uuidv5" | "plantimestamp" => Ok(Value::unknown(format!("{name}()"))),
        "md5" | "sha1" | "sha256" | "sha512" | "filemd5" | "filesha1" | "filesha256" | "filesha512"
        | "filebase64sha256" | "base64sha256" | "base64sha512" | "timeadd" | "formatdate" => {
            Ok(Value::unknown(format!("{name}(...)")))
        }
        "urlencode" => str_arg(args, 0).map(|s| Value::String(urlencode(s))),
        "transpose" => transpose(args),
        "alltrue" => list_arg(args, 0).map(|l| Value::Bool(l.iter().all(|v| v.as_bool() == Some(true)))),
        "anytrue" => list_arg(args, 0).map(|l| Value::Bool(l.iter().any(|v| v.as_bool() == Some(true)))),
        "sum" => list_arg(args, 0)
            .and_then(|l| l.iter().map(to_number).collect::<Result<Vec<_>, _>>().map(|n| num(n.iter().sum()))),
        "index" => match (list_arg(args, 0), args.get(1)) {
            (Ok(l), Some(v)) => l
                .iter()
                .position(|i| values_equal(i, v))
                .map(|p| Value::from(p as i64))
                .ok_or_else(|| "item not found".to_string()),
            (Err(e), _) => Err(e),
            (_, None) => Err("index() needs two arguments".into()),
        },
        "chunklist" => chunklist(args),
        "matchkeys" => matchkeys(args),
        "type" => one(args).map(|v| Value::String(v.type_name().to_string())),
        _ => return None,
    };
    Some(r)
}

/// Names handled here or by the evaluator (for the unknown-argument shortcut).
fn is_known_function(name: &str) -> bool {
    !matches!(name, "try" | "can" | "file" | "fileexists" | "templatefile" | "fileset" | "filebase64")
}

fn unknown_of(name: &str, arg: &Value) -> Value {
    match arg {
        Value::Unknown(what) => Value::unknown(format!("{name}({what})")),
        _ => Value::unknown(format!("{name}(...)")),
    }
}

fn one(args: &[Value]) -> Result<&Value, String> {
    args.first().ok_or_else(|| "missing argument".to_string())
}

fn str_arg(args: &[Value], i: usize) -> Result<&str, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("argument {} must be a string, got {}", i + 1, other.type_name())),
        None => Err(format!("missing argument {}", i + 1)),
    }
}

fn owned_str_arg(args: &[Value], i: usize) -> Result<String, String> {
    match args.get(i) {
        Some(v) => to_string(v),
        None => Err(format!("missing argument {}", i + 1)),
    }
}

fn two_str(args: &[Value]) -> Result<(&str, &str), String> {
    Ok((str_arg(args, 0)?, str_arg(args, 1)?))
}

fn list_arg(args: &[Value], i: usize) -> Result<&[Value], String> {
    match args.get(i) {
        Some(Value::List(l)) => Ok(l),
        Some(other) => Err(format!("argument {} must be a list, got {}", i + 1, other.type_name())),
        None => Err(format!("missing argument {}", i + 1)),
    }
}

fn num_arg(args: &[Value], i: usize) -> Result<f64, String> {
    args.get(i).ok_or_else(|| format!("missing argument {}", i + 1)).and_then(to_number)
}

fn numbers(args: &[Value]) -> Result<Vec<f64>, String> {
    if args.is_empty() {
        return Err("needs at least one number".into());
    }
    args.iter().map(to_number).collect()
}

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

/// Distinct elements, in a stable order (Terraform sets of strings are sorted).
fn set_of(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in items {
        if !out.iter().any(|o| values_equal(o, v)) {
            out.push(v.clone());
        }
    }
    if out.iter().all(|v| matches!(v, Value::String(_))) {
        out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    out
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_start = !c.is_alphanumeric();
    }
    out
}

fn format_fn(args: &[Value]) -> CallResult {
    let spec = str_arg(args, 0)?;
    let rest = args.get(1..).unwrap_or(&[]);
    format_with(spec, rest)
}

/// Largest width, precision or indentation `format`/`indent` accept: a
/// hostile `format("%999999999999d", 1)` must not allocate a terabyte.
const MAX_PADDING: usize = 1 << 16;

/// `format`: %s %d %v %q %f %t %% with optional flags/width/precision.
fn format_with(spec: &str, args: &[Value]) -> CallResult {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if f.is_ascii_digit() || f == '.' || f == '-' || f == '+' || f == '#' || f == ' ' {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let verb = chars.next().ok_or_else(|| "format string ends with %".to_string())?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args.get(next).ok_or_else(|| "not enough arguments for format string".to_string())?;
        next += 1;
        let precision = flags.split_once('.').and_then(|(_, p)| p.parse::<usize>().ok());
        let width =
            flags.split('.').next().and_then(|w| w.trim_start_matches(['-', '+', '#', ' ', '0']).parse::<usize>().ok());
        if width.max(precision).is_some_and(|n| n > MAX_PADDING) {
            return Err(format!("format width or precision larger than {MAX_PADDING}"));
        }
        let text = match verb {
            's' | 'v' => match arg {
                Value::List(_) | Value::Map(_) if verb == 'v' => encode_json(arg, false),
                other => to_string(other)?,
            },
            'q' => encode_json(&Value::String(to_string(arg)?), false),
            'd' => {
                let n = to_number(arg)?;
                if n.fract() != 0.0 {
                    return Err("%d needs an integer".into());
                }
                format!("{}", n as i64)
            }
            'f' | 'e' | 'g' => {
                let n = to_number(arg)?;
                format!("{:.*}", precision.unwrap_or(6), n)
            }
            't' => match arg {
                Value::Bool(b) => b.to_string(),
                other => return Err(format!("%t needs a bool, got {}", other.type_name())),
            },
            'x' => format!("{:x}", to_number(arg)? as i64),
            'X' => format!("{:X}", to_number(arg)? as i64),
            'o' => format!("{:o}", to_number(arg)? as i64),
            'b' => format!("{:b}", to_number(arg)? as i64),
            other => return Err(format!("unsupported format verb %{other}")),
        };
        let pad = width.unwrap_or(0).saturating_sub(text.chars().count());
        if flags.starts_with('-') {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', pad));
        } else if flags.starts_with('0') && matches!(verb, 'd' | 'f') {
            out.extend(std::iter::repeat_n('0', pad));
            out.push_str(&text);
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&text);
        }
    }
    Ok(Value::String(out))
}

fn formatlist(args: &[Value]) -> CallResult {
    let spec = str_arg(args, 0)?;
    let rest = args.get(1..).unwrap_or(&[]);
    let mut n: Option<usize> = None;
    for a in rest {
        if let Value::List(l) = a {
            match n {
                Some(m) if m != l.len() => return Err("formatlist lists must have the same length".into()),
                _ => n = Some(l.len()),
            }
        }
    }
    let n = n.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Value> = rest
            .iter()
            .map(|a| if let Value::List(l) = a { l.get(i).cloned().unwrap_or(Value::Null) } else { a.clone() })
            .collect();
        out.push(format_with(spec, &row)?);
    }
    Ok(Value::List(out))
}

fn join(args: &[Value]) -> CallResult {
    let sep = str_arg(args, 0)?;
    let mut parts = Vec::new();
    for i in 1..args.len() {
        for v in list_arg(args, i)? {
            parts.push(to_string(v)?);
        }
    }
    Ok(Value::String(parts.join(sep)))
}

fn split(args: &[Value]) -> CallResult {
    let (sep, s) = two_str(args)?;
    if s.is_empty() {
        return Ok(Value::List(vec![Value::String(String::new())]));
    }
    Ok(Value::List(s.split(sep).map(|p| Value::String(p.to_string())).collect()))
}

fn concat(args: &[Value]) -> CallResult {
    let mut out = Vec::new();
    for a in args {
        match a {
            Value::List(l) => out.extend(l.iter().cloned()),
            Value::Unknown(w) => return Ok(Value::unknown(format!("concat({w})"))),
            other => return Err(format!("concat() needs lists, got {}", other.type_name())),
        }
    }
    Ok(Value::List(out))
}

fn merge(args: &[Value]) -> CallResult {
    let mut out = BTreeMap::new();
    for a in args {
        match a {
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Value::Null => {}
            Value::Unknown(w) => return Ok(Value::unknown(format!("merge({w})"))),
            other => return Err(format!("merge() needs maps, got {}", other.type_name())),
        }
    }
    Ok(Value::Map(out))
}

fn lookup(args: &[Value]) -> CallResult {
    let key = str_arg(args, 1)?;
    match args.first() {
        Some(Value::Map(m)) => match m.get(key) {
            Some(v) => Ok(v.clone()),
            None => args.get(2).cloned().ok_or_else(|| format!("key \"{key}\" not found and no default")),
        },
        Some(other) => Err(format!("lookup() needs a map, got {}", other.type_name())),
        None => Err("missing argument 1".into()),
    }
}

fn element(args: &[Value]) -> CallResult {
    let l = list_arg(args, 0)?;
    let i = num_arg(args, 1)? as i64;
    if l.is_empty() {
        return Err("element() on an empty list".into());
    }
    if i < 0 {
        return Err("element() index must not be negative".into());
    }
    let idx = usize::try_from(i).unwrap_or(0) % l.len();
    l.get(idx).cloned().ok_or_else(|| "index out of range".to_string())
}

fn flatten_into(v: &Value, out: &mut Vec<Value>, depth: usize) -> Result<(), String> {
    if depth > 64 {
        return Err("flatten() nesting too deep".into());
    }
    match v {
        Value::List(l) => {
            for i in l {
                match i {
                    Value::List(_) => flatten_into(i, out, depth + 1)?,
                    other => out.push(other.clone()),
                }
            }
            Ok(())
        }
        other => Err(format!("flatten() needs a list, got {}", other.type_name())),
    }
}

fn coalesce(args: &[Value]) -> CallResult {
    for a in args {
        match a {
            Value::Unknown(_) => return Ok(a.clone()),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => return Ok(other.clone()),
        }
    }
    Err("no non-null, non-empty argument".into())
}

fn coalescelist(args: &[Value]) -> CallResult {
    for a in args {
        match a {
            Value::Unknown(_) => return Ok(a.clone()),
            Value::List(l) if l.is_empty() => {}
            Value::List(_) => return Ok(a.clone()),
            Value::Null => {}
            other => return Err(format!("coalescelist() needs lists, got {}", other.type_name())),
        }
    }
    Ok(Value::List(Vec::new()))
}

fn replace(args: &[Value]) -> CallResult {
    let s = str_arg(args, 0)?;
    let search = str_arg(args, 1)?;
    let with = str_arg(args, 2)?;
    if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
        let pattern = search.get(1..search.len() - 1).unwrap_or("");
        let re = regex::Regex::new(pattern).map_err(|e| format!("invalid regex: {e}"))?;
        // Terraform uses $1 / ${name} references like Go's regexp.
        return Ok(Value::String(re.replace_all(s, with).into_owned()));
    }
    Ok(Value::String(s.replace(search, with)))
}

fn substr(args: &[Value]) -> CallResult {
    let s: Vec<char> = str_arg(args, 0)?.chars().collect();
    let offset = num_arg(args, 1)? as i64;
    let length = num_arg(args, 2)? as i64;
    let len = s.len() as i64;
    let start = if offset < 0 { (len + offset).max(0) } else { offset.min(len) };
    let end = if length < 0 { len } else { start.saturating_add(length).min(len) };
    let (a, b) = (usize::try_from(start).unwrap_or(0), usize::try_from(end).unwrap_or(0));
    Ok(Value::String(s.get(a..b.max(a)).map(|c| c.iter().collect()).unwrap_or_default()))
}

fn indent(args: &[Value]) -> CallResult {
    let n = usize::try_from(num_arg(args, 0)? as i64).unwrap_or(0);
    if n > MAX_PADDING {
        return Err(format!("indent() by more than {MAX_PADDING} spaces"));
    }
    let s = str_arg(args, 1)?;
    let pad = " ".repeat(n);
    Ok(Value::String(s.replace('\n', &format!("\n{pad}"))))
}

fn slice(args: &[Value]) -> CallResult {
    let l = list_arg(args, 0)?;
    let a = usize::try_from(num_arg(args, 1)? as i64).map_err(|_| "negative index".to_string())?;
    let b = usize::try_from(num_arg(args, 2)? as i64).map_err(|_| "negative index".to_string())?;
    if a > b || b > l.len() {
        return Err("slice() indexes out of range".into());
    }
    Ok(Value::List(l.get(a..b).unwrap_or(&[]).to_vec()))
}

fn range(args: &[Value]) -> CallResult {
    let (start, end, step) = match args.len() {
        1 => (0.0, num_arg(args, 0)?, 1.0),
        2 => (num_arg(args, 0)?, num_arg(args, 1)?, 1.0),
        3 => (num_arg(args, 0)?, num_arg(args, 1)?, num_arg(args, 2)?),
        _ => return Err("range() takes one to three arguments".into()),
    };
    if step == 0.0 {
        return Err("range() step must not be zero".into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        out.push(num(x));
        if out.len() > 1024 {
            return Err("range() produces more than 1024 elements".into());
        }
        x += step;
    }
    Ok(Value::List(out))
}

fn zipmap(args: &[Value]) -> CallResult {
    let k = list_arg(args, 0)?;
    let v = list_arg(args, 1)?;
    if k.len() != v.len() {
        return Err("zipmap() lists must have the same length".into());
    }
    let mut out = BTreeMap::new();
    for (key, val) in k.iter().zip(v) {
        out.insert(to_string(key)?, val.clone());
    }
    Ok(Value::Map(out))
}

enum SetOp {
    Union,
    Intersection,
    Subtract,
}

fn set_op(args: &[Value], op: SetOp) -> CallResult {
    let mut lists = Vec::new();
    for i in 0..args.len() {
        lists.push(list_arg(args, i)?);
    }
    let first = lists.first().copied().unwrap_or(&[]);
    let mut out: Vec<Value> = match op {
        SetOp::Union => lists.iter().flat_map(|l| l.iter().cloned()).collect(),
        SetOp::Intersection => {
            first.iter().filter(|v| lists.iter().all(|l| l.iter().any(|o| values_equal(o, v)))).cloned().collect()
        }
        SetOp::Subtract => {
            let other = lists.get(1).copied().unwrap_or(&[]);
            first.iter().filter(|v| !other.iter().any(|o| values_equal(o, v))).cloned().collect()
        }
    };
    out = set_of(&out);
    Ok(Value::List(out))
}

fn setproduct(args: &[Value]) -> CallResult {
    let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
    for i in 0..args.len() {
        let l = list_arg(args, i)?;
        let mut next = Vec::new();
        for prefix in &acc {
            for v in l {
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        if next.len() > 10_000 {
            return Err("setproduct() result too large".into());
        }
        acc = next;
    }
    Ok(Value::List(acc.into_iter().map(Value::List).collect()))
}

fn parseint(args: &[Value]) -> CallResult {
    let s = owned_str_arg(args, 0)?;
    let base = u32::try_from(num_arg(args, 1)? as i64).map_err(|_| "invalid base".to_string())?;
    if !(2..=62).contains(&base) || base > 36 {
        return Err("unsupported base".into());
    }
    i64::from_str_radix(&s, base).map(Value::from).map_err(|e| e.to_string())
}

fn transpose(args: &[Value]) -> CallResult {
    let m = match args.first() {
        Some(Value::Map(m)) => m,
        _ => return Err("transpose() needs a map of lists".into()),
    };
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in m {
        for item in v.as_list().ok_or_else(|| "transpose() needs a map of lists".to_string())? {
            out.entry(to_string(item)?).or_default().push(Value::String(k.clone()));
        }
    }
    Ok(Value::Map(out.into_iter().map(|(k, v)| (k, Value::List(v))).collect()))
}

fn chunklist(args: &[Value]) -> CallResult {
    let l = list_arg(args, 0)?;
    let n = usize::try_from(num_arg(args, 1)? as i64).map_err(|_| "negative size".to_string())?;
    if n == 0 {
        return Ok(Value::List(vec![Value::List(l.to_vec())]));
    }
    Ok(Value::List(l.chunks(n).map(|c| Value::List(c.to_vec())).collect()))
}

fn matchkeys(args: &[Value]) -> CallResult {
    let values = list_arg(args, 0)?;
    let keys = list_arg(args, 1)?;
    let search = list_arg(args, 2)?;
    Ok(Value::List(
        values
            .iter()
            .zip(keys)
            .filter(|(_, k)| search.iter().any(|s| values_equal(s, k)))
            .map(|(v, _)| v.clone())
            .collect(),
    ))
}

fn regex_fn(args: &[Value], all: bool) -> CallResult {
    let (pattern, s) = two_str(args)?;
    let re = regex::Regex::new(pattern).map_err(|e| format!("invalid regex: {e}"))?;
    let names: Vec<Option<&str>> = re.capture_names().collect();
    let named = names.iter().skip(1).any(Option::is_some);
    let groups = names.len().saturating_sub(1);
    let render = |caps: &regex::Captures<'_>| -> Value {
        if named {
            Value::Map(
                names
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| {
                        n.map(|n| (n.to_string(), caps.get(i).map(|m| Value::from(m.as_str())).unwrap_or(Value::Null)))
                    })
                    .collect(),
            )
        } else if groups > 0 {
            Value::List(
                (1..=groups).map(|i| caps.get(i).map(|m| Value::from(m.as_str())).unwrap_or(Value::Null)).collect(),
            )
        } else {
            caps.get(0).map(|m| Value::from(m.as_str())).unwrap_or(Value::Null)
        }
    };
    if all {
        Ok(Value::List(re.captures_iter(s).map(|c| render(&c)).collect()))
    } else {
        re.captures(s).map(|c| render(&c)).ok_or_else(|| "pattern did not match".to_string())
    }
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

// --- CIDR functions -------------------------------------------------------

fn parse_net(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>().map_err(|_| format!("invalid CIDR \"{s}\""))
}

fn addr_to_u128(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn u128_to_addr(n: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(n & 0xffff_ffff).unwrap_or(0)))
    } else {
        IpAddr::V6(Ipv6Addr::from(n))
    }
}

fn subnet(net: IpNet, newbits: u32, netnum: u128) -> Result<IpNet, String> {
    let bits = if matches!(net, IpNet::V4(_)) { 32 } else { 128 };
    let new_len = u32::from(net.prefix_len()).saturating_add(newbits);
    if new_len > bits {
        return Err(format!("insufficient address space to extend prefix of {} by {newbits}", net.prefix_len()));
    }
    if newbits < 128 && netnum >= (1u128 << newbits) {
        return Err(format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"));
    }
    let base = addr_to_u128(net.network());
    let shift = bits - new_len;
    let addr = base | netnum.checked_shl(shift).unwrap_or(0);
    let ip = u128_to_addr(addr, bits == 32);
    IpNet::new(ip, u8::try_from(new_len).unwrap_or(0)).map_err(|e| e.to_string())
}

fn cidrsubnet(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let newbits = u32::try_from(num_arg(args, 1)? as i64).map_err(|_| "negative newbits".to_string())?;
    let netnum = u128::try_from(num_arg(args, 2)? as i64).map_err(|_| "negative netnum".to_string())?;
    subnet(net, newbits, netnum).map(|n| Value::String(n.to_string()))
}

fn cidrsubnets(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let bits = if matches!(net, IpNet::V4(_)) { 32u32 } else { 128 };
    let mut next = addr_to_u128(net.network());
    let mut out = Vec::new();
    for i in 1..args.len() {
        let nb = u32::try_from(num_arg(args, i)? as i64).map_err(|_| "negative newbits".to_string())?;
        let len = u32::from(net.prefix_len()).saturating_add(nb);
        if len > bits {
            return Err("not enough address space".into());
        }
        let size = 1u128.checked_shl(bits - len).unwrap_or(0);
        if size > 0 && !next.is_multiple_of(size) {
            next = (next / size + 1) * size;
        }
        let n =
            IpNet::new(u128_to_addr(next, bits == 32), u8::try_from(len).unwrap_or(0)).map_err(|e| e.to_string())?;
        if !net.contains(&n.network()) {
            return Err("not enough address space".into());
        }
        out.push(Value::String(n.to_string()));
        next += size;
    }
    Ok(Value::List(out))
}

fn cidrhost(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let host = num_arg(args, 1)? as i64;
    let bits = if matches!(net, IpNet::V4(_)) { 32u32 } else { 128 };
    let size = 1u128.checked_shl(bits - u32::from(net.prefix_len())).unwrap_or(u128::MAX);
    let offset =
        if host < 0 { size.checked_sub(host.unsigned_abs().into()) } else { Some(u128::from(host.unsigned_abs())) };
    match offset {
        Some(o) if o < size => Ok(Value::String(u128_to_addr(addr_to_u128(net.network()) + o, bits == 32).to_string())),
        _ => Err(format!("host number {host} does not fit in {net}")),
    }
}

fn cidrnetmask(args: &[Value]) -> CallResult {
    match parse_net(str_arg(args, 0)?)? {
        IpNet::V4(n) => Ok(Value::String(n.netmask().to_string())),
        IpNet::V6(_) => Err("cidrnetmask() only supports IPv4".into()),
    }
}

// --- base64 ---------------------------------------------------------------

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0);
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        if c == b'=' || c.is_ascii_whitespace() {
            continue;
        }
        let v = B64.iter().position(|x| *x == c).ok_or_else(|| "invalid base64".to_string())?;
        acc = (acc << 6) | u32::try_from(v).unwrap_or(0);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
        }
    }
    Ok(out)
}

// --- JSON and YAML encoding -----------------------------------------------

/// Encodes like Go's `encoding/json` (what Terraform and the AWS provider
/// use): keys sorted, `<`, `>` and `&` escaped. `indent` renders with two
/// spaces per level like `json.MarshalIndent(v, "", "  ")`.
///
/// An unknown inside the value is written as `{"$unknown": "<what>"}` so
/// the known parts of a document stay readable.
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

/// Keys of a `for_each` set or map, as strings.
pub(crate) fn string_set(items: &[Value]) -> Result<BTreeSet<String>, String> {
    items.iter().map(to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    #[test]
    fn cidr_functions_match_terraform() {
        assert_eq!(cidrsubnet(&[s("10.0.0.0/16"), Value::from(8), Value::from(2)]), Ok(s("10.0.2.0/24")));
        assert_eq!(cidrsubnet(&[s("10.1.2.0/24"), Value::from(4), Value::from(15)]), Ok(s("10.1.2.240/28")));
        assert_eq!(cidrhost(&[s("10.12.112.0/20"), Value::from(16)]), Ok(s("10.12.112.16")));
        assert_eq!(cidrhost(&[s("10.12.112.0/20"), Value::from(-2)]), Ok(s("10.12.127.254")));
        assert_eq!(cidrnetmask(&[s("172.16.0.0/12")]), Ok(s("255.240.0.0")));
        assert_eq!(
            cidrsubnets(&[s("10.1.0.0/16"), Value::from(4), Value::from(4), Value::from(8), Value::from(4)]),
            Ok(Value::List(vec![s("10.1.0.0/20"), s("10.1.16.0/20"), s("10.1.32.0/24"), s("10.1.48.0/20")]))
        );
        assert!(cidrsubnet(&[s("10.0.0.0/30"), Value::from(8), Value::from(1)]).is_err());
    }

    #[test]
    fn json_encoding_is_go_style() {
        let v = Value::Map([("b".to_string(), s("<&>")), ("a".to_string(), Value::from(1))].into_iter().collect());
        assert_eq!(encode_json(&v, false), r#"{"a":1,"b":"\u003c\u0026\u003e"}"#);
        assert_eq!(encode_json(&Value::List(vec![Value::from(1)]), true), "[\n  1\n]");
    }

    #[test]
    fn strings_and_formats() {
        assert_eq!(call("format", &[s("%s-%03d"), s("a"), Value::from(7)]), Some(Ok(s("a-007"))));
        assert_eq!(call("replace", &[s("a-b-c"), s("/-(b)-/"), s("+$1+")]), Some(Ok(s("a+b+c"))));
        assert_eq!(call("title", &[s("hello world")]), Some(Ok(s("Hello World"))));
        assert_eq!(call("base64encode", &[s("hello")]), Some(Ok(s("aGVsbG8="))));
        assert_eq!(call("base64decode", &[s("aGVsbG8=")]), Some(Ok(s("hello"))));
        assert_eq!(call("substr", &[s("hello"), Value::from(1), Value::from(3)]), Some(Ok(s("ell"))));
        assert_eq!(call("upper", &[Value::unknown("var.x")]), Some(Ok(Value::unknown("upper(var.x)"))));
        assert_eq!(call("nosuch", &[]), None);
    }

    #[test]
    fn huge_numbers_are_errors_not_overflows() {
        let big = Value::from(i64::MAX);
        assert_eq!(call("substr", &[s("hello"), Value::from(1), big.clone()]), Some(Ok(s("ello"))));
        assert!(matches!(
            call("cidrsubnet", &[s("10.0.0.0/8"), Value::from(4_294_967_295), Value::from(1)]),
            Some(Err(_))
        ));
        assert!(matches!(call("cidrsubnets", &[s("10.0.0.0/8"), Value::from(4_294_967_295)]), Some(Err(_))));
        assert!(matches!(call("range", &[big]), Some(Err(_))));
    }

    #[test]
    fn encodings_are_exact_or_unknown() {
        let m = Value::Map([("b".to_string(), s("x")), ("a".to_string(), Value::from(1))].into_iter().collect());
        assert_eq!(call("yamlencode", &[m]), Some(Ok(s("\"a\": 1\n\"b\": \"x\"\n"))));
        assert_eq!(
            call("yamlencode", &[Value::List(vec![s("a"), Value::Bool(true)])]),
            Some(Ok(s("- \"a\"\n- true\n")))
        );
        let nested = Value::List(vec![Value::List(vec![s("a")])]);
        assert_eq!(call("yamlencode", &[nested]), Some(Ok(Value::unknown("yamlencode(...)"))));
        // The length of a flattened list with an unknown element is unknown.
        let l = Value::List(vec![Value::List(vec![s("a")]), Value::unknown("var.l")]);
        assert_eq!(call("flatten", &[l]), Some(Ok(Value::unknown("flatten(...)"))));
    }
}
