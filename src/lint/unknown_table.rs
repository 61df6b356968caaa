use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// The query reads a table that is not a Defender XDR advanced-hunting or Sentinel table.
    ///
    /// ## What it finds
    /// A table name that is not in rulecat's table catalog (`schema/tables/`), usually a
    /// misspelling (`DeviceProcesEvents`) or wrong case (`deviceprocessevents`; table names
    /// are case-sensitive). The closest known table is suggested.
    ///
    /// ## Why it matters
    /// The query fails to run, or, inside a `union isfuzzy=true`, silently returns nothing
    /// from that leg.
    ///
    /// ## Example
    /// ```kql
    /// DeviceProcesEvents | where FileName =~ "anydesk.exe"
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceProcessEvents | where FileName =~ "anydesk.exe"
    /// ```
    ///
    /// ## How to fix
    /// Use the suggested name. For a custom table, declare it so rulecat knows its columns.
    pub static CODE = {
        code: "K0002",
        name: "unknown-table",
        level: Error,
        summary: "a table that Defender XDR / Sentinel does not have",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::UnknownTable, &CODE, out);
}
