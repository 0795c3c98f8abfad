//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform) in `Resources`:
//!
//! ```yaml
//! Fn::ForEach::Topics:
//!   - Name                       # identifier
//!   - [Success, Failure]         # collection (a list, or a Ref to a list parameter)
//!   - Topic${Name}:              # output key(s); `&{Name}` drops non-alphanumerics
//!       Type: AWS::SNS::Topic
//!       Properties:
//!         TopicName: !Ref Name   # `Ref` to the identifier
//!         DisplayName: !Sub "${Name} topic"
//! ```
//!
//! Each loop is expanded before evaluation into one resource per value and
//! output key: the identifier is replaced in output keys, in `Ref`, in the
//! template strings of `Fn::Sub`, and in the names of `Ref`/`Fn::GetAtt`.
//! Loops nest. A loop whose collection is unknown is not expanded (an
//! `info` diagnostic says so).

use std::sync::Arc;

use super::tree::{Measure, Tree, TreeEntry, TreeKind};
use crate::diagnostic::Diagnostic;

/// Most resources that loops may produce in one template.
pub(crate) const MAX_EXPANDED: usize = 10_000;

/// Most template nodes that loops may copy in one template.
pub(crate) const MAX_EXPANDED_NODES: usize = 1_000_000;

/// Most text (scalar and key bytes) that loops may copy in one template,
/// counted with the identifier replaced: a 1 MB value copied by 10,000
/// iterations is within the node budget.
pub(crate) const MAX_EXPANDED_BYTES: usize = 32 << 20;

/// Deepest nesting of loops.
const MAX_NESTING: usize = 8;

/// True when `Resources` has a loop at its top.
pub(crate) fn has_loops(entries: &[TreeEntry]) -> bool {
    entries.iter().any(|e| e.key.starts_with("Fn::ForEach::"))
}

