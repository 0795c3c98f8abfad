//! Control characters made visible in human-readable output.
//!
//! File names, values and messages come from the scanned input, which a
//! pull request controls. Printed raw, a newline followed by
//! `::add-mask::` or `::error file=…::` is a GitHub workflow command in the
//! CI log, and `\x1b[2J` clears a terminal. Every text written for people
//! goes through [`visible`] (or [`visible_window`] for source lines), which
//! spells such characters as escapes (`\n`, `\u{1b}`); JSON and SARIF
//! escape them by their own grammar.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

/// True for a character that must not reach a log or terminal raw: C0 and
/// C1 controls, DEL, and the Unicode bidirectional overrides and isolates
/// (which reorder what a reader sees).
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `text` with every hidden character escaped (tabs and newlines too: a
/// message or a file name is one line).
pub(crate) fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text (a rule's description) made visible line by line: its
/// line breaks stay, every other hidden character is escaped.
pub(crate) fn visible_lines(text: &str) -> String {
    text.lines().map(visible).collect::<Vec<_>>().join("\n")
}

/// Source lines made visible for a snippet: line ends between the lines
/// (`\n`, `\r\n`) and tabs (the renderer expands them) stay, every other
/// hidden character is escaped, and `highlight`, a byte range in `text`,
/// is moved to the same characters in the result.
pub(crate) fn visible_window(text: &str, highlight: Range<usize>) -> (Cow<'_, str>, Range<usize>) {
    let bytes = text.as_bytes();
    let keep = |i: usize, c: char| c == '\n' || c == '\t' || (c == '\r' && bytes.get(i + 1) == Some(&b'\n'));
    if !text.char_indices().any(|(i, c)| is_hidden(c) && !keep(i, c)) {
        return (Cow::Borrowed(text), highlight);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let (mut start, mut end) = (None, None);
    for (i, c) in text.char_indices() {
        if i == highlight.start {
            start = Some(out.len());
        }
        if i == highlight.end {
            end = Some(out.len());
        }
        if is_hidden(c) && !keep(i, c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    let len = out.len();
    let start = start.unwrap_or(len);
    let end = end.unwrap_or(len).max(start);
    (Cow::Owned(out), start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(visible("aws_iam_policy.admin: Action \"*\""), Cow::Borrowed(_)));
        assert!(matches!(visible_window("a\tb\r\nc", 0..3).0, Cow::Borrowed(_)));
        assert_eq!(visible_window("a\rb", 0..3).0, "a\\rb");
    }

    #[test]
    fn workflow_commands_and_escapes_stay_on_their_line() {
        assert_eq!(visible("x\n::add-mask::secret"), "x\\n::add-mask::secret");
        assert_eq!(visible("a\r::error file=app.py::b"), "a\\r::error file=app.py::b");
        assert_eq!(visible("\u{1b}[2Jclear"), "\\u{1b}[2Jclear");
        assert_eq!(visible("del\u{7f} c1\u{9b}"), "del\\u{7f} c1\\u{9b}");
        assert_eq!(visible("tab\there"), "tab\\there");
        assert_eq!(visible("rtl\u{202e}txt.tf"), "rtl\\u{202e}txt.tf");
    }

    #[test]
    fn windows_keep_newlines_and_move_the_highlight() {
        let text = "  x = \"\u{1b}[2J\"\n  y = 1";
        let highlight = 2..text.find('\n').unwrap();
        let (shown, range) = visible_window(text, highlight);
        assert_eq!(shown, "  x = \"\\u{1b}[2J\"\n  y = 1");
        assert_eq!(&shown[range], "x = \"\\u{1b}[2J\"");
        // A range ending at the end of the text.
        let (shown, range) = visible_window("\u{7}ab", 1..3);
        assert_eq!(&shown[range], "ab");
    }
}
