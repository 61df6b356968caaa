//! Hunting queries (`Hunting Queries/`, `Solutions/*/Hunting Queries/`).
//!
//! Sentinel's contract is small: `id`, `name` and `query`. Everything else is optional,
//! including `tactics` and `relevantTechniques`; the keys listed here are the ones upstream
//! hunting files use.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{DataConnector, QueryRuleKeys, RuleSeverity};

/// A hunting query (one YAML file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Sentinel / Defender XDR hunting query",
    description = "A hunting query as Azure-Sentinel's `Hunting Queries` folders write it. Generated from rulecat's rule model."
)]
pub struct HuntingQuery {
    /// Unique, stable identifier: a hyphenated UUID. Never change it once published.
    pub id: String,
    /// Display name, shown in the hunting blade.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The KQL query.
    #[schemars(length(min = 1))]
    pub query: String,
    /// What the query hunts for and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A longer description (Defender XDR hunting queries).
    #[serde(
        default,
        rename = "description-detailed",
        skip_serializing_if = "Option::is_none"
    )]
    pub description_detailed: Option<String>,
    /// Data connectors, and the tables (data types) the query reads from each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_data_connectors: Option<Vec<DataConnector>>,
    #[serde(flatten)]
    pub shared: QueryRuleKeys,
    /// Content version, `MAJOR.MINOR.PATCH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+$"))]
    pub version: Option<String>,
    /// Severity (some hunting queries carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<RuleSeverity>,
    /// How often the query is meant to run (some upstream hunting queries carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+[mhd]|([0-9]+\.)?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)$"))]
    pub query_frequency: Option<String>,
    /// How far back the query looks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+[mhd]|([0-9]+\.)?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)$"))]
    pub query_period: Option<String>,
    /// When the query was first published (free text).
    #[serde(
        default,
        rename = "createdDateUTC",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_utc: Option<String>,
    /// When the query was last changed (free text).
    #[serde(
        default,
        rename = "lastUpdatedDateUTC",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_date_utc: Option<String>,
}
