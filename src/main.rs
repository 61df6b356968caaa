//! The `rulecat` command line: a thin shell over the library.
//!
//! Exit codes: 0 clean, 1 findings at error level (or any finding with `--deny warnings`),
//! 2 usage or I/O failure.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use rulecat::diagnostics::Severity;
use rulecat::loading::load::LoadOptions;
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
        after_help = "Examples:\n  rulecat schema scheduled > scheduled.schema.json\n  rulecat schema --check            # fails when a committed schema under schema/ is stale"
    )]
    Schema(SchemaArgs),
    /// Compile the catalog into a deterministic, deduplicated indicator bundle.
    #[command(
        after_help = "Examples:\n  rulecat compile catalog/ -o bundle.json\n  rulecat compile catalog/ --format stix -o indicators.stix.json\n  SOURCE_DATE_EPOCH=1767225600 rulecat compile catalog/ -o bundle.json   # stamp a build time"
    )]
    Compile(CompileArgs),
    /// Run a bundle over telemetry (JSON lines or CSV exports of Defender tables).
    #[command(
        name = "match",
        after_help = "Examples:\n  rulecat match --bundle bundle.json telemetry/\n  rulecat match --bundle bundle.json --now 2026-11-27T00:00:00Z DeviceNetworkEvents.jsonl\n  rulecat match --bundle bundle.json --table DeviceFileCertificateInfo --format jsonl export.csv\n  rulecat match --bundle bundle.json SigninLogs.jsonl VIPUsers.csv   # _GetWatchlist('VIPUsers') reads VIPUsers.csv"
    )]
    Match(MatchArgs),
    /// Which remote-management tools of the knowledge file the catalog detects, by which
    /// means (process, file signature, network), and which it misses.
    #[command(
        after_help = "Examples:\n  rulecat coverage catalog/\n  rulecat coverage --all catalog/     # also list the tools no rule detects\n  rulecat coverage --format json catalog/ | jq '.entries[] | select(.means == {}) | .tool'"
    )]
    Coverage(CoverageArgs),
    /// Explain a diagnostic code: what it finds, why it matters, how to fix it.
    #[command(
        after_help = "Examples:\n  rulecat explain S0001\n  rulecat explain duplicate-key\n  rulecat explain --list"
    )]
    Explain(ExplainArgs),
    /// Run one KQL query over tables given as JSON lines or CSV files.
    #[command(
        after_help = "Examples:\n  rulecat query q.kql --table DeviceEvents=events.jsonl\n  echo 'print x = 1' | rulecat query -\n  rulecat query q.kql --table T=t.csv --now 2026-11-27T00:00:00Z --format json\n  rulecat query q.kql --table SigninLogs=s.jsonl --table VIPUsers=vip.csv   # _GetWatchlist('VIPUsers')"
    )]
    Query(QueryArgs),
    /// Run the per-rule tests kept beside the rules (`x.tests.yaml` beside `x.yaml`).
    #[command(
        after_help = "Exit codes: 0 all tests pass, 1 a test failed, 2 a malformed tests file, a tests file without its rule, or an unreadable input.\n\nExamples:\n  rulecat test                       # tests of catalog/\n  rulecat test catalog/RemoteManagementMonitoring/rmm_ZohoAssist_netconn.yaml\n  rulecat test --format junit catalog/ > rulecat-tests.xml\n  rulecat test --format json catalog/ | jq '.tests[] | select(.status != \"pass\")'\n\nA watchlist a rule reads (`_GetWatchlist('VIPUsers')`) is a table of its tests named after its alias (`VIPUsers:`)."
    )]
    Test(TestArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  rulecat completions bash > ~/.local/share/bash-completion/completions/rulecat\n  rulecat completions zsh > \"${fpath[1]}/_rulecat\"\n  rulecat completions fish > ~/.config/fish/completions/rulecat.fish\n  rulecat completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a folder.
    #[command(
        after_help = "Examples:\n  rulecat manpage | man -l -\n  rulecat manpage --dir /usr/local/share/man/man1   # rulecat.1, rulecat-lint.1, ..."
    )]
    Manpage(ManpageArgs),
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Args)]
struct ManpageArgs {
    /// Write rulecat.1 and a page for each subcommand (rulecat-lint.1, ...) into this
    /// folder instead of printing rulecat.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct QueryArgs {
    /// File holding the query; `-` (the default) reads standard input.
    #[arg(default_value = "-")]
    file: PathBuf,
    /// A table for the query: NAME=PATH (.jsonl/.json lines or .csv with a header). Repeatable.
    #[arg(long, value_name = "NAME=PATH")]
    table: Vec<String>,
    /// The time `now()` and `ago()` use (ISO 8601; default: the current time).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = rulecat::engine::cli::OutputFormat::Table)]
    format: rulecat::engine::cli::OutputFormat,
    /// The local file `externaldata` reads for a URL: URL=PATH (csv, tsv, json, txt ... as
    /// the query's `format` says). Repeatable; wins over rulecat.toml `[external]`.
    #[arg(long, value_name = "URL=PATH")]
    external: Vec<String>,
    /// The configuration (default: rulecat.toml in the query file's folder or a parent,
    /// else the current folder's): its `[workspace]` functions and `[external]` files.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct TestArgs {
    /// Rule files, tests files or folders (searched for both).
    #[arg(default_value = "catalog")]
    paths: Vec<PathBuf>,
    /// Skip files matching this glob (repeatable), relative to the folder being searched.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = rulecat::ruletest::Format::Human)]
    format: rulecat::ruletest::Format,
    /// Fail (exit 1) when a rule with a query has no tests.
    #[arg(long)]
    require_tests: bool,
}

