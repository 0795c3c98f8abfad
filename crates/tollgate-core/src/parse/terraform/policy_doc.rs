//! `data "aws_iam_policy_document"` rendered exactly as the AWS provider
//! renders it (internal/service/iam/policy_document.go and policy_model.go):
//! string sets become a single string when they hold one element and a
//! reverse-sorted list otherwise, `Effect` defaults to `Allow`, principals of
//! type `*` with identifier `*` become `"*"`, source documents are merged
//! first, then this document, then override documents, each merge replacing
//! statements with the same `Sid`.

use std::collections::BTreeMap;

use crate::value::Value;

use super::funcs::{encode_json, to_string, write_json_object};

/// A rendered document: `json` (indented) and `minified_json`.
pub(crate) struct Rendered {
    pub(crate) json: Value,
    pub(crate) minified_json: Value,
}

/// One statement in provider order of fields.
#[derive(Default, Clone)]
struct Stmt {
    sid: String,
    effect: String,
    fields: Vec<(&'static str, Value)>,
}

struct Doc {
    version: String,
    id: String,
    statements: Vec<Stmt>,
}

impl Doc {
    fn merge(&mut self, new: Doc) {
        if !new.id.is_empty() {
            self.id = new.id;
        }
        if new.version > self.version {
            self.version = new.version;
        }
        for st in new.statements {
            if st.sid.is_empty() {
                self.statements.push(st);
                continue;
            }
            match self.statements.iter_mut().find(|e| e.sid == st.sid) {
                Some(existing) => *existing = st,
                None => self.statements.push(st),
            }
        }
    }

    fn to_value(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        if !self.version.is_empty() {
            out.push(("Version".to_string(), Value::String(self.version.clone())));
        }
        if !self.id.is_empty() {
            out.push(("Id".to_string(), Value::String(self.id.clone())));
        }
        if !self.statements.is_empty() {
            out.push(("Statement".to_string(), Value::List(Vec::new())));
        }
        out
    }
}

/// Renders the data source from its evaluated attributes. Anything unknown
/// that the document depends on makes both outputs unknown.
pub(crate) fn render(address: &str, attrs: &BTreeMap<String, Value>) -> Rendered {
    let unknown = || Rendered {
        json: Value::unknown(format!("{address}.json")),
        minified_json: Value::unknown(format!("{address}.minified_json")),
    };
    // The merge inputs must be known; unknown values inside statements are
    // written as `{"$unknown": ...}` markers in place (as `jsonencode` does),
    // and a statement whose shape is unknown makes the document unknown.
    let relevant = [
        "source_policy_documents",
        "override_policy_documents",
        "source_json",
        "override_json",
        "version",
        "policy_id",
    ];
    if relevant.iter().any(|k| attrs.get(*k).is_some_and(Value::contains_unknown)) {
        return unknown();
    }
    let Ok(doc) = build(attrs) else {
        return unknown();
    };
    let json = write_doc(&doc, true);
    let minified = minify(&json);
    Rendered { json: Value::String(json), minified_json: Value::String(minified) }
}

/// The minified form of JSON text whose only whitespace outside strings is
/// indentation (what [`write_doc`] writes with `indent`): the same text
/// less that whitespace, as `write_doc` without `indent` would write it,
/// for a fraction of the cost of walking the document again.
fn minify(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    // Copied in runs between the dropped bytes; every cut is next to an
    // ASCII space or newline, so on a character boundary.
    let (mut run, mut i) = (0, 0);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
            }
            b' ' | b'\n' => {
                out.push_str(json.get(run..i).unwrap_or(""));
                i += 1;
                run = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(json.get(run..).unwrap_or(""));
    out
}

fn build(attrs: &BTreeMap<String, Value>) -> Result<Doc, String> {
    let mut merged = Doc { version: String::new(), id: String::new(), statements: Vec::new() };
    let mut sources: Vec<&str> = Vec::new();
    if let Some(Value::String(s)) = attrs.get("source_json") {
        sources.push(s);
    }
    if let Some(Value::List(l)) = attrs.get("source_policy_documents") {
        sources.extend(l.iter().filter_map(Value::as_str));
    }
    for s in sources {
        merged.merge(parse_doc(s)?);
    }
    let version = match attrs.get("version") {
        Some(Value::String(v)) => v.clone(),
        _ => "2012-10-17".to_string(),
    };
    let id = match attrs.get("policy_id") {
        Some(Value::String(v)) => v.clone(),
        _ => String::new(),
    };
    let mut doc = Doc { version: version.clone(), id, statements: Vec::new() };
    for st in blocks(attrs, "statement")? {
        doc.statements.push(config_statement(st, &version)?);
    }
    merged.merge(doc);
    let mut overrides: Vec<&str> = Vec::new();
    if let Some(Value::String(s)) = attrs.get("override_json") {
        overrides.push(s);
    }
    if let Some(Value::List(l)) = attrs.get("override_policy_documents") {
        overrides.extend(l.iter().filter_map(Value::as_str));
    }
    for s in overrides {
        merged.merge(parse_doc(s)?);
    }
    Ok(merged)
}

/// `&{aws:username}` is the HCL-safe spelling of the IAM `${...}` variable.
fn replace_vars(s: &str, version: &str) -> String {
    if version == "2008-10-17" { s.to_string() } else { s.replace("&{", "${") }
}

/// Replaces `&{` in the strings of a decoded list (after sorting, as the provider does).
fn replace_in(v: Value, version: &str) -> Value {
    match v {
        Value::String(s) => Value::String(replace_vars(&s, version)),
        Value::List(l) => Value::List(l.into_iter().map(|i| replace_in(i, version)).collect()),
        other => other,
    }
}

/// The strings of a string list argument, plus its unknown elements (a
/// wholly unknown argument is one unknown element).
fn string_list(v: Option<&Value>, set: bool) -> Result<(Vec<String>, Vec<Value>), String> {
    let mut out = Vec::new();
    let mut unknowns = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(u @ Value::Unknown(_)) => unknowns.push(u.clone()),
        Some(Value::List(items)) => {
            for i in items {
                match i {
                    Value::Null => {}
                    Value::Unknown(_) => unknowns.push(i.clone()),
                    other => out.push(to_string(other)?),
                }
            }
        }
        Some(other) => out.push(to_string(other)?),
    }
    if set {
        out.sort();
        out.dedup();
    }
    Ok((out, unknowns))
}

