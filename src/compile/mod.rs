//! Stage 6: compile a checked catalog into a deterministic, deduplicated indicator bundle.
//!
//! Every rule's query is lowered to executable [`bundle::Logic`] (`lower`); identical
//! rules collapse into one entry with several sources; every indicator (field, operator,
//! normalized value) appears once with the rules that use it. Everything is sorted and
//! no wall-clock time is written unless `SOURCE_DATE_EPOCH` is set, so the same catalog
//! gives byte-identical bundles on any machine and in any file order.

pub mod bundle;
pub mod lower;
pub mod stix;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::checked::Checked;
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use bundle::*;

declare_code! {
    /// A query construct rulecat's KQL engine cannot run, found when compiling.
    ///
    /// ## What it finds
    /// `rulecat compile` keeps every detection rule: a query that is one table, filters
    /// and one `summarize`/`project` is lowered to the fast matcher's predicate tree;
    /// any other query is kept for the KQL engine, with its indicators. A construct the
    /// engine cannot run (an unknown function or plugin, `find`, `facet`,
    /// an ASIM parser...) is reported here with the rule and the construct; the
    /// `engine-unsupported` lint (K0011) finds the same at `lint` time.
    ///
    /// ## Why it matters
    /// Compiling such a rule into something simpler would silently change what it
    /// detects. The bundle holds each rule exactly as its query means it, or marked as
    /// not executable (`--allow-partial`).
    ///
    /// ## Example
    /// ```kql
    /// DeviceNetworkEvents
    /// | evaluate autocluster()   // a plugin the engine does not have
    /// ```
    ///
    /// ## How to fix
    /// Rewrite the query with constructs the engine runs, keep the rule out of the bundle
    /// (`--exclude`), or compile with `--allow-partial` to keep it marked as not
    /// executable.
    pub static UNCOMPILABLE = {
        code: "B0001",
        name: "uncompilable",
        level: Error,
        summary: "a query construct the compiler cannot turn into executable logic",
    }
}

/// Where the committed bundle schema lives.
pub const BUNDLE_SCHEMA_PATH: &str = "schema/bundle.schema.json";

/// The bundle's JSON Schema, as committed.
pub fn bundle_schema_text() -> String {
    let schema = schemars::schema_for!(Bundle);
    let mut s = serde_json::to_string_pretty(&schema).expect("schema serializes");
    s.push('\n');
    s
}

fn sha256_hex(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A rule's content hash: SHA-256 of its canonical JSON form (field order fixed by the
/// model), so formatting, comments and file names do not change it.
pub fn content_hash(rule: &crate::loading::model::Rule) -> String {
    sha256_hex(&serde_json::to_vec(rule).expect("rule serializes"))
}

/// The latest `SOURCE_DATE_EPOCH` accepted: 9999-12-31T23:59:59Z, the last second an
/// RFC 3339 timestamp (four-digit year) can write.
pub const MAX_SOURCE_DATE_EPOCH: i64 = 253_402_300_799;

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org) as seconds: `Ok(None)` when unset or
/// empty; an error when it is not a whole number of seconds from 0 to
/// [`MAX_SOURCE_DATE_EPOCH`] ("if the value is malformed, the build process SHOULD exit
/// with a non-zero error code").
pub fn source_date_epoch() -> Result<Option<i64>, String> {
    let Some(raw) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let Some(text) = raw.to_str() else {
        return Err("SOURCE_DATE_EPOCH is not valid UTF-8".into());
    };
    parse_source_date_epoch(text)
}

/// The parsing half of [`source_date_epoch`].
pub fn parse_source_date_epoch(text: &str) -> Result<Option<i64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        format!(
            "SOURCE_DATE_EPOCH `{text}` is not a time: it must be a whole number of seconds since 1970-01-01T00:00:00Z, from 0 to {MAX_SOURCE_DATE_EPOCH} (9999-12-31T23:59:59Z), e.g. `git log -1 --format=%ct`"
        )
    };
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match t.parse::<i64>() {
        Ok(secs) if secs <= MAX_SOURCE_DATE_EPOCH => Ok(Some(secs)),
        _ => Err(bad()),
    }
}

