//! Types shared by several rule kinds: data connectors, entity mappings, tags, metadata.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
