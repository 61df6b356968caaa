//! Logic shared by the query content lints about remote-management tools: which tool a
//! rule's title is about, whether a value names a tool, term matching with KQL's term
//! semantics, and small AST helpers (string literals of a list, field names). The facts
//! (tools, binaries, domains, signers) are data: [`crate::knowledge`].

use crate::knowledge::{self, Knowledge};
use crate::kql::Span;
use crate::kql::ast::{DynKind, DynValue, Expr, LitValue, Literal};
use crate::kql::strops::{self as ops, StrOpKind};

/// What a rule's title says the rule is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TitleSubject {
    /// No tool: the title does not have the `<family> - <tool> - <kind>` shape.
    None,
    /// One tool of the knowledge file, with the name the title uses.
    Tool { tool: usize, shown: String },
    /// A tool name the knowledge file does not know.
    Unknown(String),
    /// Several tools, or all of them (`All Tools`): judged by content, not title.
    Several,
}

impl TitleSubject {
    /// The single known tool, if any.
    pub fn tool(&self) -> Option<usize> {
        match self {
            TitleSubject::Tool { tool, .. } => Some(*tool),
            _ => None,
        }
    }

    /// The name the title uses for its single tool (known or not).
    pub fn shown(&self) -> Option<&str> {
        match self {
            TitleSubject::Tool { shown, .. } | TitleSubject::Unknown(shown) => Some(shown),
            _ => None,
        }
    }
}

/// The tool a rule's title is about: the middle part of upstream-style titles such as
/// `Remote Management and Monitoring tool - Splashtop - File Signature`.
pub fn title_subject(k: &Knowledge, title: &str) -> TitleSubject {
    let parts: Vec<&str> = title
        .split(" - ")
        .flat_map(|p| p.split(" \u{2013} "))
        .map(str::trim)
        .collect();
    if parts.len() < 3 {
        return TitleSubject::None;
    }
    let middle = parts[1..parts.len() - 1].join(" - ");
    let first = parts[0].to_lowercase();
    let lower = middle.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| matches!(*w, "all" | "tools" | "any" | "multiple" | "various"))
    {
        return TitleSubject::Several;
    }
    let pieces: Vec<&str> = middle
        .split([',', '/', '&', '+'])
        .flat_map(|p| p.split(" and "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if pieces.len() >= 2 && pieces.iter().filter(|p| k.tool_named(p).is_some()).count() >= 2 {
        return TitleSubject::Several;
    }
    match k.tool_named(&middle) {
        Some(tool) => TitleSubject::Tool {
            tool,
            shown: middle,
        },
        None if first.contains("remote") || first.contains("rmm") => TitleSubject::Unknown(middle),
        None => TitleSubject::None,
    }
}

/// Whether a string value names the tool: its name, a name variant or alias (4+ letters),
/// one of its signers or companies (the value `has` a subject, or a subject `has` the
/// value), or one of its binaries. `shown` is the title's spelling of the tool.
pub fn names_tool(k: &Knowledge, value: &str, tool: Option<usize>, shown: &str) -> bool {
    let ts = terms(value);
    let ns = norm(shown);
    if mentions_terms(&ts, &ns) {
        return true;
    }
    if ts
        .iter()
        .any(|t| t.len() >= 4 && ns.starts_with(t.as_str()))
    {
        return true;
    }
    let Some(i) = tool else {
        return false;
    };
    let t = &k.tools[i];
    let v = value.trim();
    // `terms` ignores the surrounding whitespace `trim` removes: `ts` are `v`'s terms.
    k.variant_norms(i)
        .iter()
        .any(|n| n.len() >= 4 && mentions_terms(&ts, n))
        || t.signers.iter().chain(&t.companies).any(|s| {
            !v.is_empty() && (ops::eval(StrOpKind::Has, s, v) || ops::eval(StrOpKind::Has, v, s))
        })
        || t.binaries.iter().any(|b| b.eq_ignore_ascii_case(v))
}

/// The tools whose signers or companies a filter value selects with `op` (KQL semantics),
/// with the subjects.
pub fn subject_owners<'k>(
    k: &'k Knowledge,
    op: StrOpKind,
    value: &str,
) -> Vec<knowledge::SubjectHit<'k>> {
    if norm(value).len() < 3 {
        return Vec::new();
    }
    k.subjects_matching(op, value)
}

