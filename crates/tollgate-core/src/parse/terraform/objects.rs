//! A bound on object literals, checked before hcl-edit parses a file.
//!
//! hcl-edit keeps an object's items in a vector map and looks every new
//! key up in the keys before it (its duplicate-key check), so parsing an
//! object literal of `n` keys makes about `n²/2` key comparisons: 10,000
//! keys took over a second and a 7 MB map of 600,000 keys never finished.
//! This lexical scan counts the keys of every object literal (following
//! strings, heredocs, template interpolations and comments, without
//! recursion) and refuses a text whose objects would cost more than
//! [`MAX_KEY_COMPARISONS`], pointing at the object that tips it over.

/// Key comparisons the parser may make in one text: a single object
/// literal of about 6,300 keys, or many smaller ones (a few hundred
/// milliseconds of parsing).
pub(crate) const MAX_KEY_COMPARISONS: usize = 20_000_000;

/// An object literal that takes the text over [`MAX_KEY_COMPARISONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooManyKeys {
    /// Byte offset of the object's `{`.
    pub(crate) offset: usize,
    /// Keys counted in it up to that point.
    pub(crate) keys: usize,
}

enum Frame {
    /// `(`, `[` or a block body's `{`, closed by the byte held.
    Plain(u8),
    /// An object literal from its `{`, with its keys so far.
    Object { offset: usize, keys: usize },
    /// A `${` or `%{` sequence inside a string or heredoc.
    Interp,
    /// A quoted string.
    Str,
    /// A heredoc's lines, up to the line holding only its marker (`None`:
    /// a template file, which runs to the end of the text).
    Heredoc(Option<Vec<u8>>),
}

/// What came last in expression text: decides whether a `{` opens a block
/// body (after a block type or label) or an object literal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    /// An identifier; `true` for the `in` of a `for`.
    Ident(bool),
    /// The closing quote of a string.
    Str,
    Punct,
}

/// Checks a `.tf` (or rewritten `.tf.json`) text.
pub(crate) fn check_body(text: &str) -> Result<(), TooManyKeys> {
    scan(text.as_bytes(), Vec::new())
}

/// Checks the text of a template file (`templatefile`).
pub(crate) fn check_template(text: &str) -> Result<(), TooManyKeys> {
    scan(text.as_bytes(), vec![Frame::Heredoc(None)])
}

