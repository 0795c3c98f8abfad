//! Terraform's built-in functions over evaluated values.
//!
//! Every function here is pure; `file`, `templatefile`, `try` and `can`
//! need the evaluator and live there (the `file*` hashes are read there and
//! hashed here by [`file_digest`]). Functions whose result is not knowable
//! before apply (`uuid`, `bcrypt`, `timestamp`, `plantimestamp`) are unknown;
//! the deterministic ones (hashes, `uuidv5`, `formatdate`, `timeadd`) are
//! computed exactly as Terraform does. A function over an unknown argument
//! yields an unknown unless its result does not depend on it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::size::{self, NODE_COST};
use crate::value::Value;

/// The outcome of a function: a value, or an error message (a Terraform
/// evaluation error, which `try`/`can` catch).
pub(crate) type CallResult = Result<Value, String>;

/// Why [`call`] gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// A Terraform evaluation error, which `try`/`can` catch.
    Eval(String),
    /// The result would take more than the room the call was given:
    /// nothing was built.
    TooLarge,
}

impl From<String> for CallError {
    fn from(msg: String) -> Self {
        CallError::Eval(msg)
    }
}

impl From<&str> for CallError {
    fn from(msg: &str) -> Self {
        CallError::Eval(msg.to_string())
    }
}

/// The outcome of a function whose result can be much larger than its
/// arguments: it measures the result before building it.
type SizedResult = Result<Value, CallError>;

