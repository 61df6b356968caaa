use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// A query construct rulecat's KQL engine cannot run, so the rule cannot be compiled
    /// or matched.
    ///
    /// ## What it finds
    /// In a detection rule's query: an operator or `evaluate` plugin the engine does not
    /// implement (`find`, `facet`, `fork`, `top-hitters`,
    /// `sample-distinct`, `scan`, `consume`, `evaluate autocluster()`, ...), a function it
    /// does not know (including cross-cluster `cluster()`/`workspace()` references), or
    /// an ASIM source parser of a product (`ASimDnsInfobloxNIOS`,
    /// `_ASim_ProcessEvent_Create`: rulecat runs only the unifying, native and empty
    /// parsers of each schema; a Sentinel solution's parser is reported once, by
    /// `solution-parser`, not here). The engine runs every other construct (`extend`, `join`, `union`,
    /// `parse`, `mv-expand`, `summarize` by `bin()`, `let` functions, `_GetWatchlist()`
    /// over the watchlist's items given as an input named after its alias,
    /// `ingestion_time()`, `externaldata` over a local file bound to its URL, Defender's
    /// `invoke FileProfile()` and Resource Graph's `arg("").Resources` over the inputs of
    /// those names, the ASIM unifying parsers (`_Im_Dns(...)`) over their schema's
    /// normalized table, ...), and
    /// workspace functions (declared in `rulecat.toml` or files of the catalog) by their
    /// bodies, so a rule without this finding compiles. (`externaldata` is not reported
    /// here: it runs once a local file is bound to its URL with `--external URL=PATH` or
    /// `[external]` in `rulecat.toml`; `compile` warns about, and `match` reports as not
    /// run, the rules whose URLs have no binding.)
    ///
    /// ## Why it matters
    /// `rulecat compile` refuses such a rule (naming it and the construct) unless
    /// `--allow-partial` is given; then the bundle marks the rule as not executable and
    /// `rulecat match` reports it as not run: it is never silently weakened.
    ///
    /// The default level is warning, not error: the rule is valid Sentinel content and
    /// runs in Sentinel. A catalog whose every rule must run offline sets
    /// `engine-unsupported = "error"` in `[lints]` of `rulecat.toml`, or lints with
    /// `--deny warnings`.
    ///
    /// ## Example
    /// ```kql
    /// DeviceProcessEvents | facet by FileName
    /// ```
    /// Fixed (the same counts with `summarize`):
    /// ```kql
    /// DeviceProcessEvents | summarize count() by FileName
    /// ```
    ///
    /// ## How to fix
    /// Rewrite the query with constructs the engine runs, or compile with
    /// `--allow-partial` to keep the rule marked as not executable.
    pub static CODE = {
        code: "K0011",
        name: "engine-unsupported",
        level: Warning,
        summary: "a construct the KQL engine cannot run, so the rule cannot be compiled",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    // Detections (what `compile` compiles) and bare queries (what `rulecat query` runs);
    // a query with syntax errors gets K0001 instead.
    let kind = ctx.rule.kind;
    if !(kind.is_detection() || kind == crate::loading::model::RuleKind::Query)
        || !ctx.parsed.is_ok()
    {
        return;
    }
    let id = &ctx.rule.rule.id;
    let what = if id.is_empty() {
        "the query cannot be run".to_string()
    } else {
        format!("rule `{id}` cannot be compiled")
    };
    // A solution parser call is already reported, with the solution to install, by
    // `solution-parser` (K0009): one finding per call, not two.
    let explained = |u: &crate::engine::support::Unsupported| {
        ctx.analysis.findings.iter().any(|f| {
            f.kind == crate::kql::analyze::FindingKind::SolutionParser
                && f.span.start < u.span.end
                && u.span.start < f.span.end
        })
    };
    for u in crate::engine::support::unsupported_with(&ctx.parsed.query, &ctx.analysis.functions)
        .into_iter()
        .filter(|u| !explained(u))
    {
        out.push(
            Diagnostic::new(
                &CODE,
                format!("rulecat's KQL engine cannot run {}: {what}", u.construct),
            )
            .at(
                ctx.rule.file,
                ctx.query_span(u.span),
                "not supported by the engine",
            )
            .help("rewrite it with constructs the engine runs, or compile with `--allow-partial` to keep the rule marked as not executable"),
        );
    }
}
