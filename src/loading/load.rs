//! Stage 2: read a rule file, parse its YAML with exact spans, and validate it.
//!
//! Reading is defensive: a size limit before reading, invalid UTF-8 and empty files
//! reported with their location, a BOM and CRLF line endings accepted, alias bombs and
//! deep nesting stopped by parser limits. The result is a [`LoadedRule`] that keeps the
//! span tree and a [`QueryText`] mapping every byte of the KQL back into the file.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::declare_code;
use crate::diagnostics::{Diagnostic, FileId};
use crate::loading::discover::{UNREADABLE, display_path, io_reason};
use crate::loading::model::{Rule, RuleKind};
use crate::loading::yaml::{self, Limits, Node, Value};

declare_code! {
    /// The file is not valid YAML.
    ///
    /// ## Why it matters
    /// Sentinel cannot import a rule whose YAML does not parse, and nothing else in the file
    /// can be checked.
    ///
    /// A common upstream mistake is a key indented level with the `- ` of the list item above
    /// it, which strict parsers reject:
    /// ```yaml
    /// requiredDataConnectors:
    ///   - connectorId: MicrosoftThreatProtection
    ///   dataTypes:                 # should be 2 spaces further in
    ///     - DeviceNetworkEvents
    /// ```
    ///
    /// ## How to fix
    /// Follow the message: for the mistake above, indent `dataTypes:` (and its list) so it
    /// lines up with `connectorId:`.
    pub static YAML_SYNTAX = {
        code: "Y0001",
        name: "yaml-syntax",
        level: Error,
        summary: "the file is not valid YAML",
    }
}

declare_code! {
    /// The same key appears twice in one mapping.
    ///
    /// ## Why it matters
    /// Most YAML loaders silently keep the last value, so the first one is lost without a
    /// word: two `query:` keys mean only one query runs, and reviewers may read the other.
    ///
    /// ## Example
    /// ```yaml
    /// tactics: CommandAndControl
    /// tactics: Persistence
    /// ```
    ///
    /// ## How to fix
    /// Keep one of them; for lists, merge the values into one list.
    pub static DUPLICATE_KEY = {
        code: "Y0002",
        name: "duplicate-key",
        level: Error,
        summary: "the same key appears twice in one mapping",
    }
}

declare_code! {
    /// The file exceeds a safety limit: too large, nested too deeply, or an alias bomb.
    ///
    /// ## Why it matters
    /// A rule file is a few kilobytes. Files far beyond that, thousands of nested levels, or
    /// anchors and aliases that expand exponentially ("billion laughs") are either mistakes
    /// or attacks, and would make any tool that loads the catalog hang or run out of memory.
    /// rulecat stops at the limit, reports the file, and checks the others.
    ///
    /// ## How to fix
    /// Split or shrink the file. The size limit is `--max-file-size` (default 1 MiB).
    pub static YAML_LIMIT = {
        code: "Y0003",
        name: "yaml-limit",
        level: Error,
        summary: "a file too large, too deeply nested, or an alias bomb",
    }
}

declare_code! {
    /// The file is not valid UTF-8.
    ///
    /// ## Why it matters
    /// YAML is UTF-8; a file saved in another encoding (Windows-1252, UTF-16) is misread by
    /// every tool, and Sentinel rejects it.
    ///
    /// ## How to fix
    /// Re-save the file as UTF-8 (without the invalid bytes the message points at).
    pub static INVALID_UTF8 = {
        code: "Y0004",
        name: "invalid-utf8",
        level: Error,
        summary: "the file is not valid UTF-8",
    }
}

declare_code! {
    /// The file does not hold exactly one rule: it is empty, holds several YAML documents,
    /// or its top level is not a mapping.
    ///
    /// ## Why it matters
    /// A hunting query file holds one rule, written as a mapping of keys (`id:`, `name:`,
    /// `query:` ...). A list, a bare string, or a second `---` document is not a rule.
    ///
    /// ## How to fix
    /// Put one rule in the file, as a mapping; move other documents into files of their own.
    pub static NOT_A_RULE = {
        code: "Y0005",
        name: "not-a-rule",
        level: Error,
        summary: "the file is empty, holds several documents, or is not a mapping",
    }
}

