//! JSON with source spans (for `.tf.json`, CloudFormation JSON, raw IAM
//! policies and plans).
//!
//! A small strict parser (RFC 8259: no comments, no trailing commas) that
//! keeps the byte range of every value and every object key, keeps object
//! entries in document order, and never recurses deeper than
//! [`MAX_DEPTH`] levels: deeper input gives a `limit` diagnostic instead of
//! exhausting the stack.
//!
//! ```ignore
//! let node = json::parse(text, &file)?;             // Err: `parse`/`limit` Diagnostic with line/column
//! let dups = node.duplicate_keys(&file, &LineIndex::new(text)); // warnings, last value wins
//! if let Some(stmts) = node.get("Statement") { ... }
//! for (key, value) in node.entries() { ... }         // objects, in document order
//! for item in node.items() { ... }                   // arrays
//! let value: Value = node.to_value();
//! let mut spans = BTreeMap::new();
//! node.record_spans("policy", &index, &mut spans);    // spans["policy.Statement[0]"] …
//! ```

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::graph::LineRange;
use crate::graph::path;
use crate::span::LineIndex;
use crate::value::Value;

/// Maximum nesting of arrays and objects. Matches what the Rego engine
/// accepts as input, so anything that parses can also be evaluated.
pub(crate) const MAX_DEPTH: usize = 128;

/// A JSON value with the byte range it occupies in the source text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    kind: Kind,
    range: Range<usize>,
}

/// The kind and content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Object),
}

/// The entries of an object in document order. A key written twice keeps
/// its first position and its last value (as `serde_json` does); the byte
/// ranges of the overridden keys are kept in `duplicates`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Object {
    entries: Vec<Entry>,
    duplicates: Vec<Range<usize>>,
}

/// One `"key": value` pair.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    /// Byte range of the key including its quotes.
    pub(crate) key_range: Range<usize>,
    pub(crate) value: Node,
}

#[allow(dead_code, reason = "shared API of the JSON readers; not every reader uses every accessor")]
impl Node {
    pub(crate) fn kind(&self) -> &Kind {
        &self.kind
    }

