//! The rule model: every kind of file a Sentinel / Defender XDR catalog holds, each with
//! the contract Sentinel itself enforces.
//!
//! One Rust type per kind ([`hunting`], [`analytics`], [`function`], [`other`]); the JSON
//! Schemas under `schema/` are generated from them (schemars), one per kind, so the model
//! and the schemas cannot drift apart. Field docs become schema descriptions, which
//! editors show on hover.
//!
//! Validation and the rest of the pipeline are separate concerns: a file is read as a
//! [`RuleKind`] (detected from its content or set per path in `rulecat.toml`), validated
//! against that kind's schema, and, whatever the schema says, turned into the lenient
//! [`Rule`] view that the lints, the compiler and the matcher read. A schema problem
//! never hides the query.

pub mod analytics;
mod common;
pub mod function;
pub mod hunting;
pub mod other;

pub use common::*;

use serde::Serialize;
use serde_json::Value as Json;

/// What a file is. Detected by [`RuleKind::detect`]; `rulecat.toml` can set it per path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// A hunting query (`Hunting Queries/`): `id`, `name`, `query`.
    HuntingQuery,
    /// An analytics rule with `kind: Scheduled`.
    Scheduled,
    /// An analytics rule with `kind: NRT` (near-real-time).
    Nrt,
    /// `kind: Fusion`: Sentinel's built-in correlation, no query.
    Fusion,
    /// `kind: MLBehaviorAnalytics`: a built-in machine-learning rule, no query.
    MlBehaviorAnalytics,
    /// `kind: MicrosoftSecurityIncidentCreation`: incidents from another Microsoft product's alerts, no query.
    MicrosoftSecurityIncidentCreation,
    /// A parser or workspace function (`FunctionName`/`ParserName` with its query).
    Function,
    /// A summary rule (`destinationTable`, `binSize`).
    SummaryRule,
    /// A Defender XDR custom detection (`kind: CustomDetection`, query at
    /// `properties.queryCondition.queryText`).
    CustomDetection,
    /// An ARM deployment template holding alert rules (`$schema`, `resources`).
    ArmTemplate,
    /// A bare KQL file (`.kql`, `.csl`): only the query's lints apply.
    Query,
}

impl RuleKind {
    /// Every kind, in a stable order.
    pub const ALL: [RuleKind; 11] = [
        RuleKind::HuntingQuery,
        RuleKind::Scheduled,
        RuleKind::Nrt,
        RuleKind::Fusion,
        RuleKind::MlBehaviorAnalytics,
        RuleKind::MicrosoftSecurityIncidentCreation,
        RuleKind::Function,
        RuleKind::SummaryRule,
        RuleKind::CustomDetection,
        RuleKind::ArmTemplate,
        RuleKind::Query,
    ];

