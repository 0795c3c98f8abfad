//! Raw IAM policy documents (JSON with `Statement`).
//!
//! A file holding one policy document becomes one resource: address = the
//! file's display path, type `iam_policy`, attributes = the document,
//! `loc` = the document's lines, and a span for every path inside it
//! (`Statement[0]`, `Statement[0].Action`…).
//!
//! Accepted shapes:
//! - a bare document: `{"Version": …, "Statement": [ … ]}` or with a single
//!   statement object `{"Statement": {…}}`;
//! - `{"PolicyDocument": {…}}`, as in CloudFormation snippets and the output
//!   of `aws iam get-role-policy` / `get-user-policy` / `get-group-policy`;
//! - `{"PolicyVersion": {"Document": {…}}}`, the output of
//!   `aws iam get-policy-version`;
//! - `{"Role": {"AssumeRolePolicyDocument": {…}}}`, the output of
//!   `aws iam get-role` (the trust policy);
//! - `{"Policy": "<JSON text>"}`, the output of `aws s3api get-bucket-policy`,
//!   `aws kms get-key-policy`, `aws lambda get-policy`, or `{"Policy": {…}}`.
//!
//! Wherever the document is a string (JSON text, possibly URL-encoded as
//! the IAM API returns it), it is decoded; the spans inside it all point at
//! the string's lines.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::graph::{LineRange, Location, Mode, Resource, SourceKind};
use crate::parse::UnitOutput;
use crate::parse::context::ParseContext;
use crate::parse::json::{self, Kind, Node};
use crate::source::SourceFile;
use crate::span::{LineIndex, Span};

/// True when the JSON document is (or wraps) an IAM policy document.
pub(crate) fn is_policy(node: &Node) -> bool {
    find_document(node).is_some_and(|doc| match doc.kind() {
        Kind::Object(_) => true,
        // Decoded in `load`; a cheap check here.
        Kind::String(s) => s.contains("Statement"),
        _ => false,
    })
}

/// Where the document sits in the file.
fn find_document(node: &Node) -> Option<&Node> {
    let candidates = [
        Some(node),
        node.get("PolicyDocument"),
        node.get("PolicyVersion").and_then(|v| v.get("Document")),
        node.get("Role").and_then(|r| r.get("AssumeRolePolicyDocument")),
        node.get("Policy"),
    ];
    candidates.into_iter().flatten().find(|doc| match doc.kind() {
        Kind::Object(_) => has_statement(doc),
        Kind::String(_) => !std::ptr::eq(*doc, node),
        _ => false,
    })
}

fn has_statement(doc: &Node) -> bool {
    doc.get("Statement").is_some_and(|s| s.is_array() || s.is_object())
}

/// Loads the policy document of a file recognised by [`is_policy`].
pub(crate) fn load(_ctx: &ParseContext, file: &SourceFile, node: &Node) -> UnitOutput {
    let mut out = UnitOutput::default();
    let index = LineIndex::new(&file.text);
    out.diagnostics.extend(node.duplicate_keys(&file.path, &index));
    let Some(doc) = find_document(node) else {
        return out;
    };
    let doc_lines = doc.line_range(&index);
    let (line, column) = doc.line_col(&index);
    let mut spans = BTreeMap::new();
    let attributes = match doc.kind() {
        Kind::String(text) => match decode_embedded(text, &file.path) {
            Ok(inner) if has_statement(&inner) => {
                let inner_index = LineIndex::new(text);
                inner.record_spans("", &inner_index, &mut spans);
                // Positions inside the string do not map to file lines.
                spans.values_mut().for_each(|r: &mut LineRange| *r = doc_lines);
                let dups = inner.duplicate_keys(&file.path, &inner_index);
                out.diagnostics
                    .extend(dups.into_iter().map(|d| Diagnostic { line: None, column: None, ..d }.at(line, column)));
                inner.to_value()
            }
            Ok(_) => return out,
            Err(d) => {
                out.diagnostics.push(Diagnostic { line: Some(line), column: Some(column), ..d });
                return out;
            }
        },
        _ => {
            doc.record_spans("", &index, &mut spans);
            doc.to_value()
        }
    };
    let span = Span::new(file.path.clone(), line, column, doc_lines.end_line);
    let address = file.path.to_string();
    out.resources.push(Resource {
        loc: Location::new(address.clone(), &span, &[]),
        address,
        resource_type: "iam_policy".to_string(),
        kind: SourceKind::IamJson,
        mode: Mode::Managed,
        attributes,
        spans,
    });
    out
}

/// A policy document held in a string: JSON text, or URL-encoded JSON text
/// (`%7B%22Version%22…`, as the IAM API returns documents).
fn decode_embedded(text: &str, file: &Arc<str>) -> Result<Node, Diagnostic> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('%')
        && let Some(decoded) = percent_decode(trimmed)
    {
        return json::parse(&decoded, file).map_err(embedded_error);
    }
    json::parse(text, file).map_err(embedded_error)
}

fn embedded_error(d: Diagnostic) -> Diagnostic {
    Diagnostic { message: format!("policy document in a string: {}", d.message), ..d }
}

/// Decodes `%XX` escapes and `+` (as spaces); `None` when malformed or not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%7B%22a%22%3A+1%7D").as_deref(), Some("{\"a\": 1}"));
        assert_eq!(percent_decode("%7"), None);
        assert_eq!(percent_decode("%ZZ"), None);
    }

    #[test]
    fn recognises_wrappers() {
        let f: Arc<str> = Arc::from("p.json");
        let yes = [
            r#"{"Statement": []}"#,
            r#"{"Statement": {"Effect": "Allow"}}"#,
            r#"{"RoleName": "r", "PolicyDocument": {"Statement": []}}"#,
            r#"{"PolicyVersion": {"Document": {"Statement": []}}}"#,
            r#"{"Role": {"AssumeRolePolicyDocument": {"Statement": []}}}"#,
            r#"{"Policy": "{\"Statement\": []}"}"#,
        ];
        for text in yes {
            assert!(is_policy(&json::parse(text, &f).unwrap()), "{text}");
        }
        let no =
            [r#"{"name": "pkg"}"#, r#"{"Statement": "x"}"#, r#"{"Policy": {"Name": "x"}}"#, r#""Statement""#, "[]"];
        for text in no {
            assert!(!is_policy(&json::parse(text, &f).unwrap()), "{text}");
        }
    }
}