    /// Byte range of the value in the source text (`start..end`, end exclusive).
    pub(crate) fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self.kind, Kind::Object(_))
    }

    pub(crate) fn is_array(&self) -> bool {
        matches!(self.kind, Kind::Array(_))
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn as_number(&self) -> Option<&serde_json::Number> {
        match &self.kind {
            Kind::Number(n) => Some(n),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&Object> {
        match &self.kind {
            Kind::Object(o) => Some(o),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value of `key` in an object; `None` for non-objects and missing keys.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// The entry (key with its range, and value) of `key` in an object.
    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_object().and_then(|o| o.entry(key))
    }

    /// The `(key, value)` pairs of an object in document order; empty for
    /// other kinds.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.as_object().map(|o| o.entries.as_slice()).unwrap_or(&[]).iter().map(|e| (e.key.as_str(), &e.value))
    }

    /// The items of an array; empty for other kinds.
    pub(crate) fn items(&self) -> impl Iterator<Item = &Node> {
        self.as_array().unwrap_or(&[]).iter()
    }

    /// Converts to a [`Value`] (objects become maps; numbers keep their form).
    pub(crate) fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.clone()),
            Kind::Array(items) => Value::List(items.iter().map(Node::to_value).collect()),
            Kind::Object(o) => Value::Map(o.entries.iter().map(|e| (e.key.clone(), e.value.to_value())).collect()),
        }
    }

    /// Converts to plain `serde_json` (entry order kept).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            Kind::Null => serde_json::Value::Null,
            Kind::Bool(b) => serde_json::Value::Bool(*b),
            Kind::Number(n) => serde_json::Value::Number(n.clone()),
            Kind::String(s) => serde_json::Value::String(s.clone()),
            Kind::Array(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Object(o) => {
                serde_json::Value::Object(o.entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect())
            }
        }
    }

    /// Records the line range of this node under `at` (unless `at` is empty)
    /// and of every nested value under its attribute path (`a.b[0].c`, see
    /// [`crate::graph::path`]).
    pub(crate) fn record_spans(&self, at: &str, index: &LineIndex, spans: &mut BTreeMap<String, LineRange>) {
        if !at.is_empty() {
            spans.insert(at.to_string(), self.line_range(index));
        }
        let mut p = at.to_string();
        self.record_children(&mut p, index, spans);
    }

    fn record_children(&self, p: &mut String, index: &LineIndex, spans: &mut BTreeMap<String, LineRange>) {
        let base = p.len();
        match &self.kind {
            Kind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path::push_index(p, i);
                    spans.insert(p.clone(), item.line_range(index));
                    item.record_children(p, index, spans);
                    p.truncate(base);
                }
            }
            Kind::Object(o) => {
                for e in &o.entries {
                    path::push_key(p, &e.key);
                    spans.insert(p.clone(), e.line_range(index));
                    e.value.record_children(p, index, spans);
                    p.truncate(base);
                }
            }
            _ => {}
        }
    }

    /// 1-based lines covered by this value.
    pub(crate) fn line_range(&self, index: &LineIndex) -> LineRange {
        line_range(index, self.range.start, self.range.end)
    }

    /// 1-based (line, column) of the start of this value.
    pub(crate) fn line_col(&self, index: &LineIndex) -> (u32, u32) {
        index.line_col(self.range.start)
    }

    /// One `duplicate-key` warning per key written more than once in any
    /// object of this document (the last value is the one kept).
    pub(crate) fn duplicate_keys(&self, file: &Arc<str>, index: &LineIndex) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.collect_duplicates(file, index, &mut out);
        out
    }

    fn collect_duplicates(&self, file: &Arc<str>, index: &LineIndex, out: &mut Vec<Diagnostic>) {
        match &self.kind {
            Kind::Array(items) => items.iter().for_each(|i| i.collect_duplicates(file, index, out)),
            Kind::Object(o) => {
                for r in &o.duplicates {
                    let (line, column) = index.line_col(r.start);
                    let key = o
                        .entries
                        .iter()
                        .find(|e| e.key_range == *r)
                        .map(|e| e.key.clone())
                        .unwrap_or_else(|| "key".to_string());
                    out.push(
                        Diagnostic::warning(
                            file.clone(),
                            "duplicate-key",
                            format!("duplicate key `{key}`: the last value is used"),
                        )
                        .at(line, column),
                    );
                }
                o.entries.iter().for_each(|e| e.value.collect_duplicates(file, index, out));
            }
            _ => {}
        }
    }
}

#[allow(dead_code, reason = "shared API of the JSON readers")]
impl Entry {
    /// Lines from the key to the end of the value.
    pub(crate) fn line_range(&self, index: &LineIndex) -> LineRange {
        line_range(index, self.key_range.start, self.value.range.end)
    }
}

