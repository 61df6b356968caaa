//! `--format json`: one document, stable field names (documented in the README).

use serde::Serialize;

use super::{Summary, position};
use crate::diagnostics::Diagnostic;
use crate::source::SourceMap;

/// Version of the JSON report layout; bumped on any incompatible change.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: &'static str,
    tool_version: &'static str,
    summary: &'a Summary,
    /// Every file that loaded, with the kind it was read as.
    files: Vec<JsonFile<'a>>,
    diagnostics: Vec<JsonDiagnostic>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: String,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    labels: Vec<JsonLabel>,
    notes: Vec<String>,
    help: Option<String>,
}

#[derive(Serialize)]
struct JsonLabel {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
    primary: bool,
    message: String,
}

pub(super) fn render(diags: &[Diagnostic], sources: &SourceMap, summary: &Summary) -> String {
    let diagnostics = diags
        .iter()
        .map(|d| {
            let primary = d.primary().map(|l| position(sources, l.file, &l.span));
            JsonDiagnostic {
                code: d.code.code,
                name: d.code.name,
                severity: d.severity.as_str(),
                message: d.message.clone(),
                file: d.file.map(|f| sources.get(f).name.clone()),
                line: primary.as_ref().map(|p| p.line),
                column: primary.as_ref().map(|p| p.column),
                end_line: primary.as_ref().map(|p| p.end_line),
                end_column: primary.as_ref().map(|p| p.end_column),
                labels: d
                    .labels
                    .iter()
                    .map(|l| {
                        let p = position(sources, l.file, &l.span);
                        JsonLabel {
                            file: p.file,
                            line: p.line,
                            column: p.column,
                            end_line: p.end_line,
                            end_column: p.end_column,
                            byte_start: l.span.start,
                            byte_end: l.span.end,
                            primary: l.primary,
                            message: l.message.clone(),
                        }
                    })
                    .collect(),
                notes: d.notes.clone(),
                help: d.help.clone(),
            }
        })
        .collect();
    let report = Report {
        version: JSON_FORMAT_VERSION,
        tool: "rulecat",
        tool_version: env!("CARGO_PKG_VERSION"),
        summary,
        files: summary
            .file_kinds
            .iter()
            .map(|(file, kind)| JsonFile { file, kind })
            .collect(),
        diagnostics,
    };
    let mut s = serde_json::to_string_pretty(&report).expect("report serializes");
    s.push('\n');
    s
}
