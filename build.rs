//! Build script: links the `rulecat` binary as a position-dependent executable on x86-64
//! Linux.
//!
//! The embedded data (the misspelling dictionary of `typos-dict` above all) holds about
//! 245,000 pointers; in a position-independent executable the dynamic loader relocates
//! each of them at every start, writing 4.7 MB of pages before `main` runs, a large share
//! of a `rulecat lint` of a small catalog. A position-dependent executable has them
//! resolved at link time. (Only the binaries: tests and examples are linked as usual.)

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-linux-gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
