//! String functions: formatting, joining and splitting, replacing,
//! case, regular expressions and path strings.

use super::*;

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

pub(super) fn format_fn(args: &[Value], room: usize) -> SizedResult {
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

pub(super) fn formatlist(args: &[Value], room: usize) -> SizedResult {
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

pub(super) fn join(args: &[Value], room: usize) -> SizedResult {
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

pub(super) fn split(args: &[Value], room: usize) -> SizedResult {
    let (sep, s) = two_str(args)?;
    if s.is_empty() {
        return Ok(Value::List(vec![Value::String(String::new())]));
    }
    let pieces = if sep.is_empty() { s.chars().count() + 2 } else { s.matches(sep).count() + 1 };
    fits(size::mul(pieces.saturating_add(1), NODE_COST, room).and_then(|n| size::add(n, s.len(), room)))?;
    Ok(Value::List(s.split(sep).map(|p| Value::String(p.to_string())).collect()))
}

pub(super) fn replace(args: &[Value], room: usize) -> SizedResult {
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

pub(super) fn substr(args: &[Value]) -> CallResult {
    let s: Vec<char> = str_arg(args, 0)?.chars().collect();
    let offset = num_arg(args, 1)? as i64;
    let length = num_arg(args, 2)? as i64;
    let len = s.len() as i64;
    let start = if offset < 0 { (len + offset).max(0) } else { offset.min(len) };
    let end = if length < 0 { len } else { start.saturating_add(length).min(len) };
    let (a, b) = (usize::try_from(start).unwrap_or(0), usize::try_from(end).unwrap_or(0));
    Ok(Value::String(s.get(a..b.max(a)).map(|c| c.iter().collect()).unwrap_or_default()))
}

pub(super) fn indent(args: &[Value], room: usize) -> SizedResult {
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

pub(super) fn lower(args: &[Value], room: usize) -> SizedResult {
    change_case("lower", args, room)
}

pub(super) fn upper(args: &[Value], room: usize) -> SizedResult {
    change_case("upper", args, room)
}

pub(super) fn title_fn(args: &[Value], room: usize) -> SizedResult {
    change_case("title", args, room)
}

pub(super) fn regex(args: &[Value], room: usize) -> SizedResult {
    regex_fn(args, false, room)
}

pub(super) fn regexall(args: &[Value], room: usize) -> SizedResult {
    regex_fn(args, true, room)
}

pub(super) fn trimspace(args: &[Value]) -> CallResult {
    str_arg(args, 0).map(|s| Value::String(s.trim().to_string()))
}

pub(super) fn trim(args: &[Value]) -> CallResult {
    two_str(args).map(|(s, cut)| Value::String(s.trim_matches(|c| cut.contains(c)).to_string()))
}

pub(super) fn trimprefix(args: &[Value]) -> CallResult {
    two_str(args).map(|(s, p)| Value::String(s.strip_prefix(p).unwrap_or(s).to_string()))
}

pub(super) fn trimsuffix(args: &[Value]) -> CallResult {
    two_str(args).map(|(s, p)| Value::String(s.strip_suffix(p).unwrap_or(s).to_string()))
}

pub(super) fn startswith(args: &[Value]) -> CallResult {
    two_str(args).map(|(s, p)| Value::Bool(s.starts_with(p)))
}

pub(super) fn endswith(args: &[Value]) -> CallResult {
    two_str(args).map(|(s, p)| Value::Bool(s.ends_with(p)))
}

pub(super) fn strrev(args: &[Value]) -> CallResult {
    str_arg(args, 0).map(|s| Value::String(s.chars().rev().collect()))
}

pub(super) fn chomp(args: &[Value]) -> CallResult {
    str_arg(args, 0).map(|s| Value::String(s.trim_end_matches(['\n', '\r']).to_string()))
}

/// `abspath` and `pathexpand`: the path as given (no filesystem or home
/// directory is consulted).
pub(super) fn path_as_given(args: &[Value]) -> CallResult {
    str_arg(args, 0).map(|s| Value::String(s.to_string()))
}

pub(super) fn basename(args: &[Value]) -> CallResult {
    str_arg(args, 0).map(|s| {
        let t = s.trim_end_matches('/');
        Value::String(t.rsplit('/').next().unwrap_or(t).to_string())
    })
}

pub(super) fn dirname(args: &[Value]) -> CallResult {
    str_arg(args, 0).map(|s| {
        let t = s.trim_end_matches('/');
        Value::String(match t.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => t.get(..i).unwrap_or(".").to_string(),
            None => ".".to_string(),
        })
    })
}

/// Steps of `regex`/`regexall`: compiling the pattern, scanning the text.
pub(super) fn regex_steps(args: &[Value]) -> Option<usize> {
    Some(text_len(args, 0).saturating_mul(64).saturating_add(text_len(args, 1)))
}

/// Steps of `replace`: only a `/pattern/` is compiled and scanned with.
pub(super) fn replace_steps(args: &[Value]) -> Option<usize> {
    args.get(1)
        .and_then(Value::as_str)
        .is_some_and(|p| p.len() > 1 && p.starts_with('/') && p.ends_with('/'))
        .then(|| text_len(args, 1).saturating_mul(64).saturating_add(text_len(args, 0)))
}

fn text_len(args: &[Value], i: usize) -> usize {
    args.get(i).and_then(Value::as_str).map_or(0, str::len)
}
