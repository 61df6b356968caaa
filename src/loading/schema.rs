//! Stage 3: the rule JSON Schemas — generated from the kinds of [`crate::loading::model`] with schemars,
//! committed as `schema/<kind>.schema.json` (one per kind), and enforced with the jsonschema crate.
//!
//! Violations are mapped from their JSON instance path back to the YAML span tree, so each
//! diagnostic points at the offending key or value, and worded for a person.

use std::ops::Range;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value as Json;

use crate::declare_code;
use crate::diagnostics::{Diagnostic, FileId};
use crate::loading::model::RuleKind;
use crate::loading::yaml::Node;

/// Where the committed schemas live, relative to the repository root.
pub const SCHEMA_DIR: &str = "schema";

declare_code! {
    /// A key that the format of the file's kind does not define, and that resembles none
    /// of the keys it does define.
    ///
    /// ## Why it matters
    /// Sentinel ignores keys it does not know, so whatever the key holds has no effect. It
    /// may be a tool's own annotation (harmless) or a leftover. A key that is a near miss of
    /// a known key is reported as `near-miss-key` (an error) instead.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Scheduled
    /// owner: soc-team          # not a key of an analytics rule
    /// ```
    ///
    /// ## How to fix
    /// Remove the key, or keep it and set `unknown-key = "allow"` in `rulecat.toml`.
    pub static UNKNOWN_KEY = {
        code: "S0001",
        name: "unknown-key",
        level: Warning,
        summary: "a key the rule format does not define",
    }
}

declare_code! {
    /// A value that Sentinel accepts, written in another case than its canonical spelling
    /// (`severity: high`, `aggregationKind: singleAlert`).
    ///
    /// ## Why it matters
    /// Sentinel reads these values case-insensitively, so the rule works; but tools that
    /// compare values exactly (dashboards, scripts, other linters) see `high` and `High` as
    /// two severities. The fix is certain.
    ///
    /// ## How to fix
    /// `rulecat lint --fix` writes the canonical spelling.
    pub static VALUE_CASE = {
        code: "S0008",
        name: "value-case",
        level: Note,
        summary: "an accepted value not in its canonical case",
    }
}

declare_code! {
    /// An unknown key that is a near miss of a key the format defines: a misspelling
    /// (`datatypes` for `dataTypes`, `identifies` for `identifier`) or a known key indented
    /// at the wrong level.
    ///
    /// ## Why it matters
    /// Sentinel reads the key it knows and ignores this one, so the value is lost without a
    /// word: a connector without its data types, an entity mapping without its identifier.
    /// That is why this is an error while a key that resembles nothing (`unknown-key`) is
    /// a warning. Both levels can be changed in `rulecat.toml` (`[lints]`).
    ///
    /// ## Example
    /// ```yaml
    /// requiredDataConnectors:
    ///   - connectorId: AzureActiveDirectory
    ///     datatypes:            # Sentinel reads `dataTypes`
    ///       - SigninLogs
    /// ```
    ///
    /// ## How to fix
    /// Rename the key as suggested, or indent it under the item it belongs to.
    pub static NEAR_MISS_KEY = {
        code: "S0005",
        name: "near-miss-key",
        level: Error,
        summary: "an unknown key that is a near miss of a known one",
    }
}

declare_code! {
    /// A required key is missing.
    ///
    /// ## Why it matters
    /// Each kind has the keys Sentinel requires: a hunting query `id`, `name` and `query`;
    /// a scheduled analytics rule also `description`, `kind`, `severity`,
    /// `requiredDataConnectors`, `queryFrequency`, `queryPeriod`, `triggerOperator` and
    /// `triggerThreshold`; a function `FunctionName` (or `ParserName`) and its query.
    /// Sentinel's own validation rejects a file without them, and every data connector needs
    /// `connectorId` and `dataTypes`.
    ///
    /// ## Example
    /// ```yaml
    /// id: 1525a733-192f-41f2-96ba-d3f631ca00d0
    /// kind: Scheduled
    /// name: Remote Management and Monitoring tool - Action1
    /// # no severity, queryFrequency, ...
    /// ```
    ///
    /// ## How to fix
    /// Add the key. `rulecat schema` prints the full format.
    pub static MISSING_KEY = {
        code: "S0002",
        name: "missing-key",
        level: Error,
        summary: "a required key is missing",
    }
}

