//! Stage 1: find the rule files.
//!
//! Walks each input path with walkdir: `.yaml`/`.yml` rule files and `.kql`/`.csl` query
//! files (plus rule files whose name lacks the extension, reported), hidden folders skipped,
//! symlinks followed with loop detection, `--exclude` globs applied, and the result sorted
//! so that every later stage sees the files in one deterministic order. Problems (an
//! unreadable folder, a symlink loop) are reported and the walk goes on.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::declare_code;

declare_code! {
    /// A file or folder could not be read.
    ///
    /// ## Why it matters
    /// A rule that cannot be read is not checked. rulecat reports it and goes on with the
    /// rest, so one bad file never hides the findings in the others. Symlink loops are
    /// reported here too instead of being walked forever.
    ///
    /// ## Example
    /// ```text
    /// catalog/loop -> catalog        # a symlink to its own ancestor
    /// ```
    ///
    /// ## How to fix
    /// Fix the permissions, remove the broken or looping link, or exclude the path with
    /// `--exclude`.
    pub static UNREADABLE = {
        code: "D0001",
        name: "unreadable",
        level: Error,
        summary: "a file or folder could not be read",
    }
}

declare_code! {
    /// A file in a catalog folder that holds a rule but whose name does not end in
    /// `.yaml` or `.yml` (`...CVE-2022-30190,yaml`, a rule saved without an extension).
    ///
    /// ## Why it matters
    /// Sentinel's content tooling, CI jobs and most linters pick rule files by extension, so
    /// such a file is silently never deployed or checked. rulecat reports it and checks it
    /// anyway.
    ///
    /// ## Example
    /// ```text
    /// Analytic Rules/CVE-2022-30190,yaml     # a comma where the dot should be
    /// ```
    ///
    /// ## How to fix
    /// Rename the file to end in `.yaml`, or delete it if it is a stray copy.
    pub static HIDDEN_RULE_FILE = {
        code: "D0002",
        name: "hidden-rule-file",
        level: Warning,
        summary: "a rule file whose name lacks the .yaml extension",
    }
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Rule files in deterministic (sorted path) order, each once.
    pub files: Vec<PathBuf>,
    /// Paths that could not be walked, with the reason.
    pub problems: Vec<(PathBuf, String)>,
    /// How many rule files `--exclude` removed.
    pub excluded: usize,
    /// Files (also in `files`) that hold a rule though their name lacks `.yaml`/`.yml`.
    pub hidden: Vec<PathBuf>,
    /// Tests files (`x.tests.yaml`, [`is_tests_file`]) met on the way: never rule files,
    /// even when named explicitly (then they count as excluded); `rulecat test` runs them.
    pub tests: Vec<PathBuf>,
}

/// A usage error: a glob that does not parse, or an input path that does not exist.
#[derive(Debug)]
pub struct DiscoverError(pub String);

/// The exclusion globs of a run, each set with the folder it is relative to.
///
/// Globs are matched gitignore-style against a path *relative to a base*, never against
/// the path as walked (`catalog/drafts/x.yaml`): `--exclude` globs against the path below
/// the input folder being walked (`drafts/x.yaml`) and against the path as given on the
/// command line; `[paths] exclude` globs of `rulecat.toml` against the path below the
/// configuration file's folder. A glob without `/` matches a file or folder of that name
/// at any depth (`--exclude drafts`).
///
/// Files named explicitly on the command line are checked even when a glob matches them,
/// unless `force` is set (`--force-exclude`, ruff's convention; what a pre-commit hook
/// wants, since pre-commit names every file).
#[derive(Debug, Default)]
pub struct Excludes {
    cli: Option<GlobSet>,
    config: Option<(GlobSet, PathBuf)>,
    pub force: bool,
}

impl Excludes {
    /// `cli`: the `--exclude` globs; `config`: the configuration's globs and its folder.
    pub fn new(
        cli: &[String],
        config: Option<(&[String], &Path)>,
        force: bool,
    ) -> Result<Excludes, DiscoverError> {
        let cli = if cli.is_empty() {
            None
        } else {
            Some(build_excludes(cli, "--exclude glob")?)
        };
        let config = match config {
            Some((globs, dir)) if !globs.is_empty() => {
                let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                Some((build_excludes(globs, "[paths] exclude glob")?, dir))
            }
            _ => None,
        };
        Ok(Excludes { cli, config, force })
    }

