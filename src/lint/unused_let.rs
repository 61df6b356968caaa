use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// A `let` binding is defined but never used.
    ///
    /// ## What it finds
    /// `let` statements whose name appears nowhere after them (parameters and names that
    /// start with `_` are exempt).
    ///
    /// ## Why it matters
    /// An unused `let` is often a filter that was meant to apply and does not: a
    /// `let lookback = 7d;` that no `where` uses means the query scans the whole retention
    /// period, or an allow-list that is never applied.
    ///
    /// ## Example
    /// ```kql
    /// let lookback = 7d;
    /// DeviceProcessEvents | where Timestamp > ago(1d)
    /// ```
    /// Fixed:
    /// ```kql
    /// let lookback = 7d;
    /// DeviceProcessEvents | where Timestamp > ago(lookback)
    /// ```
    ///
    /// ## How to fix
    /// Use the binding where it was meant to apply, or delete it.
    pub static CODE = {
        code: "K0005",
        name: "unused-let",
        level: Warning,
        summary: "a let binding that is never used",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::UnusedLet, &CODE, out);
}
