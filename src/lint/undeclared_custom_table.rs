use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// The query reads a custom log table (`*_CL`) that the workspace does not declare.
    ///
    /// ## What it finds
    /// A table whose name ends in `_CL`, the suffix Azure Monitor gives custom log tables,
    /// that no custom table definition in `rulecat.toml`'s `[workspace] tables` folders
    /// describes. Such tables exist only in the workspaces that create them, so rulecat
    /// cannot know their columns and checks none of them.
    ///
    /// ## Example
    /// ```kql
    /// Okta_CL | where eventType_s == "user.session.start"
    /// ```
    ///
    /// ## How to fix
    /// Declare the table: put its definition, in the JSON Sentinel content authors write
    /// (`{"Name": "Okta_CL", "Properties": [{"Name": "eventType_s", "Type": "string"}]}`), in a
    /// folder and list that folder in `rulecat.toml`:
    /// ```toml
    /// [workspace]
    /// tables = ["custom-tables"]
    /// ```
    pub static CODE = {
        code: "K0008",
        name: "undeclared-custom-table",
        level: Warning,
        summary: "a custom log table (*_CL) that rulecat.toml does not declare",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::UndeclaredCustomTable, &CODE, out);
}
