use super::rmm;
use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::knowledge::Knowledge;
use crate::kql::strops::StrOpKind;

declare_code! {
    /// The product the rule's title names appears nowhere in its filters, while another
    /// remote-management product's name does.
    ///
    /// ## What it finds
    /// Rules titled after one tool (the middle part of upstream titles such as
    /// `Remote Management and Monitoring tool - Splashtop - File Signature`) whose string
    /// literals never name that tool (its names, aliases, binaries, signers or companies in
    /// the knowledge file `knowledge/rmm.toml`; case and spaces ignored: `ZohoAssist` is
    /// `Zoho Assist`), but do name a different tool: one of its signers or companies
    /// (`'AnyDesk Software GmbH'`) or its exact name. A title without a tool, a tool of the
    /// same vendor, or filters that name no known tool give no finding; rules titled for
    /// several tools or for all of them (`All Tools`) are judged by their content, never by
    /// the title.
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
    scope: Scope::QueryRule,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let k = ctx.config.knowledge();
    let title = &ctx.rule.rule.name;
    let subject = ctx.title_subject();
    let Some(tp) = subject.shown() else {
        return;
    };
    let own = subject.tool();
    let strings = rmm::all_strings(&ctx.parsed.query);
    if strings.iter().any(|(s, _)| rmm::names_tool(k, s, own, tp)) {
        return;
    }
    let found = strings.iter().find_map(|&(s, span)| {
        other_tool(k, s, own, title).map(|(tool, via)| (s, span, tool, via))
    });
    let Some((value, span, other, via)) = found else {
        return;
    };
    let other_name = &k.tools[other].name;
    let via_note =
        if rmm::norm(&via) == rmm::norm(other_name) || rmm::norm(&via) == rmm::norm(value) {
            String::new()
        } else {
            format!(" (`{via}`)")
        };
    let mut d = Diagnostic::new(
        &CODE,
        format!(
            "the title names {tp}, but the filters never do; `'{value}'` is {other_name}{via_note}"
        ),
    )
    .at(
        ctx.rule.file,
        ctx.query_span(span),
        format!("{other_name}, not {tp}"),
    );
    if let Some(name) = ctx.rule.root.get("name") {
        d = d.secondary(
            ctx.rule.file,
            name.value.span.clone(),
            format!("the title says {tp}"),
        );
    }
    out.push(
        d.note("no string in the query names the title's tool, its aliases, binaries, signers or companies")
            .help(format!(
                "use {tp}'s own signer, domains or binaries in the filter, or rename the rule to what it hunts"
            )),
    );
}

/// The tool (other than the title's, and not of its vendor) a string names: by one of its
/// signers or companies, or by its exact name; with the name or subject that matched.
fn other_tool(
    k: &Knowledge,
    value: &str,
    own: Option<usize>,
    title: &str,
) -> Option<(usize, String)> {
    let v = value.trim();
    if rmm::norm(v).len() < 5 {
        return None;
    }
    let title_terms = rmm::terms(title);
    let usable = |t: usize| {
        own.is_none_or(|o| !rmm::same_vendor(k, o, t))
            && !k
                .variant_norms(t)
                .iter()
                .any(|n| n.len() >= 4 && rmm::mentions_terms(&title_terms, n))
    };
    // A signer or company: the value selects a subject, and is not a lone generic word.
    if v.contains(char::is_whitespace) || rmm::is_bare_vendor_term(v) {
        for h in k.subjects_matching(StrOpKind::Has, v) {
            // For a tool the knowledge file does not know, only a subject of one tool is
            // evidence (a vendor signing many tools could sign this one too).
            if own.is_none() && h.tools.len() > 1 {
                continue;
            }
            if let Some(&t) = h.tools.iter().find(|&&t| usable(t)) {
                return Some((t, h.subject.to_string()));
            }
        }
    }
    k.tool_exact(v)
        .filter(|&t| usable(t))
        .map(|t| (t, k.tools[t].name.clone()))
}
