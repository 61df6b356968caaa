//! The parts of Sentinel's template contract that a JSON Schema cannot say: durations
//! within 5 minutes and 14 days with `queryPeriod ≥ queryFrequency`, entity mappings with
//! known types and identifiers, custom detail keys and values, alert-details placeholders,
//! and a function's name and body. Runs after the schema, on the same YAML tree; every
//! problem is a diagnostic at the offending key or value.

use std::ops::Range;

use serde_json::Value as Json;

use crate::declare_code;
use crate::diagnostics::{Diagnostic, FileId};
use crate::loading::model::RuleKind;
use crate::loading::schema::{INVALID_VALUE, MISSING_KEY};
use crate::loading::yaml::Node;

declare_code! {
    /// An entity mapping that Sentinel cannot turn into an entity: an unknown entity type,
    /// an identifier that the type does not have, the same identifier twice, or none of
    /// the identifiers the type needs.
    ///
    /// ## Why it matters
    /// Sentinel's template validation rejects such a rule, and in a workspace the alert
    /// carries no entity, so investigation graphs, automation and incident grouping miss it.
    ///
    /// ## Example
    /// ```yaml
    /// entityMappings:
    ///   - entityType: Account
    ///     fieldMappings:
    ///       - identifier: UserName      # Account has Name, FullName, Sid, AadUserId ...
    ///         columnName: AccountName
    /// ```
    ///
    /// ## How to fix
    /// Use the entity type's identifiers (the message lists them and suggests the closest),
    /// and map at least one of the identifier sets the type needs.
    pub static ENTITY_MAPPING = {
        code: "S0007",
        name: "entity-mapping",
        level: Error,
        summary: "an entity mapping with an unknown type or identifier",
    }
}

/// Shortest and longest `queryFrequency`/`queryPeriod` Sentinel accepts, in minutes.
const MIN_MINUTES: u64 = 5;
const MAX_MINUTES: u64 = 14 * 24 * 60;

/// Checks the cross-field contract of a document of `kind`.
pub fn check(file: FileId, root: &Node, doc: &Json, kind: RuleKind) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    match kind {
        RuleKind::Scheduled => schedule(file, root, &mut out),
        RuleKind::Function => function(file, root, doc, &mut out),
        _ => {}
    }
    if matches!(
        kind,
        RuleKind::Scheduled | RuleKind::Nrt | RuleKind::HuntingQuery
    ) {
        entity_mappings(file, root, &mut out);
        custom_details(file, root, &mut out);
        alert_details(file, root, &mut out);
    }
    out
}

/// A duration as Sentinel's template reader takes it: `<n>m|h|d`, a .NET time span
/// (`[d.]hh:mm[:ss]`) or ISO 8601 (`PT5H`, `P1D`). Minutes, rounded down.
pub fn duration_minutes(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(iso) = s.strip_prefix('P') {
        let (days, time) = match iso.split_once('T') {
            Some((d, t)) => (d, t),
            None => (iso, ""),
        };
        let mut minutes = 0u64;
        if !days.is_empty() {
            minutes += days
                .strip_suffix('D')?
                .parse::<u64>()
                .ok()?
                .checked_mul(1440)?;
        }
        let mut rest = time;
        for (unit, mul) in [('H', 60u64), ('M', 1)] {
            if let Some(i) = rest.find(unit) {
                minutes = minutes.checked_add(rest[..i].parse::<u64>().ok()?.checked_mul(mul)?)?;
                rest = &rest[i + 1..];
            }
        }
        if let Some(sec) = rest.strip_suffix('S') {
            minutes += sec.parse::<u64>().ok()? / 60;
        } else if !rest.is_empty() {
            return None;
        }
        return Some(minutes);
    }
    if s.contains(':') {
        let (days, clock) = match s.split_once('.') {
            Some((d, c)) if !d.contains(':') => (d.parse::<u64>().ok()?, c),
            _ => (0, s),
        };
        let parts: Vec<&str> = clock.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return None;
        }
        let h: u64 = parts[0].parse().ok()?;
        let m: u64 = parts[1].parse().ok()?;
        if h > 23 || m > 59 {
            return None;
        }
        return days.checked_mul(1440)?.checked_add(h * 60 + m);
    }
    let unit = s.chars().last()?;
    let n: u64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    match unit {
        'm' => Some(n),
        'h' => n.checked_mul(60),
        'd' => n.checked_mul(1440),
        _ => None,
    }
}

fn show_minutes(m: u64) -> String {
    if m.is_multiple_of(1440) {
        format!("{} day{}", m / 1440, if m == 1440 { "" } else { "s" })
    } else if m.is_multiple_of(60) {
        format!("{} hour{}", m / 60, if m == 60 { "" } else { "s" })
    } else {
        format!("{m} minute{}", if m == 1 { "" } else { "s" })
    }
}

