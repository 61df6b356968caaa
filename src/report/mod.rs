//! Stage 7: render diagnostics for people (rustc style) and machines (JSON, SARIF, GitHub).
//!
//! Every renderer takes the same sorted diagnostic list and summary, so the formats never
//! disagree about what was found.

mod github;
mod human;
mod json;
mod sarif;

use crate::diagnostics::Summary;

use crate::diagnostics::Diagnostic;
use crate::source::SourceMap;

pub use human::ColorChoice;

/// Output format of `rulecat lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with source snippets.
    Human,
    /// One JSON document with every diagnostic (stable fields, see README).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...`), shown as annotations.
    Github,
}

/// Sorts diagnostics into the one order every format uses: by file name, position, code.
///
/// The sort is stable (findings with equal keys keep their order) and compares borrowed
/// keys: nothing is copied per comparison.
pub fn sort(diags: &mut [Diagnostic], sources: &SourceMap) {
    use rayon::slice::ParallelSliceMut;
    let name = |d: &Diagnostic| d.file.map(|f| sources.get(f).name.as_str());
    let at = |d: &Diagnostic| d.primary().map(|l| (l.span.start, l.span.end));
    diags.par_sort_by(|a, b| {
        name(a)
            .cmp(&name(b))
            .then_with(|| at(a).cmp(&at(b)))
            .then_with(|| a.code.code.cmp(b.code.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// Renders the report in the chosen format.
pub fn render(
    format: Format,
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
    color: ColorChoice,
) -> String {
    match format {
        Format::Human => human::render(diags, sources, summary, color),
        Format::Json => json::render(diags, sources, summary),
        Format::Sarif => sarif::render(diags, sources),
        Format::Github => github::render(diags, sources, summary),
    }
}

/// Writes the report in the chosen format to `w`; the JSON report is written as it is
/// rendered, never held whole in memory.
pub fn write(
    format: Format,
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
    color: ColorChoice,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(diags, sources, summary, w),
        _ => w.write_all(render(format, diags, sources, summary, color).as_bytes()),
    }
}

/// Position of a diagnostic: file name and 1-based start/end line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub(crate) fn position(
    sources: &SourceMap,
    file: usize,
    span: &std::ops::Range<usize>,
) -> Position {
    let f = sources.get(file);
    let (line, column) = f.line_col(span.start);
    let (end_line, end_column) = f.line_col(span.end);
    Position {
        file: f.name.clone(),
        line,
        column,
        end_line,
        end_column,
    }
}
