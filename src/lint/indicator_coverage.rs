use super::rmm;
use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::knowledge::domain_key;

declare_code! {
    /// A tool's network rule that misses domains the knowledge file lists for the tool.
    ///
    /// ## What it finds
    /// A rule titled after one tool that compares a domain field with a list of domains
    /// (`RemoteUrl has_any (...)`), when the knowledge file (`knowledge/rmm.toml`, derived
    /// from LOLRMM) lists domains of that tool whose registrable domain (`zoho.com.cn`,
    /// `ninjaone.com`) no listed value shares: a whole domain family of the tool is absent.
    /// One listed host of a family (`server.action1.com`) counts for the family.
    /// IP addresses and domains with a wildcard inside the name
    /// (`agents*-cloud.acronis.com`) are not compared.
    ///
    /// ## Why it matters
    /// Vendors add regions and relay hosts; a rule written from one sample's traffic
    /// misses the others. The finding is a note: the knowledge file is community data,
    /// and a rule may cover a domain in another way on purpose.
    ///
    /// ## Example
    /// ```kql
    /// // Remote Management and Monitoring tool - Action1 - Network Connection
    /// DeviceNetworkEvents
    /// | where RemoteUrl has 'server.action1.com'
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceNetworkEvents
    /// | where RemoteUrl has_any ('action1.com', 'a1-backend-packages.s3.amazonaws.com')
    /// ```
    ///
    /// ## How to fix
    /// Add the missing domains to the list, or accept the gap with an allow comment.
    pub static CODE = {
        code: "Q0008",
        name: "indicator-coverage",
        level: Note,
        summary: "a tool's network rule misses domains the knowledge file lists",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let values = rmm::domain_values(&ctx.parsed.query);
    let listed: Vec<String> = values
        .iter()
        .map(|(v, _)| domain_key(v))
        .filter(|v| v.contains('.'))
        .collect();
    if listed.is_empty() {
        return;
    }
    let k = ctx.config.knowledge();
    let subject = ctx.title_subject();
    let (Some(own), Some(shown)) = (subject.tool(), subject.shown()) else {
        return;
    };
    let tool = &k.tools[own];
    let mut known: Vec<String> = Vec::new();
    for d in &tool.domains {
        let key = domain_key(d);
        let hostname = key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        let ip = key.chars().all(|c| c.is_ascii_digit() || c == '.');
        if key.contains('.') && hostname && !ip && !known.contains(&key) {
            known.push(key);
        }
    }
    if known.is_empty() {
        return;
    }
    // A known domain is missed when no listed value shares its registrable domain: a
    // whole domain family of the tool (`zohoassist.jp`) is absent, not one host of a
    // family the rule covers.
    let listed_families: Vec<&str> = listed.iter().map(|l| registrable(l)).collect();
    let missed: Vec<&String> = known
        .iter()
        .filter(|kd| !listed_families.contains(&registrable(kd)))
        .collect();
    if missed.is_empty() {
        return;
    }
    let (_, first) = values[0];
    let (_, last) = values[values.len() - 1];
    let span = crate::kql::Span {
        start: first.start.min(last.start),
        end: first.end.max(last.end),
    };
    let shown_missed: Vec<String> = missed.iter().map(|m| format!("`{m}`")).collect();
    out.push(
        Diagnostic::new(
            &CODE,
            format!(
                "the rule's domains miss {} of the {} domains the knowledge file lists for {}: {}",
                missed.len(),
                known.len(),
                tool.name,
                shown_missed.join(", ")
            ),
        )
        .at(
            ctx.rule.file,
            ctx.query_span(span),
            format!("{shown}'s domains, incomplete"),
        )
        .note("known domains come from knowledge/rmm.toml (LOLRMM); one listed host of a registrable domain counts for all of it")
        .help(format!("add {} to the list", shown_missed.join(", "))),
    );
}

/// The registrable domain, roughly: the last two labels, or three after a short
/// second-level label under a country code (`zoho.com.cn`, `systemmonitor.co.uk`).
fn registrable(domain: &str) -> &str {
    let labels: Vec<&str> = domain.split('.').collect();
    let n = labels.len();
    let keep = if n >= 3 && labels[n - 1].len() == 2 && labels[n - 2].len() <= 3 {
        3
    } else {
        2
    };
    if n <= keep {
        return domain;
    }
    let skip: usize = labels[..n - keep].iter().map(|l| l.len() + 1).sum();
    &domain[skip..]
}