#[derive(Args)]
struct LintArgs {
    /// Files or folders to check (folders are searched for .yaml/.yml files); `-` reads
    /// one rule from standard input.
    #[arg(default_value = "catalog")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
    /// With `-`: the path the rule on standard input stands for, used in messages, to find
    /// rulecat.toml and for excludes (with --force-exclude).
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
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
    /// Apply the certain fixes in place, then report what is left.
    #[arg(long, conflicts_with = "diff")]
    fix: bool,
    /// Show the certain fixes as a unified diff without writing (exit 1 when there are any).
    #[arg(long)]
    diff: bool,
    /// A bundle from the previous release: a rule whose file is the same but whose id
    /// changed is an error (id-changed).
    #[arg(long, value_name = "BUNDLE")]
    baseline: Option<PathBuf>,
}

#[derive(Args)]
struct CompileArgs {
    /// Files or folders of rules.
    #[arg(default_value = "catalog")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
    /// Where to write the bundle (atomically); `-` or none prints it.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// `bundle` (rulecat's own format, input of `match`) or `stix` (STIX 2.1 indicators).
    #[arg(long, value_enum, default_value_t = BundleFormat::Bundle)]
    format: BundleFormat,
    /// Configuration file (default: rulecat.toml in the first path or a parent folder).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Keep rules that use a construct the KQL engine cannot run (K0011) in the bundle,
    /// marked `unsupported` with the constructs; `match` reports them as not run.
    #[arg(long)]
    allow_partial: bool,
}

/// Which files a run reads (shared by `lint` and `compile`).
#[derive(Args)]
struct SelectArgs {
    /// Skip files matching this glob (repeatable), relative to the folder being searched,
    /// e.g. `--exclude 'drafts/**'`; `rulecat.toml`'s `[paths] exclude` globs are relative
    /// to its folder.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Apply the excludes to files named on the command line too (as pre-commit passes
    /// them); without it a file named explicitly is always checked.
    #[arg(long, overrides_with = "no_force_exclude")]
    force_exclude: bool,
    /// Undo --force-exclude (and `[paths] force-exclude` is still read from rulecat.toml).
    #[arg(long, overrides_with = "force_exclude", hide = true)]
    no_force_exclude: bool,
    /// Succeed when no rule file is found (by default that is a usage error, exit 2).
    #[arg(long)]
    allow_empty: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum BundleFormat {
    Bundle,
    Stix,
}

#[derive(Args)]
struct MatchArgs {
    /// The bundle made by `rulecat compile`.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// Telemetry files or folders (.jsonl/.json/.ndjson or .csv); `-` reads standard input
    /// (JSON lines, or CSV when it does not start with `{`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The time `now()` and `ago()` refer to (ISO 8601, UTC); default: the current time.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Read every input as this table (default: a `Type` column, else the file name).
    #[arg(long, value_name = "TABLE")]
    table: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = rulecat::matcher::OutputFormat::Table)]
    format: rulecat::matcher::OutputFormat,
    /// How many telemetry problems to print (all are counted).
    #[arg(long, default_value_t = 20)]
    max_problems: usize,
    /// The local file `externaldata` reads for a URL: URL=PATH. Repeatable; wins over
    /// the `[external]` of rulecat.toml (found from the current folder, or --config).
    #[arg(long, value_name = "URL=PATH")]
    external: Vec<String>,
    /// The configuration whose `[external]` files the engine reads (default: rulecat.toml
    /// in the current folder or a parent).
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
    /// Which schema to print: a kind of file (hunting-query, scheduled, nrt, fusion,
    /// ml-behavior-analytics, microsoft-security-incident-creation, function, summary-rule,
    /// custom-detection, arm-template) or `bundle`.
    #[arg(default_value = "hunting-query", value_name = "KIND")]
    kind: String,
    /// Compare every committed schema with the generated one; exit 1 when one is stale.
    #[arg(long)]
    check: bool,
    /// Regenerate every committed schema (atomically).
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// The folder holding the committed schemas.
    #[arg(long, value_name = "DIR", default_value = "schema")]
    dir: PathBuf,
}