declare_code! {
    /// The `kind` key holds a value that is no kind of rule Sentinel knows.
    ///
    /// ## Why it matters
    /// Sentinel decides how to run a rule from its `kind`: `Scheduled`, `NRT`, `Fusion`,
    /// `MLBehaviorAnalytics` or `MicrosoftSecurityIncidentCreation` (Defender XDR custom
    /// detections use `CustomDetection`). Any other value is refused at import. rulecat
    /// reads the file by its other keys so its query is still checked.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Sheduled
    /// ```
    ///
    /// ## How to fix
    /// Write one of the kinds (the message suggests the closest), or set the kind for the
    /// file's folder in `rulecat.toml` (`[kinds]`).
    pub static UNKNOWN_KIND = {
        code: "S0006",
        name: "unknown-kind",
        level: Error,
        summary: "a `kind` value that is no kind of rule",
    }
}

declare_code! {
    /// The `kind` key contradicts the rest of the file: `kind: Scheduled` in a file with no
    /// schedule and no trigger, as hunting queries copied from analytics rules often have.
    ///
    /// ## Why it matters
    /// Imported as an analytics rule, the file is refused (no `queryFrequency`,
    /// `triggerOperator` ...); imported as a hunting query, `kind` is ignored. Either the
    /// key or the file's folder is wrong. rulecat reads the file by its keys.
    ///
    /// ## How to fix
    /// Remove `kind` from a hunting query, or complete the analytics rule.
    pub static KIND_MISMATCH = {
        code: "S0009",
        name: "kind-mismatch",
        level: Warning,
        summary: "a `kind` value the file's keys contradict",
    }
}

/// Loader settings.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Files larger than this are reported and not read.
    pub max_file_size: u64,
    pub limits: Limits,
    /// Kinds set per path glob (`[kinds]` in `rulecat.toml`), first match wins.
    pub kinds: KindOverrides,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_file_size: 1024 * 1024,
            limits: Limits::default(),
            kinds: KindOverrides::default(),
        }
    }
}

/// Path globs that set a file's kind instead of detecting it.
#[derive(Debug, Clone, Default)]
pub struct KindOverrides {
    rules: Arc<Vec<(globset::GlobMatcher, RuleKind)>>,
    /// Folder the globs are relative to (the configuration file's folder).
    base: Option<PathBuf>,
}

impl KindOverrides {
    /// Builds overrides from `(glob, kind name)` pairs; globs are matched against the
    /// path relative to `base` (and against the path as given).
    pub fn new(pairs: &[(String, String)], base: Option<PathBuf>) -> Result<Self, String> {
        let mut rules = Vec::new();
        for (glob, kind) in pairs {
            let k = RuleKind::from_name(kind).ok_or_else(|| {
                let names: Vec<&str> = RuleKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "[kinds] `{glob}`: unknown kind `{kind}`; kinds are {}",
                    names.join(", ")
                )
            })?;
            let g = globset::Glob::new(glob)
                .map_err(|e| format!("[kinds] invalid glob `{glob}`: {e}"))?;
            rules.push((g.compile_matcher(), k));
        }
        Ok(KindOverrides {
            rules: Arc::new(rules),
            base,
        })
    }

    /// The kind set for `path`, if a glob matches it.
    pub fn kind_of(&self, path: &Path) -> Option<RuleKind> {
        let rel = self
            .base
            .as_deref()
            .and_then(|b| path.strip_prefix(b).ok())
            .or_else(|| path.strip_prefix("./").ok());
        self.rules
            .iter()
            .find(|(g, _)| g.is_match(path) || rel.is_some_and(|r| g.is_match(r)))
            .map(|(_, k)| *k)
    }
}

/// A file that loaded: its kind, its lenient [`Rule`] view, and its query (empty when the
/// kind has none or the file lacks it).
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub file: FileId,
    pub path: PathBuf,
    pub kind: RuleKind,
    pub rule: Rule,
    /// The YAML span tree, for lints that need positions of keys and values (an empty
    /// mapping for bare `.kql` files).
    pub root: Node,
    pub query: QueryText,
    /// Whether the file has a query string (where its kind keeps it).
    pub has_query: bool,
}

