use super::rmm::{self, field_name, is_domain_field, string_lit};
use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::Span;
use crate::kql::ast::{BinOp, Expr, ListOp, StrOpKind};
use crate::kql::strops::{self as ops, StrOpKind as MatchOp};
use crate::kql::visit;

declare_code! {
    /// A value in a domain filter that does not have the shape of a domain.
    ///
    /// ## What it finds
    /// In a filter on a URL or domain field (`RemoteUrl`, `Url`, `UrlDomain`,
    /// `RemoteDnsCanonicalName`, `QueryTarget`, ...) or in a list whose other values are
    /// domains:
    /// - a full URL or a path where a domain is expected (`'https://x.com/path'`,
    ///   `'x.com/download'`);
    /// - a label with no dot (`'dameware'`) in an otherwise-domain list;
    /// - an entry that another entry of the same `has_any` list already matches: every
    ///   value the entry matches, the other matches too. This follows KQL's `has`
    ///   semantics as rulecat's matcher implements them (one implementation): a `has`
    ///   phrase matches on term boundaries, so `'zoho.com'` matches `assist.zoho.com`
    ///   (but not `zohocdn.com`), and `'assist.zoho.com'` matches `assist.zoho.com.au`,
    ///   making `'assist.zoho.com.au'` redundant next to it;
    /// - whitespace inside a value (`' islonline.org'`).
    ///
    /// ## Why it matters
    /// Indicator lists are copied from vendor documentation and threat reports, and their
    /// shape decides what matches: a leading space or a URL path makes an entry match
    /// nothing (or only one exact URL), a bare label matches any URL containing that word,
    /// and redundant entries hide which domains the rule really covers.
    ///
    /// ## Example
    /// ```kql
    /// DeviceNetworkEvents
    /// | where RemoteUrl has_any ('islonline.com', ' islonline.net', 'https://builds.level.io/agent')
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceNetworkEvents
    /// | where RemoteUrl has_any ('islonline.com', 'islonline.net', 'builds.level.io')
    /// ```
    ///
    /// ## How to fix
    /// List bare domains: strip schemes, paths and spaces, give labels their domain, and
    /// drop entries that a listed parent domain already covers.
    pub static CODE = {
        code: "Q0003",
        name: "indicator-shape",
        level: Warning,
        summary: "a value in a domain filter that is not shaped like a domain",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

/// Free-text and file fields where URLs, paths and plain words are normal.
fn is_free_text_field(name: &str) -> bool {
    [
        "FileName",
        "CommandLine",
        "Path",
        "Registry",
        "Name",
        "Account",
        "Title",
    ]
    .iter()
    .any(|k| name.contains(k))
}

/// File extensions, each at most four letters long (`looks_like_domain` relies on it).
const FILE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "sys", "ps1", "psm1", "bat", "cmd", "vbs", "js", "jse", "hta", "msi", "txt",
    "log", "zip", "rar", "7z", "lnk", "scr", "cpl", "ocx", "tmp", "dat", "ini", "xml", "json",
    "docx", "docm", "xlsx", "xlsm", "pdf", "iso", "img", "jar", "py", "sh", "dmg", "pkg", "so",
];

/// `a.b` with letters-only last label that is not a file extension: `zoho.com`, `x.io`.
/// Every label is non-empty ASCII letters, digits, `-` or `*` (so no whitespace and no
/// `/`); checked on bytes, as it runs on every list entry of every rule.
fn looks_like_domain(v: &str) -> bool {
    let v = v.trim().trim_end_matches('.');
    // One pass: every dot-separated label non-empty and made of ASCII letters, digits,
    // `-` or `*`; at least one dot; the last label (the TLD) checked below.
    let mut dots = 0usize;
    let mut label_len = 0usize;
    let mut tld_start = 0usize;
    for (i, &c) in v.as_bytes().iter().enumerate() {
        if c == b'.' {
            if label_len == 0 {
                return false;
            }
            dots += 1;
            label_len = 0;
            tld_start = i + 1;
        } else if c.is_ascii_alphanumeric() || c == b'-' || c == b'*' {
            label_len += 1;
        } else {
            return false;
        }
    }
    if dots == 0 || label_len == 0 {
        return false;
    }
    let tld = &v[tld_start..];
    // (No file extension is longer than four letters.)
    tld.len() >= 2
        && tld.bytes().all(|c| c.is_ascii_alphabetic())
        && (tld.len() > 4 || !FILE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(tld)))
}