fn schedule(file: FileId, root: &Node, out: &mut Vec<Diagnostic>) {
    let read = |key: &str| -> Option<(u64, Range<usize>)> {
        let e = root.get(key)?;
        let m = duration_minutes(e.value.as_str()?)?;
        Some((m, e.value.span.clone()))
    };
    let freq = read("queryFrequency");
    let period = read("queryPeriod");
    for (key, v) in [("queryFrequency", &freq), ("queryPeriod", &period)] {
        if let Some((m, span)) = v
            && !(MIN_MINUTES..=MAX_MINUTES).contains(m)
        {
            out.push(
                Diagnostic::new(
                    &INVALID_VALUE,
                    format!(
                        "`{key}` is {}; Sentinel accepts 5 minutes to 14 days",
                        show_minutes(*m)
                    ),
                )
                .at(file, span.clone(), "out of range"),
            );
        }
    }
    if let (Some((f, fspan)), Some((p, pspan))) = (&freq, &period)
        && p < f
    {
        out.push(
            Diagnostic::new(
                &INVALID_VALUE,
                format!(
                    "`queryPeriod` ({}) is shorter than `queryFrequency` ({}): runs would leave gaps no query looks at",
                    show_minutes(*p),
                    show_minutes(*f)
                ),
            )
            .at(file, pspan.clone(), "shorter than the frequency")
            .secondary(file, fspan.clone(), "the rule runs this often")
            .help("make `queryPeriod` at least `queryFrequency`"),
        );
    }
}

fn function(file: FileId, root: &Node, doc: &Json, out: &mut Vec<Diagnostic>) {
    let has = |k: &str| doc.get(k).is_some();
    let anchor = root
        .as_map()
        .and_then(|m| m.first())
        .map(|e| e.key_span.clone())
        .unwrap_or(0..0);
    if !has("FunctionName") && !has("ParserName") {
        out.push(
            Diagnostic::new(
                &MISSING_KEY,
                "the function has no name: it needs `FunctionName` (or `ParserName` for an ASIM parser)",
            )
            .at(file, anchor.clone(), "`FunctionName` is required here"),
        );
    }
    if !has("FunctionQuery") && !has("ParserQuery") && !has("query") {
        out.push(
            Diagnostic::new(
                &MISSING_KEY,
                "the function has no body: it needs `FunctionQuery` (or `ParserQuery`)",
            )
            .at(file, anchor, "`FunctionQuery` is required here"),
        );
    }
}

