use std::collections::{BTreeMap, BTreeSet};

use super::rmm::{self, field_name, string_lit};
use super::{CatalogCtx, Lint, RuleCtx};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::Span;
use crate::kql::ast::{BinOp, Expr, ListOp, LogicalOp, Operator, Pipeline, StrOpKind};
use crate::kql::visit;

declare_code! {
    /// A certificate-signer or version-info filter too broad to tell the rule's product
    /// apart from everything else its vendor ships.
    ///
    /// ## What it finds
    /// `has`, `contains`, `startswith` or `has_any` on `Signer`, `Issuer`,
    /// `*VersionInfoCompanyName` or `*VersionInfoProductName` with a bare vendor term (one
    /// word, no legal suffix such as `Inc.`, `LLC`, `GmbH`), when the rule or catalog gives
    /// evidence that the term covers more than the product the rule is about:
    /// - the title's product extends the term (`Zoho` in a `ZohoAssist` rule, `Kaseya` in
    ///   a `KaseyaVSA` rule);
    /// - the term is a vendor known to sign several products (Zoho, ConnectWise,
    ///   GoTo/LogMeIn, Kaseya, Microsoft, Ivanti, N-able, BeyondTrust, Datto, ...);
    /// - the same term filters rules about different products in the catalog;
    /// - the rule's own comment says it returns more than the product.
    ///
    /// A filter narrowed by a product condition in the same `where` (or the same pipeline,
    /// or a joined leg), such as `InitiatingProcessVersionInfoProductName has 'Zoho Assist'`,
    /// is not reported. Values listed in `[overbroad-signer] accepted` in `rulecat.toml`
    /// never are.
    ///
    /// ## Why it matters
    /// A hunting rule for one remote-management tool that matches every binary its vendor
    /// signs floods the results with unrelated, legitimate software (ManageEngine, Site24x7
    /// and Desktop Central for `Signer has 'Zoho'`), and analysts learn to ignore it.
    ///
    /// ## Example
    /// ```kql
    /// DeviceFileCertificateInfo
    /// | where Signer has 'Zoho'
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceFileCertificateInfo
    /// | where Signer == 'ZOHO Corporation Private Limited'
    /// | join kind=inner (
    ///     DeviceProcessEvents
    ///     | where ProcessVersionInfoProductName has 'Zoho Assist'
    ///     | distinct SHA1
    ///     ) on SHA1
    /// ```
    ///
    /// ## How to fix
    /// Match the exact certificate subject with `==` and add a product condition:
    /// `*VersionInfoProductName has 'Zoho Assist'` in Device* event tables. Since
    /// `DeviceFileCertificateInfo` has no product-name column, join it on `SHA1` with the
    /// file or process events, or filter by `FileName`/`FolderPath`. If the breadth is
    /// intended, add the value to `[overbroad-signer] accepted`.
    pub static CODE = {
        code: "Q0001",
        name: "overbroad-signer",
        level: Warning,
        summary: "a signer or version-info filter too broad to tell the product apart",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    check_rule: None,
    check_catalog: Some(check_catalog),
};

/// A signer/company/product filter with a bare vendor term.
struct Filter {
    field: String,
    op: &'static str,
    value: String,
    /// The filter expression (for `has_any`, the element).
    span: Span,
    narrowed: bool,
}

fn check_catalog(cat: &CatalogCtx<'_>, out: &mut Vec<Diagnostic>) {
    let accepted: BTreeSet<String> = cat
        .config
        .overbroad_signer
        .accepted
        .iter()
        .map(|a| a.trim().to_lowercase())
        .collect();
    let per_rule: Vec<Vec<Filter>> = cat
        .rules
        .iter()
        .map(|r| {
            filters(r)
                .into_iter()
                .filter(|f| !accepted.contains(&f.value.trim().to_lowercase()))
                .collect()
        })
        .collect();

    // Catalog evidence: normalized value -> (title product, file) of every rule using it.
    let mut users: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (r, fs) in cat.rules.iter().zip(&per_rule) {
        let Some(tp) = rmm::title_product(&r.rule.rule.name) else {
            continue;
        };
        for f in fs {
            if rmm::names_product(&f.value, &tp) {
                users
                    .entry(rmm::norm(&f.value))
                    .or_default()
                    .entry(rmm::norm(&tp))
                    .or_insert_with(|| format!("{} ({})", tp, r.rule.path.display()));
            }
        }
    }

    for (r, fs) in cat.rules.iter().zip(per_rule) {
        for f in fs {
            if f.narrowed {
                continue;
            }
            if let Some(d) = diagnose(r, &f, &users) {
                out.push(d);
            }
        }
    }
}

fn diagnose(
    r: &RuleCtx<'_>,
    f: &Filter,
    users: &BTreeMap<String, BTreeMap<String, String>>,
) -> Option<Diagnostic> {
    let v = f.value.trim();
    let nv = rmm::norm(v);
    if nv.len() < 2 {
        return None;
    }
    let tp = rmm::title_product(&r.rule.rule.name);
    let product = tp.as_deref().and_then(rmm::product_named);
    let product_display = product.map(|p| p.name.to_string()).or_else(|| tp.clone());
    let multi = rmm::multi_signer(v);
    let mut evidence = Vec::new();

    // (a) the title's product extends the vendor term.
    if let Some(tp) = &tp {
        let ntp = rmm::norm(tp);
        if ntp != nv && ntp.starts_with(&nv) {
            evidence.push(format!(
                "the title names `{tp}`, which extends the vendor term `{v}`: the filter matches the vendor, not the product"
            ));
        }
    }
    // (c) a vendor known to sign several products.
    if let Some(m) = multi {
        evidence.push(format!(
            "`{v}` selects the signer `{}`, which signs several products",
            m.subject
        ));
    }
    // (d) the rule's own comment.
    for c in &r.parsed.comments {
        let text = r
            .rule
            .query
            .text
            .get(c.start as usize..c.end as usize)
            .unwrap_or("");
        let lower = text.to_lowercase();
        if rmm::mentions(text, v)
            && [
                "not just",
                "all binaries",
                "every binary",
                "too broad",
                "overbroad",
                "any binary",
            ]
            .iter()
            .any(|k| lower.contains(k))
        {
            evidence.push(format!("the rule's own comment says so: `{}`", text.trim()));
            break;
        }
    }
    // (b) catalog-wide: the same value filters rules about different products.
    if let Some(u) = users.get(&nv)
        && u.len() >= 2
    {
        let own = tp.as_deref().map(rmm::norm).unwrap_or_default();
        let others: Vec<&str> = u
            .iter()
            .filter(|(k, _)| **k != own)
            .map(|(_, d)| d.as_str())
            .collect();
        if !others.is_empty() {
            evidence.push(format!(
                "the catalog uses the same value for other products: {}",
                others.join(", ")
            ));
        }
    }
    if evidence.is_empty() {
        return None;
    }

    let shown = format!("{} {} '{}'", f.field, f.op, v);
    let message = match multi {
        Some(m) => format!(
            "`{shown}` matches every binary {v} signs: {}, ...",
            m.products.join(", ")
        ),
        None => match &product_display {
            Some(p) => format!("`{shown}` matches every binary {v} signs, not just {p}"),
            None => format!("`{shown}` matches every binary {v} signs"),
        },
    };
    let label = match &product_display {
        Some(p) => format!("a bare vendor term: too broad to tell {p} apart"),
        None => "a bare vendor term: too broad to tell the product apart".to_string(),
    };
    let subject = multi.map_or_else(
        || "'<the exact subject>'".to_string(),
        |m| format!("'{}'", m.subject),
    );
    let product_name = product_display.unwrap_or_else(|| "<product>".to_string());
    let help = if matches!(f.field.as_str(), "Signer" | "Issuer") {
        format!(
            "match the exact subject (`{} == {subject}`) and tie it to the product: DeviceFileCertificateInfo has no product-name column, so join on SHA1 with DeviceProcessEvents or DeviceFileEvents and filter there by `ProcessVersionInfoProductName has '{product_name}'` or by FileName/FolderPath",
            f.field
        )
    } else if rmm::is_product_field(&f.field) {
        format!(
            "name the product itself: `{} has '{product_name}'`",
            f.field
        )
    } else {
        let prefix = f.field.trim_end_matches("VersionInfoCompanyName");
        format!(
            "match the exact company (`{} == {subject}`) and add a product condition: `{prefix}VersionInfoProductName has '{product_name}'`",
            f.field
        )
    };
    let mut d = Diagnostic::new(&CODE, message).at(r.rule.file, r.query_span(f.span), label);
    for e in evidence {
        d = d.note(e);
    }
    Some(d.help(help))
}

/// Every signer/company/product filter with a bare vendor term in the rule's query.
fn filters(r: &RuleCtx<'_>) -> Vec<Filter> {
    let mut out = Vec::new();
    visit::for_each_pipeline(&r.parsed.query, |p| pipeline_filters(p, &mut out));
    out
}

fn pipeline_filters(p: &Pipeline, out: &mut Vec<Filter>) {
    // A narrowing condition anywhere in the pipeline (another `where`, a joined leg)
    // narrows every signer filter of it.
    let mut pipeline_narrowing: Vec<&Expr> = Vec::new();
    for op in &p.ops {
        match &op.op {
            Operator::Where { pred } => pipeline_narrowing.extend(pred.conjuncts()),
            Operator::Join { right, .. } | Operator::Lookup { right, .. } => {
                pipeline_narrowing.push(right)
            }
            _ => {}
        }
    }
    for op in &p.ops {
        if let Operator::Where { pred } = &op.op {
            visit_pred(pred, &pipeline_narrowing, out);
        }
    }
}

/// Walks a predicate through `and`/`or`, collecting signer filters with whether an
/// `and`-sibling (or the pipeline) narrows them.
fn visit_pred(e: &Expr, narrowing: &[&Expr], out: &mut Vec<Filter>) {
    match e.unparen() {
        Expr::Logical { op, operands, .. } => {
            for (i, o) in operands.iter().enumerate() {
                let mut n: Vec<&Expr> = narrowing.to_vec();
                if *op == LogicalOp::And {
                    n.extend(
                        operands
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| *j != i)
                            .map(|(_, x)| x),
                    );
                }
                visit_pred(o, &n, out);
            }
        }
        Expr::StringOp {
            op, lhs, rhs, span, ..
        } => {
            if op.negated
                || !matches!(
                    op.kind,
                    StrOpKind::Has
                        | StrOpKind::HasPrefix
                        | StrOpKind::Contains
                        | StrOpKind::StartsWith
                )
            {
                return;
            }
            let (Some(field), Some((value, _))) = (field_name(lhs), string_lit(rhs)) else {
                return;
            };
            if rmm::is_signer_field(field) && rmm::is_bare_vendor_term(value) {
                out.push(Filter {
                    field: field.to_string(),
                    op: op.as_str(),
                    value: value.to_string(),
                    span: *span,
                    narrowed: narrowing.iter().any(|n| narrows(n, field, value)),
                });
            }
        }
        Expr::In {
            op: ListOp::HasAny,
            lhs,
            list,
            ..
        } => {
            let Some(field) = field_name(lhs) else {
                return;
            };
            if !rmm::is_signer_field(field) {
                return;
            }
            let narrowed = narrowing.iter().any(|n| narrows(n, field, ""));
            for (value, span) in rmm::list_strings(list) {
                if rmm::is_bare_vendor_term(value) {
                    out.push(Filter {
                        field: field.to_string(),
                        op: "has_any",
                        value: value.to_string(),
                        span,
                        narrowed,
                    });
                }
            }
        }
        _ => {}
    }
}

