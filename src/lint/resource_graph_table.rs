use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// The query names an Azure Resource Graph table as if it were a Log Analytics table.
    ///
    /// ## What it finds
    /// A table such as `resources`, `securityresources` or `resourcecontainers` named on its
    /// own. These are Azure Resource Graph tables (the list is in
    /// `knowledge/azure-services.toml`, from Microsoft's Resource Graph table reference).
    /// Sentinel runs analytics rules and hunting queries in Log Analytics, where a bare
    /// Resource Graph table name does not resolve: the query fails when it runs.
    ///
    /// ## Example
    /// ```kql
    /// securityresources | where type == "microsoft.security/assessments"
    /// ```
    /// Fixed:
    /// ```kql
    /// arg("").securityresources | where type == "microsoft.security/assessments"
    /// ```
    ///
    /// ## How to fix
    /// Reach the table through `arg("")`. A query written for Resource Graph Explorer is not
    /// a Sentinel rule: keep it out of the catalog, or exclude its folder in `rulecat.toml`.
    pub static CODE = {
        code: "K0010",
        name: "resource-graph-table",
        level: Warning,
        summary: "an Azure Resource Graph table named where Log Analytics needs `arg(\"\")`",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::ResourceGraphTable, &CODE, out);
}
