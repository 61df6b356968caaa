use super::duplicate_rule::{file_list, report_conflicts};
use super::{CatalogCtx, Lint, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// Two different rules have the same `name`.
    ///
    /// ## What it finds
    /// Rules in different files whose `name` is the same, ignoring case and runs of
    /// whitespace, but whose content differs. Each of them is reported, pointing at the
    /// others. Identical copies are `duplicate-rule` instead.
    ///
    /// ## Why it matters
    /// The name is all an analyst sees in the hunting blade: two rules called the same
    /// cannot be told apart, and results of one are read as the other. A repeated name is
    /// often a copied file whose name was not updated (a "Network Connection" title on a
    /// process rule).
    ///
    /// ## Example
    /// ```yaml
    /// # rmm_Atera_network.yaml
    /// name: Remote Management and Monitoring tool - Atera - Network Connection
    /// # rmm_Atera_process.yaml
    /// name: Remote Management and Monitoring tool - Atera - Network Connection
    /// ```
    /// Fixed:
    /// ```yaml
    /// # rmm_Atera_process.yaml
    /// name: Remote Management and Monitoring tool - Atera - Process
    /// ```
    ///
    /// ## How to fix
    /// Give each rule a name that says what distinguishes it.
    pub static CODE = {
        code: "C0003",
        name: "duplicate-name",
        level: Warning,
        summary: "two different rules with the same name",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: None,
    check_catalog: Some(check),
};

/// Lowercase, with runs of whitespace collapsed; `None` for an empty name.
fn normalize(name: &str) -> Option<String> {
    let n = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!n.is_empty()).then_some(n)
}

fn check(ctx: &CatalogCtx<'_>, out: &mut Vec<Diagnostic>) {
    let keys: Vec<Option<String>> = ctx
        .rules
        .iter()
        .map(|r| {
            // Names are listed per kind: an analytics rule and a hunting query may share
            // one (a hunt often becomes a rule). Bare queries are named by their file.
            let kind = r.rule.kind;
            if kind == crate::loading::model::RuleKind::Query {
                return None;
            }
            let family = if kind.is_analytics() {
                "analytics"
            } else {
                kind.name()
            };
            normalize(&r.rule.rule.name).map(|n| format!("{family}\u{0}{n}"))
        })
        .collect();
    report_conflicts(
        ctx,
        &keys,
        "name",
        |i, names| {
            Diagnostic::new(
                &CODE,
                format!(
                    "name `{}` is also used by a different {} in {}",
                    ctx.rules[i].rule.rule.name.trim(),
                    if ctx.rules[i].rule.kind.is_analytics() {
                        "analytics rule"
                    } else {
                        ctx.rules[i].rule.kind.describe()
                    },
                    file_list(names)
                ),
            )
            .help("give each rule a name that says what distinguishes it")
            .note("names are compared ignoring case and runs of whitespace")
        },
        out,
    );
}