/// Fields whose positive filter ties rows to one product.
fn is_narrowing_field(name: &str) -> bool {
    rmm::is_product_field(name)
        || name.ends_with("FileName")
        || name.ends_with("FolderPath")
        || name.ends_with("FileDescription")
        || name.ends_with("SHA1")
        || name.ends_with("SHA256")
        || name.ends_with("MD5")
}

/// Whether `e` restricts rows to a product more precisely than the vendor filter on
/// `field` with `value`.
fn narrows(e: &Expr, field: &str, value: &str) -> bool {
    let positive_filter = |lhs: &Expr, rhs_value: Option<&str>| {
        field_name(lhs).is_some_and(|f| {
            is_narrowing_field(f)
                && !(f == field || rhs_value.is_some_and(|v| rmm::norm(v) == rmm::norm(value)))
        })
    };
    match e.unparen() {
        Expr::Logical {
            op: LogicalOp::And,
            operands,
            ..
        } => operands.iter().any(|o| narrows(o, field, value)),
        Expr::Logical {
            op: LogicalOp::Or,
            operands,
            ..
        } => operands.iter().all(|o| narrows(o, field, value)),
        Expr::StringOp { op, lhs, rhs, .. } => {
            !op.negated && positive_filter(lhs, string_lit(rhs).map(|(s, _)| s))
        }
        Expr::In { op, lhs, .. } => !op.is_negated() && positive_filter(lhs, None),
        Expr::Binary {
            op: BinOp::Eq,
            lhs,
            rhs,
            ..
        } => positive_filter(lhs, string_lit(rhs).map(|(s, _)| s)),
        // A joined leg: narrowed if the leg filters on a product-identifying field.
        Expr::Pipeline(_) => {
            let mut found = false;
            visit::for_each_expr_in(e, |x| {
                let lhs = match x {
                    Expr::StringOp { op, lhs, .. } if !op.negated => lhs,
                    Expr::In { op, lhs, .. } if !op.is_negated() => lhs,
                    Expr::Binary {
                        op: BinOp::Eq, lhs, ..
                    } => lhs,
                    _ => return,
                };
                if field_name(lhs).is_some_and(is_narrowing_field) {
                    found = true;
                }
            });
            found
        }
        _ => false,
    }
}
