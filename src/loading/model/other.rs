//! The other files a Sentinel catalog holds: summary rules, Defender XDR custom
//! detections, and ARM deployment templates of alert rules. Their query is checked like
//! any other; their schemas cover the keys rulecat reads and leave the rest open.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::DataConnector;

/// A summary rule: a query whose results are written to `destinationTable` every `binSize`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Sentinel summary rule",
    description = "A summary rule (`Summary rules/`). Generated from rulecat's rule model."
)]
pub struct SummaryRule {
    pub id: String,
    #[schemars(length(min = 1))]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The custom table the results go to (`*_CL`).
    #[schemars(regex(pattern = r"_CL$"))]
    pub destination_table: String,
    #[schemars(length(min = 1))]
    pub query: String,
    /// Minutes per run: 20, 30, 60, 120, 180, 360, 720 or 1440.
    pub bin_size: BinSize,
    /// Minutes to wait for late data before a bin runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub bin_delay: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+$"))]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_data_connectors: Option<Vec<DataConnector>>,
}

/// The bin sizes summary rules accept, in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct BinSize(pub i64);

impl BinSize {
    pub const ALLOWED: [i64; 8] = [20, 30, 60, 120, 180, 360, 720, 1440];
}

impl TryFrom<i64> for BinSize {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if BinSize::ALLOWED.contains(&v) {
            Ok(BinSize(v))
        } else {
            Err(format!("{v} is not an allowed bin size"))
        }
    }
}

impl From<BinSize> for i64 {
    fn from(b: BinSize) -> i64 {
        b.0
    }
}

impl JsonSchema for BinSize {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BinSize".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "enum": BinSize::ALLOWED,
        })
    }
}

/// A Defender XDR custom detection rule (`kind: CustomDetection`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Defender XDR custom detection",
    description = "A custom detection rule for Defender XDR (`XDR Detections/`); its query is `properties.queryCondition.queryText`. Generated from rulecat's rule model."
)]
pub struct CustomDetection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// `CustomDetection`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Where the detection was converted from (free form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_provenance: Option<serde_json::Value>,
    pub properties: CustomDetectionProperties,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomDetectionProperties {
    pub display_name: String,
    pub query_condition: QueryCondition,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueryCondition {
    #[schemars(length(min = 1))]
    pub query_text: String,
}

/// An ARM deployment template whose resources are alert rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "ARM template of Sentinel alert rules",
    description = "An Azure Resource Manager deployment template; each resource's `properties.query` is a KQL query. Generated from rulecat's rule model."
)]
pub struct ArmTemplate {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub content_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<serde_json::Value>,
    #[schemars(length(min = 1))]
    pub resources: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<serde_json::Value>,
}
