//! `.tf.json`: Terraform's JSON syntax, read by rewriting it into the
//! equivalent native syntax and parsing that with hcl-edit.
//!
//! Strings in `.tf.json` are templates (`"${var.x}"`), which is exactly what
//! a quoted HCL string is, so the rewrite keeps every string as a quoted
//! string. Each declaration and attribute is written on the line it has in
//! the JSON file (blank lines are inserted where the JSON has more lines),
//! so the spans of the rewritten text are the spans of the original file.
//! Nested blocks written as JSON objects become attributes holding a map
//! (or a list of maps), which evaluates to the same shape. `dynamic`
//! entries become `dynamic` blocks, and the static blocks of a type that a
//! `dynamic` entry also generates are written as blocks, so both merge as
//! they do in native syntax.

use std::collections::BTreeSet;
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
    /// Whether the bodies being written can hold nested blocks (resources
    /// and data sources); elsewhere a `dynamic` key is an ordinary name.
    nested_blocks: bool,
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

    /// A JSON string as a quoted HCL template. The literal parts are
    /// escaped; the expressions inside `${...}` and `%{...}` are HCL source
    /// and are copied as they are (their own string literals included), so
    /// `"${lookup(var.m, \"k\")}"` in JSON reads as `lookup(var.m, "k")`.
    fn quoted(&mut self, s: &str) {
        /// Where the scanner is: inside an interpolation (with its count
        /// of open braces) or inside a string literal within one.
        enum Mode {
            Expr(usize),
            Str,
        }
        let mut stack: Vec<Mode> = Vec::new();
        let mut chars = s.chars().peekable();
        self.out.push('"');
        while let Some(c) = chars.next() {
            match stack.last_mut() {
                None => match c {
                    '$' | '%' if chars.peek() == Some(&'{') => {
                        chars.next();
                        self.out.push(c);
                        self.out.push('{');
                        stack.push(Mode::Expr(0));
                    }
                    // `$${` and `%%{` are literal text in both syntaxes.
                    '$' | '%' if chars.peek() == Some(&c) => {
                        chars.next();
                        self.out.push(c);
                        self.out.push(c);
                        if chars.peek() == Some(&'{') {
                            chars.next();
                            self.out.push('{');
                        }
                    }
                    c => self.escaped(c),
                },
                Some(Mode::Expr(depth)) => match c {
                    '{' => {
                        *depth += 1;
                        self.out.push(c);
                    }
                    '}' if *depth == 0 => {
                        stack.pop();
                        self.out.push(c);
                    }
                    '}' => {
                        *depth -= 1;
                        self.out.push(c);
                    }
                    '"' => {
                        stack.push(Mode::Str);
                        self.out.push(c);
                    }
                    // Keeps the rewritten text on the JSON string's line.
                    '\n' | '\r' | '\t' => self.out.push(' '),
                    c => self.out.push(c),
                },
                Some(Mode::Str) => match c {
                    '\\' => {
                        self.out.push(c);
                        if let Some(n) = chars.next() {
                            self.escaped_raw(n);
                        }
                    }
                    '"' => {
                        stack.pop();
                        self.out.push(c);
                    }
                    '$' | '%' if chars.peek() == Some(&'{') => {
                        chars.next();
                        self.out.push(c);
                        self.out.push('{');
                        stack.push(Mode::Expr(0));
                    }
                    c => self.escaped_raw(c),
                },
            }
        }
        self.out.push('"');
    }

    /// A character of literal template text.
    fn escaped(&mut self, c: char) {
        match c {
            '"' => self.out.push_str("\\\""),
            '\\' => self.out.push_str("\\\\"),
            c => self.escaped_raw(c),
        }
    }

    /// A character inside HCL string source: only the characters that
    /// cannot appear raw on one line are escaped.
    fn escaped_raw(&mut self, c: char) {
        match c {
            '\n' => self.out.push_str("\\n"),
            '\r' => self.out.push_str("\\r"),
            '\t' => self.out.push_str("\\t"),
            c => self.out.push(c),
        }
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
    ///
    /// Without a schema, an object under a key is an attribute holding a
    /// map. Two things show that a key names a nested block instead, and
    /// then it is written as blocks (so it merges with the dynamic blocks
    /// of the same type as in native syntax): a `dynamic` entry generating
    /// blocks of that type, or a `dynamic` entry inside its own body.
    fn attributes(&mut self, body: &Node, depth: usize) {
        let dynamic_types = if self.nested_blocks { dynamic_types(body) } else { BTreeSet::new() };
        for (k, v) in body.entries() {
            if k == "//" {
                continue;
            }
            if self.nested_blocks && k == "dynamic" && is_dynamic(v) {
                self.dynamic(v, depth);
                continue;
            }
            if !is_ident(k) {
                continue;
            }
            if self.nested_blocks
                && depth < MAX_DEPTH
                && is_block_value(v)
                && (dynamic_types.contains(k) || has_dynamic(v))
            {
                self.blocks_at(k, v, 0, &mut Vec::new(), depth + 1);
                continue;
            }
            self.newline_at(self.line_of(v.range().start));
            self.out.push_str(k);
            self.out.push_str(" = ");
            self.expr(v, 0);
        }
    }

    /// `"dynamic": {"TYPE": {"for_each": ..., "iterator": "NAME",
    /// "labels": [...], "content": {...}}}`, where each `TYPE` may also hold
    /// a list of such objects and the whole value may be a list of objects:
    /// written as `dynamic "TYPE" { ... content { ... } }` blocks.
    fn dynamic(&mut self, node: &Node, depth: usize) {
        if depth >= MAX_DEPTH {
            return;
        }
        if let Some(items) = node.as_array() {
            for item in items {
                self.dynamic(item, depth + 1);
            }
            return;
        }
        for (ty, specs) in node.entries() {
            if ty == "//" {
                continue;
            }
            for spec in
                specs.as_array().map(<[Node]>::iter).into_iter().flatten().chain(specs.is_object().then_some(specs))
            {
                if !spec.is_object() {
                    continue;
                }
                self.newline_at(self.line_of(spec.range().start));
                self.out.push_str("dynamic ");
                self.label(ty);
                self.out.push_str(" {");
                for (k, v) in spec.entries() {
                    match k {
                        "for_each" | "labels" => {
                            self.newline_at(self.line_of(v.range().start));
                            self.out.push_str(k);
                            self.out.push_str(" = ");
                            self.expr(v, 0);
                        }
                        // The iterator is an identifier, given as a string.
                        "iterator" => {
                            if let Some(name) = v.as_str().filter(|n| is_ident(n)) {
                                self.newline_at(self.line_of(v.range().start));
                                self.out.push_str("iterator = ");
                                self.out.push_str(name);
                            }
                        }
                        "content" => {
                            let contents = v
                                .as_array()
                                .map(<[Node]>::iter)
                                .into_iter()
                                .flatten()
                                .chain(v.is_object().then_some(v));
                            for c in contents.filter(|c| c.is_object()) {
                                self.newline_at(self.line_of(c.range().start));
                                self.out.push_str("content {");
                                self.attributes(c, depth + 1);
                                self.newline_at(self.line_of(c.range().end.saturating_sub(1)));
                                self.out.push('}');
                            }
                        }
                        _ => {}
                    }
                }
                self.newline_at(self.line_of(spec.range().end.saturating_sub(1)));
                self.out.push('}');
            }
        }
    }

    /// `ident "label"... { attributes }` for each object under `labels`
    /// levels of nesting (arrays of objects allowed at every level).
    fn blocks(&mut self, ident: &str, node: &Node, labels: usize, prefix: &mut Vec<String>) {
        self.blocks_at(ident, node, labels, prefix, 0);
    }

    fn blocks_at(&mut self, ident: &str, node: &Node, labels: usize, prefix: &mut Vec<String>, depth: usize) {
        if let Some(items) = node.as_array() {
            for item in items {
                self.blocks_at(ident, item, labels, prefix, depth);
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
            self.attributes(node, depth);
            self.newline_at(self.line_of(node.range().end.saturating_sub(1)));
            self.out.push('}');
            return;
        }
        for (k, v) in node.entries() {
            if k == "//" {
                continue;
            }
            prefix.push(k.to_string());
            self.blocks_at(ident, v, labels - 1, prefix, depth);
            prefix.pop();
        }
    }
}

/// True for the value of a `dynamic` key: an object (or list of objects)
/// mapping block types to objects (or lists of objects) with a `content`.
fn is_dynamic(v: &Node) -> bool {
    let spec = |s: &Node| s.is_object() && s.get("content").is_some();
    let types = |o: &Node| {
        o.is_object()
            && o.entries()
                .filter(|(k, _)| *k != "//")
                .all(|(_, s)| spec(s) || s.as_array().is_some_and(|items| !items.is_empty() && items.iter().all(spec)))
    };
    types(v) || v.as_array().is_some_and(|items| !items.is_empty() && items.iter().all(types))
}

/// The block types a body's `dynamic` entry generates.
fn dynamic_types(body: &Node) -> BTreeSet<String> {
    let Some(d) = body.get("dynamic").filter(|d| is_dynamic(d)) else { return BTreeSet::new() };
    let objects: Vec<&Node> = match d.as_array() {
        Some(items) => items.iter().collect(),
        None => vec![d],
    };
    objects.into_iter().flat_map(|o| o.entries().map(|(k, _)| k.to_string())).collect()
}

/// An object or a non-empty list of objects: what a nested block can be.
fn is_block_value(v: &Node) -> bool {
    v.is_object() || v.as_array().is_some_and(|items| !items.is_empty() && items.iter().all(Node::is_object))
}

/// True when a block value holds a `dynamic` entry of its own.
fn has_dynamic(v: &Node) -> bool {
    match v.as_array() {
        Some(items) => items.iter().any(has_dynamic),
        None => v.get("dynamic").is_some_and(is_dynamic),
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
    let mut w = Writer { out: String::new(), line: 1, index: &index, nested_blocks: true };
    if !root.is_object() {
        return Err(Diagnostic::error(file.clone(), "parse", "a .tf.json file must hold a JSON object"));
    }
    for (k, v) in root.entries() {
        match k {
            "resource" | "data" => {
                w.nested_blocks = true;
                w.blocks(k, v, 2, &mut Vec::new());
            }
            "variable" | "output" | "module" => {
                w.nested_blocks = false;
                w.blocks(k, v, 1, &mut Vec::new());
            }
            "locals" => {
                w.nested_blocks = false;
                w.blocks(k, v, 0, &mut Vec::new());
            }
            _ => {}
        }
    }
    let out = w.out;
    // The rewrite is line-aligned with the file: a located error points into it.
    match super::parse_hcl(&out, file, "cannot read Terraform JSON") {
        Ok(b) => Ok((b, out)),
        Err(d) if d.code == "limit" => Err(d),
        Err(d) => Err(Diagnostic { code: "parse", line: None, column: None, ..d }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str) -> String {
        let file: Arc<str> = Arc::from("main.tf.json");
        match body(text, &file) {
            Ok((_, out)) => out,
            Err(d) => panic!("{}", d.message),
        }
    }

    #[test]
    fn strings_keep_the_expressions_of_their_interpolations() {
        let index = LineIndex::new("");
        let mut w = Writer { out: String::new(), line: 1, index: &index, nested_blocks: true };
        w.quoted("a\"b\\c ${lookup(var.m, \"k\\\"q\")} %{ if x == \"y\" }z%{ endif } $${lit} ${ {a = 1}.a }\n");
        assert_eq!(w.out, r#""a\"b\\c ${lookup(var.m, "k\"q")} %{ if x == "y" }z%{ endif } $${lit} ${ {a = 1}.a }\n""#);
    }

    #[test]
    fn a_local_named_dynamic_stays_a_local() {
        let text = r#"{"locals": {"dynamic": {"x": {"content": {"a": 1}}}}}"#;
        assert_eq!(rewrite(text), "\nlocals {\ndynamic = {\"x\" = {\"content\" = {\"a\" = 1,},},}\n}");
    }

    #[test]
    fn dynamic_entries_become_dynamic_blocks() {
        let text = r#"{"resource": {"aws_security_group": {"sg": {
  "ingress": {"from_port": 80},
  "dynamic": {"ingress": {
    "for_each": "${var.rules}",
    "iterator": "rule",
    "content": {"from_port": "${rule.value}"}
  }},
  "tags": {"dynamic": "x"}
}}}}"#;
        assert_eq!(
            rewrite(text),
            "\nresource \"aws_security_group\" \"sg\" {\ningress {\nfrom_port = 80\n}\ndynamic \"ingress\" {\n\
             for_each = \"${var.rules}\"\niterator = rule\ncontent {\nfrom_port = \"${rule.value}\"\n}\n}\n\
             tags = {\"dynamic\" = \"x\",}\n}"
        );
    }
}
