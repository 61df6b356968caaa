//! Analytics rules (`Analytic Rules/`): `kind: Scheduled`, `NRT`, and the query-less kinds
//! `Fusion`, `MLBehaviorAnalytics` and `MicrosoftSecurityIncidentCreation`.
//!
//! The contract is Sentinel's own template validation (Azure-Sentinel's
//! `.script/tests/detectionTemplateSchemaValidation`): what a schema can say is said here;
//! the cross-field rules (period ≥ frequency, 5 minutes to 14 days, entity identifiers,
//! techniques' tactics) are checked in [`crate::loading::contract`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{DataConnector, Metadata, OneOrMany, QueryRuleKeys, RuleSeverity, Tag};

/// A scheduled analytics rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Sentinel scheduled analytics rule",
    description = "An analytics rule with `kind: Scheduled`, as Azure-Sentinel's `Analytic Rules` folders write it. Generated from rulecat's rule model."
)]
pub struct ScheduledRule {
    #[serde(flatten)]
    pub header: AnalyticsHeader,
    /// How often the rule runs: `5m` to `14d` (`<number><m|h|d>` or `d.hh:mm:ss`).
    #[schemars(regex(pattern = r"^([0-9]+[mhd]|([0-9]+\.)?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)$"))]
    pub query_frequency: String,
    /// How far back the query looks: `5m` to `14d`, at least `queryFrequency`.
    #[schemars(regex(pattern = r"^([0-9]+[mhd]|([0-9]+\.)?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)$"))]
    pub query_period: String,
    /// `gt`, `lt`, `eq` or `ne` (or `GreaterThan`, `LessThan`, `Equal`, `NotEqual`).
    pub trigger_operator: TriggerOperator,
    /// The result count compared with `triggerOperator` (0 to 10,000).
    #[schemars(range(min = 0, max = 10000))]
    pub trigger_threshold: i64,
    /// Data connectors, and the tables (data types) the query reads from each.
    pub required_data_connectors: Vec<DataConnector>,
    #[serde(flatten)]
    pub common: AnalyticsCommon,
    /// Whether alerts are suppressed for `suppressionDuration` after one fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression_enabled: Option<bool>,
    /// How long to suppress (`5h`, `1d`, `PT5H`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^([0-9]+[mhd]|([0-9]+\.)?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?|P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?)$"
    ))]
    pub suppression_duration: Option<String>,
}

/// A near-real-time analytics rule: like a scheduled rule, without a schedule or trigger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Sentinel NRT analytics rule",
    description = "An analytics rule with `kind: NRT`. Generated from rulecat's rule model."
)]
pub struct NrtRule {
    #[serde(flatten)]
    pub header: AnalyticsHeader,
    /// Data connectors, and the tables (data types) the query reads from each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_data_connectors: Option<Vec<DataConnector>>,
    #[serde(flatten)]
    pub common: AnalyticsCommon,
}

/// The keys every query-based analytics rule starts with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsHeader {
    /// Unique, stable identifier: a hyphenated UUID.
    pub id: String,
    /// Display name (at most 256 characters).
    #[schemars(length(min = 1, max = 256))]
    pub name: String,
    /// What the rule detects (at most 5,000 characters).
    #[schemars(length(min = 1, max = 5000))]
    pub description: String,
    /// `Scheduled` or `NRT`.
    pub kind: String,
    pub severity: RuleSeverity,
    /// The KQL query (at most 10,000 characters).
    #[schemars(length(min = 1, max = 10000))]
    pub query: String,
}

/// The keys that scheduled and NRT rules share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsCommon {
    #[serde(flatten)]
    pub shared: QueryRuleKeys,
    /// Sub-technique ids (`T1059.001`), as Defender XDR exports write them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_techniques: Option<OneOrMany<String>>,
    /// One alert for all results, or one per result row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_grouping_settings: Option<EventGroupingSettings>,
    /// Whether alerts create incidents, and how alerts group into incidents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_configuration: Option<IncidentConfiguration>,
    /// Columns mapped to entities by name (older exports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentinel_entities_mappings: Option<Vec<SentinelEntitiesMapping>>,
    /// Content version, `MAJOR.MINOR.PATCH` (at most 20 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+$"), length(max = 20))]
    pub version: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TriggerOperator {
    #[serde(rename = "gt")]
    Gt,
    #[serde(rename = "lt")]
    Lt,
    #[serde(rename = "eq")]
    Eq,
    #[serde(rename = "ne")]
    Ne,
    GreaterThan,
    LessThan,
    Equal,
    NotEqual,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventGroupingSettings {
    pub aggregation_kind: AggregationKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AggregationKind {
    SingleAlert,
    AlertPerResult,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidentConfiguration {
    pub create_incident: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grouping_configuration: Option<GroupingConfiguration>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupingConfiguration {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopen_closed_incident: Option<bool>,
    /// How far back to look for an incident to join (`5h`, `1d`, `PT5H`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_method: Option<MatchingMethod>,
    /// Entity types to group by (with `matchingMethod: Selected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by_entities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by_alert_details: Option<Vec<GroupByAlertDetail>>,
    /// Custom detail keys to group by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by_custom_details: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum MatchingMethod {
    AllEntities,
    AnyAlert,
    Selected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum GroupByAlertDetail {
    DisplayName,
    Severity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SentinelEntitiesMapping {
    pub column_name: String,
}

/// A query-less analytics rule: `Fusion`, `MLBehaviorAnalytics` or
/// `MicrosoftSecurityIncidentCreation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Sentinel built-in analytics rule",
    description = "A Fusion, MLBehaviorAnalytics or MicrosoftSecurityIncidentCreation rule: no query. Generated from rulecat's rule model."
)]
pub struct BuiltinRule {
    /// Unique, stable identifier: a hyphenated UUID.
    pub id: String,
    #[schemars(length(min = 1, max = 256))]
    pub name: String,
    #[schemars(length(min = 1, max = 5000))]
    pub description: String,
    /// `Fusion`, `MLBehaviorAnalytics` or `MicrosoftSecurityIncidentCreation`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<RuleSeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_data_connectors: Option<Vec<DataConnector>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tactics: Option<OneOrMany<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant_techniques: Option<OneOrMany<String>>,
    /// The product whose alerts create incidents (MicrosoftSecurityIncidentCreation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severities_filter: Option<Vec<RuleSeverity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_names_filter: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_names_exclude_filter: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+$"))]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}
