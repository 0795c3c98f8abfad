//! What a value costs in memory, counted before it is built.
//!
//! Sizes are in value bytes: the bytes of every string (and object key)
//! plus [`NODE_COST`] for every value, about what the value takes in
//! memory. Every count saturates and stops early once it passes the
//! `cap` it is given, so measuring a value never costs more than walking
//! `cap / NODE_COST` of its nodes.

use crate::value::Value;

/// The cost of one value besides its text (the size of a `Value`).
pub(crate) const NODE_COST: usize = 32;

/// The size of `v`, or `None` when it is larger than `cap`.
pub(crate) fn value_size(v: &Value, cap: usize) -> Option<usize> {
    let mut left = cap;
    walk(v, &mut left).then(|| cap - left)
}

/// Takes the size of `v` from `left`; false when it does not fit.
fn walk(v: &Value, left: &mut usize) -> bool {
    let own = match v {
        Value::String(s) | Value::Unknown(s) => s.len().saturating_add(NODE_COST),
        _ => NODE_COST,
    };
    if own > *left {
        return false;
    }
    *left -= own;
    match v {
        Value::List(l) => l.iter().all(|i| walk(i, left)),
        Value::Map(m) => m.iter().all(|(k, i)| {
            if k.len() > *left {
                return false;
            }
            *left -= k.len();
            walk(i, left)
        }),
        _ => true,
    }
}

/// The total size of `values`, or `None` when it is larger than `cap`.
pub(crate) fn values_size<'a>(values: impl IntoIterator<Item = &'a Value>, cap: usize) -> Option<usize> {
    let mut left = cap;
    values.into_iter().all(|v| walk(v, &mut left)).then(|| cap - left)
}

/// `a + b`, or `None` when it is larger than `cap`.
pub(crate) fn add(a: usize, b: usize, cap: usize) -> Option<usize> {
    a.checked_add(b).filter(|n| *n <= cap)
}

/// `a * b`, or `None` when it is larger than `cap`.
pub(crate) fn mul(a: usize, b: usize, cap: usize) -> Option<usize> {
    a.checked_mul(b).filter(|n| *n <= cap)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn sizes_count_text_and_nodes() {
        assert_eq!(value_size(&Value::Null, 100), Some(NODE_COST));
        assert_eq!(value_size(&Value::from("abc"), 100), Some(NODE_COST + 3));
        let l = Value::List(vec![Value::from("ab"), Value::Bool(true)]);
        assert_eq!(value_size(&l, 1000), Some(3 * NODE_COST + 2));
        let m = Value::Map(BTreeMap::from([("key".to_string(), Value::from("v"))]));
        assert_eq!(value_size(&m, 1000), Some(2 * NODE_COST + 3 + 1));
        assert_eq!(values_size([&l, &m], 1000), Some(5 * NODE_COST + 6));
    }

    #[test]
    fn sizes_stop_at_the_cap() {
        let l = Value::List(vec![Value::from("ab"), Value::Bool(true)]);
        let exact = 3 * NODE_COST + 2;
        assert_eq!(value_size(&l, exact), Some(exact));
        assert_eq!(value_size(&l, exact - 1), None);
        assert_eq!(value_size(&Value::from("x"), 0), None);
        assert_eq!(values_size([&l, &l], 2 * exact - 1), None);
        // A key alone over the cap.
        let m = Value::Map(BTreeMap::from([("k".repeat(100), Value::Null)]));
        assert_eq!(value_size(&m, 99), None);
    }

    #[test]
    fn arithmetic_saturates_into_none() {
        assert_eq!(add(2, 3, 5), Some(5));
        assert_eq!(add(2, 3, 4), None);
        assert_eq!(add(usize::MAX, 1, usize::MAX), None);
        assert_eq!(mul(1 << 20, 1 << 10, 1 << 30), Some(1 << 30));
        assert_eq!(mul(13 << 20, 1023, 16 << 20), None);
        assert_eq!(mul(usize::MAX, 2, usize::MAX), None);
    }
}
