use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::loading::yaml::{Node, Value};

declare_code! {
    /// Placeholder text was left in the rule.
    ///
    /// ## What it finds
    /// Template and to-do markers in the rule's text fields (`name`, `description`, tags,
    /// metadata) and in its query: `TODO`, `TBD`, `FIXME` and `XXX` written as uppercase
    /// words, and, in any case, "replace with actual", "lorem ipsum", `<insert ...>`,
    /// `<placeholder>` and `your_...` names. Inside the query, the uppercase words are
    /// only looked for in `//` comments; the phrases are looked for everywhere, string
    /// literals included.
    ///
    /// ## Why it matters
    /// A rule published with a placeholder is unfinished: a `TODO` in the description
    /// tells the analyst the author did not finish checking it, and a placeholder in the
    /// query (`dynamic(['<insert VIP display names>'])`) means the query silently matches
    /// nothing.
    ///
    /// ## Example
    /// ```kql
    /// let JumpHosts = dynamic(['JUMP01', 'JUMP02']); // replace with actual jump host names
    /// ```
    /// Fixed:
    /// ```kql
    /// let JumpHosts = dynamic(['PAW-ADM-01', 'PAW-ADM-02']);
    /// ```
    ///
    /// ## How to fix
    /// Fill in the real values and delete the marker, or finish the work the marker
    /// stands for before publishing the rule.
    pub static CODE = {
        code: "R0003",
        name: "placeholder-text",
        level: Warning,
        summary: "placeholder text (TODO, <insert ...>, replace with actual) left in the rule",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Any,
    check_rule: Some(check),
    check_catalog: None,
};

/// Placeholder phrases, in any case and anywhere.
static PHRASES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)replace with (?:the |your )?actual\b|lorem ipsum|<insert\b[^<>\n]*>|<placeholder\b[^<>\n]*>|<your[ _][^<>\n]*>|\byour_[a-z0-9_]+",
    )
    .expect("valid regex")
});

/// To-do markers: uppercase whole words.
static WORDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:TODO|TBD|FIXME|XXX)\b").expect("valid regex"));

/// Placeholder matches in `s`, as byte ranges of `s`, in order and non-overlapping.
fn matches(s: &str, words: bool) -> Vec<Range<usize>> {
    let mut v: Vec<Range<usize>> = PHRASES.find_iter(s).map(|m| m.range()).collect();
    if words {
        for m in WORDS.find_iter(s) {
            if !v.iter().any(|r| r.start < m.end() && m.start() < r.end) {
                v.push(m.range());
            }
        }
    }
    v.sort_by_key(|r| r.start);
    v
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let file = ctx.rule.file;
    let text = ctx.text;
    // YAML text fields: every string scalar but `id` and `query`, matched on the raw file
    // text of the value so that the labels point at the exact words. A scalar's dotted
    // path is written only when it holds a placeholder.
    if let Some(map) = ctx.rule.root.as_map() {
        let mut path = Vec::new();
        for e in map {
            if e.key != "query" && e.key != "id" {
                path.push(Step::Key(&e.key));
                check_strings(&e.value, &mut path, file, text, out);
                path.pop();
            }
        }
    }
    // The query: the phrases anywhere, the uppercase markers in comments only.
    let q = &ctx.rule.query.text;
    let mut found: Vec<(Range<usize>, bool)> = PHRASES
        .find_iter(q)
        .map(|m| {
            (
                m.range(),
                ctx.parsed.comments.iter().any(|c| in_span(c, m.start())),
            )
        })
        .collect();
    for c in &ctx.parsed.comments {
        let (cs, ce) = (c.start as usize, c.end as usize);
        let Some(comment) = q.get(cs..ce) else {
            continue;
        };
        for m in WORDS.find_iter(comment) {
            let r = cs + m.start()..cs + m.end();
            if !found
                .iter()
                .any(|(f, _)| f.start < r.end && r.start < f.end)
            {
                found.push((r, true));
            }
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    for (r, in_comment) in found {
        let where_ = if in_comment {
            "a query comment"
        } else {
            "the query"
        };
        let at = ctx.query_span(crate::kql::Span::new(r.start as u32, r.end as u32));
        out.push(diagnostic(file, at, &q[r], where_));
    }
}

fn in_span(c: &crate::kql::Span, offset: usize) -> bool {
    (c.start as usize) <= offset && offset < c.end as usize
}

fn diagnostic(
    file: crate::diagnostics::FileId,
    at: Range<usize>,
    found: &str,
    where_: &str,
) -> Diagnostic {
    Diagnostic::new(
        &CODE,
        format!("placeholder text `{found}` left in {where_}"),
    )
    .at(file, at, "placeholder")
    .help("fill in the real value, or finish what the marker stands for and remove it")
}

/// One step of the path to a YAML value: a key, or an index in a sequence.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The dotted path of a value for messages: `tags[0]`, `metadata.author.name`.
fn path_text(path: &[Step<'_>]) -> String {
    let mut s = String::new();
    for (i, step) in path.iter().enumerate() {
        match step {
            Step::Key(k) if i == 0 => s.push_str(k),
            Step::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Step::Index(n) => {
                s.push('[');
                s.push_str(&n.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// Reports the placeholders of every string scalar under `node`, in document order.
fn check_strings<'a>(
    node: &'a Node,
    path: &mut Vec<Step<'a>>,
    file: crate::diagnostics::FileId,
    text: &str,
    out: &mut Vec<Diagnostic>,
) {
    match &node.value {
        Value::String(_) => {
            let span = node.span.clone();
            let Some(raw) = text.get(span.clone()) else {
                return;
            };
            let found = matches(raw, true);
            if found.is_empty() {
                return;
            }
            let shown = format!("`{}`", path_text(path));
            for m in found {
                let at = span.start + m.start..span.start + m.end;
                out.push(diagnostic(file, at, &raw[m], &shown));
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                check_strings(item, path, file, text, out);
                path.pop();
            }
        }
        Value::Map(entries) => {
            for e in entries {
                path.push(Step::Key(&e.key));
                check_strings(&e.value, path, file, text, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalar_tactics::test_support::*;

    #[test]
    fn words_and_phrases() {
        let head = "tags:\n- TBD\n- Todo list\n- XXXL\n";
        let q = "  // FIXME: narrow this\n  DeviceFileCertificateInfo\n  | where Signer has 'TODO'\n  | where Signer has 'your_company'\n";
        let d = lint(&rule(head, MAPPING, q), "placeholder-text");
        let found: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            found,
            [
                "placeholder text `TBD` left in `tags[0]`",
                "placeholder text `FIXME` left in a query comment",
                "placeholder text `your_company` left in the query",
            ]
        );
    }
}
