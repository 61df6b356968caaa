use super::{Lint, RuleCtx};
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
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    for e in &ctx.parsed.errors {
        out.push(Diagnostic::new(&CODE, e.message.clone()).at(
            ctx.rule.file,
            ctx.query_span(e.span),
            "here",
        ));
    }
}
