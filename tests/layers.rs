//! The layers of `src/` import only downward (ARCHITECTURE.md, "Layers"): every `crate::`
//! path in a source file is checked against the layer order below, and an import of a
//! higher layer fails the test unless it is one of the few listed exceptions, each with
//! its reason. A new upward import, or an exception that no longer exists, fails.

use std::collections::BTreeSet;
use std::path::Path;

/// Layers from the bottom: a module (longest matching prefix) belongs to the layer that
/// lists it; each layer may import its own and lower layers.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation",
        &["diagnostics", "source", "suggest", "fsutil", "declare_code"],
    ),
    ("telemetry input", &["telemetry"]),
    (
        "kql syntax",
        &[
            "kql",
            "kql::ast",
            "kql::lexer",
            "kql::literal",
            "kql::parser",
            "kql::span",
            "kql::strops",
            "kql::time",
            "kql::visit",
            "kql::tests",
        ],
    ),
    ("knowledge", &["knowledge"]),
    ("loading", &["loading"]),
    ("configuration", &["config"]),
    ("kql semantics", &["kql::analyze"]),
    ("engine", &["engine"]),
    ("bundle format", &["compile::bundle"]),
    ("matcher", &["matcher"]),
    ("lint", &["lint", "suppress", "fix"]),
    ("checked catalog", &["checked"]),
    ("compile", &["compile"]),
    ("registry", &["codes"]),
    ("report", &["report"]),
    ("driver", &["coverage", "ruletest", "run", "main", "lib"]),
];

/// Upward imports that remain, with why: (importing module prefix, imported module prefix).
/// None today; an entry names its reason.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn layer_of(module: &str) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, (_, mods)) in LAYERS.iter().enumerate() {
        for m in *mods {
            let hit = module == *m || module.starts_with(&format!("{m}::"));
            if hit && best.is_none_or(|(len, _)| m.len() > len) {
                best = Some((m.len(), i));
            }
        }
    }
    best.map(|(_, i)| i)
}

fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix("src").unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn layers_import_only_downward() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).unwrap();
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    let path_re = regex::Regex::new(r"\bcrate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)").unwrap();
    let mut violations = Vec::new();
    let mut used: BTreeSet<usize> = BTreeSet::new();
    for f in &files {
        let module = module_of(f);
        let Some(from) = layer_of(&module) else {
            violations.push(format!("{}: module `{module}` is in no layer", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for c in path_re.captures_iter(code) {
                let target = &c[1];
                let Some(to) = layer_of(target) else {
                    violations.push(format!(
                        "{}:{}: `crate::{target}` is in no layer",
                        f.display(),
                        n + 1
                    ));
                    continue;
                };
                if to <= from {
                    continue;
                }
                let exception = EXCEPTIONS.iter().position(|(a, b, _)| {
                    (module == *a || module.starts_with(&format!("{a}::")))
                        && (target == *b || target.starts_with(&format!("{b}::")))
                });
                match exception {
                    Some(i) => {
                        used.insert(i);
                    }
                    None => violations.push(format!(
                        "{}:{}: `{module}` ({}) imports `crate::{target}` ({}), a higher layer",
                        f.display(),
                        n + 1,
                        LAYERS[from].0,
                        LAYERS[to].0
                    )),
                }
            }
        }
    }
    for (i, (a, b, _)) in EXCEPTIONS.iter().enumerate() {
        if !used.contains(&i) {
            violations.push(format!(
                "the exception {a} -> {b} is no longer needed: remove it"
            ));
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
