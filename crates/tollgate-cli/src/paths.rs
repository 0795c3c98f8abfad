//! Paths as printed: relative to the current directory where possible.

use std::path::{Component, Path, PathBuf};

/// Rewrites report paths relative to the current directory. Paths the scan
/// was given as relative are already relative to it and stay as they are;
/// absolute paths under the current directory lose that prefix.
#[derive(Debug, Clone)]
pub(crate) struct PathStyle {
    cwd: Option<PathBuf>,
}

impl PathStyle {
    pub(crate) fn from_current_dir() -> Self {
        PathStyle { cwd: std::env::current_dir().ok() }
    }

    #[cfg(test)]
    pub(crate) fn with_cwd(cwd: &str) -> Self {
        PathStyle { cwd: Some(PathBuf::from(cwd)) }
    }

    pub(crate) fn display(&self, file: &str) -> String {
        let path = Path::new(file);
        if path.is_absolute()
            && let Some(rest) = self.cwd.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok())
        {
            let s = rest.to_string_lossy().replace('\\', "/");
            return if s.is_empty() { ".".to_string() } else { s };
        }
        file.to_string()
    }

    /// A SARIF `artifactLocation.uri`: a relative URI reference for relative
    /// paths, a `file://` URI for absolute ones.
    pub(crate) fn uri(&self, file: &str) -> String {
        let shown = self.display(file);
        let encoded = percent_encode(&shown);
        if Path::new(&shown).is_absolute() {
            let trimmed = encoded.trim_start_matches('/');
            format!("file:///{trimmed}")
        } else {
            encoded
        }
    }
}

/// Escapes what may not appear in a URI path segment (RFC 3986), keeping `/`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `child` relative to `dir` when it lies inside it (lexically), with `/`.
pub(crate) fn relative_to(child: &str, dir: &Path) -> Option<String> {
    let child = lexical(Path::new(child));
    let dir = lexical(dir);
    let rest = child.strip_prefix(&dir).ok()?;
    Some(rest.to_string_lossy().replace('\\', "/"))
}

/// Drops `.` components (the scan's display paths are already normalized).
pub(crate) fn lexical(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, Component::CurDir)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_and_absolute_ones_are_shortened() {
        let style = PathStyle::with_cwd("/repo");
        assert_eq!(style.display("infra/main.tf"), "infra/main.tf");
        assert_eq!(style.display("/repo/infra/main.tf"), "infra/main.tf");
        assert_eq!(style.display("/elsewhere/main.tf"), "/elsewhere/main.tf");
        assert_eq!(style.uri("infra/my stack.yaml"), "infra/my%20stack.yaml");
        assert_eq!(style.uri("/elsewhere/a#b.tf"), "file:///elsewhere/a%23b.tf");
    }

    #[test]
    fn relative_to_strips_the_case_directory() {
        assert_eq!(
            relative_to("fixtures/rules/IAM001/fire/a.tf", Path::new("./fixtures/rules/IAM001")).as_deref(),
            Some("fire/a.tf")
        );
        assert_eq!(relative_to("other/a.tf", Path::new("fixtures")), None);
    }
}
