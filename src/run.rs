//! The pipeline as one call: discover → load and validate (in parallel) → lint → sorted
//! diagnostics with a summary. The CLI and the tests both drive this.

use std::path::PathBuf;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::Summary;
use crate::loading::discover::{self, UNREADABLE};
use crate::loading::load::{self, LoadOptions, LoadedRule};
use crate::report;
use crate::source::{SourceFile, SourceMap};

pub use crate::checked::Checked;

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    pub load: LoadOptions,
    /// An explicit configuration file; by default `rulecat.toml` is searched for upward
    /// from the first path.
    pub config: Option<PathBuf>,
    /// A bundle from the previous release, for the id-changed lint.
    pub baseline: Option<PathBuf>,
    /// Apply the exclusion globs to files named explicitly too (`--force-exclude`).
    pub force_exclude: bool,
    /// Show a progress bar on stderr while loading and checking files (only when stderr is a
    /// terminal and there are enough files for it to matter).
    pub progress: bool,
    /// With the path `-` (one rule read from standard input): the path it stands for, used
    /// in messages, for finding `rulecat.toml` and for excludes (`--stdin-filename`).
    pub stdin_filename: Option<PathBuf>,
    /// Keep every rule's parsed and analyzed query in [`Checked::analyzed`] (compile and
    /// coverage read them). Without it, `analyzed` is empty, each file is loaded and linted
    /// in one step, and each rule keeps only what the catalog-wide checks read
    /// ([`LoadedRule::trim`]: its YAML tree cut to `id` and `name`, no query text or map): a
    /// lint of many rules holds far less memory.
    pub keep_trees: bool,
}

impl CheckOptions {
    /// Options that check `paths` with every default.
    pub fn new(paths: Vec<PathBuf>) -> CheckOptions {
        CheckOptions {
            paths,
            exclude: Vec::new(),
            load: LoadOptions::default(),
            config: None,
            baseline: None,
            force_exclude: false,
            progress: false,
            stdin_filename: None,
            keep_trees: true,
        }
    }

    /// Whether the input is one rule on standard input (the path `-`).
    pub fn reads_stdin(&self) -> bool {
        self.paths.iter().any(|p| p.as_os_str() == "-")
    }
}

/// A failure that stops the run before any file is checked (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Files below this count load in well under a second: no progress bar.
const PROGRESS_MIN_FILES: usize = 200;

/// A progress bar over `len` files on stderr, when asked for and stderr is a terminal.
fn progress_bar(wanted: bool, len: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !wanted || len < PROGRESS_MIN_FILES || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "loading rules [{bar:30}] {pos}/{len} files {per_sec} eta {eta}",
        )
        .ok()?
        .progress_chars("=> "),
    );
    Some(pb)
}

