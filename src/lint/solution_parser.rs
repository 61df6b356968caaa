use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;

declare_code! {
    /// The query calls a parser function that a Microsoft Sentinel solution ships, and the
    /// workspace does not declare it.
    ///
    /// ## What it finds
    /// A name that is not a table but a KQL function installed with a Sentinel solution
    /// (`CiscoISEEvent` from Cisco ISE, `GCP_IAM` from Google Cloud Platform IAM,
    /// `corelight_conn` from Corelight, ...), which no file in `rulecat.toml`'s
    /// `[workspace] functions` folders defines. rulecat knows these functions by name from
    /// the Azure-Sentinel repository (`knowledge/solution-parsers.txt`, which records the
    /// file and version each comes from) and, for some, the columns they return. The
    /// message names the solution and the upstream file.
    ///
    /// ## Why it matters
    /// The query runs only in a workspace where the solution (or the function) is
    /// installed. Where rulecat does not know the function's columns, none of them is
    /// checked; where it does, they are, but your workspace's version may differ.
    ///
    /// ## Example
    /// ```kql
    /// CiscoISEEvent | where EventId == "5400"
    /// ```
    ///
    /// ## How to fix
    /// Declare the function: put the parser YAML (the solution's file, or your own
    /// version) in a folder and list that folder in `rulecat.toml`; its query is then
    /// analyzed and its columns checked:
    /// ```toml
    /// [workspace]
    /// functions = ["parsers"]
    /// ```
    /// In Sentinel, install the solution that ships it.
    pub static CODE = {
        code: "K0009",
        name: "solution-parser",
        level: Warning,
        summary: "a Sentinel solution's parser function that rulecat.toml does not declare",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    ctx.emit_findings(FindingKind::SolutionParser, &CODE, out);
}
