use std::collections::BTreeMap;
use std::ops::Range;

use super::{CatalogCtx, Lint, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, FileId};

declare_code! {
    /// The same rule is in the catalog twice.
    ///
    /// ## What it finds
    /// Two or more files whose rules are identical: every field (id, name, description,
    /// connectors, mapping, query...) has the same value, whatever the formatting. Each
    /// copy is reported, pointing at the others. Identical copies are not reported again
    /// as `duplicate-id` or `duplicate-name`.
    ///
    /// ## Why it matters
    /// A copied file (a rule filed under two folders) deploys twice at best; at worst the
    /// import keeps whichever copy comes last, and a later fix made in one copy is silently
    /// undone by the other.
    ///
    /// ## Example
    /// ```text
    /// CredentialAccess/LsassDumpViaComsvcs.yaml
    /// DefenseEvasion/LsassDumpViaComsvcs.yaml      # the same file, copied
    /// ```
    ///
    /// ## How to fix
    /// Delete all copies but one. To file a rule under several tactics, list them in its
    /// `tactics` instead of copying the file.
    pub static CODE = {
        code: "C0002",
        name: "duplicate-rule",
        level: Warning,
        summary: "the same rule in two or more files",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: None,
    check_catalog: Some(check),
};

/// A key that is equal for two rules exactly when their content is equal.
pub(super) fn content_key(rule: &crate::loading::model::Rule) -> String {
    serde_json::to_string(rule).unwrap_or_default()
}

/// Indices of the catalog's rules grouped by `key`, groups of two or more only, in order
/// of their first member.
pub(super) fn groups(keys: &[Option<String>]) -> Vec<Vec<usize>> {
    let mut by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            by.entry(k.as_str()).or_default().push(i);
        }
    }
    let mut v: Vec<Vec<usize>> = by.into_values().filter(|g| g.len() > 1).collect();
    v.sort();
    v
}

/// The span of `key: value` for a top-level key, or the start of the file.
pub(super) fn entry_span(rule: &crate::loading::load::LoadedRule, key: &str) -> Range<usize> {
    match rule.root.get(key) {
        Some(e) => e.key_span.start..e.value.span.end.max(e.key_span.end),
        None => 0..0,
    }
}

/// "`a.yaml`", "`a.yaml` and `b.yaml`", "`a.yaml`, `b.yaml` and 3 more".
pub(super) fn file_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [a] => format!("`{a}`"),
        [a, b] => format!("`{a}` and `{b}`"),
        [a, b, rest @ ..] => format!("`{a}`, `{b}` and {} more", rest.len()),
    }
}

fn check(ctx: &CatalogCtx<'_>, out: &mut Vec<Diagnostic>) {
    // Identical rules have identical ids (the id is part of the content): only rules whose
    // id is shared can be identical, so only theirs is serialized.
    let mut ids: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in ctx.rules {
        *ids.entry(r.rule.rule.id.as_str()).or_default() += 1;
    }
    let keys: Vec<Option<String>> = ctx
        .rules
        .iter()
        .map(|r| (ids[r.rule.rule.id.as_str()] > 1).then(|| content_key(&r.rule.rule)))
        .collect();
    for group in groups(&keys) {
        for &i in &group {
            let me = ctx.rules[i].rule;
            let others: Vec<usize> = group.iter().copied().filter(|&j| j != i).collect();
            let names: Vec<&str> = others
                .iter()
                .map(|&j| ctx.sources.get(ctx.rules[j].rule.file).name.as_str())
                .collect();
            let mut d = Diagnostic::new(
                &CODE,
                format!(
                    "this rule is identical to the rule in {}",
                    file_list(&names)
                ),
            )
            .at(me.file, entry_span(me, "id"), "same rule, same id");
            for &j in &others {
                let other = ctx.rules[j].rule;
                d = d.secondary(other.file, entry_span(other, "id"), "identical copy");
            }
            out.push(d.help("keep one copy; list several tactics in `tactics` instead of filing copies under several folders"));
        }
    }
}

/// Reports, for each rule in a group sharing a key (same id, same name), the rules of the
/// group whose content differs from its own.
pub(super) fn report_conflicts(
    ctx: &CatalogCtx<'_>,
    keys: &[Option<String>],
    field: &str,
    mut make: impl FnMut(usize, &[&str]) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    // Only members of a group are compared: their content is serialized, no other rule's.
    let groups = groups(keys);
    let mut content: Vec<Option<String>> = vec![None; ctx.rules.len()];
    for &i in groups.iter().flatten() {
        content[i] = Some(content_key(&ctx.rules[i].rule.rule));
    }
    for group in groups {
        for &i in &group {
            let others: Vec<usize> = group
                .iter()
                .copied()
                .filter(|&j| content[j] != content[i])
                .collect();
            if others.is_empty() {
                continue;
            }
            let names: Vec<&str> = others
                .iter()
                .map(|&j| ctx.sources.get(ctx.rules[j].rule.file).name.as_str())
                .collect();
            let me = ctx.rules[i].rule;
            let mut d = make(i, &names);
            let file: FileId = me.file;
            let span = value_span(me, field);
            d = d.at(file, span, "also used by another rule");
            for &j in &others {
                let other = ctx.rules[j].rule;
                d = d.secondary(other.file, value_span(other, field), "used here too");
            }
            out.push(d);
        }
    }
}

fn value_span(rule: &crate::loading::load::LoadedRule, key: &str) -> Range<usize> {
    match rule.root.get(key) {
        Some(e) => e.value.span.clone(),
        None => 0..0,
    }
}