declare_code! {
    /// A value of the wrong type.
    ///
    /// ## Why it matters
    /// A number where a string is expected, a mapping where a list is expected, or an empty
    /// value (`query:` with nothing after it) makes the rule unusable.
    ///
    /// ## Example
    /// ```yaml
    /// tactics: 3          # expected a string or a list of strings
    /// ```
    ///
    /// ## How to fix
    /// Write the value in the type the message names. Quote strings that YAML would read
    /// as numbers, booleans or null (`'1.0'`, `'yes'`, `'null'`).
    pub static WRONG_TYPE = {
        code: "S0003",
        name: "wrong-type",
        level: Error,
        summary: "a value of the wrong type",
    }
}

declare_code! {
    /// A value of the right type that the format does not allow.
    ///
    /// ## Why it matters
    /// The value breaks a constraint of the format: a severity outside
    /// Informational/Low/Medium/High, a `version` that is not `MAJOR.MINOR.PATCH`, an empty
    /// name or query, more than 10 entity mappings.
    ///
    /// ## Example
    /// ```yaml
    /// version: 1.0        # expected MAJOR.MINOR.PATCH, e.g. 1.0.0
    /// ```
    ///
    /// ## How to fix
    /// Change the value to one the message allows.
    pub static INVALID_VALUE = {
        code: "S0004",
        name: "invalid-value",
        level: Error,
        summary: "a value that breaks a constraint of the format",
    }
}

/// The schema files committed under `schema/`, one per kind of file (the query-less
/// analytics kinds share one), generated from [`crate::loading::model`].
pub fn kind_schemas() -> &'static [KindSchema] {
    &KIND_SCHEMAS
}

/// One kind's schema: its file name under `schema/`, the kinds it validates.
///
/// Validation uses the committed file, embedded at build time (a test checks that it is
/// what the model generates), compiled on first use: a run pays only for the kinds it
/// meets, and never runs schemars.
pub struct KindSchema {
    pub file: &'static str,
    pub kinds: &'static [RuleKind],
    /// The committed schema text (`schema/<file>`).
    committed: &'static str,
    /// The schema generated from the Rust model.
    generate: fn() -> Json,
    compiled: OnceLock<Compiled>,
}

struct Compiled {
    json: Json,
    validator: jsonschema::Validator,
}

fn generated<T: schemars::JsonSchema>() -> Json {
    serde_json::to_value(schemars::schema_for!(T)).expect("schema serializes")
}

impl KindSchema {
    const fn new(
        file: &'static str,
        kinds: &'static [RuleKind],
        committed: &'static str,
        generate: fn() -> Json,
    ) -> KindSchema {
        KindSchema {
            file,
            kinds,
            committed,
            generate,
            compiled: OnceLock::new(),
        }
    }

    /// The schema generated from the model, as committed: pretty JSON with a final newline.
    pub fn text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&(self.generate)()).expect("schema serializes");
        s.push('\n');
        s
    }

    /// The committed schema (embedded at build time).
    pub fn committed_text(&self) -> &'static str {
        self.committed
    }

    /// The schema as JSON.
    pub fn json(&self) -> &Json {
        &self.compiled().json
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            // The committed file is what the model generates (checked by the tests and by
            // `rulecat schema --check`); should it not parse, the model's schema is used.
            let json = serde_json::from_str(self.committed).unwrap_or_else(|_| (self.generate)());
            let validator =
                jsonschema::validator_for(&json).expect("a generated rule schema compiles");
            Compiled { json, validator }
        })
    }
}

