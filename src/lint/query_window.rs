use std::collections::{HashMap, HashSet};

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;
use crate::kql::Span;
use crate::kql::ast::{BinOp, Expr, LetValue, LitValue, Operator, Pipeline, Statement, UnaryOp};
use crate::kql::visit;

declare_code! {
    /// A time filter whose window disagrees with the rule's declared window.
    ///
    /// ## What it finds
    /// - a window `let` (`let lookback = 7d;`) that is never applied while the query
    ///   filters on a different literal window (`ago(1d)`);
    /// - a reversed range, `Timestamp between (Time_end..Time_start)` with
    ///   `Time_end = now()` and `Time_start = now(-5d)`: always empty;
    /// - in a scheduled analytics rule, a window longer than `queryPeriod:` (`ago(30d)`
    ///   with `queryPeriod: 1d`): Sentinel runs the query over the last `queryPeriod` only.
    ///
    /// Windows that merely differ are not reported: a detection window beside a longer
    /// baseline (in a `join`, `lookup` or `union` leg, or shorter than `queryPeriod`) is
    /// the usual shape of real rules.
    ///
    /// ## Why it matters
    /// The window decides what the hunt sees. A declared 7-day lookback that silently
    /// became one day misses six days of activity while the rule claims to cover them; a
    /// reversed `between` returns nothing at all, so the rule looks clean forever; and a
    /// window longer than the rule's `queryPeriod` is empty beyond the period.
    ///
    /// ## Example
    /// ```kql
    /// let lookback = 7d;
    /// DeviceRegistryEvents
    /// | where Timestamp > ago(1d)
    /// ```
    /// Fixed:
    /// ```kql
    /// let lookback = 7d;
    /// DeviceRegistryEvents
    /// | where Timestamp > ago(lookback)
    /// ```
    ///
    /// ## How to fix
    /// Apply the declared window everywhere (`ago(lookback)` in every leg), put the
    /// earlier bound first in `between (start .. end)`, and keep `queryPeriod` at least as
    /// long as the longest window the query filters on.
    pub static CODE = {
        code: "Q0005",
        name: "query-window",
        level: Warning,
        summary: "a time filter whose window disagrees with the declared window",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Query,
    check_rule: Some(check),
    check_catalog: None,
};

const TICKS_PER_SECOND: i64 = 10_000_000;

/// A point in time: relative to `now()` (ticks, negative is the past) or absolute.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Point {
    Relative(i64),
    Absolute(i64),
}

/// A time filter on `Timestamp`/`TimeGenerated`.
struct TimeFilter {
    span: Span,
    lower: Option<Point>,
    upper: Option<Point>,
    /// For `between`: the two bound expressions' spans.
    bounds: Option<(Span, Span)>,
}

impl TimeFilter {
    /// The lookback in ticks, when the range starts relative to now and ends now.
    fn window(&self) -> Option<i64> {
        match (self.lower?, self.upper) {
            (Point::Relative(lo), None | Some(Point::Relative(0))) if lo < 0 => Some(-lo),
            _ => None,
        }
    }
}

struct Lets<'a> {
    scalars: HashMap<&'a str, &'a Expr>,
}

impl<'a> Lets<'a> {
    fn new(statements: &'a [Statement]) -> Self {
        let mut scalars = HashMap::new();
        for s in statements {
            if let Statement::Let(l) = s
                && let LetValue::Expr(e) = &l.value
            {
                scalars.insert(l.name.name.as_str(), e);
            }
        }
        Lets { scalars }
    }

    fn get(&self, e: &Expr) -> Option<&'a Expr> {
        e.as_name().and_then(|n| self.scalars.get(n).copied())
    }

    fn timespan(&self, e: &Expr, depth: u8) -> Option<i64> {
        if depth > 8 {
            return None;
        }
        match e.unparen() {
            Expr::Literal(l) => match l.value {
                LitValue::Timespan(t) => Some(t),
                _ => None,
            },
            Expr::Name(_) => self.timespan(self.get(e)?, depth + 1),
            Expr::Unary {
                op: UnaryOp::Neg,
                operand,
                ..
            } => self.timespan(operand, depth + 1).map(|t| -t),
            _ => None,
        }
    }

    fn point(&self, e: &Expr, depth: u8) -> Option<Point> {
        if depth > 8 {
            return None;
        }
        match e.unparen() {
            Expr::Call { func, args, .. } => match (func.name.as_str(), args.as_slice()) {
                ("now", []) => Some(Point::Relative(0)),
                ("now", [x]) => self.timespan(x, depth + 1).map(Point::Relative),
                ("ago", [x]) => self.timespan(x, depth + 1).map(|t| Point::Relative(-t)),
                _ => None,
            },
            Expr::Literal(l) => match l.value {
                LitValue::Datetime(Some(t)) => Some(Point::Absolute(t)),
                _ => None,
            },
            Expr::Name(_) => self.point(self.get(e)?, depth + 1),
            Expr::Binary {
                op: op @ (BinOp::Add | BinOp::Sub),
                lhs,
                rhs,
                ..
            } => {
                let p = self.point(lhs, depth + 1)?;
                let t = self.timespan(rhs, depth + 1)?;
                let t = if *op == BinOp::Sub { -t } else { t };
                Some(match p {
                    Point::Relative(x) => Point::Relative(x + t),
                    Point::Absolute(x) => Point::Absolute(x + t),
                })
            }
            _ => None,
        }
    }
}

