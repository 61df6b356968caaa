//! Inputs the fuzz targets (fuzz/fuzz_targets) found failing, minimized, run through the
//! same checks as the target in stable CI.

use rulecat::loading::load::{LoadOptions, load_bytes};

/// The `load_rule` target's checks: every diagnostic label inside the text on character
/// boundaries, and the loaded rule's query mapping back into the file.
fn check_load_rule(data: &[u8]) -> rulecat::loading::load::Loaded {
    let opts = LoadOptions::default();
    let loaded = load_bytes("fuzz.yaml".into(), data, 0, &opts);
    let len = loaded.text.len();
    for d in &loaded.diagnostics {
        for l in &d.labels {
            assert!(l.span.start <= l.span.end, "{}: {:?}", d.message, l.span);
            assert!(
                l.span.end <= len,
                "{}: {:?} beyond {len}",
                d.message,
                l.span
            );
            assert!(loaded.text.is_char_boundary(l.span.start));
            assert!(loaded.text.is_char_boundary(l.span.end));
        }
    }
    if let Some(rule) = &loaded.rule {
        let q = &rule.query;
        let body = q.text.trim_end_matches(['\n', '\r']).len();
        let end = q.span_to_file(0..body);
        assert!(
            end.start <= end.end && end.end <= len,
            "{end:?} beyond {len}"
        );
    }
    loaded
}

/// load_rule, 2026-12-07: a `query: |` block that starts with a blank line (as some
/// upstream Sentinel rules do) was mapped one line low, so every query diagnostic pointed
/// at the line below its token and the query's end fell past the end of the file.
#[test]
fn query_block_starting_with_a_blank_line() {
    let text = "id: 467e6a70-adc9-49b7-8cf3-f21927c71159\nname: Forks\n\
        description: |\n  'Forks.'\nrequiredDataConnectors: []\ntactics: []\n\
        relevantTechniques: []\nquery: |\n\n   GitHubRepo\n   | where Action == \"Forks\"\n";
    let loaded = check_load_rule(text.as_bytes());
    let rule = loaded.rule.expect("loads");
    let q = &rule.query;
    assert!(q.text.starts_with("\nGitHubRepo\n"), "{:?}", q.text);
    let at = q.text.find("Action").unwrap();
    let f = q.to_file(at);
    assert_eq!(&text[f..f + 6], "Action");
    // Several blank lines, one with spaces, CRLF.
    let text = text
        .replace("query: |\n\n", "query: |\n\n \n\n")
        .replace('\n', "\r\n");
    let loaded = check_load_rule(text.as_bytes());
    let q = &loaded.rule.expect("loads").query;
    let f = q.to_file(q.text.find("Action").unwrap());
    assert_eq!(&text[f..f + 6], "Action");
}

/// Replays `fuzz/artifacts/load_rule/` (gitignored: crash inputs a local run saved) through
/// the same checks, so a fix can be checked on the inputs that found the defect without
/// rebuilding the instrumented target. Nothing to do where there are none (CI).
/// load_rule, 2026-12-07 (second run): a lone carriage return inside a `query: |` block
/// (a line ending YAML honours, as it does `\n`) was not a line end for the query's map,
/// so every query line after it mapped one file line early and the query's end fell
/// past the end of the file.
#[test]
fn query_block_with_a_lone_carriage_return() {
    let text = "id: 467e6a70-adc9-49b7-8cf3-f21927c71159\nname: CR\n\
        description: |\n  'CR.'\nrequiredDataConnectors: []\ntactics: []\n\
        relevantTechniques: []\nquery: |\n  SigninLogs\n\r  | extend A = 1\n  | where Action == \"Forks\"\n";
    let loaded = check_load_rule(text.as_bytes());
    let rule = loaded.rule.expect("loads");
    let q = &rule.query;
    let at = q.text.find("Action").unwrap();
    let f = q.to_file(at);
    assert_eq!(&text[f..f + 6], "Action");
}

#[test]
fn local_load_rule_artifacts_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/artifacts/load_rule");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no {}: nothing to replay", dir.display());
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| {
            check_load_rule(&data);
        });
        assert!(result.is_ok(), "{} still fails", path.display());
    }
}