    /// The kebab-case name used in `rulecat.toml`, the JSON report and schema file names.
    pub fn name(self) -> &'static str {
        match self {
            RuleKind::HuntingQuery => "hunting-query",
            RuleKind::Scheduled => "scheduled",
            RuleKind::Nrt => "nrt",
            RuleKind::Fusion => "fusion",
            RuleKind::MlBehaviorAnalytics => "ml-behavior-analytics",
            RuleKind::MicrosoftSecurityIncidentCreation => "microsoft-security-incident-creation",
            RuleKind::Function => "function",
            RuleKind::SummaryRule => "summary-rule",
            RuleKind::CustomDetection => "custom-detection",
            RuleKind::ArmTemplate => "arm-template",
            RuleKind::Query => "query",
        }
    }

    /// A person's name for the kind, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            RuleKind::HuntingQuery => "hunting query",
            RuleKind::Scheduled => "scheduled analytics rule",
            RuleKind::Nrt => "NRT analytics rule",
            RuleKind::Fusion => "Fusion analytics rule",
            RuleKind::MlBehaviorAnalytics => "ML behavior analytics rule",
            RuleKind::MicrosoftSecurityIncidentCreation => {
                "Microsoft security incident creation rule"
            }
            RuleKind::Function => "parser / function",
            RuleKind::SummaryRule => "summary rule",
            RuleKind::CustomDetection => "Defender XDR custom detection",
            RuleKind::ArmTemplate => "ARM template",
            RuleKind::Query => "KQL query",
        }
    }

    pub fn from_name(name: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The value of the `kind` key for the analytics kinds (`Scheduled`, `NRT`, ...).
    pub fn kind_value(self) -> Option<&'static str> {
        match self {
            RuleKind::Scheduled => Some("Scheduled"),
            RuleKind::Nrt => Some("NRT"),
            RuleKind::Fusion => Some("Fusion"),
            RuleKind::MlBehaviorAnalytics => Some("MLBehaviorAnalytics"),
            RuleKind::MicrosoftSecurityIncidentCreation => {
                Some("MicrosoftSecurityIncidentCreation")
            }
            RuleKind::CustomDetection => Some("CustomDetection"),
            _ => None,
        }
    }

    /// An analytics rule (alerts in Sentinel), as opposed to a hunting query or a function.
    pub fn is_analytics(self) -> bool {
        matches!(
            self,
            RuleKind::Scheduled
                | RuleKind::Nrt
                | RuleKind::Fusion
                | RuleKind::MlBehaviorAnalytics
                | RuleKind::MicrosoftSecurityIncidentCreation
        )
    }

    /// Kinds the compiler turns into detection logic: the rules that raise results, not
    /// functions, bare queries, templates or the query-less kinds.
    pub fn is_detection(self) -> bool {
        matches!(
            self,
            RuleKind::HuntingQuery
                | RuleKind::Scheduled
                | RuleKind::Nrt
                | RuleKind::CustomDetection
        )
    }

    /// Kinds whose files have no KQL query.
    pub fn is_queryless(self) -> bool {
        matches!(
            self,
            RuleKind::Fusion
                | RuleKind::MlBehaviorAnalytics
                | RuleKind::MicrosoftSecurityIncidentCreation
        )
    }

    /// Detects the kind of a YAML document from its keys. `doc` is the document as JSON.
    /// Returns the kind and, when the `kind` key holds a value rulecat does not know, that
    /// value (the file is then read by its other keys).
    pub fn detect(doc: &Json) -> Detected {
        let Some(map) = doc.as_object() else {
            return Detected::of(RuleKind::HuntingQuery);
        };
        let has = |k: &str| map.contains_key(k);
        let mut unknown_kind = None;
        if let Some(v) = map.get("kind").and_then(Json::as_str) {
            let found = RuleKind::ALL.into_iter().find(|k| {
                k.kind_value()
                    .is_some_and(|kv| kv.eq_ignore_ascii_case(v.trim()))
            });
            match found {
                // A hunting query that says `kind: Scheduled` but has none of a scheduled
                // rule's keys is read as what it is (upstream has such files).
                Some(RuleKind::Scheduled)
                    if has("query")
                        && ![
                            "queryFrequency",
                            "queryPeriod",
                            "triggerOperator",
                            "triggerThreshold",
                        ]
                        .iter()
                        .any(|k| has(k)) =>
                {
                    return Detected {
                        kind: RuleKind::HuntingQuery,
                        unknown_kind: None,
                        mismatch: Some(v.to_string()),
                    };
                }
                Some(k) => return Detected::of(k),
                None => unknown_kind = Some(v.to_string()),
            }
        }
        let kind = if has("$schema") && has("resources") {
            RuleKind::ArmTemplate
        } else if [
            "FunctionName",
            "ParserName",
            "FunctionQuery",
            "ParserQuery",
            "FunctionAlias",
            "FunctionParams",
            "ParserParams",
            "Function",
            "Parser",
        ]
        .iter()
        .any(|k| has(k))
        {
            RuleKind::Function
        } else if has("destinationTable") || has("binSize") {
            RuleKind::SummaryRule
        } else if has("triggerOperator") || has("triggerThreshold") {
            // `queryFrequency`/`queryPeriod` alone do not make an analytics rule: upstream
            // hunting queries carry them too.
            RuleKind::Scheduled
        } else {
            RuleKind::HuntingQuery
        };
        Detected {
            kind,
            unknown_kind,
            mismatch: None,
        }
    }

    /// Where the KQL query of this kind lives, as JSON pointers tried in order.
    pub fn query_pointers(self) -> &'static [&'static str] {
        match self {
            RuleKind::Function => &["/FunctionQuery", "/ParserQuery", "/query"],
            RuleKind::CustomDetection => &["/properties/queryCondition/queryText", "/query"],
            RuleKind::ArmTemplate => &["/resources/0/properties/query"],
            k if k.is_queryless() => &[],
            _ => &["/query"],
        }
    }
}