fn is_time_column(e: &Expr) -> bool {
    matches!(e.unparen().as_name(), Some("Timestamp" | "TimeGenerated"))
}

fn time_filter(lets: &Lets<'_>, e: &Expr) -> Option<TimeFilter> {
    match e {
        Expr::Binary {
            op, lhs, rhs, span, ..
        } => {
            let (col, bound, lower) = match op {
                BinOp::Gt | BinOp::Ge => (lhs, rhs, true),
                BinOp::Lt | BinOp::Le => (lhs, rhs, false),
                _ => return None,
            };
            let (bound, lower) = if is_time_column(col) {
                (bound, lower)
            } else if is_time_column(bound) {
                (col, !lower)
            } else {
                return None;
            };
            let p = lets.point(bound, 0);
            Some(TimeFilter {
                span: *span,
                lower: if lower { p } else { None },
                upper: if lower { None } else { p },
                bounds: None,
            })
        }
        Expr::Between {
            negated: false,
            lhs,
            low,
            high,
            span,
            ..
        } if is_time_column(lhs) => {
            let lo = lets.point(low, 0);
            let hi = lets.point(high, 0).or_else(|| {
                // `(start .. 3d)`: the end is the start plus a timespan.
                let t = lets.timespan(high, 0)?;
                match lo? {
                    Point::Relative(x) => Some(Point::Relative(x + t)),
                    Point::Absolute(x) => Some(Point::Absolute(x + t)),
                }
            });
            Some(TimeFilter {
                span: *span,
                lower: lo,
                upper: hi,
                bounds: Some((low.span(), high.span())),
            })
        }
        _ => None,
    }
}

/// Every time filter in the `where` operators of a pipeline (not of nested ones).
fn pipeline_filters(lets: &Lets<'_>, p: &Pipeline) -> Vec<TimeFilter> {
    let mut out = Vec::new();
    for op in &p.ops {
        if let Operator::Where { pred } = &op.op {
            out.extend(
                pred.conjuncts()
                    .into_iter()
                    .filter_map(|c| time_filter(lets, c)),
            );
        }
    }
    out
}

