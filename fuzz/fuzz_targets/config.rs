#![no_main]
//! Fuzz the `rulecat.toml` parser: `Config::parse` on any UTF-8 text must never panic,
//! and a configuration it accepts must only name lints that exist and build its
//! exclude globs and kind overrides without panicking.

use libfuzzer_sys::fuzz_target;
use rulecat::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text) else {
        return;
    };
    for name in config.lints.keys() {
        assert!(rulecat::codes::find(name).is_some(), "accepted unknown lint {name}");
    }
    let _ = rulecat::loading::discover::Excludes::new(
        &[],
        Some((config.paths.exclude.as_slice(), std::path::Path::new("."))),
        config.paths.force_exclude,
    );
    let _ = config.kind_overrides();
});