impl LoadedRule {
    /// Drops what only the per-rule checks read, once they have run: the YAML tree but for
    /// its top-level `id` and `name` entries (catalog-wide lints point at those), and the
    /// query's text and byte map (`has_query` and the [`Rule`] view stay).
    pub fn trim(&mut self) {
        if let Value::Map(entries) = &mut self.root.value {
            let mut kept = Vec::with_capacity(2);
            for e in std::mem::take(entries) {
                if e.key == "id" || e.key == "name" {
                    kept.push(e);
                }
            }
            *entries = kept;
        }
        self.query = QueryText::default();
    }
}

/// The outcome of loading one file.
#[derive(Debug)]
pub struct Loaded {
    pub file: FileId,
    /// Display name and text, for the run's [`SourceMap`](crate::source::SourceMap) (`add` them in file-id order).
    pub name: String,
    pub text: Arc<str>,
    pub rule: Option<LoadedRule>,
    /// Further rules the same file holds: the second and later alert rules of an ARM
    /// template (each with its own query and spans).
    pub more: Vec<LoadedRule>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads, parses and validates one file. Never panics; every problem is a diagnostic.
/// `file` is the id the caller will give this file in its [`SourceMap`](crate::source::SourceMap).
pub fn load_file(path: &Path, file: FileId, opts: &LoadOptions) -> Loaded {
    match read_file(path, file, opts) {
        Ok(bytes) => load_bytes(display_path(path), &bytes, file, opts),
        Err(failed) => *failed,
    }
}

/// Reads one file's bytes for [`load_bytes`] (with the name [`display_path`] gives it); a
/// file over the size limit or unreadable is the [`Loaded`] that reports it.
pub fn read_file(path: &Path, file: FileId, opts: &LoadOptions) -> Result<Vec<u8>, Box<Loaded>> {
    let fail = |d: Diagnostic, label: &str| {
        Box::new(Loaded {
            file,
            name: display_path(path),
            text: "".into(),
            rule: None,
            more: Vec::new(),
            diagnostics: vec![d.at(file, 0..0, label)],
        })
    };
    match std::fs::metadata(path) {
        Ok(m) if m.len() > opts.max_file_size => {
            return Err(fail(
                Diagnostic::new(
                    &YAML_LIMIT,
                    format!(
                        "the file is {} bytes, over the {}-byte limit; not read",
                        m.len(),
                        opts.max_file_size
                    ),
                )
                .help("rule files are a few kilobytes; raise the limit with --max-file-size if this one is meant to be this large"),
                "file too large",
            ));
        }
        Ok(_) => {}
        Err(e) => {
            return Err(fail(
                Diagnostic::new(
                    &UNREADABLE,
                    format!("cannot read the file: {}", io_reason(&e)),
                ),
                "unreadable",
            ));
        }
    }
    std::fs::read(path).map_err(|e| {
        fail(
            Diagnostic::new(
                &UNREADABLE,
                format!("cannot read the file: {}", io_reason(&e)),
            ),
            "unreadable",
        )
    })
}

/// Loads one rule from standard input (`rulecat lint -`), shown as `name`, with the same
/// size limit as a file.
pub fn load_stdin(name: String, file: FileId, opts: &LoadOptions) -> Loaded {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = opts.max_file_size.saturating_add(1);
    let read = std::io::stdin().lock().take(limit).read_to_end(&mut bytes);
    let fail = |d: Diagnostic, label: &str| Loaded {
        file,
        name: name.clone(),
        text: "".into(),
        rule: None,
        more: Vec::new(),
        diagnostics: vec![d.at(file, 0..0, label)],
    };
    if let Err(e) = read {
        return fail(
            Diagnostic::new(
                &UNREADABLE,
                format!("cannot read standard input: {}", io_reason(&e)),
            ),
            "unreadable",
        );
    }
    if bytes.len() as u64 > opts.max_file_size {
        return fail(
            Diagnostic::new(
                &YAML_LIMIT,
                format!(
                    "standard input is over the {}-byte limit; not read",
                    opts.max_file_size
                ),
            )
            .help("rule files are a few kilobytes; raise the limit with --max-file-size if this one is meant to be this large"),
            "input too large",
        );
    }
    load_bytes(name, &bytes, file, opts)
}

/// Loads a file's bytes (`file`: its id in the caller's [`crate::source::SourceMap`]) (public so tests and benchmarks can load from memory).
pub fn load_bytes(name: String, bytes: &[u8], file: FileId, opts: &LoadOptions) -> Loaded {
    let text: Arc<str> = match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(e) => {
            let lossy: Arc<str> = String::from_utf8_lossy(bytes).into();
            let valid = e.valid_up_to();
            // The same position in the lossy text: the valid prefix is unchanged.
            let bad_len = e.error_len().unwrap_or(bytes.len() - valid);
            let d = Diagnostic::new(
                &INVALID_UTF8,
                format!(
                    "the file is not valid UTF-8: invalid byte{} {} at byte offset {valid}",
                    if bad_len == 1 { "" } else { "s" },
                    bytes[valid..valid + bad_len]
                        .iter()
                        .map(|b| format!("0x{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            )
            .at(
                file,
                valid..valid + '\u{fffd}'.len_utf8(),
                "invalid UTF-8 here",
            )
            .help("re-save the file as UTF-8");
            return Loaded {
                file,
                name,
                text: lossy,
                rule: None,
                more: Vec::new(),
                diagnostics: vec![d],
            };
        }
    };
    let mut loaded = Loaded {
        file,
        name: name.clone(),
        text: text.clone(),
        rule: None,
        more: Vec::new(),
        diagnostics: Vec::new(),
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if body
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        loaded.diagnostics.push(
            Diagnostic::new(&NOT_A_RULE, "the file is empty: it holds no rule")
                .at(file, 0..0, "no YAML content")
                .help("delete the file, or write a rule in it (`rulecat schema` shows the format)"),
        );
        return loaded;
    }
    if crate::loading::discover::is_kql_file(Path::new(&name))
        || opts.kinds.kind_of(Path::new(&name)) == Some(RuleKind::Query)
    {
        loaded.rule = Some(bare_query(file, &name, &text));
        return loaded;
    }
    let root = match yaml::parse(&text, opts.limits) {
        Ok(root) => root,
        Err(e) => {
            loaded.diagnostics.push(yaml_error(file, &text, e));
            return loaded;
        }
    };
    if !matches!(root.value, Value::Map(_)) {
        loaded.diagnostics.push(
            Diagnostic::new(
                &NOT_A_RULE,
                format!(
                    "the top level of a rule must be a mapping of keys, found {}",
                    root.value.kind()
                ),
            )
            .at(file, root.span.clone(), "expected `key: value` lines here"),
        );
        // Raw KQL saved as `.yaml` parses as one plain string: check it as the bare query it
        // is, so its KQL is not lost with the file.
        if let Value::String(s) = &root.value
            && s.contains('|')
            && !body.trim_start().starts_with(['\'', '"'])
        {
            if let Some(d) = loaded.diagnostics.last_mut() {
                d.notes.push("the file's text looks like a KQL query, so it was checked as a bare query (as a `.kql` file is)".into());
            }
            loaded.rule = Some(bare_query(file, &name, &text));
        }
        return loaded;
    }
    let doc = root.to_json();
    let detected = match opts.kinds.kind_of(Path::new(&name)) {
        Some(kind) => crate::loading::model::Detected {
            kind,
            unknown_kind: None,
            mismatch: None,
        },
        None => RuleKind::detect(&doc),
    };
    let kind = detected.kind;
    let mut schema_diags = crate::loading::schema::validate_doc(file, &root, &doc, kind);
    if let Some(value) = detected.unknown_kind {
        loaded
            .diagnostics
            .push(unknown_kind_diagnostic(file, &root, &value, kind));
    }
    if let Some(value) = detected.mismatch {
        // The `kind` key of the hunting query is this finding, not also an unknown key.
        schema_diags.retain(|d| {
            !(d.code == &crate::loading::schema::UNKNOWN_KEY
                && d.message.starts_with("unknown key `kind` in a "))
        });
        let span = root
            .get("kind")
            .map(|e| e.value.span.clone())
            .unwrap_or(0..0);
        loaded.diagnostics.push(
            Diagnostic::new(
                &KIND_MISMATCH,
                format!(
                    "`kind: {value}`, but the file has none of a scheduled rule's keys (`queryFrequency`, `queryPeriod`, `triggerOperator`, `triggerThreshold`): read as a {}",
                    kind.describe()
                ),
            )
            .at(file, span, "contradicted by the file's keys")
            .help("remove `kind` from a hunting query, or add the schedule and trigger of an analytics rule; `[kinds]` in rulecat.toml can set the kind per folder"),
        );
    }
    loaded.diagnostics.extend(schema_diags);
    loaded
        .diagnostics
        .extend(crate::loading::contract::check(file, &root, &doc, kind));
    let query_node = kind.query_pointers().iter().find_map(|p| {
        root.pointer(p)
            .filter(|(n, _)| n.as_str().is_some())
            .map(|(n, _)| n)
    });
    let (query, has_query) = match query_node {
        Some(node) => (QueryText::at(&text, node), true),
        None => (QueryText::default(), false),
    };
    let rule = Rule::from_json(kind, &doc, query.text.clone());
    if kind == RuleKind::ArmTemplate {
        loaded.more = arm_resources(file, &name, &root, &doc, &text);
    }
    loaded.rule = Some(LoadedRule {
        file,
        path: PathBuf::from(name),
        kind,
        rule,
        root,
        query,
        has_query,
    });
    loaded
}

/// The alert rules of an ARM template after the first (the first is the file's own rule):
/// each resource with a `properties.query` string, read as its own rule.
fn arm_resources(
    file: FileId,
    name: &str,
    root: &Node,
    doc: &serde_json::Value,
    text: &str,
) -> Vec<LoadedRule> {
    let count = doc
        .get("resources")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    (1..count)
        .filter_map(|i| {
            let (node, _) = root
                .pointer(&format!("/resources/{i}/properties/query"))
                .filter(|(n, _)| n.as_str().is_some())?;
            let query = QueryText::at(text, node);
            let resource = doc.pointer(&format!("/resources/{i}"))?.clone();
            // The lenient view reads the first resource of a template: give it this one.
            let single = serde_json::json!({ "resources": [resource] });
            let rule = Rule::from_json(RuleKind::ArmTemplate, &single, query.text.clone());
            Some(LoadedRule {
                file,
                path: PathBuf::from(name),
                kind: RuleKind::ArmTemplate,
                rule,
                root: root.clone(),
                query,
                has_query: true,
            })
        })
        .collect()
}

/// A `.kql`/`.csl` file: the whole text is the query.
fn bare_query(file: FileId, name: &str, text: &str) -> LoadedRule {
    let body_start = text.len() - text.trim_start_matches('\u{feff}').len();
    let query = QueryText {
        text: text[body_start..].to_string(),
        segments: vec![(0, body_start)],
    };
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rule = Rule::from_json(
        RuleKind::Query,
        &serde_json::Value::Null,
        query.text.clone(),
    );
    rule.name = stem;
    LoadedRule {
        file,
        path: PathBuf::from(name),
        kind: RuleKind::Query,
        rule,
        root: Node {
            value: Value::Map(Vec::new()),
            span: 0..0,
        },
        has_query: true,
        query,
    }
}

fn unknown_kind_diagnostic(
    file: FileId,
    root: &Node,
    value: &str,
    read_as: RuleKind,
) -> Diagnostic {
    let span = root
        .get("kind")
        .map(|e| e.value.span.clone())
        .unwrap_or(0..0);
    let kinds: Vec<&str> = RuleKind::ALL
        .iter()
        .filter_map(|k| k.kind_value())
        .collect();
    let mut d = Diagnostic::new(
        &UNKNOWN_KIND,
        format!(
            "`kind: {value}` is not a kind of rule; read as a {} by its keys",
            read_as.describe()
        ),
    )
    .at(file, span, "not a kind")
    .note(format!("kinds: {}", kinds.join(", ")));
    if let Some(best) = crate::suggest::closest(value, kinds.iter().copied()) {
        d = d.help(format!("did you mean `{best}`?"));
    }
    d
}

fn yaml_error(file: FileId, text: &str, e: yaml::YamlError) -> Diagnostic {
    let offset = e.offset.unwrap_or(0).min(text.len());
    let span = token_span(text, offset);
    if e.message.starts_with("duplicate key") {
        let mut d = Diagnostic::new(&DUPLICATE_KEY, e.message.clone()).at(
            file,
            span.clone(),
            "defined again here",
        );
        if let Some(first) = first_definition(text, offset) {
            d = d.secondary(file, first, "first defined here");
        }
        return d.help("keep one of them; YAML loaders that accept this silently drop one value");
    }
    if e.message.contains("alias bomb")
        || e.message.contains("nests deeper")
        || e.message.contains("safety limit")
    {
        return Diagnostic::new(&YAML_LIMIT, e.message).at(file, span, "limit reached here");
    }
    if e.message.contains("more than one YAML document") {
        return Diagnostic::new(&NOT_A_RULE, e.message).at(
            file,
            span,
            "a second document starts here",
        );
    }
    if let Some(d) = misindented_key(file, text, offset) {
        return d;
    }
    Diagnostic::new(&YAML_SYNTAX, format!("invalid YAML: {}", e.message)).at(file, span, "here")
}

/// The span of the word at `offset` (at least one byte when the text has one).
fn token_span(text: &str, offset: usize) -> Range<usize> {
    let rest = &text[offset..];
    let len = if rest.starts_with(|c: char| c.is_ascii_punctuation()) {
        1
    } else {
        rest.find(|c: char| {
            c.is_whitespace()
                || c == ':'
                || c.is_ascii_punctuation() && c != '-' && c != '_' && c != '.'
        })
        .unwrap_or(rest.len())
        .min(64)
    };
    let len = if len == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        len
    };
    offset..offset + len
}

fn line_at(text: &str, offset: usize) -> (usize, &str) {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    (start, text[start..end].trim_end_matches('\r'))
}

/// For a duplicate key at `offset`, the earlier `key:` at the same indentation.
fn first_definition(text: &str, offset: usize) -> Option<Range<usize>> {
    let (start, line) = line_at(text, offset);
    let indent = line.len() - line.trim_start().len();
    let key = line.trim_start().split(':').next()?.trim();
    let mut pos = 0;
    for l in text[..start].split_inclusive('\n') {
        let trimmed = l.trim_start();
        let ind = l.len() - trimmed.len();
        if ind == indent
            && let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with(':')
        {
            return Some(pos + ind..pos + ind + key.len());
        }
        pos += l.len();
    }
    None
}

/// Recognises a key written level with the `- ` of the list item above it.
fn misindented_key(file: FileId, text: &str, offset: usize) -> Option<Diagnostic> {
    let (start, line) = line_at(text, offset);
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let key = trimmed.split(':').next()?.trim();
    if key.is_empty() || !trimmed.contains(':') || key.contains(' ') || key.starts_with('-') {
        return None;
    }
    // Look upward for the list item this key should belong to.
    let mut item: Option<(usize, &str)> = None;
    for l in text[..start].lines().rev() {
        let l = l.trim_end_matches('\r');
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = l.len() - t.len();
        if ind < indent {
            return None;
        }
        if ind == indent && t.starts_with("- ") {
            item = Some((ind, t));
            break;
        }
    }
    let (_, item_line) = item?;
    let item_key = item_line[2..]
        .trim_start()
        .split(':')
        .next()
        .unwrap_or("")
        .trim();
    let key_span = start + indent..start + indent + key.len();
    let shift = item_line.len() - item_line[2..].trim_start().len();
    let mut d = Diagnostic::new(
        &YAML_SYNTAX,
        format!("`{key}:` is indented level with the `- ` of the list item above it"),
    )
    .at(file, key_span, format!("`{key}` starts in the same column as the `-`"))
    .note(
        "a key in the same column as a list's `- ` can belong neither to the list item nor to the mapping that holds the list, so the YAML does not parse",
    )
    .help(format!(
        "indent `{key}:` (and everything under it) by {shift} more spaces so it lines up with `{item_key}:` and belongs to that item"
    ));
    if let Some(edits) = reindent_edits(text, start, indent, shift) {
        d = d.with_fix(
            format!("indent `{key}:` and its block by {shift} spaces under `{item_key}:`"),
            edits,
        );
    }
    Some(d)
}

/// The edits that move the key line at `start` (indented `indent`) and its block right by
/// `shift` spaces: the lines below it indented further, and a `- ` list written at the
/// key's own indentation. Offered only when the result is a key of the list item: the
/// edited text must get past this line when parsed again (the fix is certain).
fn reindent_edits(
    text: &str,
    start: usize,
    indent: usize,
    shift: usize,
) -> Option<Vec<crate::diagnostics::Edit>> {
    let pad = " ".repeat(shift);
    let mut edits = vec![crate::diagnostics::Edit {
        span: start..start,
        replacement: pad.clone(),
    }];
    let mut pos = text[start..].find('\n').map(|i| start + i + 1)?;
    let mut own_list = true;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = text[pos..end].trim_end_matches(['\n', '\r']);
        let t = line.trim_start_matches(' ');
        let ind = line.len() - t.len();
        if t.is_empty() || t.starts_with('#') {
            pos = end;
            continue;
        }
        // A `- item` list at the key's own indentation belongs to the key (plain items only,
        // not the next `- key: value` item of the outer list).
        let same_level_item = ind == indent
            && own_list
            && t.starts_with("- ")
            && !t[2..].contains(": ")
            && !t.trim_end().ends_with(':');
        if ind > indent || same_level_item {
            edits.push(crate::diagnostics::Edit {
                span: pos..pos,
                replacement: pad.clone(),
            });
            own_list = own_list && (same_level_item || ind > indent);
            pos = end;
            continue;
        }
        break;
    }
    // Certain only if the fixed text parses past the key (or parses).
    let mut fixed = String::with_capacity(text.len() + edits.len() * shift);
    let mut last = 0;
    for e in &edits {
        fixed.push_str(&text[last..e.span.start]);
        fixed.push_str(&e.replacement);
        last = e.span.end;
    }
    fixed.push_str(&text[last..]);
    match yaml::parse(&fixed, Limits::default()) {
        Ok(_) => Some(edits),
        Err(e) => {
            // Another mistake further down is fine: the next round fixes or reports it.
            let after = e.offset.unwrap_or(0);
            (after >= pos + shift * edits.len()).then_some(edits)
        }
    }
}

/// The KQL query text with a map from each byte of it back to its byte in the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryText {
    pub text: String,
    /// (offset in `text`, offset in the file) at the start of each mapped run.
    segments: Vec<(usize, usize)>,
}

impl QueryText {
    /// Builds the map for the `query` value of a rule's span tree.
    pub fn new(file_text: &str, root: &Node) -> QueryText {
        match root.get("query") {
            Some(entry) => QueryText::at(file_text, &entry.value),
            None => QueryText::default(),
        }
    }

