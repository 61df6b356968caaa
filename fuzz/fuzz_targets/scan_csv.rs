#![no_main]
//! Fuzz the matcher's fast CSV reader against the `csv` crate: on any bytes, both must
//! see the same header, records (fields and positions), errors and bytes read.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rulecat::matcher::fuzzing::csv_agrees(data);
});
