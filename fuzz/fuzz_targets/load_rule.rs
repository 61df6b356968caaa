#![no_main]
//! Fuzz the rule loader: `load_bytes` on arbitrary bytes, with the limits `rulecat lint`
//! uses (the default 1 MiB file size, YAML depth and node budgets), must never panic,
//! and every diagnostic must point inside the text it was loaded from; a loaded rule's
//! query must map back into the file.

use libfuzzer_sys::fuzz_target;
use rulecat::loading::load::{LoadOptions, load_bytes};

fuzz_target!(|data: &[u8]| {
    let opts = LoadOptions::default();
    // `load_file` refuses larger files before reading them; do the same.
    if data.len() as u64 > opts.max_file_size {
        return;
    }
    let loaded = load_bytes("fuzz.yaml".into(), data, 0, &opts);
    let len = loaded.text.len();
    for d in &loaded.diagnostics {
        for l in &d.labels {
            assert!(l.span.start <= l.span.end, "{}: {:?}", d.message, l.span);
            assert!(l.span.end <= len, "{}: {:?} beyond {len}", d.message, l.span);
            assert!(loaded.text.is_char_boundary(l.span.start));
            assert!(loaded.text.is_char_boundary(l.span.end));
        }
    }
    if let Some(rule) = &loaded.rule {
        // The query's text maps into the file (its final line ending may be one the file
        // lacks: the block scalar adds it, so it is left out).
        let q = &rule.query;
        let body = q.text.trim_end_matches(['\n', '\r']).len();
        let end = q.span_to_file(0..body);
        assert!(end.start <= end.end && end.end <= len, "{end:?} beyond {len}");
    }
});
