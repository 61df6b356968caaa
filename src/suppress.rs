//! Configured levels and inline suppressions, applied to the finished diagnostic list.
//!
//! A suppression is a comment in the rule file, in YAML (`#`) or inside the query (`//`):
//!
//! ```yaml
//! # rulecat: allow(scalar-tactics) -- upstream style, kept on purpose   <- whole file (before the first key)
//! tactics: CommandAndControl  # rulecat: allow(scalar-tactics) -- same line
//! query: |
//!   // rulecat: allow(overbroad-signer) -- every Zoho binary is in scope here
//!   | where Signer has 'Zoho'                                  <- the next line
//! ```
//!
//! The reason after `--` is required. A suppression that suppresses nothing is reported,
//! so stale ones do not pile up.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::config::Config;
use crate::declare_code;
use crate::diagnostics::{Diagnostic, FileId};
use crate::source::SourceMap;

declare_code! {
    /// A `rulecat: allow(...)` comment that cannot be used: no reason, or an unknown lint.
    ///
    /// ## Why it matters
    /// A suppression hides a finding from every later reader; the reason is what tells
    /// them why that is fine. A misspelled lint name would suppress nothing.
    ///
    /// ## Example
    /// ```yaml
    /// # rulecat: allow(overbroad-signer)
    /// ```
    /// Fixed:
    /// ```yaml
    /// # rulecat: allow(overbroad-signer) -- all Zoho-signed tools are in scope for this hunt
    /// ```
    ///
    /// ## How to fix
    /// Write `-- reason` after the closing parenthesis and use lint names or codes from
    /// `rulecat explain --list`.
    pub static INVALID_SUPPRESSION = {
        code: "A0001",
        name: "invalid-suppression",
        level: Error,
        summary: "a suppression comment without a reason or with an unknown lint",
    }
}

declare_code! {
    /// A `rulecat: allow(...)` comment that suppresses nothing.
    ///
    /// ## Why it matters
    /// The finding it was written for is gone (fixed, or moved to another line); the
    /// comment now only misleads, and would silently hide a new finding later.
    ///
    /// ## Example
    /// ```kql
    /// // rulecat: allow(overbroad-signer) -- legacy
    /// | where Signer == 'Zoho Corporation Private Limited'
    /// ```
    ///
    /// ## How to fix
    /// Delete the comment.
    pub static UNUSED_SUPPRESSION = {
        code: "A0002",
        name: "unused-suppression",
        level: Warning,
        summary: "a suppression comment that suppresses nothing",
    }
}

static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:#|//)\s*rulecat:\s*allow\(([^)]*)\)(?:\s*--\s*(.*?))?\s*$")
        .expect("valid regex")
});

#[derive(Debug)]
struct Suppression {
    file: FileId,
    /// 0-based lines it covers (`None`: the whole file).
    lines: Option<Range<usize>>,
    /// Lint codes it names.
    codes: Vec<&'static str>,
    span: Range<usize>,
    used: bool,
}

/// Applies `[lints]` levels and inline suppressions. Returns how many diagnostics were
/// suppressed.
pub fn apply(diags: &mut Vec<Diagnostic>, sources: &SourceMap, config: &Config) -> usize {
    // Configured levels first: `allow` removes, the others re-level.
    diags.retain_mut(|d| match config.level(d.code) {
        Some(level) => match level.severity() {
            Some(s) => {
                d.severity = s;
                true
            }
            None => false,
        },
        None => true,
    });

    let mut suppressions = Vec::new();
    let mut problems = Vec::new();
    let files: BTreeSet<FileId> = (0..sources.len()).collect();
    for file in files {
        scan(file, sources, &mut suppressions, &mut problems);
    }
    let before = diags.len();
    diags.retain(|d| {
        let (Some(file), Some(label)) = (d.file, d.primary()) else {
            return true;
        };
        let line = sources.get(file).line_index(label.span.start);
        for s in suppressions.iter_mut() {
            if s.file == file
                && s.codes.contains(&d.code.code)
                && s.lines.as_ref().is_none_or(|r| r.contains(&line))
            {
                s.used = true;
                return false;
            }
        }
        true
    });
    let suppressed = before - diags.len();
    for s in suppressions.iter().filter(|s| !s.used) {
        diags.push(
            Diagnostic::new(&UNUSED_SUPPRESSION, "this suppression suppresses nothing")
                .at(s.file, s.span.clone(), "nothing to allow here")
                .help("delete the comment"),
        );
    }
    diags.extend(problems);
    suppressed
}

fn scan(
    file: FileId,
    sources: &SourceMap,
    out: &mut Vec<Suppression>,
    problems: &mut Vec<Diagnostic>,
) {
    let src = sources.get(file);
    let text = &*src.text;
    if !text.contains("rulecat:") {
        return;
    }
    let mut seen_content = false;
    for line_no in 0..src.line_count() {
        let Some(range) = src.line_range(line_no) else {
            continue;
        };
        let line = &text[range.clone()];
        let trimmed = line.trim_start();
        let is_comment_line = trimmed.starts_with('#') || trimmed.starts_with("//");
        if let Some(caps) = MARKER.captures(line) {
            let whole = caps.get(0).expect("match");
            let span = range.start + whole.start()..range.start + whole.end();
            let names = caps.get(1).map_or("", |m| m.as_str());
            let reason = caps.get(2).map(|m| m.as_str().trim()).unwrap_or("");
            let mut codes = Vec::new();
            let mut ok = true;
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match crate::diagnostics::find_code(name) {
                    Some(c) => codes.push(c.code),
                    None => {
                        ok = false;
                        let hint = crate::suggest::closest(
                            name,
                            crate::diagnostics::all_codes().iter().map(|c| c.name),
                        )
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "`rulecat explain --list` shows every lint".into());
                        problems.push(
                            Diagnostic::new(
                                &INVALID_SUPPRESSION,
                                format!("unknown lint `{name}` in a suppression"),
                            )
                            .at(file, span.clone(), "unknown lint")
                            .help(hint),
                        );
                    }
                }
            }
            if codes.is_empty() && ok {
                ok = false;
                problems.push(
                    Diagnostic::new(
                        &INVALID_SUPPRESSION,
                        "a suppression must name at least one lint",
                    )
                    .at(file, span.clone(), "empty `allow()`"),
                );
            }
            if reason.is_empty() {
                ok = false;
                problems.push(
                    Diagnostic::new(&INVALID_SUPPRESSION, "a suppression needs a reason")
                        .at(file, span.clone(), "no `-- reason`")
                        .help("write why the finding is acceptable after `--`, e.g. `# rulecat: allow(scalar-tactics) -- upstream style`"),
                );
            }
            if ok {
                let lines = if !is_comment_line {
                    Some(line_no..line_no + 1)
                } else if !seen_content && trimmed.starts_with('#') {
                    None
                } else {
                    // The next line that is not blank and not a comment.
                    let next = (line_no + 1..src.line_count())
                        .find(|&n| {
                            src.line_range(n).is_some_and(|r| {
                                let t = text[r].trim_start();
                                !t.is_empty() && !t.starts_with('#') && !t.starts_with("//")
                            })
                        })
                        .unwrap_or(line_no + 1);
                    Some(next..next + 1)
                };
                out.push(Suppression {
                    file,
                    lines,
                    codes,
                    span,
                    used: false,
                });
            }
        }
        if !trimmed.is_empty() && !is_comment_line && trimmed != "---" {
            seen_content = true;
        }
    }
}
