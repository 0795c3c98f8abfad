//! Property tests of policy normalization, through the public graph API:
//! any document normalizes without panic; single-string and list forms give
//! the same statements; normalization is idempotent; a Terraform JSON
//! string and the same document as a map give the same statements.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use tollgate_core::Value;
use tollgate_core::graph::{Graph, Location, Mode, Resource, SourceKind, Statement};

fn resource(address: &str, ty: &str, kind: SourceKind, attributes: Value) -> Resource {
    Resource {
        address: address.to_string(),
        resource_type: ty.to_string(),
        kind,
        mode: Mode::Managed,
        attributes,
        loc: Location {
            address: address.to_string(),
            file: Arc::from("p.json"),
            line: 1,
            end_line: 1,
            call_sites: Vec::new(),
        },
        spans: BTreeMap::new(),
    }
}

/// The statements of a raw IAM document (a map, as CloudFormation and raw
/// JSON give it).
fn normalize_map(doc: Value) -> (bool, Vec<Statement>) {
    let g = Graph::build(vec![resource("p.json", "iam_policy", SourceKind::IamJson, doc)], vec![]);
    assert_eq!(g.policies.len(), 1, "a raw IAM file is always one policy");
    let p = &g.policies[0];
    (p.unknown, p.statements.clone())
}

/// The statements of a Terraform `aws_iam_policy` whose `policy` is `text`.
fn normalize_text(text: String) -> Option<(bool, Vec<Statement>)> {
    let attrs = Value::Map(BTreeMap::from([("policy".to_string(), Value::String(text))]));
    let g = Graph::build(vec![resource("aws_iam_policy.p", "aws_iam_policy", SourceKind::Terraform, attrs)], vec![]);
    g.policies.first().map(|p| (p.unknown, p.statements.clone()))
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn list(items: &[Value]) -> Value {
    Value::List(items.to_vec())
}

/// A document written back from normalized statements, in the list form.
fn to_document(statements: &[Statement]) -> Value {
    let statements = statements
        .iter()
        .map(|s| {
            let mut m = vec![("Effect", s.effect.clone())];
            if let Some(sid) = &s.sid {
                m.push(("Sid", Value::String(sid.clone())));
            }
            for (key, values) in [
                ("Action", &s.actions),
                ("NotAction", &s.not_actions),
                ("Resource", &s.resources),
                ("NotResource", &s.not_resources),
            ] {
                if !values.is_empty() {
                    m.push((key, list(values)));
                }
            }
            for (key, principals) in [("Principal", &s.principals), ("NotPrincipal", &s.not_principals)] {
                if !principals.is_empty() {
                    m.push((key, Value::Map(principals.iter().map(|(k, v)| (k.clone(), list(v))).collect())));
                }
            }
            if !s.conditions.is_empty() {
                let mut ops: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
                for c in &s.conditions {
                    ops.entry(c.operator.clone()).or_default().insert(c.key.clone(), list(&c.values));
                }
                m.push(("Condition", Value::Map(ops.into_iter().map(|(k, v)| (k, Value::Map(v))).collect())));
            }
            map(m)
        })
        .collect();
    map(vec![("Version", Value::from("2012-10-17")), ("Statement", Value::List(statements))])
}

/// JSON with `{"$unknown": "what"}` read as an unknown, as document text is.
fn with_markers(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Object(m) if m.len() == 1 && m.get("$unknown").is_some_and(serde_json::Value::is_string) => {
            Value::Unknown(m.get("$unknown").and_then(serde_json::Value::as_str).unwrap_or_default().to_string())
        }
        serde_json::Value::Object(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), with_markers(v))).collect()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(with_markers).collect()),
        other => Value::from_json(other),
    }
}

// ---- strategies ----

const KEYS: &[&str] = &[
    "Statement",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "Sid",
    "AWS",
    "Service",
    "StringEquals",
    "aws:SourceVpce",
    "$unknown",
    "x",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => "[a-z:*]{0,6}"]
}