    /// Builds the map for a string value anywhere in the span tree.
    pub fn at(file_text: &str, node: &Node) -> QueryText {
        let Some(value) = node.as_str() else {
            return QueryText::default();
        };
        let start = node.span.start.min(file_text.len());
        // A block scalar (`key: |`) starts on the line after its indicator; a flow scalar
        // starts at its value.
        let line_start = file_text[..start].rfind('\n').map_or(0, |i| i + 1);
        let on_own_line = file_text[line_start..start].trim().is_empty();
        let is_block = on_own_line
            && file_text[..line_start]
                .trim_end()
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
                .ends_with(['|', '>']);
        let mut segments = Vec::new();
        if is_block {
            let line_start = file_text[..start].rfind('\n').map_or(0, |i| i + 1);
            let indent = start - line_start;
            let mut pos = line_start;
            // The node's span starts at the first content line, but the value keeps the
            // blank lines before it (`query: |`, an empty line, then the query): the value
            // starts that many (blank) file lines earlier.
            let leading = value.len() - value.trim_start_matches('\n').len();
            for _ in 0..leading {
                let Some(prev_end) = file_text[..pos].strip_suffix('\n') else {
                    break;
                };
                let prev_start = prev_end.rfind('\n').map_or(0, |i| i + 1);
                if !prev_end[prev_start..].trim().is_empty() {
                    break;
                }
                pos = prev_start;
            }
            let mut q = 0;
            for line in value.split_inclusive('\n') {
                if pos >= file_text.len() {
                    break;
                }
                // YAML ends a line at `\n`, `\r\n` or a lone `\r`: the value has a `\n`
                // for each, so the file's line ends must be found the same way.
                let bytes = file_text.as_bytes();
                // (A `\r\n` ends at its `\n`, the byte after the `\r` found first.)
                let file_line_end = memchr::memchr2(b'\n', b'\r', &bytes[pos..])
                    .map(|i| pos + i)
                    .map_or(file_text.len(), |i| {
                        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                            i + 1
                        } else {
                            i
                        }
                    });
                let file_line = &file_text[pos..file_line_end];
                let lead = file_line.len() - file_line.trim_start_matches(' ').len();
                segments.push((q, pos + lead.min(indent)));
                q += line.len();
                pos = file_line_end + 1;
            }
        } else {
            let raw = file_text.get(start..).unwrap_or("");
            let skip = usize::from(raw.starts_with(['\'', '"']));
            segments.push((0, start + skip));
        }
        if segments.is_empty() {
            segments.push((0, start));
        }
        QueryText {
            text: value.to_string(),
            segments,
        }
    }

