//! Sentinel's entity types and their identifiers (`knowledge/entities.toml`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// One entity type: the identifiers it accepts and the sufficient identifier sets.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityType {
    pub identifiers: Vec<String>,
    pub required_any: Vec<Vec<String>>,
}

const SOURCE: &str = include_str!("../../knowledge/entities.toml");

static ENTITIES: LazyLock<BTreeMap<String, EntityType>> =
    LazyLock::new(|| toml::from_str(SOURCE).expect("knowledge/entities.toml parses"));

/// Every entity type by name (`Account`, `Host`, `IP`, ...).
pub fn all() -> &'static BTreeMap<String, EntityType> {
    &ENTITIES
}

/// An entity type by its exact name.
pub fn get(name: &str) -> Option<&'static EntityType> {
    ENTITIES.get(name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn entity_facts_are_consistent() {
        let all = super::all();
        assert_eq!(all.len(), 19);
        for (name, e) in all {
            assert!(!e.required_any.is_empty(), "{name}");
            for set in &e.required_any {
                for id in set {
                    assert!(e.identifiers.contains(id), "{name}.{id}");
                }
            }
        }
        assert!(
            super::get("Account")
                .unwrap()
                .identifiers
                .contains(&"Sid".to_string())
        );
        assert!(super::get("account").is_none());
    }
}
