use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};

declare_code! {
    /// The file does not end with a newline.
    ///
    /// ## What it finds
    /// A non-empty file whose last line has no line ending.
    ///
    /// ## Why it matters
    /// POSIX text files end with a newline. Without one, `cat`-ing or concatenating files
    /// runs the last line into the next, diffs show `\ No newline at end of file`, and the
    /// next edit to the last line also changes the line before it in review.
    ///
    /// ## Example
    /// ```text
    /// | summarize Count=count() by DeviceId, DeviceName⏎   (no newline at the end)
    /// ```
    ///
    /// ## How to fix
    /// Add a line ending at the end of the file, the same kind (LF or CRLF) as the file's
    /// other lines; `rulecat lint --fix` does it.
    pub static CODE = {
        code: "F0004",
        name: "final-newline",
        level: Note,
        summary: "the file does not end with a newline",
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
    if text.is_empty() || text.ends_with('\n') {
        return;
    }
    let len = text.len();
    let last = text.chars().next_back().map_or(0, char::len_utf8);
    let eol = if text.ends_with('\r') {
        "\n"
    } else {
        super::scalar_tactics::line_ending(text, 0)
    };
    out.push(
        Diagnostic::new(&CODE, "the file does not end with a newline")
            .at(ctx.rule.file, len - last..len, "the last line ends here")
            .help("end the file with a line ending (`rulecat lint --fix` adds it)")
            .with_fix(
                if text.ends_with('\r') {
                    "complete the CRLF line ending at the end of the file"
                } else if eol == "\n" {
                    "add a newline (LF) at the end of the file"
                } else {
                    "add a newline (CRLF) at the end of the file"
                },
                vec![Edit {
                    span: len..len,
                    replacement: eol.to_string(),
                }],
            ),
    );
}

#[cfg(test)]
mod tests {
    use super::super::scalar_tactics::test_support::*;

    #[test]
    fn appends_the_file_line_ending() {
        for eol in ["\n", "\r\n"] {
            let text = rule("", MAPPING, QUERY).replace('\n', eol);
            assert!(lint(&text, "final-newline").is_empty());
            let cut = text.strip_suffix(eol).unwrap();
            let d = lint(cut, "final-newline");
            assert_eq!(d.len(), 1);
            assert_eq!(apply(cut, &d), text);
        }
    }
}
