use std::collections::{BTreeMap, BTreeSet};

use super::rmm::{self, TitleSubject, field_name, string_lit};
use super::{CatalogCtx, Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::knowledge::{self, Knowledge};
use crate::kql::Span;
use crate::kql::ast::{BinOp, Expr, ListOp, LogicalOp, Operator, Pipeline, StrOpKind as AstStrOp};
use crate::kql::strops::StrOpKind;
use crate::kql::visit;

declare_code! {
    /// A certificate-signer or version-info filter too broad to tell the rule's product
    /// apart from everything else its vendor ships.
    ///
    /// ## What it finds
    /// `has`, `contains`, `startswith` or `has_any` on `Signer`, `Issuer`,
    /// `*VersionInfoCompanyName` or `*VersionInfoProductName` with a bare vendor term (one
    /// word, no legal suffix such as `Inc.`, `LLC`, `GmbH`), when there is evidence that the
    /// term covers more than the tool the rule is about:
    /// - by the knowledge file (`knowledge/rmm.toml`, derived from LOLRMM), the term selects
    ///   the signing subjects or companies of other tools than the title's (`Zoho` selects
    ///   `ZOHO Corporation Private Limited`, which signs Zoho Assist, ManageEngine and
    ///   Site24x7), matched with KQL's own `has` semantics;
    /// - the same term filters rules about different tools in the catalog;
    /// - the rule's own comment says it returns more than the product.
    ///
    /// Never reported: a filter narrowed in the same `where` (or the same pipeline, or a
    /// joined leg) by a product, binary, path, hash or domain condition (a company filter
    /// next to `ProductName has 'Zoho Assist'`, a product filter next to a company filter);
    /// a term that is the title's own subject (a rule titled `ConnectWise` that filters on
    /// `ConnectWise` is about everything ConnectWise ships); values listed in
    /// `[overbroad-signer] accepted` in `rulecat.toml`. The help suggests the exact subject
    /// from the knowledge file (`Signer == 'ZOHO Corporation Private Limited'`).
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
    scope: Scope::Query,
    check_rule: None,
    check_catalog: Some(check_catalog),
};

/// A signer/company/product filter with a bare vendor term.
struct Filter {
    field: String,
    op: &'static str,
    /// The operator's matching semantics (`has_any` elements match like `has`).
    op_kind: StrOpKind,
    value: String,
    /// The filter expression (for `has_any`, the element).
    span: Span,
    narrowed: bool,
}

/// A filter as the catalog-wide check keeps it: with its span in the file and what the
/// rule's own comments say about it.
#[derive(Debug)]
struct Kept {
    field: String,
    op: &'static str,
    op_kind: StrOpKind,
    value: String,
    span: std::ops::Range<usize>,
    /// A comment of the rule that says the term is too broad.
    comment: Option<String>,
}

/// What the catalog-wide check keeps of one rule: its unnarrowed vendor-term filters, and
/// the narrowed ones for the catalog's evidence.
#[derive(Debug, Default)]
pub(super) struct Facts {
    filters: Vec<(Kept, bool)>,
}

/// `[overbroad-signer] accepted`, trimmed and lowercased.
pub(super) fn accepted(config: &crate::config::Config) -> BTreeSet<String> {
    config
        .overbroad_signer
        .accepted
        .iter()
        .map(|a| a.trim().to_lowercase())
        .collect()
}

/// The rule's vendor-term filters (worked out in the per-rule pass, while the query's
/// syntax tree is at hand).
pub(super) fn facts(r: &RuleCtx<'_>) -> Facts {
    let accepted = &r.shared.overbroad_accepted;
    let filters = filters(r)
        .into_iter()
        .filter(|f| !accepted.contains(&f.value.trim().to_lowercase()))
        .map(|f| {
            let kept = Kept {
                comment: comment_evidence(r, f.value.trim()),
                span: r.query_span(f.span),
                field: f.field,
                op: f.op,
                op_kind: f.op_kind,
                value: f.value,
            };
            (kept, f.narrowed)
        })
        .collect();
    Facts { filters }
}

/// The rule's own comment, when it says the term `v` is too broad.
fn comment_evidence(r: &RuleCtx<'_>, v: &str) -> Option<String> {
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
            .any(|w| lower.contains(w))
        {
            return Some(format!("the rule's own comment says so: `{}`", text.trim()));
        }
    }
    None
}

fn check_catalog(cat: &CatalogCtx<'_>, out: &mut Vec<Diagnostic>) {
    let k = cat.config.knowledge();
    // Catalog evidence: normalized value -> (title's tool, rule) of every rule using it.
    let mut users: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for r in cat.rules {
        let fs = &r.facts.overbroad_signer.filters;
        if fs.is_empty() {
            continue;
        }
        let subject = r.facts.subject();
        let Some(shown) = subject.shown() else {
            continue;
        };
        for (f, _) in fs {
            if rmm::names_tool(k, &f.value, subject.tool(), shown) {
                let key = subject
                    .tool()
                    .map_or_else(|| rmm::norm(shown), |t| format!("#{t}"));
                users
                    .entry(rmm::norm(&f.value))
                    .or_default()
                    .entry(key)
                    .or_insert_with(|| format!("{shown} ({})", r.rule.path.display()));
            }
        }
    }

    for r in cat.rules {
        for (f, narrowed) in &r.facts.overbroad_signer.filters {
            if *narrowed {
                continue;
            }
            if let Some(d) = diagnose(k, r.rule.file, r.facts.subject(), f, &users) {
                out.push(d);
            }
        }
    }
}

