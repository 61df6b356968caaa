//! Facts rulecat consults, loaded from data files embedded at build time. Each data file
//! records its source and version in its header; the Rust code holds logic, not facts.
//!
//! [`entities`]: Sentinel's entity types and identifiers (`knowledge/entities.toml`).
//!
//! This module: remote-management tools that the query lints and `rulecat coverage`
//! consult (names, binaries, domains, code-signing subjects and file companies).
//!
//! The built-in facts are `knowledge/rmm.toml`, derived from LOLRMM
//! (<https://github.com/magicsword-io/LOLRMM>, Apache-2.0) by [`derive`] (the `gen-knowledge`
//! binary) with the hand corrections of `knowledge/corrections.toml`; both files record
//! where each fact came from. Users add and override tools in `rulecat.toml`
//! (`[knowledge] file = "..."` and `[[knowledge.tool]]`, see [`crate::config`]).
//!
//! This module holds the lookups (which tool a title names, which tools a signer term or a
//! domain belongs to); the facts live in the data files.

pub mod attack;
pub mod azure_services;
pub mod derive;
pub mod entities;
pub mod misspellings;
pub mod retired_tables;
pub mod solution_parsers;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::kql::strops::{self as ops, StrOpKind};

/// The built-in knowledge file (generated; see [`derive`]).
pub const BUILTIN_TOML: &str = include_str!("../../knowledge/rmm.toml");

/// Where the facts came from.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub repository: String,
    pub commit: String,
    pub date: String,
    pub license: String,
}

/// One remote-management tool.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub website: String,
    /// Other names of the tool (product lines, former names), hand-added in the corrections.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Executable file names (may hold `*` wildcards).
    #[serde(default)]
    pub binaries: Vec<String>,
    /// Installation folders.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Domains it talks to; `*.x.com` means any host under `x.com`.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Code-signing certificate subjects.
    #[serde(default)]
    pub signers: Vec<String>,
    /// Version-info company names.
    #[serde(default)]
    pub companies: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    tool: Vec<Tool>,
}

/// The tools and the lookups over them.
#[derive(Debug, Default)]
pub struct Knowledge {
    pub source: Source,
    pub tools: Vec<Tool>,
    /// Normalised name (and alias, and name variant) → tools.
    names: BTreeMap<String, Vec<usize>>,
    /// Every signer and company, once, with the tools that list it.
    subjects: Vec<(String, Vec<usize>)>,
    /// Normalised domain (without `*.`) → tools (only looked up, never iterated).
    domains: std::collections::HashMap<String, Vec<usize>, foldhash::fast::FixedState>,
    /// Each tool's [`name_variants`], normalised with [`norm`], index-aligned with `tools`.
    variant_norms: Vec<Vec<String>>,
    /// [`Knowledge::tool_named`]'s answers: every rule's title is looked up by several lints.
    named_cache: std::sync::Mutex<std::collections::HashMap<String, Option<usize>>>,
    /// [`Knowledge::subjects_matching`]'s answers (indices into `subjects`): catalogs
    /// repeat the same signer and company filters across many rules.
    subjects_cache: std::sync::Mutex<SubjectsCache>,
}

/// `(operator, value)` → the indices of the subjects it selects.
type SubjectsCache =
    std::collections::HashMap<(StrOpKind, Box<str>), Box<[u32]>, foldhash::fast::FixedState>;

/// At most this many answers are remembered (a bound on memory for huge catalogs).
const SUBJECTS_CACHE_MAX: usize = 1 << 14;

/// A signing subject or company a filter value selects, with the tools it belongs to.
#[derive(Clone, Debug)]
pub struct SubjectHit<'a> {
    pub subject: &'a str,
    pub tools: &'a [usize],
}

