//! rulecat: a compiler and linter for catalogs of detection rules (Microsoft Sentinel /
//! Defender XDR hunting queries).
//!
//! The pipeline, one folder per stage (see ARCHITECTURE.md): [`loading`] (discover, YAML
//! with spans, the rule model, schema) → [`kql`] (syntax, then semantics with the table
//! catalog of [`knowledge`]) → [`lint`] → [`report`]; [`compile`] writes bundles that
//! [`matcher`] and [`engine`] run. The `rulecat` binary is a thin shell over [`run`].

pub mod checked;
pub mod codes;
pub mod compile;
pub mod config;
pub mod coverage;
pub mod diagnostics;
pub mod engine;
pub mod fix;
pub mod fsutil;
pub mod knowledge;
pub mod kql;
pub mod lint;
pub mod loading;
pub mod matcher;
pub mod report;
pub mod ruletest;
pub mod run;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod telemetry;
