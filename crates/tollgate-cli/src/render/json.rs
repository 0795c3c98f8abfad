//! Machine output: one JSON document with the findings, the scan errors and
//! the summary. Paths are relative to the current directory; findings and
//! errors are in the same stable order as the text output.
//!
//! ```json
//! {"version": "0.1.0",
//!  "findings": [{"rule_id": "IAM001", "severity": "critical", "zone": "A", "title": "…",
//!                "message": "Action \"*\"", "resource": "aws_iam_policy.admin",
//!                "file": "infra/iam.tf", "line": 7, "end_line": 7,
//!                "call_sites": [{"module": "module.x", "file": "main.tf", "line": 1, "end_line": 4}]}],
//!  "errors": [{"file": "broken.tf", "line": 3, "column": 5, "level": "error", "code": "parse", "message": "…"}],
//!  "summary": {"files_scanned": 3, …}}
//! ```

use std::io::{self, Write};

use serde::Serialize;
use tollgate_core::DiagnosticLevel;
use tollgate_policy::{Report, Severity, Summary, Zone};

use super::{sorted_errors, sorted_findings};
use crate::paths::PathStyle;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: &'a str,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    severity: Severity,
    zone: Zone,
    title: &'a str,
    message: &'a str,
    resource: &'a str,
    file: String,
    line: u32,
    end_line: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    call_sites: Vec<JsonCallSite<'a>>,
}

#[derive(Serialize)]
struct JsonCallSite<'a> {
    module: &'a str,
    file: String,
    line: u32,
    end_line: u32,
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: String,
    line: Option<u32>,
    column: Option<u32>,
    level: DiagnosticLevel,
    code: &'a str,
    message: &'a str,
}

pub(crate) fn write(w: &mut dyn Write, report: &Report, paths: &PathStyle) -> io::Result<()> {
    let doc = JsonReport {
        version: &report.version,
        findings: sorted_findings(report)
            .into_iter()
            .map(|f| JsonFinding {
                rule_id: &f.rule_id,
                severity: f.severity,
                zone: f.zone,
                title: &f.title,
                message: &f.message,
                resource: &f.resource,
                file: paths.display(&f.file),
                line: f.line,
                end_line: f.end_line,
                call_sites: f
                    .call_sites
                    .iter()
                    .map(|c| JsonCallSite {
                        module: &c.module,
                        file: paths.display(&c.file),
                        line: c.line,
                        end_line: c.end_line,
                    })
                    .collect(),
            })
            .collect(),
        errors: sorted_errors(report)
            .into_iter()
            .map(|d| JsonError {
                file: paths.display(&d.file),
                line: d.line,
                column: d.column,
                level: d.level,
                code: d.code,
                message: &d.message,
            })
            .collect(),
        summary: &report.summary,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::from)?;
    writeln!(w)
}
