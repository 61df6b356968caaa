use std::collections::BTreeSet;

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::analyze::FindingKind;
use crate::kql::ast::Expr;
use crate::loading::yaml::{Node, Value};

declare_code! {
    /// The tables the query reads and the `dataTypes` of `requiredDataConnectors` differ.
    ///
    /// ## What it finds
    /// - a table the query reads that no connector's `dataTypes` lists;
    /// - a data type that is listed but that the query never reads.
    ///
    /// Table names are compared exactly (KQL table names are case-sensitive). A listed
    /// type is not reported when the query reads a misspelled table that is probably that
    /// type: `unknown-table` already reports the typo.
    ///
    /// ## Why it matters
    /// Sentinel uses `dataTypes` to decide whether a hunting query can run in a workspace
    /// and to show which connectors it needs. A missing type makes the rule look runnable
    /// where its `join` leg has no data; an extra one makes it require a connector it does
    /// not use. Both usually mean the query was edited without its metadata.
    ///
    /// ## Example
    /// ```yaml
    /// requiredDataConnectors:
    /// - connectorId: MicrosoftThreatProtection
    ///   dataTypes:
    ///   - EmailEvents
    /// query: |
    ///   EmailUrlInfo
    ///   | join kind=inner (EmailEvents | project NetworkMessageId, Subject) on NetworkMessageId
    /// ```
    /// Fixed:
    /// ```yaml
    ///   dataTypes:
    ///   - EmailEvents
    ///   - EmailUrlInfo
    /// ```
    ///
    /// ## How to fix
    /// List every table the query reads under the connector that provides it, and remove
    /// types the query no longer reads.
    pub static CODE = {
        code: "R0005",
        name: "connector-mismatch",
        level: Warning,
        summary: "dataTypes that do not match the tables the query reads",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Connectors,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let file = ctx.rule.file;
    let rule = &ctx.rule.rule;
    let listed: BTreeSet<&str> = rule
        .required_data_connectors
        .iter()
        .flat_map(|c| c.data_types.iter().map(String::as_str))
        .collect();
    // The `dataTypes` nodes of the span tree, for labels.
    let mut lists: Vec<(std::ops::Range<usize>, &Node)> = Vec::new();
    if let Some(e) = ctx.rule.root.get("requiredDataConnectors")
        && let Value::Seq(conns) = &e.value.value
    {
        for c in conns {
            if let Some(dt) = c.get("dataTypes") {
                lists.push((dt.key_span.clone(), &dt.value));
            }
        }
    }

    // Tables read (first use of each).
    let mut seen = BTreeSet::new();
    for t in &ctx.analysis.tables {
        if !seen.insert(t.name.as_str()) || listed.contains(t.name.as_str()) {
            continue;
        }
        let mut d = Diagnostic::new(
            &CODE,
            format!(
                "the query reads `{}`, which `requiredDataConnectors` does not list",
                t.name
            ),
        )
        .at(file, ctx.query_span(t.span), "read here");
        if let Some((key, _)) = lists.first() {
            d = d.secondary(
                file,
                key.clone(),
                format!("`{}` is not listed here", t.name),
            );
        }
        out.push(d.help(format!(
            "add `{}` to the `dataTypes` of the connector that provides it",
            t.name
        )));
    }

    // Listed types never read. Only when the whole query is understood: it parses, and
    // every table name in it is known.
    if !ctx.parsed.errors.is_empty() {
        return;
    }
    let catalog = crate::knowledge::tables::builtin();
    let q = &ctx.rule.query.text;
    let mut near: BTreeSet<String> = BTreeSet::new();
    for f in ctx.analysis.of_kind(FindingKind::UnknownTable) {
        let name = q
            .get(f.span.start as usize..f.span.end as usize)
            .unwrap_or("");
        let suggestion = catalog
            .table_ci(name)
            .map(|t| t.name.as_str())
            .or_else(|| catalog.suggest_table(name));
        match suggestion {
            Some(s) => {
                near.insert(s.to_string());
            }
            // A custom table or a function: what it reads is unknown.
            None => return,
        }
    }
    // A solution parser function reads tables we do not list.
    if ctx
        .analysis
        .of_kind(FindingKind::SolutionParser)
        .next()
        .is_some()
    {
        return;
    }
    let mut patterns: Vec<String> = Vec::new();
    crate::kql::visit::for_each_expr(&ctx.parsed.query, |e| {
        if let Expr::Wildcard(p) = e {
            patterns.push(p.text.clone());
        }
    });
    // A pipeline fed by a function call or another database reads tables we cannot see.
    let lets: BTreeSet<&str> = ctx
        .parsed
        .query
        .statements
        .iter()
        .filter_map(|s| match s {
            crate::kql::ast::Statement::Let(l) => Some(l.name.name.as_str()),
            _ => None,
        })
        .collect();
    let mut opaque = false;
    crate::kql::visit::for_each_pipeline(&ctx.parsed.query, |p| match p.source.unparen() {
        Expr::Call { func, args, .. } => {
            let literal_table =
                func.name == "table" && matches!(args.first(), Some(Expr::Literal(_)));
            if func.name != "materialize" && !literal_table && !lets.contains(func.name.as_str()) {
                opaque = true;
            }
        }
        Expr::MethodCall { .. } | Expr::Member { .. } => opaque = true,
        _ => {}
    });
    if opaque {
        return;
    }
    for (_, list) in &lists {
        let Value::Seq(items) = &list.value else {
            continue;
        };
        for item in items {
            let Some(ty) = item.as_str() else { continue };
            if seen.contains(ty)
                || near.contains(ty)
                || patterns
                    .iter()
                    .any(|p| crate::kql::analyze::wildcard_match(p, ty))
            {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &CODE,
                    format!("`dataTypes` lists `{ty}`, but the query never reads it"),
                )
                .at(file, item.span.clone(), "never read by the query")
                .help(format!(
                    "remove `{ty}` from `dataTypes`, or query it if the rule is meant to"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalar_tactics::test_support::*;

    #[test]
    fn typo_and_opaque_sources_are_not_cascaded() {
        let m = "tactics:\n- CommandAndControl\nrelevantTechniques:\n- T1219\n";
        // A misspelled table: unknown-table reports it; the listed type is not "unused".
        let text = rule("", m, "  DeviceFileCertificateInf\n  | take 1\n");
        assert!(lint(&text, "connector-mismatch").is_empty());
        // A wildcard union may read the listed type.
        let text = rule("", m, "  union DeviceFile*\n  | take 1\n");
        assert!(lint(&text, "connector-mismatch").is_empty());
        // A function call we cannot see into.
        let text = rule("", m, "  _GetWatchlist('x')\n  | take 1\n");
        assert!(lint(&text, "connector-mismatch").is_empty());
        // A solution parser reads tables of its own (here Syslog, which is not listed).
        let text = rule("", m, "  CiscoISEEvent\n  | take 1\n");
        assert!(lint(&text, "connector-mismatch").is_empty());
        // Reading another table is reported, and so is the unused listed type.
        let text = rule("", m, "  DeviceProcessEvents\n  | take 1\n");
        assert_eq!(lint(&text, "connector-mismatch").len(), 2);
    }
}