pub fn check(opts: &CheckOptions) -> Result<Checked, UsageError> {
    // The embedded facts that the lints consult (parsed once, on first use) are parsed on
    // another core while the files are found, loaded and validated.
    std::thread::spawn(|| {
        crate::knowledge::builtin();
        crate::knowledge::attack::builtin();
    });
    let stdin = opts.reads_stdin();
    if stdin && opts.paths.len() > 1 {
        return Err(UsageError(
            "`-` (a rule on standard input) cannot be combined with other paths".into(),
        ));
    }
    if opts.stdin_filename.is_some() && !stdin {
        return Err(UsageError(
            "--stdin-filename names the rule read from standard input: give the path `-` too"
                .into(),
        ));
    }
    // Where to look for rulecat.toml: the first path, or the file stdin stands for.
    let config_start = if stdin {
        Some(
            opts.stdin_filename
                .clone()
                .unwrap_or_else(|| PathBuf::from(".")),
        )
    } else {
        opts.paths.first().cloned()
    };
    let config = match (&opts.config, &config_start) {
        (Some(path), _) => Config::load(path),
        (None, Some(first)) => Config::discover(first),
        (None, None) => Ok(Config::default()),
    }
    .map_err(|e| UsageError(e.0))?;
    let config_dir = config
        .source
        .as_deref()
        .and_then(std::path::Path::parent)
        .map(|d| {
            if d.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                d
            }
        });
    let excludes = discover::Excludes::new(
        &opts.exclude,
        config_dir.map(|d| (config.paths.exclude.as_slice(), d)),
        opts.force_exclude || config.paths.force_exclude,
    )
    .map_err(|e| UsageError(e.0))?;

    let mut load_opts = opts.load.clone();
    load_opts.kinds = config.kind_overrides().map_err(UsageError)?;
    // The workspace and every rule's per-rule outcome, when loading linted each file too.
    let mut linted = None;
    let (found, loaded) = if stdin {
        let name = opts
            .stdin_filename
            .as_deref()
            .map(discover::display_path)
            .unwrap_or_else(|| "<stdin>".into());
        let excluded = match &opts.stdin_filename {
            Some(p) => excludes.force && excludes.is_excluded(p, None),
            None => false,
        };
        let mut found = discover::Discovered::default();
        if excluded {
            found.excluded = 1;
            (found, Vec::new())
        } else {
            found.files.push(PathBuf::from(&name));
            (found, vec![(load::load_stdin(name, 0, &load_opts), None)])
        }
    } else {
        let found = discover::discover(&opts.paths, &excludes).map_err(|e| UsageError(e.0))?;
        let pb = progress_bar(opts.progress, found.files.len());
        // Each file's line table is built on the thread that loaded it, not afterwards on
        // the main thread.
        let load_all = || -> Vec<(load::Loaded, Option<SourceFile>)> {
            found
                .files
                .par_iter()
                .enumerate()
                .map(|(i, path)| {
                    let mut l = load::load_file(path, i, &load_opts);
                    let source = SourceFile::new(std::mem::take(&mut l.name), l.text.clone());
                    if let Some(pb) = &pb {
                        pb.inc(1);
                    }
                    (l, Some(source))
                })
                .collect()
        };
        // Without trees to keep (a lint), each file is loaded and linted in one step.
        let fused = || load_and_lint(&found.files, &load_opts, &config, pb.as_ref());
        // Generous stacks: parsing hostile YAML must end in a diagnostic, never an overflow.
        let pool = rayon::ThreadPoolBuilder::new()
            .stack_size(64 * 1024 * 1024)
            .build();
        let fused = match (&pool, opts.keep_trees) {
            (_, true) => None,
            (Ok(pool), false) => pool.install(fused),
            (Err(_), false) => fused(),
        };
        let loaded = match fused {
            Some((loaded, workspace, outcomes)) => {
                linted = Some((workspace, outcomes));
                loaded
            }
            None => {
                if let Some(pb) = &pb {
                    pb.set_position(0);
                }
                match &pool {
                    Ok(pool) => pool.install(load_all),
                    Err(_) => load_all(),
                }
            }
        };
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        (found, loaded)
    };

    let mut sources = SourceMap::new();
    let mut rules = Vec::new();
    let mut diagnostics = Vec::new();
    let mut summary = Summary {
        files: found.files.len(),
        excluded: found.excluded,
        ..Summary::default()
    };
    for (l, source) in loaded {
        let id = match source {
            Some(source) => sources.push(source),
            None => sources.add(l.name, l.text),
        };
        debug_assert_eq!(id, l.file);
        diagnostics.extend(l.diagnostics);
        match l.rule {
            Some(r) => {
                *summary.kinds.entry(r.kind.name()).or_default() += 1;
                summary
                    .file_kinds
                    .push((sources.get(id).name.clone(), r.kind.name()));
                rules.push(r);
                rules.extend(l.more);
            }
            None => summary.skipped += 1,
        }
    }
    for (i, path) in found.files.iter().enumerate() {
        if found.hidden.binary_search(path).is_ok() {
            diagnostics.push(
                Diagnostic::new(
                    &discover::HIDDEN_RULE_FILE,
                    format!(
                        "`{}` holds a rule, but its name does not end in `.yaml`: other tools skip it",
                        discover::display_path(path)
                    ),
                )
                .at(i, 0..0, "a rule file without the extension")
                .help("rename it to end in `.yaml`; rulecat checked it anyway"),
            );
        }
    }
    for (path, reason) in found.problems {
        let id = sources.add(discover::display_path(&path), "".into());
        diagnostics.push(Diagnostic::new(&UNREADABLE, reason).at(id, 0..0, "skipped"));
        summary.skipped += 1;
    }
    summary.rules = rules.len();

    let baseline = match &opts.baseline {
        Some(p) => Some(crate::compile::read_bundle(p).map_err(UsageError)?),
        None => None,
    };
    let (workspace, linted) = match linted {
        Some((workspace, outcomes)) => (workspace, Some(outcomes)),
        None => {
            let mut workspace =
                crate::loading::workspace::Workspace::load(&config.workspace, &config.base_dir());
            add_catalog_functions(&mut workspace, &rules);
            (workspace, None)
        }
    };
    let cwd = std::env::current_dir().ok();
    for p in &workspace.problems {
        let text = std::fs::read_to_string(&p.path).unwrap_or_default();
        let at = p.offset.unwrap_or(0).min(text.len());
        // Shown relative to the current folder when it is below it, like the rules.
        let shown = cwd
            .as_deref()
            .and_then(|c| p.path.strip_prefix(c).ok())
            .unwrap_or(&p.path);
        let id = sources.add(discover::display_path(shown), text.into());
        diagnostics.push(
            Diagnostic::new(
                &crate::loading::workspace::WORKSPACE_FILE,
                p.message.clone(),
            )
            .at(id, at..at, "declared in rulecat.toml [workspace]"),
        );
    }
    let env = crate::lint::LintEnv {
        config: &config,
        baseline: baseline.as_ref(),
        roots: &opts.paths,
    };
    // Each rule's query is parsed, analyzed and linted in one go, on the same thread; only
    // what the catalog-wide checks need stays (and the analyses when asked to keep them).
    let keep = opts.keep_trees;
    let outcomes: Vec<crate::lint::RuleOutcome> = match linted {
        Some(outcomes) => outcomes,
        None => {
            let shared = crate::lint::Shared::new(&config);
            rules
                .par_iter()
                .map(|r| {
                    crate::lint::check_rule(
                        r,
                        &sources.get(r.file).text,
                        &workspace,
                        &config,
                        &shared,
                        keep,
                    )
                })
                .collect()
        }
    };
    let mut facts = Vec::with_capacity(outcomes.len());
    let mut analyzed = Vec::with_capacity(if keep { outcomes.len() } else { 0 });
    for o in outcomes {
        diagnostics.extend(o.diagnostics);
        facts.push(o.facts);
        analyzed.extend(o.analyzed);
    }
    diagnostics.extend(crate::lint::check_catalog(&rules, &facts, &sources, &env));
    drop(facts);
    summary.suppressed = crate::suppress::apply(&mut diagnostics, &sources, &config);

    report::sort(&mut diagnostics, &sources);
    summary.count(&diagnostics);
    Ok(Checked {
        config,
        sources,
        rules,
        analyzed,
        diagnostics,
        summary,
    })
}

