//! Human output: rustc-style diagnostics (annotate-snippets, the renderer
//! rustc uses) for every finding and scan error, then a summary.
//!
//! ```text
//! critical[IAM001]: Allow with Action "*" (full admin)
//!   --> infra/iam.tf:7:7
//!    |
//!  7 |       Action   = "*"
//!    |       ^^^^^^^^^^^^^^ Action "*"
//!    |
//!    = note: resource aws_iam_policy.admin
//! ```

use std::io::{self, Write};
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use tollgate_core::{Diagnostic, DiagnosticLevel};
use tollgate_policy::{Finding, Report, Severity};

use super::escape::{visible, visible_window};
use super::{Sources, failing_findings, scan_errors, sorted_errors, sorted_findings};
use crate::paths::PathStyle;

/// Multi-line regions longer than this show their first lines only (the
/// renderer already folds the middle of long regions; this bounds its work).
const MAX_SNIPPET_LINES: u32 = 200;

/// What the text output needs besides the report.
pub(crate) struct TextOptions {
    pub(crate) color: bool,
    /// The gate, for the closing result line.
    pub(crate) fail_on: Option<Severity>,
}

pub(crate) fn write(
    w: &mut dyn Write,
    report: &Report,
    sources: &Sources,
    paths: &PathStyle,
    options: &TextOptions,
) -> io::Result<()> {
    let renderer = if options.color { Renderer::styled() } else { Renderer::plain() };
    for finding in sorted_findings(report) {
        let text = render_finding(&renderer, finding, sources, paths);
        writeln!(w, "{text}\n")?;
    }
    for diagnostic in sorted_errors(report) {
        let text = render_diagnostic(&renderer, diagnostic, sources, paths);
        writeln!(w, "{text}\n")?;
    }
    write_summary(w, report, options.fail_on)
}

fn finding_level(severity: Severity) -> Level<'static> {
    let level = match severity {
        Severity::Critical | Severity::High => Level::ERROR,
        Severity::Medium => Level::WARNING,
        Severity::Low => Level::INFO,
        Severity::Info => Level::NOTE,
    };
    level.with_name(Some(severity.as_str()))
}

fn render_finding(renderer: &Renderer, finding: &Finding, sources: &Sources, paths: &PathStyle) -> String {
    // Everything printed from the input is made visible first: a value or
    // a file name must not carry a workflow command or an escape sequence
    // into the log.
    let file = visible(&paths.display(&finding.file)).into_owned();
    let title = finding_level(finding.severity)
        .primary_title(visible(&finding.title).into_owned())
        .id(visible(&finding.rule_id).into_owned());
    let resource_note = format!("resource {}", visible(&finding.resource));
    let message = visible(&finding.message).into_owned();
    let mut groups = Vec::new();
    let main = match source_window(sources.get(&finding.file), finding.line, finding.end_line) {
        Some(window) => {
            let (text, highlight) = visible_window(window.text, window.highlight);
            title.element(
                Snippet::source(text.into_owned())
                    .line_start(window.first_line)
                    .path(file)
                    .annotation(AnnotationKind::Primary.span(highlight).label(message)),
            )
        }
        None => title.element(Origin::path(file).line(line_usize(finding.line))).element(Level::NOTE.message(message)),
    };
    let main = if finding.end_line > finding.line.saturating_add(MAX_SNIPPET_LINES - 1) {
        main.element(Level::NOTE.message(format!(
            "region continues to line {} (showing the first {MAX_SNIPPET_LINES} lines)",
            finding.end_line
        )))
    } else {
        main
    };
    groups.push(main.element(Level::NOTE.message(resource_note)));
    for call in &finding.call_sites {
        let file = visible(&paths.display(&call.file)).into_owned();
        let title = Level::NOTE.secondary_title(format!("`{}` is called here", visible(&call.module)));
        // The first line of the call is enough to find it.
        let group = match source_window(sources.get(&call.file), call.line, call.line) {
            Some(window) => {
                let (text, highlight) = visible_window(window.text, window.highlight);
                Group::with_title(title).element(
                    Snippet::source(text.into_owned())
                        .line_start(window.first_line)
                        .path(file)
                        .annotation(AnnotationKind::Context.span(highlight)),
                )
            }
            None => Group::with_title(title).element(Origin::path(file).line(line_usize(call.line))),
        };
        groups.push(group);
    }
    renderer.render(&groups)
}

