//! `invoke FileProfile(x, y)`: Defender XDR's enrichment function, which adds what
//! Microsoft knows about each file (prevalence, signer, ...) to the rows of a query.
//!
//! Offline there is no such service: the profiles are read from the input table named
//! `FileProfile` (`--table FileProfile=profiles.csv`, a `FileProfile.jsonl` given to
//! `match`, a `FileProfile:` table in a rule test), rows with any of the documented
//! columns and at least the hash column the call uses (`SHA1`, `SHA256` or `MD5`). The
//! output is the input with the documented columns added (a column the input already
//! has keeps the input's values): `SHA1`, `SHA256`, `MD5`, `FileSize`, `GlobalPrevalence`,
//! `GlobalFirstSeen`, `GlobalLastSeen`, `Signer`, `Issuer`, `SignerHash`,
//! `IsCertificateValid`, `IsRootSignerMicrosoft`, `SignatureState`, `IsExecutable`,
//! `ThreatName`, `Publisher`, `SoftwareName`, `ProfileAvailability`.
//!
//! `x` is the file-ID column (`SHA1`, `SHA256`, `InitiatingProcessSHA1`, ...; a name or a
//! string; default `SHA1`): its hash kind is read from its name (`...SHA256`, `...SHA1`,
//! `...MD5`). `y` limits how many distinct files are enriched (default 100, at most
//! 1,000, as documented); further rows get an empty `ProfileAvailability`, as do rows
//! without a file ID. A file found in the profiles gets their values and
//! `ProfileAvailability` `Available` (or the profile's own value); one not found,
//! `Missing`. Without a `FileProfile` input every added column is null: nothing is
//! invented, and a filter on them (`GlobalPrevalence < 500`) keeps no row, so give the
//! profiles the rule's logic depends on.

use std::collections::HashMap;
use std::rc::Rc;

use super::super::table::{Col, Table, coerce};
use super::super::value::{Ty, Value};
use super::super::{Error, Result, eval};
use super::Ctx;
use crate::kql::Span;
use crate::kql::ast::Expr;

/// The columns FileProfile() adds, with their documented types (`int` columns as
/// `long`: a file size passes 2^31).
pub const COLUMNS: &[(&str, Ty)] = &[
    ("SHA1", Ty::String),
    ("SHA256", Ty::String),
    ("MD5", Ty::String),
    ("FileSize", Ty::Long),
    ("GlobalPrevalence", Ty::Long),
    ("GlobalFirstSeen", Ty::DateTime),
    ("GlobalLastSeen", Ty::DateTime),
    ("Signer", Ty::String),
    ("Issuer", Ty::String),
    ("SignerHash", Ty::String),
    ("IsCertificateValid", Ty::Bool),
    ("IsRootSignerMicrosoft", Ty::Bool),
    ("SignatureState", Ty::String),
    ("IsExecutable", Ty::Bool),
    ("ThreatName", Ty::String),
    ("Publisher", Ty::String),
    ("SoftwareName", Ty::String),
    ("ProfileAvailability", Ty::String),
];

/// The name of the input table the profiles are read from.
pub const INPUT: &str = "FileProfile";

pub fn run(input: &Table, args: &[Expr], span: Span, cx: &Ctx) -> Result<Table> {
    let id_name = match args.first().map(Expr::unparen) {
        None => "SHA1".to_string(),
        Some(Expr::Name(id)) => id.name.clone(),
        Some(e) => eval::eval_scalar(e, cx)?.to_kusto_string(),
    };
    let limit = match args.get(1) {
        Some(e) => eval::eval_scalar(e, cx)?.as_i64().unwrap_or(100),
        None => 100,
    }
    .clamp(1, 1000) as usize;
    let id_col = input.col(&id_name).ok_or_else(|| {
        Error::at(
            span,
            format!("FileProfile(): the input has no file-ID column `{id_name}`"),
        )
    })?;
    let upper = id_name.to_ascii_uppercase();
    let kind = if upper.ends_with("SHA256") {
        "SHA256"
    } else if upper.ends_with("MD5") {
        "MD5"
    } else {
        "SHA1"
    };
    // The profiles by hash (lower case), when they are given.
    let profiles = cx.db.tables.get(INPUT).cloned();
    let by_hash: Option<(Rc<Table>, HashMap<String, usize>)> = profiles.map(|p| {
        let mut m = HashMap::new();
        if let Some(c) = p.col(kind) {
            for (i, r) in p.rows.iter().enumerate() {
                if !r[c].is_null() {
                    m.entry(r[c].to_kusto_string().to_ascii_lowercase())
                        .or_insert(i);
                }
            }
        }
        (p, m)
    });
    let added: Vec<(usize, &str, Ty)> = COLUMNS
        .iter()
        .filter(|(n, _)| input.col(n).is_none())
        .enumerate()
        .map(|(i, (n, t))| (input.cols.len() + i, *n, *t))
        .collect();
    let mut cols = input.cols.clone();
    cols.extend(added.iter().map(|(_, n, t)| Col::new(*n, *t)));
    let mut out = Table::new(cols);
    let mut enriched: HashMap<String, ()> = HashMap::new();
    for row in &input.rows {
        let mut r = row.clone();
        r.extend(added.iter().map(|_| Value::Null));
        let availability = |r: &mut Vec<Value>, v: Value| {
            if let Some((i, _, _)) = added.iter().find(|(_, n, _)| *n == "ProfileAvailability") {
                r[*i] = v;
            }
        };
        if let Some((p, m)) = &by_hash {
            let id = row[id_col].to_kusto_string().to_ascii_lowercase();
            let within =
                !id.is_empty() && (enriched.contains_key(&id) || enriched.len() < limit) && {
                    enriched.insert(id.clone(), ());
                    true
                };
            if !within {
                availability(&mut r, Value::str(""));
            } else if let Some(&pi) = m.get(&id) {
                for (i, n, t) in &added {
                    if let Some(c) = p.col(n) {
                        r[*i] = match &p.rows[pi][c] {
                            Value::Str(s) if *t != Ty::String => {
                                super::super::external::text_value(s, *t)
                            }
                            v => coerce(v.clone(), *t),
                        };
                    }
                }
                if added
                    .iter()
                    .find(|(_, n, _)| *n == "ProfileAvailability")
                    .is_some_and(|(i, _, _)| r[*i].is_null())
                {
                    availability(&mut r, Value::str("Available"));
                }
            } else {
                availability(&mut r, Value::str("Missing"));
            }
        }
        out.rows.push(r);
    }
    Ok(out)
}
