//! Stage 7: render diagnostics for people (rustc style) and machines (JSON, SARIF, GitHub).
//!
//! Every renderer takes the same sorted diagnostic list and summary, so the formats never
//! disagree about what was found.

mod github;
mod human;
mod json;
mod sarif;

use serde::Serialize;

use crate::diagnostics::{Diagnostic, Severity};
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

/// Counts shown at the end of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Files examined (every discovered rule file).
    pub files: usize,
    /// Rules that loaded and validated.
    pub rules: usize,
    /// Files that could not be loaded as a rule (their problems are in the diagnostics).
    pub skipped: usize,
    /// Files removed by `--exclude`.
    pub excluded: usize,
    /// Findings hidden by `rulecat: allow(...)` comments.
    pub suppressed: usize,
    /// Why the run fails although nothing is at error level (`--deny warnings`), e.g.
    /// `--deny warnings: 2 warnings fail the run`. Shown in the summary line and, with
    /// `--format github`, as an `::error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied: Option<String>,
    /// How many files were read as each kind (`hunting-query`, `scheduled`, ...).
    pub kinds: std::collections::BTreeMap<&'static str, usize>,
    /// Each loaded file's display name and the kind it was read as (the JSON report's
    /// `files`).
    #[serde(skip)]
    pub file_kinds: Vec<(String, &'static str)>,
}

impl Summary {
    pub fn count(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Note => self.notes += 1,
            }
        }
    }

    /// `2 errors, 1 warning in 4 files`
    pub fn line(&self) -> String {
        let mut s = format!(
            "{}, {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        );
        if self.notes > 0 {
            s.push_str(&format!(", {}", plural(self.notes, "note")));
        }
        s.push_str(&format!(" in {}", plural(self.files, "file")));
        let mut extra = Vec::new();
        if self.skipped > 0 {
            extra.push(format!("{} not loaded", self.skipped));
        }
        if self.excluded > 0 {
            extra.push(format!("{} excluded", self.excluded));
        }
        if self.suppressed > 0 {
            extra.push(format!("{} suppressed", self.suppressed));
        }
        if !extra.is_empty() {
            s.push_str(&format!(" ({})", extra.join(", ")));
        }
        if let Some(d) = &self.denied {
            s.push_str(&format!("; failed: {d}"));
        }
        s
    }

    /// Records that `--deny LEVEL` fails this run, when it does so on its own (findings
    /// at error level fail the run anyway). `notes_too`: `--deny notes`.
    pub fn deny(&mut self, notes_too: bool) {
        if self.errors > 0 {
            return;
        }
        let mut counted = Vec::new();
        if self.warnings > 0 {
            counted.push(plural(self.warnings, "warning"));
        }
        if notes_too && self.notes > 0 {
            counted.push(plural(self.notes, "note"));
        }
        if !counted.is_empty() {
            let flag = if notes_too { "notes" } else { "warnings" };
            let verb = if counted.len() == 1 && counted[0].starts_with("1 ") {
                "fails"
            } else {
                "fail"
            };
            self.denied = Some(format!(
                "--deny {flag}: {} {verb} the run",
                counted.join(" and ")
            ));
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
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