/// A file's bytes, or the outcome that reports why it was not read.
type Read = Result<Vec<u8>, Box<load::Loaded>>;

/// Every file's load outcome with its source, the workspace the rules were linted against,
/// and each rule's per-rule outcome (in rule order: each file's rule, then its `more`).
type LoadedAndLinted = (
    Vec<(load::Loaded, Option<SourceFile>)>,
    crate::loading::workspace::Workspace,
    Vec<crate::lint::RuleOutcome>,
);

/// Loads and lints each file in one step, so that no more than a few YAML trees are alive
/// at once (each rule keeps only what the catalog-wide checks read, [`LoadedRule::trim`]).
/// Rules may call the catalog's own functions, so those are loaded first: every file is
/// read, the files that may hold a function (their text names a `Function…`/`Parser…`
/// key, or `[kinds]` makes them functions) are loaded, the workspace is completed with
/// them, and then every other file is loaded and linted. `None` when a file turns out to
/// be a function after all (a key spelt with escapes): the caller then loads everything
/// before linting, as with trees kept.
fn load_and_lint(
    files: &[PathBuf],
    load_opts: &LoadOptions,
    config: &Config,
    pb: Option<&indicatif::ProgressBar>,
) -> Option<LoadedAndLinted> {
    use crate::loading::model::RuleKind;
    let finder = memchr::memmem::Finder::new("Function");
    let parser = memchr::memmem::Finder::new("Parser");
    let read: Vec<(Read, bool)> = files
        .par_iter()
        .enumerate()
        .map(|(i, path)| {
            let bytes = load::read_file(path, i, load_opts);
            let candidate = match &bytes {
                Ok(b) => {
                    finder.find(b).is_some()
                        || parser.find(b).is_some()
                        || load_opts.kinds.kind_of(path) == Some(RuleKind::Function)
                }
                Err(_) => false,
            };
            (bytes, candidate)
        })
        .collect();
    let load = |i: usize, bytes: &Read| match bytes {
        Ok(b) => Some(load::load_bytes(
            discover::display_path(&files[i]),
            b,
            i,
            load_opts,
        )),
        Err(_) => None,
    };
    // The files that may hold functions, loaded first.
    let mut early: Vec<Option<load::Loaded>> = read
        .par_iter()
        .enumerate()
        .map(|(i, (bytes, candidate))| if *candidate { load(i, bytes) } else { None })
        .collect();
    let mut workspace =
        crate::loading::workspace::Workspace::load(&config.workspace, &config.base_dir());
    add_catalog_functions(
        &mut workspace,
        early
            .iter()
            .flatten()
            .flat_map(|l| l.rule.iter().chain(&l.more)),
    );
    let shared = crate::lint::Shared::new(config);
    // In chunks of files: each chunk is loaded, then linted, so that one stage's code and
    // tables at a time are in the caches (alternating file by file cost more CPU time than
    // the page faults it saved), and few trees are alive at once.
    const CHUNK: usize = 64;
    let done: Vec<Vec<_>> = read
        .into_par_iter()
        .zip(early.par_iter_mut())
        .enumerate()
        .chunks(CHUNK)
        .map(|chunk| {
            let loaded: Vec<_> = chunk
                .into_iter()
                .map(|(i, ((bytes, candidate), early))| {
                    let mut l = match (early.take(), bytes) {
                        (Some(l), _) => l,
                        (None, Ok(b)) => {
                            load::load_bytes(discover::display_path(&files[i]), &b, i, load_opts)
                        }
                        (None, Err(failed)) => *failed,
                    };
                    let source = SourceFile::new(std::mem::take(&mut l.name), l.text.clone());
                    (l, source, candidate)
                })
                .collect();
            loaded
                .into_iter()
                .map(|(mut l, source, candidate)| {
                    let mut outcomes = Vec::with_capacity(1 + l.more.len());
                    for r in l.rule.iter_mut().chain(l.more.iter_mut()) {
                        outcomes.push(crate::lint::check_rule(
                            r, &l.text, &workspace, config, &shared, false,
                        ));
                        r.trim();
                    }
                    if let Some(pb) = pb {
                        pb.inc(1);
                    }
                    // A function in a file not taken for a candidate: the rules were linted
                    // without it.
                    let late = !candidate && l.rule.iter().chain(&l.more).any(is_catalog_function);
                    (l, source, outcomes, late)
                })
                .collect()
        })
        .collect();
    let done: Vec<_> = done.into_iter().flatten().collect();
    if done.iter().any(|d| d.3) {
        return None;
    }
    let mut loaded = Vec::with_capacity(done.len());
    let mut outcomes = Vec::with_capacity(done.len());
    for (l, source, o, _) in done {
        loaded.push((l, Some(source)));
        outcomes.extend(o);
    }
    Some((loaded, workspace, outcomes))
}

