use std::ops::Range;

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};
use crate::loading::yaml::{Node, Value};

declare_code! {
    /// The file contains non-ASCII characters.
    ///
    /// ## What it finds
    /// Any character outside ASCII, anywhere in the file: typographic quotes and dashes
    /// pasted from a document (`’`, `“`, `–`), non-breaking spaces, ellipses, accented
    /// letters, emoji. A UTF-8 byte-order mark at the start of the file is reported on
    /// its own. At most 20 findings are shown per file.
    ///
    /// ## Why it matters
    /// The Azure-Sentinel repository's validation rejects rule files with non-ASCII
    /// characters. In a query they are worse: a `’` is not a string delimiter, a `–` is
    /// not a minus sign, and a non-breaking space in a string literal never matches the
    /// space in the data.
    ///
    /// ## Example
    /// ```yaml
    /// description: Finds WMIC launching a process on the attacker’s target – remotely.
    /// ```
    /// Fixed:
    /// ```yaml
    /// description: Finds WMIC launching a process on the attacker's target - remotely.
    /// ```
    ///
    /// ## How to fix
    /// Replace the characters with their ASCII equivalents. `rulecat lint --fix` does it
    /// for typographic quotes, dashes, non-breaking spaces and ellipses outside the query's
    /// code (in text fields and comments) and removes a byte-order mark; other
    /// characters need a person to decide.
    pub static CODE = {
        code: "F0001",
        name: "ascii-only",
        level: Warning,
        summary: "non-ASCII characters in the file",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Any,
    check_rule: Some(check),
    check_catalog: None,
};

const MAX_PER_FILE: usize = 20;

/// The ASCII replacement and the name of a common typographic character.
fn ascii_for(c: char) -> Option<(&'static str, &'static str)> {
    Some(match c {
        '\u{2013}' => ("-", "EN DASH"),
        '\u{2014}' => ("-", "EM DASH"),
        '\u{2010}' => ("-", "HYPHEN"),
        '\u{2011}' => ("-", "NON-BREAKING HYPHEN"),
        '\u{2212}' => ("-", "MINUS SIGN"),
        '\u{2018}' => ("'", "LEFT SINGLE QUOTATION MARK"),
        '\u{2019}' => ("'", "RIGHT SINGLE QUOTATION MARK"),
        '\u{201C}' => ("\"", "LEFT DOUBLE QUOTATION MARK"),
        '\u{201D}' => ("\"", "RIGHT DOUBLE QUOTATION MARK"),
        '\u{00A0}' => (" ", "NO-BREAK SPACE"),
        '\u{202F}' => (" ", "NARROW NO-BREAK SPACE"),
        '\u{2026}' => ("...", "HORIZONTAL ELLIPSIS"),
        _ => return None,
    })
}

/// How a scalar is written, which decides how a replacement must be escaped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Block,
}

fn collect_scalars(text: &str, node: &Node, out: &mut Vec<(Range<usize>, Style)>) {
    match &node.value {
        Value::String(_) => {
            let style = match text.as_bytes().get(node.span.start) {
                Some(b'\'') => Style::Single,
                Some(b'"') => Style::Double,
                _ if after_block_indicator(&text[..node.span.start]) => Style::Block,
                _ => Style::Plain,
            };
            out.push((node.span.clone(), style));
        }
        Value::Seq(items) => {
            for i in items {
                collect_scalars(text, i, out);
            }
        }
        Value::Map(entries) => {
            for e in entries {
                collect_scalars(text, &e.value, out);
            }
        }
        _ => {}
    }
}

