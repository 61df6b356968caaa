//! `knowledge/rmm.toml` is what `gen-knowledge` derives from LOLRMM (in `../shared`) and
//! `knowledge/corrections.toml`: a stale or hand-edited file fails here.

#[test]
fn knowledge_file_is_derived_from_its_source() {
    let src = "../shared/reference/lolrmm/tools.jsonl";
    let Ok(tools) = std::fs::read_to_string(src) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{src} is missing (required under CI=true)"
        );
        eprintln!("skipped: {src} not found");
        return;
    };
    let corrections = std::fs::read_to_string("knowledge/corrections.toml").unwrap();
    let derived = rulecat::knowledge::derive::derive(&tools, &corrections).unwrap();
    let committed = std::fs::read_to_string("knowledge/rmm.toml").unwrap();
    assert!(
        derived == committed,
        "knowledge/rmm.toml is stale: run `cargo run --example gen-knowledge`"
    );
}
