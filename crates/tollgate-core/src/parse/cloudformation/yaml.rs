//! YAML reader for templates: builds a [`Tree`] straight from the
//! `saphyr-parser` event stream, so that every node keeps its lines, custom
//! tags become intrinsic functions, duplicate keys are warnings instead of
//! failures, and nesting and alias expansion stay bounded.
//!
//! Only the first document of a stream is read. Parsing stops at the first
//! error (the event iterator repeats it forever).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};

use super::tree::{Measure, Tree, TreeEntry, TreeKind};
use crate::diagnostic::Diagnostic;

/// Maximum nesting of sequences and mappings.
pub(crate) const MAX_DEPTH: usize = 128;

/// Maximum number of nodes that alias expansion may produce in one file.
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;

/// Maximum text (scalar and key bytes) that alias expansion may copy in
/// one file: a 1 MB anchored scalar aliased 10,000 times is 10 GB of text
/// in few nodes, which the node count alone lets through.
pub(crate) const MAX_ALIAS_BYTES: usize = 16 << 20;

/// Maximum text kept for anchors (nested anchors copy the same text again).
pub(crate) const MAX_ANCHOR_BYTES: usize = 32 << 20;

/// Maximum number of nodes kept for anchors (each anchored subtree is
/// copied once; nested anchors copy the same nodes again).
pub(crate) const MAX_ANCHOR_NODES: usize = 1_000_000;

/// A parsed YAML document and the warnings (duplicate keys) met on the way.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// `None` for an empty stream.
    pub(crate) root: Option<Tree>,
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Largest file for which [`parse_lenient`] retries.
const LENIENT_MAX_BYTES: usize = 1 << 20;

/// Most indentation repairs [`parse_lenient`] makes in one file.
const LENIENT_MAX_FIXES: usize = 32;

/// Like [`parse`], but accepts what libyaml (and so CloudFormation's own
/// tooling) accepts and saphyr rejects: continuation lines of a quoted
/// scalar, and closing brackets of a flow collection, indented no deeper
/// than their parent key. Such a line is indented by one more space and the
/// text parsed again; leading spaces on these lines carry no meaning (quoted
/// scalars fold them away, flow collections ignore them), so values and
/// line numbers are unchanged. Each repaired line is reported as an `info`
/// diagnostic. If the repairs do not help, the original error is returned.
pub(crate) fn parse_lenient(text: &str, file: &Arc<str>) -> Result<Parsed, Diagnostic> {
    let first = match parse(text, file) {
        Ok(p) => return Ok(p),
        Err(e) => e,
    };
    if text.len() > LENIENT_MAX_BYTES {
        return Err(first);
    }
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let mut repaired = Vec::new();
    let mut err = first.clone();
    for _ in 0..LENIENT_MAX_FIXES {
        let Some(idx) = repair_target(&err, &lines) else { break };
        let Some(line) = lines.get_mut(idx) else { break };
        line.insert(0, ' ');
        let line_no = to_u32(idx + 1);
        if repaired.last() != Some(&line_no) {
            repaired.push(line_no);
        }
        match parse(&lines.join("\n"), file) {
            Ok(mut p) => {
                for l in repaired {
                    p.warnings.push(
                        Diagnostic::info(
                            file.clone(),
                            "yaml-indentation",
                            "line indented no deeper than its parent key; accepted as libyaml does",
                        )
                        .at(l, 1),
                    );
                }
                return Ok(p);
            }
            Err(e) => err = e,
        }
    }
    Err(first)
}

/// The index of the line to indent for an indentation error inside a
/// quoted scalar or a flow collection, or `None` for any other error.
fn repair_target(err: &Diagnostic, lines: &[String]) -> Option<usize> {
    if err.code != "parse" {
        return None;
    }
    let at = usize::try_from(err.line?).ok()?.checked_sub(1)?;
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    if err.message.ends_with("invalid indentation in quoted scalar") {
        // Reported at the scalar's start: the culprit is the first later
        // line indented no deeper than the line the scalar starts on.
        let key_indent = indent(lines.get(at)?);
        return lines
            .iter()
            .enumerate()
            .skip(at + 1)
            .find(|(_, l)| !l.trim().is_empty() && indent(l) <= key_indent)
            .map(|(i, _)| i);
    }
    let first = lines.get(at)?.trim_start().chars().next();
    let flow = err.message.ends_with("invalid indentation in flow construct")
        || (err.message.ends_with("invalid indentation") && matches!(first, Some(']' | '}')));
    flow.then_some(at)
}