fn diagnose(
    k: &Knowledge,
    file: crate::diagnostics::FileId,
    subject: &TitleSubject,
    f: &Kept,
    users: &BTreeMap<String, BTreeMap<String, String>>,
) -> Option<Diagnostic> {
    let v = f.value.trim();
    let nv = rmm::norm(v);
    if nv.len() < 2 {
        return None;
    }
    let shown = subject.shown();
    let own = subject.tool();
    let hits = rmm::subject_owners(k, f.op_kind, v);
    // The tools the term's subjects belong to, one per product (LOLRMM lists some
    // products twice), and those other than the title's own product.
    let mut products: Vec<usize> = Vec::new();
    for t in hits.iter().flat_map(|h| h.tools.iter().copied()) {
        if !products.iter().any(|&p| rmm::same_product(k, p, t)) {
            products.push(t);
        }
    }
    let others: Vec<usize> = products
        .iter()
        .copied()
        .filter(|&t| own.is_none_or(|o| !rmm::same_product(k, o, t)))
        .collect();
    // A rule about a tool named for its vendor (LOLRMM's `ConnectWise`, beside the
    // vendor's ScreenConnect and Automate, signed `ConnectWise, LLC`) is about everything
    // the vendor signs: a vendor term selecting only that vendor's products is what it
    // means. (A title naming only a vendor the knowledge file has no tool for, `GoTo`,
    // stays reported: the vendor signs more than remote-management tools.)
    if let (Some(title), Some(_)) = (shown, own)
        && !others.is_empty()
        && others.iter().all(|&t| rmm::publisher_names(k, t, title))
    {
        return None;
    }
    let mut evidence = Vec::new();
    // The vendor signs more than the title's one product, or the term matches the
    // signing subjects of several tools.
    if (own.is_some() && !others.is_empty()) || products.len() >= 2 {
        let names: Vec<&str> = products.iter().map(|&t| k.tools[t].name.as_str()).collect();
        let subjects: Vec<String> = hits.iter().map(|h| format!("`{}`", h.subject)).collect();
        evidence.push(format!(
            "by the knowledge file, `{v}` selects {} ({}), which belong{} to {}",
            subjects.join(", "),
            if subjects.len() == 1 {
                "a signing subject"
            } else {
                "signing subjects"
            },
            if subjects.len() == 1 { "s" } else { "" },
            names.join(", ")
        ));
    }
    // The rule's own comment.
    if let Some(c) = &f.comment {
        evidence.push(c.clone());
    }
    // Catalog-wide: the same value filters rules about different tools.
    if let Some(u) = users.get(&nv)
        && u.len() >= 2
    {
        let own_key = match (own, shown) {
            (Some(t), _) => format!("#{t}"),
            (None, Some(s)) => rmm::norm(s),
            _ => String::new(),
        };
        let other_rules: Vec<&str> = u
            .iter()
            .filter(|(key, _)| **key != own_key)
            .map(|(_, d)| d.as_str())
            .collect();
        if !other_rules.is_empty() {
            evidence.push(format!(
                "the catalog uses the same value for other tools: {}",
                other_rules.join(", ")
            ));
        }
    }
    if evidence.is_empty() {
        return None;
    }

    let tool_name = own
        .map(|t| k.tools[t].name.clone())
        .or_else(|| shown.map(str::to_string));
    let shown_filter = format!("{} {} '{}'", f.field, f.op, v);
    let message = match (&tool_name, others.len()) {
        (Some(p), n) if n > 0 => format!(
            "`{shown_filter}` matches the binaries of {n} other tool{} whose signer or company it selects, not just {p}",
            if n == 1 { "" } else { "s" }
        ),
        (Some(p), _) => {
            format!("`{shown_filter}` is a bare vendor term: too broad to tell {p} apart")
        }
        (None, n) if n > 0 => {
            format!("`{shown_filter}` selects the signers or companies of {n} tools")
        }
        (None, _) => {
            format!("`{shown_filter}` is a bare vendor term: too broad to tell the tool apart")
        }
    };
    let label = match &tool_name {
        Some(p) => format!("a bare vendor term: too broad to tell {p} apart"),
        None => "a bare vendor term: too broad to tell the tool apart".to_string(),
    };
    let vendor_field = !rmm::is_product_field(&f.field);
    let exact = exact_subject(
        k,
        own,
        &hits,
        matches!(f.field.as_str(), "Signer" | "Issuer"),
    );
    let subject_text =
        exact.map_or_else(|| "'<the exact subject>'".to_string(), |s| format!("'{s}'"));
    let product_name = tool_name.clone().unwrap_or_else(|| "<product>".to_string());
    let help = if matches!(f.field.as_str(), "Signer" | "Issuer") {
        format!(
            "match the exact subject (`{} == {subject_text}`) and tie it to the product: DeviceFileCertificateInfo has no product-name column, so join on SHA1 with DeviceProcessEvents or DeviceFileEvents and filter there by `ProcessVersionInfoProductName has '{product_name}'` or by FileName/FolderPath",
            f.field
        )
    } else if !vendor_field {
        format!(
            "name the product itself: `{} has '{product_name}'`",
            f.field
        )
    } else {
        let prefix = f.field.trim_end_matches("VersionInfoCompanyName");
        format!(
            "match the exact company (`{} == {subject_text}`) and add a product condition: `{prefix}VersionInfoProductName has '{product_name}'`",
            f.field
        )
    };
    let mut d = Diagnostic::new(&CODE, message).at(file, f.span.clone(), label);
    for e in evidence {
        d = d.note(e);
    }
    Some(d.help(help))
}