/// `policyDecodeConfigStringList`: one element as a string, else
/// reverse-sorted; unknown elements (whose sort position cannot be known)
/// follow the known ones.
fn decode_list((mut l, unknowns): (Vec<String>, Vec<Value>)) -> Value {
    if l.len() + unknowns.len() == 1 {
        return match l.pop() {
            Some(s) => Value::String(s),
            None => unknowns.into_iter().next().unwrap_or(Value::Null),
        };
    }
    l.sort_by(|a, b| b.cmp(a));
    let mut out: Vec<Value> = l.into_iter().map(Value::String).collect();
    out.extend(unknowns);
    Value::List(out)
}

fn is_empty_list(l: &(Vec<String>, Vec<Value>)) -> bool {
    l.0.is_empty() && l.1.is_empty()
}

/// The blocks of a nested block list; an unknown list is an error (the
/// document's shape is unknown).
fn blocks<'v>(m: &'v BTreeMap<String, Value>, k: &str) -> Result<&'v [Value], String> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::List(l)) => Ok(l),
        Some(_) => Err(format!("{k} is unknown")),
    }
}

fn field_str(m: &BTreeMap<String, Value>, k: &str) -> Result<String, String> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(v) => to_string(v),
    }
}

fn config_statement(st: &Value, version: &str) -> Result<Stmt, String> {
    let m = st.as_map().ok_or_else(|| "statement is not a block".to_string())?;
    let effect = match field_str(m, "effect")? {
        e if e.is_empty() => "Allow".to_string(),
        e => e,
    };
    let mut out = Stmt { sid: field_str(m, "sid")?, effect, fields: Vec::new() };
    for (attr, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        let l = string_list(m.get(attr), true)?;
        if !is_empty_list(&l) {
            let decoded = decode_list(l);
            out.fields.push((key, if attr.ends_with("actions") { decoded } else { replace_in(decoded, version) }));
        }
    }
    for (attr, key) in [("principals", "Principal"), ("not_principals", "NotPrincipal")] {
        let mut set: Vec<(String, Value)> = Vec::new();
        for p in blocks(m, attr)? {
            let pm = p.as_map().ok_or_else(|| "principals is not a block".to_string())?;
            let ty = field_str(pm, "type")?;
            let ids = string_list(pm.get("identifiers"), true)?;
            set.push((ty, replace_in(decode_list(ids), version)));
        }
        if !set.is_empty() {
            out.fields.push((key, principal_json(set)));
        }
    }
    let mut conds: Vec<(String, String, Value)> = Vec::new();
    for c in blocks(m, "condition")? {
        let cm = c.as_map().ok_or_else(|| "condition is not a block".to_string())?;
        let values = string_list(cm.get("values"), false)?;
        conds.push((field_str(cm, "test")?, field_str(cm, "variable")?, replace_in(decode_list(values), version)));
    }
    if !conds.is_empty() {
        out.fields.push(("Condition", condition_json(conds)));
    }
    Ok(out)
}

