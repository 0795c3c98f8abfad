//! Attribute paths: `a.b[0].c`, with keys that are not plain identifiers
//! quoted as `["key.with.dots"]`.

/// Appends a map key to a path.
pub fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ':');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str("[\"");
        for c in key.chars() {
            if c == '"' || c == '\\' {
                path.push('\\');
            }
            path.push(c);
        }
        path.push_str("\"]");
    }
}

/// Appends a list index to a path.
pub fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

/// `parent + key` as a new path.
pub fn key(parent: &str, key: &str) -> String {
    let mut p = parent.to_string();
    push_key(&mut p, key);
    p
}

/// `parent + [index]` as a new path.
pub fn index(parent: &str, index: usize) -> String {
    let mut p = parent.to_string();
    push_index(&mut p, index);
    p
}

/// The enclosing path, or `None` at the top.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        // Find the matching '[' that is not inside a quoted key.
        let bytes = path.as_bytes();
        let mut i = bytes.len() - 1;
        let mut in_quote = false;
        while i > 0 {
            i -= 1;
            let b = bytes.get(i).copied().unwrap_or(b'[');
            if b == b'"' && (i == 0 || bytes.get(i - 1) != Some(&b'\\')) {
                in_quote = !in_quote;
            } else if b == b'[' && !in_quote {
                return Some(path.get(..i).unwrap_or(""));
            }
        }
        return Some("");
    }
    match path.rfind(['.', ']']) {
        Some(i) if path.as_bytes().get(i) == Some(&b']') => Some(path.get(..=i).unwrap_or("")),
        Some(i) => Some(path.get(..i).unwrap_or("")),
        None => Some(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_walks_paths() {
        let mut p = String::new();
        push_key(&mut p, "policy");
        push_key(&mut p, "Statement");
        push_index(&mut p, 1);
        push_key(&mut p, "Action");
        assert_eq!(p, "policy.Statement[1].Action");
        assert_eq!(parent(&p), Some("policy.Statement[1]"));
        assert_eq!(parent("policy.Statement[1]"), Some("policy.Statement"));
        assert_eq!(parent("policy"), Some(""));
        assert_eq!(parent(""), None);
        assert_eq!(key("tags", "a.b"), "tags[\"a.b\"]");
        assert_eq!(parent("tags[\"a.b\"]"), Some("tags"));
        assert_eq!(parent("tags[\"a[0]\"]"), Some("tags"));
    }
}