/// Whether two tools share a signer or company, or a distinctive word of one (`GoTo` in
/// Whether tool `t`'s signing subjects or file companies name `name` on term boundaries
/// (`ConnectWise, LLC` names `ConnectWise`): the publisher of `t` is, or includes, `name`.
pub fn publisher_names(k: &Knowledge, t: usize, name: &str) -> bool {
    let tool = &k.tools[t];
    tool.signers
        .iter()
        .chain(&tool.companies)
        .any(|s| mentions(s, name))
}

/// `GoTo Technologies USA, LLC` and `GoTo, Inc.`): the same vendor.
pub fn same_vendor(k: &Knowledge, a: usize, b: usize) -> bool {
    if a == b {
        return true;
    }
    let words = |i: usize| -> std::collections::BTreeSet<String> {
        let t = &k.tools[i];
        t.signers
            .iter()
            .chain(&t.companies)
            .flat_map(|s| terms(s))
            .filter(|w| {
                w.len() >= 4
                    && !LEGAL_SUFFIXES.contains(&w.as_str())
                    && !GENERIC_WORDS.contains(&w.as_str())
            })
            .collect()
    };
    let wa = words(a);
    !wa.is_empty() && words(b).iter().any(|w| wa.contains(w))
}

/// The tools a title's tool name stands for: the tool itself, the tools whose names
/// start with the title's spelling (`ConnectWise` → `ConnectWise Control`; `NAble` →
/// both N-able entries), and the tools sharing a signer or company with those (other than
/// the title's own tool's, so Zoho's other products stay apart from Zoho Assist).
pub fn family(k: &Knowledge, own: Option<usize>, shown: &str) -> std::collections::BTreeSet<usize> {
    let mut out: std::collections::BTreeSet<usize> = own.into_iter().collect();
    if let Some(o) = own {
        out.extend((0..k.tools.len()).filter(|&t| same_product(k, o, t)));
    }
    let ns = norm(shown);
    if ns.len() < 4 {
        return out;
    }
    let named: Vec<usize> = (0..k.tools.len())
        .filter(|&t| Some(t) != own)
        .filter(|&t| k.variant_norms(t).iter().any(|n| n.starts_with(&ns)))
        .collect();
    for &t in &named {
        out.insert(t);
        for s in k.tools[t].signers.iter().chain(&k.tools[t].companies) {
            for h in k.subjects_matching(StrOpKind::EqualsCi, s) {
                out.extend(h.tools.iter().copied());
            }
        }
    }
    out
}

/// Tools that are one product under two LOLRMM entries (`BeyondTrust` and `BeyondTrust
/// (Bomgar)`): a shared name variant.
pub fn same_product(k: &Knowledge, a: usize, b: usize) -> bool {
    if a == b {
        return true;
    }
    let names = |i: usize| k.variant_norms(i).iter().filter(|n| n.len() >= 4);
    names(b).any(|n| names(a).any(|m| m == n))
}

/// Words of company names that say nothing about who the company is.
const GENERIC_WORDS: &[&str] = &[
    "software",
    "technologies",
    "technology",
    "systems",
    "solutions",
    "networks",
    "network",
    "remote",
    "group",
    "holdings",
    "international",
    "development",
    "consulting",
    "services",
    "open",
    "source",
    "developer",
    "computer",
    "computers",
    "digital",
    "global",
    "labs",
];

/// Legal suffixes that make a signer value a full company name, not a bare vendor term.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "corp",
    "corporation",
    "co",
    "company",
    "srl",
    "sro",
    "sa",
    "ag",
    "bv",
    "bvba",
    "pte",
    "plc",
    "pty",
    "oy",
    "ab",
    "as",
    "kg",
    "doo",
    "spa",
    "sas",
    "kk",
];

/// The maximal alphanumeric runs of `s`, lowercased: KQL's terms.
pub fn terms(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `s` lowercased with everything but letters and digits removed.
pub fn norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    norm_into(s, &mut out);
    out
}