/// Whether a scalar starting after `before` is a block scalar: its content starts on a
/// line of its own, after a line that ends with `|` or `>` (and chomping or indentation
/// indicators).
fn after_block_indicator(before: &str) -> bool {
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before[line_start..].trim().is_empty() {
        return false;
    }
    let Some(prev) = before[..line_start]
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
    else {
        return false;
    };
    let prev = prev.trim_end();
    let prev = prev.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
    prev.ends_with('|') || prev.ends_with('>')
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let text = ctx.text;
    let file = ctx.rule.file;
    let mut start = 0;
    if text.starts_with('\u{feff}') {
        out.push(
            Diagnostic::new(&CODE, "the file starts with a UTF-8 BOM (byte-order mark)")
                .at(file, 0..3, "UTF-8 BOM")
                .note(
                    "UTF-8 needs no byte-order mark; Sentinel's validation rejects files with one",
                )
                .help("remove it (`rulecat lint --fix` does)")
                .with_fix(
                    "remove the byte-order mark",
                    vec![Edit {
                        span: 0..3,
                        replacement: String::new(),
                    }],
                ),
        );
        start = 3;
    }
    // An ASCII file has no run (checked a word at a time, not a character at a time).
    if text.as_bytes()[start..].is_ascii() {
        return;
    }
    // Runs of non-ASCII characters.
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (i, c) in text[start..].char_indices() {
        let i = start + i;
        if c.is_ascii() {
            continue;
        }
        match runs.last_mut() {
            Some(r) if r.end == i => r.end = i + c.len_utf8(),
            _ => runs.push(i..i + c.len_utf8()),
        }
    }
    if runs.is_empty() {
        return;
    }
    let mut scalars = Vec::new();
    collect_scalars(text, &ctx.rule.root, &mut scalars);
    let query = ctx.rule.root.get("query").map(|e| e.value.span.clone());
    let comments: Vec<Range<usize>> = ctx
        .parsed
        .comments
        .iter()
        .map(|c| ctx.query_span(*c))
        .collect();
    let total = runs.len();
    for (n, run) in runs.into_iter().take(MAX_PER_FILE).enumerate() {
        let s = &text[run.clone()];
        let described: Vec<String> = s
            .chars()
            .map(|c| match ascii_for(c) {
                Some((_, name)) => format!("U+{:04X} {name}", c as u32),
                None => format!("U+{:04X}", c as u32),
            })
            .collect();
        let count = s.chars().count();
        let mut d = Diagnostic::new(
            &CODE,
            format!(
                "non-ASCII character{} `{s}` ({})",
                if count == 1 { "" } else { "s" },
                described.join(", ")
            ),
        )
        .at(file, run.clone(), "not ASCII");
        let in_query = query
            .as_ref()
            .is_some_and(|q| q.start <= run.start && run.end <= q.end);
        let fixable_here = if in_query {
            // Only in comments: in the query's code a quote or a dash changes its meaning.
            comments
                .iter()
                .any(|c| c.start <= run.start && run.end <= c.end)
        } else {
            true
        };
        let style = scalars
            .iter()
            .filter(|(r, _)| r.start <= run.start && run.end <= r.end)
            .min_by_key(|(r, _)| r.end - r.start)
            .map(|(r, st)| (r.start, *st));
        let replacement = if fixable_here {
            replacement(s, style.map(|(_, st)| st).unwrap_or(Style::Block))
        } else {
            None
        };
        // A plain scalar must not start with a quote, nor gain a ` #` comment.
        let replacement = replacement.filter(|r| {
            let at_start = style.is_some_and(|(st, sty)| sty == Style::Plain && st == run.start);
            let next_hash = text[run.end..].starts_with('#') && r.ends_with(' ');
            !(next_hash || at_start && r.starts_with(['\'', '"']))
        });
        match replacement {
            Some(r) => {
                d = d.help(format!("write `{r}` (`rulecat lint --fix` does)"));
                d = d.with_fix(
                    format!("replace `{s}` with `{r}`"),
                    vec![Edit {
                        span: run.clone(),
                        replacement: r,
                    }],
                );
            }
            None if in_query && !fixable_here => {
                d = d.help("write the ASCII character the query means (a `'` or `\"` to delimit strings, `-` for a minus)");
            }
            None => {
                d = d.help("replace it with ASCII text");
            }
        }
        if n + 1 == MAX_PER_FILE && total > MAX_PER_FILE {
            d = d.note(format!(
                "{} more runs of non-ASCII characters in this file are not shown",
                total - MAX_PER_FILE
            ));
        }
        out.push(d);
    }
}

/// The ASCII text for a run of typographic characters, escaped for the scalar it is in;
/// `None` if a character has no certain replacement.
fn replacement(s: &str, style: Style) -> Option<String> {
    let mut r = String::new();
    for c in s.chars() {
        let (a, _) = ascii_for(c)?;
        match (style, a) {
            (Style::Single, "'") => r.push_str("''"),
            (Style::Double, "\"") => r.push_str("\\\""),
            _ => r.push_str(a),
        }
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::super::scalar_tactics::test_support::*;

    #[test]
    fn fixes_are_escaped_for_their_scalar() {
        let head = "tags:\n- 'the attacker’s tool'\n- \"a “quoted” word\"\n- plain – dash…\n";
        let text = rule(head, MAPPING, QUERY);
        let d = lint(&text, "ascii-only");
        assert_eq!(d.len(), 5, "{d:#?}");
        let fixed = apply(&text, &d);
        assert!(
            fixed.contains(
                "- 'the attacker''s tool'\n- \"a \\\"quoted\\\" word\"\n- plain - dash...\n"
            ),
            "{fixed}"
        );
        assert!(fixed.is_ascii());
        assert!(lint(&fixed, "ascii-only").is_empty());
    }

    #[test]
    fn query_code_has_no_fix_but_comments_do() {
        let q = "  DeviceFileCertificateInfo // signer – exact\n  | where Signer has 'Action1 Corporation’'\n";
        let text = rule("", MAPPING, q);
        let d = lint(&text, "ascii-only");
        assert_eq!(d.len(), 2);
        assert!(d[0].fix.is_some());
        assert!(d[1].fix.is_none());
    }

    #[test]
    fn bom_is_removed() {
        let text = format!("\u{feff}{}", rule("", MAPPING, QUERY));
        let d = lint(&text, "ascii-only");
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "the file starts with a UTF-8 BOM (byte-order mark)"
        );
        assert_eq!(apply(&text, &d), text.trim_start_matches('\u{feff}'));
    }

    #[test]
    fn at_most_twenty_per_file() {
        let head: String = (0..25).map(|_| "# é\n").collect();
        let d = lint(&rule(&head, MAPPING, QUERY), "ascii-only");
        assert_eq!(d.len(), 20);
        assert!(d[19].notes[0].starts_with("5 more"));
    }
}
