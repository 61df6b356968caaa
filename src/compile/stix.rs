//! `rulecat compile --format stix`: the bundle's indicators as a STIX 2.1 bundle, so
//! threat-intelligence platforms can ingest them.
//!
//! Ids are deterministic (UUIDs derived from a SHA-256 of the indicator).
//!
//! ## Timestamps
//!
//! STIX requires `created`, `modified` and (for indicators) `valid_from`. They come from
//! `SOURCE_DATE_EPOCH` when it is set; otherwise from the catalog itself: an indicator's
//! time is the latest commit time (`git log -1 --format=%ct`) of the rule files that use
//! it. A rule file git does not know takes the latest time of the others; when no file has
//! a date at all, the export fails and asks for `SOURCE_DATE_EPOCH` rather than inventing
//! one. The same commits give the same bytes on any machine.
//!
//! ## Patterns: what each KQL operator becomes
//!
//! STIX's `=` and `LIKE` compare case-sensitively, and STIX defines no escape for `LIKE`'s
//! `%` and `_`, so most operators become `MATCHES` with a regular expression whose every
//! literal character is escaped (`regex::escape`). Term boundaries are written
//! `(^|[\W_])` and `([\W_]|$)`: a character that is not a letter or digit, as KQL's terms
//! are "maximal sequences of alphanumeric characters" (`_` is a separator). That form needs
//! no look-around and means the same in PCRE (STIX's regex dialect), Python's `re` and
//! RE2. Case-insensitive operators get `(?i)`; their values are the bundle's folded
//! (lowercase) values, which `(?i)` matches in any case.
//!
//! | KQL | STIX comparison |
//! |---|---|
//! | `==` | `= 'v'` |
//! | `=~` | `MATCHES '(?i)^v$'` |
//! | `has_cs` / `has` | `MATCHES '(^\|[\W_])v([\W_]\|$)'` / with `(?i)`; a boundary only where `v` starts / ends with a letter or digit (KQL's phrase rule) |
//! | `hasprefix[_cs]` / `hassuffix[_cs]` | the same with only the start / end boundary |
//! | `contains_cs` | `LIKE '%v%'` when `v` has no `%` or `_`, else `MATCHES 'v'` |
//! | `contains` | `MATCHES '(?i)v'` |
//! | `startswith_cs` / `endswith_cs` | `LIKE 'v%'` / `LIKE '%v'` (no `%`/`_` in `v`), else `MATCHES '^v'` / `MATCHES 'v$'` |
//! | `startswith` / `endswith` | `MATCHES '(?i)^v'` / `MATCHES '(?i)v$'` |
//! | `matches regex` | `MATCHES 'v'` (KQL's RE2 syntax is a subset of PCRE's for the common constructs) |
//!
//! Anything else (an indicator kind with no STIX object) is left out and counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::bundle::{Bundle, Indicator, IndicatorKind};

#[derive(Serialize)]
struct StixBundle {
    #[serde(rename = "type")]
    ty: &'static str,
    id: String,
    objects: Vec<StixIndicator>,
}

#[derive(Serialize)]
struct StixIndicator {
    #[serde(rename = "type")]
    ty: &'static str,
    spec_version: &'static str,
    id: String,
    created: String,
    modified: String,
    name: String,
    description: String,
    indicator_types: Vec<&'static str>,
    pattern: String,
    pattern_type: &'static str,
    valid_from: String,
    labels: Vec<String>,
    external_references: Vec<ExternalReference>,
}

#[derive(Serialize)]
struct ExternalReference {
    source_name: String,
    external_id: String,
}

/// A UUID (version 5 layout) derived from the SHA-256 of `key`.
fn stable_uuid(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A term boundary before a value starting with a letter or digit.
const TERM_START: &str = "(^|[\\W_])";
/// A term boundary after a value ending with a letter or digit.
const TERM_END: &str = "([\\W_]|$)";

/// The STIX object path for an indicator's field, if it has one.
fn object_path(ind: &Indicator) -> Option<&'static str> {
    let f = ind.field.to_ascii_lowercase();
    Some(match ind.kind {
        IndicatorKind::Signer if f == "issuer" => "x509-certificate:issuer",
        IndicatorKind::Signer => "x509-certificate:subject",
        IndicatorKind::Domain => "domain-name:value",
        IndicatorKind::Url => "url:value",
        IndicatorKind::Company => "software:vendor",
        IndicatorKind::Product => "software:name",
        IndicatorKind::Process | IndicatorKind::File => "file:name",
        IndicatorKind::Hash if f.ends_with("sha256") => "file:hashes.'SHA-256'",
        IndicatorKind::Hash if f.ends_with("md5") => "file:hashes.MD5",
        IndicatorKind::Hash => "file:hashes.'SHA-1'",
        IndicatorKind::Ip if ind.value.contains(':') => "ipv6-addr:value",
        IndicatorKind::Ip => "ipv4-addr:value",
        IndicatorKind::Path => "directory:path",
        IndicatorKind::CommandLine => "process:command_line",
        IndicatorKind::Account => "user-account:user_id",
        IndicatorKind::Other => return None,
    })
}