/// `IAMPolicyStatementPrincipalSet.MarshalJSON`.
fn principal_json(set: Vec<(String, Value)>) -> Value {
    if let [(ty, ids)] = set.as_slice() {
        let star = match ids {
            Value::String(s) => s == "*",
            Value::List(l) => l.len() == 1 && l.first().and_then(Value::as_str) == Some("*"),
            _ => false,
        };
        if ty == "*" && star {
            return Value::String("*".to_string());
        }
    }
    let mut raw: BTreeMap<String, Value> = BTreeMap::new();
    for (ty, ids) in set {
        let existing = raw.remove(&ty);
        let merged = match (existing, ids) {
            (None, Value::List(mut l)) => {
                l.sort_by(|a, b| b.as_str().cmp(&a.as_str()));
                Value::List(l)
            }
            (None, v) => v,
            (Some(Value::String(old)), Value::List(mut l)) => {
                l.sort_by(|a, b| b.as_str().cmp(&a.as_str()));
                let mut out = vec![Value::String(old)];
                out.extend(l);
                Value::List(out)
            }
            (Some(Value::String(old)), v) => Value::List(vec![Value::String(old), v]),
            (Some(Value::List(mut old)), Value::List(mut l)) => {
                l.sort_by(|a, b| b.as_str().cmp(&a.as_str()));
                old.extend(l);
                Value::List(old)
            }
            (Some(Value::List(mut old)), v) => {
                old.push(v);
                Value::List(old)
            }
            (Some(other), _) => other,
        };
        raw.insert(ty, merged);
    }
    Value::Map(raw)
}

/// `IAMPolicyStatementConditionSet.MarshalJSON`.
fn condition_json(conds: Vec<(String, String, Value)>) -> Value {
    let mut raw: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    for (test, var, values) in conds {
        let slot = raw.entry(test).or_default().entry(var).or_default();
        match values {
            Value::List(l) => slot.extend(l),
            v => slot.push(v),
        }
    }
    Value::Map(
        raw.into_iter()
            .map(|(t, vars)| {
                (
                    t,
                    Value::Map(
                        vars.into_iter()
                            .map(|(k, mut v)| (k, if v.len() == 1 { v.remove(0) } else { Value::List(v) }))
                            .collect(),
                    ),
                )
            })
            .collect(),
    )
}

