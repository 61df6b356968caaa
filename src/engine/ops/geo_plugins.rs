//! `evaluate geo_polygon_lookup(...)`.

use std::collections::HashMap;

use super::expr_name;
use crate::engine::eval::{Row, eval, eval_scalar};
use crate::engine::exec::{self, Ctx};
use crate::engine::table::{Col, Table, fresh_name};
use crate::engine::value::Value;
use crate::engine::{Error, Result};
use crate::kql::ast::*;

/// `T | evaluate geo_polygon_lookup(LookupTable, LookupPolygonKey, SourceLongitude,
/// SourceLatitude [, radius] [, return_unmatched] [, lookup_area_radius]
/// [, return_lookup_key])` (geo-polygon-lookup-plugin.md): each row of `T` with each
/// lookup row whose polygon holds the point (or is within `radius` meters of it), the
/// lookup columns after `T`'s (the polygon column only with `return_lookup_key`);
/// unmatched rows only with `return_unmatched`, their lookup columns null.
/// `lookup_area_radius` only speeds Kusto up and changes nothing here.
pub fn geo_polygon_lookup(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let [lookup, key, lng, lat, rest @ ..] = args else {
        return Err(Error::new(
            "geo_polygon_lookup() needs a lookup table, a polygon column, longitude and latitude",
        ));
    };
    let positional = [
        "radius",
        "return_unmatched",
        "lookup_area_radius",
        "return_lookup_key",
    ];
    let mut opts: HashMap<&str, Value> = HashMap::new();
    for (k, a) in rest.iter().enumerate() {
        let name = cx
            .arg_name(a)
            .unwrap_or(positional.get(k).copied().unwrap_or(""));
        let Some(name) = positional.iter().find(|p| **p == name).copied() else {
            return Err(Error::at(
                a.span(),
                "geo_polygon_lookup(): unexpected argument",
            ));
        };
        opts.insert(name, eval_scalar(a, cx)?);
    }
    let flag = |n: &str| opts.get(n).and_then(Value::as_bool) == Some(true);
    let (unmatched, with_key) = (flag("return_unmatched"), flag("return_lookup_key"));
    let radius = opts.get("radius").and_then(Value::as_f64).unwrap_or(0.0);
    let geo = |f: &str, a: &[Value]| -> Result<Value> {
        crate::engine::funcs::geo::call(f, a)
            .transpose()
            .map(|v| v.unwrap_or(Value::Null))
    };
    let lookup = GeoLookup {
        lookup,
        key,
        lng,
        lat,
        unmatched,
        with_key,
    };
    lookup.run(t, cx, |x, y, k| {
        let args = [x.clone(), y.clone(), k.clone()];
        Ok(if radius > 0.0 {
            geo("geo_distance_point_to_polygon", &args)?
                .as_f64()
                .is_some_and(|d| d <= radius)
        } else {
            geo("geo_point_in_polygon", &args)?.as_bool() == Some(true)
        })
    })
}

/// What `geo_polygon_lookup` and `geo_line_lookup` share: each input row's point against
/// every lookup row's shape (lookup rows in table order), the lookup columns after the
/// input's (the shape column only with `return_lookup_key`), unmatched rows only with
/// `return_unmatched`, their lookup columns null.
pub struct GeoLookup<'a> {
    pub lookup: &'a Expr,
    pub key: &'a Expr,
    pub lng: &'a Expr,
    pub lat: &'a Expr,
    pub unmatched: bool,
    pub with_key: bool,
}

impl GeoLookup<'_> {
    /// Runs the lookup; `hit(longitude, latitude, shape)` says whether a point matches.
    pub fn run(
        &self,
        t: &Table,
        cx: &Ctx,
        hit: impl Fn(&Value, &Value, &Value) -> Result<bool>,
    ) -> Result<Table> {
        let lt = exec::tabular(self.lookup, cx)?;
        let kname = expr_name(self.key).unwrap_or_default();
        let kc = lt.col(&kname).ok_or_else(|| {
            Error::at(self.key.span(), format!("unknown lookup column `{kname}`"))
        })?;
        let keep: Vec<usize> = (0..lt.cols.len())
            .filter(|&c| self.with_key || c != kc)
            .collect();
        let mut cols = t.cols.clone();
        for &c in &keep {
            let n = fresh_name(&cols, &lt.cols[c].name);
            cols.push(Col::new(n, lt.cols[c].ty));
        }
        let mut out = Table::new(cols);
        for i in 0..t.rows.len() {
            let row = Row::new(t, i);
            let (x, y) = (eval(self.lng, &row, cx)?, eval(self.lat, &row, cx)?);
            let mut matched = false;
            for lr in &lt.rows {
                if hit(&x, &y, &lr[kc])? {
                    matched = true;
                    let mut r = t.rows[i].clone();
                    r.extend(keep.iter().map(|&c| lr[c].clone()));
                    out.rows.push(r);
                }
            }
            if !matched && self.unmatched {
                let mut r = t.rows[i].clone();
                r.extend(keep.iter().map(|_| Value::Null));
                out.rows.push(r);
            }
        }
        Ok(out)
    }
}
