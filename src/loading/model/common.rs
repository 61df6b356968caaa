//! Types shared by several rule kinds: data connectors, entity mappings, tags, metadata,
//! and the keys hunting queries and query-based analytics rules share.

use std::collections::BTreeMap;

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

/// The optional keys that hunting queries and query-based analytics rules share: the
/// ATT&CK mapping, entities, custom details, alert overrides and content lifecycle.
/// Flattened into [`super::hunting::HuntingQuery`] and
/// [`super::analytics::AnalyticsCommon`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueryRuleKeys {
    /// MITRE ATT&CK tactics, Sentinel spelling (e.g. `CommandAndControl`). A single string
    /// or a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tactics: Option<OneOrMany<String>>,
    /// MITRE ATT&CK technique ids (`T1219`, `T1059.001`); each technique's tactics must be
    /// in `tactics`. A single string or a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant_techniques: Option<OneOrMany<String>>,
    /// Entities the query's output columns map to (1 to 10 mappings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10))]
    pub entity_mappings: Option<Vec<EntityMapping>>,
    /// Output columns surfaced as custom details: at most 20; keys of at most 20
    /// characters starting with a letter; values are column names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub custom_details: Option<BTreeMap<String, String>>,
    /// Alert name, description, tactics and severity taken from the query's columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_details_override: Option<AlertDetailsOverride>,
    /// Lifecycle status, e.g. `Available`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Free-form tags: strings, or objects such as `{Id: ..., Version: ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Solution metadata used by Content Hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `alertDetailsOverride`: `{{Column}}` placeholders (at most 3 per format) name columns
/// of the query's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertDetailsOverride {
    /// Alert name template (1 to 256 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub alert_display_name_format: Option<String>,
    /// Alert description template (1 to 5,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 5000))]
    pub alert_description_format: Option<String>,
    /// A result column holding the alert's tactics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_tactics_column_name: Option<String>,
    /// A result column holding the alert's severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_severity_column_name: Option<String>,
    /// Further alert properties taken from result columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_dynamic_properties: Option<Vec<AlertDynamicProperty>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertDynamicProperty {
    /// e.g. `AlertLink`, `ProviderName`, `ProductName`, `RemediationSteps`.
    pub alert_property: String,
    /// The result column.
    pub value: String,
}
