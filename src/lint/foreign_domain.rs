use super::rmm;
use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// A domain in a tool's rule that the knowledge file lists for another tool.
    ///
    /// ## What it finds
    /// In a rule titled after one tool (`Remote Management and Monitoring tool - A - ...`),
    /// a value compared with a domain field (`RemoteUrl has_any (...)`, `has`, `in`, `==`)
    /// that the knowledge file (`knowledge/rmm.toml`, derived from LOLRMM) lists, itself or
    /// through a parent domain, for other tools only, none of A's vendor, and whose name
    /// is that other tool's name: `fleetdm.com` (Fleet) in a FleetDeck rule. Shared
    /// infrastructure domains (CDNs, a parent company's service hosts) are not evidence
    /// of a slip and give no finding. Rules titled for several tools or `All Tools` are not
    /// checked; domains the knowledge file does not know give no finding.
    ///
    /// ## Why it matters
    /// A domain copied from a look-alike product name makes the rule report that other
    /// product's traffic under A's name, and analysts chase the wrong tool.
    ///
    /// ## Example
    /// ```kql
    /// // Remote Management and Monitoring tool - FleetDeck - Network Connection
    /// DeviceNetworkEvents
    /// | where RemoteUrl has_any ('fleetdeck.io', 'fleetdm.com')
    /// ```
    /// Fixed:
    /// ```kql
    /// DeviceNetworkEvents
    /// | where RemoteUrl has_any ('fleetdeck.io')
    /// ```
    ///
    /// ## How to fix
    /// Remove the other tool's domain, or move it to that tool's rule. If the knowledge is
    /// wrong for your environment, correct it in `rulecat.toml` (`[[knowledge.tool]]`).
    pub static CODE = {
        code: "Q0007",
        name: "foreign-domain",
        level: Warning,
        summary: "a domain the knowledge file lists for another tool",
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
    if values.is_empty() {
        return;
    }
    let k = ctx.config.knowledge();
    let subject = ctx.title_subject();
    let (Some(own), Some(shown)) = (subject.tool(), subject.shown()) else {
        return;
    };
    let family = std::cell::OnceCell::new();
    for (value, span) in values {
        if !value.contains('.') {
            continue;
        }
        let owners = k.domain_tools(value);
        // A domain the knowledge file lists for the rule's own tool is its own, whatever
        // other tool it also names (DameWare Remote Everywhere runs on beanywhere.com).
        if owners.is_empty() || owners.contains(&own) {
            continue;
        }
        // Only a domain that names its tool (`fleetdm.com` for Fleet) is evidence of a
        // look-alike slip; shared infrastructure domains are not.
        let label = rmm::norm(registrable_label(value));
        let tools: Vec<usize> = owners
            .into_iter()
            .filter(|&t| label.len() >= 4 && k.variant_norms(t).contains(&label))
            .collect();
        // Whether the value names the rule's own tool is asked last: it is the costly
        // test, and most values are already settled (every test here only skips).
        if tools.is_empty()
            || rmm::names_tool(k, value, Some(own), shown)
            || tools.iter().any(|t| {
                family
                    .get_or_init(|| rmm::family(k, Some(own), shown))
                    .contains(t)
                    || rmm::same_vendor(k, own, *t)
            })
        {
            continue;
        }
        let names: Vec<&str> = tools.iter().map(|&t| k.tools[t].name.as_str()).collect();
        out.push(
            Diagnostic::new(
                &CODE,
                format!(
                    "`'{value}'` is a domain of {}, not of {shown}",
                    names.join(", ")
                ),
            )
            .at(
                ctx.rule.file,
                ctx.query_span(span),
                format!("{}'s domain", names[0]),
            )
            .note(format!(
                "the knowledge file lists it for {} and not for {}",
                names.join(", "),
                k.tools[own].name
            ))
            .help(format!(
                "remove `'{value}'` or move it to a rule about {}",
                names[0]
            )),
        );
    }
}

/// The label left of the public suffix, roughly: `fleetdm` of `app.fleetdm.com`,
/// `zoho` of `assist.zoho.com.au` (two-letter country code after a short second level).
fn registrable_label(domain: &str) -> &str {
    let mut labels = domain.trim().trim_end_matches('.').rsplit('.');
    let last = labels.next().unwrap_or("");
    let (Some(second), third) = (labels.next(), labels.next()) else {
        return last;
    };
    match third {
        Some(third) if last.len() == 2 && second.len() <= 3 => third,
        _ => second,
    }
}

#[cfg(test)]
mod tests {
    use super::registrable_label;

    #[test]
    fn registrable_labels() {
        assert_eq!(registrable_label("app.fleetdm.com"), "fleetdm");
        assert_eq!(registrable_label("assist.zoho.com.au"), "zoho");
        assert_eq!(registrable_label("zoho.com.au"), "zoho");
        assert_eq!(registrable_label("a.b.com"), "b");
        assert_eq!(registrable_label("x.io"), "x");
        assert_eq!(registrable_label("localhost"), "localhost");
        assert_eq!(registrable_label(" fleetdm.com. "), "fleetdm");
        assert_eq!(registrable_label(""), "");
    }
}
