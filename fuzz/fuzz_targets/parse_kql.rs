#![no_main]
//! Fuzz the KQL front end: `parse` and `tokenize` must never panic, must stay
//! linear, and must report errors sorted with spans inside the input.

use libfuzzer_sys::fuzz_target;
use rulecat::kql;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = kql::parse(text);
    let mut prev = 0;
    for e in &parsed.errors {
        assert!(e.span.start <= e.span.end);
        assert!(e.span.end as usize <= text.len());
        assert!(e.span.start >= prev, "errors must be sorted");
        assert!(text.is_char_boundary(e.span.start as usize));
        prev = e.span.start;
    }
    for c in &parsed.comments {
        assert!(text[c.start as usize..c.end as usize].starts_with("//"));
    }
    for t in kql::lexer::tokenize(text) {
        assert!(t.span.start <= t.span.end && t.span.end as usize <= text.len());
        assert!(text.is_char_boundary(t.span.start as usize));
        assert!(text.is_char_boundary(t.span.end as usize));
    }
});