fn url_host(v: &str) -> Option<&str> {
    let t = v.trim();
    let rest = match t.find("://") {
        Some(i) => &t[i + 3..],
        None => {
            let slash = t.find('/')?;
            if !looks_like_domain(&t[..slash]) {
                return None;
            }
            t
        }
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .split('@')
        .next_back()
        .unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    (!host.is_empty() && host.contains('.')).then_some(host)
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    visit::for_each_expr(&ctx.parsed.query, |e| match e {
        Expr::In { op, lhs, list, .. } => check_list(ctx, *op, lhs, list, out),
        Expr::StringOp { op, lhs, rhs, .. }
            if !op.negated && matches!(op.kind, StrOpKind::Has | StrOpKind::Equals) =>
        {
            check_single(ctx, lhs, rhs, op.as_str(), op.kind == StrOpKind::Has, out)
        }
        Expr::Binary {
            op: BinOp::Eq,
            lhs,
            rhs,
            ..
        } => check_single(ctx, lhs, rhs, "==", false, out),
        _ => {}
    });
}

fn check_single(
    ctx: &RuleCtx<'_>,
    lhs: &Expr,
    rhs: &Expr,
    op: &str,
    term_op: bool,
    out: &mut Vec<Diagnostic>,
) {
    let (Some(field), Some((value, span))) = (field_name(lhs), string_lit(rhs)) else {
        return;
    };
    if !is_domain_field(field, term_op) {
        return;
    }
    let context = || format!("`{field} {op}`");
    if let Some(d) = whitespace(ctx, value, span, &context) {
        out.push(d);
    } else if let Some(d) = url(ctx, value, span, &context) {
        out.push(d);
    }
}

fn check_list(ctx: &RuleCtx<'_>, op: ListOp, lhs: &Expr, list: &[Expr], out: &mut Vec<Diagnostic>) {
    let elems = rmm::list_strings(list);
    if elems.is_empty() {
        return;
    }
    let field = field_name(lhs);
    let is_domain: Vec<bool> = elems.iter().map(|(v, _)| looks_like_domain(v)).collect();
    let domains = is_domain.iter().filter(|&&d| d).count();
    let by_field = field.is_some_and(|f| is_domain_field(f, op.is_term_operator()));
    let by_shape =
        !field.is_some_and(is_free_text_field) && elems.len() >= 3 && domains * 2 > elems.len();
    if !by_field && !by_shape {
        return;
    }
    // The context of a message, written only for a finding.
    let context = || format!("`{} {}` list", field.unwrap_or("the"), op.as_str());
    // For the pairwise redundancy test: each ASCII entry lowercased once. `has` with an
    // ASCII pattern on an ASCII value needs the pattern inside the value (ignoring ASCII
    // case), so a pair whose lowercased texts do not contain one another is skipped
    // before the full term-boundary test; other pairs go to `ops::eval` as they are.
    let lowered: Vec<Option<String>> = if op == ListOp::HasAny {
        elems
            .iter()
            .map(|(v, _)| v.is_ascii().then(|| v.to_ascii_lowercase()))
            .collect()
    } else {
        Vec::new()
    };
    // A pattern longer than the value, or as long and different, is never inside it.
    let may_have = |i: usize, j: usize| match (&lowered[i], &lowered[j]) {
        (Some(value), Some(p)) => {
            p.len() < value.len() && memchr::memmem::find(value.as_bytes(), p.as_bytes()).is_some()
        }
        _ => true,
    };
    let parents =
        (op == ListOp::HasAny && domains > 0).then(|| Parents::new(&lowered, |j| is_domain[j]));
    for (i, &(value, span)) in elems.iter().enumerate() {
        if let Some(d) = whitespace(ctx, value, span, &context) {
            out.push(d);
            continue;
        }
        if let Some(d) = url(ctx, value, span, &context) {
            out.push(d);
            continue;
        }
        let others = elems.len() - 1;
        let other_domains = domains - usize::from(is_domain[i]);
        if !value.contains('.')
            && !value.is_empty()
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && other_domains >= 2
            && other_domains * 2 > others
        {
            out.push(
                Diagnostic::new(
                    &CODE,
                    format!("`'{value}'` is a bare label, not a domain, in the {} of domains", context()),
                )
                .at(ctx.rule.file, ctx.query_span(span), "no dot: not a domain")
                .note(format!(
                    "`has` matches `'{value}'` as a term anywhere in the value, so it matches any host or URL containing the word, not one domain"
                ))
                .help(format!(
                    "give the full domain (e.g. `'{value}.com'`), or move the word to a filter on another field"
                )),
            );
            continue;
        }
        if op == ListOp::HasAny && is_domain[i] {
            // `has_any` entry `value` is redundant when a different entry `p` matches every
            // value `value` matches: `value` itself, with its term boundaries, has `p`. The
            // first such entry in list order is named.
            let is_parent = |j: usize| {
                let p = elems[j].0;
                j != i
                    && is_domain[j]
                    && !p.eq_ignore_ascii_case(value)
                    && may_have(i, j)
                    && ops::eval(MatchOp::Has, value, p)
            };
            let parent = match (&parents, &lowered[i]) {
                (Some(index), Some(lower)) => index.first(lower, is_parent),
                _ => (0..elems.len()).find(|&j| is_parent(j)),
            };
            if let Some((p, pspan)) = parent.map(|j| elems[j]) {
                out.push(
                    Diagnostic::new(
                        &CODE,
                        format!("`'{value}'` is already matched by `'{p}'` in the same `has_any` list"),
                    )
                    .at(ctx.rule.file, ctx.query_span(span), "redundant entry")
                    .secondary(ctx.rule.file, ctx.query_span(pspan), "the broader entry, listed here")
                    .note(format!(
                        "`has` matches `'{p}'` on term boundaries, so every value containing `{value}` also matches `'{p}'`"
                    ))
                    .help(format!("remove `'{value}'`, or replace `'{p}'` with the entries that were meant")),
                );
            }
        }
    }
}

/// The candidate broader entries of a `has_any` list, indexed so that finding an entry's
/// parent does not test every other entry (lists of hundreds of domains are common).
///
/// An entry `p` that is ASCII and starts and ends with a letter or digit can only be had
/// by an ASCII `value` at an occurrence that starts where a term of `value` starts and
/// ends where a term ends (the `has` boundary rule), with equal text ignoring ASCII case.
/// So its parents are found by looking up each such stretch of the lowercased `value`;
/// every other domain entry (non-ASCII, or starting or ending with punctuation) is tested
/// directly. Every candidate still passes the full test, so the result is the same as
/// testing every entry in order.
struct Parents<'a> {
    by_text: std::collections::HashMap<&'a str, Vec<usize>, foldhash::fast::FixedState>,
    other: Vec<usize>,
}

