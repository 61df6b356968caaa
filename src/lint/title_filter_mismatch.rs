use super::rmm;
use super::{Lint, RuleCtx};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// The product the rule's title names appears nowhere in its filters, while another
    /// remote-management product's name does.
    ///
    /// ## What it finds
    /// Rules titled after one product (the middle part of upstream titles such as
    /// `Remote Management and Monitoring tool - Splashtop - File Signature`, or a known
    /// product named in the title) whose string literals never name that product, its
    /// aliases or its vendor (case and spaces ignored: `ZohoAssist` is `Zoho Assist`),
    /// but do name a different known product or vendor, e.g. `'AnyDesk Software GmbH'`.
    /// A title without a product, or filters that name no known product, give no finding.
    ///
    /// ## Why it matters
    /// This is the copy-paste slip of rule families written from a template: the rule
    /// was cloned from the AnyDesk one and the signer was never changed. It reports
    /// AnyDesk under Splashtop's name, twice over, and Splashtop is not hunted at all.
    ///
    /// ## Example
    /// ```yaml
    /// name: Remote Management and Monitoring tool - Splashtop - File Signature
    /// query: |
    ///   DeviceFileCertificateInfo
    ///   | where Signer has 'AnyDesk Software GmbH'
    /// ```
    /// Fixed:
    /// ```yaml
    /// name: Remote Management and Monitoring tool - Splashtop - File Signature
    /// query: |
    ///   DeviceFileCertificateInfo
    ///   | where Signer has 'Splashtop Inc.'
    /// ```
    ///
    /// ## How to fix
    /// Put the titled product's own values (signer, domains, binaries) in the filter, or
    /// rename the rule if the filter is what was meant.
    pub static CODE = {
        code: "Q0004",
        name: "title-filter-mismatch",
        level: Warning,
        summary: "the title's product is not in the filters, another product is",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let title = &ctx.rule.rule.name;
    let Some(tp) = rmm::title_product(title) else {
        return;
    };
    let own = rmm::product_named(&tp);
    let strings = rmm::all_strings(&ctx.parsed.query);
    if strings.iter().any(|(s, _)| rmm::names_product(s, &tp)) {
        return;
    }
    let mut found = None;
    'outer: for &(s, span) in &strings {
        for p in rmm::PRODUCTS {
            if own.is_some_and(|o| std::ptr::eq(o, p) || rmm::same_vendor(o, p))
                || rmm::names_product(p.name, &tp)
                || rmm::mentions(title, p.name)
            {
                continue;
            }
            if let Some(n) = rmm::evidence_names(p).find(|n| rmm::mentions(s, n)) {
                found = Some((s, span, p, n));
                break 'outer;
            }
        }
    }
    let Some((value, span, other, via)) = found else {
        return;
    };
    let via_note = if rmm::norm(via) == rmm::norm(other.name) {
        String::new()
    } else {
        format!(" (`{via}`)")
    };
    let mut d = Diagnostic::new(
        &CODE,
        format!(
            "the title names {tp}, but the filters never do; `'{value}'` is {}{via_note}",
            other.name
        ),
    )
    .at(
        ctx.rule.file,
        ctx.query_span(span),
        format!("{}, not {tp}", other.name),
    );
    if let Some(name) = ctx.rule.root.get("name") {
        d = d.secondary(
            ctx.rule.file,
            name.value.span.clone(),
            format!("the title says {tp}"),
        );
    }
    out.push(
        d.note("no string in the query names the title's product, its aliases or its vendor")
            .help(format!(
                "use {tp}'s own signer, domains or binaries in the filter, or rename the rule to what it hunts"
            )),
    );
}
