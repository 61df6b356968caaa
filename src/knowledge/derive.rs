//! Derives `knowledge/rmm.toml` from LOLRMM's tool list (`tools.jsonl`, one JSON object per
//! tool) and the hand corrections of `knowledge/corrections.toml`.
//!
//! Per LOLRMM tool: binaries are the executable names of `installation_paths` and of
//! `pe_metadata` (`Filename`, `OriginalFileName`), paths the installation folders, domains
//! the `network` domains (LOLRMM's `user_managed` placeholder dropped), signers and
//! companies as listed. Tools listed twice under the same name are merged. The corrections
//! then remove noisy signer and company links (a subject listed under a tool because a
//! sample bundled someone else's component) and add aliases, each with its reason. The
//! output is deterministic: tools sorted by name, values in source order, duplicates
//! removed.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Source;

#[derive(Deserialize)]
struct LolTool {
    name: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    website: Option<String>,
    #[serde(default)]
    installation_paths: Vec<String>,
    #[serde(default)]
    pe_metadata: Vec<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    network: Vec<LolNetwork>,
    #[serde(default)]
    signers: Vec<String>,
    #[serde(default)]
    file_companies: Vec<String>,
}

#[derive(Deserialize)]
struct LolNetwork {
    #[serde(default)]
    domains: Vec<String>,
}

/// The hand corrections.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corrections {
    pub source: Source,
    /// Subjects removed from a tool LOLRMM lists (a bundled component's signer...).
    #[serde(default)]
    pub unlink: Vec<SubjectEdit>,
    #[serde(default)]
    pub alias: Vec<Alias>,
    #[serde(default)]
    pub add: Vec<Add>,
    /// Subjects added to a tool LOLRMM lists.
    #[serde(default)]
    pub link: Vec<SubjectEdit>,
}

/// A tool LOLRMM does not list, with why it belongs here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Add {
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub signers: Vec<String>,
    #[serde(default)]
    pub companies: Vec<String>,
    pub reason: String,
}

/// Subjects removed from (`unlink`) or added to (`link`) a tool, with why.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectEdit {
    pub tool: String,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub signers: Vec<String>,
    #[serde(default)]
    pub companies: Vec<String>,
    pub reason: String,
}

/// Names added to a tool, with why.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    pub tool: String,
    pub names: Vec<String>,
    pub reason: String,
}

#[derive(Default)]
struct Acc {
    name: String,
    category: String,
    website: String,
    aliases: Vec<String>,
    binaries: Vec<String>,
    paths: Vec<String>,
    domains: Vec<String>,
    signers: Vec<String>,
    companies: Vec<String>,
}

fn push(v: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn is_binary(file: &str) -> bool {
    let l = file.to_ascii_lowercase();
    [".exe", ".msi", ".dll", ".pkg", ".dmg", ".app", ".sh"]
        .iter()
        .any(|e| l.ends_with(e))
}

/// Derives the knowledge file's text. Every correction must apply (a correction naming a
/// tool or a subject that is not there is an error, so a stale correction is noticed).
pub fn derive(tools_jsonl: &str, corrections: &str) -> Result<String, String> {
    let corr: Corrections = toml::from_str(corrections).map_err(|e| format!("corrections: {e}"))?;
    let mut tools: BTreeMap<String, Acc> = BTreeMap::new();
    for (n, line) in tools_jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let t: LolTool =
            serde_json::from_str(line).map_err(|e| format!("tools.jsonl:{}: {e}", n + 1))?;
        let a = tools.entry(t.name.trim().to_lowercase()).or_default();
        if a.name.is_empty() {
            a.name = t.name.trim().to_string();
            a.category = t.category.clone().unwrap_or_default();
            a.website = t.website.clone().unwrap_or_default();
        }
        for p in &t.installation_paths {
            let file = p.rsplit(['\\', '/']).next().unwrap_or(p);
            if is_binary(file) {
                push(&mut a.binaries, file);
            }
            if p.contains(['\\', '/']) {
                let folder = if is_binary(file) {
                    &p[..p.len() - file.len()]
                } else {
                    p.as_str()
                };
                let folder = folder.trim_end_matches('*');
                if folder.trim_matches(['*', '\\', '/']).len() >= 3 {
                    push(&mut a.paths, folder);
                }
            }
        }
        for m in &t.pe_metadata {
            for key in ["Filename", "OriginalFileName"] {
                if let Some(serde_json::Value::String(f)) = m.get(key)
                    && is_binary(f)
                {
                    push(&mut a.binaries, f);
                }
            }
        }
        for net in &t.network {
            for d in &net.domains {
                if d.contains('.') && !d.contains(char::is_whitespace) {
                    push(&mut a.domains, d);
                }
            }
        }
        for s in &t.signers {
            push(&mut a.signers, s);
        }
        for c in &t.file_companies {
            push(&mut a.companies, c);
        }
    }
    for u in &corr.unlink {
        edit_subjects(&mut tools, u, "unlink", |list, r| {
            let before = list.len();
            list.retain(|s| s != r);
            (list.len() != before).then_some(()).ok_or("does not list")
        })?;
    }
    for add in &corr.add {
        let key = add.name.trim().to_lowercase();
        if tools.contains_key(&key) {
            return Err(format!(
                "corrections: add: LOLRMM already lists `{}`",
                add.name
            ));
        }
        let a = tools.entry(key).or_default();
        a.name = add.name.trim().to_string();
        a.category = add.category.clone();
        a.website = add.website.clone();
        for d in &add.domains {
            push(&mut a.domains, d);
        }
        for x in &add.signers {
            push(&mut a.signers, x);
        }
        for x in &add.companies {
            push(&mut a.companies, x);
        }
    }
    for l in &corr.link {
        edit_subjects(&mut tools, l, "link", |list, x| {
            if list.contains(x) {
                return Err("already lists");
            }
            push(list, x);
            Ok(())
        })?;
    }
    for al in &corr.alias {
        let a = tools
            .get_mut(&al.tool.to_lowercase())
            .ok_or_else(|| format!("corrections: alias: no tool `{}`", al.tool))?;
        for n in &al.names {
            push(&mut a.aliases, n);
        }
    }

    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let list = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|s| q(s)).collect();
        format!("[{}]", items.join(", "))
    };
    let s = &corr.source;
    let mut out = String::new();
    out.push_str(
        "# rulecat knowledge: remote-management tools (names, binaries, domains, signers, companies).\n\
         # GENERATED by `cargo run --example gen-knowledge` from LOLRMM's tool list and the hand\n\
         # corrections in knowledge/corrections.toml (each with its reason); do not edit by hand.\n\
         # The facts are LOLRMM's (https://github.com/magicsword-io/LOLRMM), Apache License 2.0:\n\
         # credit to the LOLRMM project and its contributors.\n\n",
    );
    out.push_str(&format!(
        "[source]\nname = {}\nrepository = {}\ncommit = {}\ndate = {}\nlicense = {}\n",
        q(&s.name),
        q(&s.repository),
        q(&s.commit),
        q(&s.date),
        q(&s.license)
    ));
    let mut sorted: Vec<&Acc> = tools.values().collect();
    sorted.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.name.cmp(&b.name))
    });
    for a in sorted {
        out.push_str(&format!("\n[[tool]]\nname = {}\n", q(&a.name)));
        if !a.category.is_empty() {
            out.push_str(&format!("category = {}\n", q(&a.category)));
        }
        if !a.website.is_empty() {
            out.push_str(&format!("website = {}\n", q(&a.website)));
        }
        for (key, v) in [
            ("aliases", &a.aliases),
            ("binaries", &a.binaries),
            ("paths", &a.paths),
            ("domains", &a.domains),
            ("signers", &a.signers),
            ("companies", &a.companies),
        ] {
            if !v.is_empty() {
                out.push_str(&format!("{key} = {}\n", list(v)));
            }
        }
    }
    Ok(out)
}