impl Object {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

fn line_range(index: &LineIndex, start: usize, end: usize) -> LineRange {
    let (line, _) = index.line_col(start);
    let (end_line, _) = index.line_col(end.saturating_sub(1).max(start));
    LineRange { line, end_line: end_line.max(line) }
}

/// Parses a complete JSON document. Errors are `parse` diagnostics (or
/// `limit` for nesting deeper than [`MAX_DEPTH`]) with the line and column
/// of the offending byte. A leading byte-order mark is accepted.
pub(crate) fn parse(text: &str, file: &Arc<str>) -> Result<Node, Diagnostic> {
    let mut p = Parser { text, bytes: text.as_bytes(), pos: 0 };
    if text.starts_with('\u{feff}') {
        p.pos = '\u{feff}'.len_utf8();
    }
    let result = p.skip_ws().and_then(|()| p.value(0)).and_then(|node| {
        p.skip_ws()?;
        if p.pos < p.bytes.len() { Err(p.err("unexpected content after the JSON value")) } else { Ok(node) }
    });
    result.map_err(|e| {
        let (line, column) = LineIndex::new(text).line_col(e.offset);
        Diagnostic::error(file.clone(), e.code, format!("invalid JSON: {}", e.message)).at(line, column)
    })
}

/// The number a JSON number literal denotes: an integer when it fits
/// `i64`/`u64`, otherwise the correctly rounded `f64`; `None` when infinite.
/// The literal's syntax is not checked.
pub(crate) fn number_from_literal(literal: &str) -> Option<serde_json::Number> {
    if !literal.contains(['.', 'e', 'E']) {
        if let Ok(n) = literal.parse::<i64>() {
            return Some(n.into());
        }
        if let Ok(n) = literal.parse::<u64>() {
            return Some(n.into());
        }
    }
    // Rust's float parsing is correctly rounded.
    literal.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
}

struct ParseError {
    offset: usize,
    code: &'static str,
    message: String,
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError { offset: self.pos, code: "parse", message: message.into() }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Result<(), ParseError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' => return Err(self.err("comments are not allowed")),
                _ => break,
            }
        }
        Ok(())
    }

    fn expect_byte(&mut self, want: u8, what: &str) -> Result<(), ParseError> {
        match self.peek() {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.err(format!("expected {what}, found {}", self.describe()))),
            None => Err(self.err(format!("expected {what}, found end of file"))),
        }
    }

    fn describe(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => format!("`{}`", c.escape_debug()),
            None => "end of file".to_string(),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        let kind = match self.peek() {
            None => return Err(self.err("expected a value, found end of file")),
            Some(b'{') => {
                self.check_depth(depth)?;
                Kind::Object(self.object(depth)?)
            }
            Some(b'[') => {
                self.check_depth(depth)?;
                Kind::Array(self.array(depth)?)
            }
            Some(b'"') => Kind::String(self.string()?),
            Some(b't') => self.literal("true", Kind::Bool(true))?,
            Some(b'f') => self.literal("false", Kind::Bool(false))?,
            Some(b'n') => self.literal("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => Kind::Number(self.number()?),
            Some(_) => return Err(self.err(format!("expected a value, found {}", self.describe()))),
        };
        Ok(Node { kind, range: start..self.pos })
    }

    fn check_depth(&self, depth: usize) -> Result<(), ParseError> {
        if depth >= MAX_DEPTH {
            Err(ParseError {
                offset: self.pos,
                code: "limit",
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            })
        } else {
            Ok(())
        }
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<Kind, ParseError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.err(format!("expected a value, found {}", self.describe())))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Object, ParseError> {
        self.pos += 1; // '{'
        let mut obj = Object::default();
        // Key -> entry index, so that duplicate detection stays linear.
        let mut seen: HashMap<String, usize> = HashMap::new();
        self.skip_ws()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(obj);
        }
        loop {
            self.skip_ws()?;
            if self.peek() != Some(b'"') {
                let msg = if self.peek() == Some(b'}') {
                    "trailing comma in object".to_string()
                } else {
                    format!("expected a string key, found {}", self.describe())
                };
                return Err(self.err(msg));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_range = key_start..self.pos;
            self.skip_ws()?;
            self.expect_byte(b':', "`:`")?;
            self.skip_ws()?;
            let value = self.value(depth + 1)?;
            match seen.get(&key).and_then(|i| obj.entries.get_mut(*i)) {
                Some(existing) => {
                    obj.duplicates.push(key_range.clone());
                    existing.value = value;
                    existing.key_range = key_range;
                }
                None => {
                    seen.insert(key.clone(), obj.entries.len());
                    obj.entries.push(Entry { key, key_range, value });
                }
            }
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(obj);
                }
                _ => return Err(self.err(format!("expected `,` or `}}`, found {}", self.describe()))),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Node>, ParseError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            self.skip_ws()?;
            if self.peek() == Some(b']') {
                return Err(self.err("trailing comma in array"));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.err(format!("expected `,` or `]`, found {}", self.describe()))),
            }
        }
    }

    fn number(&mut self) -> Result<serde_json::Number, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number: expected a digit after `.`"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number: expected a digit in the exponent"));
            }
            self.digits();
        }
        let literal = self.text.get(start..self.pos).unwrap_or("0");
        number_from_literal(literal).ok_or_else(|| ParseError {
            offset: start,
            code: "parse",
            message: format!("number `{literal}` is out of range"),
        })
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos).unwrap_or(""));
            match self.peek() {
                None => {
                    return Err(ParseError { offset: open, code: "parse", message: "unterminated string".into() });
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| self.err("unterminated escape sequence"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.pos -= 1;
                            return Err(self.err(format!("invalid escape `\\{}`", self.describe().trim_matches('`'))));
                        }
                    }
                }
                Some(_) => return Err(self.err("control character in string (escape it)")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or_else(|| self.err("invalid `\\u` escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.err("invalid `\\u` escape"));
        }
        let n = u32::from_str_radix(digits, 16).map_err(|_| self.err("invalid `\\u` escape"))?;
        self.pos += 4;
        Ok(n)
    }

    /// A `\uXXXX` escape (after the `u`), joining surrogate pairs. A lone
    /// surrogate, which JSON's grammar allows but UTF-8 cannot hold, becomes
    /// U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u") {
                let save = self.pos;
                self.pos += 2;
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
                }
                self.pos = save;
            }
            return Ok('\u{fffd}');
        }
        Ok(char::from_u32(first).unwrap_or('\u{fffd}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<str> {
        Arc::from("t.json")
    }

    #[test]
    fn parses_values_with_ranges_in_order() {
        let text = "{\n  \"b\": [1, -2.5e3, true, null],\n  \"a\": {\"x\": \"y\\n\\u00e9\\ud83d\\ude00\"}\n}";
        let n = parse(text, &file()).unwrap();
        let keys: Vec<&str> = n.entries().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b", "a"]);
        let b = n.get("b").unwrap();
        assert_eq!(&text[b.range()], "[1, -2.5e3, true, null]");
        assert_eq!(b.items().count(), 4);
        assert_eq!(n.get("a").and_then(|a| a.get("x")).and_then(Node::as_str), Some("y\né😀"));
        let e = n.entry("a").unwrap();
        assert_eq!(&text[e.key_range.clone()], "\"a\"");
        assert_eq!(n.to_value().to_json(), serde_json::json!({"a": {"x": "y\né😀"}, "b": [1, -2500.0, true, null]}));
    }

    #[test]
    fn records_spans_for_every_path() {
        let text = "{\n  \"Statement\": [\n    {\n      \"Action\": \"s3:*\"\n    }\n  ],\n  \"a.b\": 1\n}\n";
        let n = parse(text, &file()).unwrap();
        let mut spans = BTreeMap::new();
        n.record_spans("", &LineIndex::new(text), &mut spans);
        let got: Vec<(String, u32, u32)> = spans.into_iter().map(|(k, r)| (k, r.line, r.end_line)).collect();
        assert_eq!(
            got,
            vec![
                ("Statement".to_string(), 2, 6),
                ("Statement[0]".to_string(), 3, 5),
                ("Statement[0].Action".to_string(), 4, 4),
                ("[\"a.b\"]".to_string(), 7, 7),
            ]
        );
        let mut spans = BTreeMap::new();
        n.get("Statement").unwrap().record_spans("policy.Statement", &LineIndex::new(text), &mut spans);
        assert!(spans.contains_key("policy.Statement"));
        assert!(spans.contains_key("policy.Statement[0].Action"));
    }

    #[test]
    fn duplicate_keys_warn_and_last_wins() {
        let text = "{\"a\": 1, \"b\": 2,\n \"a\": 3}";
        let n = parse(text, &file()).unwrap();
        assert_eq!(n.get("a").and_then(Node::as_number).and_then(|x| x.as_i64()), Some(3));
        assert_eq!(n.entries().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
        let d = n.duplicate_keys(&file(), &LineIndex::new(text));
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].code, d[0].line, d[0].column), ("duplicate-key", Some(2), Some(2)));
        assert_eq!(d[0].level, crate::DiagnosticLevel::Warning);
    }

    #[test]
    fn errors_have_positions() {
        let cases = [
            ("{\"a\": 1,}", "parse", 1, 9),
            ("[1, 2,]", "parse", 1, 7),
            ("{\n  // c\n}", "parse", 2, 3),
            ("{\"a\" 1}", "parse", 1, 6),
            ("[1 2]", "parse", 1, 4),
            ("\"abc", "parse", 1, 1),
            ("[01]", "parse", 1, 3),
            ("{} x", "parse", 1, 4),
            ("", "parse", 1, 1),
            ("[1.]", "parse", 1, 4),
            ("\"\\x\"", "parse", 1, 3),
            ("\"a\tb\"", "parse", 1, 3),
            ("[tru]", "parse", 1, 2),
            ("{\"a\": [1,\n", "parse", 2, 1),
            ("[1e999]", "parse", 1, 2),
        ];
        for (text, code, line, column) in cases {
            let d = parse(text, &file()).unwrap_err();
            assert_eq!((d.code, d.line, d.column), (code, Some(line), Some(column)), "{text:?}: {}", d.message);
            assert_eq!(d.level, crate::DiagnosticLevel::Error);
        }
    }

    #[test]
    fn deep_nesting_is_a_limit_not_a_crash() {
        let deep = "[".repeat(200_000) + &"]".repeat(200_000);
        let d = parse(&deep, &file()).unwrap_err();
        assert_eq!(d.code, "limit");
        assert_eq!((d.line, d.column), (Some(1), Some(129)));
        let deep_obj = "{\"a\":".repeat(200_000);
        assert_eq!(parse(&deep_obj, &file()).unwrap_err().code, "limit");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok, &file()).is_ok());
    }

    #[test]
    fn accepts_bom_and_big_numbers() {
        let n = parse("\u{feff} {\"n\": 12345678901234567890123, \"m\": 18446744073709551615}", &file()).unwrap();
        assert!(n.get("n").and_then(Node::as_number).is_some_and(|x| x.is_f64()));
        assert_eq!(n.get("m").and_then(Node::as_number).and_then(|x| x.as_u64()), Some(u64::MAX));
    }

    #[test]
    fn many_keys_stay_fast() {
        let text = format!("{{{}}}", (0..200_000).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(","));
        let n = parse(&text, &file()).unwrap();
        assert_eq!(n.as_object().map(|o| o.entries().len()), Some(200_000));
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| serde_json::json!(f)),
            ".*".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
                proptest::collection::vec((".*", inner), 0..8)
                    .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_serde_json(v in arb_json()) {
            for text in [serde_json::to_string(&v).unwrap(), serde_json::to_string_pretty(&v).unwrap()] {
                let n = parse(&text, &file()).unwrap();
                proptest::prop_assert_eq!(n.to_json(), v.clone());
                proptest::prop_assert_eq!(n.range(), 0..text.len());
            }
        }

        #[test]
        fn never_panics(text in ".{0,64}", cut in 0usize..64) {
            let _ = parse(&text, &file());
            let doc = format!("{{\"a\": [1, {{\"b\": \"{}\"}}], \"c\": null}}", text.escape_default());
            let cut = doc.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(doc.len());
            let _ = parse(&doc[..cut], &file());
        }
    }

    #[test]
    fn lone_surrogate_becomes_replacement() {
        let n = parse("\"\\ud800x\"", &file()).unwrap();
        assert_eq!(n.as_str(), Some("\u{fffd}x"));
    }
}