fn render_diagnostic(renderer: &Renderer, diagnostic: &Diagnostic, sources: &Sources, paths: &PathStyle) -> String {
    let level = match diagnostic.level {
        DiagnosticLevel::Error => Level::ERROR,
        DiagnosticLevel::Warning => Level::WARNING,
        DiagnosticLevel::Info => Level::INFO,
    };
    let file = visible(&paths.display(&diagnostic.file)).into_owned();
    let title = level.primary_title(visible(&diagnostic.message).into_owned()).id(diagnostic.code);
    let line = diagnostic.line.unwrap_or(0);
    let group = match source_window(sources.get(&diagnostic.file), line, line) {
        Some(mut window) => {
            if let Some(column) = diagnostic.column {
                window.highlight = column_range(window.text, column).unwrap_or(window.highlight);
            }
            let (text, highlight) = visible_window(window.text, window.highlight);
            title.element(
                Snippet::source(text.into_owned())
                    .line_start(window.first_line)
                    .path(file)
                    .annotation(AnnotationKind::Primary.span(highlight)),
            )
        }
        None => {
            let mut origin = Origin::path(file);
            if let Some(line) = diagnostic.line {
                origin = origin.line(line_usize(line));
                if let Some(column) = diagnostic.column {
                    origin = origin.char_column(usize::try_from(column).unwrap_or(1));
                }
            }
            title.element(origin)
        }
    };
    renderer.render(&[group])
}

fn write_summary(w: &mut dyn Write, report: &Report, fail_on: Option<Severity>) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        w,
        "scanned {} {} ({} skipped, {} failed), {} {} in {} ms",
        s.files_scanned,
        plural(s.files_scanned, "file", "files"),
        s.files_skipped,
        s.files_failed,
        s.resources,
        plural(s.resources, "resource", "resources"),
        s.duration_ms
    )?;
    writeln!(
        w,
        "{} {}: {} critical, {} high, {} medium, {} low, {} info",
        s.findings,
        plural(s.findings, "finding", "findings"),
        s.critical,
        s.high,
        s.medium,
        s.low,
        s.info
    )?;
    let errors = scan_errors(report);
    let failing = failing_findings(report, fail_on);
    let result = if errors > 0 {
        format!(
            "error: {errors} {} could not be read or parsed and {} not checked",
            plural(errors, "input", "inputs"),
            plural(errors, "was", "were")
        )
    } else {
        match fail_on {
            None => "passed (--fail-on none)".to_string(),
            Some(min) if failing > 0 => {
                format!("failed: {failing} {} at or above {}", plural(failing, "finding", "findings"), min.as_str())
            }
            Some(min) => format!("passed: no finding at or above {}", min.as_str()),
        }
    };
    writeln!(w, "result: {result}")
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn line_usize(line: u32) -> usize {
    usize::try_from(line.max(1)).unwrap_or(1)
}

/// Lines of a file around a region, ready for a snippet.
#[derive(Debug, PartialEq, Eq)]
struct Window<'a> {
    /// The lines, without the final newline.
    text: &'a str,
    first_line: usize,
    /// Byte range of the region's content (first to last non-blank) in `text`.
    highlight: Range<usize>,
}

/// The lines `line..=end_line` (1-based; long regions cut at
/// [`MAX_SNIPPET_LINES`]) of `text`, or `None` when the file is not
/// available or the lines are not in it.
fn source_window(text: Option<&str>, line: u32, end_line: u32) -> Option<Window<'_>> {
    let text = text?;
    if line == 0 {
        return None;
    }
    let last = end_line.max(line).min(line.saturating_add(MAX_SNIPPET_LINES - 1));
    let mut start = None;
    let mut end = None;
    let mut offset = 0;
    for (index, chunk) in text.split_inclusive('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if number == line {
            start = Some(offset);
        }
        let content_end = offset + chunk.trim_end_matches(['\n', '\r']).len();
        if number >= line {
            end = Some(content_end);
        }
        if number >= last {
            break;
        }
        offset += chunk.len();
    }
    let total = text.split_inclusive('\n').count();
    if start.is_none()
        && usize::try_from(line).is_ok_and(|l| l == total + 1)
        && (text.is_empty() || text.ends_with('\n'))
    {
        // The empty last line: where "unexpected end of file" points.
        return Some(Window { text: "", first_line: usize::try_from(line).unwrap_or(1), highlight: 0..0 });
    }
    let (start, end) = (start?, end?);
    let window = text.get(start..end)?;
    let leading = window.len() - window.trim_start().len();
    let content = window.trim_end().len();
    let highlight = if content > leading { leading..content } else { 0..0 };
    Some(Window { text: window, first_line: usize::try_from(line).unwrap_or(1), highlight })
}

