use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};

declare_code! {
    /// Spaces or tabs at the end of a line.
    ///
    /// ## What it finds
    /// Lines that end with spaces or tabs, in YAML and in the query alike (a line of
    /// only whitespace counts too).
    ///
    /// ## Why it matters
    /// Trailing whitespace is invisible in review but shows up in every diff that touches
    /// the line, and inside a `query: |` block it becomes part of the query text. Editors
    /// and formatters that strip it then produce unrelated changes in later commits.
    ///
    /// ## Example
    /// ```kql
    /// | summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),␠
    /// ```
    /// Fixed:
    /// ```kql
    /// | summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),
    /// ```
    ///
    /// ## How to fix
    /// Delete the whitespace; `rulecat lint --fix` does it. Most editors can trim it on
    /// save.
    pub static CODE = {
        code: "F0002",
        name: "trailing-whitespace",
        level: Note,
        summary: "spaces or tabs at the end of a line",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Any,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let text = ctx.text;
    let b = text.as_bytes();
    // The end of each line's content (before its `\n`; the text's end for a last line
    // without one); only a line whose content ends in a space, tab or `\r` can hold
    // trailing whitespace, so the others cost one byte test.
    let last = (!text.ends_with('\n') && !text.is_empty()).then_some(b.len());
    let mut pos = 0;
    for end in memchr::memchr_iter(b'\n', b).chain(last) {
        let line_start = pos;
        pos = end + 1;
        if end == line_start || !matches!(b[end - 1], b' ' | b'\t' | b'\r') {
            continue;
        }
        let content = text[line_start..end].trim_end_matches('\r');
        let kept = content.trim_end_matches([' ', '\t']).len();
        if kept < content.len() {
            let span = line_start + kept..line_start + content.len();
            let what = if kept == 0 {
                "a line of only whitespace"
            } else {
                "trailing whitespace at the end of the line"
            };
            out.push(
                Diagnostic::new(&CODE, what)
                    .at(ctx.rule.file, span.clone(), "trailing whitespace")
                    .help("delete it (`rulecat lint --fix` does)")
                    .with_fix(
                        "delete the trailing whitespace",
                        vec![Edit {
                            span,
                            replacement: String::new(),
                        }],
                    ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalar_tactics::test_support::*;

    #[test]
    fn deletes_only_the_whitespace() {
        let text = rule(
            "",
            MAPPING,
            "  DeviceFileCertificateInfo \t\n  | take 1\n  \n",
        )
        .replace('\n', "\r\n");
        let d = lint(&text, "trailing-whitespace");
        assert_eq!(d.len(), 2);
        let fixed = apply(&text, &d);
        assert_eq!(
            fixed,
            text.replace(
                "DeviceFileCertificateInfo \t\r\n",
                "DeviceFileCertificateInfo\r\n"
            )
            .replace("\r\n  \r\n", "\r\n\r\n")
        );
        assert!(lint(&fixed, "trailing-whitespace").is_empty());
    }
}
