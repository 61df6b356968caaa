//! Tables: named, typed columns and rows of values.

use super::value::{Ty, Value, unify};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Col {
    pub name: String,
    pub ty: Ty,
}

impl Col {
    pub fn new(name: impl Into<String>, ty: Ty) -> Col {
        Col {
            name: name.into(),
            ty,
        }
    }
}

/// A result or intermediate table. Rows are in the order the operators produced them.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub cols: Vec<Col>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(cols: Vec<Col>) -> Table {
        Table {
            cols,
            rows: Vec::new(),
        }
    }

    /// A table with no columns and one row: the input of `print`.
    pub fn unit() -> Table {
        Table {
            cols: Vec::new(),
            rows: vec![Vec::new()],
        }
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|c| c.name == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.cols.iter().map(|c| c.name.clone()).collect()
    }
}

/// The type of a computed column: the common type of its non-null values, else `hint`,
/// else `string`.
pub fn column_type<'a>(values: impl Iterator<Item = &'a Value>, hint: Option<Ty>) -> Ty {
    let mut t = None;
    for v in values {
        t = unify(t, v.ty());
    }
    t.or(hint).unwrap_or(Ty::String)
}

/// A name not yet used among `cols`: `base`, else `base1`, `base2`, ...
pub fn fresh_name(cols: &[Col], base: &str) -> String {
    if !cols.iter().any(|c| c.name == base) {
        return base.to_string();
    }
    (1..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !cols.iter().any(|c| &c.name == n))
        .unwrap_or_default()
}

/// Converts a value to a column's declared type where Kusto would (a long literal in an
/// `int` or `real` column, a string in a `datetime` column), else keeps it.
pub fn coerce(v: Value, ty: Ty) -> Value {
    if v.is_null() {
        return v;
    }
    match (ty, &v) {
        (Ty::Int, _) => v.as_i64().map_or(Value::Null, |i| Value::Int(i as i32)),
        (Ty::Long, Value::Int(_) | Value::Real(_) | Value::Decimal(_) | Value::Dyn(_)) => {
            v.as_i64().map_or(Value::Null, Value::Long)
        }
        (Ty::Real, Value::Int(_) | Value::Long(_) | Value::Decimal(_) | Value::Dyn(_)) => {
            v.as_f64().map_or(Value::Null, Value::Real)
        }
        (Ty::Decimal, Value::Int(_) | Value::Long(_) | Value::Real(_)) => {
            v.as_f64().map_or(Value::Null, Value::Decimal)
        }
        (Ty::Dynamic, Value::Dyn(_)) => v,
        (Ty::Dynamic, _) => Value::dynamic(v.to_json()),
        (Ty::String, Value::Str(_)) => v,
        (Ty::String, _) => Value::str(v.to_kusto_string()),
        (Ty::DateTime, Value::Str(s)) => crate::kql::time::parse(s)
            .or_else(|| super::eval::us_datetime(s))
            .map_or(Value::Null, Value::DateTime),
        (Ty::Guid, Value::Str(s)) => super::value::parse_guid(s).map_or(Value::Null, Value::Guid),
        (Ty::Bool, Value::Long(_) | Value::Int(_)) => Value::Bool(v.as_i64() != Some(0)),
        _ => v,
    }
}