/// Applies one `link`/`unlink` correction to the named tool's domains, signers and
/// companies; `apply` edits one list for one value, or says why the correction is stale.
fn edit_subjects(
    tools: &mut BTreeMap<String, Acc>,
    e: &SubjectEdit,
    what: &str,
    apply: impl Fn(&mut Vec<String>, &String) -> Result<(), &'static str>,
) -> Result<(), String> {
    let a = tools
        .get_mut(&e.tool.to_lowercase())
        .ok_or_else(|| format!("corrections: {what}: no tool `{}`", e.tool))?;
    for (list, values) in [
        (&mut a.domains, &e.domains),
        (&mut a.signers, &e.signers),
        (&mut a.companies, &e.companies),
    ] {
        for v in values {
            apply(list, v)
                .map_err(|why| format!("corrections: {what}: `{}` {why} `{v}`", e.tool))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORR: &str = "[source]\nname = \"LOLRMM\"\nrepository = \"r\"\ncommit = \"c\"\ndate = \"d\"\nlicense = \"Apache-2.0\"\n\
        [[unlink]]\ntool = \"A\"\nsigners = [\"Bundled Ltd\"]\nreason = \"bundled\"\n";

    #[test]
    fn merges_duplicates_and_applies_corrections() {
        let jsonl = r#"{"name":"A","category":"RMM","installation_paths":["C:\\A\\a.exe"],"network":[{"domains":["*.a.com","user_managed"]}],"signers":["A Inc.","Bundled Ltd"]}
{"name":"A","pe_metadata":[{"Filename":"b.exe"}],"file_companies":["A Inc."]}"#;
        let out = derive(jsonl, CORR).unwrap();
        assert!(out.contains("binaries = [\"a.exe\", \"b.exe\"]"), "{out}");
        assert!(out.contains("domains = [\"*.a.com\"]"), "{out}");
        assert!(out.contains("signers = [\"A Inc.\"]"), "{out}");
        assert_eq!(out.matches("[[tool]]").count(), 1);
        let k = super::super::Knowledge::parse(&out).unwrap();
        assert_eq!(k.tools[0].paths, vec!["C:\\A\\".to_string()]);
    }

    #[test]
    fn stale_corrections_are_errors() {
        let e = derive(r#"{"name":"A","signers":["A Inc."]}"#, CORR).unwrap_err();
        assert!(e.contains("does not list"), "{e}");
    }

    #[test]
    fn links_add_subjects_and_refuse_ones_already_listed() {
        let corr = "[source]\nname = \"L\"\nrepository = \"r\"\ncommit = \"c\"\ndate = \"d\"\nlicense = \"l\"\n\
            [[link]]\ntool = \"A\"\nsigners = [\"A Ltd\"]\ndomains = [\"b.com\"]\nreason = \"own\"\n";
        let out = derive(r#"{"name":"A","network":[{"domains":["a.com"]}]}"#, corr).unwrap();
        assert!(out.contains("domains = [\"a.com\", \"b.com\"]"), "{out}");
        assert!(out.contains("signers = [\"A Ltd\"]"), "{out}");
        let e = derive(r#"{"name":"A","signers":["A Ltd"]}"#, corr).unwrap_err();
        assert!(e.contains("already lists"), "{e}");
        let e = derive(r#"{"name":"B"}"#, corr).unwrap_err();
        assert!(e.contains("no tool"), "{e}");
    }
}
