//! `gen-tables`: regenerates the built-in table catalog `schema/catalog/tables.txt` from
//! Microsoft's Azure Monitor Logs table reference (the shared reference folder's
//! `log-analytics-tables/columns.tsv`), `schema/tables/*.toml` and
//! `schema/catalog/defender-xdr-additions.txt`. See `src/knowledge/tables/generate.rs`.
//!
//! ```text
//! cargo run --example gen-tables [-- --reference ../shared/reference/log-analytics-tables] [--out schema/catalog/tables.txt] [--check]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Folder holding the reference's `columns.tsv`.
    #[arg(long, default_value = "../shared/reference/log-analytics-tables")]
    reference: PathBuf,
    /// Where to write the catalog.
    #[arg(long, default_value = "schema/catalog/tables.txt")]
    out: PathBuf,
    /// Do not write: exit 1 when the file on disk differs from what would be generated.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let tsv_path = args.reference.join("columns.tsv");
    let tsv = match std::fs::read_to_string(&tsv_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gen-tables: cannot read {}: {e}", tsv_path.display());
            return ExitCode::from(2);
        }
    };
    let text = match rulecat::knowledge::tables::generate::generate(&tsv) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gen-tables: {e}");
            return ExitCode::from(2);
        }
    };
    if args.check {
        let current = std::fs::read_to_string(&args.out).unwrap_or_default();
        if current != text {
            eprintln!(
                "gen-tables: {} is stale; run `cargo run --example gen-tables`",
                args.out.display()
            );
            return ExitCode::from(1);
        }
        eprintln!("gen-tables: {} is current", args.out.display());
        return ExitCode::SUCCESS;
    }
    if let Err(e) = rulecat::fsutil::write_atomic(&args.out, text.as_bytes()) {
        eprintln!("gen-tables: cannot write {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let n = text.lines().filter(|l| !l.starts_with('#')).count();
    eprintln!("gen-tables: wrote {} ({n} tables)", args.out.display());
    ExitCode::SUCCESS
}
