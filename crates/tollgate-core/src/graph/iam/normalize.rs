//! Normalization of policy statements.
//!
//! - `Action`, `NotAction`, `Resource`, `NotResource`: a string or a list,
//!   always a list here; absent is empty. Values are kept as written
//!   (action names keep their case; rules compare case-insensitively).
//! - `Principal`, `NotPrincipal`: a map from principal type to a list.
//!   `"*"` (or any bare string or list) is the `AWS` type: `"Principal": "*"`
//!   and `{"AWS": "*"}` both become `{"AWS": ["*"]}`. A principal that is
//!   unknown as a whole becomes `{"$unknown": [<the unknown>]}`.
//! - `Condition`: one [`Condition`] per (operator, key), sorted by operator
//!   then key, values as a list. A condition block (or an operator's block)
//!   that is not a map, or is unknown, is kept under operator/key `$unknown`
//!   so that a rule never reads it as "no condition".
//! - `Effect` is kept as written (`Allow`, `Deny`, an unknown, or null when
//!   absent).
//! - A statement that is unknown as a whole has that unknown as its effect,
//!   its only action and its only resource; a statement that is not a map
//!   has a null effect and nothing else. Neither is dropped, so statement
//!   indexes always match the document.
//! - Unknown values inside lists stay in place as unknowns.

use std::collections::BTreeMap;

use crate::graph::{Condition, Location, Statement};
use crate::value::Value;

/// Key under which an unknown principal block or condition is kept.
const UNKNOWN: &str = "$unknown";

/// The statements of a parsed document, and whether its statement list is
/// unknown as a whole. `loc(i)` gives the location of statement `i`.
pub(crate) fn statements(doc: &Value, mut loc: impl FnMut(usize) -> Location) -> (bool, Vec<Statement>) {
    let raw: Vec<&Value> = match doc.get("Statement") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Unknown(_)) => return (true, Vec::new()),
        Some(Value::List(items)) => items.iter().collect(),
        Some(other) => vec![other],
    };
    let statements = raw.into_iter().enumerate().map(|(i, s)| statement(i, s, loc(i))).collect();
    (false, statements)
}

fn statement(index: usize, raw: &Value, loc: Location) -> Statement {
    let mut s = Statement {
        index,
        sid: None,
        effect: Value::Null,
        actions: Vec::new(),
        not_actions: Vec::new(),
        resources: Vec::new(),
        not_resources: Vec::new(),
        principals: BTreeMap::new(),
        not_principals: BTreeMap::new(),
        conditions: Vec::new(),
        loc,
        grants: None,
    };
    match raw {
        Value::Map(_) => {
            s.sid = match raw.get("Sid") {
                Some(Value::String(sid)) => Some(sid.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            s.effect = raw.get("Effect").cloned().unwrap_or(Value::Null);
            s.actions = list(raw.get("Action"));
            s.not_actions = list(raw.get("NotAction"));
            s.resources = list(raw.get("Resource"));
            s.not_resources = list(raw.get("NotResource"));
            s.principals = principals(raw.get("Principal"));
            s.not_principals = principals(raw.get("NotPrincipal"));
            s.conditions = conditions(raw.get("Condition"));
        }
        Value::Unknown(_) => {
            s.effect = raw.clone();
            s.actions = vec![raw.clone()];
            s.resources = vec![raw.clone()];
        }
        _ => {}
    }
    s
}

/// A string or a list, as a list; absent or null is empty.
fn list(value: Option<&Value>) -> Vec<Value> {
    value.map(|v| v.as_one_or_many().into_iter().cloned().collect()).unwrap_or_default()
}

fn principals(value: Option<&Value>) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Map(map)) => {
            for (kind, v) in map {
                out.insert(kind.clone(), list(Some(v)));
            }
        }
        Some(unknown @ Value::Unknown(_)) => {
            out.insert(UNKNOWN.to_string(), vec![unknown.clone()]);
        }
        Some(other) => {
            out.insert("AWS".to_string(), list(Some(other)));
        }
    }
    out
}

fn conditions(value: Option<&Value>) -> Vec<Condition> {
    let mut out = Vec::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Map(operators)) => {
            for (operator, tests) in operators {
                match tests {
                    Value::Map(keys) => {
                        for (key, values) in keys {
                            out.push(Condition {
                                operator: operator.clone(),
                                key: key.clone(),
                                values: list(Some(values)),
                            });
                        }
                    }
                    Value::Null => {}
                    other => out.push(Condition {
                        operator: operator.clone(),
                        key: UNKNOWN.to_string(),
                        values: vec![other.clone()],
                    }),
                }
            }
        }
        Some(other) => {
            out.push(Condition { operator: UNKNOWN.to_string(), key: UNKNOWN.to_string(), values: vec![other.clone()] })
        }
    }
    out.sort_by(|a, b| (&a.operator, &a.key).cmp(&(&b.operator, &b.key)));
    out
}
