//! Parsers and workspace functions: Sentinel's `Parsers/` YAML (`FunctionName`,
//! `FunctionParams`, `FunctionQuery`) and the ASIM parser YAML (`ParserName`,
//! `ParserParams`, `ParserQuery`). Parameters become `let`s of the body.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A parser or workspace function (one YAML file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Sentinel parser / workspace function",
    description = "A KQL function saved in the workspace: a solution parser (`FunctionName`, `FunctionQuery`) or an ASIM parser (`ParserName`, `ParserQuery`). Generated from rulecat's rule model."
)]
pub struct FunctionFile {
    /// Identifier of the content item (a hyphenated UUID), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Title, version and date of a solution parser.
    #[serde(default, rename = "Function", skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionInfo>,
    /// Title, version and date of an ASIM parser.
    #[serde(default, rename = "Parser", skip_serializing_if = "Option::is_none")]
    pub parser: Option<FunctionInfo>,
    /// Category shown in the workspace's function list.
    #[serde(default, rename = "Category", skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The name queries call the function by (solution parsers).
    #[serde(
        default,
        rename = "FunctionName",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub function_name: Option<String>,
    /// The alias the function is saved under.
    #[serde(
        default,
        rename = "FunctionAlias",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub function_alias: Option<String>,
    /// Parameters: each becomes a `let` of the body.
    #[serde(
        default,
        rename = "FunctionParams",
        skip_serializing_if = "Option::is_none"
    )]
    pub function_params: Option<Vec<FunctionParam>>,
    /// The function's body.
    #[serde(
        default,
        rename = "FunctionQuery",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(length(min = 1))]
    pub function_query: Option<String>,
    /// The name queries call the parser by (ASIM parsers).
    #[serde(
        default,
        rename = "ParserName",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub parser_name: Option<String>,
    /// Parameters: each becomes a `let` of the body.
    #[serde(
        default,
        rename = "ParserParams",
        skip_serializing_if = "Option::is_none"
    )]
    pub parser_params: Option<Vec<FunctionParam>>,
    /// The parser's body.
    #[serde(
        default,
        rename = "ParserQuery",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(length(min = 1))]
    pub parser_query: Option<String>,
    /// The source product of an ASIM parser.
    #[serde(default, rename = "Product", skip_serializing_if = "Option::is_none")]
    pub product: Option<Product>,
    /// The ASIM schema the parser produces.
    #[serde(
        default,
        rename = "Normalization",
        skip_serializing_if = "Option::is_none"
    )]
    pub normalization: Option<Normalization>,
    /// Documentation links.
    #[serde(
        default,
        rename = "References",
        skip_serializing_if = "Option::is_none"
    )]
    pub references: Option<Vec<Reference>>,
    /// What the parser does.
    #[serde(
        default,
        rename = "Description",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The built-in parser this workspace parser is equivalent to.
    #[serde(
        default,
        rename = "EquivalentBuiltInParser",
        skip_serializing_if = "Option::is_none"
    )]
    pub equivalent_built_in_parser: Option<String>,
    /// The source parsers a unifying parser calls.
    #[serde(default, rename = "Parsers", skip_serializing_if = "Option::is_none")]
    pub parsers: Option<Vec<String>>,
    /// Content kind (`Parser`).
    #[serde(
        default,
        rename = "Contentkind",
        skip_serializing_if = "Option::is_none"
    )]
    pub content_kind: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionInfo {
    #[serde(rename = "Title")]
    pub title: String,
    #[serde(default, rename = "Version", skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(
        default,
        rename = "LastUpdated",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated: Option<String>,
    #[serde(
        default,
        rename = "Description",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
}

/// One parameter: `Name`, `Type` and an optional `Default`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionParam {
    #[serde(rename = "Name")]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub name: String,
    /// A KQL scalar type (`string`, `datetime`, `dynamic`, `bool`, ...) or `table:(...)`.
    #[serde(rename = "Type")]
    pub ty: String,
    /// The default value, as KQL (`datetime(null)`, `dynamic([])`, `'*'`) or a YAML scalar.
    #[serde(default, rename = "Default", skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    #[serde(
        default,
        rename = "Description",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    #[serde(rename = "Name")]
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Normalization {
    /// The ASIM schema, e.g. `NetworkSession`, `Authentication`.
    #[serde(rename = "Schema")]
    pub schema: String,
    #[serde(default, rename = "Version", skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    #[serde(rename = "Title")]
    pub title: String,
    #[serde(rename = "Link")]
    pub link: String,
}