impl<'a> Parents<'a> {
    fn new(lowered: &'a [Option<String>], candidate: impl Fn(usize) -> bool) -> Parents<'a> {
        let mut by_text: std::collections::HashMap<&str, Vec<usize>, _> =
            std::collections::HashMap::with_hasher(foldhash::fast::FixedState::default());
        let mut other = Vec::new();
        for (j, l) in lowered.iter().enumerate() {
            if !candidate(j) {
                continue;
            }
            match l {
                Some(p)
                    if p.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
                        && p.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric) =>
                {
                    by_text.entry(p.as_str()).or_default().push(j)
                }
                _ => other.push(j),
            }
        }
        Parents { by_text, other }
    }

    /// The first entry (in list order) that passes `is_parent`, among the candidates for a
    /// value whose ASCII-lowercased text is `lower`.
    fn first(&self, lower: &str, is_parent: impl Fn(usize) -> bool) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut consider = |j: usize| {
            if best.is_none_or(|b| j < b) && is_parent(j) {
                best = Some(j);
            }
        };
        for &j in &self.other {
            consider(j);
        }
        let b = lower.as_bytes();
        let n = b.len();
        let is_term = |k: usize| b[k].is_ascii_alphanumeric();
        // Every stretch from the start of a term to the end of the same or a later term.
        let mut s = 0;
        while s < n {
            if !is_term(s) {
                s += 1;
                continue;
            }
            let mut e = s;
            loop {
                while e < n && is_term(e) {
                    e += 1;
                }
                if let Some(js) = self.by_text.get(&lower[s..e]) {
                    for &j in js {
                        consider(j);
                    }
                }
                while e < n && !is_term(e) {
                    e += 1;
                }
                if e >= n {
                    break;
                }
            }
            while s < n && is_term(s) {
                s += 1;
            }
        }
        best
    }
}

