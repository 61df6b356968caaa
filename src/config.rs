//! `rulecat.toml`: per-catalog configuration, found by walking up from the first input
//! path. Unknown keys are errors, so a typo in the configuration never silently turns
//! a lint off.
//!
//! ```toml
//! [lints]                      # per-lint level: error | warning | note | allow
//! overbroad-signer = "error"
//! scalar-tactics = "allow"
//!
//! [paths]
//! exclude = ["drafts/**"]     # relative to this file's folder; added to --exclude
//! force-exclude = true         # also for files named on the command line
//!
//! [vocabulary]
//! words = ["Splashtop", "NinjaOne"]   # accepted product words for the spelling lint
//!
//! [overbroad-signer]
//! accepted = ["Microsoft Corporation"] # signer values accepted as precise enough
//!
//! [kinds]                      # kind of file per path glob, instead of detection
//! "Parsers/**" = "function"
//!
//! [knowledge]                  # remote-management facts added to or overriding the built-in
//! file = "rmm-tools.toml"      # ones (knowledge/rmm.toml's format, relative to this file)
//! [[knowledge.tool]]           # or inline: a tool with a built-in tool's name replaces
//! name = "Zoho Assist"         # the fields it gives
//! signers = ["ZOHO Corporation Private Limited"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::diagnostics::Severity;
use crate::knowledge::{Knowledge, Tool};

pub const FILE_NAME: &str = crate::loading::CONFIG_FILE;

/// A configured level for a lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
    /// The lint is off.
    Allow,
}

impl Level {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Note => Some(Severity::Note),
            Level::Allow => None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Lint name (or code) → level.
    #[serde(default)]
    pub lints: BTreeMap<String, Level>,
    #[serde(default)]
    pub paths: Paths,
    #[serde(default)]
    pub vocabulary: Vocabulary,
    #[serde(default, rename = "overbroad-signer")]
    pub overbroad_signer: OverbroadSigner,
    /// Path glob → kind of file (`hunting-query`, `scheduled`, `function`, `query`, ...),
    /// relative to this file's folder; the longest matching glob wins. Without an entry
    /// the kind is detected from the content.
    #[serde(default)]
    pub kinds: BTreeMap<String, String>,
    #[serde(default)]
    pub knowledge: KnowledgeConfig,
    /// The built-in knowledge with `[knowledge]` applied, when it adds anything.
    #[serde(skip)]
    resolved_knowledge: Option<Arc<Knowledge>>,
    /// Custom tables, functions and watchlists the catalog's queries may use.
    #[serde(default)]
    pub workspace: crate::loading::workspace::WorkspaceConfig,
    /// `externaldata` URL → the local file the engine reads for it (relative to this
    /// file's folder): `rulecat query`, `test` and `match` bind them, `compile` reports the
    /// rules whose URLs have no binding.
    #[serde(default)]
    pub external: BTreeMap<String, PathBuf>,
    /// Where the configuration was read from (not a key of the file).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    /// Globs relative to this file's folder (gitignore-style).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Apply `exclude` to files named on the command line too, as `--force-exclude` does.
    #[serde(default, rename = "force-exclude")]
    pub force_exclude: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Words the spelling lint accepts (product and vendor names, jargon).
    #[serde(default)]
    pub words: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverbroadSigner {
    /// Signer values accepted as precise enough.
    #[serde(default)]
    pub accepted: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeConfig {
    /// A file of tools in `knowledge/rmm.toml`'s format, relative to `rulecat.toml`.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// Tools given inline; later entries win over the file's.
    #[serde(default)]
    pub tool: Vec<Tool>,
}

/// What `rulecat.toml` gives the KQL engine ([`Config::engine_inputs`]).
#[derive(Clone, Debug, Default)]
pub struct EngineInputs {
    pub functions: BTreeMap<String, crate::loading::workspace::Function>,
    pub external: BTreeMap<String, PathBuf>,
    /// Problems reading the `[workspace]` files, as located messages.
    pub problems: Vec<String>,
}

/// A configuration that cannot be used (exit code 2).
#[derive(Debug)]
pub struct ConfigError(pub String);

impl Config {
    /// Finds `rulecat.toml` in `start` (a folder, or a file's folder) or any parent.
    pub fn discover(start: &Path) -> Result<Config, ConfigError> {
        let abs = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = if abs.is_dir() {
            Some(abs.as_path())
        } else {
            abs.parent()
        };
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Config::load(&candidate);
            }
            dir = d.parent();
        }
        Ok(Config::default())
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read `{}`: {e}", path.display())))?;
        let mut c = Config::parse(&text)
            .map_err(|e| ConfigError(format!("invalid `{}`: {e}", path.display())))?;
        c.resolve_knowledge(path.parent())
            .map_err(|e| ConfigError(format!("invalid `{}`: {e}", path.display())))?;
        c.source = Some(path.to_path_buf());
        Ok(c)
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let mut c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        c.validate()?;
        if c.knowledge.file.is_none() {
            c.resolve_knowledge(None)?;
        }
        Ok(c)
    }