fn entity_mappings(file: FileId, root: &Node, out: &mut Vec<Diagnostic>) {
    let Some(list) = root.get("entityMappings") else {
        return;
    };
    let crate::loading::yaml::Value::Seq(items) = &list.value.value else {
        return;
    };
    let types = crate::knowledge::entities::all();
    for item in items {
        let Some(ty_entry) = item.get("entityType") else {
            continue;
        };
        let Some(ty) = ty_entry.value.as_str() else {
            continue;
        };
        let Some(facts) = crate::knowledge::entities::get(ty) else {
            let mut d = Diagnostic::new(
                &ENTITY_MAPPING,
                format!("`{ty}` is not a Sentinel entity type"),
            )
            .at(file, ty_entry.value.span.clone(), "unknown entity type")
            .note(format!(
                "entity types: {}",
                types.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
            if let Some(best) = crate::suggest::closest(ty, types.keys().map(String::as_str)) {
                d = d.help(format!("did you mean `{best}`?"));
            }
            out.push(d);
            continue;
        };
        let mut mapped: Vec<&str> = Vec::new();
        if let Some(crate::loading::yaml::Value::Seq(fields)) =
            item.get("fieldMappings").map(|e| &e.value.value)
        {
            for f in fields {
                let Some(id_entry) = f.get("identifier") else {
                    continue;
                };
                let Some(id) = id_entry.value.as_str() else {
                    continue;
                };
                let span = id_entry.value.span.clone();
                if !facts.identifiers.iter().any(|i| i == id) {
                    let mut d = Diagnostic::new(
                        &ENTITY_MAPPING,
                        format!("`{id}` is not an identifier of the `{ty}` entity"),
                    )
                    .at(file, span, format!("not a `{ty}` identifier"))
                    .note(format!(
                        "`{ty}` identifiers: {}",
                        facts.identifiers.join(", ")
                    ));
                    if let Some(best) =
                        crate::suggest::closest(id, facts.identifiers.iter().map(String::as_str))
                    {
                        d = d.help(format!("did you mean `{best}`?"));
                    }
                    out.push(d);
                } else if mapped.contains(&id) {
                    out.push(
                        Diagnostic::new(
                            &ENTITY_MAPPING,
                            format!("the `{ty}` mapping maps `{id}` twice"),
                        )
                        .at(file, span, "mapped again here"),
                    );
                } else {
                    mapped.push(id);
                }
            }
        }
        let sufficient = facts
            .required_any
            .iter()
            .any(|set| set.iter().all(|id| mapped.contains(&id.as_str())));
        let all_known = item
            .get("fieldMappings")
            .and_then(|e| match &e.value.value {
                crate::loading::yaml::Value::Seq(f) => Some(f.len() == mapped.len()),
                _ => None,
            })
            .unwrap_or(false);
        // Only when every identifier was understood: an unknown one is reported above.
        if !sufficient && all_known {
            let sets: Vec<String> = facts.required_any.iter().map(|s| s.join(" + ")).collect();
            out.push(
                Diagnostic::new(
                    &ENTITY_MAPPING,
                    format!(
                        "the `{ty}` mapping maps none of the identifiers Sentinel needs to build the entity"
                    ),
                )
                .at(file, ty_entry.value.span.clone(), "not enough to identify it")
                .help(format!("map one of: {}", sets.join(", "))),
            );
        }
    }
}

fn custom_details(file: FileId, root: &Node, out: &mut Vec<Diagnostic>) {
    let Some(map) = root.get("customDetails").and_then(|e| e.value.as_map()) else {
        return;
    };
    let key_ok = |k: &str| {
        let mut c = k.chars();
        c.next().is_some_and(|f| f.is_ascii_alphabetic())
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    };
    let value_ok = |v: &str| {
        let mut c = v.chars();
        c.next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    };
    for e in map {
        if e.key.chars().count() > 20 {
            out.push(
                Diagnostic::new(
                    &INVALID_VALUE,
                    format!(
                        "custom detail key `{}` has {} characters; Sentinel allows 20",
                        e.key,
                        e.key.chars().count()
                    ),
                )
                .at(file, e.key_span.clone(), "key too long"),
            );
        } else if !key_ok(&e.key) {
            out.push(
                Diagnostic::new(
                    &INVALID_VALUE,
                    format!(
                        "custom detail key `{}` must start with a letter and hold only letters, digits and `_`",
                        e.key
                    ),
                )
                .at(file, e.key_span.clone(), "invalid key"),
            );
        }
        if let Some(v) = e.value.as_str()
            && !value_ok(v)
        {
            out.push(
                Diagnostic::new(
                    &INVALID_VALUE,
                    format!("custom detail `{}` must name a column, found `{v}`", e.key),
                )
                .at(file, e.value.span.clone(), "not a column name"),
            );
        }
    }
}

fn alert_details(file: FileId, root: &Node, out: &mut Vec<Diagnostic>) {
    let Some(ado) = root.get("alertDetailsOverride") else {
        return;
    };
    for key in ["alertDisplayNameFormat", "alertDescriptionFormat"] {
        let Some(e) = ado.value.get(key) else {
            continue;
        };
        let Some(text) = e.value.as_str() else {
            continue;
        };
        let n = placeholders(text).len();
        if n > 3 {
            out.push(
                Diagnostic::new(
                    &INVALID_VALUE,
                    format!("`{key}` has {n} `{{{{column}}}}` placeholders; Sentinel allows 3"),
                )
                .at(file, e.value.span.clone(), "too many placeholders"),
            );
        }
    }
}

/// The column names of `{{Column}}` placeholders in an alert-details format.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        out.push(after[..j].trim());
        rest = &after[j + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_form_sentinel_reads() {
        assert_eq!(duration_minutes("5m"), Some(5));
        assert_eq!(duration_minutes("1h"), Some(60));
        assert_eq!(duration_minutes("14d"), Some(14 * 1440));
        assert_eq!(duration_minutes("01:30:00"), Some(90));
        assert_eq!(duration_minutes("2.00:00:00"), Some(2880));
        assert_eq!(duration_minutes("PT5H"), Some(300));
        assert_eq!(duration_minutes("P1D"), Some(1440));
        assert_eq!(duration_minutes("P1DT30M"), Some(1470));
        assert_eq!(duration_minutes("5x"), None);
        assert_eq!(duration_minutes(""), None);
        assert_eq!(duration_minutes("99999999999999999999d"), None);
        assert_eq!(duration_minutes("25:00"), None);
    }

    #[test]
    fn placeholders_are_found() {
        assert_eq!(
            placeholders("User {{Account}} from {{ IP }} at {{T}"),
            vec!["Account", "IP"]
        );
    }
}