/// Any value, unknowns included.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9:*/ -]{0,8}".prop_map(Value::String),
        "[a-z.]{1,8}".prop_map(Value::Unknown),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::List),
            prop::collection::btree_map(key(), inner, 0..6).prop_map(Value::Map),
        ]
    })
}

/// Any JSON.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        ".{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One or more strings of a well-formed statement field.
fn strings(pattern: &'static str) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(pattern, 1..4)
}

/// A well-formed statement, each list field as a list of strings (or absent).
#[derive(Debug, Clone)]
struct WellFormed {
    sid: Option<String>,
    effect: &'static str,
    fields: Vec<(&'static str, Vec<String>)>,
    principal: Option<(&'static str, BTreeMap<String, Vec<String>>)>,
    conditions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

fn well_formed() -> impl Strategy<Value = WellFormed> {
    let field =
        |name: &'static str, pattern: &'static str| prop::option::of(strings(pattern)).prop_map(move |v| (name, v));
    (
        prop::option::of("[A-Za-z0-9]{1,6}"),
        prop::sample::select(&["Allow", "Deny"][..]),
        field("Action", "(\\*|[a-z0-9]{1,4}:[A-Za-z*]{1,6})"),
        field("NotAction", "[a-z0-9]{1,4}:[A-Za-z*]{1,6}"),
        field("Resource", "(\\*|arn:aws:s3:::[a-z*/]{1,6})"),
        field("NotResource", "arn:aws:s3:::[a-z*/]{1,6}"),
        prop::option::of((
            prop::sample::select(&["Principal", "NotPrincipal"][..]),
            prop::collection::btree_map(
                prop::sample::select(&["AWS", "Service", "Federated", "CanonicalUser"][..]).prop_map(str::to_string),
                strings("(\\*|arn:aws:iam::[0-9]{1,3}:root|[a-z]{1,5}\\.amazonaws\\.com)"),
                1..3,
            ),
        )),
        prop::collection::btree_map(
            prop::sample::select(&["StringEquals", "StringLike", "Bool", "ArnLike"][..]).prop_map(str::to_string),
            prop::collection::btree_map("aws:[A-Za-z]{1,8}", strings("[a-z0-9-]{1,6}"), 1..3),
            0..3,
        ),
    )
        .prop_map(|(sid, effect, a, na, r, nr, principal, conditions)| WellFormed {
            sid,
            effect,
            fields: [a, na, r, nr].into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect(),
            principal,
            conditions,
        })
}

impl WellFormed {
    /// The statement as JSON; `single` writes one-element lists as a bare
    /// string (and a lone `{"AWS": "*"}` principal as `"*"`).
    fn to_json(&self, single: bool) -> serde_json::Value {
        let one_or_many = |v: &Vec<String>| match v.as_slice() {
            [one] if single => serde_json::json!(one),
            _ => serde_json::json!(v),
        };
        let mut m = serde_json::Map::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), serde_json::json!(sid));
        }
        m.insert("Effect".into(), serde_json::json!(self.effect));
        for (k, v) in &self.fields {
            m.insert((*k).into(), one_or_many(v));
        }
        if let Some((k, principals)) = &self.principal {
            let star_only = principals.len() == 1 && principals.get("AWS").is_some_and(|v| v == &["*".to_string()]);
            let value = if single && star_only {
                serde_json::json!("*")
            } else {
                serde_json::Value::Object(principals.iter().map(|(t, v)| (t.clone(), one_or_many(v))).collect())
            };
            m.insert((*k).into(), value);
        }
        if !self.conditions.is_empty() {
            let ops = self
                .conditions
                .iter()
                .map(|(op, keys)| {
                    (
                        op.clone(),
                        serde_json::Value::Object(keys.iter().map(|(k, v)| (k.clone(), one_or_many(v))).collect()),
                    )
                })
                .collect();
            m.insert("Condition".into(), serde_json::Value::Object(ops));
        }
        serde_json::Value::Object(m)
    }
}

