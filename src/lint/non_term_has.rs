use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// `has` (or `has_any`, `has_all`, `hasprefix`...) with a right-hand side that cannot be
    /// a term match: shorter than 3 characters, or containing `*`.
    ///
    /// ## What it finds
    /// `FileName has "*.exe"` (`has` has no wildcards: `*` is not a term character, so this
    /// looks for the term `exe`), and `CommandLine has "-e"` (terms under 3 characters are
    /// not in the term index).
    ///
    /// ## Why it matters
    /// The filter does not do what it reads as: a wildcard is silently a plain term, and a
    /// short value forces a full scan and matches far more rows than intended.
    ///
    /// ## Example
    /// ```kql
    /// DeviceFileEvents | where FileName has "*.ps1"
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceFileEvents | where FileName endswith ".ps1"
    /// ```
    ///
    /// ## How to fix
    /// Use `endswith`, `startswith`, `contains` or `matches regex` for patterns, and `==` or a
    /// longer term for short values.
    pub static CODE = {
        code: "K0007",
        name: "non-term-has",
        level: Warning,
        summary: "has with a value that cannot be a term match",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::NonTermHas, &CODE, out);
}