#[derive(Args)]
struct CoverageArgs {
    /// Files or folders of rules.
    #[arg(default_value = "catalog")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
    /// `table` or `json`.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
    format: CoverageFormat,
    /// In the table, also list the tools no rule detects.
    #[arg(long)]
    all: bool,
    /// Configuration file (default: rulecat.toml in the first path or a parent folder).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum CoverageFormat {
    Table,
    Json,
}

#[derive(Args)]
struct ExplainArgs {
    /// A code (`S0001`) or name (`unknown-key`).
    #[arg(required_unless_present_any = ["list", "markdown"])]
    code: Option<String>,
    /// List every code with its summary.
    #[arg(long)]
    list: bool,
    /// Print the documentation of every code as Markdown (docs/lints.md is this output).
    #[arg(long, conflicts_with = "list")]
    markdown: bool,
}

fn main() -> ExitCode {
    tune_malloc();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Lint(args) => lint(args),
        Command::Schema(args) => schema(args),
        Command::Compile(args) => compile(args),
        Command::Match(args) => match_(args),
        Command::Coverage(args) => coverage(args),
        Command::Explain(args) => explain(args),
        Command::Query(args) => query(args),
        Command::Test(args) => test(args),
        Command::Completions(args) => completions(args),
        Command::Manpage(args) => manpage(args),
    };
    ExitCode::from(code)
}

/// glibc's allocator, set for a short-lived process that builds up ~100 MB and frees little
/// of it before exiting. By default every arena grows in small steps and hands memory back to
/// the kernel as soon as its top is free, and allocations over 128 KiB (up to 32 MiB once it
/// adapts) are mmap'd and unmapped one by one; each page handed back is faulted in again on
/// reuse, and page faults are slow on the VMs rulecat runs on. Growing in 64 MiB steps and
/// never trimming (memory is returned at exit) cut a 10,000-rule lint's system time by about a
/// third (BENCHMARKS.md). `GLIBC_TUNABLES` given by the user still wins: it is read before
/// `main`, and then nothing is set here.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    if std::env::var_os("GLIBC_TUNABLES").is_some_and(|v| v.to_string_lossy().contains("malloc")) {
        return;
    }
    // SAFETY: mallopt only changes the allocator's parameters (under its own lock); the
    // values are in the ranges glibc documents, and a refused one leaves the default.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        // The largest threshold glibc accepts (half its 64 MiB per-thread heap).
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}

fn query(args: QueryArgs) -> u8 {
    let text = if args.file.as_os_str() == "-" {
        let mut s = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
            Ok(_) => s,
            Err(e) => return fail(format!("reading the query from stdin: {e}")),
        }
    } else {
        match std::fs::read_to_string(&args.file) {
            Ok(s) => s,
            Err(e) => return fail(format!("{}: {e}", args.file.display())),
        }
    };
    let start = if args.file.as_os_str() == "-" {
        PathBuf::from(".")
    } else {
        args.file.clone()
    };
    let config = match &args.config {
        Some(p) => rulecat::config::Config::load(p),
        None => rulecat::config::Config::discover(&start),
    };
    let config = match config {
        Ok(c) => c.engine_inputs(),
        Err(e) => return fail(e.0),
    };
    for p in &config.problems {
        eprintln!("warning: rulecat.toml [workspace]: {p}");
    }
    let opts = rulecat::engine::cli::QueryOptions {
        text,
        tables: args.table,
        now: args.now,
        format: args.format,
        external: args.external,
        config,
    };
    match rulecat::engine::cli::run(&opts, &mut std::io::stdout().lock()) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => fail(e),
    }
}

