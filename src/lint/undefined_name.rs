use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// A name is used that no `let`, parameter or column defines.
    ///
    /// ## What it finds
    /// Typically a misspelled `let` name (`Time_strat` for `Time_start`) or a `let` that was
    /// deleted while its uses stayed. The closest defined name is suggested.
    ///
    /// ## Why it matters
    /// The query fails to run.
    ///
    /// ## Example
    /// ```kql
    /// let Time_start = now(-5d);
    /// DeviceEvents | where Timestamp > Time_strat
    /// ```
    /// Fixed:
    /// ```kql
    /// let Time_start = now(-5d);
    /// DeviceEvents | where Timestamp > Time_start
    /// ```
    ///
    /// ## How to fix
    /// Use the defined name, or define the missing one with `let`.
    pub static CODE = {
        code: "K0004",
        name: "undefined-name",
        level: Error,
        summary: "a name that is neither a column nor a let binding",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::UndefinedName, &CODE, out);
}
