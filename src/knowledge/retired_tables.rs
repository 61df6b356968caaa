//! Advanced-hunting tables Microsoft renamed or retired (`knowledge/retired-tables.toml`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retired {
    /// The table or tables that hold the data now.
    pub replaced_by: Vec<String>,
}

const SOURCE: &str = include_str!("../../knowledge/retired-tables.toml");

static RETIRED: LazyLock<BTreeMap<String, Retired>> =
    LazyLock::new(|| toml::from_str(SOURCE).expect("knowledge/retired-tables.toml parses"));

/// What replaced a retired table, by its exact old name.
pub fn get(name: &str) -> Option<&'static Retired> {
    RETIRED.get(name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_replacement_is_a_current_table() {
        let catalog = crate::knowledge::tables::builtin();
        for (old, r) in super::RETIRED.iter() {
            assert!(catalog.table(old).is_none(), "{old} is still a table");
            for new in &r.replaced_by {
                assert!(catalog.table(new).is_some(), "{old} -> {new}");
            }
        }
        assert_eq!(
            super::get("ProcessCreationEvents").unwrap().replaced_by,
            ["DeviceProcessEvents"]
        );
    }
}