fn test(args: TestArgs) -> u8 {
    let opts = rulecat::ruletest::Options {
        paths: args.paths,
        exclude: args.exclude,
        progress: true,
    };
    let report = match rulecat::ruletest::run(&opts) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print!("{}", rulecat::ruletest::render(&report, args.format));
    for p in &report.problems {
        eprintln!("error: {p}");
    }
    if !report.problems.is_empty() {
        return EXIT_FAILURE;
    }
    if report.summary.rules == 0 {
        return fail("no rule files (.yaml/.yml/.kql) found");
    }
    if report.failed() || (args.require_tests && !report.untested.is_empty()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    EXIT_FAILURE
}

/// A run that found no rule file: exit 2 unless `--allow-empty`, with what was searched.
/// (Everything excluded is not an error: the excludes said so.)
fn empty_input(checked: &run::Checked, paths: &[PathBuf], allow_empty: bool) -> Option<u8> {
    let s = &checked.summary;
    if s.files > 0 || s.skipped > 0 {
        return None;
    }
    let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
    if s.excluded > 0 {
        eprintln!(
            "rulecat: warning: all {} rule files in {} are excluded; nothing checked",
            s.excluded,
            shown.join(", ")
        );
        return None;
    }
    if allow_empty {
        eprintln!(
            "rulecat: no rule files (.yaml/.yml) found in {}",
            shown.join(", ")
        );
        return None;
    }
    Some(fail(format!(
        "no rule files (.yaml/.yml) found in {}; pass --allow-empty if that is expected",
        shown.join(", ")
    )))
}

fn check_options(
    paths: Vec<PathBuf>,
    select: &SelectArgs,
    config: Option<PathBuf>,
) -> CheckOptions {
    let mut opts = CheckOptions::new(paths);
    opts.exclude = select.exclude.clone();
    opts.force_exclude = select.force_exclude && !select.no_force_exclude;
    opts.config = config;
    opts.progress = true;
    opts
}

fn lint(args: LintArgs) -> u8 {
    let mut opts = check_options(args.paths.clone(), &args.select, args.config);
    opts.load = LoadOptions {
        max_file_size: args.max_file_size,
        ..LoadOptions::default()
    };
    opts.baseline = args.baseline;
    opts.stdin_filename = args.stdin_filename;
    // The report needs the diagnostics, not the queries' syntax trees.
    opts.keep_trees = false;
    if args.fix && opts.reads_stdin() {
        return fail("--fix cannot write to standard input; use --diff to see the fixes");
    }
    let mut checked = match run::check(&opts) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(code) = empty_input(&checked, &args.paths, args.select.allow_empty) {
        return code;
    }
    if args.diff {
        let plan = rulecat::fix::plan(&checked.diagnostics, &checked.sources);
        print!("{}", rulecat::fix::diff(&plan));
        let n: usize = plan.iter().map(|f| f.fixes).sum();
        eprintln!(
            "rulecat: {n} fixes available in {} files (run with --fix to apply)",
            plan.len()
        );
        return if n > 0 { EXIT_FINDINGS } else { EXIT_CLEAN };
    }
    if args.fix {
        // Fixes can uncover or enable others (two on one line): a few rounds at most.
        let mut total = 0;
        for _ in 0..4 {
            let plan = rulecat::fix::plan(&checked.diagnostics, &checked.sources);
            if plan.is_empty() {
                break;
            }
            match rulecat::fix::apply(&plan) {
                Ok(n) => total += n,
                Err(e) => return fail(format!("cannot write a fixed file: {e}")),
            }
            checked = match run::check(&opts) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
        }
        eprintln!("rulecat: applied {total} fixes");
    }
    let threshold = match args.deny {
        None => Severity::Error,
        Some(Deny::Warnings) => Severity::Warning,
        Some(Deny::Notes) => Severity::Note,
    };
    if args.deny.is_some() {
        checked.summary.deny(matches!(args.deny, Some(Deny::Notes)));
    }
    if let Some(path) = &args.output {
        let out = report::render(
            args.format,
            &checked.diagnostics,
            &checked.sources,
            &checked.summary,
            ColorChoice::Never,
        );
        if let Err(e) = rulecat::fsutil::write_atomic(path, out.as_bytes()) {
            return fail(format!("cannot write `{}`: {e}", path.display()));
        }
        eprintln!("rulecat: {}", checked.summary.line());
    } else {
        // Written as rendered: a large JSON report is never held whole in memory.
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = report::write(
            args.format,
            &checked.diagnostics,
            &checked.sources,
            &checked.summary,
            args.color,
            &mut stdout,
        )
        .and_then(|()| std::io::Write::flush(&mut stdout))
        {
            return fail(format!("cannot write the report: {e}"));
        }
    }
    let code = match checked.worst() {
        Some(s) if s >= threshold => EXIT_FINDINGS,
        _ => EXIT_CLEAN,
    };
    // The process ends right after: freeing every rule, tree and diagnostic one by one
    // would only cost time (the OS reclaims the memory at exit).
    std::mem::forget(checked);
    code
}

fn write_or_print(output: Option<&PathBuf>, text: &str) -> Result<(), u8> {
    match output {
        Some(p) if p.as_os_str() != "-" => rulecat::fsutil::write_atomic(p, text.as_bytes())
            .map_err(|e| fail(format!("cannot write `{}`: {e}", p.display()))),
        _ => {
            print!("{text}");
            Ok(())
        }
    }
}

fn compile(args: CompileArgs) -> u8 {
    if let Err(e) = rulecat::compile::source_date_epoch() {
        return fail(e);
    }
    let opts = check_options(args.paths.clone(), &args.select, args.config);
    if opts.reads_stdin() {
        return fail("compile reads rule files and folders, not standard input");
    }
    let checked = match run::check(&opts) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(code) = empty_input(&checked, &args.paths, args.select.allow_empty) {
        return code;
    }
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .filter(|d| !(args.allow_partial && d.code.name == "engine-unsupported"))
        .cloned()
        .collect();
    if !errors.is_empty() {
        let mut summary = checked.summary.clone();
        summary.errors = errors.len();
        summary.warnings = 0;
        summary.notes = 0;
        eprint!(
            "{}",
            report::render(
                Format::Human,
                &errors,
                &checked.sources,
                &summary,
                args.color
            )
        );
        eprintln!("rulecat: not compiled: the catalog has error-level findings (see above)");
        return EXIT_FINDINGS;
    }
    let bundle = match rulecat::compile::compile(&checked, &args.paths, args.allow_partial) {
        Ok(b) => b,
        Err(diags) => {
            let mut summary = checked.summary.clone();
            summary.errors = diags.len();
            eprint!(
                "{}",
                report::render(
                    Format::Human,
                    &diags,
                    &checked.sources,
                    &summary,
                    args.color
                )
            );
            eprintln!("rulecat: not compiled: some rules cannot be compiled (see above)");
            return EXIT_FINDINGS;
        }
    };
    let text = match args.format {
        BundleFormat::Bundle => rulecat::compile::to_json(&bundle),
        BundleFormat::Stix => {
            let rendered = rulecat::compile::stix::StixDates::for_catalog(&checked)
                .and_then(|dates| rulecat::compile::stix::render(&bundle, &dates));
            let (text, skipped) = match rendered {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            if skipped > 0 {
                eprintln!(
                    "rulecat: {skipped} indicators have no STIX object type and are not in the STIX bundle"
                );
            }
            text
        }
    };
    if let Err(code) = write_or_print(args.output.as_ref(), &text) {
        return code;
    }
    for r in bundle.rules.iter().filter(|r| !r.unsupported.is_empty()) {
        eprintln!(
            "warning: rule `{}` is in the bundle marked not executable (--allow-partial): the engine cannot run {}",
            r.id,
            r.unsupported.join(", ")
        );
    }
    // Rules whose `externaldata` has no local file in rulecat.toml: `match` runs them only
    // when it is given one.
    let bound = checked.config.external_files();
    for r in &bundle.rules {
        let unbound = rulecat::compile::bundle::unbound_external(&r.external, &bound);
        if !unbound.is_empty() {
            eprintln!(
                "warning: rule `{}` reads `externaldata` from {} with no local file bound in rulecat.toml [external]: `rulecat match` reports it not run unless given `--external URL=PATH`",
                r.id,
                unbound
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let s = &bundle.stats;
    eprintln!(
        "rulecat: compiled {} rule files into {} rules ({} identical collapsed) and {} indicators ({} uses deduplicated)",
        s.rule_files,
        s.rules,
        s.duplicate_rules,
        s.indicators,
        s.indicator_uses - s.indicators
    );
    EXIT_CLEAN
}

fn match_(args: MatchArgs) -> u8 {
    let bundle = match rulecat::compile::read_bundle(&args.bundle) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let now = match &args.now {
        Some(t) => match rulecat::kql::time::parse(t) {
            Some(n) => n,
            None => {
                return fail(format!(
                    "--now `{t}` is not an ISO 8601 time such as 2026-11-27T00:00:00Z"
                ));
            }
        },
        None => rulecat::kql::time::now(),
    };
    if let Some(t) = &args.table {
        let catalog = rulecat::knowledge::tables::builtin();
        let mut known: Vec<&str> = catalog.tables().map(|t| t.name.as_str()).collect();
        known.extend(
            bundle
                .rules
                .iter()
                .flat_map(|r| r.tables.iter().map(String::as_str)),
        );
        if !known.contains(&t.as_str()) {
            // Table names share long prefixes (`DeviceFile…`): Jaro-Winkler weighs the
            // prefix, so `DeviceFileCertInfo` finds `DeviceFileCertificateInfo`.
            let hint = known
                .iter()
                .map(|k| {
                    (
                        strsim::jaro_winkler(&t.to_lowercase(), &k.to_lowercase()),
                        *k,
                    )
                })
                .filter(|(score, _)| *score >= 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
                .map(|(_, s)| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            let read: std::collections::BTreeSet<&str> = bundle
                .rules
                .iter()
                .flat_map(|r| r.tables.iter().map(String::as_str))
                .collect();
            return fail(format!(
                "--table `{t}` is not a known table{hint} (the bundle's rules read: {})",
                read.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let config = match &args.config {
        Some(p) => rulecat::config::Config::load(p),
        None => rulecat::config::Config::discover(std::path::Path::new(".")),
    };
    let mut external = match config {
        Ok(c) => c.external_files(),
        Err(e) => return fail(e.0),
    };
    for spec in &args.external {
        match rulecat::engine::cli::external_binding(spec) {
            Ok((url, path)) => {
                external.insert(url, path);
            }
            Err(e) => return fail(e),
        }
    }
    let opts = rulecat::matcher::MatchOptions {
        now,
        table: args.table,
        progress: true,
        external,
    };
    let outcome = match rulecat::matcher::run(&bundle, &args.files, &opts) {
        Ok(o) => o,
        Err(e) => return fail(e.0),
    };
    print!("{}", rulecat::matcher::render(&outcome, args.format));
    for r in &outcome.results {
        if let Some(note) = r
            .note
            .as_deref()
            .filter(|n| n.starts_with(rulecat::matcher::NOT_BOUND))
        {
            eprintln!("warning: rule `{}` {note}", r.id);
        }
    }
    for p in outcome.problems.iter().take(args.max_problems) {
        eprintln!("warning: {p}");
    }
    if outcome.problems.len() > args.max_problems {
        eprintln!(
            "warning: … and {} more telemetry problems (--max-problems to see them)",
            outcome.problems.len() - args.max_problems
        );
    }
    // Rules that saw rows but whose time window excluded every one of them: the telemetry
    // is older (or newer) than the window around "now".
    let stale: Vec<&rulecat::matcher::RuleResult> = outcome
        .results
        .iter()
        .filter(|r| {
            r.rows.is_empty() && r.rows_scanned > 0 && r.rows_outside_window == r.rows_scanned
        })
        .collect();
    if !stale.is_empty() {
        // Rules of one table see the same rows: count each table once.
        let mut per_table: std::collections::BTreeMap<&str, u64> = Default::default();
        for r in &stale {
            per_table.insert(r.table.as_str(), r.rows_scanned);
        }
        let rows: u64 = per_table.values().sum();
        let one = stale.len() == 1;
        eprintln!(
            "note: {} rule{} returned nothing: all {rows} row{} of {} fell outside {} time window{} (now = {}); for older telemetry pass --now with a time shortly after its last event",
            stale.len(),
            if one { "" } else { "s" },
            if rows == 1 { "" } else { "s" },
            per_table.keys().copied().collect::<Vec<_>>().join(", "),
            if one { "its" } else { "their" },
            if one { "" } else { "s" },
            rulecat::kql::time::format(now),
        );
    }
    let s = &outcome.stats;
    let hits: usize = outcome
        .results
        .iter()
        .filter(|r| !r.rows.is_empty())
        .count();
    eprintln!(
        "rulecat: {} rows in {} file{} ({} bytes): {} skipped as malformed, {} of tables no rule reads, {} of unknown table; {} of {} rules returned results",
        s.rows_read,
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.bytes_read,
        s.rows_malformed,
        s.rows_other_tables,
        s.rows_unknown_table,
        hits,
        outcome.results.len()
    );
    EXIT_CLEAN
}

fn schema(args: SchemaArgs) -> u8 {
    let mut generated: Vec<(&str, String)> = rulecat::loading::schema::kind_schemas()
        .iter()
        .map(|s| (s.file, s.text()))
        .collect();
    generated.push(("bundle.schema.json", rulecat::compile::bundle_schema_text()));
    if args.check {
        let mut stale = false;
        for (name, text) in &generated {
            let path = args.dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(committed) if committed == *text => {
                    eprintln!("rulecat: `{}` is up to date", path.display());
                }
                Ok(_) => {
                    eprintln!(
                        "rulecat: `{}` is stale: the model changed; run `rulecat schema --write`",
                        path.display()
                    );
                    stale = true;
                }
                Err(e) => return fail(format!("cannot read `{}`: {e}", path.display())),
            }
        }
        return if stale { EXIT_FINDINGS } else { EXIT_CLEAN };
    }
    if args.write {
        for (name, text) in &generated {
            let path = args.dir.join(name);
            if let Err(e) = rulecat::fsutil::write_atomic(&path, text.as_bytes()) {
                return fail(format!("cannot write `{}`: {e}", path.display()));
            }
        }
        return EXIT_CLEAN;
    }
    let text = if args.kind == "bundle" {
        rulecat::compile::bundle_schema_text()
    } else {
        match rulecat::loading::model::RuleKind::from_name(&args.kind)
            .and_then(rulecat::loading::schema::schema_for)
        {
            Some(s) => s.text(),
            None => {
                let mut names: Vec<&str> = rulecat::loading::model::RuleKind::ALL
                    .iter()
                    .filter(|k| rulecat::loading::schema::schema_for(**k).is_some())
                    .map(|k| k.name())
                    .collect();
                names.push("bundle");
                return fail(format!(
                    "no schema named `{}`; schemas: {}",
                    args.kind,
                    names.join(", ")
                ));
            }
        }
    };
    print!("{text}");
    EXIT_CLEAN
}

fn coverage(args: CoverageArgs) -> u8 {
    let opts = check_options(args.paths.clone(), &args.select, args.config);
    if opts.reads_stdin() {
        return fail("coverage reads rule files and folders, not standard input");
    }
    let checked = match run::check(&opts) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(code) = empty_input(&checked, &args.paths, args.select.allow_empty) {
        return code;
    }
    let c = rulecat::coverage::coverage(&checked);
    match args.format {
        CoverageFormat::Table => print!("{}", rulecat::coverage::render_table(&c, args.all)),
        CoverageFormat::Json => match serde_json::to_string_pretty(&c) {
            Ok(j) => println!("{j}"),
            Err(e) => return fail(e),
        },
    }
    0
}

fn explain(args: ExplainArgs) -> u8 {
    if args.markdown {
        print!("{}", rulecat::codes::markdown());
        return EXIT_CLEAN;
    }
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

fn completions(args: CompletionsArgs) -> u8 {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "rulecat", &mut std::io::stdout());
    EXIT_CLEAN
}

fn manpage(args: ManpageArgs) -> u8 {
    let cmd = Cli::command();
    match args.dir {
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                return fail(format!("cannot create `{}`: {e}", dir.display()));
            }
            match clap_mangen::generate_to(cmd, &dir) {
                Ok(()) => EXIT_CLEAN,
                Err(e) => fail(format!(
                    "cannot write man pages into `{}`: {e}",
                    dir.display()
                )),
            }
        }
        None => {
            let mut out = Vec::new();
            if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
                return fail(format!("cannot render the man page: {e}"));
            }
            use std::io::Write;
            match std::io::stdout().write_all(&out) {
                Ok(()) => EXIT_CLEAN,
                Err(e) => fail(format!("cannot write the man page: {e}")),
            }
        }
    }
}
