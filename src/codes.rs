//! The registry of every diagnostic code, for `rulecat explain`, SARIF rule lists and docs.

use crate::diagnostics::CodeInfo;

/// Every code, sorted by code.
pub fn all() -> Vec<&'static CodeInfo> {
    let mut v: Vec<&'static CodeInfo> = vec![
        &crate::discover::UNREADABLE,
        &crate::load::YAML_SYNTAX,
        &crate::load::DUPLICATE_KEY,
        &crate::load::YAML_LIMIT,
        &crate::load::INVALID_UTF8,
        &crate::load::NOT_A_RULE,
        &crate::schema::UNKNOWN_KEY,
        &crate::schema::MISSING_KEY,
        &crate::schema::WRONG_TYPE,
        &crate::schema::INVALID_VALUE,
        &crate::suppress::INVALID_SUPPRESSION,
        &crate::suppress::UNUSED_SUPPRESSION,
        &crate::compile::UNCOMPILABLE,
    ];
    v.extend(crate::lint::registry());
    v.sort_by_key(|c| c.code);
    v
}

/// Finds a code by its code (`S0001`, case-insensitive) or its name (`unknown-key`).
pub fn find(query: &str) -> Option<&'static CodeInfo> {
    all()
        .into_iter()
        .find(|c| c.code.eq_ignore_ascii_case(query) || c.name.eq_ignore_ascii_case(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_documented() {
        let all = all();
        let mut codes: Vec<_> = all.iter().map(|c| c.code).collect();
        let mut names: Vec<_> = all.iter().map(|c| c.name).collect();
        codes.dedup();
        names.sort();
        names.dedup();
        assert_eq!(codes.len(), all.len(), "duplicate code");
        assert_eq!(names.len(), all.len(), "duplicate name");
        for c in &all {
            assert!(
                c.docs.contains("## How to fix"),
                "{} lacks a how-to-fix section",
                c.code
            );
            assert!(!c.summary.is_empty());
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-' || ch.is_ascii_digit()),
                "{} is not kebab-case",
                c.name
            );
        }
    }
}
