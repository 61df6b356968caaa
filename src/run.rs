//! The pipeline as one call: discover → load and validate (in parallel) → lint → sorted
//! diagnostics with a summary. The CLI and the tests both drive this.

use std::path::PathBuf;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Severity};
use crate::discover::{self, UNREADABLE};
use crate::load::{self, LoadOptions, LoadedRule};
use crate::report::{self, Summary};
use crate::source::SourceMap;

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
}

/// The result of a check: every file's text, the rules that loaded, and all diagnostics.
#[derive(Debug)]
pub struct Checked {
    pub config: Config,
    pub sources: SourceMap,
    pub rules: Vec<LoadedRule>,
    /// Each rule's parsed and analyzed query, index-aligned with `rules`.
    pub analyzed: Vec<crate::lint::Analyzed>,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
}

impl Checked {
    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
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

pub fn check(opts: &CheckOptions) -> Result<Checked, UsageError> {
    let config = match (&opts.config, opts.paths.first()) {
        (Some(path), _) => Config::load(path),
        (None, Some(first)) => Config::discover(first),
        (None, None) => Ok(Config::default()),
    }
    .map_err(|e| UsageError(e.0))?;
    let mut exclude = opts.exclude.clone();
    exclude.extend(config.paths.exclude.iter().cloned());
    let excludes = discover::build_excludes(&exclude).map_err(|e| UsageError(e.0))?;
    let found = discover::discover(&opts.paths, &excludes).map_err(|e| UsageError(e.0))?;

    let load_all = || -> Vec<load::Loaded> {
        found
            .files
            .par_iter()
            .enumerate()
            .map(|(i, path)| load::load_file(path, i, &opts.load))
            .collect()
    };
    // Generous stacks: parsing hostile YAML must end in a diagnostic, never an overflow.
    let loaded = match rayon::ThreadPoolBuilder::new()
        .stack_size(64 * 1024 * 1024)
        .build()
    {
        Ok(pool) => pool.install(load_all),
        Err(_) => load_all(),
    };

    let mut sources = SourceMap::new();
    let mut rules = Vec::new();
    let mut diagnostics = Vec::new();
    let mut summary = Summary {
        files: found.files.len(),
        excluded: found.excluded,
        ..Summary::default()
    };
    for l in loaded {
        let id = sources.add(l.name, l.text);
        debug_assert_eq!(id, l.file);
        diagnostics.extend(l.diagnostics);
        match l.rule {
            Some(r) => rules.push(r),
            None => summary.skipped += 1,
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
    let analyzed = crate::lint::analyze_all(&rules);
    let env = crate::lint::LintEnv {
        config: &config,
        baseline: baseline.as_ref(),
        roots: &opts.paths,
    };
    diagnostics.extend(crate::lint::run(&rules, &analyzed, &sources, &env));
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
