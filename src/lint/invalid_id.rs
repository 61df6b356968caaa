use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// The rule's `id` is not a hyphenated UUID.
    ///
    /// ## What it finds
    /// An `id` that is not written as a UUID in its canonical hyphenated form, 36
    /// characters in groups of `8-4-4-4-12` hexadecimal digits: a UUID without hyphens,
    /// in braces or as a `urn:uuid:`, a truncated one, or any other string.
    ///
    /// ## Why it matters
    /// Sentinel and Content Hub key hunting queries by `id`. The repository's own
    /// validation rejects ids that are not hyphenated GUIDs, and a rule whose id is
    /// truncated or reformatted is a *different* rule to every tool that tracks it.
    ///
    /// ## Example
    /// ```yaml
    /// id: 9d41c3a07be24f1e8a6c52d0e3f7b918
    /// ```
    /// Fixed:
    /// ```yaml
    /// id: 9d41c3a0-7be2-4f1e-8a6c-52d0e3f7b918
    /// ```
    ///
    /// ## How to fix
    /// Write the UUID in hyphenated form. If the id is truncated or made up, generate a
    /// new one (`uuidgen`, or `[guid]::NewGuid()` in PowerShell); for a rule that is
    /// already published, keep the id it was published with.
    pub static CODE = {
        code: "R0002",
        name: "invalid-id",
        level: Error,
        summary: "the rule id is not a hyphenated UUID",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: Some(check),
    check_catalog: None,
};

/// Whether `s` is a UUID in the hyphenated `8-4-4-4-12` form (either case).
pub(super) fn is_hyphenated_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
        && uuid::Uuid::try_parse(s).is_ok()
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let id = ctx.rule.rule.id.as_str();
    if is_hyphenated_uuid(id) {
        return;
    }
    let Some(entry) = ctx.rule.root.get("id") else {
        return;
    };
    let span = entry.value.span.clone();
    let (label, help) = match uuid::Uuid::try_parse(id.trim()) {
        Ok(u) => (
            if id.trim() != id {
                "surrounded by whitespace".to_string()
            } else if id.starts_with('{') {
                "a UUID in braces".to_string()
            } else if id.get(..9).is_some_and(|p| p.eq_ignore_ascii_case("urn:uuid:")) {
                "a `urn:uuid:` URN".to_string()
            } else {
                "a UUID without hyphens".to_string()
            },
            format!(
                "write it in hyphenated form: `{}`",
                u.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer())
            ),
        ),
        Err(_) => (
            describe_malformed(id),
            "generate a new id (`uuidgen`, or `[guid]::NewGuid()` in PowerShell); for a published rule, restore the id it was published with".to_string(),
        ),
    };
    out.push(
        Diagnostic::new(
            &CODE,
            format!("`id` is not a hyphenated UUID: `{}`", id.escape_debug()),
        )
        .at(ctx.rule.file, span, label)
        .note("rule ids are UUIDs written as 36 characters: 8-4-4-4-12 hexadecimal digits")
        .help(help),
    );
}

fn describe_malformed(id: &str) -> String {
    let groups: Vec<&str> = id.split('-').collect();
    let hexish = id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if id.is_empty() {
        "empty".into()
    } else if hexish && id.len() < 36 && groups.len() <= 5 {
        format!("{} characters: truncated", id.chars().count())
    } else if hexish && id.len() > 36 {
        format!("{} characters: too long", id.chars().count())
    } else if hexish {
        "hyphens in the wrong places".into()
    } else {
        "not a UUID".into()
    }
}

#[cfg(test)]
mod tests {
    use super::is_hyphenated_uuid;

    #[test]
    fn forms() {
        assert!(is_hyphenated_uuid("1525a733-192f-41f2-96ba-d3f631ca00d0"));
        assert!(is_hyphenated_uuid("1525A733-192F-41F2-96BA-D3F631CA00D0"));
        assert!(!is_hyphenated_uuid("1525a733192f41f296bad3f631ca00d0"));
        assert!(!is_hyphenated_uuid(
            "{1525a733-192f-41f2-96ba-d3f631ca00d0}"
        ));
        assert!(!is_hyphenated_uuid(
            "urn:uuid:1525a733-192f-41f2-96ba-d3f631ca00d0"
        ));
        assert!(!is_hyphenated_uuid("4c7e21d9-8f3a-4b6e-a2d1"));
        assert!(!is_hyphenated_uuid("1525a733-192f-41f2-96ba-d3f631ca00dg"));
        assert!(!is_hyphenated_uuid("1525a733-192f41f2-96ba-d3f631ca00d0-"));
    }
}
