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
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
    primary: bool,
    message: &'a str,
}

fn json_diagnostic<'a>(d: &'a Diagnostic, sources: &'a SourceMap) -> JsonDiagnostic<'a> {
    let primary = d.primary().map(|l| position(sources, l.file, &l.span));
    JsonDiagnostic {
        code: d.code.code,
        name: d.code.name,
        severity: d.severity.as_str(),
        message: &d.message,
        file: d.file.map(|f| sources.get(f).name.as_str()),
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
                    file: sources.get(l.file).name.as_str(),
                    line: p.line,
                    column: p.column,
                    end_line: p.end_line,
                    end_column: p.end_column,
                    byte_start: l.span.start,
                    byte_end: l.span.end,
                    primary: l.primary,
                    message: &l.message,
                }
            })
            .collect(),
        notes: &d.notes,
        help: d.help.as_deref(),
    }
}

/// How deep `serde_json`'s pretty printer indents the elements of the top-level
/// `diagnostics` array: two levels of two spaces.
const ELEMENT_INDENT: &[u8] = b"    ";

/// Diagnostics rendered per parallel task.
const CHUNK: usize = 256;

/// Diagnostics rendered in parallel at a time, a chunk per task: the text held at once
/// stays bounded however many diagnostics there are.
const BATCH: usize = 16 * CHUNK;

/// Writes the elements of the `diagnostics` array, exactly as `serde_json::to_string_pretty`
/// writes them inside the report (each at its indentation, `,\n` between them), rendered
/// in parallel. JSON strings never hold a raw line break (serde_json escapes it), so
/// indenting after every `\n` of an element rendered on its own gives the same bytes.
fn write_diagnostic_elements(
    diags: &[Diagnostic],
    sources: &SourceMap,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    for (b, batch) in diags.chunks(BATCH).enumerate() {
        let chunks: Vec<Vec<u8>> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut out = Vec::new();
                let mut one = Vec::new();
                for (i, d) in chunk.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b",\n");
                    }
                    one.clear();
                    serde_json::to_writer_pretty(&mut one, &json_diagnostic(d, sources))
                        .expect("a diagnostic serializes");
                    out.extend_from_slice(ELEMENT_INDENT);
                    for line in one.split_inclusive(|&b| b == b'\n') {
                        out.extend_from_slice(line);
                        if line.ends_with(b"\n") {
                            out.extend_from_slice(ELEMENT_INDENT);
                        }
                    }
                }
                out
            })
            .collect();
        for (i, c) in chunks.iter().enumerate() {
            if b > 0 || i > 0 {
                w.write_all(b",\n")?;
            }
            w.write_all(c)?;
        }
    }
    Ok(())
}

fn report<'a>(summary: &'a Summary, diagnostics: Vec<JsonDiagnostic<'a>>) -> Report<'a> {
    Report {
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
    }
}

pub(super) fn render(diags: &[Diagnostic], sources: &SourceMap, summary: &Summary) -> String {
    let mut out = Vec::new();
    write(diags, sources, summary, &mut out).expect("writing to memory succeeds");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes the report to `w` as it is rendered (the whole text is never held at once).
pub(super) fn write(
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    // The report without its diagnostics ends in `"diagnostics": []` and the closing
    // brace: the elements, rendered in parallel, go between the brackets.
    let mut s =
        serde_json::to_string_pretty(&report(summary, Vec::new())).expect("report serializes");
    const EMPTY_TAIL: &str = "[]\n}";
    if !diags.is_empty() {
        if s.ends_with(EMPTY_TAIL) {
            s.truncate(s.len() - EMPTY_TAIL.len());
            s.push_str("[\n");
            w.write_all(s.as_bytes())?;
            write_diagnostic_elements(diags, sources, w)?;
            return w.write_all(b"\n  ]\n}\n");
        }
        let all = diags.iter().map(|d| json_diagnostic(d, sources)).collect();
        s = serde_json::to_string_pretty(&report(summary, all)).expect("report serializes");
    }
    s.push('\n');
    w.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;

    /// The parallel rendering gives the bytes serde_json gives for the whole report, over
    /// several chunks and with line breaks, quotes and non-ASCII text in the strings.
    #[test]
    fn parallel_rendering_matches_serde_json() {
        let mut sources = SourceMap::new();
        let a = sources.add(
            "a.yaml".into(),
            "name: x\nquery: |\n  T\n  | take 1\n".into(),
        );
        let b = sources.add("dir/b é.yaml".into(), "id: 1\r\nname: \"ü\"\n".into());
        let code = codes::all()[0];
        let mut diags = Vec::new();
        for i in 0..(BATCH + 2 * CHUNK + 7) {
            let file = if i % 3 == 0 { b } else { a };
            let mut d = Diagnostic::new(code, format!("message {i}: \"quoted\"\nsecond line")).at(
                file,
                i % 5..i % 5 + 2,
                format!("label\t{i}"),
            );
            if i % 2 == 0 {
                d = d.secondary(a, 0..4, "other").note("a note").help("help é");
            }
            diags.push(d);
        }
        diags.push(Diagnostic::new(code, "no file"));
        let mut summary = Summary {
            files: 2,
            ..Summary::default()
        };
        summary.file_kinds.push(("a.yaml".into(), "hunting-query"));
        summary.count(&diags);
        let report = Report {
            version: JSON_FORMAT_VERSION,
            tool: "rulecat",
            tool_version: env!("CARGO_PKG_VERSION"),
            summary: &summary,
            files: summary
                .file_kinds
                .iter()
                .map(|(file, kind)| JsonFile { file, kind })
                .collect(),
            diagnostics: diags.iter().map(|d| json_diagnostic(d, &sources)).collect(),
        };
        let want = serde_json::to_string_pretty(&report).unwrap() + "\n";
        assert_eq!(render(&diags, &sources, &summary), want);
        let empty = Report {
            diagnostics: Vec::new(),
            ..report
        };
        let want = serde_json::to_string_pretty(&empty).unwrap() + "\n";
        assert_eq!(render(&[], &sources, &summary), want);
    }
}