/// The STIX pattern for an indicator, e.g.
/// `[domain-name:value MATCHES '(?i)(^|[\W_])assist\\.zoho\\.com([\W_]|$)']`.
/// See the module documentation for each operator's form.
pub fn pattern(ind: &Indicator) -> Option<String> {
    let path = object_path(ind)?;
    let v = ind.value.as_str();
    let re = regex::escape(v);
    let op = ind.operator.as_str();
    let ci = if crate::compile::lower::case_insensitive(op) {
        "(?i)"
    } else {
        ""
    };
    let starts_term = v
        .chars()
        .next()
        .is_some_and(crate::kql::strops::is_term_char);
    let ends_term = v
        .chars()
        .last()
        .is_some_and(crate::kql::strops::is_term_char);
    let start = if starts_term { TERM_START } else { "" };
    let end = if ends_term { TERM_END } else { "" };
    let likeable = !v.contains(['%', '_']);
    let matches = |r: String| format!("{path} MATCHES {}", quote(&r));
    let like = |l: String| format!("{path} LIKE {}", quote(&l));
    let body = match op {
        "==" => format!("{path} = {}", quote(v)),
        "=~" => matches(format!("{ci}^{re}$")),
        "has" | "has_cs" => matches(format!("{ci}{start}{re}{end}")),
        "hasprefix" | "hasprefix_cs" => matches(format!("{ci}{start}{re}")),
        "hassuffix" | "hassuffix_cs" => matches(format!("{ci}{re}{end}")),
        "contains_cs" if likeable => like(format!("%{v}%")),
        "startswith_cs" if likeable => like(format!("{v}%")),
        "endswith_cs" if likeable => like(format!("%{v}")),
        "contains" | "contains_cs" => matches(format!("{ci}{re}")),
        "startswith" | "startswith_cs" => matches(format!("{ci}^{re}")),
        "endswith" | "endswith_cs" => matches(format!("{ci}{re}$")),
        "matches regex" => matches(v.to_string()),
        _ => return None,
    };
    Some(format!("[{body}]"))
}

/// Where the timestamps of a STIX export come from (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct StixDates {
    /// `SOURCE_DATE_EPOCH`, seconds: every object gets it.
    pub fixed: Option<i64>,
    /// Rule id → the latest commit time (seconds) of its files.
    pub per_rule: BTreeMap<String, i64>,
}

impl StixDates {
    /// Dates for the rules of `checked`: `SOURCE_DATE_EPOCH` when set, else git.
    pub fn for_catalog(checked: &crate::checked::Checked) -> Result<StixDates, String> {
        if let Some(fixed) = crate::compile::source_date_epoch()? {
            return Ok(StixDates {
                fixed: Some(fixed),
                per_rule: BTreeMap::new(),
            });
        }
        let paths: Vec<&Path> = checked.rules.iter().map(|r| r.path.as_path()).collect();
        let times = git_commit_times(&paths);
        let mut per_rule: BTreeMap<String, i64> = BTreeMap::new();
        for r in &checked.rules {
            if let Some(&t) = times.get(r.path.as_path()) {
                let e = per_rule.entry(r.rule.id.clone()).or_insert(t);
                *e = (*e).max(t);
            }
        }
        Ok(StixDates {
            fixed: None,
            per_rule,
        })
    }

    /// The time of an indicator used by `rules`, in seconds.
    fn of(&self, rules: &[String]) -> Option<i64> {
        self.fixed.or_else(|| {
            rules
                .iter()
                .filter_map(|r| self.per_rule.get(r))
                .max()
                .or_else(|| self.per_rule.values().max())
                .copied()
        })
    }
}

