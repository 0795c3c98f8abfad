//! Labelled cases: a directory holding an `expected.json` that lists the
//! findings scanning it must give. Read by `tollgate eval` (which scores
//! the rules against any labelled corpus) and by the rule tests (which hold
//! `fixtures/rules/<ID>/` to its labels).
//!
//! `expected.json` is a list (or `{"findings": [...]}`) of
//! `{"rule_id", "file", "line", "resource"}`, with `file` relative to the
//! case directory; `line` and `resource` may be left out to match any.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Name of the file that marks and labels a case directory.
pub const EXPECTED_FILE: &str = "expected.json";

/// One labelled finding of an `expected.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Expected {
    pub rule_id: String,
    /// Relative to the case directory.
    pub file: String,
    /// `None` matches a finding on any line.
    #[serde(default)]
    pub line: Option<u32>,
    /// `None` matches a finding on any resource.
    #[serde(default)]
    pub resource: Option<String>,
}

/// Why the labels of a case could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabelsError {
    /// The `expected.json` could not be read.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The `expected.json` is not a list of labelled findings. `message`
    /// is the JSON error; `line` and `column` are 1-based where the JSON
    /// itself is broken, 0 when it is well-formed but not labels.
    #[error(
        "{path}: {message}: expected a list of {{\"rule_id\", \"file\", \"line\", \"resource\"}} (or {{\"findings\": [...]}})"
    )]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ExpectedFile {
    List(Vec<Expected>),
    Object { findings: Vec<Expected> },
}

/// The labels of the case in `case_dir` (its `expected.json`), in file order.
pub fn read(case_dir: &Path) -> Result<Vec<Expected>, LabelsError> {
    let path = case_dir.join(EXPECTED_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| LabelsError::Io { path: path.clone(), source })?;
    parse(&text).map_err(|e| LabelsError::Syntax { path, line: e.line(), column: e.column(), message: e.to_string() })
}

/// The labels in the text of an `expected.json`.
fn parse(text: &str) -> Result<Vec<Expected>, serde_json::Error> {
    match serde_json::from_str::<ExpectedFile>(text)? {
        ExpectedFile::List(list) | ExpectedFile::Object { findings: list } => Ok(list),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_file_accepts_a_list_or_an_object() {
        let list = parse(r#"[{"rule_id":"A","file":"x.tf","line":2,"resource":"r"}]"#).unwrap();
        let obj = parse(r#"{"findings":[{"rule_id":"A","file":"x.tf"}]}"#).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].line, list[0].resource.as_deref()), (Some(2), Some("r")));
        assert_eq!((obj[0].line, obj[0].resource.as_deref()), (None, None));
    }

    #[test]
    fn errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("tollgate-labels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = read(&dir).unwrap_err();
        assert!(matches!(&missing, LabelsError::Io { path, .. } if path.ends_with(EXPECTED_FILE)), "{missing}");
        std::fs::write(dir.join(EXPECTED_FILE), "[{\"rule_id\": 1}]").unwrap();
        let bad = read(&dir).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(&bad, LabelsError::Syntax { .. }), "{bad:?}");
        assert!(bad.to_string().contains("expected.json: "), "{bad}");
        assert!(bad.to_string().ends_with("(or {\"findings\": [...]})"), "{bad}");
    }
}
