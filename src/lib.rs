//! rulecat: a compiler and linter for catalogs of detection rules (Microsoft Sentinel /
//! Defender XDR hunting queries).
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! [`discover`] → [`load`] (with [`yaml`] spans) → [`schema`] → [`lint`] → [`report`].
//! The `rulecat` binary is a thin shell over [`run`].

pub mod analyze;
pub mod attack;
pub mod checked;
pub mod codes;
pub mod compile;
pub mod config;
pub mod contract;
pub mod coverage;
pub mod diagnostics;
pub mod discover;
pub mod engine;
pub mod fix;
pub mod fsutil;
pub mod knowledge;
pub mod kql;
pub mod lint;
pub mod load;
pub mod matcher;
pub mod model;
pub mod report;
pub mod ruletest;
pub mod run;
pub mod schema;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod tables;
pub mod time;
pub mod workspace;
pub mod yaml;
