//! IAM wildcard matching: `*` matches any run of characters (also none),
//! `?` exactly one. The pattern is lowercased by the caller; the text is
//! compared ASCII-case-insensitively.

/// Whether `text` matches `pattern` in full.
pub(crate) fn matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Position of the last `*` seen in the pattern and of the text byte it
    // is currently allowed to extend to.
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some(b'*'), _) => {
                star = Some(p);
                mark = t;
                p += 1;
            }
            (Some(&pc), Some(&tc)) if pc == b'?' || pc == tc.to_ascii_lowercase() => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some(s) => {
                    p = s + 1;
                    mark += 1;
                    t = mark;
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Whether a pattern contains a wildcard.
pub(crate) fn has_wildcard(pattern: &str) -> bool {
    pattern.bytes().any(|c| c == b'*' || c == b'?')
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, t: &str) -> bool {
        matches(p.as_bytes(), t.as_bytes())
    }

    #[test]
    fn literal_and_wildcards() {
        assert!(m("getobject", "getobject"));
        assert!(!m("getobject", "getobjects"));
        assert!(m("get*", "getobject"));
        assert!(m("get*", "get"));
        assert!(m("*policy*", "createpolicyversion"));
        assert!(m("*policy*", "putrolepolicy"));
        assert!(!m("*policy*", "passrole"));
        assert!(m("get?bject", "getobject"));
        assert!(!m("get?bject", "getbject"));
        assert!(m("*", ""));
        assert!(!m("?", ""));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("**", "abc"));
        assert!(m("*a", "aaa"));
        assert!(m("get*", "GetObject"), "text side is case-insensitive");
    }
}
