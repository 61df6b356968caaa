//! `rulecat coverage`: which remote-management tools of the knowledge file a catalog
//! detects, and by which means (process, file signature, network), and which it misses.
//!
//! A rule detects a tool when its title is about that tool (`... - AnyDesk - ...`), or when
//! its query's strings name the tool's signer or company, one of its binaries, or one of
//! its domains (so a rule over a datatable of many tools' domains covers each of them).
//! The means is the kind of evidence the rule's tables give: `process` (process, image-load
//! or file events), `signature` (`DeviceFileCertificateInfo`), `network` (network, DNS or
//! URL events), else `other`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::checked::Checked;
use crate::knowledge::Knowledge;
use crate::kql::strops::{self as ops, StrOpKind};
use crate::lint::rmm;

/// How a catalog covers the knowledge file's tools.
#[derive(Debug, Serialize)]
pub struct Coverage {
    /// Rules read.
    pub rules: usize,
    /// Tools of the knowledge file.
    pub tools: usize,
    /// Tools with at least one rule.
    pub covered: usize,
    /// Per tool, sorted by name.
    pub entries: Vec<ToolCoverage>,
}

/// One tool's coverage.
#[derive(Debug, Serialize)]
pub struct ToolCoverage {
    pub tool: String,
    pub category: String,
    /// Means → the rules (paths) that give it.
    pub means: BTreeMap<String, Vec<String>>,
    /// Means the knowledge file has facts for but no rule uses (`signature` when the tool
    /// has known signers, `network` when it has known domains, `process` when it has known
    /// binaries).
    pub missing: Vec<String>,
}

fn means_of(tables: &[String]) -> BTreeSet<&'static str> {
    let mut m = BTreeSet::new();
    for t in tables {
        match t.as_str() {
            "DeviceFileCertificateInfo" => {
                m.insert("signature");
            }
            "DeviceNetworkEvents"
            | "DeviceNetworkInfo"
            | "UrlClickEvents"
            | "DnsEvents"
            | "CommonSecurityLog"
            | "ASimNetworkSessionLogs" => {
                m.insert("network");
            }
            "DeviceProcessEvents"
            | "DeviceImageLoadEvents"
            | "DeviceFileEvents"
            | "DeviceEvents"
            | "DeviceRegistryEvents"
            | "SecurityEvent"
            | "DeviceTvmSoftwareInventory" => {
                m.insert("process");
            }
            _ => {}
        }
    }
    if m.is_empty() {
        m.insert("other");
    }
    m
}

/// The tools a rule's strings name (signer, company, binary or domain).
fn tools_named(k: &Knowledge, strings: &[&str]) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for s in strings {
        let v = s.trim();
        if v.len() < 4 {
            continue;
        }
        if v.contains('.') && !v.contains(char::is_whitespace) {
            out.extend(k.domain_tools(v));
        }
        for (i, t) in k.tools.iter().enumerate() {
            if t.binaries.iter().any(|b| b.eq_ignore_ascii_case(v))
                || t.signers.iter().chain(&t.companies).any(|c| {
                    c.eq_ignore_ascii_case(v)
                        || (v.contains(' ') && ops::eval(StrOpKind::Has, c, v))
                })
            {
                out.insert(i);
            }
        }
    }
    out
}

/// Computes the coverage of a checked catalog against its configuration's knowledge.
pub fn coverage(checked: &Checked) -> Coverage {
    let k = checked.config.knowledge();
    let mut means: Vec<BTreeMap<String, BTreeSet<String>>> = vec![BTreeMap::new(); k.tools.len()];
    for (rule, a) in checked.rules.iter().zip(&checked.analyzed) {
        let tables: Vec<String> = a.analysis.tables.iter().map(|t| t.name.clone()).collect();
        let m = means_of(&tables);
        let strings: Vec<&str> = rmm::all_strings(&a.parsed.query)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let mut tools = tools_named(k, &strings);
        if let Some(t) = rmm::title_subject(k, &rule.rule.name).tool() {
            tools.insert(t);
        }
        let path = rule.path.display().to_string();
        for t in tools {
            for mean in &m {
                means[t]
                    .entry(mean.to_string())
                    .or_default()
                    .insert(path.clone());
            }
        }
    }
    let mut entries: Vec<ToolCoverage> = k
        .tools
        .iter()
        .zip(means)
        .map(|(t, m)| {
            let mut missing = Vec::new();
            for (mean, has_facts) in [
                ("process", !t.binaries.is_empty()),
                ("signature", !t.signers.is_empty()),
                ("network", t.domains.iter().any(|d| d.contains('.'))),
            ] {
                if has_facts && !m.contains_key(mean) {
                    missing.push(mean.to_string());
                }
            }
            ToolCoverage {
                tool: t.name.clone(),
                category: t.category.clone(),
                means: m
                    .into_iter()
                    .map(|(k, v)| (k, v.into_iter().collect()))
                    .collect(),
                missing,
            }
        })
        .collect();
    entries.sort_by_key(|e| e.tool.to_lowercase());
    Coverage {
        rules: checked.rules.len(),
        tools: entries.len(),
        covered: entries.iter().filter(|e| !e.means.is_empty()).count(),
        entries,
    }
}

/// The coverage as a text table: covered tools first (with their means and rule
/// counts), then the count and names of the tools no rule detects.
pub fn render_table(c: &Coverage, all: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} of {} tools in the knowledge file are detected by {} rules\n\n",
        c.covered, c.tools, c.rules
    ));
    let width = c
        .entries
        .iter()
        .filter(|e| !e.means.is_empty())
        .map(|e| e.tool.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    out.push_str(&format!(
        "{:<width$}  {:>7}  {:>9}  {:>7}  not covered by\n",
        "tool", "process", "signature", "network"
    ));
    let n = |e: &ToolCoverage, m: &str| {
        e.means
            .get(m)
            .map_or("-".to_string(), |v| v.len().to_string())
    };
    for e in c.entries.iter().filter(|e| !e.means.is_empty()) {
        out.push_str(&format!(
            "{:<width$}  {:>7}  {:>9}  {:>7}  {}\n",
            e.tool,
            n(e, "process"),
            n(e, "signature"),
            n(e, "network"),
            if e.missing.is_empty() {
                "-".to_string()
            } else {
                e.missing.join(", ")
            }
        ));
    }
    let missed: Vec<&str> = c
        .entries
        .iter()
        .filter(|e| e.means.is_empty())
        .map(|e| e.tool.as_str())
        .collect();
    out.push_str(&format!("\n{} tools have no rule", missed.len()));
    if all {
        out.push_str(":\n");
        for m in missed {
            out.push_str(&format!("  {m}\n"));
        }
    } else {
        out.push_str(" (--all lists them)\n");
    }
    out
}