impl std::fmt::Display for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The result of [`RuleKind::detect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    pub kind: RuleKind,
    /// A `kind:` value that names no kind rulecat knows.
    pub unknown_kind: Option<String>,
    /// A `kind:` value contradicted by the file's keys (`kind: Scheduled` without a
    /// schedule): the file was read as `kind` instead.
    pub mismatch: Option<String>,
}

impl Detected {
    fn of(kind: RuleKind) -> Detected {
        Detected {
            kind,
            unknown_kind: None,
            mismatch: None,
        }
    }
}

/// A parameter of a parser or function (`FunctionParams`/`ParserParams`, or a `.kql`
/// signature): inside the body it is a `let` of this name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Param {
    pub name: String,
    /// The KQL type as written (`string`, `datetime`, `dynamic`, `table:(...)`...).
    pub ty: String,
    /// The default value as written, if any.
    pub default: Option<String>,
}

/// The lenient, kind-independent view of a file that lints, the compiler and the matcher
/// read. Built from the YAML whatever the schema said: a missing key is empty here.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub kind: RuleKind,
    /// `id` (for functions: `id`, else empty).
    pub id: String,
    /// `name` (`displayName`, `FunctionName`/`ParserName` for the kinds that use those).
    pub name: String,
    pub description: String,
    /// The KQL query, empty for the query-less kinds.
    pub query: String,
    pub required_data_connectors: Vec<DataConnector>,
    pub tactics: Vec<String>,
    pub relevant_techniques: Vec<String>,
    pub severity: Option<String>,
    pub version: Option<String>,
    pub query_frequency: Option<String>,
    pub query_period: Option<String>,
    /// Parameters of a function or parser.
    pub params: Vec<Param>,
}

impl Rule {
    /// Reads the lenient view out of a document of a known kind. `query` is the query text
    /// already found at the kind's [`RuleKind::query_pointers`].
    pub fn from_json(kind: RuleKind, doc: &Json, query: String) -> Rule {
        // A top-level key is looked up directly (`pointer` allocates for every step).
        let s = |ptr: &str| {
            match ptr.strip_prefix('/').filter(|k| !k.contains(['/', '~'])) {
                Some(key) => doc.get(key),
                None => doc.pointer(ptr),
            }
            .and_then(scalar_string)
        };
        let first = |ptrs: &[&str]| ptrs.iter().find_map(|p| s(p));
        let name = match kind {
            RuleKind::Function => first(&["/FunctionName", "/ParserName", "/name"]),
            RuleKind::SummaryRule => first(&["/displayName", "/name"]),
            RuleKind::CustomDetection => first(&["/properties/displayName", "/name"]),
            RuleKind::ArmTemplate => first(&["/resources/0/properties/displayName"]),
            _ => s("/name"),
        }
        .unwrap_or_default();
        let (tactics, techniques) = match kind {
            RuleKind::ArmTemplate => (
                strings(doc.pointer("/resources/0/properties/tactics")),
                strings(doc.pointer("/resources/0/properties/techniques")),
            ),
            _ => (
                strings(doc.get("tactics")),
                strings(doc.get("relevantTechniques")),
            ),
        };
        let params_at = match kind {
            RuleKind::Function => doc
                .get("FunctionParams")
                .or_else(|| doc.get("ParserParams")),
            _ => None,
        };
        Rule {
            kind,
            id: match kind {
                RuleKind::CustomDetection => first(&["/properties/id", "/id"]),
                _ => s("/id"),
            }
            .unwrap_or_default(),
            name,
            description: first(&["/description", "/Description", "/Function/Description"])
                .unwrap_or_default(),
            query,
            required_data_connectors: connectors(doc.get("requiredDataConnectors")),
            tactics,
            relevant_techniques: techniques,
            severity: s("/severity"),
            version: s("/version"),
            query_frequency: s("/queryFrequency"),
            query_period: s("/queryPeriod"),
            params: params(params_at),
        }
    }
}

/// A scalar as text (strings as they are; numbers and booleans written out).
fn scalar_string(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A string or a list of strings (other items skipped).
fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(items)) => items.iter().filter_map(scalar_string).collect(),
        _ => Vec::new(),
    }
}

fn connectors(v: Option<&Json>) -> Vec<DataConnector> {
    let Some(Json::Array(items)) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| {
            let connector_id = i.get("connectorId").and_then(scalar_string)?;
            Some(DataConnector {
                connector_id,
                data_types: strings(i.get("dataTypes")),
            })
        })
        .collect()
}

fn params(v: Option<&Json>) -> Vec<Param> {
    let Some(Json::Array(items)) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|p| {
            Some(Param {
                name: p.get("Name").and_then(scalar_string)?,
                ty: p
                    .get("Type")
                    .and_then(scalar_string)
                    .unwrap_or_else(|| "dynamic".into()),
                default: p.get("Default").and_then(scalar_string),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_each_kind_from_content() {
        let k = |v: Json| RuleKind::detect(&v).kind;
        assert_eq!(k(json!({"id": "x", "query": "T"})), RuleKind::HuntingQuery);
        assert_eq!(k(json!({"kind": "Scheduled"})), RuleKind::Scheduled);
        assert_eq!(k(json!({"kind": "scheduled"})), RuleKind::Scheduled);
        assert_eq!(k(json!({"kind": "NRT"})), RuleKind::Nrt);
        assert_eq!(k(json!({"kind": "Fusion"})), RuleKind::Fusion);
        assert_eq!(
            k(json!({"kind": "MicrosoftSecurityIncidentCreation"})),
            RuleKind::MicrosoftSecurityIncidentCreation
        );
        assert_eq!(k(json!({"triggerOperator": "gt"})), RuleKind::Scheduled);
        assert_eq!(
            k(json!({"id": "x", "query": "T", "queryFrequency": "1d"})),
            RuleKind::HuntingQuery
        );
        assert_eq!(k(json!({"FunctionName": "f"})), RuleKind::Function);
        assert_eq!(k(json!({"ParserQuery": "T"})), RuleKind::Function);
        assert_eq!(
            k(json!({"destinationTable": "X_CL"})),
            RuleKind::SummaryRule
        );
        assert_eq!(
            k(json!({"$schema": "s", "resources": []})),
            RuleKind::ArmTemplate
        );
        let d = RuleKind::detect(&json!({"kind": "scheduled", "query": "T"}));
        assert_eq!(d.kind, RuleKind::HuntingQuery);
        assert_eq!(d.mismatch.as_deref(), Some("scheduled"));
        let d = RuleKind::detect(&json!({"kind": "Sheduled", "query": "T"}));
        assert_eq!(d.kind, RuleKind::HuntingQuery);
        assert_eq!(d.unknown_kind.as_deref(), Some("Sheduled"));
    }

    #[test]
    fn names_round_trip() {
        for k in RuleKind::ALL {
            assert_eq!(RuleKind::from_name(k.name()), Some(k));
        }
    }

    #[test]
    fn lenient_view_reads_what_is_there() {
        let doc = json!({
            "FunctionName": "MyParser",
            "FunctionParams": [{"Name": "starttime", "Type": "datetime", "Default": "datetime(null)"}, {"Type": "x"}],
            "FunctionQuery": "T",
            "tactics": "Persistence",
        });
        let r = Rule::from_json(RuleKind::Function, &doc, "T".into());
        assert_eq!(r.name, "MyParser");
        assert_eq!(r.params.len(), 1);
        assert_eq!(r.params[0].name, "starttime");
        assert_eq!(r.tactics, vec!["Persistence"]);
        assert_eq!(r.id, "");
    }
}