    /// Maps a byte offset in the query to a byte offset in the file.
    pub fn to_file(&self, offset: usize) -> usize {
        let i = match self.segments.binary_search_by(|(q, _)| q.cmp(&offset)) {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        };
        match self.segments.get(i) {
            Some((q, f)) => f + offset.saturating_sub(*q),
            None => 0,
        }
    }

    pub fn span_to_file(&self, span: Range<usize>) -> Range<usize> {
        let start = self.to_file(span.start);
        let end = self.to_file(span.end.max(span.start)).max(start);
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_of(text: &str) -> QueryText {
        let root = yaml::parse(text, Limits::default()).unwrap();
        QueryText::new(text, &root)
    }

    #[test]
    fn block_scalar_offsets_map_to_file() {
        let text = "id: x\nquery: |\n  let a = 1;\n\n  T | where Timestmap > ago(1d)\n";
        let q = query_of(text);
        let at = q.text.find("Timestmap").unwrap();
        let f = q.to_file(at);
        assert_eq!(&text[f..f + 9], "Timestmap");
    }

    #[test]
    fn crlf_and_bom_and_unicode() {
        let text = "\u{feff}id: x\r\nquery: |\r\n  // é ü\r\n  T | where Sha1 == 'x'\r\n";
        let q = query_of(text);
        let at = q.text.find("Sha1").unwrap();
        let f = q.to_file(at);
        assert_eq!(&text[f..f + 4], "Sha1");
    }

    #[test]
    fn block_scalar_with_leading_blank_lines() {
        // Found by the load_rule fuzz target on upstream rules: the value starts with the
        // blank lines, the node's span at the first content line.
        for text in [
            "id: x\nquery: |\n\n  T | where Timestmap > ago(1d)\n",
            "id: x\r\nquery: |\r\n\r\n   \r\n   T\r\n   | where Timestmap > ago(1d)\r\n",
        ] {
            let q = query_of(text);
            let at = q.text.find("Timestmap").unwrap();
            let f = q.to_file(at);
            assert_eq!(&text[f..f + 9], "Timestmap", "{text:?}");
            let end = q.span_to_file(0..q.text.trim_end().len());
            assert!(end.end <= text.len(), "{end:?} beyond {}", text.len());
        }
    }

    #[test]
    fn quoted_single_line_query() {
        let text = "query: \"T | take 1\"\n";
        let q = query_of(text);
        let f = q.to_file(q.text.find("take").unwrap());
        assert_eq!(&text[f..f + 4], "take");
    }
}