/// The exact subject to suggest: the title tool's own signer (or company) that the term
/// selects, else its first signer, else the first subject the term selects.
fn exact_subject<'k>(
    k: &'k Knowledge,
    own: Option<usize>,
    hits: &[knowledge::SubjectHit<'k>],
    signer_field: bool,
) -> Option<&'k str> {
    if let Some(o) = own {
        let t = &k.tools[o];
        let (first, second) = if signer_field {
            (&t.signers, &t.companies)
        } else {
            (&t.companies, &t.signers)
        };
        for list in [first, second] {
            if let Some(s) = list
                .iter()
                .find(|s| hits.iter().any(|h| h.subject.eq_ignore_ascii_case(s)))
            {
                return Some(s);
            }
        }
        if let Some(s) = first.first() {
            return Some(s);
        }
    }
    hits.iter()
        .find(|h| own.is_none_or(|o| h.tools.contains(&o)))
        .or(hits.first())
        .map(|h| h.subject)
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
                    AstStrOp::Has | AstStrOp::HasPrefix | AstStrOp::Contains | AstStrOp::StartsWith
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
                    op_kind: match op.kind {
                        AstStrOp::Contains => StrOpKind::Contains,
                        AstStrOp::StartsWith => StrOpKind::StartsWith,
                        AstStrOp::HasPrefix => StrOpKind::HasPrefix,
                        _ => StrOpKind::Has,
                    },
                    value: value.to_string(),
                    span: *span,
                    narrowed: narrowing.iter().any(|n| narrows(n, field)),
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
            let narrowed = narrowing.iter().any(|n| narrows(n, field));
            for (value, span) in rmm::list_strings(list) {
                if rmm::is_bare_vendor_term(value) {
                    out.push(Filter {
                        field: field.to_string(),
                        op: "has_any",
                        op_kind: StrOpKind::Has,
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

/// Fields whose positive filter ties rows to one product: product names, binaries,
/// paths, hashes, and the domains a network rule talks to.
fn is_narrowing_field(name: &str) -> bool {
    rmm::is_product_field(name)
        || name.ends_with("FileName")
        || name.ends_with("FolderPath")
        || name.ends_with("FileDescription")
        || name.ends_with("SHA1")
        || name.ends_with("SHA256")
        || name.ends_with("MD5")
        || matches!(
            name,
            "RemoteUrl" | "RemoteDnsCanonicalName" | "UrlDomain" | "Url"
        )
}

/// Whether a filter on `other` narrows a vendor-term filter on `field`: another field that
/// ties rows to a product, or (for a product-name filter) a company or signer filter.
fn narrows_field(other: &str, field: &str) -> bool {
    other != field
        && (is_narrowing_field(other)
            || (rmm::is_product_field(field) && rmm::is_signer_field(other)))
}

/// Whether `e` restricts rows to a product more precisely than the vendor filter on
/// `field`.
fn narrows(e: &Expr, field: &str) -> bool {
    let positive_filter = |lhs: &Expr| field_name(lhs).is_some_and(|f| narrows_field(f, field));
    match e.unparen() {
        Expr::Logical {
            op: LogicalOp::And,
            operands,
            ..
        } => operands.iter().any(|o| narrows(o, field)),
        Expr::Logical {
            op: LogicalOp::Or,
            operands,
            ..
        } => operands.iter().all(|o| narrows(o, field)),
        Expr::StringOp { op, lhs, .. } => !op.negated && positive_filter(lhs),
        Expr::In { op, lhs, .. } => !op.is_negated() && positive_filter(lhs),
        Expr::Binary {
            op: BinOp::Eq, lhs, ..
        } => positive_filter(lhs),
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
                if field_name(lhs).is_some_and(|f| narrows_field(f, field)) {
                    found = true;
                }
            });
            found
        }
        _ => false,
    }
}
