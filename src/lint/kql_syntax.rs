use std::sync::LazyLock;

use regex::Regex;

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// The query is not valid KQL.
    ///
    /// ## What it finds
    /// Syntax errors in the `query`: a misspelled operator (`wher`), an unclosed
    /// parenthesis or string, a missing expression after `==`, a stray token. rulecat's
    /// parser is checked against Microsoft's own Kusto.Language parser on hundreds of
    /// queries, so what it rejects, Sentinel rejects.
    ///
    /// ## Why it matters
    /// A hunting query that does not parse never runs: the rule is dead weight that
    /// looks like coverage.
    ///
    /// ## Example
    /// ```kql
    /// DeviceNetworkEvents
    /// | wher RemoteUrl has 'anydesk.com'      // unknown tabular operator `wher`
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceNetworkEvents
    /// | where RemoteUrl has 'anydesk.com'
    /// ```
    ///
    /// ## How to fix
    /// Correct the syntax at the position shown. The rest of the query is still checked,
    /// so fix the first error first.
    pub static CODE = {
        code: "K0001",
        name: "kql-syntax",
        level: Error,
        summary: "the query is not valid KQL",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

/// "... the `(` at 2:27 ..." in a parser message: a line:column inside the query.
static OPENER_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"the `(.)` at (\d+):(\d+)").expect("valid regex"));

/// Byte offset in `text` of a 1-based line and character column.
fn offset_of(text: &str, line: usize, col: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    let within = rest
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some(start + within)
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let query = &ctx.rule.query.text;
    for e in &ctx.parsed.errors {
        let mut message = e.message.clone();
        let mut opener = None;
        // The parser names positions inside the query; the reader needs the file's.
        if let Some(c) = OPENER_AT.captures(&e.message)
            && let (Ok(line), Ok(col)) = (c[2].parse::<usize>(), c[3].parse::<usize>())
            && let Some(q) = offset_of(query, line, col)
        {
            let f = ctx.rule.query.to_file(q);
            let src = &ctx.text[..f.min(ctx.text.len())];
            let fl = src.matches('\n').count() + 1;
            let fc = src[src.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
            message = message.replace(&c[0], &format!("the `{}` at {fl}:{fc}", &c[1]));
            opener = Some((f..f + c[1].len(), c[1].to_string()));
        }
        let mut d =
            Diagnostic::new(&CODE, message).at(ctx.rule.file, ctx.query_span(e.span), "here");
        if let Some((span, o)) = opener {
            d = d.secondary(ctx.rule.file, span, format!("unclosed `{o}`"));
        }
        out.push(d);
    }
}