/// The last commit time of each file that git knows, keyed by the path as given. One
/// `git log` per repository; files outside a repository (or without git) are left out.
pub fn git_commit_times<'p>(files: &[&'p Path]) -> BTreeMap<&'p Path, i64> {
    use std::process::Command;
    let git = |dir: &Path, args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // Files by repository top level, each as (path given, canonical path).
    let mut by_top: BTreeMap<PathBuf, Vec<(&'p Path, PathBuf)>> = BTreeMap::new();
    let mut tops: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    for &f in files {
        let Ok(abs) = std::fs::canonicalize(f) else {
            continue;
        };
        let Some(dir) = abs.parent().map(Path::to_path_buf) else {
            continue;
        };
        let top = tops
            .entry(dir.clone())
            .or_insert_with(|| {
                git(&dir, &["rev-parse", "--show-toplevel"])
                    .and_then(|t| std::fs::canonicalize(t.trim_end_matches(['\n', '\r'])).ok())
            })
            .clone();
        if let Some(top) = top {
            by_top.entry(top).or_default().push((f, abs));
        }
    }
    let mut out = BTreeMap::new();
    for (top, files) in by_top {
        let mut args: Vec<String> = [
            "-c",
            "core.quotePath=false",
            "log",
            "--format=\u{1}%ct",
            "--name-only",
            "--no-renames",
            "--",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut rels: BTreeMap<String, Vec<&'p Path>> = BTreeMap::new();
        for (given, abs) in &files {
            if let Ok(rel) = abs.strip_prefix(&top) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                rels.entry(rel).or_default().push(given);
            }
        }
        // Pathspecs: the distinct folders, so one walk of the history covers every file.
        let mut dirs: Vec<String> = rels
            .keys()
            .map(|r| match r.rfind('/') {
                Some(i) => r[..i].to_string(),
                None => ".".to_string(),
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        args.extend(dirs.into_iter().map(|d| format!(":(literal){d}")));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let Some(log) = git(&top, &argv) else {
            continue;
        };
        let mut time: Option<i64> = None;
        for line in log.lines() {
            if let Some(t) = line.strip_prefix('\u{1}') {
                time = t.trim().parse().ok();
            } else if let (Some(t), Some(givens)) = (time, rels.remove(line)) {
                // The first (newest) commit that touched the file.
                for g in givens {
                    out.insert(g, t);
                }
            }
        }
    }
    out
}

/// STIX timestamps have millisecond precision: `2026-01-01T00:00:00.000Z`.
fn stix_time(secs: i64) -> Option<String> {
    crate::compile::format_seconds(secs).map(|t| t.replacen('Z', ".000Z", 1))
}

/// Renders the STIX bundle; returns the JSON and how many indicators had no STIX form, or
/// an error when no timestamp can be given (see the module documentation).
pub fn render(bundle: &Bundle, dates: &StixDates) -> Result<(String, usize), String> {
    let mut skipped = 0;
    let mut objects = Vec::new();
    for ind in &bundle.indicators {
        let Some(pattern) = pattern(ind) else {
            skipped += 1;
            continue;
        };
        let when = dates.of(&ind.rules).and_then(stix_time).ok_or_else(|| {
            "STIX objects need created/modified times and none is known: the rule files are not committed in a git repository; set SOURCE_DATE_EPOCH (seconds since 1970, e.g. `git log -1 --format=%ct`)".to_string()
        })?;
        let key = format!("{}\u{0}{}\u{0}{}", ind.field, ind.operator, ind.value);
        let names: Vec<String> = ind
            .rules
            .iter()
            .filter_map(|id| bundle.rules.iter().find(|r| &r.id == id))
            .map(|r| r.name.clone())
            .collect();
        objects.push(StixIndicator {
            ty: "indicator",
            spec_version: "2.1",
            id: format!("indicator--{}", stable_uuid(&key)),
            created: when.clone(),
            modified: when.clone(),
            name: format!("{} {} {}", ind.field, ind.operator, ind.value),
            description: format!("Used by: {}", names.join("; ")),
            indicator_types: vec!["attribution"],
            pattern,
            pattern_type: "stix",
            valid_from: when,
            labels: vec![format!("{:?}", ind.kind).to_lowercase()],
            external_references: ind
                .rules
                .iter()
                .map(|id| ExternalReference {
                    source_name: "rulecat-rule".into(),
                    external_id: id.clone(),
                })
                .collect(),
        });
    }
    let b = StixBundle {
        ty: "bundle",
        id: format!("bundle--{}", stable_uuid(&bundle.catalog_hash)),
        objects,
    };
    let mut s = serde_json::to_string_pretty(&b).expect("STIX serializes");
    s.push('\n');
    Ok((s, skipped))
}