/// Reads the first document of `text`. Errors are `parse` diagnostics (or
/// `limit` for too deep nesting or too many alias expansions) with the line
/// and column of the problem.
pub(crate) fn parse(text: &str, file: &Arc<str>) -> Result<Parsed, Diagnostic> {
    let mut b = Builder {
        file: file.clone(),
        stack: Vec::new(),
        anchors: BTreeMap::new(),
        budget: Measure { nodes: MAX_ALIAS_NODES, bytes: MAX_ALIAS_BYTES },
        anchor_budget: Measure { nodes: MAX_ANCHOR_NODES, bytes: MAX_ANCHOR_BYTES },
    };
    let mut warnings = Vec::new();
    let mut root = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let (line, column) = position(e.marker());
            // The parser's own bound on flow-collection nesting.
            let code = if e.info().contains("recursion limit") { "limit" } else { "parse" };
            Diagnostic::error(file.clone(), code, format!("invalid YAML: {}", e.info())).at(line, column)
        })?;
        match b.event(event, span, &mut warnings)? {
            Step::Continue => {}
            Step::Done(tree) => {
                root = Some(tree);
                break;
            }
            Step::End => break,
        }
    }
    Ok(Parsed { root, warnings })
}

fn position(m: &Marker) -> (u32, u32) {
    (to_u32(m.line()), to_u32(m.col() + 1))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

enum Step {
    Continue,
    Done(Tree),
    End,
}

enum Frame {
    List {
        start: Marker,
        anchor: usize,
        tag: Option<Tag>,
        items: Vec<Tree>,
    },
    Map {
        start: Marker,
        anchor: usize,
        tag: Option<Tag>,
        entries: Vec<TreeEntry>,
        /// Key -> entry index, so that duplicate detection stays linear.
        seen: HashMap<String, usize>,
        key: Option<(String, Marker)>,
    },
}

struct Builder {
    file: Arc<str>,
    stack: Vec<Frame>,
    /// Anchored subtrees and their sizes.
    anchors: BTreeMap<usize, (Tree, Measure)>,
    /// Nodes and text bytes that alias expansion may still produce.
    budget: Measure,
    /// Nodes and text bytes that anchors may still keep.
    anchor_budget: Measure,
}

impl Builder {
    fn err(&self, code: &'static str, at: &Marker, message: impl Into<String>) -> Diagnostic {
        let (line, column) = position(at);
        Diagnostic::error(self.file.clone(), code, message).at(line, column)
    }

    fn event(&mut self, event: Event<'_>, span: Span, warnings: &mut Vec<Diagnostic>) -> Result<Step, Diagnostic> {
        match event {
            Event::StreamEnd => return Ok(Step::End),
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => {}
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| t.into_owned());
                // A scalar in key position is taken verbatim.
                if let Some(Frame::Map { key: key @ None, .. }) = self.stack.last_mut() {
                    *key = Some((text.into_owned(), span.start));
                    return Ok(Step::Continue);
                }
                let (line, column) = position(&span.start);
                let end_line = match style {
                    // Block scalars start on their first content line and end
                    // where the next token starts: count the content instead.
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        let lines = text.trim_end_matches('\n').matches('\n').count();
                        line.saturating_add(to_u32(lines))
                    }
                    _ => scalar_end_line(&span),
                };
                let kind = scalar_kind(&text, style, tag.as_ref());
                let tree = apply_tag(Tree { kind, line, column, end_line }, tag.as_ref());
                return self.finish(tree, anchor, &span.start, warnings);
            }
            Event::Alias(id) => {
                let Some((tree, size)) = self.anchors.get(&id) else {
                    return Err(self.err("parse", &span.start, "invalid YAML: unknown anchor"));
                };
                if size.nodes > self.budget.nodes {
                    return Err(self.err(
                        "limit",
                        &span.start,
                        format!("YAML aliases expand to more than {MAX_ALIAS_NODES} nodes"),
                    ));
                }
                if size.bytes > self.budget.bytes {
                    return Err(self.err(
                        "limit",
                        &span.start,
                        format!("YAML aliases expand to more than {MAX_ALIAS_BYTES} bytes of text"),
                    ));
                }
                self.budget.nodes -= size.nodes;
                self.budget.bytes -= size.bytes;
                let tree = tree.clone();
                if let Some(Frame::Map { key: key @ None, .. }) = self.stack.last_mut() {
                    let text = match &tree.kind {
                        TreeKind::String(s) => s.clone(),
                        TreeKind::Number(n) => n.to_string(),
                        TreeKind::Bool(b) => b.to_string(),
                        TreeKind::Null => "null".to_string(),
                        _ => return Err(self.err("parse", &span.start, "mapping keys must be scalars")),
                    };
                    *key = Some((text, span.start));
                    return Ok(Step::Continue);
                }
                // An alias is not itself anchored.
                return self.finish(tree, 0, &span.start, warnings);
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) if self.in_key_position() => {
                let _ = (anchor, tag);
                return Err(self.err("parse", &span.start, "mapping keys must be scalars"));
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_depth(&span.start)?;
                self.stack.push(Frame::List {
                    start: span.start,
                    anchor,
                    tag: tag.map(|t| t.into_owned()),
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_depth(&span.start)?;
                self.stack.push(Frame::Map {
                    start: span.start,
                    anchor,
                    tag: tag.map(|t| t.into_owned()),
                    entries: Vec::new(),
                    seen: HashMap::new(),
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(self.err("parse", &span.start, "invalid YAML: unbalanced collection end"));
                };
                // A real closing token (`]`, `}`) has a non-empty span; block
                // collections end where the next token starts, which may be
                // lines later, so their end is the end of their last child.
                let close_line = (span.end.index() > span.start.index()).then(|| to_u32(span.start.line()));
                let (start, anchor, tag, kind, last) = match frame {
                    Frame::List { start, anchor, tag, items } => {
                        let last = items.last().map(|t| t.end_line);
                        (start, anchor, tag, TreeKind::List(items), last)
                    }
                    Frame::Map { start, anchor, tag, entries, .. } => {
                        let last = entries.last().map(|e| e.value.end_line);
                        (start, anchor, tag, TreeKind::Map(entries), last)
                    }
                };
                let (line, column) = position(&start);
                let end_line = close_line.or(last).unwrap_or(line).max(line);
                let tree = apply_tag(Tree { kind, line, column, end_line }, tag.as_ref());
                return self.finish(tree, anchor, &start, warnings);
            }
        }
        Ok(Step::Continue)
    }

    fn in_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn check_depth(&self, at: &Marker) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            Err(self.err("limit", at, format!("YAML nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    /// Places a completed node into its parent (or returns it as the root).
    fn finish(
        &mut self,
        tree: Tree,
        anchor: usize,
        at: &Marker,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Step, Diagnostic> {
        if anchor > 0 {
            let size = tree.measure();
            if size.nodes > self.anchor_budget.nodes {
                return Err(self.err("limit", at, format!("YAML anchors hold more than {MAX_ANCHOR_NODES} nodes")));
            }
            if size.bytes > self.anchor_budget.bytes {
                return Err(self.err(
                    "limit",
                    at,
                    format!("YAML anchors hold more than {MAX_ANCHOR_BYTES} bytes of text"),
                ));
            }
            self.anchor_budget.nodes -= size.nodes;
            self.anchor_budget.bytes -= size.bytes;
            self.anchors.insert(anchor, (tree.clone(), size));
        }
        match self.stack.last_mut() {
            None => Ok(Step::Done(tree)),
            Some(Frame::List { items, .. }) => {
                items.push(tree);
                Ok(Step::Continue)
            }
            Some(Frame::Map { entries, seen, key, .. }) => {
                let Some((key, at)) = key.take() else {
                    // Unreachable by construction: keys are taken in `event`.
                    return Ok(Step::Continue);
                };
                let (line, column) = position(&at);
                match seen.get(&key).and_then(|i| entries.get_mut(*i)) {
                    Some(existing) => {
                        warnings.push(
                            Diagnostic::warning(
                                self.file.clone(),
                                "duplicate-key",
                                format!("duplicate key `{key}`: the last value is used"),
                            )
                            .at(line, column),
                        );
                        existing.value = tree;
                        existing.line = line;
                        existing.column = column;
                    }
                    None => {
                        seen.insert(key.clone(), entries.len());
                        entries.push(TreeEntry { key, line, column, value: tree });
                    }
                }
                Ok(Step::Continue)
            }
        }
    }
}

/// The last line of a scalar: its end marker is exclusive, so an end at
/// column 0 (after a block scalar's final newline) belongs to the line before.
fn scalar_end_line(span: &Span) -> u32 {
    let (start, end) = (span.start.line(), span.end.line());
    let end = if span.end.col() == 0 && end > start { end - 1 } else { end };
    to_u32(end.max(start))
}

fn is_core(tag: &Tag) -> bool {
    tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!"
}

/// The value of a scalar. Tagged scalars (`!Ref X`, `!!str 1`) and quoted
/// or block scalars are strings; plain scalars follow the YAML 1.2 core
/// schema, conservatively: numbers that would not print back the same
/// (`012`, `+1`, `1_000`, `0x1F`, `5.10`, `1e3`, integers beyond 64 bits)
/// stay strings, as do dates like `2012-10-17`.
fn scalar_kind(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> TreeKind {
    match tag {
        Some(t) if is_core(t) => match t.suffix.as_str() {
            "str" | "binary" | "timestamp" => return TreeKind::String(text.to_string()),
            "null" => return TreeKind::Null,
            _ => {}
        },
        Some(_) => return TreeKind::String(text.to_string()),
        None => {}
    }
    if style != ScalarStyle::Plain {
        return TreeKind::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return TreeKind::Null,
        "true" | "True" | "TRUE" => return TreeKind::Bool(true),
        "false" | "False" | "FALSE" => return TreeKind::Bool(false),
        _ => {}
    }
    if is_json_number(text)
        && let Some(n) = crate::parse::json::number_from_literal(text)
        && n.to_string() == text
    {
        return TreeKind::Number(n);
    }
    TreeKind::String(text.to_string())
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`
fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let s = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - s
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Rewrites a short-form intrinsic (`!Ref X`, `!GetAtt A.B`, `!Sub …`) into
/// its long form: a one-entry map `{"Ref": X}`, `{"Fn::GetAtt": "A.B"}`,
/// `{"Fn::Sub": …}`. Local tags other than `!Ref` and `!Condition` become
/// `Fn::<Tag>`; unknown functions are left to the evaluator to report.
fn apply_tag(tree: Tree, tag: Option<&Tag>) -> Tree {
    let Some(tag) = tag else { return tree };
    if tag.handle != "!" || tag.suffix.is_empty() {
        return tree;
    }
    let key = match tag.suffix.as_str() {
        "Ref" | "Condition" => tag.suffix.clone(),
        other => format!("Fn::{other}"),
    };
    let (line, column, end_line) = (tree.line, tree.column, tree.end_line);
    Tree { kind: TreeKind::Map(vec![TreeEntry { key, line, column, value: tree }]), line, column, end_line }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<str> {
        Arc::from("t.yaml")
    }

    fn value(text: &str) -> serde_json::Value {
        parse(text, &file()).unwrap().root.unwrap().to_value().to_json()
    }

    #[test]
    fn tags_become_long_form() {
        let v = value(
            "a: !Ref X\nb: !GetAtt R.Arn\nc: !Sub\n  - '${x}'\n  - x: 1\nd: !If [C, 1, 2]\ne: !Condition Y\nf: !GetAZs\n",
        );
        assert_eq!(
            v,
            serde_json::json!({
                "a": {"Ref": "X"},
                "b": {"Fn::GetAtt": "R.Arn"},
                "c": {"Fn::Sub": ["${x}", {"x": 1}]},
                "d": {"Fn::If": ["C", 1, 2]},
                "e": {"Condition": "Y"},
                "f": {"Fn::GetAZs": ""},
            })
        );
    }

    #[test]
    fn scalars_resolve_conservatively() {
        let v = value(
            "a: 80\nb: '80'\nc: 012\nd: 2012-10-17\ne: true\nf: yes\ng: ~\nh: 1.5\ni: 0x1F\nj: !!str 5\nk: -3\nl: 1e3\nm: 5.10\nn: 123456789012345678901234\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"a": 80, "b": "80", "c": "012", "d": "2012-10-17", "e": true, "f": "yes",
                "g": null, "h": 1.5, "i": "0x1F", "j": "5", "k": -3, "l": "1e3", "m": "5.10",
                "n": "123456789012345678901234"})
        );
    }

    #[test]
    fn lines_of_nodes() {
        let text = "Resources:\n  A:\n    Type: X\n    Properties:\n      P: |\n        line1\n        line2\n\n  B: {Type: Y,\n    Z: 1}\n";
        let t = parse(text, &file()).unwrap().root.unwrap();
        let res = t.entry("Resources").unwrap();
        assert_eq!((res.line, res.value.end_line), (1, 10));
        let a = res.value.entry("A").unwrap();
        assert_eq!((a.line, a.column, a.value.end_line), (2, 3, 7));
        let p = a.value.get("Properties").unwrap().entry("P").unwrap();
        assert_eq!((p.line, p.value.line, p.value.end_line), (5, 6, 7));
        let b = res.value.entry("B").unwrap();
        assert_eq!((b.line, b.value.end_line), (9, 10));
    }

    #[test]
    fn duplicate_keys_warn_last_wins() {
        let p = parse("a: 1\nb: 2\na: 3\n", &file()).unwrap();
        assert_eq!(p.root.unwrap().to_value().to_json(), serde_json::json!({"a": 3, "b": 2}));
        assert_eq!(p.warnings.len(), 1);
        assert_eq!((p.warnings[0].code, p.warnings[0].line, p.warnings[0].column), ("duplicate-key", Some(3), Some(1)));
    }

    #[test]
    fn anchors_and_aliases_expand() {
        let v = value("a: &x [1, 2]\nb: *x\n");
        assert_eq!(v, serde_json::json!({"a": [1, 2], "b": [1, 2]}));
    }

    #[test]
    fn alias_bomb_is_a_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", ")));
        }
        let d = parse(&text, &file()).unwrap_err();
        assert_eq!(d.code, "limit");
    }

    #[test]
    fn alias_text_is_a_limit() {
        // A 64 KiB scalar aliased 1,000 times: 64 MB of text in 1,000 nodes.
        let mut text = format!("a: &big {}\nl:\n", "x".repeat(64 << 10));
        text.push_str(&"  - *big\n".repeat(1_000));
        let d = parse(&text, &file()).unwrap_err();
        assert_eq!((d.code, d.line), ("limit", Some(2 + 257)), "{d:?}");
        assert!(d.message.contains("bytes of text"), "{}", d.message);
        // Within the budget, aliases of text expand.
        let small = format!("a: &s {}\nl: [*s, *s]\n", "x".repeat(1 << 10));
        assert!(parse(&small, &file()).is_ok());
    }

    #[test]
    fn nested_anchors_are_bounded() {
        let big: String = format!("[{}]", vec!["x"; 20_000].join(", "));
        let mut text = String::from("a: ");
        for i in 0..100 {
            text.push_str(&format!("&a{i} ["));
        }
        text.push_str(&big);
        text.push_str(&"]".repeat(100));
        text.push('\n');
        assert_eq!(parse(&text, &file()).unwrap_err().code, "limit");
    }

    #[test]
    fn deep_nesting_is_a_limit() {
        let deep = "[".repeat(200_000) + &"]".repeat(200_000);
        assert_eq!(parse(&deep, &file()).unwrap_err().code, "limit");
        let mut block = String::new();
        for i in 0..300 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        assert_eq!(parse(&block, &file()).unwrap_err().code, "limit");
    }

    #[test]
    fn errors_have_positions() {
        let d = parse("a: 1\nb: [1, 2\n", &file()).unwrap_err();
        assert_eq!(d.code, "parse");
        assert!(d.line.is_some() && d.column.is_some(), "{d:?}");
        let d = parse("a:\n  b: 1\n c: 2\n", &file()).unwrap_err();
        assert_eq!((d.code, d.line), ("parse", Some(3)));
        let d = parse("? [a]\n: 1\n", &file()).unwrap_err();
        assert_eq!(d.code, "parse");
    }

    #[test]
    fn lenient_indentation_like_libyaml() {
        let text = "A:\n  B: 'one\n  two\n  three'\n  C: [\n    x\n  ]\n  D: [\n    y\n ]\n";
        assert_eq!(parse(text, &file()).unwrap_err().code, "parse");
        let p = parse_lenient(text, &file()).unwrap();
        assert_eq!(
            p.root.unwrap().to_value().to_json(),
            serde_json::json!({"A": {"B": "one two three", "C": ["x"], "D": ["y"]}})
        );
        let infos: Vec<_> = p.warnings.iter().map(|d| (d.code, d.line)).collect();
        assert_eq!(
            infos,
            [("yaml-indentation", Some(3)), ("yaml-indentation", Some(4)), ("yaml-indentation", Some(10))]
        );
        // A real block indentation error is not repaired.
        let d = parse_lenient("a:\n  b: 1\n c: 2\n", &file()).unwrap_err();
        assert_eq!((d.code, d.line), ("parse", Some(3)));
    }

    #[test]
    fn many_keys_stay_fast() {
        let text: String = (0..100_000).map(|i| format!("k{i}: {i}\n")).collect();
        let t = parse(&text, &file()).unwrap().root.unwrap();
        assert_eq!(t.as_map().map(<[_]>::len), Some(100_000));
    }

    #[test]
    fn only_the_first_document_is_read() {
        let p = parse("a: 1\n---\nb: [\n", &file()).unwrap();
        assert_eq!(p.root.unwrap().to_value().to_json(), serde_json::json!({"a": 1}));
        assert!(parse("", &file()).unwrap().root.is_none());
    }
}