fn fmt_ticks(t: i64) -> String {
    let s = t / TICKS_PER_SECOND;
    if t % TICKS_PER_SECOND != 0 {
        return format!("{}ms", t / 10_000);
    }
    if s % 86_400 == 0 {
        format!("{}d", s / 86_400)
    } else if s % 3_600 == 0 {
        format!("{}h", s / 3_600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Whether a `let` name reads as a time window (`lookback`, `timeframe`, `Time_start`),
/// not as another duration such as a bin size.
fn is_window_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "lookback",
        "look_back",
        "window",
        "period",
        "timeframe",
        "time_frame",
        "range",
        "ago",
        "back",
        "days",
        "hours",
        "start",
        "since",
        "span",
        "time",
        "history",
        "query",
    ]
    .iter()
    .any(|k| n.contains(k))
}

fn fmt_point(p: Point) -> String {
    match p {
        Point::Relative(0) => "now()".to_string(),
        Point::Relative(t) if t < 0 => format!("now(-{})", fmt_ticks(-t)),
        Point::Relative(t) => format!("now({})", fmt_ticks(t)),
        Point::Absolute(_) => "a fixed date".to_string(),
    }
}

fn parse_period(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: i64 = num.parse().ok()?;
    let secs = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return None,
    };
    Some(n * secs * TICKS_PER_SECOND)
}

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    let q = &ctx.parsed.query;
    let text = &ctx.rule.query.text;
    let src = |s: Span| text.get(s.start as usize..s.end as usize).unwrap_or("");
    let lets = Lets::new(&q.statements);
    let mut flagged: HashSet<(u32, u32)> = HashSet::new();
    let mut emit = |d: Diagnostic, s: Span, out: &mut Vec<Diagnostic>| {
        if flagged.insert((s.start, s.end)) {
            out.push(d);
        }
    };

    let mut all: Vec<TimeFilter> = Vec::new();
    visit::for_each_pipeline(q, |p| all.extend(pipeline_filters(&lets, p)));

    // Reversed ranges.
    for f in &all {
        let (Some(lo), Some(hi), Some((ls, hs))) = (f.lower, f.upper, f.bounds) else {
            continue;
        };
        let reversed = match (lo, hi) {
            (Point::Relative(a), Point::Relative(b)) | (Point::Absolute(a), Point::Absolute(b)) => {
                a > b
            }
            _ => false,
        };
        if reversed {
            let d = Diagnostic::new(
                &CODE,
                format!(
                    "`{}` is reversed: `{}` ({}) is later than `{}` ({}), so the range is empty and the query returns nothing",
                    src(f.span),
                    src(ls),
                    fmt_point(lo),
                    src(hs),
                    fmt_point(hi)
                ),
            )
            .at(
                ctx.rule.file,
                ctx.query_span(f.span),
                "empty time range: the later bound comes first",
            )
            .note("`between (a .. b)` keeps values with a <= x <= b; when a is after b, no value qualifies")
            .help(format!("swap the bounds: `between ({} .. {})`", src(hs), src(ls)));
            emit(d, f.span, out);
        }
    }

    // Window lets never applied while another window is.
    // The names the query uses, collected only when some `let` could be such a window.
    let window_lets = q.statements.iter().any(|s| {
        matches!(s, Statement::Let(l) if matches!(l.value, LetValue::Expr(_)) && is_window_name(&l.name.name))
    });
    let mut used: HashSet<&str, foldhash::fast::FixedState> = HashSet::default();
    if window_lets {
        visit::for_each_expr(q, |e| {
            if let Expr::Name(i) = e {
                used.insert(i.name.as_str());
            }
        });
    }
    for s in &q.statements {
        let Statement::Let(l) = s else { continue };
        let LetValue::Expr(e) = &l.value else {
            continue;
        };
        if used.contains(l.name.name.as_str()) || !is_window_name(&l.name.name) {
            continue;
        }
        let Some(declared) = lets.timespan(e, 0) else {
            continue;
        };
        if declared <= 0 {
            continue;
        }
        for f in &all {
            let Some(w) = f.window() else { continue };
            if w == declared {
                continue;
            }
            let d = Diagnostic::new(
                &CODE,
                format!(
                    "the query filters `{}` ({}), but declares `{} = {}` and never applies it",
                    src(f.span),
                    fmt_ticks(w),
                    l.name.name,
                    fmt_ticks(declared)
                ),
            )
            .at(
                ctx.rule.file,
                ctx.query_span(f.span),
                format!("a {} window", fmt_ticks(w)),
            )
            .secondary(
                ctx.rule.file,
                ctx.query_span(l.span),
                format!("declared window: {}", fmt_ticks(declared)),
            )
            .help(format!(
                "apply the declared window (`ago({})`), or change the let if {} is meant",
                l.name.name,
                fmt_ticks(w)
            ));
            emit(d, f.span, out);
        }
    }

    // A window longer than queryPeriod: Sentinel gives a scheduled rule's query only
    // `queryPeriod` of data, so the rest of the window is silently empty. (A window shorter
    // than the period is common and deliberate: a detection window beside a baseline.)
    if ctx.rule.kind == crate::loading::model::RuleKind::Scheduled
        && let Some(period) = ctx.rule.rule.query_period.as_deref()
        && let Some(pt) = parse_period(period)
    {
        let longest = all
            .iter()
            .filter_map(|f| f.window().map(|w| (w, f)))
            .filter(|(w, _)| *w > pt)
            .max_by_key(|(w, f)| (*w, std::cmp::Reverse(f.span.start)));
        if let Some((w, f)) = longest {
            let mut d = Diagnostic::new(
                &CODE,
                format!(
                    "the query filters `{}` ({}), longer than `queryPeriod: {period}`: Sentinel gives it only {period} of data",
                    src(f.span),
                    fmt_ticks(w)
                ),
            )
            .at(
                ctx.rule.file,
                ctx.query_span(f.span),
                format!("a {} window", fmt_ticks(w)),
            );
            if let Some(e) = ctx.rule.root.get("queryPeriod") {
                d = d.secondary(
                    ctx.rule.file,
                    e.value.span.clone(),
                    format!("declared period: {period}"),
                );
            }
            let d = d
                .note("a scheduled rule's query runs over the last `queryPeriod` only: rows older than that never reach it, so the longer window is empty beyond the period")
                .help(format!("raise `queryPeriod` to {} (at most 14d), or shorten the window to what the rule gets", fmt_ticks(w)));
            emit(d, f.span, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_ticks() {
        assert_eq!(parse_period("14d"), Some(14 * 86_400 * TICKS_PER_SECOND));
        assert_eq!(fmt_ticks(7 * 86_400 * TICKS_PER_SECOND), "7d");
        assert_eq!(fmt_ticks(90 * 60 * TICKS_PER_SECOND), "90m");
    }
}