impl Knowledge {
    /// Parses a knowledge file (the built-in format).
    pub fn parse(text: &str) -> Result<Knowledge, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut k = Knowledge {
            source: f.source.unwrap_or_default(),
            tools: f.tool,
            ..Knowledge::default()
        };
        k.index();
        Ok(k)
    }

    /// A copy with `extra` tools added; a tool with the same name (case and spacing
    /// ignored) replaces every field the user gives (non-empty) of the built-in one.
    pub fn with_overrides(&self, extra: &[Tool]) -> Knowledge {
        let mut tools = self.tools.clone();
        for t in extra {
            let key = norm(&t.name);
            match tools.iter_mut().find(|x| norm(&x.name) == key) {
                Some(x) => {
                    let repl = |dst: &mut Vec<String>, src: &Vec<String>| {
                        if !src.is_empty() {
                            *dst = src.clone();
                        }
                    };
                    repl(&mut x.aliases, &t.aliases);
                    repl(&mut x.binaries, &t.binaries);
                    repl(&mut x.paths, &t.paths);
                    repl(&mut x.domains, &t.domains);
                    repl(&mut x.signers, &t.signers);
                    repl(&mut x.companies, &t.companies);
                    if !t.category.is_empty() {
                        x.category = t.category.clone();
                    }
                    if !t.website.is_empty() {
                        x.website = t.website.clone();
                    }
                }
                None => tools.push(t.clone()),
            }
        }
        let mut k = Knowledge {
            source: self.source.clone(),
            tools,
            ..Knowledge::default()
        };
        k.index();
        k
    }

    fn index(&mut self) {
        let mut names: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut subjects: BTreeMap<String, (String, BTreeSet<usize>)> = BTreeMap::new();
        let mut domains: std::collections::HashMap<String, Vec<usize>, _> =
            std::collections::HashMap::with_hasher(foldhash::fast::FixedState::default());
        // Exact names first, then the part before a parenthesis, then aliases and the
        // rest, so a name maps to its own tool before tools that merely mention it
        // (`Kaseya` → `Kaseya (VSA)`, not `Electric AI (Kaseya)`).
        let mut ranked: Vec<(usize, usize, String)> = Vec::new();
        for (i, t) in self.tools.iter().enumerate() {
            for (rank, n) in ranked_variants(t) {
                let n = norm(&n);
                if n.len() >= 3 {
                    ranked.push((rank, i, n));
                }
            }
        }
        ranked.sort();
        for (_, i, n) in ranked {
            let v = names.entry(n).or_default();
            if !v.contains(&i) {
                v.push(i);
            }
        }
        for (i, t) in self.tools.iter().enumerate() {
            for s in t.signers.iter().chain(&t.companies) {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                subjects
                    .entry(s.to_lowercase())
                    .or_insert_with(|| (s.to_string(), BTreeSet::new()))
                    .1
                    .insert(i);
            }
            for d in &t.domains {
                let d = domain_key(d);
                if d.contains('.') && !d.contains('*') {
                    let v = domains.entry(d).or_default();
                    if !v.contains(&i) {
                        v.push(i);
                    }
                }
            }
        }
        self.names = names;
        self.variant_norms = self
            .tools
            .iter()
            .map(|t| name_variants(t).iter().map(|n| norm(n)).collect())
            .collect();
        self.subjects = subjects
            .into_values()
            .map(|(s, t)| (s, t.into_iter().collect()))
            .collect();
        self.domains = domains;
    }

    /// The tool a name (a title's product, `ZohoAssist`, `DattoRMM`) refers to: an exact
    /// name, alias or name variant; else the one tool whose name extends it (`PDQ` → PDQ
    /// Connect, `FleetDeck` → FleetDeck.io), if only one does; else the longest tool name
    /// it extends (`parsec.app` → Parsec).
    pub fn tool_named(&self, name: &str) -> Option<usize> {
        if let Ok(cache) = self.named_cache.lock()
            && let Some(&hit) = cache.get(name)
        {
            return hit;
        }
        let found = self.tool_named_uncached(name);
        if let Ok(mut cache) = self.named_cache.lock() {
            cache.insert(name.to_string(), found);
        }
        found
    }

    fn tool_named_uncached(&self, name: &str) -> Option<usize> {
        let n = norm(name);
        if n.len() < 3 {
            return None;
        }
        if let Some(v) = self.names.get(&n) {
            return v.first().copied();
        }
        // A tool's name extends the title's (`PDQ` → PDQ Connect), when only one does:
        // `GoTo` is a vendor with several products, not one tool.
        let mut longer: Vec<usize> = self
            .names
            .iter()
            .filter(|(k, _)| k.starts_with(&n))
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        longer.sort_unstable();
        longer.dedup();
        if longer.len() == 1 {
            return Some(longer[0]);
        }
        // The title's name extends a tool's (`parsec.app` → Parsec, `BarracudaRMM` →
        // Barracuda): the longest such tool name.
        if let Some((_, v)) = self
            .names
            .iter()
            .filter(|(k, _)| k.len() >= 4 && n.starts_with(k.as_str()))
            .max_by_key(|(k, _)| k.len())
        {
            return v.first().copied();
        }
        None
    }

    /// Tool `i`'s [`name_variants`], each normalised with [`norm`] (computed once).
    pub fn variant_norms(&self, i: usize) -> &[String] {
        self.variant_norms.get(i).map_or(&[], Vec::as_slice)
    }

    /// The tool with exactly this name, alias or name variant (case and spacing ignored).
    pub fn tool_exact(&self, name: &str) -> Option<usize> {
        self.names.get(&norm(name)).and_then(|v| v.first().copied())
    }

    /// Every known subject (signer or company) that `field has value` selects, by KQL's
    /// `has` semantics (the matcher's own implementation).
    pub fn subjects_matching(&self, op: StrOpKind, value: &str) -> Vec<SubjectHit<'_>> {
        let hit = |i: &u32| {
            let (s, t) = &self.subjects[*i as usize];
            SubjectHit {
                subject: s,
                tools: t,
            }
        };
        let key = (op, Box::<str>::from(value));
        if let Ok(cache) = self.subjects_cache.lock()
            && let Some(found) = cache.get(&key)
        {
            return found.iter().map(hit).collect();
        }
        let found: Box<[u32]> = (0u32..)
            .zip(&self.subjects)
            .filter(|(_, (s, _))| ops::eval(op, s, value))
            .map(|(i, _)| i)
            .collect();
        let out = found.iter().map(hit).collect();
        if let Ok(mut cache) = self.subjects_cache.lock()
            && cache.len() < SUBJECTS_CACHE_MAX
        {
            cache.insert(key, found);
        }
        out
    }

    /// The tools that list a domain, or a parent of it (`x.assist.zoho.com` → the tools of
    /// `zoho.com`, `assist.zoho.com`).
    pub fn domain_tools(&self, domain: &str) -> BTreeSet<usize> {
        // `domain_key` without an allocation when the value already is its own key.
        let d: std::borrow::Cow<'_, str> = if domain.is_empty()
            || domain.starts_with("*.")
            || domain.ends_with('.')
            || domain.starts_with(char::is_whitespace)
            || domain.ends_with(char::is_whitespace)
            || domain.bytes().any(|b| b.is_ascii_uppercase())
        {
            domain_key(domain).into()
        } else {
            domain.into()
        };
        let mut out = BTreeSet::new();
        let mut rest = &*d;
        loop {
            if let Some(v) = self.domains.get(rest) {
                out.extend(v.iter().copied());
            }
            match rest.find('.') {
                Some(i) if rest[i + 1..].contains('.') => rest = &rest[i + 1..],
                _ => break,
            }
        }
        out
    }

    /// Every distinctive name word of every tool (for the spelling lint).
    pub fn words(&self) -> BTreeSet<String> {
        let mut s = BTreeSet::new();
        for t in &self.tools {
            for n in name_variants(t)
                .into_iter()
                .chain(t.signers.iter().cloned())
                .chain(t.companies.iter().cloned())
            {
                s.extend(ops::terms(&n).map(|(_, w)| w.to_lowercase()));
                s.insert(norm(&n));
            }
        }
        s
    }
}