/// Appends [`norm`]`(s)` to `out`.
pub fn norm_into(s: &str, out: &mut String) {
    if s.is_ascii() {
        // The common case, byte by byte: the same result as the general path below.
        out.extend(
            s.bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
    } else {
        out.extend(
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase),
        );
    }
}

/// Whether `hay` names `name` on term boundaries, spaces ignored: `Zoho Assist`,
/// `ZohoAssist` and `zohoassist.exe` all name `ZohoAssist`.
pub fn mentions(hay: &str, name: &str) -> bool {
    mentions_terms(&terms(hay), &norm(name))
}

/// [`mentions`] over a text's [`terms`] and a name already normalised with [`norm`].
pub fn mentions_terms(ts: &[String], want: &str) -> bool {
    if want.is_empty() {
        return false;
    }
    // Whether some run of consecutive terms, concatenated, is `want`.
    for i in 0..ts.len() {
        let mut pos = 0;
        for t in &ts[i..] {
            if !want[pos..].starts_with(t.as_str()) {
                break;
            }
            pos += t.len();
            if pos == want.len() {
                return true;
            }
        }
    }
    false
}

/// Whether a signer or company value is a single vendor word without a legal suffix:
/// `Zoho`, `ConnectWise`, `N-able` (but not `Atera Networks` or `Action1 Corporation`).
pub fn is_bare_vendor_term(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty()
        && !v.contains(char::is_whitespace)
        && !v.contains(',')
        && !terms(v)
            .iter()
            .any(|t| LEGAL_SUFFIXES.contains(&t.as_str()))
}

/// The field a filter tests: the column name of a plain name on the left-hand side.
pub fn field_name(e: &Expr) -> Option<&str> {
    match e.unparen() {
        Expr::Name(i) => Some(&i.name),
        Expr::Member { member, .. } => Some(&member.name),
        _ => None,
    }
}

/// The string literal `e` is, with its span.
pub fn string_lit(e: &Expr) -> Option<(&str, Span)> {
    match e.unparen() {
        Expr::Literal(Literal {
            value: LitValue::String { value, .. },
            span,
        }) => Some((value, *span)),
        _ => None,
    }
}

/// The string elements of an `in`/`has_any` list, flattening a `dynamic([...])` element.
pub fn list_strings(list: &[Expr]) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    for e in list {
        if let Some(s) = string_lit(e) {
            out.push(s);
        } else if let Expr::Literal(Literal {
            value:
                LitValue::Dynamic(DynValue {
                    kind: DynKind::Array(items),
                    ..
                }),
            ..
        }) = e.unparen()
        {
            for it in items {
                if let DynKind::String(s) = &it.kind {
                    out.push((s.as_str(), it.span));
                }
            }
        }
    }
    out
}

/// Every string literal of the query (including `dynamic([...])` elements).
pub fn all_strings(q: &crate::kql::ast::Query) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    crate::kql::visit::for_each_expr(q, |e| {
        if let Expr::Literal(l) = e {
            match &l.value {
                LitValue::String { value, .. } => out.push((value.as_str(), l.span)),
                LitValue::Dynamic(d) => push_dyn_strings(d, &mut out),
                _ => {}
            }
        }
    });
    out
}

fn push_dyn_strings<'a>(d: &'a DynValue, out: &mut Vec<(&'a str, Span)>) {
    match &d.kind {
        DynKind::String(s) => out.push((s, d.span)),
        DynKind::Array(items) => items.iter().for_each(|i| push_dyn_strings(i, out)),
        DynKind::Object(entries) => entries.iter().for_each(|e| push_dyn_strings(&e.value, out)),
        _ => {}
    }
}

/// Fields that hold a host or domain. `Url` holds full URLs, so only term matches
/// (`has`, `has_any`) on it expect domains.
pub fn is_domain_field(name: &str, term_op: bool) -> bool {
    (term_op && name == "Url")
        || matches!(
            name,
            "RemoteUrl"
                | "UrlDomain"
                | "RemoteDnsCanonicalName"
                | "QueryTarget"
                | "DnsQuery"
                | "DomainName"
                | "Domain"
                | "DestinationHostName"
                | "RequestURL"
        )
        || name.ends_with("UrlDomain")
        || name.ends_with("DnsQuery")
        || name.ends_with("CanonicalName")
}