/// Seconds since the epoch as an RFC 3339 timestamp; `None` beyond what one can write.
pub fn format_seconds(secs: i64) -> Option<String> {
    if !(0..=MAX_SOURCE_DATE_EPOCH).contains(&secs) {
        return None;
    }
    secs.checked_mul(crate::kql::time::TICKS_PER_SECOND)
        .map(crate::kql::time::format)
}

/// `SOURCE_DATE_EPOCH` as an RFC 3339 timestamp, if set and valid (the CLI rejects an
/// invalid value with [`source_date_epoch`] before compiling).
pub fn source_date() -> Option<String> {
    source_date_epoch().ok().flatten().and_then(format_seconds)
}

pub fn compile(
    checked: &Checked,
    roots: &[PathBuf],
    allow_partial: bool,
) -> Result<Bundle, Vec<Diagnostic>> {
    struct Unit {
        rule: usize,
        logic: Option<Logic>,
        prefilters: Vec<Prefilter>,
        unsupported: Vec<String>,
        tables: Vec<String>,
        functions: Vec<BundleFunction>,
        external: Vec<String>,
        keys: Vec<(String, String, String)>,
        hash: String,
        source: String,
    }
    let mut units = Vec::new();
    let mut diags = Vec::new();
    let mut indicator_uses = 0;
    let mut rule_files = 0;
    for (i, (loaded, analyzed)) in checked.rules.iter().zip(&checked.analyzed).enumerate() {
        if !loaded.kind.is_detection() || !loaded.has_query {
            continue;
        }
        rule_files += 1;
        let query = &analyzed.parsed.query;
        let mut tables: Vec<String> = analyzed
            .analysis
            .tables
            .iter()
            .map(|t| t.name.clone())
            .collect();
        // Watchlists are read from the input named after their alias; the tables the
        // workspace functions it calls read are inputs too.
        tables.extend(crate::engine::support::watchlists(query));
        tables.extend(crate::engine::support::resource_graph_tables(query));
        tables.extend(crate::engine::support::asim_tables(query));
        if crate::engine::support::reads_file_profile(query) {
            tables.push(crate::engine::ops::file_profile::INPUT.to_string());
        }
        tables.extend(analyzed.analysis.function_tables.iter().cloned());
        let mut functions: Vec<BundleFunction> = analyzed
            .analysis
            .functions
            .iter()
            .map(|f| BundleFunction {
                name: f.name.clone(),
                params: f
                    .params
                    .iter()
                    .map(|p| BundleParam {
                        name: p.name.clone(),
                        ty: p.ty.clone(),
                        default: p.default.clone(),
                    })
                    .collect(),
                body: f.body.clone(),
            })
            .collect();
        functions.sort_by(|a, b| a.name.cmp(&b.name));
        functions.dedup_by(|a, b| a.name == b.name);
        // The URLs `externaldata` reads, in the query and in the functions it calls.
        let mut external = crate::engine::support::external_urls(query);
        for f in &functions {
            external.extend(crate::engine::support::external_urls(
                &crate::kql::parse(&f.body).query,
            ));
        }
        external.sort();
        external.dedup();
        tables.sort();
        tables.dedup();
        let mut interner = lower::Interner::default();
        let (logic, prefilters, unsupported) = match lower::lower(query, &mut interner) {
            Ok(logic) => {
                if !tables.contains(&logic.table) {
                    tables = vec![logic.table.clone()];
                }
                (Some(logic), Vec::new(), Vec::new())
            }
            Err(_) => {
                interner = lower::Interner::default();
                let prefilters = lower::prefilters(query, &tables, &mut interner);
                let found =
                    crate::engine::support::unsupported_with(query, &analyzed.analysis.functions);
                if !found.is_empty() && !allow_partial {
                    for u in &found {
                        let span = loaded
                            .query
                            .span_to_file(u.span.start as usize..u.span.end as usize);
                        diags.push(
                            Diagnostic::new(
                                &UNCOMPILABLE,
                                format!(
                                    "rule `{}` cannot be compiled: rulecat's KQL engine cannot run {}",
                                    loaded.rule.id, u.construct
                                ),
                            )
                            .at(loaded.file, span, "not supported by the engine")
                            .note(format!("rule: {}", loaded.rule.name))
                            .help("`rulecat compile --allow-partial` keeps such rules in the bundle, marked as not executable"),
                        );
                    }
                    continue;
                }
                let mut keys: Vec<String> = found.into_iter().map(|u| u.construct).collect();
                keys.dedup();
                (None, prefilters, keys)
            }
        };
        indicator_uses += interner.uses;
        units.push(Unit {
            rule: i,
            logic,
            prefilters,
            unsupported,
            tables,
            functions,
            external,
            keys: interner.keys,
            hash: content_hash(&loaded.rule),
            source: relative_source(&loaded.path, roots),
        });
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    // Identical rules collapse; the first (by source path) stands for the group.
    units.sort_by(|a, b| (&a.hash, &a.source).cmp(&(&b.hash, &b.source)));
    let mut groups: Vec<(Unit, Vec<String>)> = Vec::new();
    for u in units {
        match groups.last_mut() {
            Some((first, sources)) if first.hash == u.hash => sources.push(u.source),
            _ => {
                let s = u.source.clone();
                groups.push((u, vec![s]));
            }
        }
    }

    // Every indicator once, sorted, with the rules that use it.
    let mut users: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for (u, _) in &groups {
        let id = &checked.rules[u.rule].rule.id;
        for k in &u.keys {
            users.entry(k.clone()).or_default().insert(id.clone());
        }
    }
    let global: BTreeMap<&(String, String, String), usize> =
        users.keys().enumerate().map(|(i, k)| (k, i)).collect();
    let indicators: Vec<Indicator> = users
        .iter()
        .enumerate()
        .map(|(i, ((field, operator, value), rules))| Indicator {
            id: i,
            kind: lower::kind_of(field, value),
            field: field.clone(),
            operator: operator.clone(),
            value: value.clone(),
            rules: rules.iter().cloned().collect(),
        })
        .collect();

    let mut rules: Vec<CompiledRule> = groups
        .into_iter()
        .map(|(mut u, sources)| {
            let f = |local| global[&u.keys[local]];
            if let Some(l) = &mut u.logic {
                remap(&mut l.predicate, &f);
            }
            for p in &mut u.prefilters {
                remap(&mut p.predicate, &f);
            }
            let loaded = &checked.rules[u.rule];
            let r = &loaded.rule;
            CompiledRule {
                id: r.id.clone(),
                name: r.name.clone(),
                tactics: r.tactics.clone(),
                techniques: r.relevant_techniques.clone(),
                sources,
                content_hash: u.hash,
                tables: u.tables,
                query: loaded.query.text.clone(),
                logic: u.logic,
                prefilters: u.prefilters,
                unsupported: u.unsupported,
                functions: u.functions,
                external: u.external,
            }
        })
        .collect();
    rules.sort_by(|a, b| (&a.id, &a.content_hash).cmp(&(&b.id, &b.content_hash)));

    let mut hashes: Vec<&str> = rules.iter().map(|r| r.content_hash.as_str()).collect();
    hashes.sort_unstable();
    let catalog_hash = sha256_hex(hashes.join("\n").as_bytes());
    Ok(Bundle {
        format_version: BUNDLE_FORMAT_VERSION,
        rulecat_version: env!("CARGO_PKG_VERSION").to_string(),
        catalog_hash,
        created: source_date(),
        stats: BundleStats {
            rule_files,
            rules: rules.len(),
            duplicate_rules: rule_files - rules.len(),
            indicator_uses,
            indicators: indicators.len(),
        },
        indicators,
        rules,
    })
}

fn remap(p: &mut Predicate, f: &dyn Fn(usize) -> usize) {
    match p {
        Predicate::Indicator { indicator } => *indicator = f(*indicator),
        Predicate::And { all: v } | Predicate::Or { any: v } => {
            v.iter_mut().for_each(|q| remap(q, f))
        }
        Predicate::Not { not } => remap(not, f),
        Predicate::True
        | Predicate::Compare { .. }
        | Predicate::Between { .. }
        | Predicate::IsEmpty { .. } => {}
    }
}

/// The bundle as pretty JSON with a final newline.
pub fn to_json(bundle: &Bundle) -> String {
    let mut s = serde_json::to_string_pretty(bundle).expect("bundle serializes");
    s.push('\n');
    s
}

/// Reads a bundle, checking its format version and every reference in it (see
/// [`validate_bundle`]).
pub fn read_bundle(path: &Path) -> Result<Bundle, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let b: Bundle = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not a rulecat bundle: {e}", path.display()))?;
    if b.format_version != BUNDLE_FORMAT_VERSION {
        return Err(format!(
            "`{}` has bundle format {}, this rulecat reads format {BUNDLE_FORMAT_VERSION}",
            path.display(),
            b.format_version
        ));
    }
    validate_bundle(&b).map_err(|e| format!("`{}` is not a valid bundle: {e}", path.display()))?;
    Ok(b)
}