/// From a 1-based byte column on the first line of `text` to the end of
/// that line's content.
fn column_range(text: &str, column: u32) -> Option<Range<usize>> {
    let first = text.split('\n').next()?.trim_end();
    let start = usize::try_from(column.checked_sub(1)?).ok()?;
    if start >= first.len() || !first.is_char_boundary(start) {
        return None;
    }
    Some(start..first.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_covers_the_region_content() {
        let text = "a {\n  b = 1\n  c = [\n    2,\n  ]\n}\n";
        let w = source_window(Some(text), 3, 5).unwrap();
        assert_eq!(w.text, "  c = [\n    2,\n  ]");
        assert_eq!(w.first_line, 3);
        assert_eq!(&w.text[w.highlight.clone()], "c = [\n    2,\n  ]");
        assert_eq!(source_window(Some(text), 9, 9), None);
        // The line after a final newline exists (end of file).
        assert_eq!(source_window(Some(text), 7, 7), Some(Window { text: "", first_line: 7, highlight: 0..0 }));
        assert_eq!(source_window(Some("x"), 2, 2), None);
        assert_eq!(source_window(Some(text), 0, 0), None);
        assert_eq!(source_window(None, 1, 1), None);
        // An end beyond the file stops at the last line.
        assert_eq!(source_window(Some(text), 6, 40).unwrap().text, "}");
    }

    #[test]
    fn long_regions_are_cut() {
        let text: String = (1..=400).map(|i| format!("line{i}\n")).collect();
        let w = source_window(Some(&text), 2, 400).unwrap();
        assert_eq!(w.text.lines().count(), MAX_SNIPPET_LINES as usize);
        assert!(w.text.ends_with("line201"));
    }

    #[test]
    fn crlf_and_columns() {
        let w = source_window(Some("x = 1\r\ny = [\r\n"), 2, 2).unwrap();
        assert_eq!(w.text, "y = [");
        assert_eq!(column_range("y = [", 5), Some(4..5));
        assert_eq!(column_range("y = [", 9), None);
        assert_eq!(column_range("y = [", 0), None);
    }

    #[test]
    fn renders_without_source_text() {
        let finding = Finding {
            rule_id: "IAM001".into(),
            severity: Severity::Critical,
            zone: tollgate_policy::Zone::A,
            title: "Allow statement grants every action".into(),
            message: "Action \"*\"".into(),
            resource: "aws_iam_policy.x".into(),
            file: "gone.tf".into(),
            line: 4,
            end_line: 6,
            call_sites: Vec::new(),
        };
        let out = render_finding(&Renderer::plain(), &finding, &Sources::default(), &PathStyle::with_cwd("/x"));
        assert!(out.contains("--> gone.tf:4"), "{out}");
        assert!(out.contains("= note: Action \"*\""), "{out}");
        let diagnostic = Diagnostic::error(std::sync::Arc::from("outside/secret.tf"), "io", "outside the scanned tree");
        let out = render_diagnostic(&Renderer::plain(), &diagnostic, &Sources::default(), &PathStyle::with_cwd("/x"));
        assert_eq!(out, "error[io]: outside the scanned tree\n--> outside/secret.tf");
    }

    #[test]
    fn renders_a_finding_with_snippet_and_call_site() {
        let mut sources = Sources::default();
        sources.insert(
            "mod/sg.tf",
            "resource \"aws_security_group\" \"x\" {\n  ingress {\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n",
        );
        sources.insert("main.tf", "module \"web\" {\n  source = \"./mod\"\n}\n");
        let finding = Finding {
            rule_id: "NET001".into(),
            severity: Severity::High,
            zone: tollgate_policy::Zone::A,
            title: "World-open remote administration port".into(),
            message: "0.0.0.0/0 → tcp/22".into(),
            resource: "module.web.aws_security_group.x".into(),
            file: "mod/sg.tf".into(),
            line: 2,
            end_line: 4,
            call_sites: vec![tollgate_core::graph::CallSite {
                module: "module.web".into(),
                file: "main.tf".into(),
                line: 1,
                end_line: 3,
            }],
        };
        let out = render_finding(&Renderer::plain(), &finding, &sources, &PathStyle::with_cwd("/nowhere"));
        assert!(out.starts_with("high[NET001]: World-open remote administration port"), "{out}");
        assert!(out.contains("--> mod/sg.tf:2:3"), "{out}");
        assert!(out.contains("0.0.0.0/0 → tcp/22"), "{out}");
        assert!(out.contains("= note: resource module.web.aws_security_group.x"), "{out}");
        assert!(out.contains("note: `module.web` is called here"), "{out}");
        assert!(out.contains("--> main.tf:1:1"), "{out}");
    }
}