/// Every string a rule's query compares a domain field with (`RemoteUrl has 'x'`,
/// `RemoteUrl has_any (...)`, `in`, `==`, `endswith`), with its span.
pub fn domain_values(q: &crate::kql::ast::Query) -> Vec<(&str, Span)> {
    use crate::kql::ast::{BinOp, StrOpKind};
    let mut out = Vec::new();
    crate::kql::visit::for_each_expr(q, |e| match e {
        Expr::StringOp { op, lhs, rhs, .. } if !op.negated => {
            let term = matches!(op.kind, StrOpKind::Has);
            if matches!(
                op.kind,
                StrOpKind::Has | StrOpKind::Equals | StrOpKind::EndsWith | StrOpKind::Contains
            ) && field_name(lhs).is_some_and(|f| is_domain_field(f, term))
                && let Some(s) = string_lit(rhs)
            {
                out.push(s);
            }
        }
        Expr::Binary {
            op: BinOp::Eq,
            lhs,
            rhs,
            ..
        } => {
            if field_name(lhs).is_some_and(|f| is_domain_field(f, false))
                && let Some(s) = string_lit(rhs)
            {
                out.push(s);
            }
        }
        Expr::In { op, lhs, list, .. }
            if !op.is_negated()
                && field_name(lhs).is_some_and(|f| is_domain_field(f, op.is_term_operator())) =>
        {
            out.extend(list_strings(list));
        }
        _ => {}
    });
    out
}

/// Certificate and version-info fields that name who made a binary.
pub fn is_signer_field(name: &str) -> bool {
    matches!(name, "Signer" | "Issuer")
        || name.ends_with("VersionInfoCompanyName")
        || name.ends_with("VersionInfoProductName")
}

pub fn is_product_field(name: &str) -> bool {
    name.ends_with("VersionInfoProductName")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_ignores_spaces_and_case() {
        assert!(mentions("Zoho Assist", "ZohoAssist"));
        assert!(mentions("zohoassist.exe", "Zoho Assist"));
        assert!(mentions("TeamViewer Germany GmbH", "TeamViewer"));
        assert!(!mentions("myzohoassist", "Zoho Assist"));
        assert!(!mentions("toplevel", "Level"));
    }

    #[test]
    fn bare_terms() {
        assert!(is_bare_vendor_term("Zoho"));
        assert!(is_bare_vendor_term("N-able"));
        assert!(!is_bare_vendor_term("Action1 Corporation"));
        assert!(!is_bare_vendor_term("Remote Utilities"));
        assert!(!is_bare_vendor_term("Level Software, Inc."));
    }

    #[test]
    fn title_subjects() {
        let k = crate::knowledge::builtin();
        let t = title_subject(
            k,
            "Remote Management and Monitoring tool - ZohoAssist - File Signature",
        );
        assert_eq!(
            t.tool().map(|i| k.tools[i].name.as_str()),
            Some("Zoho Assist")
        );
        assert_eq!(t.shown(), Some("ZohoAssist"));
        assert_eq!(
            title_subject(k, "Command shell spawned by a remote access tool"),
            TitleSubject::None
        );
        assert_eq!(
            title_subject(
                k,
                "Remote Management and Monitoring tools - Installed Software Inventory"
            ),
            TitleSubject::None
        );
        assert_eq!(
            title_subject(
                k,
                "Remote Management and Monitoring tool - All Tools - Network Connection"
            ),
            TitleSubject::Several
        );
        assert_eq!(
            title_subject(
                k,
                "Remote Management and Monitoring tool - AnyDesk, TeamViewer - Network Connection"
            ),
            TitleSubject::Several
        );
        let kaseya = k.tool_named("KaseyaVSA");
        assert!(names_tool(k, "Kaseya", kaseya, "KaseyaVSA"));
        let splashtop = k.tool_named("Splashtop");
        assert!(!names_tool(
            k,
            "AnyDesk Software GmbH",
            splashtop,
            "Splashtop"
        ));
    }
}
