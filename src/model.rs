//! The rule model: Sentinel / Defender XDR hunting queries as they are written upstream.
//!
//! The JSON Schema in `schema/rule.schema.json` is generated from these types (schemars),
//! so the model and the schema cannot drift apart. Field docs become schema descriptions,
//! which editors show on hover.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A hunting query rule (one YAML file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Sentinel / Defender XDR hunting query",
    description = "A hunting query rule as Azure-Sentinel's `Hunting Queries` folder writes it. Generated from rulecat's rule model."
)]
pub struct Rule {
    /// Unique, stable identifier: a hyphenated UUID. Never change it once published.
    pub id: String,
    /// Display name, shown in the hunting blade.
    #[schemars(length(min = 1))]
    pub name: String,
    /// What the query hunts for and why.
    pub description: String,
    /// Data connectors, and the tables (data types) the query reads from each.
    pub required_data_connectors: Vec<DataConnector>,
    /// MITRE ATT&CK tactics, Sentinel spelling (e.g. `CommandAndControl`). A single string or a list.
    pub tactics: OneOrMany<String>,
    /// MITRE ATT&CK technique ids (e.g. `T1219`, `T1059.001`). A single string or a list.
    pub relevant_techniques: OneOrMany<String>,
    /// The KQL query.
    #[schemars(length(min = 1))]
    pub query: String,
    /// Content version, `MAJOR.MINOR.PATCH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+$"))]
    pub version: Option<String>,
    /// Rule kind; hunting queries usually omit it (analytics rules use `Scheduled` or `NRT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Severity (analytics rules; some hunting queries carry it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<RuleSeverity>,
    /// Lifecycle status, e.g. `Available`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// How often an analytics rule runs (ISO 8601-like `5m`, `1h`, `1d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[mhd]$"))]
    pub query_frequency: Option<String>,
    /// How far back the query looks (`5m`, `1h`, `14d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+[mhd]$"))]
    pub query_period: Option<String>,
    /// Free-form tags: strings, or objects such as `{Id: ..., Version: ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Solution metadata used by Content Hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Entities the query's output columns map to (at most 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10))]
    pub entity_mappings: Option<Vec<EntityMapping>>,
}

/// One required data connector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataConnector {
    /// Connector id, e.g. `MicrosoftThreatProtection`.
    #[schemars(length(min = 1))]
    pub connector_id: String,
    /// Tables this connector provides that the query reads.
    pub data_types: Vec<String>,
}

/// A single value or a list of values (upstream rules use both).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self, OneOrMany::One(_))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RuleSeverity {
    Informational,
    Low,
    Medium,
    High,
}

/// A tag: a plain string or a small object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Tag {
    Name(String),
    Object(std::collections::BTreeMap<String, String>),
}

/// Content Hub metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<MetadataSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<MetadataAuthor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<MetadataSupport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<MetadataCategories>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataSource {
    /// e.g. `Community`, `Solution`.
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataAuthor {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataSupport {
    /// e.g. `Community`, `Microsoft`, `Partner`.
    pub tier: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataCategories {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verticals: Option<Vec<String>>,
}

/// Maps output columns of the query to a Sentinel entity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntityMapping {
    /// Entity type, e.g. `Host`, `Account`, `IP`, `URL`, `File`, `Process`.
    pub entity_type: String,
    /// Identifier-to-column pairs (1 to 3).
    #[schemars(length(min = 1, max = 3))]
    pub field_mappings: Vec<FieldMapping>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldMapping {
    /// Entity identifier, e.g. `HostName`, `FullName`, `Address`.
    pub identifier: String,
    /// Output column of the query.
    pub column_name: String,
}
