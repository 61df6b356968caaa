//! Telemetry input below the matcher and the engine: [`scan`], the fast JSON-lines byte
//! scanner both read rows through (the matcher's readers in `matcher::read` run it in
//! front of serde_json; the engine's block reader in `engine::input` types cells from it),
//! and [`lines::lines`], a vectorised `str::lines` for splitting blocks of rows.

pub mod lines;
pub mod scan;
