use std::collections::BTreeSet;

use super::rmm::{self, field_name, string_lit};
use super::{CatalogCtx, Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::knowledge::Knowledge;
use crate::kql::Span;
use crate::kql::ast::{BinOp, Expr, ListOp, StrOpKind as AstStrOp};
use crate::kql::strops::StrOpKind;
use crate::kql::visit;

declare_code! {
    /// A signer or company filter that belongs to another tool than the one the rule is
    /// about: a value copied from another tool's rule.
    ///
    /// ## What it finds
    /// In a rule titled after one tool (`Remote Management and Monitoring tool - A - ...`)
    /// whose query does name that tool, a positive filter on `Signer`, `Issuer` or
    /// `*VersionInfoCompanyName` whose value selects, by KQL's `has` semantics, only signing
    /// subjects or companies that the knowledge file (`knowledge/rmm.toml`, derived from
    /// LOLRMM) lists for other tools, none of the same vendor as A. The finding names the
    /// tool the value belongs to and, when the catalog has one, the rule about that tool
    /// that uses the same value: the rule it was probably copied from.
    ///
    /// Not reported: values the knowledge file does not know (no evidence either way),
    /// values that name the rule's own tool, and, for a tool without any signer or company
    /// in the knowledge file, values not paired with a product filter naming the tool.
    /// Correct the knowledge in `rulecat.toml` (`[[knowledge.tool]]`) when a tool's
    /// publisher changed.
    ///
    /// ## Why it matters
    /// Rule families are written by copying a rule and editing it. A company filter left
    /// over from the copied rule, next to a product filter for the new tool, can never
    /// match: the new tool's binaries carry their own publisher's name. The rule looks
    /// complete and silently finds nothing.
    ///
    /// ## Example
    /// ```kql
    /// // Remote Management and Monitoring tool - Splashtop - Process
    /// DeviceProcessEvents
    /// | where ProcessVersionInfoCompanyName has 'TeamViewer'
    ///     and ProcessVersionInfoProductName has 'Splashtop'
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceProcessEvents
    /// | where ProcessVersionInfoCompanyName has 'Splashtop'
    ///     and ProcessVersionInfoProductName has 'Splashtop'
    /// ```
    ///
    /// ## How to fix
    /// Use the rule's own tool's company or signer (the help names the one the knowledge
    /// file has), or drop the filter.
    pub static CODE = {
        code: "Q0006",
        name: "copied-signer",
        level: Warning,
        summary: "a signer or company filter that belongs to another tool",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: None,
    check_catalog: Some(check_catalog),
};

/// A positive vendor filter value.
struct Value<'a> {
    field: &'a str,
    /// The operator as written.
    shown_op: &'static str,
    op: StrOpKind,
    value: &'a str,
    span: Span,
}

fn vendor_values<'a>(r: &'a RuleCtx<'_>) -> Vec<Value<'a>> {
    field_values(r, is_vendor_field)
}

/// The positive string filters on the fields `pick` selects.
fn field_values<'a>(r: &'a RuleCtx<'_>, pick: fn(&str) -> bool) -> Vec<Value<'a>> {
    let mut out = Vec::new();
    visit::for_each_expr(&r.parsed.query, |e| match e {
        Expr::StringOp {
            op, lhs, rhs, span, ..
        } if !op.negated => {
            let kind = match op.kind {
                AstStrOp::Has => StrOpKind::Has,
                AstStrOp::Equals => StrOpKind::EqualsCi,
                AstStrOp::Contains => StrOpKind::Contains,
                AstStrOp::StartsWith => StrOpKind::StartsWith,
                AstStrOp::HasPrefix => StrOpKind::HasPrefix,
                _ => return,
            };
            if let (Some(field), Some((value, _))) = (field_name(lhs), string_lit(rhs))
                && pick(field)
            {
                out.push(Value {
                    field,
                    shown_op: op.as_str(),
                    op: kind,
                    value,
                    span: *span,
                });
            }
        }
        Expr::Binary {
            op: BinOp::Eq,
            lhs,
            rhs,
            span,
            ..
        } => {
            if let (Some(field), Some((value, _))) = (field_name(lhs), string_lit(rhs))
                && pick(field)
            {
                out.push(Value {
                    field,
                    shown_op: "==",
                    op: StrOpKind::EqualsCi,
                    value,
                    span: *span,
                });
            }
        }
        Expr::In { op, lhs, list, .. } if !op.is_negated() => {
            let kind = match op {
                ListOp::HasAny => StrOpKind::Has,
                ListOp::In | ListOp::InCi => StrOpKind::EqualsCi,
                _ => return,
            };
            if let Some(field) = field_name(lhs)
                && pick(field)
            {
                for (value, span) in rmm::list_strings(list) {
                    out.push(Value {
                        field,
                        shown_op: op.as_str(),
                        op: kind,
                        value,
                        span,
                    });
                }
            }
        }
        _ => {}
    });
    out
}

/// Fields that name a product: version-info product name and description.
fn is_product_field(name: &str) -> bool {
    name.ends_with("VersionInfoProductName") || name.ends_with("VersionInfoFileDescription")
}

fn is_vendor_field(name: &str) -> bool {
    matches!(name, "Signer" | "Issuer") || name.ends_with("VersionInfoCompanyName")
}

/// What the catalog-wide check keeps of one rule (worked out in the per-rule pass, while
/// the query's syntax tree is at hand).
#[derive(Debug, Default)]
pub(super) struct Facts {
    /// For a rule whose title names one known tool: the query's string literals,
    /// normalized ([`rmm::norm`], so only letters and digits), one per line (to find the
    /// rule a value was copied from; one allocation per rule).
    strings: String,
    /// The vendor filters to judge, when the rule names its own tool.
    values: Vec<Owned>,
}

/// A positive vendor filter value, with its span in the file.
#[derive(Debug)]
struct Owned {
    field: String,
    shown_op: &'static str,
    op: StrOpKind,
    value: String,
    span: std::ops::Range<usize>,
}

pub(super) fn facts(r: &RuleCtx<'_>) -> Facts {
    let k = r.config.knowledge();
    let subject = r.title_subject();
    let Some(own) = subject.tool() else {
        return Facts::default();
    };
    let strings = rmm::all_strings(&r.parsed.query);
    let mut facts = Facts::default();
    for (s, _) in &strings {
        rmm::norm_into(s, &mut facts.strings);
        facts.strings.push('\n');
    }
    let Some(shown) = subject.shown() else {
        return facts;
    };
    let tool = &k.tools[own];
    // Without the tool's own publisher in the knowledge file, a vendor value is judged
    // only beside a product filter that names the tool (`CompanyName has 'RealVNC' and
    // ProductName has 'rport'`): that pair can never match.
    if tool.signers.is_empty()
        && tool.companies.is_empty()
        && !field_values(r, is_product_field)
            .iter()
            .any(|v| rmm::names_tool(k, v.value, Some(own), shown))
    {
        return facts;
    }
    if !strings
        .iter()
        .any(|(s, _)| rmm::names_tool(k, s, Some(own), shown))
    {
        return facts; // title-filter-mismatch's case
    }
    facts.values = vendor_values(r)
        .into_iter()
        .map(|v| Owned {
            field: v.field.to_string(),
            shown_op: v.shown_op,
            op: v.op,
            value: v.value.to_string(),
            span: r.query_span(v.span),
        })
        .collect();
    facts
}

fn check_catalog(cat: &CatalogCtx<'_>, out: &mut Vec<Diagnostic>) {
    let k = cat.config.knowledge();
    for (i, r) in cat.rules.iter().enumerate() {
        let subject = r.facts.subject();
        let (Some(own), Some(shown)) = (subject.tool(), subject.shown()) else {
            continue;
        };
        for v in &r.facts.copied_signer.values {
            if let Some(d) = diagnose(k, cat, i, own, shown, v) {
                out.push(d);
            }
        }
    }
}

fn diagnose(
    k: &Knowledge,
    cat: &CatalogCtx<'_>,
    at: usize,
    own: usize,
    shown: &str,
    v: &Owned,
) -> Option<Diagnostic> {
    let r = &cat.rules[at];
    if rmm::names_tool(k, &v.value, Some(own), shown) {
        return None;
    }
    let hits = rmm::subject_owners(k, v.op, &v.value);
    let mut owners: BTreeSet<usize> = hits.iter().flat_map(|h| h.tools.iter().copied()).collect();
    // A value that is another tool's exact name belongs to that tool.
    if owners.is_empty()
        && let Some(t) = k.tool_exact(&v.value)
    {
        owners.insert(t);
    }
    if owners.is_empty() || owners.iter().any(|&t| rmm::same_vendor(k, own, t)) {
        return None;
    }
    // A publisher that names the rule's tool is its vendor (white-label products such as
    // `ITSupport247 (ConnectWise)`), whatever the knowledge file lacks.
    if owners
        .iter()
        .any(|&t| rmm::mentions(&k.tools[t].name, shown) || rmm::publisher_names(k, t, shown))
    {
        return None;
    }
    // The rule it was probably copied from: a rule about an owner using the same value.
    let nv = rmm::norm(&v.value);
    let source = cat.rules.iter().enumerate().find_map(|(j, o)| {
        let t = o.facts.subject().tool()?;
        (owners.contains(&t) && j != at && o.facts.copied_signer.strings.lines().any(|x| x == nv))
            .then_some((t, o))
    });
    let owner = source
        .map(|(t, _)| t)
        .or_else(|| owners.iter().next().copied())?;
    let owner_name = &k.tools[owner].name;
    let subject = hits
        .iter()
        .find(|h| h.tools.contains(&owner))
        .map_or(v.value.as_str(), |h| h.subject);
    let mut d = Diagnostic::new(
        &CODE,
        format!(
            "`{} {} '{}'` selects `{subject}`, {owner_name}'s, not {shown}'s: this filter never matches {shown}",
            v.field, v.shown_op, v.value
        ),
    )
    .at(
        r.rule.file,
        v.span.clone(),
        format!("belongs to {owner_name}"),
    )
    .note(if hits.is_empty() {
        format!("`{}` is the name of {owner_name} in the knowledge file", v.value)
    } else {
        format!(
            "the knowledge file lists `{subject}` for {}",
            owners
                .iter()
                .map(|&t| k.tools[t].name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    if let Some((_, o)) = source {
        d = d.note(format!(
            "probably copied from {} ({}), which uses the same value",
            o.rule.path.display(),
            o.rule.rule.name
        ));
    }
    let tool = &k.tools[own];
    let own_subject = if matches!(v.field.as_str(), "Signer" | "Issuer") {
        tool.signers.first().or(tool.companies.first())
    } else {
        tool.companies.first().or(tool.signers.first())
    };
    Some(match own_subject {
        Some(s) => d.help(format!(
            "use {shown}'s own value, e.g. `{} has '{s}'`",
            v.field
        )),
        None => d.help(format!("use {shown}'s own signer or company")),
    })
}
