//! `.tf.json`: Terraform's JSON syntax, read by rewriting it into the
//! equivalent native syntax and parsing that with hcl-edit.
//!
//! Strings in `.tf.json` are templates (`"${var.x}"`), which is exactly what
//! a quoted HCL string is, so the rewrite keeps every string as a quoted
//! string. Each declaration and attribute is written on the line it has in
//! the JSON file (blank lines are inserted where the JSON has more lines),
//! so the spans of the rewritten text are the spans of the original file.
//! Nested blocks written as JSON objects become attributes holding a map
//! (or a list of maps), which evaluates to the same shape.

use std::sync::Arc;

use hcl_edit::structure::Body;

use crate::diagnostic::Diagnostic;
use crate::parse::json::{self, Kind, Node};
use crate::span::LineIndex;

/// Maximum nesting written (the JSON parser already bounds its depth).
const MAX_DEPTH: usize = 120;

struct Writer<'a> {
    out: String,
    line: u32,
    index: &'a LineIndex,
}

impl Writer<'_> {
    fn pad_to(&mut self, node: &Node) {
        let (target, _) = self.index.line_col(node.range().start);
        while self.line < target {
            self.out.push('\n');
            self.line += 1;
        }
    }

    /// Starts a new line, on the line where `node` begins when possible.
    fn newline_at(&mut self, target: u32) {
        while self.line + 1 < target {
            self.out.push('\n');
            self.line += 1;
        }
        self.out.push('\n');
        self.line += 1;
    }

    fn line_of(&self, offset: usize) -> u32 {
        self.index.line_col(offset).0
    }

    fn pad_to_end(&mut self, node: &Node) {
        let (target, _) = self.index.line_col(node.range().end.saturating_sub(1));
        while self.line < target {
            self.out.push('\n');
            self.line += 1;
        }
    }

    fn quoted(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    /// A JSON string as an HCL identifier when it is one, else quoted.
    fn label(&mut self, s: &str) {
        self.quoted(s);
    }

    fn expr(&mut self, node: &Node, depth: usize) {
        if depth > MAX_DEPTH {
            self.out.push_str("null");
            return;
        }
        match node.kind() {
            Kind::Null => self.out.push_str("null"),
            Kind::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Kind::Number(n) => self.out.push_str(&n.to_string()),
            Kind::String(s) => self.quoted(s),
            Kind::Array(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.pad_to(item);
                    self.expr(item, depth + 1);
                }
                self.pad_to_end(node);
                self.out.push(']');
            }
            Kind::Object(_) => {
                self.out.push('{');
                for (k, v) in node.entries() {
                    self.pad_to(v);
                    self.quoted(k);
                    self.out.push_str(" = ");
                    self.expr(v, depth + 1);
                    self.out.push(',');
                }
                self.pad_to_end(node);
                self.out.push('}');
            }
        }
    }

    /// Attributes of a block body (an object), one per line.
    fn attributes(&mut self, body: &Node) {
        for (k, v) in body.entries() {
            if k == "//" {
                continue;
            }
            if !is_ident(k) {
                continue;
            }
            self.newline_at(self.line_of(v.range().start));
            self.out.push_str(k);
            self.out.push_str(" = ");
            self.expr(v, 0);
        }
    }

    /// `ident "label"... { attributes }` for each object under `labels`
    /// levels of nesting (arrays of objects allowed at every level).
    fn blocks(&mut self, ident: &str, node: &Node, labels: usize, prefix: &mut Vec<String>) {
        if let Some(items) = node.as_array() {
            for item in items {
                self.blocks(ident, item, labels, prefix);
            }
            return;
        }
        if labels == 0 {
            self.newline_at(self.line_of(node.range().start));
            self.out.push_str(ident);
            for l in prefix.clone() {
                self.out.push(' ');
                self.label(&l);
            }
            self.out.push_str(" {");
            self.attributes(node);
            self.newline_at(self.line_of(node.range().end.saturating_sub(1)));
            self.out.push('}');
            return;
        }
        for (k, v) in node.entries() {
            if k == "//" {
                continue;
            }
            prefix.push(k.to_string());
            self.blocks(ident, v, labels - 1, prefix);
            prefix.pop();
        }
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads a `.tf.json` file into a body, and the text the body's spans refer
/// to (line-aligned with the original file).
pub(super) fn body(text: &str, file: &Arc<str>) -> Result<(Body, String), Diagnostic> {
    let root = json::parse(text, file)?;
    let index = LineIndex::new(text);
    let mut w = Writer { out: String::new(), line: 1, index: &index };
    if !root.is_object() {
        return Err(Diagnostic::error(file.clone(), "parse", "a .tf.json file must hold a JSON object"));
    }
    for (k, v) in root.entries() {
        match k {
            "resource" | "data" => w.blocks(k, v, 2, &mut Vec::new()),
            "variable" | "output" | "module" => w.blocks(k, v, 1, &mut Vec::new()),
            "locals" => w.blocks(k, v, 0, &mut Vec::new()),
            _ => {}
        }
    }
    let out = w.out;
    match hcl_edit::parser::parse_body(&out) {
        Ok(b) => Ok((b, out)),
        Err(e) => Err(Diagnostic::error(file.clone(), "parse", format!("cannot read Terraform JSON: {}", e.message()))),
    }
}
