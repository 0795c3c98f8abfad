//! Collection functions: lists, maps and sets.

use super::*;

/// Distinct elements, in a stable order (Terraform sets of strings are sorted).
pub(super) fn set_of(items: &[Value]) -> Vec<Value> {
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

pub(super) fn concat(args: &[Value]) -> CallResult {
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

pub(super) fn merge(args: &[Value]) -> CallResult {
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

pub(super) fn lookup(args: &[Value]) -> CallResult {
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

pub(super) fn element(args: &[Value]) -> CallResult {
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

pub(super) fn coalesce(args: &[Value]) -> CallResult {
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

pub(super) fn coalescelist(args: &[Value]) -> CallResult {
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

pub(super) fn slice(args: &[Value]) -> CallResult {
    let l = list_arg(args, 0)?;
    let a = usize::try_from(num_arg(args, 1)? as i64).map_err(|_| "negative index".to_string())?;
    let b = usize::try_from(num_arg(args, 2)? as i64).map_err(|_| "negative index".to_string())?;
    if a > b || b > l.len() {
        return Err("slice() indexes out of range".into());
    }
    Ok(Value::List(l.get(a..b).unwrap_or(&[]).to_vec()))
}

pub(super) fn range(args: &[Value]) -> CallResult {
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

pub(super) fn zipmap(args: &[Value]) -> CallResult {
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

pub(super) fn setproduct(args: &[Value], room: usize) -> SizedResult {
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

pub(super) fn transpose(args: &[Value]) -> CallResult {
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

pub(super) fn chunklist(args: &[Value]) -> CallResult {
    let l = list_arg(args, 0)?;
    let n = usize::try_from(num_arg(args, 1)? as i64).map_err(|_| "negative size".to_string())?;
    if n == 0 {
        return Ok(Value::List(vec![Value::List(l.to_vec())]));
    }
    Ok(Value::List(l.chunks(n).map(|c| Value::List(c.to_vec())).collect()))
}

pub(super) fn matchkeys(args: &[Value]) -> CallResult {
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

/// Keys of a `for_each` set or map, as strings.
pub(crate) fn string_set(items: &[Value]) -> Result<BTreeSet<String>, String> {
    items.iter().map(to_string).collect()
}

pub(super) fn flatten(args: &[Value]) -> CallResult {
    one(args).and_then(|v| {
        let mut out = Vec::new();
        flatten_into(v, &mut out, 0).map(|()| Value::List(out))
    })
}

pub(super) fn distinct(args: &[Value]) -> CallResult {
    list_arg(args, 0).map(|l| {
        let mut out: Vec<Value> = Vec::new();
        for v in l {
            if !out.iter().any(|o| values_equal(o, v)) {
                out.push(v.clone());
            }
        }
        Value::List(out)
    })
}

pub(super) fn compact(args: &[Value]) -> CallResult {
    list_arg(args, 0).map(|l| {
        if l.iter().any(Value::is_unknown) {
            return Value::unknown("compact(...)");
        }
        Value::List(l.iter().filter(|v| !matches!(v, Value::Null) && v.as_str() != Some("")).cloned().collect())
    })
}

pub(super) fn length(args: &[Value]) -> CallResult {
    one(args).and_then(|v| match v {
        Value::List(l) => Ok(Value::from(l.len() as i64)),
        Value::Map(m) => Ok(Value::from(m.len() as i64)),
        Value::String(s) => Ok(Value::from(s.chars().count() as i64)),
        Value::Unknown(_) => Ok(Value::unknown("length(...)")),
        other => Err(format!("cannot take the length of {}", other.type_name())),
    })
}

pub(super) fn keys(args: &[Value]) -> CallResult {
    one(args).and_then(|v| match v {
        Value::Map(m) => Ok(Value::List(m.keys().map(|k| Value::String(k.clone())).collect())),
        other => Err(format!("keys() needs a map, got {}", other.type_name())),
    })
}

pub(super) fn values(args: &[Value]) -> CallResult {
    one(args).and_then(|v| match v {
        Value::Map(m) => Ok(Value::List(m.values().cloned().collect())),
        other => Err(format!("values() needs a map, got {}", other.type_name())),
    })
}

pub(super) fn contains(args: &[Value]) -> CallResult {
    match (list_arg(args, 0), args.get(1)) {
        (Ok(l), Some(v)) => Ok(Value::Bool(l.iter().any(|i| values_equal(i, v)))),
        (Err(e), _) => Err(e),
        (_, None) => Err("contains() needs two arguments".into()),
    }
}

/// `one(list)`: the only element, or null.
pub(super) fn only(args: &[Value]) -> CallResult {
    list_arg(args, 0).and_then(|l| match l {
        [] => Ok(Value::Null),
        [v] => Ok(v.clone()),
        _ => Err("one() needs a list with at most one element".into()),
    })
}

pub(super) fn sort(args: &[Value]) -> CallResult {
    list_arg(args, 0).and_then(|l| {
        let mut s = l.iter().map(to_string).collect::<Result<Vec<_>, _>>()?;
        s.sort();
        Ok(Value::List(s.into_iter().map(Value::String).collect()))
    })
}

pub(super) fn reverse(args: &[Value]) -> CallResult {
    list_arg(args, 0).map(|l| Value::List(l.iter().rev().cloned().collect()))
}

pub(super) fn alltrue(args: &[Value]) -> CallResult {
    list_arg(args, 0).map(|l| Value::Bool(l.iter().all(|v| v.as_bool() == Some(true))))
}

pub(super) fn anytrue(args: &[Value]) -> CallResult {
    list_arg(args, 0).map(|l| Value::Bool(l.iter().any(|v| v.as_bool() == Some(true))))
}

pub(super) fn index(args: &[Value]) -> CallResult {
    match (list_arg(args, 0), args.get(1)) {
        (Ok(l), Some(v)) => l
            .iter()
            .position(|i| values_equal(i, v))
            .map(|p| Value::from(p as i64))
            .ok_or_else(|| "item not found".to_string()),
        (Err(e), _) => Err(e),
        (_, None) => Err("index() needs two arguments".into()),
    }
}

pub(super) fn setunion(args: &[Value]) -> CallResult {
    set_op(args, SetOp::Union)
}

pub(super) fn setintersection(args: &[Value]) -> CallResult {
    set_op(args, SetOp::Intersection)
}

pub(super) fn setsubtract(args: &[Value]) -> CallResult {
    set_op(args, SetOp::Subtract)
}
