use std::sync::LazyLock;

use regex::Regex;

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};
use crate::loading::yaml::{Node, Value};

declare_code! {
    /// The ATT&CK mapping (`tactics`, `relevantTechniques`) is wrong.
    ///
    /// ## What it finds
    /// - tactics not spelled the way Sentinel spells them: `Command and Control`,
    ///   `command-and-control` or `TA0011` instead of `CommandAndControl`, or a name that
    ///   is no tactic at all;
    /// - technique ids that are malformed (`T12`, `t1219`) or that do not exist in
    ///   MITRE ATT&CK Enterprise (v17);
    /// - techniques that belong to none of the rule's tactics (`T1003.002`, a
    ///   credential-access technique, under `DefenseEvasion` only).
    ///
    /// ## Why it matters
    /// Sentinel only accepts its own tactic names: a rule with `Command and Control` fails
    /// to deploy, or lands unmapped. Coverage reports built from the mapping count the
    /// rule under the wrong cell of the ATT&CK matrix, or under none.
    ///
    /// ## Example
    /// ```yaml
    /// tactics:
    /// - Command and Control
    /// relevantTechniques:
    /// - T9999
    /// ```
    /// Fixed:
    /// ```yaml
    /// tactics:
    /// - CommandAndControl
    /// relevantTechniques:
    /// - T1219
    /// ```
    ///
    /// ## How to fix
    /// Use the Sentinel spelling the message suggests (`rulecat lint --fix` applies it when
    /// the difference is only case, spaces or dashes), look technique ids up on
    /// attack.mitre.org, and list every tactic the mapped techniques belong to.
    pub static CODE = {
        code: "R0004",
        name: "attack-mapping",
        level: Error,
        summary: "tactics or techniques that Sentinel or ATT&CK do not know, or that do not fit together",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: Some(check),
    check_catalog: None,
};

static TECHNIQUE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^T[0-9]{4}(?:\.[0-9]{3})?$").expect("valid regex"));

use crate::knowledge::attack::normalize;

/// The string items of a list value, or the value itself when it is a single string.
pub(super) fn string_items(node: &Node) -> Vec<(&Node, &str)> {
    match &node.value {
        Value::String(s) => vec![(node, s.as_str())],
        Value::Seq(items) => items
            .iter()
            .filter_map(|n| n.as_str().map(|s| (n, s)))
            .collect(),
        _ => Vec::new(),
    }
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let attack = crate::knowledge::attack::builtin();
    let version = attack.version().split('.').next().unwrap_or("");
    let file = ctx.rule.file;
    let root = &ctx.rule.root;

    // Tactics, resolved to Sentinel names (a misspelled one counts as what it suggests,
    // so that its techniques are not reported again).
    let mut listed: Vec<String> = Vec::new();
    let tactics = root.get("tactics").map(|e| string_items(&e.value));
    for (node, s) in tactics.unwrap_or_default() {
        if attack.tactic_by_sentinel(s).is_some() {
            listed.push(s.to_string());
            continue;
        }
        match attack.suggest_tactic(s) {
            Some(sug) => {
                listed.push(sug.to_string());
                let certain = attack.tactic_by_id(s).is_some()
                    || attack.tactics().any(|t| {
                        t.sentinel == sug
                            && (normalize(&t.sentinel) == normalize(s)
                                || (!t.shortname.is_empty()
                                    && normalize(&t.shortname) == normalize(s)))
                    });
                let mut d = Diagnostic::new(
                    &CODE,
                    format!("`{s}` is not a tactic name Sentinel accepts"),
                )
                .at(
                    file,
                    node.span.clone(),
                    if certain {
                        format!("Sentinel spells it `{sug}`")
                    } else {
                        "not a Sentinel tactic".to_string()
                    },
                );
                if certain {
                    d = d.with_fix(
                        format!("replace `{s}` with `{sug}`"),
                        vec![Edit {
                            span: node.span.clone(),
                            replacement: sug.to_string(),
                        }],
                    );
                    d = d.help(format!("write `{sug}`"));
                } else {
                    d = d.help(format!("did you mean `{sug}`?"));
                }
                out.push(d);
            }
            None => {
                let names: Vec<&str> = attack.tactics().map(|t| t.sentinel.as_str()).collect();
                out.push(
                    Diagnostic::new(&CODE, format!("`{s}` is not a tactic"))
                        .at(file, node.span.clone(), "not a Sentinel tactic")
                        .note(format!("Sentinel's tactics are {}", names.join(", "))),
                );
            }
        }
    }

    let techniques = root
        .get("relevantTechniques")
        .map(|e| string_items(&e.value));
    for (node, s) in techniques.unwrap_or_default() {
        let span = node.span.clone();
        let canonical = s.trim().to_ascii_uppercase();
        if !TECHNIQUE_ID.is_match(s) && !TECHNIQUE_ID.is_match(&canonical) {
            out.push(
                Diagnostic::new(&CODE, format!("`{s}` is not an ATT&CK technique id"))
                    .at(file, span, "malformed technique id")
                    .note("technique ids are `T` and four digits, with `.` and three more for a sub-technique: `T1219`, `T1059.001`"),
            );
            continue;
        }
        let Some(tech) = attack.technique(&canonical) else {
            let mut d = Diagnostic::new(
                &CODE,
                format!("technique `{s}` is not in ATT&CK Enterprise v{version}, nor among the ICS techniques Sentinel maps"),
            )
            .at(file, span, "unknown technique");
            if let Some((parent, _)) = canonical.split_once('.')
                && let Some(p) = attack.technique(parent)
            {
                d = d.note(format!(
                    "`{}` ({}) exists, but has no sub-technique `{canonical}`",
                    p.id,
                    p.label()
                ));
            }
            out.push(d.note("Sentinel's template validation rejects a technique it cannot map to a tactic (ATT&CK for Mobile techniques included)").help("look the technique up on attack.mitre.org; deprecated and revoked techniques are not in ATT&CK v17"));
            continue;
        };
        if s != canonical {
            out.push(
                Diagnostic::new(
                    &CODE,
                    format!("technique id `{s}` is not written as ATT&CK writes it"),
                )
                .at(file, span.clone(), format!("write `{canonical}`"))
                .with_fix(
                    format!("replace `{s}` with `{canonical}`"),
                    vec![Edit {
                        span,
                        replacement: canonical.clone(),
                    }],
                )
                .help("technique ids are written with an uppercase `T` and no spaces"),
            );
            continue;
        }
        if listed.is_empty() || tech.tactics.iter().any(|t| listed.contains(t)) {
            continue;
        }
        let belongs = tech.tactics.join(", ");
        let title = match attack.technique(tech.parent_id()) {
            Some(p) if tech.is_subtechnique() => format!("{}: {}", p.label(), tech.label()),
            _ => tech.label().to_string(),
        };
        let source = match tech.matrix {
            crate::knowledge::attack::Matrix::Enterprise => format!("in ATT&CK v{version}"),
            crate::knowledge::attack::Matrix::Ics => {
                "in Sentinel's map of ATT&CK for ICS".to_string()
            }
        };
        let mut d = Diagnostic::new(
            &CODE,
            format!(
                "technique `{}` ({title}) belongs to none of the rule's tactics",
                tech.id
            ),
        )
        .at(
            file,
            span,
            format!("not a technique of {}", listed.join(", ")),
        )
        .note(format!("{source}, `{}` belongs to {belongs}", tech.id));
        if let Some(e) = root.get("tactics") {
            d = d.secondary(file, e.key_span.clone(), "the rule's tactics");
        }
        out.push(d.help(format!(
            "add {} to `tactics`, or check the technique id",
            tech.tactics
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalar_tactics::test_support::*;

    #[test]
    fn certain_fixes_only_for_spelling_variants() {
        let m = "tactics:\n- command-and-control\n- CommandControl\n- TA0003\nrelevantTechniques:\n- t1219\n- T12\n- T1003.999\n";
        let text = rule("", m, QUERY);
        let d = lint(&text, "attack-mapping");
        let msgs: Vec<_> = d
            .iter()
            .map(|d| (d.message.as_str(), d.fix.is_some()))
            .collect();
        assert_eq!(
            msgs,
            [
                (
                    "`command-and-control` is not a tactic name Sentinel accepts",
                    true
                ),
                (
                    "`CommandControl` is not a tactic name Sentinel accepts",
                    false
                ),
                ("`TA0003` is not a tactic name Sentinel accepts", true),
                (
                    "technique id `t1219` is not written as ATT&CK writes it",
                    true
                ),
                ("`T12` is not an ATT&CK technique id", false),
                (
                    "technique `T1003.999` is not in ATT&CK Enterprise v17, nor among the ICS techniques Sentinel maps",
                    false
                ),
            ]
        );
        let fixed = apply(&text, &d);
        assert!(fixed.contains("- CommandAndControl\n- CommandControl\n- Persistence\n"));
        assert!(fixed.contains("- T1219\n- T12\n"));
    }

    #[test]
    fn technique_outside_the_tactics() {
        let m = "tactics:\n- DefenseEvasion\nrelevantTechniques:\n- T1003.002\n- T1078\n";
        let d = lint(&rule("", m, QUERY), "attack-mapping");
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].notes,
            ["in ATT&CK v17, `T1003.002` belongs to CredentialAccess"]
        );
    }

    #[test]
    fn ics_technique_outside_the_tactics_names_sentinels_map() {
        let m = "tactics:\n- Collection\n- Persistence\nrelevantTechniques:\n- T0881\n- T0839\n";
        let d = lint(&rule("", m, QUERY), "attack-mapping");
        assert_eq!(
            d.len(),
            1,
            "T0839 is under Persistence (and ImpairProcessControl)"
        );
        assert_eq!(
            d[0].message,
            "technique `T0881` (an ATT&CK for ICS technique) belongs to none of the rule's tactics"
        );
        assert_eq!(
            d[0].notes,
            ["in Sentinel's map of ATT&CK for ICS, `T0881` belongs to InhibitResponseFunction"]
        );
        let ok = "tactics:\n- Persistence\nrelevantTechniques:\n- T0839\n";
        assert!(lint(&rule("", ok, QUERY), "attack-mapping").is_empty());
    }
}