/// Checks what the types cannot: each indicator's `id` is its index, every predicate's
/// indicator exists, and every rule an indicator names is in the bundle. A bundle edited by
/// hand or by another tool must be rejected here, never reach the matcher.
pub fn validate_bundle(b: &Bundle) -> Result<(), String> {
    for (i, ind) in b.indicators.iter().enumerate() {
        if ind.id != i {
            return Err(format!(
                "indicators[{i}] has id {}; an indicator's id must be its index",
                ind.id
            ));
        }
    }
    let rule_ids: BTreeSet<&str> = b.rules.iter().map(|r| r.id.as_str()).collect();
    for (i, ind) in b.indicators.iter().enumerate() {
        if let Some(r) = ind.rules.iter().find(|r| !rule_ids.contains(r.as_str())) {
            return Err(format!(
                "indicators[{i}] is used by rule `{r}`, which is not in the bundle"
            ));
        }
    }
    fn check(p: &Predicate, n: usize, rule: &str, path: &mut String) -> Result<(), String> {
        match p {
            Predicate::Indicator { indicator } if *indicator >= n => Err(format!(
                "rule `{rule}` refers to indicator {indicator} at {path}, but the bundle has {n} indicator{}",
                if n == 1 { "" } else { "s" }
            )),
            Predicate::And { all: v } | Predicate::Or { any: v } => {
                let key = if matches!(p, Predicate::And { .. }) {
                    "all"
                } else {
                    "any"
                };
                for (i, q) in v.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!(".{key}[{i}]"));
                    check(q, n, rule, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Predicate::Not { not } => {
                let len = path.len();
                path.push_str(".not");
                check(not, n, rule, path)?;
                path.truncate(len);
                Ok(())
            }
            _ => Ok(()),
        }
    }
    for (i, r) in b.rules.iter().enumerate() {
        if let Some(l) = &r.logic {
            let mut path = format!("rules[{i}].logic.predicate");
            check(&l.predicate, b.indicators.len(), &r.id, &mut path)?;
        }
        for (j, p) in r.prefilters.iter().enumerate() {
            let mut path = format!("rules[{i}].prefilters[{j}].predicate");
            check(&p.predicate, b.indicators.len(), &r.id, &mut path)?;
        }
        if r.logic.is_none() && r.unsupported.is_empty() {
            let parsed = crate::kql::parse(&r.query);
            if let Some(e) = parsed.errors.first() {
                return Err(format!(
                    "rule `{}` has no `logic` and its query does not parse: {}",
                    r.id, e.message
                ));
            }
        }
    }
    Ok(())
}