/// `Ok(n)` when `n` (a result size) is `Some`, else [`CallError::TooLarge`].
fn fits(n: Option<usize>) -> Result<usize, CallError> {
    n.ok_or(CallError::TooLarge)
}

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
///
/// `room` is the size ([`size`]) the result may take. Every function whose
/// result can be larger than a small multiple of its arguments (`join`,
/// `format`, `formatlist`, `replace`, `indent`, `split`, `setproduct`,
/// `regexall`, `jsonencode`, `yamlencode`, the case and encoding functions)
/// measures its result first and returns [`CallError::TooLarge`] instead
/// of building more than `room`; the others build at most about the size
/// of their arguments (which were measured when they were built), and the
/// caller measures what they return.
pub(crate) fn call(name: &str, args: &[Value], room: usize) -> Option<Result<Value, CallError>> {
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
        "jsonencode" => return Some(jsonencode(args, room)),
        "jsondecode" => str_arg(args, 0).and_then(|s| Value::parse_json(s).map_err(|e| format!("invalid JSON: {e}"))),
        "yamlencode" => return Some(yamlencode(args, room)),
        "format" => return Some(format_fn(args, room)),
        "formatlist" => return Some(formatlist(args, room)),
        "join" => return Some(join(args, room)),
        "split" => return Some(split(args, room)),
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
        "lower" | "upper" | "title" => return Some(change_case(name, args, room)),
        "trimspace" => str_arg(args, 0).map(|s| Value::String(s.trim().to_string())),
        "trim" => two_str(args).map(|(s, cut)| Value::String(s.trim_matches(|c| cut.contains(c)).to_string())),
        "trimprefix" => two_str(args).map(|(s, p)| Value::String(s.strip_prefix(p).unwrap_or(s).to_string())),
        "trimsuffix" => two_str(args).map(|(s, p)| Value::String(s.strip_suffix(p).unwrap_or(s).to_string())),
        "replace" => return Some(replace(args, room)),
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
        "indent" => return Some(indent(args, room)),
        "slice" => slice(args),
        "range" => range(args),
        "zipmap" => zipmap(args),
        "setunion" => set_op(args, SetOp::Union),
        "setintersection" => set_op(args, SetOp::Intersection),
        "setsubtract" => set_op(args, SetOp::Subtract),
        "setproduct" => return Some(setproduct(args, room)),
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
        "base64encode" => {
            return Some(str_arg(args, 0).map_err(CallError::Eval).and_then(|s| {
                fits(size::add(s.len().div_ceil(3).saturating_mul(4), NODE_COST, room))?;
                Ok(Value::String(base64_encode(s.as_bytes())))
            }));
        }
        "base64decode" => str_arg(args, 0).and_then(|s| {
            base64_decode(s)
                .and_then(|b| String::from_utf8(b).map_err(|_| "decoded bytes are not UTF-8".to_string()))
                .map(Value::String)
        }),
        "sensitive" | "nonsensitive" => one(args).cloned(),
        "regex" => return Some(regex_fn(args, false, room)),
        "regexall" => return Some(regex_fn(args, true, room)),
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
        // Not knowable before apply: the clock, randomness, a random salt.
        "timestamp" | "uuid" | "bcrypt" | "plantimestamp" => Ok(Value::unknown(format!("{name}()"))),
        "md5" | "sha1" | "sha256" | "sha512" | "base64sha256" | "base64sha512" => {
            str_arg(args, 0).map(|s| Value::String(digest_text(name, s.as_bytes()).unwrap_or_default()))
        }
        "uuidv5" => two_str(args).and_then(|(ns, n)| uuidv5(ns, n)).map(Value::String),
        "formatdate" => two_str(args).and_then(|(spec, ts)| formatdate(spec, ts)).map(Value::String),
        "timeadd" => two_str(args).and_then(|(ts, d)| timeadd(ts, d)).map(Value::String),
        "urlencode" => {
            return Some(str_arg(args, 0).map_err(CallError::Eval).and_then(|s| {
                let escaped =
                    s.bytes().filter(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')));
                fits(size::add(s.len().saturating_add(2 * escaped.count()), NODE_COST, room))?;
                Ok(Value::String(urlencode(s)))
            }));
        }
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
    Some(r.map_err(CallError::Eval))
}

/// Names handled here or by the evaluator (for the unknown-argument shortcut).
fn is_known_function(name: &str) -> bool {
    !matches!(name, "try" | "can" | "file" | "fileexists" | "templatefile" | "fileset" | "filebase64")
        && !is_file_digest(name)
}

/// The hash functions over a file's contents (`filemd5`, `filesha1`,
/// `filesha256`, `filesha512`, `filebase64sha256`, `filebase64sha512`).
/// The evaluator reads the file with the guarded access `file()` uses and
/// hands the contents to [`file_digest`].
pub(crate) fn is_file_digest(name: &str) -> bool {
    name.strip_prefix("file").is_some_and(|rest| digest_text(rest, b"").is_some())
}

/// The digest a `file*` hash function gives for a file's contents.
pub(crate) fn file_digest(name: &str, contents: &[u8]) -> Value {
    match name.strip_prefix("file").and_then(|rest| digest_text(rest, contents)) {
        Some(s) => Value::String(s),
        None => Value::unknown(format!("{name}(...)")),
    }
}

/// `md5`, `sha1`, `sha256`, `sha512` (lowercase hex of the digest) and
/// `base64sha256`, `base64sha512` (standard base64 of the raw digest), as
/// Terraform computes them over the UTF-8 bytes of a string.
fn digest_text(name: &str, bytes: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    Some(match name {
        "md5" => hex(&md5::Md5::digest(bytes)),
        "sha1" => hex(&sha1::Sha1::digest(bytes)),
        "sha256" => hex(&sha2::Sha256::digest(bytes)),
        "sha512" => hex(&sha2::Sha512::digest(bytes)),
        "base64sha256" => base64_encode(&sha2::Sha256::digest(bytes)),
        "base64sha512" => base64_encode(&sha2::Sha512::digest(bytes)),
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
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

fn jsonencode(args: &[Value], room: usize) -> SizedResult {
    let v = one(args)?;
    if v.is_unknown() {
        return Ok(v.clone());
    }
    fits(json_len(v, room).and_then(|n| size::add(n, NODE_COST, room)))?;
    Ok(Value::String(encode_json(v, false)))
}

/// `yamlencode` writes at most three bytes per element more than
/// `jsonencode` (`- ` and a newline for a comma).
fn yamlencode(args: &[Value], room: usize) -> SizedResult {
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

fn format_fn(args: &[Value], room: usize) -> SizedResult {
    let spec = str_arg(args, 0)?;
    let rest = args.get(1..).unwrap_or(&[]);
    format_with(spec, |i| rest.get(i), room.saturating_sub(NODE_COST))
}

/// Largest width, precision or indentation `format`/`indent` accept: a
/// hostile `format("%999999999999d", 1)` must not allocate a terabyte.
const MAX_PADDING: usize = 1 << 16;

/// `format`: %s %d %v %q %f %t %% with optional flags/width/precision;
/// argument `i` is `arg(i)`. The text is at most `room` bytes.
fn format_with<'a>(spec: &str, arg: impl Fn(usize) -> Option<&'a Value>, room: usize) -> SizedResult {
    // The literal text of the spec is at most its length.
    fits(size::add(spec.len(), 0, room))?;
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
        let arg = arg(next).ok_or_else(|| "not enough arguments for format string".to_string())?;
        next += 1;
        let precision = flags.split_once('.').and_then(|(_, p)| p.parse::<usize>().ok());
        let width =
            flags.split('.').next().and_then(|w| w.trim_start_matches(['-', '+', '#', ' ', '0']).parse::<usize>().ok());
        if width.max(precision).is_some_and(|n| n > MAX_PADDING) {
            return Err(format!("format width or precision larger than {MAX_PADDING}").into());
        }
        let text = match verb {
            's' | 'v' => match arg {
                Value::List(_) | Value::Map(_) if verb == 'v' => {
                    fits(json_len(arg, room.saturating_sub(out.len())))?;
                    encode_json(arg, false)
                }
                other => to_string(other)?,
            },
            'q' => {
                let s = Value::String(to_string(arg)?);
                fits(json_len(&s, room.saturating_sub(out.len())))?;
                encode_json(&s, false)
            }
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
                other => return Err(format!("%t needs a bool, got {}", other.type_name()).into()),
            },
            'x' => format!("{:x}", to_number(arg)? as i64),
            'X' => format!("{:X}", to_number(arg)? as i64),
            'o' => format!("{:o}", to_number(arg)? as i64),
            'b' => format!("{:b}", to_number(arg)? as i64),
            other => return Err(format!("unsupported format verb %{other}").into()),
        };
        let pad = width.unwrap_or(0).saturating_sub(text.chars().count());
        // The spec's own bytes for this verb were counted above: what the
        // verb adds is its text and padding.
        fits(size::add(out.len().saturating_add(pad), text.len(), room))?;
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

fn formatlist(args: &[Value], room: usize) -> SizedResult {
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
    let mut used = fits(size::mul(n.saturating_add(1), NODE_COST, room))?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row = |j: usize| match rest.get(j) {
            Some(Value::List(l)) => Some(l.get(i).unwrap_or(&Value::Null)),
            other => other,
        };
        let line = format_with(spec, row, room - used)?;
        used += line.as_str().map_or(0, str::len);
        out.push(line);
    }
    Ok(Value::List(out))
}

fn join(args: &[Value], room: usize) -> SizedResult {
    let sep = str_arg(args, 0)?;
    // The result's length first: the parts and one separator between two.
    let mut len = NODE_COST;
    let mut parts = 0usize;
    for i in 1..args.len() {
        for v in list_arg(args, i)? {
            let part = match v {
                Value::String(s) => s.len(),
                other => to_string(other)?.len(),
            };
            let sep_len = if parts == 0 { 0 } else { sep.len() };
            len = fits(size::add(len, part.saturating_add(sep_len), room))?;
            parts += 1;
        }
    }
    let mut out = String::with_capacity(len - NODE_COST);
    let mut first = true;
    for i in 1..args.len() {
        for v in list_arg(args, i)? {
            if !first {
                out.push_str(sep);
            }
            first = false;
            match v {
                Value::String(s) => out.push_str(s),
                other => out.push_str(&to_string(other)?),
            }
        }
    }
    Ok(Value::String(out))
}

fn split(args: &[Value], room: usize) -> SizedResult {
    let (sep, s) = two_str(args)?;
    if s.is_empty() {
        return Ok(Value::List(vec![Value::String(String::new())]));
    }
    let pieces = if sep.is_empty() { s.chars().count() + 2 } else { s.matches(sep).count() + 1 };
    fits(size::mul(pieces.saturating_add(1), NODE_COST, room).and_then(|n| size::add(n, s.len(), room)))?;
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

fn replace(args: &[Value], room: usize) -> SizedResult {
    let s = str_arg(args, 0)?;
    let search = str_arg(args, 1)?;
    let with = str_arg(args, 2)?;
    let room = room.saturating_sub(NODE_COST);
    if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
        let pattern = search.get(1..search.len() - 1).unwrap_or("");
        let re = compile_regex(pattern)?;
        // Terraform uses $1 / ${name} references like Go's regexp. Each
        // match is written through `Captures::expand`, whose text is at
        // most the replacement's length times the match's (every
        // reference is two bytes or more and stands for at most the match).
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(s) {
            let Some(m) = caps.get(0) else { continue };
            let gap = s.get(last..m.start()).unwrap_or("");
            let most = with.len().saturating_mul(m.len().max(1));
            fits(size::add(out.len().saturating_add(gap.len()), most, room))?;
            out.push_str(gap);
            caps.expand(with, &mut out);
            last = m.end();
        }
        let tail = s.get(last..).unwrap_or("");
        fits(size::add(out.len(), tail.len(), room))?;
        out.push_str(tail);
        return Ok(Value::String(out));
    }
    if !search.is_empty() && with.len() > search.len() {
        let grows = (with.len() - search.len()).saturating_mul(s.matches(search).count());
        fits(size::add(s.len(), grows, room))?;
    } else if search.is_empty() {
        // Go's strings.Replace with an empty search inserts at every character.
        let grows = with.len().saturating_mul(s.chars().count() + 1);
        fits(size::add(s.len(), grows, room))?;
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

fn indent(args: &[Value], room: usize) -> SizedResult {
    let n = usize::try_from(num_arg(args, 0)? as i64).unwrap_or(0);
    if n > MAX_PADDING {
        return Err(CallError::Eval(format!("indent() by more than {MAX_PADDING} spaces")));
    }
    let s = str_arg(args, 1)?;
    let lines = memchr::memchr_iter(b'\n', s.as_bytes()).count();
    fits(size::mul(lines, n, room).and_then(|grows| size::add(s.len(), grows.saturating_add(NODE_COST), room)))?;
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

fn setproduct(args: &[Value], room: usize) -> SizedResult {
    // Each element of each list is copied once per combination it is in;
    // every combination is a list of one value per argument.
    let mut count = 1usize;
    for i in 0..args.len() {
        count = count.saturating_mul(list_arg(args, i)?.len());
    }
    let mut need = size::mul(count, NODE_COST.saturating_mul(args.len() + 1), room);
    for i in 0..args.len() {
        let l = list_arg(args, i)?;
        let copies = count.checked_div(l.len()).unwrap_or(0);
        need = need.and_then(|n| {
            let one = size::values_size(l, room)?;
            size::add(n, size::mul(one, copies, room)?, room)
        });
    }
    fits(need)?;
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
            return Err(CallError::Eval("setproduct() result too large".into()));
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

/// Largest compiled program of a pattern (`regex`, `regexall`, `replace`):
/// compiling stays a few milliseconds, where the crate's default (10 MB)
/// lets a 30-byte pattern take a second.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles a pattern of `regex`, `regexall` or `replace`, within
/// [`REGEX_SIZE_LIMIT`].
fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regex: {e}"))
}

/// What a call of `name` over `args` costs in evaluation steps besides the
/// one of its expression, when that is much more: compiling a pattern
/// (`regex`, `regexall`, `replace` with `/.../`) and scanning the text
/// with it. The evaluator charges it and checks the clock after the call.
pub(crate) fn extra_steps(name: &str, args: &[Value]) -> u64 {
    let text = |i: usize| args.get(i).and_then(Value::as_str).map_or(0, str::len);
    let cost = match name {
        "regex" | "regexall" => text(0).saturating_mul(64).saturating_add(text(1)),
        "replace"
            if args
                .get(1)
                .and_then(Value::as_str)
                .is_some_and(|p| p.len() > 1 && p.starts_with('/') && p.ends_with('/')) =>
        {
            text(1).saturating_mul(64).saturating_add(text(0))
        }
        _ => return 0,
    };
    // About a step per 64 bytes of text scanned, 1 per pattern byte
    // compiled; at least one clock check.
    u64::try_from(cost / 64).unwrap_or(u64::MAX).max(1)
}

fn regex_fn(args: &[Value], all: bool, room: usize) -> SizedResult {
    let (pattern, s) = two_str(args)?;
    let re = compile_regex(pattern)?;
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
    // One match: its text (at most the input) and a value per group.
    let per_match = NODE_COST.saturating_mul(groups + 2);
    if all {
        let mut used = NODE_COST;
        let mut out = Vec::new();
        for c in re.captures_iter(s) {
            let text: usize = c.iter().flatten().map(|m| m.len()).sum();
            used = fits(size::add(used, per_match.saturating_add(text), room))?;
            out.push(render(&c));
        }
        Ok(Value::List(out))
    } else {
        let c = re.captures(s).ok_or_else(|| "pattern did not match".to_string())?;
        let text: usize = c.iter().flatten().map(|m| m.len()).sum();
        fits(size::add(per_match, text, room))?;
        Ok(render(&c))
    }
}

/// `lower`, `upper` and `title`: a case change can make a character
/// longer (`ß` is `SS`), so the result is measured first.
fn change_case(name: &str, args: &[Value], room: usize) -> SizedResult {
    let s = str_arg(args, 0)?;
    let len = if name == "lower" {
        s.chars().map(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>()).fold(0usize, usize::saturating_add)
    } else {
        s.chars().map(|c| c.to_uppercase().map(char::len_utf8).sum::<usize>()).fold(0usize, usize::saturating_add)
    };
    fits(size::add(len, NODE_COST, room))?;
    Ok(Value::String(match name {
        "lower" => s.to_lowercase(),
        "upper" => s.to_uppercase(),
        _ => title(s),
    }))
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

// --- name-based UUIDs ----------------------------------------------------

/// `uuidv5(namespace, name)`: RFC 4122 section 4.3 with SHA-1. The
/// namespace is `dns`, `url`, `oid`, `x500` or a UUID in any of the forms
/// Terraform accepts (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, braced,
/// `urn:uuid:` prefixed, or 32 hex digits).
fn uuidv5(namespace: &str, name: &str) -> Result<String, String> {
    use sha2::Digest as _;
    let ns = match namespace {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let ns = parse_uuid(ns).ok_or_else(|| format!("uuidv5() doesn't support namespace {namespace}"))?;
    let mut h = sha1::Sha1::new();
    h.update(ns);
    h.update(name.as_bytes());
    let digest = h.finalize();
    let mut u = [0u8; 16];
    for (o, d) in u.iter_mut().zip(digest.iter()) {
        *o = *d;
    }
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    let x = hex(&u);
    Ok(format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32]))
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let body = match s.len() {
        36 => s,
        38 => s.strip_prefix('{')?.strip_suffix('}')?,
        45 => {
            let (urn, rest) = s.split_at_checked(9)?;
            if !urn.eq_ignore_ascii_case("urn:uuid:") {
                return None;
            }
            rest
        }
        32 => s,
        _ => return None,
    };
    let digits: String = if body.len() == 36 {
        let b = body.as_bytes();
        if [8, 13, 18, 23].iter().any(|i| b.get(*i) != Some(&b'-')) {
            return None;
        }
        body.chars().filter(|c| *c != '-').collect()
    } else {
        body.to_string()
    };
    if digits.len() != 32 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

// --- timestamps -----------------------------------------------------------

/// An RFC 3339 timestamp: the instant (seconds since the Unix epoch and
/// nanoseconds) and the UTC offset it was written with, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timestamp {
    unix: i64,
    nanos: u32,
    offset: i32,
}

/// The calendar fields of a timestamp in its own offset.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 = Sunday.
    weekday: u32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// Parses `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, as Go's
    /// `time.Parse(time.RFC3339, ...)` does for Terraform.
    fn parse(s: &str) -> Result<Timestamp, String> {
        let bad = |what: &str| format!("not a valid RFC3339 timestamp: {what} in \"{s}\"");
        let b = s.as_bytes();
        let num = |from: usize, len: usize, what: &str| -> Result<u32, String> {
            let part = s.get(from..from + len).ok_or_else(|| bad(&format!("end of string before {what}")))?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad(&format!("cannot use \"{part}\" as {what}")));
            }
            part.parse::<u32>().map_err(|_| bad(&format!("cannot use \"{part}\" as {what}")))
        };
        let sep = |at: usize, c: u8| -> Result<(), String> {
            match b.get(at) {
                Some(x) if *x == c => Ok(()),
                Some(_) => Err(bad(&format!("expected \"{}\" at position {}", char::from(c), at + 1))),
                None => Err(bad(&format!("end of string where \"{}\" is expected", char::from(c)))),
            }
        };
        let year = num(0, 4, "year")?;
        sep(4, b'-')?;
        let month = num(5, 2, "month")?;
        sep(7, b'-')?;
        let day = num(8, 2, "day of month")?;
        sep(10, b'T')?;
        let hour = num(11, 2, "hour")?;
        sep(13, b':')?;
        let minute = num(14, 2, "minute")?;
        sep(16, b':')?;
        let second = num(17, 2, "second")?;
        let year = i64::from(year);
        if !(1..=12).contains(&month) {
            return Err(bad("month out of range"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(bad("day out of range"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad("time out of range"));
        }
        let mut i = 19;
        let mut nanos = 0u32;
        if b.get(i) == Some(&b'.') {
            let digits = b.get(i + 1..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(bad("missing fraction digits"));
            }
            for (k, c) in b.get(i + 1..i + 1 + digits).unwrap_or_default().iter().enumerate() {
                if k < 9 {
                    nanos = nanos * 10 + u32::from(c - b'0');
                }
            }
            for _ in digits..9 {
                nanos *= 10;
            }
            i += 1 + digits;
        }
        let offset = match s.get(i..) {
            Some("Z") => 0,
            Some(z) if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
                sep(i + 3, b':')?;
                let oh = num(i + 1, 2, "UTC offset")?;
                let om = num(i + 4, 2, "UTC offset")?;
                if oh > 23 || om > 59 {
                    return Err(bad("UTC offset out of range"));
                }
                let secs = i32::try_from(oh * 3600 + om * 60).unwrap_or(0);
                if z.starts_with('-') { -secs } else { secs }
            }
            Some("") | None => return Err(bad("end of string before UTC offset")),
            Some(z) => return Err(bad(&format!("cannot use \"{z}\" as UTC offset"))),
        };
        let local = days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Ok(Timestamp { unix: local - i64::from(offset), nanos, offset })
    }

    fn civil(&self) -> Civil {
        let local = self.unix + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let secs = u32::try_from(local.rem_euclid(86_400)).unwrap_or(0);
        let (year, month, day) = civil_from_days(days);
        let weekday = u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
        Civil { year, month, day, hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60, weekday }
    }

    /// The offset as `+hh:mm` (`colon`) or `+hhmm`.
    fn offset_text(&self, colon: bool) -> String {
        let sign = if self.offset < 0 { '-' } else { '+' };
        let a = self.offset.unsigned_abs();
        if colon {
            format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
        } else {
            format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
        }
    }

    /// RFC 3339 without fractional seconds, in the timestamp's own offset
    /// (`Z` when it is zero), as Go's `Format(time.RFC3339)`.
    fn rfc3339(&self) -> Result<String, String> {
        let c = self.civil();
        if !(0..=9999).contains(&c.year) {
            return Err(format!("year {} is outside the range RFC 3339 can express", c.year));
        }
        let zone = if self.offset == 0 { "Z".to_string() } else { self.offset_text(true) };
        Ok(format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}", c.year, c.month, c.day, c.hour, c.minute, c.second))
    }
}

/// `formatdate(spec, timestamp)` with Terraform's format sequences; quoted
/// text (`'...'`, `''` for a quote) is copied verbatim, as is any
/// character that is not an ASCII letter.
fn formatdate(spec: &str, ts: &str) -> Result<String, String> {
    let t = Timestamp::parse(ts)?;
    let c = t.civil();
    let mut out = String::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while let Some(&ch) = chars.get(i) {
        if ch == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err("unterminated literal '".into()),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(x) => {
                        out.push(*x);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !ch.is_ascii_alphabetic() {
            out.push(ch);
            i += 1;
            continue;
        }
        let n = chars.get(i..).unwrap_or_default().iter().take_while(|x| **x == ch).count();
        i += n;
        let verb: String = std::iter::repeat_n(ch, n).collect();
        let invalid = |rule: &str| format!("invalid date format verb \"{verb}\": {rule}");
        let h12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
        let text = match (ch, n) {
            ('Y', 2) => format!("{:02}", c.year.rem_euclid(100)),
            ('Y', 4) => format!("{:04}", c.year),
            ('Y', _) => return Err(invalid("year must either be \"YY\" or \"YYYY\"")),
            ('M', 1) => c.month.to_string(),
            ('M', 2) => format!("{:02}", c.month),
            ('M', 3 | 4) => {
                let name = MONTHS.get(c.month as usize - 1).copied().unwrap_or_default();
                if n == 3 { name.chars().take(3).collect() } else { name.to_string() }
            }
            ('M', _) => return Err(invalid("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            ('D', 1) => c.day.to_string(),
            ('D', 2) => format!("{:02}", c.day),
            ('D', _) => return Err(invalid("day of month must either be \"D\" or \"DD\"")),
            ('E', 3 | 4) => {
                let name = WEEKDAYS.get(c.weekday as usize).copied().unwrap_or_default();
                if n == 3 { name.chars().take(3).collect() } else { name.to_string() }
            }
            ('E', _) => return Err(invalid("day of week must either be \"EEE\" or \"EEEE\"")),
            ('h', 1) => c.hour.to_string(),
            ('h', 2) => format!("{:02}", c.hour),
            ('h', _) => return Err(invalid("24-hour must either be \"h\" or \"hh\"")),
            ('H', 1) => h12.to_string(),
            ('H', 2) => format!("{h12:02}"),
            ('H', _) => return Err(invalid("12-hour must either be \"H\" or \"HH\"")),
            ('A', 2) => (if c.hour < 12 { "AM" } else { "PM" }).to_string(),
            ('a', 2) => (if c.hour < 12 { "am" } else { "pm" }).to_string(),
            ('A' | 'a', _) => return Err(invalid(&format!("must be \"{ch}{ch}\""))),
            ('m', 1) => c.minute.to_string(),
            ('m', 2) => format!("{:02}", c.minute),
            ('m', _) => return Err(invalid("minute must either be \"m\" or \"mm\"")),
            ('s', 1) => c.second.to_string(),
            ('s', 2) => format!("{:02}", c.second),
            ('s', _) => return Err(invalid("second must either be \"s\" or \"ss\"")),
            ('Z', 1) if t.offset == 0 => "Z".to_string(),
            ('Z', 1 | 5) => t.offset_text(true),
            ('Z', 3) if t.offset == 0 => "UTC".to_string(),
            ('Z', 3 | 4) => t.offset_text(false),
            ('Z', _) => return Err(invalid("timezone must be Z, ZZZZ, or ZZZZZ")),
            _ => return Err(format!("invalid date format verb \"{verb}\"")),
        };
        out.push_str(&text);
    }
    Ok(out)
}

/// `timeadd(timestamp, duration)`: the duration in Go's syntax
/// (`[-+]` then number-unit pairs, units `ns`, `us`, `µs`, `ms`, `s`, `m`,
/// `h`, fractions allowed); the result keeps the timestamp's offset.
fn timeadd(ts: &str, duration: &str) -> Result<String, String> {
    let t = Timestamp::parse(ts)?;
    let d = parse_duration(duration)?;
    let total = i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos) + d;
    let unix = i64::try_from(total.div_euclid(1_000_000_000)).map_err(|_| "time out of range".to_string())?;
    let nanos = u32::try_from(total.rem_euclid(1_000_000_000)).unwrap_or(0);
    Timestamp { unix, nanos, offset: t.offset }.rfc3339()
}

/// Go's `time.ParseDuration`, in nanoseconds (limited to an `i64`).
fn parse_duration(s: &str) -> Result<i128, String> {
    let bad = || format!("time: invalid duration \"{s}\"");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.bytes().take_while(u8::is_ascii_digit).count();
                a.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let unit_len = after.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration \"{s}\"")),
            other => return Err(format!("time: unknown unit \"{other}\" in duration \"{s}\"")),
        };
        let limit = i128::from(i64::MAX) + 1;
        let whole = if int.is_empty() { 0 } else { int.parse::<i128>().map_err(|_| bad())? };
        let mut value = whole.checked_mul(scale).filter(|v| *v <= limit).ok_or_else(bad)?;
        let mut f_scale = scale;
        for c in frac.bytes() {
            f_scale /= 10;
            if f_scale == 0 {
                break;
            }
            value += i128::from(c - b'0') * f_scale;
        }
        total += value;
        if total > limit {
            return Err(bad());
        }
        rest = next;
    }
    let total = if neg { -total } else { total };
    if total > i128::from(i64::MAX) {
        return Err(bad());
    }
    Ok(total)
}

// --- JSON and YAML encoding -----------------------------------------------

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

    /// A call with all the room it wants; a result too large reads `"too large"`.
    fn call(name: &str, args: &[Value]) -> Option<CallResult> {
        call_in(name, args, usize::MAX)
    }

    fn call_in(name: &str, args: &[Value], room: usize) -> Option<CallResult> {
        super::call(name, args, room).map(|r| {
            r.map_err(|e| match e {
                CallError::Eval(msg) => msg,
                CallError::TooLarge => "too large".to_string(),
            })
        })
    }

    fn too_large(name: &str, args: &[Value], room: usize) -> bool {
        call_in(name, args, room) == Some(Err("too large".to_string()))
    }

    /// Every result that can outgrow its arguments is measured first: with
    /// room for it it is built (twice its size: a regex replacement is
    /// measured by a bound), with half of it it is refused.
    #[test]
    fn results_are_measured_before_they_are_built() {
        let big = s(&"x".repeat(1000));
        let nums = Value::List((0..100).map(Value::from).collect());
        let cases: Vec<(&str, Vec<Value>)> = vec![
            ("join", vec![big.clone(), nums.clone()]),
            ("format", vec![s("%s%s%65536s"), big.clone(), big.clone(), s("")]),
            ("formatlist", vec![s("%s%s"), nums.clone(), big.clone()]),
            ("replace", vec![big.clone(), s("x"), s("yy")]),
            ("replace", vec![big.clone(), s("/x/"), s("$0$0")]),
            ("replace", vec![s("abc"), s(""), s("--")]),
            ("indent", vec![Value::from(100), s(&"a\n".repeat(100))]),
            ("split", vec![s(""), big.clone()]),
            ("setproduct", vec![nums.clone(), nums.clone()]),
            ("regexall", vec![s("x"), big.clone()]),
            ("jsonencode", vec![Value::List(vec![big.clone(), s("<&>\n")])]),
            ("yamlencode", vec![Value::List(vec![big.clone(), Value::Null])]),
            ("upper", vec![s(&"ß".repeat(100))]),
            ("lower", vec![big.clone()]),
            ("base64encode", vec![big.clone()]),
            ("urlencode", vec![s(&"/".repeat(100))]),
        ];
        for (name, args) in cases {
            let Some(Ok(v)) = call(name, &args) else { panic!("{name} failed") };
            let need = size::value_size(&v, usize::MAX).unwrap();
            assert!(!too_large(name, &args, 2 * need), "{name}: {} is room enough", 2 * need);
            assert!(too_large(name, &args, need / 2), "{name}: built in {} of {need}", need / 2);
        }
    }

    #[test]
    fn json_len_is_the_encoded_length() {
        let m: BTreeMap<String, Value> =
            [("a\"b".to_string(), Value::List(vec![s("<\u{2028}\u{1}é"), num(1.5), Value::Null]))].into();
        for v in [Value::Map(m), Value::unknown("x"), Value::Bool(false), Value::List(Vec::new())] {
            let n = encode_json(&v, false).len();
            assert_eq!(json_len(&v, usize::MAX), Some(n));
            assert_eq!(json_len(&v, n), Some(n));
            assert_eq!(json_len(&v, n - 1), None);
        }
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

    fn ok(name: &str, args: &[&str]) -> Value {
        let args: Vec<Value> = args.iter().map(|a| s(a)).collect();
        match call(name, &args) {
            Some(Ok(v)) => v,
            other => panic!("{name}({args:?}) gave {other:?}"),
        }
    }

    fn err(name: &str, args: &[&str]) -> String {
        let args: Vec<Value> = args.iter().map(|a| s(a)).collect();
        match call(name, &args) {
            Some(Err(e)) => e,
            other => panic!("{name}({args:?}) gave {other:?}"),
        }
    }

    #[test]
    fn hashes_match_terraform() {
        assert_eq!(ok("md5", &["hello world"]), s("5eb63bbbe01eeed093cb22bb8f5acdc3"));
        assert_eq!(ok("sha1", &["hello world"]), s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"));
        assert_eq!(
            ok("sha256", &["hello world"]),
            s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
        );
        assert_eq!(
            ok("sha512", &["hello world"]),
            s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f\
               989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")
        );
        assert_eq!(ok("base64sha256", &["hello world"]), s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="));
        assert_eq!(
            ok("base64sha512", &["hello world"]),
            s("MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==")
        );
        assert_eq!(ok("md5", &[""]), s("d41d8cd98f00b204e9800998ecf8427e"));
        assert_eq!(call("sha256", &[Value::unknown("var.x")]), Some(Ok(Value::unknown("sha256(var.x)"))));
        assert_eq!(call("md5", &[Value::from(1)]), Some(Err("argument 1 must be a string, got number".into())));
        assert!(is_file_digest("filebase64sha512") && is_file_digest("filemd5") && !is_file_digest("filebase64"));
        assert_eq!(file_digest("filesha1", b"hello world"), s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"));
        // Not knowable before apply.
        for name in ["uuid", "timestamp", "plantimestamp"] {
            assert_eq!(call(name, &[]), Some(Ok(Value::unknown(format!("{name}()")))));
        }
        assert_eq!(call("bcrypt", &[s("secret")]), Some(Ok(Value::unknown("bcrypt()"))));
    }

    #[test]
    fn uuidv5_matches_the_documented_examples() {
        assert_eq!(ok("uuidv5", &["dns", "www.terraform.io"]), s("a5008fae-b28c-5ba5-96cd-82b4c53552d6"));
        assert_eq!(ok("uuidv5", &["url", "https://www.terraform.io/"]), s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"));
        assert_eq!(ok("uuidv5", &["oid", "1.3.6.1.4"]), s("af9d40a5-7a36-5c07-b23a-851cd99fbfa5"));
        assert_eq!(ok("uuidv5", &["x500", "CN=Example,C=GB"]), s("84e09961-4aa4-57f8-95b7-03edb1073253"));
        // A namespace given as a UUID, in each accepted form.
        for ns in [
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
            "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "6ba7b8109dad11d180b400c04fd430c8",
            "6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
        ] {
            assert_eq!(ok("uuidv5", &[ns, "www.terraform.io"]), s("a5008fae-b28c-5ba5-96cd-82b4c53552d6"), "{ns}");
        }
        assert_eq!(err("uuidv5", &["nope", "x"]), "uuidv5() doesn't support namespace nope");
        assert_eq!(
            err("uuidv5", &["6ba7b810-9dad-11d1-80b4-00c04fd430cg", "x"]),
            "uuidv5() doesn't support namespace 6ba7b810-9dad-11d1-80b4-00c04fd430cg"
        );
    }

    #[test]
    fn formatdate_matches_the_documented_examples() {
        let t = "2018-01-02T23:12:01Z";
        assert_eq!(ok("formatdate", &["DD MMM YYYY hh:mm ZZZ", t]), s("02 Jan 2018 23:12 UTC"));
        assert_eq!(ok("formatdate", &["EEEE, DD-MMM-YY hh:mm:ss ZZZ", t]), s("Tuesday, 02-Jan-18 23:12:01 UTC"));
        assert_eq!(
            ok("formatdate", &["EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00"]),
            s("Tue, 02 Jan 2018 23:12:01 -0800")
        );
        assert_eq!(ok("formatdate", &["MMM DD, YYYY", t]), s("Jan 02, 2018"));
        assert_eq!(ok("formatdate", &["HH:mmaa", t]), s("11:12pm"));
        // Every sequence, with quoted literals and a doubled quote.
        assert_eq!(
            ok("formatdate", &["YYYY YY MMMM MMM MM M DD D EEEE EEE", "2006-03-04T05:06:07+05:30"]),
            s("2006 06 March Mar 03 3 04 4 Saturday Sat")
        );
        assert_eq!(
            ok("formatdate", &["hh h HH H AA aa mm m ss s", "2006-03-04T05:06:07+05:30"]),
            s("05 5 05 5 AM am 06 6 07 7")
        );
        assert_eq!(
            ok("formatdate", &["ZZZZZ|ZZZZ|ZZZ|Z", "2006-03-04T05:06:07+05:30"]),
            s("+05:30|+0530|+0530|+05:30")
        );
        assert_eq!(ok("formatdate", &["ZZZZZ|ZZZZ|ZZZ|Z", "2006-03-04T05:06:07Z"]), s("+00:00|+0000|UTC|Z"));
        assert_eq!(ok("formatdate", &["H AA", "2006-03-04T00:30:00Z"]), s("12 AM"));
        assert_eq!(ok("formatdate", &["H aa", "2006-03-04T12:30:00Z"]), s("12 pm"));
        assert_eq!(ok("formatdate", &["YYYYMMDD'T'hhmmss 'o''clock' ''", t]), s("20180102T231201 o'clock '"));
        assert_eq!(ok("formatdate", &["DD/MM", "2024-02-29T10:00:00.123456789Z"]), s("29/02"));
        // Bad specs and timestamps are errors.
        assert_eq!(
            err("formatdate", &["YYY", t]),
            "invalid date format verb \"YYY\": year must either be \"YY\" or \"YYYY\""
        );
        assert_eq!(err("formatdate", &["Q", t]), "invalid date format verb \"Q\"");
        assert_eq!(err("formatdate", &["'abc", t]), "unterminated literal '");
        assert!(err("formatdate", &["YYYY", "2018-01-02"]).starts_with("not a valid RFC3339 timestamp"));
        assert!(err("formatdate", &["YYYY", "2018-02-30T00:00:00Z"]).contains("day out of range"));
        assert!(err("formatdate", &["YYYY", "2018-01-02T23:12:01"]).contains("UTC offset"));
        assert_eq!(
            call("formatdate", &[s("YYYY"), Value::unknown("timestamp()")]),
            Some(Ok(Value::unknown("formatdate(timestamp())")))
        );
    }

    #[test]
    fn timeadd_matches_the_documented_examples() {
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "10m"]), s("2017-11-22T00:10:00Z"));
        assert_eq!(ok("timeadd", &["2024-08-16T12:45:05Z", "10m"]), s("2024-08-16T12:55:05Z"));
        assert_eq!(ok("timeadd", &["2024-08-16T12:45:05Z", "-10m"]), s("2024-08-16T12:35:05Z"));
        assert_eq!(ok("timeadd", &["2024-02-28T23:00:00Z", "1.5h"]), s("2024-02-29T00:30:00Z"));
        assert_eq!(ok("timeadd", &["2023-12-31T23:59:59Z", "1h30m1s"]), s("2024-01-01T01:30:00Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00-08:00", "-2h5m"]), s("2017-11-21T21:55:00-08:00"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00+00:00", "8760h"]), s("2018-11-22T00:00:00Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00.5Z", "500ms"]), s("2017-11-22T00:00:01Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "1500000us"]), s("2017-11-22T00:00:01Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "2000000\u{b5}s"]), s("2017-11-22T00:00:02Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "999999999ns"]), s("2017-11-22T00:00:00Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "+.5m"]), s("2017-11-22T00:00:30Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "0"]), s("2017-11-22T00:00:00Z"));
        assert_eq!(err("timeadd", &["2017-11-22T00:00:00Z", "10"]), "time: missing unit in duration \"10\"");
        assert_eq!(err("timeadd", &["2017-11-22T00:00:00Z", "1d"]), "time: unknown unit \"d\" in duration \"1d\"");
        assert_eq!(err("timeadd", &["2017-11-22T00:00:00Z", ""]), "time: invalid duration \"\"");
        assert_eq!(
            err("timeadd", &["2017-11-22T00:00:00Z", "9999999999999h"]),
            "time: invalid duration \"9999999999999h\""
        );
        assert_eq!(ok("timeadd", &["0001-01-01T00:00:00Z", "-1h"]), s("0000-12-31T23:00:00Z"));
        assert!(err("timeadd", &["0000-01-01T00:00:00Z", "-1h"]).contains("outside the range"));
        assert!(err("timeadd", &["yesterday", "1h"]).starts_with("not a valid RFC3339 timestamp"));
    }
}
