//! Loading: from paths to checked rule files. [`discover`] walks the catalog, [`load`]
//! reads each file ([`yaml`] with exact spans) into the rule [`model`], [`schema`]
//! validates it against the kind's JSON Schema and [`contract`] checks what a schema
//! cannot say; [`workspace`] loads what `rulecat.toml` declares (custom tables,
//! functions, watchlists).

pub mod contract;
pub mod discover;
pub mod load;
pub mod model;
pub mod schema;
pub mod workspace;
pub mod yaml;

/// The configuration file's name, found in the catalog's folder or a parent
/// (`crate::config` reads it; the loader names it in diagnostics).
pub const CONFIG_FILE: &str = "rulecat.toml";
