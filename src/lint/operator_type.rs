use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// A string operator (`has`, `contains`, `startswith`, `has_any`...) is applied to a
    /// column that is not a string.
    ///
    /// ## What it finds
    /// `RemotePort contains "443"`, `Timestamp has "2024"`, `ProcessId startswith "4"`.
    ///
    /// ## Why it matters
    /// Kusto converts the number or date to text for every row, which is slow and rarely
    /// what was meant: `RemotePort contains "443"` also matches ports 4430 and 14433,
    /// and a datetime has no stable text form to match.
    ///
    /// ## Example
    /// ```kql
    /// DeviceNetworkEvents | where RemotePort contains "443"
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceNetworkEvents | where RemotePort == 443
    /// ```
    ///
    /// ## How to fix
    /// Compare with `==`, `in`, `between`, or convert explicitly with `tostring()` when a
    /// text match is really meant.
    pub static CODE = {
        code: "K0006",
        name: "operator-type",
        level: Warning,
        summary: "a string operator applied to a non-string column",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::OperatorType, &CODE, out);
}