    /// The `[kinds]` globs as loader overrides, most specific (longest) glob first.
    pub fn kind_overrides(&self) -> Result<crate::loading::load::KindOverrides, String> {
        let mut pairs: Vec<(String, String)> = self
            .kinds
            .iter()
            .map(|(g, k)| (g.clone(), k.clone()))
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let base = self
            .source
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        crate::loading::load::KindOverrides::new(&pairs, base)
    }

    /// Every lint named in `[lints]` must exist.
    fn validate(&self) -> Result<(), String> {
        self.kind_overrides()?;
        for key in self.lints.keys() {
            if crate::diagnostics::find_code(key).is_none() {
                let names: Vec<&str> = crate::diagnostics::all_codes()
                    .iter()
                    .map(|c| c.name)
                    .collect();
                let hint = crate::suggest::closest(key, names)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(format!("[lints]: unknown lint `{key}`{hint}"));
            }
        }
        Ok(())
    }

    /// Applies `[knowledge]`: reads `file` (relative to `base`) and the inline tools.
    fn resolve_knowledge(&mut self, base: Option<&Path>) -> Result<(), String> {
        let mut extra = Vec::new();
        if let Some(f) = &self.knowledge.file {
            let path = base.map_or_else(|| f.clone(), |b| b.join(f));
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("[knowledge] file `{}`: {e}", path.display()))?;
            let k = Knowledge::parse(&text)
                .map_err(|e| format!("[knowledge] file `{}`: {e}", path.display()))?;
            extra.extend(k.tools);
        }
        extra.extend(self.knowledge.tool.iter().cloned());
        if let Some(t) = extra.iter().find(|t| t.name.trim().is_empty()) {
            return Err(format!("[knowledge]: a tool without a name ({t:?})"));
        }
        self.resolved_knowledge = (!extra.is_empty())
            .then(|| Arc::new(crate::knowledge::builtin().with_overrides(&extra)));
        Ok(())
    }

    /// The remote-management knowledge in force: the built-in facts with `[knowledge]`.
    pub fn knowledge(&self) -> &Knowledge {
        self.resolved_knowledge
            .as_deref()
            .unwrap_or_else(|| crate::knowledge::builtin())
    }

    /// The folder that relative paths of the configuration are resolved against: the
    /// folder of `rulecat.toml`, else the current folder.
    pub fn base_dir(&self) -> PathBuf {
        match self.source.as_deref().and_then(Path::parent) {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The `[external]` bindings with their files resolved against [`Config::base_dir`].
    pub fn external_files(&self) -> BTreeMap<String, PathBuf> {
        let base = self.base_dir();
        self.external
            .iter()
            .map(|(url, path)| (url.clone(), base.join(path)))
            .collect()
    }

    /// What the KQL engine takes from the configuration for `rulecat query` and `rulecat
    /// test`: the functions `[workspace]` declares (with the problems reading them, as
    /// messages) and the `[external]` files.
    pub fn engine_inputs(&self) -> EngineInputs {
        let ws = crate::loading::workspace::Workspace::load(&self.workspace, &self.base_dir());
        EngineInputs {
            functions: ws.functions,
            external: self.external_files(),
            problems: ws
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.path.display(), p.message))
                .collect(),
        }
    }

    /// The configured level of a code, if any (by name or by code).
    pub fn level(&self, code: &crate::diagnostics::CodeInfo) -> Option<Level> {
        self.lints
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(code.name) || k.eq_ignore_ascii_case(code.code))
            .map(|(_, l)| *l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let c =
            Config::parse("[lints]\nunused-let = \"allow\"\n[vocabulary]\nwords = [\"Zoho\"]\n")
                .unwrap();
        assert_eq!(c.lints["unused-let"], Level::Allow);
        assert_eq!(c.vocabulary.words, vec!["Zoho".to_string()]);
        let e = Config::parse("[lint]\n").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        let e = Config::parse("[lints]\nunused-lett = \"allow\"\n").unwrap_err();
        assert!(e.contains("did you mean `unused-let`"), "{e}");
        let e = Config::parse("[lints]\nunused-let = \"loud\"\n").unwrap_err();
        assert!(e.contains("unknown variant"), "{e}");
        let e = Config::parse("[knowledge]\ntools = 1\n").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn knowledge_overrides_and_additions() {
        let c = Config::parse(
            "[[knowledge.tool]]\nname = \"zoho assist\"\nsigners = [\"Zoho Test Signer Ltd\"]\n\
             [[knowledge.tool]]\nname = \"InHouseRemote\"\ndomains = [\"inhouse.example\"]\n",
        )
        .unwrap();
        let k = c.knowledge();
        let zoho = k.tool_named("ZohoAssist").unwrap();
        assert_eq!(
            k.tools[zoho].signers,
            vec!["Zoho Test Signer Ltd".to_string()]
        );
        assert!(
            !k.tools[zoho].domains.is_empty(),
            "fields not given are kept"
        );
        assert!(k.tool_named("InHouseRemote").is_some());
        assert!(
            Config::default()
                .knowledge()
                .tool_named("InHouseRemote")
                .is_none()
        );
    }
}