    /// Whether `path` is excluded; `root` is the input folder it was found in (none for a
    /// file named explicitly).
    pub fn is_excluded(&self, path: &Path, root: Option<&Path>) -> bool {
        if let Some(set) = &self.cli {
            if set.is_match(normalize(path)) {
                return true;
            }
            if let Some(rel) = root.and_then(|r| path.strip_prefix(r).ok())
                && !rel.as_os_str().is_empty()
                && set.is_match(normalize(rel))
            {
                return true;
            }
        }
        if let Some((set, dir)) = &self.config {
            let abs = std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path));
            if let Ok(rel) = abs.strip_prefix(dir)
                && set.is_match(normalize(rel))
            {
                return true;
            }
        }
        false
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A path as globs see it: forward slashes, no leading `./`.
fn normalize(p: &Path) -> PathBuf {
    PathBuf::from(display_path(p))
}

pub fn build_excludes(globs: &[String], what: &str) -> Result<GlobSet, DiscoverError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let err = |e: globset::Error| DiscoverError(format!("invalid {what} `{g}`: {e}"));
        let trimmed = g.strip_prefix("./").unwrap_or(g);
        // A trailing `/` (gitignore's "a folder") means everything below it.
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        let glob = Glob::new(trimmed).map_err(err)?;
        b.add(glob);
        b.add(Glob::new(&format!("{trimmed}/**")).map_err(err)?);
        // `--exclude drafts` also excludes a file or folder called drafts at any depth.
        if !trimmed.contains('/') && !trimmed.starts_with("**") {
            for pat in [format!("**/{trimmed}"), format!("**/{trimmed}/**")] {
                b.add(Glob::new(&pat).map_err(err)?);
            }
        }
    }
    b.build()
        .map_err(|e| DiscoverError(format!("invalid exclude globs: {e}")))
}

/// Whether a walked file is checked: YAML rule files and bare KQL files (`.kql`, `.csl`),
/// not tests files.
pub fn is_rule_file(path: &Path) -> bool {
    (is_yaml_file(path) || is_kql_file(path)) && !is_tests_file(path)
}

/// A file of per-rule tests (`rulecat test`): its name ends in `.tests.yaml` or
/// `.tests.yml` (any case). It sits beside the rule it tests and is never a rule.
pub fn is_tests_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| ends_with_ci(n, ".tests.yaml") || ends_with_ci(n, ".tests.yml"))
}