static KIND_SCHEMAS: [KindSchema; 8] = {
    use crate::loading::model::{analytics, function, hunting, other};
    [
        KindSchema::new(
            "hunting-query.schema.json",
            &[RuleKind::HuntingQuery],
            include_str!("../../schema/hunting-query.schema.json"),
            generated::<hunting::HuntingQuery>,
        ),
        KindSchema::new(
            "scheduled.schema.json",
            &[RuleKind::Scheduled],
            include_str!("../../schema/scheduled.schema.json"),
            generated::<analytics::ScheduledRule>,
        ),
        KindSchema::new(
            "nrt.schema.json",
            &[RuleKind::Nrt],
            include_str!("../../schema/nrt.schema.json"),
            generated::<analytics::NrtRule>,
        ),
        KindSchema::new(
            "builtin-analytics.schema.json",
            &[
                RuleKind::Fusion,
                RuleKind::MlBehaviorAnalytics,
                RuleKind::MicrosoftSecurityIncidentCreation,
            ],
            include_str!("../../schema/builtin-analytics.schema.json"),
            generated::<analytics::BuiltinRule>,
        ),
        KindSchema::new(
            "function.schema.json",
            &[RuleKind::Function],
            include_str!("../../schema/function.schema.json"),
            generated::<function::FunctionFile>,
        ),
        KindSchema::new(
            "summary-rule.schema.json",
            &[RuleKind::SummaryRule],
            include_str!("../../schema/summary-rule.schema.json"),
            generated::<other::SummaryRule>,
        ),
        KindSchema::new(
            "custom-detection.schema.json",
            &[RuleKind::CustomDetection],
            include_str!("../../schema/custom-detection.schema.json"),
            generated::<other::CustomDetection>,
        ),
        KindSchema::new(
            "arm-template.schema.json",
            &[RuleKind::ArmTemplate],
            include_str!("../../schema/arm-template.schema.json"),
            generated::<other::ArmTemplate>,
        ),
    ]
};

/// The schema that validates `kind` (`None` for bare queries).
pub fn schema_for(kind: RuleKind) -> Option<&'static KindSchema> {
    KIND_SCHEMAS.iter().find(|s| s.kinds.contains(&kind))
}

/// Validates a loaded YAML tree against its kind's schema. An empty result means valid.
pub fn validate(file: FileId, root: &Node, kind: RuleKind) -> Vec<Diagnostic> {
    validate_doc(file, root, &root.to_json(), kind)
}

/// [`validate`] with the tree already converted to JSON (`json` is `root.to_json()`).
pub fn validate_doc(file: FileId, root: &Node, json: &Json, kind: RuleKind) -> Vec<Diagnostic> {
    let Some(schema) = schema_for(kind) else {
        return Vec::new();
    };
    let compiled = schema.compiled();
    // Most files are valid: the boolean check is far cheaper than collecting errors (no
    // error values, no paths), and says the same (no error) when it passes.
    if compiled.validator.is_valid(json) {
        return Vec::new();
    }
    let mut diags: Vec<Diagnostic> = compiled
        .validator
        .iter_errors(json)
        .flat_map(|e| to_diagnostics(&compiled.json, file, root, json, &e))
        .collect();
    drop_explained_missing_keys(&mut diags);
    diags.sort_by(|a, b| {
        let sa = a.primary().map(|l| l.span.start);
        let sb = b.primary().map(|l| l.span.start);
        sa.cmp(&sb).then_with(|| a.message.cmp(&b.message))
    });
    diags.dedup_by(|a, b| a.message == b.message && a.labels == b.labels);
    diags
}

/// A missing `relevantTechniques` next to an unknown `relevantTechnique` (did you mean
/// `relevantTechniques`?) is one mistake: keep the unknown-key diagnostic, with a note.
fn drop_explained_missing_keys(diags: &mut Vec<Diagnostic>) {
    let suggested: Vec<(usize, String)> = diags
        .iter()
        .enumerate()
        .filter(|(_, d)| d.code == &UNKNOWN_KEY || d.code == &NEAR_MISS_KEY)
        .filter_map(|(i, d)| {
            let h = d.help.as_deref()?;
            let name = h.strip_prefix("did you mean `")?.strip_suffix("`?")?;
            Some((i, name.to_string()))
        })
        .collect();
    let mut drop = Vec::new();
    for (i, name) in &suggested {
        let needle = format!("the required key `{name}`");
        if let Some(j) = diags
            .iter()
            .position(|d| d.code == &MISSING_KEY && d.message.ends_with(&needle))
        {
            drop.push(j);
            let note = format!("`{name}` is required, so the rule is also missing it");
            diags[*i].notes.push(note);
        }
    }
    drop.sort_unstable();
    for j in drop.into_iter().rev() {
        diags.remove(j);
    }
}