/// Reads a source/override document the way the provider's unmarshal does.
fn parse_doc(text: &str) -> Result<Doc, String> {
    let v = Value::parse_json(text).map_err(|e| e.to_string())?;
    let m = v.as_map().ok_or_else(|| "policy document is not an object".to_string())?;
    let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut doc = Doc { version: s("Version"), id: s("Id"), statements: Vec::new() };
    let stmts = match m.get("Statement") {
        None | Some(Value::Null) => &[][..],
        Some(Value::List(l)) => l.as_slice(),
        Some(_) => return Err("Statement must be a list".into()),
    };
    for st in stmts {
        let sm = st.as_map().ok_or_else(|| "statement is not an object".to_string())?;
        let g = |k: &str| sm.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut out = Stmt { sid: g("Sid"), effect: g("Effect"), fields: Vec::new() };
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            match sm.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::List(l)) if l.is_empty() => {}
                Some(v) => out.fields.push((key, v.clone())),
            }
        }
        for key in ["Principal", "NotPrincipal"] {
            match sm.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(_)) => out.fields.push((key, Value::String("*".to_string()))),
                Some(Value::Map(pm)) => {
                    let mut set = Vec::new();
                    for (ty, ids) in pm {
                        match ids {
                            Value::List(l) => {
                                let mut l: Vec<String> = l.iter().map(to_string).collect::<Result<_, _>>()?;
                                l.sort();
                                set.push((ty.clone(), Value::List(l.into_iter().map(Value::String).collect())));
                            }
                            other => set.push((ty.clone(), Value::String(to_string(other)?))),
                        }
                    }
                    if !set.is_empty() {
                        out.fields.push((key, principal_json(set)));
                    }
                }
                Some(_) => return Err("unsupported Principal".into()),
            }
        }
        if let Some(Value::Map(cm)) = sm.get("Condition") {
            let mut conds = Vec::new();
            for (test, vars) in cm {
                for (var, values) in vars.as_map().ok_or_else(|| "condition must be an object".to_string())? {
                    let v = match values {
                        Value::String(s) => Value::List(vec![Value::String(s.clone())]),
                        Value::Bool(b) => Value::String(b.to_string()),
                        Value::List(l) => {
                            Value::List(l.iter().map(|x| to_string(x).map(Value::String)).collect::<Result<_, _>>()?)
                        }
                        _ => continue,
                    };
                    conds.push((test.clone(), var.clone(), v));
                }
            }
            if !conds.is_empty() {
                out.fields.push(("Condition", condition_json(conds)));
            }
        }
        doc.statements.push(out);
    }
    Ok(doc)
}

