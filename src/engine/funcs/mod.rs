//! Scalar functions, one file per family. Each family's `call` returns `None` for a
//! name it does not know.

pub mod convert;
pub mod dynamic;
pub mod geo;
pub mod ip;
pub mod math;
pub mod misc;
pub mod series;
pub mod series_analysis;
pub mod sketch;
pub mod string;
pub mod time;

use super::exec::Ctx;
use super::value::Value;
use super::{Error, Result};

/// Calls the scalar function `name` on evaluated arguments.
pub fn call(name: &str, args: Vec<Value>, cx: &Ctx) -> Result<Value> {
    let r = string::call(name, &args)
        .or_else(|| convert::call(name, &args))
        .or_else(|| math::call(name, &args, cx))
        .or_else(|| time::call(name, &args, cx))
        .or_else(|| dynamic::call(name, &args))
        .or_else(|| ip::call(name, &args))
        .or_else(|| series::call(name, &args))
        .or_else(|| series_analysis::call(name, &args))
        .or_else(|| geo::call(name, &args))
        .or_else(|| sketch::call(name, &args))
        .or_else(|| misc::call(name, &args));
    match r {
        Some(r) => r,
        None => Err(Error::new(format!("unknown function `{name}()`"))),
    }
}

/// The `i`th argument, or null.
pub fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Null).undyn_scalar()
}

impl Value {
    /// Unwraps dynamic scalars (strings, numbers, bools); arrays and bags stay.
    pub fn undyn_scalar(self) -> Value {
        match &self {
            Value::Dyn(_) => self.undyn(),
            _ => self,
        }
    }
}

/// Checks the argument count.
pub fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<()> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(Error::new(format!(
            "`{name}()` takes {want} arguments, not {}",
            args.len()
        )));
    }
    Ok(())
}

/// The string view of an argument (`tostring` rules: null is "").
pub fn s(args: &[Value], i: usize) -> String {
    args.get(i).map(Value::to_kusto_string).unwrap_or_default()
}

pub fn long(args: &[Value], i: usize) -> Option<i64> {
    args.get(i).and_then(Value::as_i64)
}

pub fn real(args: &[Value], i: usize) -> Option<f64> {
    args.get(i).and_then(Value::as_f64)
}