fn whitespace(
    ctx: &RuleCtx<'_>,
    value: &str,
    span: Span,
    context: &dyn Fn() -> String,
) -> Option<Diagnostic> {
    if !value.contains(char::is_whitespace) {
        return None;
    }
    let kind = if value.starts_with(char::is_whitespace) {
        "leading whitespace"
    } else if value.ends_with(char::is_whitespace) {
        "trailing whitespace"
    } else {
        "whitespace"
    };
    Some(
        Diagnostic::new(
            &CODE,
            format!("{kind} inside `'{value}'` in the {}", context()),
        )
        .at(ctx.rule.file, ctx.query_span(span), kind)
        .note("host names and domains never contain whitespace: this entry matches nothing, or not what it says")
        .help(format!("write `'{}'`", value.split_whitespace().collect::<Vec<_>>().join(""))),
    )
}

fn url(
    ctx: &RuleCtx<'_>,
    value: &str,
    span: Span,
    context: &dyn Fn() -> String,
) -> Option<Diagnostic> {
    let host = url_host(value)?;
    let what = if value.contains("://") {
        "a full URL"
    } else {
        "a domain with a path"
    };
    Some(
        Diagnostic::new(
            &CODE,
            format!(
                "`'{value}'` is {what} where a domain is expected, in the {}",
                context()
            ),
        )
        .at(ctx.rule.file, ctx.query_span(span), format!("{what}, not a domain"))
        .note("the field holds host names: a scheme or path in the value makes the entry match only that exact URL, or nothing")
        .help(format!("list the host: `'{host}'`")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexed parent search names the same entry as testing every entry in order.
    #[test]
    fn parents_agree_with_testing_every_entry() {
        let pieces = [
            "zoho", "Zoho", "com", "au", "assist", "a-b", "x1", "*", "", " ", "é", ".", "-",
        ];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut found = 0;
        for _ in 0..2000 {
            let len = 1 + next(12);
            let elems: Vec<String> = (0..len)
                .map(|_| {
                    let labels = 1 + next(4);
                    let mut v: Vec<&str> =
                        (0..labels).map(|_| pieces[next(pieces.len())]).collect();
                    if next(3) == 0 {
                        v.push("com");
                    }
                    v.join(".")
                })
                .collect();
            let is_domain: Vec<bool> = elems.iter().map(|v| looks_like_domain(v)).collect();
            let lowered: Vec<Option<String>> = elems
                .iter()
                .map(|v| v.is_ascii().then(|| v.to_ascii_lowercase()))
                .collect();
            let index = Parents::new(&lowered, |j| is_domain[j]);
            for (i, value) in elems.iter().enumerate() {
                let is_parent = |j: usize| {
                    let p = &elems[j];
                    let may = match (&lowered[i], &lowered[j]) {
                        (Some(v), Some(p)) => p.len() < v.len() && v.contains(p.as_str()),
                        _ => true,
                    };
                    j != i
                        && is_domain[j]
                        && !p.eq_ignore_ascii_case(value)
                        && may
                        && ops::eval(MatchOp::Has, value, p)
                };
                let naive = (0..elems.len()).find(|&j| is_parent(j));
                found += usize::from(naive.is_some());
                if let Some(lower) = &lowered[i] {
                    assert_eq!(index.first(lower, is_parent), naive, "{elems:?} at {i}");
                }
            }
        }
        assert!(
            found > 100,
            "the generated lists hold too few redundant entries: {found}"
        );
    }

    #[test]
    fn shapes() {
        assert!(FILE_EXTENSIONS.iter().all(|e| e.len() <= 4));
        assert!(looks_like_domain("assist.zoho.com.au"));
        assert!(looks_like_domain("n-able.com"));
        assert!(!looks_like_domain("AnyDesk.exe"));
        assert!(!looks_like_domain("dameware"));
        assert!(looks_like_domain(" *.zoho.com. "));
        assert!(!looks_like_domain("zoho .com"));
        assert!(!looks_like_domain("zoho.com/x"));
        assert!(!looks_like_domain("zoho..com"));
        assert!(!looks_like_domain("zoho.c"));
        assert!(!looks_like_domain("zoho.c0m"));
        assert!(!looks_like_domain("zöho.com"));
        assert!(!looks_like_domain("setup.EXE"));
        assert_eq!(
            url_host("https://builds.level.io/agent"),
            Some("builds.level.io")
        );
        assert_eq!(url_host("x.com/download"), Some("x.com"));
        assert_eq!(url_host("assist.zoho.com"), None);
        assert_eq!(url_host(r"C:\Users\x"), None);
    }
}