/// `name` ends with `suffix` (ASCII, any case), without allocating.
fn ends_with_ci(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

pub fn is_yaml_file(path: &Path) -> bool {
    has_extension(path, &["yaml", "yml"])
}

/// A file of bare KQL, linted with the query's lints only.
pub fn is_kql_file(path: &Path) -> bool {
    has_extension(path, &["kql", "csl"])
}

fn has_extension(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Whether a file whose name lacks a rule extension holds a rule anyway: its name ends in
/// `yaml`/`yml` without the dot (`x,yaml`, `x_yml`), or it has no extension, and its first
/// lines are the top-level keys of a rule (`id:`, `name:`, `query:`, `kind:` ...).
pub fn is_hidden_rule_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let yamlish = (ends_with_ci(name, "yaml") || ends_with_ci(name, "yml"))
        && !ends_with_ci(name, ".yaml")
        && !ends_with_ci(name, ".yml");
    if !yamlish && path.extension().is_some() {
        return false;
    }
    let mut head = [0u8; 4096];
    let n = match std::fs::File::open(path).and_then(|mut f| {
        use std::io::Read;
        f.read(&mut head)
    }) {
        Ok(n) => n,
        Err(_) => return false,
    };
    let text = String::from_utf8_lossy(&head[..n]);
    const KEYS: [&str; 8] = [
        "id:",
        "name:",
        "query:",
        "kind:",
        "description:",
        "FunctionName:",
        "ParserName:",
        "requiredDataConnectors:",
    ];
    let found = text
        .lines()
        .filter(|l| KEYS.iter().any(|k| l.starts_with(k)))
        .count();
    found >= 2
}

/// Walks the inputs. A path that does not exist is a usage error (exit 2).
pub fn discover(inputs: &[PathBuf], excludes: &Excludes) -> Result<Discovered, DiscoverError> {
    let mut out = Discovered::default();
    let mut seen = Seen::default();
    // Collected in walk order, then sorted and deduplicated once (the walk already yields
    // most of them in order, which the sort detects).
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| {
            DiscoverError(format!(
                "cannot read `{}`: {}",
                input.display(),
                io_reason(&e)
            ))
        })?;
        if !meta.is_dir() && is_tests_file(input) {
            out.tests.push(input.clone());
            out.excluded += 1;
            continue;
        }
        if !meta.is_dir() {
            // An explicitly named file is checked whatever its extension; so is a pipe or
            // device (`/dev/stdin`, a process substitution), read like a file.
            push(
                &mut out,
                &mut seen,
                &mut files,
                input.clone(),
                excludes,
                None,
                None,
            );
            continue;
        }
        let walker = WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    if is_tests_file(e.path()) {
                        if !excludes.is_excluded(e.path(), Some(input)) {
                            out.tests.push(e.into_path());
                        }
                    } else if is_hidden_rule_file(e.path()) {
                        let before = files.len();
                        let symlink = Some(e.path_is_symlink());
                        let path = e.into_path();
                        push(
                            &mut out,
                            &mut seen,
                            &mut files,
                            path.clone(),
                            excludes,
                            Some(input),
                            symlink,
                        );
                        if files.len() > before {
                            out.hidden.push(path);
                        }
                    } else if is_rule_file(e.path()) {
                        let symlink = Some(e.path_is_symlink());
                        push(
                            &mut out,
                            &mut seen,
                            &mut files,
                            e.into_path(),
                            excludes,
                            Some(input),
                            symlink,
                        );
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    let path = err
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| input.clone());
                    let reason = if let Some(anc) = err.loop_ancestor() {
                        format!(
                            "symlink loop: `{}` leads back to its ancestor `{}`; not followed",
                            path.display(),
                            anc.display()
                        )
                    } else if let Some(io) = err.io_error() {
                        format!("cannot read `{}`: {}", path.display(), io_reason(io))
                    } else {
                        format!("cannot read `{}`: {err}", path.display())
                    };
                    out.problems.push((path, reason));
                }
            }
        }
    }
    files.sort();
    files.dedup();
    out.files = files;
    out.problems.sort();
    out.hidden.sort();
    out.tests.sort();
    out.tests.dedup();
    Ok(out)
}

/// The files already taken, by canonical path, and the canonical path of each folder met.
#[derive(Default)]
struct Seen {
    files: foldhash::HashSet<PathBuf>,
    dirs: foldhash::HashMap<PathBuf, Option<PathBuf>>,
}

impl Seen {
    /// Whether `path` is new, by its canonical path. A file that is not a symlink is its
    /// folder's canonical path joined with its name: each folder is resolved once, not
    /// every file's whole path. `symlink`: whether `path` itself is a symlink, when the walk
    /// already knows (asking the file system once per file was a tenth of a 10,000-rule lint).
    fn insert(&mut self, path: &Path, symlink: Option<bool>) -> bool {
        let full = || std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let is_symlink = || {
            symlink.unwrap_or_else(|| {
                std::fs::symlink_metadata(path).map_or(true, |m| m.file_type().is_symlink())
            })
        };
        let canonical = match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) if !parent.as_os_str().is_empty() && !is_symlink() => {
                let dir = match self.dirs.get(parent) {
                    Some(dir) => dir,
                    None => self
                        .dirs
                        .entry(parent.to_path_buf())
                        .or_insert_with(|| std::fs::canonicalize(parent).ok()),
                };
                match dir {
                    Some(dir) => dir.join(name),
                    None => full(),
                }
            }
            _ => full(),
        };
        self.files.insert(canonical)
    }
}

fn push(
    out: &mut Discovered,
    seen: &mut Seen,
    files: &mut Vec<PathBuf>,
    path: PathBuf,
    excludes: &Excludes,
    root: Option<&Path>,
    symlink: Option<bool>,
) {
    // An explicitly named file (no root) is excluded only with `--force-exclude`.
    if (root.is_some() || excludes.force) && excludes.is_excluded(&path, root) {
        out.excluded += 1;
        return;
    }
    // The same file reached twice (through a symlink, or named twice) is checked once.
    if seen.insert(&path, symlink) {
        files.push(path);
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|s| s.starts_with('.') && s != "." && s != "..")
}

pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            // Drop the "(os error N)" tail for readability.
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

/// Shows a path with forward slashes, as given (relative paths stay relative).
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    s.replace('\\', "/")
}
