//! The `rulecat` command line: a thin shell over the library.
//!
//! Exit codes: 0 clean, 1 findings at error level (or any finding with `--deny warnings`),
//! 2 usage or I/O failure.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use rulecat::diagnostics::Severity;
use rulecat::load::LoadOptions;
use rulecat::report::{self, ColorChoice, Format};
use rulecat::run::{self, CheckOptions};

const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_FAILURE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "rulecat",
    version,
    about = "Compiler and linter for catalogs of detection rules (Sentinel / Defender XDR hunting queries)",
    long_about = None,
    after_help = "Exit codes: 0 clean, 1 findings at error level (or any finding with --deny warnings), 2 usage or I/O failure.\n\nExamples:\n  rulecat lint catalog/\n  rulecat lint --format sarif -o rulecat.sarif catalog/\n  rulecat explain S0001\n  rulecat schema --check"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule files: YAML, schema, and lints.
    #[command(
        after_help = "Examples:\n  rulecat lint                      # lints catalog/\n  rulecat lint rules/ --exclude 'drafts/**'\n  rulecat lint --deny warnings catalog/\n  rulecat lint --format github catalog/   # annotations in GitHub Actions\n  rulecat lint --format json catalog/ | jq '.diagnostics[].code'"
    )]
    Lint(LintArgs),
    /// Print the generated JSON Schema of a rule file, or check the committed copy.
    #[command(
        after_help = "Examples:\n  rulecat schema > schema/rule.schema.json\n  rulecat schema --check            # fails when schema/rule.schema.json is stale"
    )]
    Schema(SchemaArgs),
    /// Explain a diagnostic code: what it finds, why it matters, how to fix it.
    #[command(
        after_help = "Examples:\n  rulecat explain S0001\n  rulecat explain duplicate-key\n  rulecat explain --list"
    )]
    Explain(ExplainArgs),
}

#[derive(Args)]
struct LintArgs {
    /// Files or folders to check (folders are searched for .yaml/.yml files).
    #[arg(default_value = "catalog")]
    paths: Vec<PathBuf>,
    /// Skip files matching this glob (repeatable), e.g. `--exclude 'drafts/**'`.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Fail (exit 1) on warnings too, not only on errors.
    #[arg(long, value_enum, value_name = "LEVEL")]
    deny: Option<Deny>,
    /// Files larger than this many bytes are reported and not read.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    max_file_size: u64,
    /// Write the report to this file (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Configuration file (default: rulecat.toml in the first path or a parent folder).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Deny {
    /// Warnings fail the run as errors do.
    Warnings,
    /// Warnings and notes fail the run.
    Notes,
}

#[derive(Args)]
struct SchemaArgs {
    /// Compare with the committed schema file instead of printing; exit 1 when it is stale.
    #[arg(long)]
    check: bool,
    /// The committed schema file.
    #[arg(long, default_value = rulecat::schema::RULE_SCHEMA_PATH)]
    path: PathBuf,
    /// Write the schema to --path (atomically) instead of printing it.
    #[arg(long, conflicts_with = "check")]
    write: bool,
}

#[derive(Args)]
struct ExplainArgs {
    /// A code (`S0001`) or name (`unknown-key`).
    #[arg(required_unless_present = "list")]
    code: Option<String>,
    /// List every code with its summary.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Lint(args) => lint(args),
        Command::Schema(args) => schema(args),
        Command::Explain(args) => explain(args),
    };
    ExitCode::from(code)
}

fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    EXIT_FAILURE
}

fn lint(args: LintArgs) -> u8 {
    let opts = CheckOptions {
        paths: args.paths,
        exclude: args.exclude,
        load: LoadOptions {
            max_file_size: args.max_file_size,
            ..LoadOptions::default()
        },
        config: args.config,
    };
    let checked = match run::check(&opts) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let out = report::render(
        args.format,
        &checked.diagnostics,
        &checked.sources,
        &checked.summary,
        if args.output.is_some() {
            ColorChoice::Never
        } else {
            args.color
        },
    );
    if let Some(path) = &args.output {
        if let Err(e) = rulecat::fsutil::write_atomic(path, out.as_bytes()) {
            return fail(format!("cannot write `{}`: {e}", path.display()));
        }
        eprintln!("rulecat: {}", checked.summary.line());
    } else {
        print!("{out}");
    }
    let threshold = match args.deny {
        None => Severity::Error,
        Some(Deny::Warnings) => Severity::Warning,
        Some(Deny::Notes) => Severity::Note,
    };
    match checked.worst() {
        Some(s) if s >= threshold => EXIT_FINDINGS,
        _ => EXIT_CLEAN,
    }
}

fn schema(args: SchemaArgs) -> u8 {
    let text = rulecat::schema::rule_schema_text();
    if args.check {
        return match std::fs::read_to_string(&args.path) {
            Ok(committed) if committed == text => {
                eprintln!("rulecat: `{}` is up to date", args.path.display());
                EXIT_CLEAN
            }
            Ok(_) => {
                eprintln!(
                    "rulecat: `{}` is stale: the rule model changed; run `rulecat schema --write`",
                    args.path.display()
                );
                EXIT_FINDINGS
            }
            Err(e) => fail(format!("cannot read `{}`: {e}", args.path.display())),
        };
    }
    if args.write {
        return match rulecat::fsutil::write_atomic(&args.path, text.as_bytes()) {
            Ok(()) => EXIT_CLEAN,
            Err(e) => fail(format!("cannot write `{}`: {e}", args.path.display())),
        };
    }
    print!("{text}");
    EXIT_CLEAN
}

fn explain(args: ExplainArgs) -> u8 {
    if args.list {
        for c in rulecat::codes::all() {
            println!(
                "{}  {:<22} {:<8} {}",
                c.code,
                c.name,
                c.level.as_str(),
                c.summary
            );
        }
        return EXIT_CLEAN;
    }
    let query = args.code.unwrap_or_default();
    match rulecat::codes::find(&query) {
        Some(c) => {
            println!("{} ({}): {}", c.code, c.name, c.summary);
            println!("Default level: {}", c.level.as_str());
            println!();
            print!("{}", unindent_docs(c.docs));
            EXIT_CLEAN
        }
        None => fail(format!(
            "unknown code `{query}`; `rulecat explain --list` shows every code"
        )),
    }
}

/// Doc comments arrive with a leading space on each line; drop it.
fn unindent_docs(docs: &str) -> String {
    docs.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