/// `requiredDataConnectors[0].dataTypes` from `/requiredDataConnectors/0/dataTypes`.
pub fn display_path(pointer: &str) -> String {
    let mut out = String::new();
    for tok in pointer.split('/').skip(1) {
        let tok = tok.replace("~1", "/").replace("~0", "~");
        if tok.parse::<usize>().is_ok() {
            out.push_str(&format!("[{tok}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&tok);
        }
    }
    if out.is_empty() {
        "the rule".into()
    } else {
        format!("`{out}`")
    }
}

fn to_diagnostics(
    schema: &Json,
    file: FileId,
    root: &Node,
    json: &Json,
    e: &jsonschema::ValidationError<'_>,
) -> Vec<Diagnostic> {
    let ptr = e.instance_path().as_str().to_string();
    let (node, key_span) = match root.pointer(&ptr) {
        Some(found) => found,
        None => (root, None),
    };
    let value_span = node.span.clone();
    let path = display_path(&ptr);
    let sub_schema = schema_at(schema, e.schema_path().as_str());
    let instance = json.pointer(&ptr).unwrap_or(&Json::Null);
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| unknown_key(schema, file, root, node, &ptr, key))
            .collect(),
        ValidationErrorKind::Required { property } => {
            let prop = property.as_str().unwrap_or("?");
            let anchor = node
                .as_map()
                .and_then(|m| m.first())
                .map(|e| e.key_span.clone())
                .or(key_span)
                .unwrap_or(value_span.start..value_span.start);
            let whose = if ptr.is_empty() {
                "the rule".to_string()
            } else {
                path.clone()
            };
            vec![
                Diagnostic::new(
                    &MISSING_KEY,
                    format!("{whose} is missing the required key `{prop}`"),
                )
                .at(file, anchor, format!("`{prop}` is required here")),
            ]
        }
        ValidationErrorKind::AnyOf { context }
            if let Some(branch) = context.iter().find(|errs| {
                // The branch whose type fits the value here: its errors are deeper, or
                // constraints other than the type.
                !errs.is_empty()
                    && errs.iter().all(|e| {
                        e.instance_path().as_str() != ptr
                            || !matches!(
                                e.kind(),
                                ValidationErrorKind::Type { .. }
                                    | ValidationErrorKind::AnyOf { .. }
                            )
                    })
            }) =>
        {
            // One alternative has the right type but breaks a constraint (an enum value,
            // a pattern): report that, not "expected a string, found a string".
            branch
                .iter()
                .flat_map(|e| to_diagnostics(schema, file, root, json, e))
                .collect()
        }
        ValidationErrorKind::Type { .. } | ValidationErrorKind::AnyOf { .. } => {
            let expected = match (e.kind(), sub_schema) {
                (ValidationErrorKind::Type { kind }, _) => describe_type_kind(kind),
                (_, Some(s)) => describe_schema(schema, s),
                _ => "another type".into(),
            };
            let found = node.value.kind();
            let mut d = Diagnostic::new(
                &WRONG_TYPE,
                format!("{path}: expected {expected}, found {found}"),
            )
            .at(
                file,
                value_span_or_key(&value_span, key_span.as_ref()),
                format!("expected {expected}"),
            );
            if matches!(node.value, crate::loading::yaml::Value::Null) {
                d = d.help("the value is empty; write it after the colon, or as an indented block below the key");
            } else if expected.contains("string")
                && !matches!(
                    node.value,
                    crate::loading::yaml::Value::Seq(_) | crate::loading::yaml::Value::Map(_)
                )
            {
                d = d.help("quote the value so YAML reads it as a string");
            }
            vec![d]
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            // Sentinel reads these enums case-insensitively (Json.NET): another case is
            // accepted, and only a style matter.
            if let Some(s) = instance.as_str()
                && let Some(canon) = opts.iter().find(|o| o.eq_ignore_ascii_case(s))
            {
                // A quoted scalar's span covers its quotes: keep them.
                let edit_span = if value_span.len() == s.len() + 2 {
                    value_span.start + 1..value_span.end.saturating_sub(1)
                } else {
                    value_span.clone()
                };
                return vec![
                    Diagnostic::new(
                        &VALUE_CASE,
                        format!(
                            "{path}: `{s}` is accepted, but the canonical spelling is `{canon}`"
                        ),
                    )
                    .at(file, value_span, format!("write `{canon}`"))
                    .with_fix(
                        format!("replace `{s}` with `{canon}`"),
                        vec![crate::diagnostics::Edit {
                            span: edit_span,
                            replacement: canon.clone(),
                        }],
                    ),
                ];
            }
            let mut d = Diagnostic::new(
                &INVALID_VALUE,
                format!(
                    "{path}: {} is not one of {}",
                    show(instance),
                    opts.join(", ")
                ),
            )
            .at(file, value_span, "not an allowed value");
            if let Some(s) = instance.as_str()
                && let Some(best) = crate::suggest::closest(s, opts.iter().map(String::as_str))
            {
                d = d.help(format!("did you mean `{best}`?"));
            }
            vec![d]
        }
        ValidationErrorKind::Pattern { pattern } => {
            let what = match pattern.as_str() {
                r"^[0-9]+\.[0-9]+\.[0-9]+$" => "MAJOR.MINOR.PATCH, e.g. `1.0.0`".to_string(),
                r"^[0-9]+[mhd]$" => "a number followed by m, h or d, e.g. `14d`".to_string(),
                r"^([0-9]+[mhd]|([0-9]+\.)?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)$" => {
                    "a duration: a number followed by m, h or d (`14d`), or `d.hh:mm:ss`"
                        .to_string()
                }
                r"^([0-9]+[mhd]|([0-9]+\.)?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?|P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?)$" => {
                    "a duration: `5h`, `1d`, `d.hh:mm:ss` or ISO 8601 `PT5H`".to_string()
                }
                r"^[A-Za-z_][A-Za-z0-9_]*$" => {
                    "a KQL name: a letter or `_`, then letters, digits or `_`".to_string()
                }
                p => format!("the pattern `{p}`"),
            };
            vec![
                Diagnostic::new(
                    &INVALID_VALUE,
                    format!("{path}: {} does not have the form {what}", show(instance)),
                )
                .at(file, value_span, format!("expected {what}")),
            ]
        }
        ValidationErrorKind::MinLength { limit } => vec![
            Diagnostic::new(
                &INVALID_VALUE,
                format!(
                    "{path}: must have at least {limit} character{}",
                    plural(*limit)
                ),
            )
            .at(
                file,
                value_span_or_key(&value_span, key_span.as_ref()),
                "too short",
            ),
        ],
        ValidationErrorKind::MaxLength { limit } => vec![
            Diagnostic::new(
                &INVALID_VALUE,
                format!("{path}: must have at most {limit} characters"),
            )
            .at(file, value_span, "too long"),
        ],
        ValidationErrorKind::MinItems { limit } => vec![
            Diagnostic::new(
                &INVALID_VALUE,
                format!("{path}: must have at least {limit} item{}", plural(*limit)),
            )
            .at(
                file,
                value_span_or_key(&value_span, key_span.as_ref()),
                "too few items",
            ),
        ],
        ValidationErrorKind::MaxItems { limit } => vec![
            Diagnostic::new(
                &INVALID_VALUE,
                format!(
                    "{path}: must have at most {limit} items, found {}",
                    instance.as_array().map_or(0, Vec::len)
                ),
            )
            .at(
                file,
                value_span_or_key(&value_span, key_span.as_ref()),
                "too many items",
            ),
        ],
        _ => vec![Diagnostic::new(&INVALID_VALUE, format!("{path}: {e}")).at(
            file,
            value_span,
            "invalid value",
        )],
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn value_span_or_key(value: &Range<usize>, key: Option<&Range<usize>>) -> Range<usize> {
    // An empty value (`key:` with nothing) has an empty span; point at the key then.
    if value.is_empty() {
        key.cloned().unwrap_or_else(|| value.clone())
    } else {
        value.clone()
    }
}

fn show(v: &Json) -> String {
    match v {
        Json::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn unknown_key(
    schema: &Json,
    file: FileId,
    root: &Node,
    node: &Node,
    ptr: &str,
    key: &str,
) -> Diagnostic {
    let key_span = node
        .get(key)
        .map(|e| e.key_span.clone())
        .unwrap_or(node.span.clone());
    let where_ = if ptr.is_empty() {
        "a rule".to_string()
    } else {
        display_path(ptr)
    };
    let what = if ptr.is_empty() {
        let noun = kind_noun(schema);
        let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u', 'N', 'M']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {noun}")
    } else {
        where_.clone()
    };
    let known = known_properties(schema, ptr);
    let label = "not a key of this mapping";
    if let Some(best) = crate::suggest::closest(key, known.iter().map(String::as_str)) {
        return Diagnostic::new(
            &NEAR_MISS_KEY,
            format!("unknown key `{key}` in {what}: a near miss of `{best}`"),
        )
        .at(file, key_span, label)
        .note(format!(
            "Sentinel ignores `{key}`, so what it holds is lost; `{best}` is the key it reads"
        ))
        .help(format!("did you mean `{best}`?"));
    }
    if let Some((parent_key, item_key)) = misplaced_under_list(schema, root, ptr, key) {
        return Diagnostic::new(
            &NEAR_MISS_KEY,
            format!("`{key}` in {what} belongs to each `{parent_key}` item"),
        )
        .at(file, key_span, "indented at the wrong level")
        .note(format!(
            "`{key}` is a key of each `{parent_key}` item, but here it is indented level with the `{parent_key}` key, so YAML reads it as a separate key of {where_}"
        ))
        .help(format!(
            "indent `{key}:` (and its list) 2 spaces further, under the `{item_key}:` of the `- ` item above it"
        ));
    }
    let mut d = Diagnostic::new(&UNKNOWN_KEY, format!("unknown key `{key}` in {what}"))
        .at(file, key_span, label);
    if !known.is_empty() {
        d = d.note(format!("known keys here: {}", known.join(", ")));
    }
    d
}

/// "hunting query" for the hunting-query schema: the schema's title, in words.
fn kind_noun(schema: &Json) -> String {
    schema
        .get("title")
        .and_then(Json::as_str)
        .map(|t| {
            t.trim_start_matches("Sentinel / Defender XDR ")
                .trim_start_matches("Sentinel ")
                .to_string()
        })
        .unwrap_or_else(|| "rule".into())
}

/// For an unknown key that is a property of the items of an earlier list-valued sibling
/// (`dataTypes` written level with `requiredDataConnectors`), returns that sibling's name
/// and the first key of its items.
fn misplaced_under_list(
    schema: &Json,
    root: &Node,
    ptr: &str,
    key: &str,
) -> Option<(String, String)> {
    let (parent, _) = root.pointer(ptr)?;
    for entry in parent.as_map()? {
        if let crate::loading::yaml::Value::Seq(items) = &entry.value.value {
            let item_ptr = format!("{ptr}/{}/0", escape(&entry.key));
            if known_properties(schema, &item_ptr).iter().any(|k| k == key) {
                let first_key = items
                    .first()
                    .and_then(|i| i.as_map())
                    .and_then(|m| m.first())
                    .map(|e| e.key.clone())
                    .unwrap_or_else(|| "first".into());
                return Some((entry.key.clone(), first_key));
            }
        }
    }
    None
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Property names the schema defines for the object at an instance pointer.
pub fn known_properties(root: &Json, instance_ptr: &str) -> Vec<String> {
    let mut schema = resolve(root, root);
    for tok in instance_ptr.split('/').skip(1) {
        let next = if let Some(props) = schema.get("properties").and_then(Json::as_object)
            && let Some(p) = props.get(tok)
        {
            Some(p)
        } else if tok.parse::<usize>().is_ok() {
            schema.get("items")
        } else {
            None
        };
        let Some(next) = next else { return Vec::new() };
        schema = resolve(root, next);
        // Option<T> is `anyOf: [T, null]` or `type: [.., null]`; step into the object branch.
        if let Some(any) = schema.get("anyOf").and_then(Json::as_array)
            && let Some(obj) = any
                .iter()
                .map(|s| resolve(root, s))
                .find(|s| s.get("properties").is_some() || s.get("items").is_some())
        {
            schema = obj;
        }
    }
    schema
        .get("properties")
        .and_then(Json::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn resolve<'a>(root: &'a Json, s: &'a Json) -> &'a Json {
    let mut s = s;
    for _ in 0..16 {
        match s.get("$ref").and_then(Json::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(t) => s = t,
                None => return s,
            },
            None => return s,
        }
    }
    s
}

/// The sub-schema that holds the failing keyword, following `$ref` steps in the path.
fn schema_at<'a>(root: &'a Json, schema_path: &str) -> Option<&'a Json> {
    let mut cur = root;
    let toks: Vec<&str> = schema_path.split('/').skip(1).collect();
    // Drop the final keyword: we want the schema object that contains it.
    let (_, parents) = toks.split_last()?;
    for tok in parents {
        if *tok == "$ref" {
            cur = resolve(root, cur);
            continue;
        }
        cur = match cur {
            Json::Object(m) => m.get(*tok)?,
            Json::Array(a) => a.get(tok.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(resolve(root, cur))
}

fn describe_type_kind(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => article(&t.to_string()),
        TypeKind::Multiple(set) => {
            let names: Vec<String> = set
                .iter()
                .map(|t| t.to_string())
                .filter(|t| t != "null")
                .map(|t| article(&t))
                .collect();
            names.join(" or ")
        }
    }
}

fn article(json_type: &str) -> String {
    match json_type {
        "string" => "a string".into(),
        "array" => "a list".into(),
        "object" => "a mapping".into(),
        "integer" => "an integer".into(),
        "number" => "a number".into(),
        "boolean" => "a boolean".into(),
        "null" => "null".into(),
        other => other.to_string(),
    }
}

/// "a string or a list of strings" for the schema of `OneOrMany<String>`.
fn describe_schema(root: &Json, s: &Json) -> String {
    let s = resolve(root, s);
    if let Some(alts) = s
        .get("anyOf")
        .or_else(|| s.get("oneOf"))
        .and_then(Json::as_array)
    {
        let parts: Vec<String> = alts
            .iter()
            .map(|a| describe_schema(root, a))
            .filter(|d| d != "null")
            .collect();
        return parts.join(" or ");
    }
    match s.get("type").and_then(Json::as_str) {
        Some("array") => match s.get("items") {
            Some(items) => {
                let inner = describe_schema(root, items);
                format!("a list of {}", plural_noun(&inner))
            }
            None => "a list".into(),
        },
        Some(t) => article(t),
        None => "a value".into(),
    }
}

fn plural_noun(with_article: &str) -> String {
    let bare = with_article
        .strip_prefix("a ")
        .or_else(|| with_article.strip_prefix("an "))
        .unwrap_or(with_article);
    if bare.contains(" or ") {
        bare.to_string()
    } else {
        format!("{bare}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_properties_follow_refs_and_items() {
        let hunting = schema_for(RuleKind::HuntingQuery).unwrap().json();
        assert!(known_properties(hunting, "").contains(&"query".to_string()));
        let dc = known_properties(hunting, "/requiredDataConnectors/0");
        assert_eq!(dc, vec!["connectorId".to_string(), "dataTypes".to_string()]);
        assert!(known_properties(hunting, "/metadata").contains(&"author".to_string()));
        let scheduled = schema_for(RuleKind::Scheduled).unwrap().json();
        let top = known_properties(scheduled, "");
        for k in [
            "triggerOperator",
            "entityMappings",
            "customDetails",
            "queryPeriod",
        ] {
            assert!(top.contains(&k.to_string()), "{k} in {top:?}");
        }
        let grouping = known_properties(scheduled, "/incidentConfiguration/groupingConfiguration");
        assert!(
            grouping.contains(&"matchingMethod".to_string()),
            "{grouping:?}"
        );
    }

    #[test]
    fn embedded_schemas_are_what_the_model_generates() {
        for s in kind_schemas() {
            assert!(
                s.committed_text() == s.text(),
                "schema/{} is stale: run `cargo run -- schema --write`",
                s.file
            );
            let parsed: Json = serde_json::from_str(s.committed_text()).unwrap();
            assert_eq!(&parsed, s.json(), "{}", s.file);
        }
    }

    #[test]
    fn every_kind_but_bare_queries_has_a_schema() {
        for k in RuleKind::ALL {
            assert_eq!(schema_for(k).is_some(), k != RuleKind::Query, "{k}");
        }
    }

    #[test]
    fn paths_read_naturally() {
        assert_eq!(
            display_path("/requiredDataConnectors/0/dataTypes"),
            "`requiredDataConnectors[0].dataTypes`"
        );
        assert_eq!(display_path(""), "the rule");
    }
}
