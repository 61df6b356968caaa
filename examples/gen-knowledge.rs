//! `gen-knowledge`: derives `knowledge/rmm.toml` from LOLRMM's tool list and the hand
//! corrections in `knowledge/corrections.toml` (see `rulecat::knowledge::derive`).
//!
//! ```text
//! cargo run --example gen-knowledge -- --lolrmm ../shared/reference/lolrmm/tools.jsonl
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "gen-knowledge",
    about = "Derive knowledge/rmm.toml from LOLRMM"
)]
struct Args {
    /// LOLRMM's tool list, one JSON object per line.
    #[arg(long, default_value = "../shared/reference/lolrmm/tools.jsonl")]
    lolrmm: PathBuf,
    /// The hand corrections.
    #[arg(long, default_value = "knowledge/corrections.toml")]
    corrections: PathBuf,
    /// Output file.
    #[arg(long, default_value = "knowledge/rmm.toml")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let read =
        |p: &PathBuf| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let result = read(&args.lolrmm)
        .and_then(|tools| Ok((tools, read(&args.corrections)?)))
        .and_then(|(tools, corr)| rulecat::knowledge::derive::derive(&tools, &corr))
        .and_then(|text| {
            rulecat::fsutil::write_atomic(&args.out, text.as_bytes())
                .map_err(|e| format!("{}: {e}", args.out.display()))
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-knowledge: {e}");
            ExitCode::FAILURE
        }
    }
}