/// The built-in knowledge.
pub fn builtin() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::parse(BUILTIN_TOML).expect("knowledge/rmm.toml is valid"))
}

/// `s` lowercased with everything but letters and digits removed.
pub fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A domain as a lookup key: lowercased, without `*.`, a trailing dot or spaces.
pub fn domain_key(d: &str) -> String {
    let d = d.trim().trim_end_matches('.');
    d.strip_prefix("*.").unwrap_or(d).to_ascii_lowercase()
}

/// The names a tool goes by: its name, the part before a parenthesis and the parenthesised
/// part (`Kaseya (VSA)` → `Kaseya`, `VSA`; `NinjaOne (formerly NinjaRMM)` → `NinjaRMM`),
/// aliases, and binary names without extension.
pub fn name_variants(t: &Tool) -> Vec<String> {
    ranked_variants(t).into_iter().map(|(_, n)| n).collect()
}

/// [`name_variants`] with a rank: 0 the name, 1 the part before a parenthesis, 2 aliases,
/// 3 the rest.
fn ranked_variants(t: &Tool) -> Vec<(usize, String)> {
    let mut out = vec![(0, t.name.clone())];
    if let Some((head, tail)) = t.name.split_once('(') {
        out.push((1, head.trim().to_string()));
        let inner = tail.trim_end_matches(')').trim();
        let inner = ["formerly ", "now ", "aka ", "also known as ", "known as "]
            .iter()
            .fold(inner.to_string(), |acc, p| {
                if acc.to_lowercase().starts_with(p) {
                    acc[p.len()..].to_string()
                } else {
                    acc
                }
            });
        if inner.len() >= 4 {
            out.push((3, inner));
        }
        out.push((3, format!("{}{}", head.trim(), tail.trim_end_matches(')'))));
    }
    out.extend(t.aliases.iter().map(|a| (2, a.clone())));
    for b in &t.binaries {
        let file = b.rsplit(['\\', '/']).next().unwrap_or(b);
        let stem = file
            .strip_suffix(".exe")
            .or_else(|| file.strip_suffix(".EXE"))
            .unwrap_or(file);
        if !stem.contains('*') && stem.len() >= 5 && !stem.contains('.') {
            out.push((3, stem.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_resolves_titles() {
        let k = builtin();
        assert!(k.tools.len() > 250);
        let name = |t: &str| k.tool_named(t).map(|i| k.tools[i].name.as_str());
        assert_eq!(name("ZohoAssist"), Some("Zoho Assist"));
        assert_eq!(name("parsec.app"), Some("Parsec"));
        assert_eq!(name("TeamViewer"), Some("TeamViewer"));
        assert_eq!(name("DattoRMM"), Some("CentraStage (Now Datto)"));
        assert_eq!(name("All Tools"), None);
    }

    #[test]
    fn subjects_follow_has_semantics() {
        let k = builtin();
        let hits = k.subjects_matching(StrOpKind::Has, "Zoho");
        assert!(
            hits.iter()
                .any(|h| h.subject == "ZOHO Corporation Private Limited")
        );
        let tools: BTreeSet<usize> = hits.iter().flat_map(|h| h.tools.iter().copied()).collect();
        assert!(tools.len() >= 3, "{tools:?}");
        assert!(k.subjects_matching(StrOpKind::Has, "Zo").is_empty());
    }

    #[test]
    fn domains_resolve_through_parents() {
        let k = builtin();
        let t = k.domain_tools("x.fleetdeck.io");
        assert!(t.iter().any(|&i| k.tools[i].name.starts_with("FleetDeck")));
    }
}