/// The resource entries with every loop expanded. `collection` evaluates a
/// loop's collection to its values (`None` when unknown).
pub(crate) fn expand(
    entries: &[TreeEntry],
    collection: &mut dyn FnMut(&Tree) -> Option<Vec<String>>,
    file: &Arc<str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<TreeEntry> {
    let mut out = Vec::new();
    let mut budget = Measure { nodes: MAX_EXPANDED_NODES, bytes: MAX_EXPANDED_BYTES };
    expand_into(entries, collection, file, diagnostics, &mut out, &mut budget, 0);
    out
}

fn expand_into(
    entries: &[TreeEntry],
    collection: &mut dyn FnMut(&Tree) -> Option<Vec<String>>,
    file: &Arc<str>,
    diagnostics: &mut Vec<Diagnostic>,
    out: &mut Vec<TreeEntry>,
    budget: &mut Measure,
    depth: usize,
) {
    for e in entries {
        if !e.key.starts_with("Fn::ForEach::") {
            if out.len() < MAX_EXPANDED {
                out.push(e.clone());
            }
            continue;
        }
        let info = |message: String| Diagnostic::info(file.clone(), "eval", message).at(e.line, e.column);
        if depth >= MAX_NESTING {
            diagnostics.push(info(format!("`{}` nests loops deeper than {MAX_NESTING}: not expanded", e.key)));
            continue;
        }
        let Some([id, coll, body]) = e.value.as_list().and_then(|l| <&[Tree; 3]>::try_from(l).ok()) else {
            diagnostics.push(info(format!("`{}` takes an identifier, a collection and an output map", e.key)));
            continue;
        };
        let (Some(id), Some(body)) = (id.as_str(), body.as_map()) else {
            diagnostics.push(info(format!("`{}` takes an identifier, a collection and an output map", e.key)));
            continue;
        };
        let Some(values) = collection(coll) else {
            diagnostics.push(info(format!("`{}`: the collection is not known, so the loop is not expanded", e.key)));
            continue;
        };
        let size: usize = body.iter().map(|b| b.value.size()).sum();
        for value in values {
            // The copy's text with the identifier replaced, before it is made.
            let bytes = body
                .iter()
                .map(|b| {
                    substituted_len(&b.key, id, value.len()).saturating_add(substituted_bytes(
                        &b.value,
                        id,
                        value.len(),
                    ))
                })
                .fold(0, usize::saturating_add);
            if size > budget.nodes || bytes > budget.bytes || out.len() >= MAX_EXPANDED {
                diagnostics.push(
                    Diagnostic::warning(
                        file.clone(),
                        "limit",
                        format!(
                            "loops expand beyond {MAX_EXPANDED} resources, {MAX_EXPANDED_NODES} nodes or {MAX_EXPANDED_BYTES} bytes"
                        ),
                    )
                    .at(e.line, e.column),
                );
                // The rest of this loop is left out; the other entries are kept.
                break;
            }
            budget.nodes -= size;
            budget.bytes -= bytes;
            let entries: Vec<TreeEntry> = body
                .iter()
                .map(|b| entry(b, key_subst(&b.key, id, &value), substitute(&b.value, id, &value)))
                .collect();
            expand_into(&entries, collection, file, diagnostics, out, budget, depth + 1);
        }
    }
}

/// An upper bound of the length of `s` once `${id}`, `&{id}` (or the whole
/// string, a `Ref` to the identifier) is replaced by a value of `value_len` bytes.
fn substituted_len(s: &str, id: &str, value_len: usize) -> usize {
    let marks =
        s.matches(&format!("${{{id}}}")).count() + s.matches(&format!("&{{{id}}}")).count() + usize::from(s == id);
    s.len().saturating_add(marks.saturating_mul(value_len))
}

/// [`substituted_len`] over every key and string of a tree.
fn substituted_bytes(tree: &Tree, id: &str, value_len: usize) -> usize {
    match &tree.kind {
        TreeKind::String(s) => substituted_len(s, id, value_len),
        TreeKind::List(items) => {
            items.iter().map(|t| substituted_bytes(t, id, value_len)).fold(0, usize::saturating_add)
        }
        TreeKind::Map(entries) => entries
            .iter()
            .map(|e| substituted_len(&e.key, id, value_len).saturating_add(substituted_bytes(&e.value, id, value_len)))
            .fold(0, usize::saturating_add),
        TreeKind::Null | TreeKind::Bool(_) | TreeKind::Number(_) => 0,
    }
}

/// `${Id}` -> value, `&{Id}` -> value without non-alphanumerics.
fn key_subst(key: &str, id: &str, value: &str) -> String {
    let plain: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
    key.replace(&format!("${{{id}}}"), value).replace(&format!("&{{{id}}}"), &plain)
}

fn substitute(tree: &Tree, id: &str, value: &str) -> Tree {
    let kind = match &tree.kind {
        TreeKind::List(items) => TreeKind::List(items.iter().map(|t| substitute(t, id, value)).collect()),
        TreeKind::Map(entries) => {
            if let Some(e) = tree.single_entry() {
                match (e.key.as_str(), &e.value.kind) {
                    ("Ref", TreeKind::String(s)) if s == id => {
                        return with_kind(tree, TreeKind::String(value.to_string()));
                    }
                    ("Ref" | "Fn::GetAtt" | "Fn::Sub", TreeKind::String(s)) => {
                        return one_entry(tree, e, TreeKind::String(key_subst(s, id, value)));
                    }
                    ("Fn::Sub", TreeKind::List(items)) => {
                        let items = items
                            .iter()
                            .enumerate()
                            .map(|(i, t)| match (&t.kind, i) {
                                (TreeKind::String(s), 0) => with_kind(t, TreeKind::String(key_subst(s, id, value))),
                                _ => substitute(t, id, value),
                            })
                            .collect();
                        return one_entry(tree, e, TreeKind::List(items));
                    }
                    _ => {}
                }
            }
            TreeKind::Map(
                entries
                    .iter()
                    .map(|e| entry(e, key_subst(&e.key, id, value), substitute(&e.value, id, value)))
                    .collect(),
            )
        }
        other => other.clone(),
    };
    with_kind(tree, kind)
}

/// A node at the position of `tree` with other content.
fn with_kind(tree: &Tree, kind: TreeKind) -> Tree {
    Tree { kind, line: tree.line, column: tree.column, end_line: tree.end_line }
}

/// An entry at the position of `e` with another key and value.
fn entry(e: &TreeEntry, key: String, value: Tree) -> TreeEntry {
    TreeEntry { key, line: e.line, column: e.column, value }
}

/// `tree`, a one-entry map `e`, with the entry's value replaced.
fn one_entry(tree: &Tree, e: &TreeEntry, kind: TreeKind) -> Tree {
    let value = with_kind(&e.value, kind);
    with_kind(tree, TreeKind::Map(vec![entry(e, e.key.clone(), value)]))
}
