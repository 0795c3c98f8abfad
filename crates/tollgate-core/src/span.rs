//! Source locations.

use std::sync::Arc;

use serde::Serialize;

/// A region of a source file. Lines and columns are 1-based; `end_line` is
/// inclusive. `file` is the path as given to the scan (relative paths stay
/// relative), with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
}

impl Span {
    pub fn new(file: Arc<str>, line: u32, column: u32, end_line: u32) -> Self {
        Span { file, line, column, end_line: end_line.max(line) }
    }

    /// A span covering a whole file (used for raw IAM JSON with no better spot).
    pub fn file_start(file: Arc<str>) -> Self {
        Span { file, line: 1, column: 1, end_line: 1 }
    }
}

/// Maps byte offsets of one text to 1-based line and column numbers.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based (line, column) of a byte offset; the column counts bytes.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        (to_u32(line + 1), to_u32(offset.saturating_sub(start) + 1))
    }

    /// A span for the byte range `start..end` of `file`.
    pub fn span(&self, file: &Arc<str>, start: usize, end: usize) -> Span {
        let (line, column) = self.line_col(start);
        let (end_line, _) = self.line_col(end.saturating_sub(1).max(start));
        Span::new(file.clone(), line, column, end_line)
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_maps_offsets() {
        let idx = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(1), (1, 2));
        assert_eq!(idx.line_col(3), (2, 1));
        assert_eq!(idx.line_col(6), (3, 1));
        assert_eq!(idx.line_col(8), (4, 2));
        let f: Arc<str> = Arc::from("x.tf");
        assert_eq!(idx.span(&f, 3, 9), Span::new(f.clone(), 2, 1, 4));
    }
}
