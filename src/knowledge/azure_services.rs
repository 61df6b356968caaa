//! Tables and functions of Azure services beside the Log Analytics table reference
//! (`knowledge/azure-services.toml`): Log Analytics system functions such as `_LogOperation`,
//! and the Azure Resource Graph tables, which a Log Analytics query reaches only through
//! `arg("")`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::knowledge::tables::ColumnType;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    functions: BTreeMap<String, FunctionDef>,
    resource_graph: ResourceGraph,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionDef {
    columns: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceGraph {
    tables: Vec<String>,
}

/// A system function and the columns it returns.
#[derive(Debug)]
pub struct SystemFunction {
    pub columns: Vec<(String, ColumnType)>,
}

struct Facts {
    functions: BTreeMap<String, SystemFunction>,
    resource_graph: Vec<String>,
}

const SOURCE: &str = include_str!("../../knowledge/azure-services.toml");

static FACTS: LazyLock<Facts> = LazyLock::new(|| {
    let file: File = toml::from_str(SOURCE).expect("knowledge/azure-services.toml parses");
    let functions = file
        .functions
        .into_iter()
        .map(|(name, f)| {
            let columns = f
                .columns
                .into_iter()
                .map(|(c, t)| {
                    let ty = ColumnType::from_name(&t).expect("azure-services.toml: known type");
                    (c, ty)
                })
                .collect();
            (name, SystemFunction { columns })
        })
        .collect();
    Facts {
        functions,
        resource_graph: file.resource_graph.tables,
    }
});

/// A Log Analytics system function (`_LogOperation`), by its exact name.
pub fn system_function(name: &str) -> Option<&'static SystemFunction> {
    FACTS.functions.get(name)
}

/// The Resource Graph table `name` names (case-insensitively), in its documented spelling.
pub fn resource_graph_table(name: &str) -> Option<&'static str> {
    FACTS
        .resource_graph
        .iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_load_and_answer() {
        let f = system_function("_LogOperation").unwrap();
        assert_eq!(
            f.columns[0],
            ("TimeGenerated".to_string(), ColumnType::Datetime)
        );
        assert!(f.columns.iter().any(|(c, _)| c == "Detail"));
        assert!(system_function("_logoperation").is_none());
        assert_eq!(
            resource_graph_table("SecurityResources"),
            Some("securityresources")
        );
        assert_eq!(
            resource_graph_table("ResourceContainers"),
            Some("resourcecontainers")
        );
        assert!(resource_graph_table("SecurityEvent").is_none());
    }

    #[test]
    fn no_resource_graph_name_is_a_log_analytics_table() {
        let catalog = crate::knowledge::tables::builtin();
        for t in &FACTS.resource_graph {
            assert!(
                catalog.table_ci(t).is_none(),
                "{t} is also a Log Analytics table"
            );
        }
    }
}