fn write_doc(doc: &Doc, indent: bool) -> String {
    let mut out = String::new();
    let top = doc.to_value();
    if top.is_empty() {
        return "{}".to_string();
    }
    let nl = |out: &mut String, level: usize| {
        if indent {
            out.push('\n');
            out.push_str(&"  ".repeat(level));
        }
    };
    out.push('{');
    for (i, (k, v)) in top.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        nl(&mut out, 1);
        out.push_str(&encode_json(&Value::String(k.clone()), false));
        out.push(':');
        if indent {
            out.push(' ');
        }
        if k == "Statement" {
            out.push('[');
            for (j, st) in doc.statements.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                nl(&mut out, 2);
                let mut entries: Vec<(String, Value)> = Vec::new();
                if !st.sid.is_empty() {
                    entries.push(("Sid".to_string(), Value::String(st.sid.clone())));
                }
                if !st.effect.is_empty() {
                    entries.push(("Effect".to_string(), Value::String(st.effect.clone())));
                }
                entries.extend(st.fields.iter().map(|(k, v)| ((*k).to_string(), v.clone())));
                write_json_object(entries.iter().map(|(k, v)| (k, v)), entries.is_empty(), indent, 2, &mut out);
            }
            nl(&mut out, 1);
            out.push(']');
        } else {
            out.push_str(&encode_json(v, false));
        }
    }
    nl(&mut out, 0);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| s(i)).collect())
    }

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn renders_like_the_provider() {
        let attrs = map(vec![(
            "statement",
            Value::List(vec![map(vec![
                ("actions", list(&["s3:GetObject", "s3:ListBucket"])),
                ("resources", list(&["arn:aws:s3:::b/&{aws:username}"])),
                ("principals", Value::List(vec![map(vec![("type", s("*")), ("identifiers", list(&["*"]))])])),
                (
                    "condition",
                    Value::List(vec![map(vec![
                        ("test", s("Bool")),
                        ("variable", s("aws:SecureTransport")),
                        ("values", list(&["false"])),
                    ])]),
                ),
            ])]),
        )]);
        let r = render("data.aws_iam_policy_document.x", attrs.as_map().unwrap_or(&BTreeMap::new()));
        assert_eq!(
            r.minified_json,
            s(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":"arn:aws:s3:::b/${aws:username}","Principal":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
            )
        );
    }

    #[test]
    fn the_minified_form_is_the_indented_one_less_its_indentation() {
        let attrs = map(vec![
            ("policy_id", s("an id with \\\" spaces")),
            (
                "statement",
                Value::List(vec![
                    map(vec![
                        ("sid", s("A b")),
                        ("actions", list(&["s3:Get Object", "x:\"y\\"])),
                        ("resources", list(&["arn:aws:s3:::b/ key\n"])),
                        (
                            "condition",
                            Value::List(vec![map(vec![
                                ("test", s("StringEquals")),
                                ("variable", s("aws:PrincipalTag/team name")),
                                ("values", list(&["a b", "", " "])),
                            ])]),
                        ),
                    ]),
                    map(vec![("effect", s("Deny")), ("not_actions", list(&["iam:*"])), ("resources", list(&[]))]),
                ]),
            ),
        ]);
        let doc = build(attrs.as_map().unwrap_or(&BTreeMap::new())).unwrap();
        let indented = write_doc(&doc, true);
        assert!(indented.contains('\n') && indented.contains("\"A b\""), "{indented}");
        assert_eq!(minify(&indented), write_doc(&doc, false));
        let r = render("data.aws_iam_policy_document.x", attrs.as_map().unwrap_or(&BTreeMap::new()));
        assert_eq!(r.minified_json, Value::String(write_doc(&doc, false)));
        assert_eq!(r.json, Value::String(indented));
    }

    #[test]
    fn merges_source_and_override_by_sid() {
        let source = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#;
        let over = r#"{"Statement":[{"Sid":"B","Effect":"Allow","Action":"iam:Get*","Resource":"*","Principal":{"AWS":["b","a"]}}]}"#;
        let attrs = map(vec![
            ("source_policy_documents", list(&[source])),
            ("override_policy_documents", list(&[over])),
            ("statement", Value::List(vec![map(vec![("sid", s("A")), ("actions", list(&["ec2:Describe*"]))])])),
        ]);
        let r = render("d", attrs.as_map().unwrap_or(&BTreeMap::new()));
        assert_eq!(
            r.minified_json,
            s(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"ec2:Describe*"},{"Sid":"B","Effect":"Allow","Action":"iam:Get*","Resource":"*","Principal":{"AWS":["b","a"]}}]}"#
            )
        );
    }

    #[test]
    fn unknown_values_are_marked_in_place() {
        let attrs = map(vec![(
            "statement",
            Value::List(vec![map(vec![
                ("actions", list(&["s3:PutObject", "s3:GetObject"])),
                ("resources", Value::List(vec![Value::unknown("aws_s3_bucket.b.arn"), s("arn:aws:s3:::x")])),
            ])]),
        )]);
        let r = render("d", attrs.as_map().unwrap_or(&BTreeMap::new()));
        assert_eq!(
            r.minified_json,
            s(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::x",{"$unknown":"aws_s3_bucket.b.arn"}]}]}"#
            )
        );
    }

    #[test]
    fn unknown_shape_makes_it_unknown() {
        let attrs = map(vec![("statement", Value::unknown("dynamic statement"))]);
        let r = render("data.aws_iam_policy_document.x", attrs.as_map().unwrap_or(&BTreeMap::new()));
        assert_eq!(r.json, Value::unknown("data.aws_iam_policy_document.x.json"));
        let attrs = map(vec![("source_policy_documents", Value::List(vec![Value::unknown("var.doc")]))]);
        let r = render("data.aws_iam_policy_document.x", attrs.as_map().unwrap_or(&BTreeMap::new()));
        assert_eq!(r.minified_json, Value::unknown("data.aws_iam_policy_document.x.minified_json"));
    }
}
