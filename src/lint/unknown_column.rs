use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// The query uses a column that does not exist at that point of the pipeline.
    ///
    /// ## What it finds
    /// A misspelled column (`Timestmap`), a column of the wrong case (`Sha1` where the
    /// table has `SHA1`: column names are case-sensitive in KQL), a column of another table
    /// (`AccountUpn` in DeviceNetworkEvents), or one dropped earlier by `project` or
    /// `summarize`. The row schema is followed through project, extend, summarize, join,
    /// union and the rest, and the closest column is suggested.
    ///
    /// ## Why it matters
    /// Sentinel rejects the query, so the hunt never runs.
    ///
    /// ## Example
    /// ```kql
    /// DeviceNetworkEvents
    /// | where Timestmap > ago(1d)
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceNetworkEvents
    /// | where Timestamp > ago(1d)
    /// ```
    ///
    /// ## How to fix
    /// Use the suggested column, or keep the column in the earlier `project`.
    pub static CODE = {
        code: "K0003",
        name: "unknown-column",
        level: Error,
        summary: "a column that the table or pipeline does not have",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::UnknownColumn, &CODE, out);
}
