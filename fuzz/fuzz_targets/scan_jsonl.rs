#![no_main]
//! Fuzz the matcher's fast JSON-lines scanner against its serde_json reference: on any
//! bytes, split into lines, the scanner must never panic, and whenever it accepts a line
//! serde_json must accept it too and read the same cells (both SIMD paths, with row
//! shapes learned and left across the lines).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rulecat::matcher::fuzzing::jsonl_agrees(data);
});
