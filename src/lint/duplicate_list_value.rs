use std::borrow::Cow;
use std::collections::HashMap;

use super::rmm::{self, field_name};
use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};
use crate::kql::Span;
use crate::kql::ast::{Expr, ListOp};
use crate::kql::visit;

declare_code! {
    /// The same value twice in an `in`, `!in`, `in~`, `!in~`, `has_any` or `has_all` list.
    ///
    /// ## What it finds
    /// A list element equal to an earlier one: exactly for `in`/`!in` (case-sensitive),
    /// ignoring case for `in~`, `!in~`, `has_any` and `has_all`, so `'AnyDesk.exe'` and
    /// `'anydesk.exe'` in an `in~` list are the same value.
    ///
    /// ## Why it matters
    /// The duplicate matches nothing new. It is usually a copy-paste slip where a
    /// different value was meant (another domain, another binary), so the rule may miss
    /// what its author wanted to catch; at best it is noise that hides the real list.
    ///
    /// ## Example
    /// ```kql
    /// DeviceProcessEvents
    /// | where InitiatingProcessFileName in~ ('AnyDesk.exe', 'TeamViewer.exe', 'anydesk.exe')
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceProcessEvents
    /// | where InitiatingProcessFileName in~ ('AnyDesk.exe', 'TeamViewer.exe')
    /// ```
    ///
    /// ## How to fix
    /// Delete the duplicate (`rulecat lint --fix` does), or replace it with the value that
    /// was meant.
    pub static CODE = {
        code: "Q0002",
        name: "duplicate-list-value",
        level: Warning,
        summary: "the same value twice in an in/has_any list",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    visit::for_each_expr(&ctx.parsed.query, |e| {
        if let Expr::In { op, lhs, list, .. } = e {
            check_list(ctx, *op, lhs, list, out);
        }
    });
}

fn check_list(ctx: &RuleCtx<'_>, op: ListOp, lhs: &Expr, list: &[Expr], out: &mut Vec<Diagnostic>) {
    let ci = !op.is_case_sensitive();
    let elems = rmm::list_strings(list);
    let mut seen: HashMap<Cow<'_, str>, (usize, &str), foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(elems.len(), Default::default());
    for (i, (value, span)) in elems.iter().enumerate() {
        // An ASCII text without uppercase letters is its own lowercase.
        let key = if ci && (!value.is_ascii() || value.bytes().any(|b| b.is_ascii_uppercase())) {
            Cow::Owned(value.to_lowercase())
        } else {
            Cow::Borrowed(*value)
        };
        let Some(&(first, first_value)) = seen.get(&key) else {
            seen.insert(key, (i, value));
            continue;
        };
        let first_span = elems[first].1;
        let shown_lhs = field_name(lhs).unwrap_or("the value");
        let same = if first_value == *value {
            format!("`'{value}'` appears twice")
        } else {
            format!("`'{value}'` repeats `'{first_value}'`")
        };
        let why = if ci && first_value != *value {
            format!(" (`{}` ignores case)", op.as_str())
        } else {
            String::new()
        };
        let mut d = Diagnostic::new(
            &CODE,
            format!("{same} in the `{}` list of `{shown_lhs}`{why}", op.as_str()),
        )
        .at(ctx.rule.file, ctx.query_span(*span), "duplicate value")
        .secondary(
            ctx.rule.file,
            ctx.query_span(first_span),
            "first listed here",
        )
        .help("delete the duplicate, or replace it with the value that was meant");
        if let Some(edit) = deletion(ctx, elems[i - 1].1, *span) {
            d = d.with_fix(format!("remove the duplicate `'{value}'`"), vec![edit]);
        }
        out.push(d);
    }
}

/// The edit that deletes an element together with the separator before it: from the end
/// of the previous element to the end of this one, when only whitespace and one comma
/// lie between them in the file (no comments).
fn deletion(ctx: &RuleCtx<'_>, prev: Span, dup: Span) -> Option<Edit> {
    let q = &ctx.rule.query.text;
    let prev_f = ctx.query_span(prev);
    let dup_f = ctx.query_span(dup);
    // The element's bytes in the file must be its bytes in the query (no escapes).
    if ctx.text.get(dup_f.clone())? != q.get(dup.start as usize..dup.end as usize)? {
        return None;
    }
    let between = ctx.text.get(prev_f.end..dup_f.start)?;
    let commas = between.chars().filter(|&c| c == ',').count();
    if commas != 1 || !between.chars().all(|c| c == ',' || c.is_whitespace()) {
        return None;
    }
    Some(Edit {
        span: prev_f.end..dup_f.end,
        replacement: String::new(),
    })
}
