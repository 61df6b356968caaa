//! The diagnostic type every stage produces, and the registry of diagnostic codes.
//!
//! A [`Diagnostic`] is plain data: a code, a severity, a message, labelled byte spans in
//! one source file, notes and help. The `report` module renders the same list for people
//! (rustc style) and for machines (JSON, SARIF, GitHub annotations).

use serde::Serialize;
use std::ops::Range;

/// How serious a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Static description of one diagnostic code: what `rulecat explain CODE` prints.
#[derive(Debug)]
pub struct CodeInfo {
    /// Stable code, e.g. `Y0002`.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `duplicate-key`.
    pub name: &'static str,
    /// Default severity.
    pub level: Severity,
    /// One-line summary.
    pub summary: &'static str,
    /// Long documentation (what it finds, why it matters, example, how to fix), from the
    /// doc comment on the declaration.
    pub docs: &'static str,
}

impl PartialEq for CodeInfo {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for CodeInfo {}

/// Declares a diagnostic code. The doc comment becomes the `explain` text.
#[macro_export]
macro_rules! declare_code {
    (
        $(#[doc = $doc:expr])*
        $vis:vis static $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            level: $level:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis static $ident: $crate::diagnostics::CodeInfo = $crate::diagnostics::CodeInfo {
            code: $code,
            name: $name,
            level: $crate::diagnostics::Severity::$level,
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
        };
        const _: () = {
            #[$crate::diagnostics::linkme::distributed_slice($crate::diagnostics::CODES)]
            #[linkme(crate = $crate::diagnostics::linkme)]
            static REGISTERED: &$crate::diagnostics::CodeInfo = &$ident;
        };
    };
}

#[doc(hidden)]
pub use linkme;

/// Every code declared with [`declare_code!`], gathered at link time in no particular
/// order: the registry that layers below the lints (`config`, `suppress`) look names up
/// in without importing them. `codes::all()` is the sorted view.
#[linkme::distributed_slice]
pub static CODES: [&'static CodeInfo];

/// Every declared code, sorted by code.
pub fn all_codes() -> Vec<&'static CodeInfo> {
    let mut v: Vec<&'static CodeInfo> = CODES.iter().copied().collect();
    v.sort_by_key(|c| c.code);
    v
}

/// Finds a declared code by its code (`S0001`, case-insensitive) or its name
/// (`unknown-key`).
pub fn find_code(query: &str) -> Option<&'static CodeInfo> {
    all_codes()
        .into_iter()
        .find(|c| c.code.eq_ignore_ascii_case(query) || c.name.eq_ignore_ascii_case(query))
}

/// Index of a file in a [`crate::source::SourceMap`].
pub type FileId = usize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Byte range in the file's text.
    pub span: Range<usize>,
    pub message: String,
    pub primary: bool,
    /// The file this label points into; usually the diagnostic's own file.
    pub file: FileId,
}

/// A replacement of a byte range of the diagnostic's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub span: Range<usize>,
    pub replacement: String,
}

/// A fix that is certain: applying it never changes what the rule means beyond the
/// correction (`rulecat lint --fix` applies it, `--diff` shows it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What the fix does, e.g. "replace `Montioring` with `Monitoring`".
    pub message: String,
    /// Non-overlapping edits in the diagnostic's file.
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static CodeInfo,
    pub severity: Severity,
    pub message: String,
    /// The file the finding is about; `None` for findings about the run itself.
    pub file: Option<FileId>,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(code: &'static CodeInfo, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.level,
            message: message.into(),
            file: None,
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Attaches a certain fix.
    pub fn with_fix(mut self, message: impl Into<String>, edits: Vec<Edit>) -> Self {
        self.fix = Some(Fix {
            message: message.into(),
            edits,
        });
        self
    }

    /// Attaches the diagnostic to a file with a primary label.
    pub fn at(mut self, file: FileId, span: Range<usize>, label: impl Into<String>) -> Self {
        self.file = Some(file);
        self.labels.push(Label {
            span,
            message: label.into(),
            primary: true,
            file,
        });
        self
    }

    /// Attaches the diagnostic to a file without pointing at a span.
    pub fn in_file(mut self, file: FileId) -> Self {
        self.file = Some(file);
        self
    }

    pub fn secondary(mut self, file: FileId, span: Range<usize>, label: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: label.into(),
            primary: false,
            file,
        });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The primary label, if any.
    pub fn primary(&self) -> Option<&Label> {
        self.labels.iter().find(|l| l.primary)
    }
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
