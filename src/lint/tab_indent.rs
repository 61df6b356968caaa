use std::ops::Range;

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};

declare_code! {
    /// A tab is used for indentation.
    ///
    /// ## What it finds
    /// Lines whose leading whitespace contains a tab, typically a continuation line of the
    /// query indented with a tab where the rest of the file uses spaces. A tab later in a
    /// line is not reported.
    ///
    /// ## Why it matters
    /// YAML forbids tabs for indentation: outside a block scalar a leading tab is a parse
    /// error, and inside `query: |` it only works because the tab comes after the block's
    /// spaces. Editors show tabs at different widths, so the query looks aligned for one
    /// reader and not for the next, and a re-indent by a tool can break the YAML.
    ///
    /// ## Example
    /// ```yaml
    /// query: |
    ///   DeviceProcessEvents
    ///   | summarize FirstSeen=min(Timestamp),
    ///   →FirstSeen=min(Timestamp) by DeviceId      # → is a tab
    /// ```
    /// Fixed:
    /// ```yaml
    ///   | summarize FirstSeen=min(Timestamp),
    ///       LastSeen=max(Timestamp) by DeviceId
    /// ```
    ///
    /// ## How to fix
    /// Indent with spaces. `rulecat lint --fix` replaces each leading tab with the
    /// indentation step the surrounding block uses (2 spaces when it cannot tell).
    pub static CODE = {
        code: "F0003",
        name: "tab-indent",
        level: Warning,
        summary: "a tab used for indentation",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Any,
    check_rule: Some(check),
    check_catalog: None,
};

/// A line: its byte range (without the line ending) and its leading whitespace length.
struct Line {
    range: Range<usize>,
    lead: usize,
}

fn lines(text: &str) -> Vec<Line> {
    let mut v = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n').trim_end_matches('\r');
        let lead = content.len() - content.trim_start_matches([' ', '\t']).len();
        v.push(Line {
            range: pos..pos + content.len(),
            lead,
        });
        pos += line.len();
    }
    v
}

/// The indentation step of a block of lines: the smallest positive difference between
/// the indentation widths of its space-indented, non-blank lines; 2 if there is none.
fn unit<'a>(lines: impl Iterator<Item = &'a Line>) -> usize {
    let mut widths: Vec<usize> = lines
        .filter(|l| l.lead < l.range.len())
        .map(|l| l.lead)
        .collect();
    widths.sort_unstable();
    widths.dedup();
    widths
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .filter(|&u| (1..=8).contains(&u))
        .unwrap_or(2)
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let text = ctx.text;
    // No tab anywhere: nothing to report (most files), without splitting the lines.
    if memchr::memchr(b'\t', text.as_bytes()).is_none() {
        return;
    }
    let all = lines(text);
    let query = ctx.rule.root.get("query").map(|e| e.value.span.clone());
    let in_query = |l: &Line| {
        query
            .as_ref()
            .is_some_and(|q| q.start <= l.range.start + l.lead && l.range.start < q.end)
    };
    let clean = |l: &&Line| !text[l.range.start..l.range.start + l.lead].contains('\t');
    let query_unit = unit(all.iter().filter(|l| in_query(l)).filter(clean));
    let yaml_unit = unit(all.iter().filter(|l| !in_query(l)).filter(clean));
    for l in &all {
        let lead = &text[l.range.start..l.range.start + l.lead];
        // Whitespace-only lines are `trailing-whitespace`.
        if !lead.contains('\t') || l.lead == l.range.len() {
            continue;
        }
        let first_tab = lead.find('\t').unwrap_or(0);
        let step = if in_query(l) { query_unit } else { yaml_unit };
        let replacement = lead.replace('\t', &" ".repeat(step));
        let span = l.range.start..l.range.start + l.lead;
        let tabs = lead.matches('\t').count();
        out.push(
            Diagnostic::new(
                &CODE,
                format!(
                    "{} used for indentation",
                    if tabs == 1 { "a tab" } else { "tabs" }
                ),
            )
            .at(
                ctx.rule.file,
                l.range.start + first_tab..span.end,
                if tabs == 1 { "tab" } else { "tabs" },
            )
            .help(format!(
                "indent with spaces: {step} per tab here (`rulecat lint --fix` does it)"
            ))
            .with_fix(
                format!(
                    "replace each leading tab with {step} space{}",
                    if step == 1 { "" } else { "s" }
                ),
                vec![Edit { span, replacement }],
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalar_tactics::test_support::*;

    #[test]
    fn replaces_leading_tabs_with_the_block_step() {
        let q = "  DeviceFileCertificateInfo\n  | summarize A=count(),\n      B=dcount(DeviceId)\n  | summarize C=count(),\n  \tD=max(A)\tby B\n";
        let text = rule("", MAPPING, q);
        let d = lint(&text, "tab-indent");
        assert_eq!(d.len(), 1);
        let fixed = apply(&text, &d);
        assert_eq!(
            fixed,
            text.replace("  \tD=max(A)\tby B", "      D=max(A)\tby B")
        );
        assert!(lint(&fixed, "tab-indent").is_empty());
        // No other indentation step in the query: 2 spaces.
        let text = rule(
            "",
            MAPPING,
            "  DeviceFileCertificateInfo\n  | summarize C=count(),\n  \tD=max(Timestamp)\n",
        );
        let fixed = apply(&text, &lint(&text, "tab-indent"));
        assert!(fixed.contains("\n    D=max(Timestamp)\n"), "{fixed}");
    }
}