fn scan(b: &[u8], mut stack: Vec<Frame>) -> Result<(), TooManyKeys> {
    let mut comparisons = 0usize;
    let mut prev = Prev::Start;
    let mut i = 0;
    let at = |k: usize| b.get(k).copied();
    while let Some(c) = at(i) {
        match stack.last_mut() {
            Some(Frame::Str) => match c {
                b'\\' => i += 2,
                b'"' | b'\n' => {
                    stack.pop();
                    prev = Prev::Str;
                    i += 1;
                }
                b'$' | b'%' if at(i + 1) == Some(c) && at(i + 2) == Some(b'{') => i += 3,
                b'$' | b'%' if at(i + 1) == Some(b'{') => {
                    stack.push(Frame::Interp);
                    prev = Prev::Punct;
                    i += 2;
                }
                _ => i += 1,
            },
            Some(Frame::Heredoc(marker)) => {
                let line_start = i == 0 || at(i - 1) == Some(b'\n');
                if line_start && let Some(m) = marker {
                    let end = b.get(i..).and_then(|r| r.iter().position(|x| *x == b'\n')).map_or(b.len(), |p| i + p);
                    if b.get(i..end).is_some_and(|line| line.trim_ascii() == m.as_slice()) {
                        stack.pop();
                        prev = Prev::Str;
                        i = end;
                        continue;
                    }
                }
                match c {
                    b'$' | b'%' if at(i + 1) == Some(c) && at(i + 2) == Some(b'{') => i += 3,
                    b'$' | b'%' if at(i + 1) == Some(b'{') => {
                        stack.push(Frame::Interp);
                        prev = Prev::Punct;
                        i += 2;
                    }
                    _ => i += 1,
                }
            }
            _ => {
                // Expression or body text.
                match c {
                    b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                    b'#' => i = line_end(b, i),
                    b'/' if at(i + 1) == Some(b'/') => i = line_end(b, i),
                    b'/' if at(i + 1) == Some(b'*') => {
                        i = b
                            .get(i + 2..)
                            .and_then(|r| r.windows(2).position(|w| w == b"*/"))
                            .map_or(b.len(), |p| i + 4 + p);
                    }
                    b'"' => {
                        stack.push(Frame::Str);
                        i += 1;
                    }
                    b'<' if at(i + 1) == Some(b'<') => {
                        let mut j = i + 2;
                        if at(j) == Some(b'-') {
                            j += 1;
                        }
                        let start = j;
                        while at(j).is_some_and(|x| x.is_ascii_alphanumeric() || x == b'_' || x == b'-') {
                            j += 1;
                        }
                        let end = line_end(b, j);
                        let marker = b.get(start..j).unwrap_or_default();
                        if !marker.is_empty() && b.get(j..end).is_some_and(|r| r.trim_ascii().is_empty()) {
                            stack.push(Frame::Heredoc(Some(marker.to_vec())));
                            i = end + 1;
                        } else {
                            prev = Prev::Punct;
                            i += 2;
                        }
                    }
                    b'{' => {
                        let block = matches!(prev, Prev::Ident(false) | Prev::Str);
                        stack.push(if block { Frame::Plain(b'}') } else { Frame::Object { offset: i, keys: 0 } });
                        prev = Prev::Punct;
                        i += 1;
                    }
                    b'(' | b'[' => {
                        stack.push(Frame::Plain(if c == b'(' { b')' } else { b']' }));
                        prev = Prev::Punct;
                        i += 1;
                    }
                    b'}' | b')' | b']' => {
                        let closes = match stack.last() {
                            Some(Frame::Plain(close)) => *close == c,
                            Some(Frame::Object { .. } | Frame::Interp) => c == b'}',
                            _ => false,
                        };
                        if closes {
                            stack.pop();
                        }
                        prev = Prev::Punct;
                        i += 1;
                    }
                    b'=' | b':' => {
                        let next = at(i + 1);
                        let before = i.checked_sub(1).and_then(at);
                        let separates = c == b':'
                            || !(matches!(next, Some(b'=' | b'>'))
                                || matches!(before, Some(b'=' | b'!' | b'<' | b'>')));
                        if separates && let Some(Frame::Object { offset, keys }) = stack.last_mut() {
                            // The parser compares the new key with every key before it.
                            comparisons = comparisons.saturating_add(*keys);
                            *keys += 1;
                            if comparisons > MAX_KEY_COMPARISONS {
                                return Err(TooManyKeys { offset: *offset, keys: *keys });
                            }
                        }
                        prev = Prev::Punct;
                        i += 1;
                    }
                    c if c.is_ascii_alphabetic() || c == b'_' => {
                        let start = i;
                        while at(i).is_some_and(|x| x.is_ascii_alphanumeric() || x == b'_' || x == b'-') {
                            i += 1;
                        }
                        prev = Prev::Ident(b.get(start..i) == Some(b"in".as_slice()));
                    }
                    _ => {
                        prev = Prev::Punct;
                        i += 1;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The index of the newline ending the line `i` is on (or the end).
fn line_end(b: &[u8], i: usize) -> usize {
    b.get(i..).and_then(|r| r.iter().position(|x| *x == b'\n')).map_or(b.len(), |p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(keys: usize, sep: &str) -> String {
        let items: Vec<String> = (0..keys).map(|i| format!("k{i} {sep} {i}")).collect();
        format!("{{\n{}\n}}", items.join("\n"))
    }

    /// Keys that need `MAX_KEY_COMPARISONS` and one more comparison.
    fn over() -> usize {
        (1..).find(|n| n * (n - 1) / 2 > MAX_KEY_COMPARISONS).unwrap_or(0)
    }

    #[test]
    fn counts_the_keys_of_object_literals_wherever_they_are() {
        let n = over();
        for (text, offset) in [
            (format!("locals {{\n  m = {}\n}}\n", object(n, "=")), 15),
            (format!("x = [1, {}]", object(n, ":")), 8),
            (format!("x = \"${{length({})}}\"", object(n, "=")), 14),
            (format!("x = <<EOT\n  ${{ {} }}\nEOT\n", object(n, "=")), 15),
            (format!("x = {{ for k, v in {} : k => v }}", object(n, "=")), 18),
        ] {
            assert_eq!(check_body(&text).map_err(|e| e.offset), Err(offset), "{}", &text[..40]);
        }
        let tpl = format!("a ${{jsonencode({})}} b", object(n, "="));
        assert_eq!(check_template(&tpl).map_err(|e| e.offset), Err(15));
    }

    #[test]
    fn accepts_objects_under_the_bound_and_what_is_not_an_object() {
        let n = over() - 1;
        assert_eq!(check_body(&format!("locals {{\n  m = {}\n}}\n", object(n, "="))), Ok(()));
        // Block bodies, comparisons, strings, comments and heredocs hold no keys.
        let many = |item: &str| (0..over()).map(|_| item).collect::<Vec<_>>().join("\n");
        for text in [
            format!("locals {{\n{}\n}}", many("a = 1")),
            format!("resource \"a\" \"b\" {{\n{}\n}}", many("c = 1")),
            format!("x = {{ a = [\n{}\n] }}", many("1 == 2, 1 >= 2, 1 <= 2, 1 != 2,")),
            format!("x = {{ a = \"{}\" }}", "b = 1, ".repeat(over())),
            format!("x = {{\n{}\n}}", many("# b = 1")),
            format!("x = {{ a = <<EOT\n{}\nEOT\n}}", many("b = 1")),
            format!("x = {{ a = <<-EOT\n{}\n  EOT\n}}", many("b: 1")),
        ] {
            assert_eq!(check_body(&text), Ok(()), "{}", &text[..30]);
        }
    }
}
