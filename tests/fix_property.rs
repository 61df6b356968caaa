//! Property: for any rule, `lint --fix` then `lint` reports none of the fixed findings, and
//! the fixed file still loads to the same rule model apart from what the fixes change.
//!
//! Rules are the bundled catalog's, each damaged in ways the certain fixes repair:
//! trailing whitespace on any line (YAML keys, list items, lines of the `query: |` block),
//! no final newline, a one-item `tactics`/`relevantTechniques` list written as a scalar,
//! and the misspelling "Montioring" in the name or description. "Apart from the fix" is
//! checked by comparing the two models with those differences normalized away.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use proptest::prelude::*;
use rulecat::loading::load::{LoadOptions, load_bytes};
use rulecat::run::{self, CheckOptions};

fn catalog() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/RemoteManagementMonitoring");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| rulecat::loading::discover::is_rule_file(p))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// How to damage a rule.
#[derive(Clone, Debug)]
struct Damage {
    rule: usize,
    /// (line index modulo the line count, spaces to append).
    trailing: Vec<(usize, usize)>,
    no_final_newline: bool,
    scalar_lists: bool,
    misspell: bool,
}

fn damage() -> impl Strategy<Value = Damage> {
    (
        0usize..4,
        prop::collection::vec((0usize..200, 1usize..4), 0..8),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(rule, trailing, no_final_newline, scalar_lists, misspell)| Damage {
                rule,
                trailing,
                no_final_newline,
                scalar_lists,
                misspell,
            },
        )
}

fn apply(text: &str, d: &Damage) -> String {
    let mut t = text.to_string();
    if d.misspell {
        t = t.replacen("Monitoring", "Montioring", 1);
    }
    let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
    if d.scalar_lists {
        // `key:\n- item` (one item) → `key: item`
        let mut i = 0;
        while i + 1 < lines.len() {
            let key = lines[i].trim_end();
            let one_item = (key == "tactics:" || key == "relevantTechniques:")
                && lines[i + 1].starts_with("- ")
                && !lines.get(i + 2).is_some_and(|l| l.starts_with("- "));
            if one_item {
                let item = lines[i + 1][2..].to_string();
                lines[i] = format!("{key} {item}");
                lines.remove(i + 1);
            }
            i += 1;
        }
    }
    for &(at, n) in &d.trailing {
        let i = at % lines.len();
        // Only lines with content: an all-space line at the top of a block scalar would
        // change its indentation, which is not whitespace a fix can remove.
        if !lines[i].trim().is_empty() {
            lines[i].push_str(&" ".repeat(n));
        }
    }
    let mut out = lines.join("\n");
    if !d.no_final_newline {
        out.push('\n');
    }
    out
}

/// The model as JSON with what the fixes change normalized away: trailing whitespace of
/// every line of every string, final newlines, and the misspelling.
fn normalized(text: &str) -> serde_json::Value {
    let loaded = load_bytes("r.yaml".into(), text.as_bytes(), 0, &LoadOptions::default());
    let rule = loaded
        .rule
        .unwrap_or_else(|| panic!("does not load: {:?}", loaded.diagnostics));
    let mut v = serde_json::to_value(&rule.rule).unwrap();
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
                *s = lines
                    .join("\n")
                    .trim_end_matches('\n')
                    .replace("Montioring", "Monitoring");
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            serde_json::Value::Object(o) => o.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn fix_then_lint_reports_none_of_the_fixed_findings(d in damage()) {
        let rules = catalog();
        let damaged = apply(&rules[d.rule], &d);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rule.yaml");
        std::fs::write(&file, &damaged).unwrap();

        let check = || run::check(&CheckOptions::new(vec![file.clone()])).unwrap();
        let before = check();
        let fixable: Vec<(&str, String)> = before
            .diagnostics
            .iter()
            .filter(|d| d.fix.is_some())
            .map(|d| (d.code.code, d.message.clone()))
            .collect();

        let out = cargo_bin_cmd!("rulecat")
            .args(["lint", "--fix", "--color", "never"])
            .arg(&file)
            .output()
            .unwrap();
        prop_assert!(out.status.code().unwrap() <= 1, "{out:?}");
        let fixed = std::fs::read_to_string(&file).unwrap();

        // None of the fixed findings is reported again, and nothing fixable is left.
        let after = check();
        for d in &after.diagnostics {
            prop_assert!(d.fix.is_none(), "still fixable after --fix: {} {}\n{fixed}", d.code.code, d.message);
            prop_assert!(
                !fixable.contains(&(d.code.code, d.message.clone())),
                "reported again after --fix: {} {}\n{fixed}", d.code.code, d.message
            );
        }
        // The same rule, apart from what the fixes change.
        prop_assert_eq!(normalized(&fixed), normalized(&damaged));
        // And --fix again changes nothing.
        let out = cargo_bin_cmd!("rulecat").args(["lint", "--fix"]).arg(&file).output().unwrap();
        prop_assert!(out.status.code().unwrap() <= 1);
        prop_assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
    }
}
