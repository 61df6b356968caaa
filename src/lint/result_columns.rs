use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::loading::yaml::{Node, Value};

declare_code! {
    /// A column that the rule maps to an entity, a custom detail or an alert detail, but
    /// that the query does not return.
    ///
    /// ## What it finds
    /// Each `columnName` of `entityMappings`, each value of `customDetails`, each
    /// `{{Column}}` placeholder of `alertDetailsOverride`'s formats and its
    /// `alertTacticsColumnName`, `alertSeverityColumnName` and `alertDynamicProperties`
    /// values, checked against the columns of the query's result (when the analyzer knows
    /// them all).
    ///
    /// ## Why it matters
    /// Sentinel maps by column name when an alert fires. A column the result does not have
    /// gives an alert without the entity (no investigation graph, no incident grouping by
    /// it), an empty custom detail, or an alert name with the literal `{{Column}}` text in
    /// it. A `project` that drops a column, or a renamed column, causes it silently.
    ///
    /// ## Example
    /// ```yaml
    /// query: |
    ///   SigninLogs | summarize Count = count() by UserPrincipalName
    /// entityMappings:
    ///   - entityType: IP
    ///     fieldMappings:
    ///       - identifier: Address
    ///         columnName: IPAddress      # summarized away
    /// ```
    ///
    /// ## How to fix
    /// Keep the column in the result (add it to `project` or the `summarize ... by`), or
    /// map the column the result does have (the message suggests the closest).
    pub static CODE = {
        code: "R0007",
        name: "result-columns",
        level: Error,
        summary: "a mapped column the query's result does not have",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: Some(check),
    check_catalog: None,
};

/// Every place the rule names a result column: (value node, the column, what maps it).
fn mapped_columns(root: &Node) -> Vec<(&Node, String, String)> {
    let mut out = Vec::new();
    if let Some(Value::Seq(items)) = root.get("entityMappings").map(|e| &e.value.value) {
        for item in items {
            let ty = item
                .get("entityType")
                .and_then(|e| e.value.as_str())
                .unwrap_or("entity");
            if let Some(Value::Seq(fields)) = item.get("fieldMappings").map(|e| &e.value.value) {
                for f in fields {
                    if let Some(c) = f.get("columnName")
                        && let Some(col) = c.value.as_str()
                    {
                        let id = f
                            .get("identifier")
                            .and_then(|e| e.value.as_str())
                            .unwrap_or("?");
                        out.push((
                            &c.value,
                            col.to_string(),
                            format!("the `{ty}` entity's `{id}`"),
                        ));
                    }
                }
            }
        }
    }
    if let Some(map) = root.get("customDetails").and_then(|e| e.value.as_map()) {
        for e in map {
            if let Some(col) = e.value.as_str() {
                out.push((
                    &e.value,
                    col.to_string(),
                    format!("custom detail `{}`", e.key),
                ));
            }
        }
    }
    if let Some(ado) = root.get("alertDetailsOverride") {
        for key in ["alertDisplayNameFormat", "alertDescriptionFormat"] {
            if let Some(e) = ado.value.get(key)
                && let Some(text) = e.value.as_str()
            {
                for col in crate::loading::contract::placeholders(text) {
                    out.push((
                        &e.value,
                        col.to_string(),
                        format!("a placeholder of `{key}`"),
                    ));
                }
            }
        }
        for key in ["alertTacticsColumnName", "alertSeverityColumnName"] {
            if let Some(e) = ado.value.get(key)
                && let Some(col) = e.value.as_str()
            {
                out.push((&e.value, col.to_string(), format!("`{key}`")));
            }
        }
        if let Some(Value::Seq(props)) = ado
            .value
            .get("alertDynamicProperties")
            .map(|e| &e.value.value)
        {
            for p in props {
                if let Some(v) = p.get("value")
                    && let Some(col) = v.value.as_str()
                {
                    let prop = p
                        .get("alertProperty")
                        .and_then(|e| e.value.as_str())
                        .unwrap_or("?");
                    out.push((
                        &v.value,
                        col.to_string(),
                        format!("alert property `{prop}`"),
                    ));
                }
            }
        }
    }
    out
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    // Only when the query parsed and the whole result schema is known.
    if !ctx.parsed.errors.is_empty() {
        return;
    }
    let Some(columns) = &ctx.analysis.output else {
        return;
    };
    for (node, col, what) in mapped_columns(&ctx.rule.root) {
        if col.is_empty() || columns.contains(&col) {
            continue;
        }
        let mut d = Diagnostic::new(
            &CODE,
            format!("{what} maps the column `{col}`, which the query's result does not have"),
        )
        .at(ctx.rule.file, node.span.clone(), "not a result column");
        let shown: Vec<&str> = columns.iter().map(String::as_str).take(12).collect();
        d = d.note(format!(
            "the result's columns: {}{}",
            shown.join(", "),
            if columns.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ));
        if let Some(best) = crate::suggest::closest(&col, columns.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{best}`?"));
        } else {
            d = d.help(format!(
                "keep `{col}` in the result (`project` it, or add it to `summarize ... by`)"
            ));
        }
        out.push(d);
    }
}