/// Whether a loaded rule is a function [`add_catalog_functions`] makes callable.
fn is_catalog_function(r: &LoadedRule) -> bool {
    r.kind == crate::loading::model::RuleKind::Function && r.has_query && !r.rule.name.is_empty()
}

/// Functions and parsers that are files of the linted catalog itself are callable from its
/// rules, as they are once deployed to the workspace. One declared in `[workspace]` with
/// the same name wins.
fn add_catalog_functions<'a>(
    ws: &mut crate::loading::workspace::Workspace,
    rules: impl IntoIterator<Item = &'a LoadedRule>,
) {
    for r in rules {
        if !is_catalog_function(r) {
            continue;
        }
        let f = crate::loading::workspace::Function::declared(
            &r.rule.name,
            r.rule
                .params
                .iter()
                .map(|p| (p.name.as_str(), p.ty.as_str(), p.default.as_deref())),
            &r.query.text,
            r.path.clone(),
        );
        let aliases = ["FunctionAlias", "EquivalentBuiltInParser"]
            .iter()
            .filter_map(|k| r.root.get(k).and_then(|e| e.value.as_str()))
            .map(|a| a.trim().to_string());
        for name in std::iter::once(f.name.clone()).chain(aliases) {
            if !name.is_empty() {
                ws.functions.entry(name).or_insert_with(|| f.clone());
            }
        }
    }
}