fn document(statements: &[WellFormed], single: bool) -> serde_json::Value {
    let list: Vec<_> = statements.iter().map(|s| s.to_json(single)).collect();
    match list.as_slice() {
        [one] if single => serde_json::json!({"Version": "2012-10-17", "Statement": one}),
        _ => serde_json::json!({"Version": "2012-10-17", "Statement": list}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_value_document_normalizes_idempotently(doc in any_value()) {
        let (_, first) = normalize_map(doc);
        let (unknown, second) = normalize_map(to_document(&first));
        prop_assert!(!unknown);
        prop_assert_eq!(first, second);
    }

    #[test]
    fn any_statement_list_normalizes_idempotently(statements in any_value()) {
        let doc = map(vec![("Statement", statements)]);
        let (_, first) = normalize_map(doc);
        let (_, second) = normalize_map(to_document(&first));
        prop_assert_eq!(first, second);
    }

    #[test]
    fn any_json_text_or_map_gives_the_same_statements(json in any_json()) {
        let from_text = normalize_text(json.to_string());
        let (_, from_map) = normalize_map(with_markers(&json));
        let from_text = from_text.map(|(_, s)| s).unwrap_or_default();
        // Locations differ (two owners); everything else must not.
        let strip = |v: Vec<Statement>| -> Vec<String> {
            v.into_iter().map(|mut s| { s.loc = Location { address: String::new(), file: Arc::from(""), line: 0, end_line: 0, call_sites: vec![] }; format!("{s:?}") }).collect()
        };
        prop_assert_eq!(strip(from_text), strip(from_map));
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,64}") {
        let (unknown, statements) = normalize_text(text.clone()).unwrap_or_default();
        prop_assert!(!unknown);
        if serde_json::from_str::<serde_json::Value>(&text).is_err() {
            prop_assert!(statements.is_empty());
        }
    }

    #[test]
    fn single_string_and_list_forms_are_the_same(statements in prop::collection::vec(well_formed(), 1..4)) {
        let single = Value::from_json(&document(&statements, true));
        let listed = Value::from_json(&document(&statements, false));
        let (_, a) = normalize_map(single);
        let (_, b) = normalize_map(listed);
        prop_assert_eq!(&a, &b);
        // Every statement kept, every list field as written.
        prop_assert_eq!(a.len(), statements.len());
        for (s, want) in a.iter().zip(&statements) {
            let got_actions: Vec<&str> = s.actions.iter().filter_map(Value::as_str).collect();
            let want_actions: Vec<&str> = want.fields.iter().find(|(k, _)| *k == "Action").map(|(_, v)| v.iter().map(String::as_str).collect()).unwrap_or_default();
            prop_assert_eq!(got_actions, want_actions);
            prop_assert_eq!(s.effect.as_str(), Some(want.effect));
            let n_conditions: usize = want.conditions.values().map(BTreeMap::len).sum();
            prop_assert_eq!(s.conditions.len(), n_conditions);
        }
        // And the text form (a Terraform attribute) agrees with the map form.
        let text = normalize_text(document(&statements, true).to_string()).map(|(_, s)| s).unwrap_or_default();
        prop_assert_eq!(text.len(), a.len());
        for (x, y) in text.iter().zip(&a) {
            prop_assert_eq!((&x.actions, &x.resources, &x.principals, &x.conditions), (&y.actions, &y.resources, &y.principals, &y.conditions));
        }
    }
}

#[test]
fn deeply_nested_text_is_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (unknown, statements) = normalize_text(deep).unwrap_or_default();
    assert!(!unknown && statements.is_empty());
    let deep_statement = format!("{{\"Statement\": {}{}}}", "[".repeat(5_000), "]".repeat(5_000));
    let (_, statements) = normalize_text(deep_statement).unwrap_or_default();
    assert!(statements.is_empty(), "rejected by the JSON depth limit");
}
