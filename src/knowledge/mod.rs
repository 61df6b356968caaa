//! Facts rulecat consults, loaded from data files embedded at build time. Each data file
//! records its source and version in its header; the Rust code holds logic, not facts.

pub mod entities;
