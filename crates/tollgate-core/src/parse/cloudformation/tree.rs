//! The template tree shared by the YAML and JSON readers: plain data with
//! line positions. YAML short-form tags are already rewritten to their long
//! form (`!Ref X` is the map `{"Ref": "X"}`), so the evaluator sees one
//! shape whatever the source format.

use crate::graph::LineRange;
use crate::parse::json::{Kind, Node};
use crate::span::LineIndex;
use crate::value::Value;

/// One node of a template with its position (1-based lines and column).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    pub(crate) kind: TreeKind,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) end_line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TreeKind {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Tree>),
    Map(Vec<TreeEntry>),
}

/// A key and its value; `line`/`column` are the key's position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TreeEntry {
    pub(crate) key: String,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) value: Tree,
}

/// The cost of copying a tree: its nodes and the bytes of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Measure {
    pub(crate) nodes: usize,
    pub(crate) bytes: usize,
}

impl Measure {
    fn add(&mut self, other: Measure) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

impl TreeEntry {
    /// Lines from the key to the end of the value.
    pub(crate) fn lines(&self) -> LineRange {
        LineRange { line: self.line, end_line: self.value.end_line.max(self.line) }
    }
}

impl Tree {
    pub(crate) fn lines(&self) -> LineRange {
        LineRange { line: self.line, end_line: self.end_line.max(self.line) }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            TreeKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[TreeEntry]> {
        match &self.kind {
            TreeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub(crate) fn as_list(&self) -> Option<&[Tree]> {
        match &self.kind {
            TreeKind::List(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Tree> {
        self.entry(key).map(|e| &e.value)
    }

    pub(crate) fn entry(&self, key: &str) -> Option<&TreeEntry> {
        self.as_map().and_then(|m| m.iter().find(|e| e.key == key))
    }

    /// The only entry of a one-entry map (the shape of an intrinsic function).
    pub(crate) fn single_entry(&self) -> Option<&TreeEntry> {
        match self.as_map() {
            Some([only]) => Some(only),
            _ => None,
        }
    }

    /// Number of nodes in this tree (for the loop-expansion budget).
    pub(crate) fn size(&self) -> usize {
        self.measure().nodes
    }

    /// Nodes and text bytes (scalars and keys) of this tree, in one pass:
    /// what copying it costs, for the alias, anchor and loop budgets.
    pub(crate) fn measure(&self) -> Measure {
        let mut m = Measure { nodes: 1, bytes: 0 };
        match &self.kind {
            TreeKind::String(s) => m.bytes = s.len(),
            TreeKind::Number(_) | TreeKind::Bool(_) | TreeKind::Null => {}
            TreeKind::List(items) => {
                for i in items {
                    m.add(i.measure());
                }
            }
            TreeKind::Map(entries) => {
                for e in entries {
                    m.bytes = m.bytes.saturating_add(e.key.len());
                    m.add(e.value.measure());
                }
            }
        }
        m
    }

    /// The tree as a plain value, without evaluating intrinsic functions.
    pub(crate) fn to_value(&self) -> Value {
        match &self.kind {
            TreeKind::Null => Value::Null,
            TreeKind::Bool(b) => Value::Bool(*b),
            TreeKind::Number(n) => Value::Number(n.clone()),
            TreeKind::String(s) => Value::String(s.clone()),
            TreeKind::List(items) => Value::List(items.iter().map(Tree::to_value).collect()),
            TreeKind::Map(entries) => Value::Map(entries.iter().map(|e| (e.key.clone(), e.value.to_value())).collect()),
        }
    }

    /// Converts a parsed JSON document (nesting already bounded by the JSON parser).
    pub(crate) fn from_json(node: &Node, index: &LineIndex) -> Tree {
        let (line, column) = node.line_col(index);
        let lr = node.line_range(index);
        let kind = match node.kind() {
            Kind::Null => TreeKind::Null,
            Kind::Bool(b) => TreeKind::Bool(*b),
            Kind::Number(n) => TreeKind::Number(n.clone()),
            Kind::String(s) => TreeKind::String(s.clone()),
            Kind::Array(items) => TreeKind::List(items.iter().map(|i| Tree::from_json(i, index)).collect()),
            Kind::Object(o) => TreeKind::Map(
                o.entries()
                    .iter()
                    .map(|e| {
                        let (line, column) = index.line_col(e.key_range.start);
                        TreeEntry { key: e.key.clone(), line, column, value: Tree::from_json(&e.value, index) }
                    })
                    .collect(),
            ),
        };
        Tree { kind, line, column, end_line: lr.end_line }
    }
}
