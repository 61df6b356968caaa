//! Stage 8: run a bundle over telemetry and compute what each rule's query returns.
//!
//! Telemetry is JSON lines or CSV exports of Defender tables. A row's table comes from
//! `--table`, a `Type` / `$table` column, or the file name (`DeviceNetworkEvents.jsonl`).
//! For each table the engine builds one [`ops::PatternSet`] per field over every
//! indicator of that table's rules (Aho-Corasick underneath), so a row costs one scan
//! per field whatever the number of indicators; then each rule's predicate is evaluated
//! from the hit set. Results are accumulated per rule (summarize groups, projected rows)
//! and printed in a deterministic order.
//!
//! Semantics follow Microsoft's KQL docs: see [`ops`] for the string operators;
//! `between` is inclusive; `now()` is one instant for the whole run (`--now`); a string
//! column that is null or missing behaves as the empty string (Kusto strings are never
//! null), while a null number or datetime makes every comparison false.

mod engine_run;
pub use engine_run::NOT_BOUND;
pub(crate) mod read;
mod render;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::compile::bundle::*;
use crate::knowledge::tables::ColumnType;
use crate::kql::strops::{PatternSet, StrOpKind};

#[doc(hidden)]
pub use read::fuzzing;
pub use read::{InputFormat, Problem, ProblemKind};
pub use render::{OutputFormat, render};

/// What to run.
#[derive(Debug, Clone)]
pub struct MatchOptions {
    /// "now" for `now()` / `ago()`, in ticks.
    pub now: i64,
    /// Force every input's table.
    pub table: Option<String>,
    /// Show a progress bar on stderr (only when stderr is a terminal).
    pub progress: bool,
    /// `externaldata` URL → the local file the engine reads for it.
    pub external: std::collections::BTreeMap<String, std::path::PathBuf>,
}

/// A cell of a result row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    String(String),
    Long(i64),
    Real(f64),
    Bool(bool),
    /// Ticks.
    Datetime(i64),
    List(Vec<Value>),
}

/// What one rule returned.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleResult {
    pub id: String,
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Rows of the rule's table that were read.
    pub rows_scanned: u64,
    /// Rows of the rule's table that its time window (`logic.window`) excluded: when this
    /// is every row, the telemetry is probably older than `--now` allows.
    pub rows_outside_window: u64,
    /// Why the rule returned nothing it could have: not run (compiled with
    /// `--allow-partial` and a construct the engine cannot run), or the engine's error.
    pub note: Option<String>,
}

/// Counts for the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: usize,
    pub rows_read: u64,
    pub bytes_read: u64,
    /// Rows whose table no rule of the bundle reads.
    pub rows_other_tables: u64,
    /// Rows whose table could not be told.
    pub rows_unknown_table: u64,
    pub rows_malformed: u64,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct MatchOutcome {
    pub results: Vec<RuleResult>,
    pub stats: Stats,
    pub problems: Vec<Problem>,
}

/// A usage error (exit code 2).
#[derive(Debug)]
pub struct MatchError(pub String);

/// How a column's text is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    String,
    Number,
    Datetime,
    Bool,
    Dynamic,
}

fn kind_of(t: Option<ColumnType>) -> Kind {
    match t {
        Some(ColumnType::Int | ColumnType::Long | ColumnType::Real | ColumnType::Decimal) => {
            Kind::Number
        }
        Some(ColumnType::Datetime) => Kind::Datetime,
        Some(ColumnType::Bool) => Kind::Bool,
        Some(ColumnType::Dynamic) => Kind::Dynamic,
        _ => Kind::String,
    }
}

/// A compiled field matcher: one pattern set over every indicator on a field.
struct FieldMatcher {
    slot: usize,
    set: PatternSet,
    /// Pattern index → global indicator id.
    ids: Vec<usize>,
}

/// Accumulates one rule's output.
enum Acc {
    Rows {
        cols: Vec<usize>,
        names: Vec<String>,
        rows: Vec<Vec<Value>>,
    },
    Summarize {
        keys: Vec<usize>,
        key_names: Vec<String>,
        aggs: Vec<(AggFunction, Option<usize>, String)>,
        groups: HashMap<Vec<KeyVal>, Vec<AggState>>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyVal {
    Null,
    Str(String),
    Time(i64),
}

#[derive(Clone, Debug)]
enum AggState {
    Count(i64),
    Dcount(HashSet<String>),
    Min(Option<Value>),
    Max(Option<Value>),
    Sum(f64, bool),
    Set(BTreeSet<SetItem>),
    List(Vec<Value>),
    Any(Option<Value>),
}

/// A make_set element, ordered for deterministic output.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SetItem {
    Num(i64),
    Str(String),
}

struct RuleRun<'b> {
    rule: &'b CompiledRule,
    /// The table the rule reads.
    table: &'b str,
    /// The rule's predicate with each `Or` over indicators folded into one group test.
    pred: Pred<'b>,
    acc: Acc,
    limit: Option<u64>,
    emitted: u64,
    scanned: u64,
    /// The top-level time filters of the rule (those that make its window), conjuncts of
    /// `pred`: evaluated first on each row, the rows they reject are counted in
    /// [`RuleResult::rows_outside_window`].
    window: Vec<&'b Predicate>,
    outside_window: u64,
}

/// The top-level conjuncts of a predicate that filter on the window's column with a time
/// constant (the parts `compile::lower` turns into `logic.window`).
fn window_filters(logic: &Logic) -> Vec<&Predicate> {
    let Some(w) = &logic.window else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![&logic.predicate];
    while let Some(p) = stack.pop() {
        match p {
            Predicate::And { all } => stack.extend(all.iter()),
            Predicate::Between {
                column,
                low: Scalar::Time(_),
                high: Scalar::Time(_),
            }
            | Predicate::Compare {
                column,
                value: Scalar::Time(_),
                ..
            } if *column == w.column => out.push(p),
            _ => {}
        }
    }
    out
}

/// Column name → slot, hashed with foldhash.
type SlotMap = HashMap<String, usize, foldhash::fast::FixedState>;

/// Everything needed to evaluate the rules of one table.
struct TableEngine<'b> {
    /// Column name → slot.
    slots: HashMap<String, usize>,
    slot_names: Vec<String>,
    slot_kinds: Vec<Kind>,
    /// Per slot: read only for the engine's prefiltered rows (a missing column is null
    /// there, as in a table read whole), so its absence is not a problem to report.
    optional: Vec<bool>,
    fields: Vec<FieldMatcher>,
    rules: Vec<RuleRun<'b>>,
    /// Predicates reference these columns by slot. Looked up on every evaluation of a
    /// leaf, so with a fast fixed hasher instead of SipHash (the keys are column names
    /// from the bundle, not attacker-chosen input).
    pred_slots: SlotMap,
    /// Every column of the table is needed (a rule returns whole rows).
    all_columns: bool,
    /// Global indicator id → the indicator groups (`Pred::AnyOf`, numbered across
    /// every engine of the run) it belongs to.
    groups_of: Vec<Vec<usize>>,
    /// Global indicator id → the index in `fields` of the field matcher that tests it.
    field_of: Vec<usize>,
    /// Per field matcher: the row generation it was last run for. Fields are matched
    /// lazily, when a predicate first needs one of their indicators, so a row that fails
    /// the time window or the first filter is never scanned for the other fields.
    field_stamp: Vec<u32>,
    /// Per slot: the row generation its datetime was parsed in, and the value; every
    /// rule of the table compares `Timestamp` with its window, so it is parsed once a
    /// row instead of once a rule.
    times: Vec<Cell<(u32, Option<i64>)>>,
    /// The date of the last ISO timestamp parsed, for [`parse_time`].
    day: Cell<DayCache>,
}

/// The date part (`YYYY-MM-DD`) of the last `YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z` timestamp
/// parsed, and its ticks at midnight. All zeros (no digits) until one is parsed.
#[derive(Clone, Copy, Default)]
struct DayCache {
    date: [u8; 10],
    ticks: i64,
}

/// `kql::time::parse`, faster for the rows of an export: they come in time order, so
/// most share their date with the row before, and only the time of day is read then.
/// Same result as `kql::time::parse` on every input: the shortcut is taken only for a
/// text of the ISO UTC form whose date bytes equal a date that form was parsed with.
fn parse_time(day: &Cell<DayCache>, text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let cached = day.get();
    if b.len() >= 20
        && b[..10] == cached.date
        && let Some(tod) = iso_time_of_day(b)
    {
        return Some(cached.ticks + tod);
    }
    let t = crate::kql::time::parse(text)?;
    // Remember the date when the text has the ISO UTC form (then `t` is its midnight
    // plus the time of day).
    if b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
        && let Some(tod) = iso_time_of_day(b)
        && (t - tod).rem_euclid(crate::kql::time::TICKS_PER_DAY) == 0
    {
        let mut date = [0; 10];
        date.copy_from_slice(&b[..10]);
        day.set(DayCache {
            date,
            ticks: t - tod,
        });
    }
    Some(t)
}

/// The time of day of `YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z` in ticks, with the checks the
/// datetime parser makes of that part (the date is not looked at); `None` when the
/// text does not have that form.
fn iso_time_of_day(b: &[u8]) -> Option<i64> {
    const SECOND: i64 = crate::kql::time::TICKS_PER_SECOND;
    if b.len() < 20 || b.len() > 28 || b[b.len() - 1] != b'Z' {
        return None;
    }
    if b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<i64> {
        let (x, y) = (b[i], b[i + 1]);
        (x.is_ascii_digit() && y.is_ascii_digit()).then(|| i64::from((x - b'0') * 10 + (y - b'0')))
    };
    let (hour, min, sec) = (two(11)?, two(14)?, two(17)?);
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let frac = crate::kql::literal::iso_fraction_ticks(b)?;
    Some(((hour * 60 + min) * 60 + sec) * SECOND + frac)
}

/// A predicate as the engine evaluates it: `has_any (...)` and other `Or`s over
/// indicators become one `AnyOf` test, so their cost does not grow with the list.
enum Pred<'b> {
    And(Vec<Pred<'b>>),
    Or(Vec<Pred<'b>>),
    Not(Box<Pred<'b>>),
    /// Some indicator of group `group` hit the row; `fields` are the field matchers
    /// that test the group's indicators.
    AnyOf {
        group: usize,
        fields: Vec<usize>,
    },
    Leaf(&'b Predicate),
}

fn lower<'b>(p: &'b Predicate, groups: &mut Vec<Vec<usize>>) -> Pred<'b> {
    match p {
        Predicate::And { all } => Pred::And(all.iter().map(|q| lower(q, groups)).collect()),
        Predicate::Or { any } => {
            let ids: Vec<usize> = any
                .iter()
                .filter_map(|q| match q {
                    Predicate::Indicator { indicator } => Some(*indicator),
                    _ => None,
                })
                .collect();
            if ids.len() < 2 {
                return Pred::Or(any.iter().map(|q| lower(q, groups)).collect());
            }
            let mut rest: Vec<Pred<'b>> = any
                .iter()
                .filter(|q| !matches!(q, Predicate::Indicator { .. }))
                .map(|q| lower(q, groups))
                .collect();
            rest.push(Pred::AnyOf {
                group: groups.len(),
                fields: Vec::new(),
            });
            groups.push(ids);
            Pred::Or(rest)
        }
        Predicate::Not { not } => Pred::Not(Box::new(lower(not, groups))),
        other => Pred::Leaf(other),
    }
}

/// Per-row scratch: which indicators hit (generation-stamped, so nothing is cleared).
struct Hits {
    stamp: Vec<u32>,
    /// The same for indicator groups (`Pred::AnyOf`).
    group_stamp: Vec<u32>,
    generation: u32,
}

impl Hits {
    /// Starts a row; true when the generation counter wrapped and every stamp (also the
    /// engines' field stamps) must be cleared.
    fn next_row(&mut self) -> bool {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.group_stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
            return true;
        }
        false
    }
    fn set(&mut self, id: usize) {
        self.stamp[id] = self.generation;
    }
    fn get(&self, id: usize) -> bool {
        self.stamp[id] == self.generation
    }
    fn group(&self, g: usize) -> bool {
        self.group_stamp[g] == self.generation
    }
}

/// The values of the needed columns of one row, as text (`None` = null or missing).
pub struct Row<'a> {
    pub cells: Vec<Option<std::borrow::Cow<'a, str>>>,
}

impl<'b> TableEngine<'b> {
    fn new(
        table: &str,
        bundle: &'b Bundle,
        rules: Vec<(&'b CompiledRule, &'b Logic)>,
        groups: &mut Vec<Vec<usize>>,
    ) -> Result<Self, MatchError> {
        let schema = crate::knowledge::tables::builtin().table(table);
        let col_type = |name: &str| schema.and_then(|t| t.column(name)).map(|c| c.ty);
        let mut e = TableEngine {
            slots: HashMap::new(),
            slot_names: Vec::new(),
            slot_kinds: Vec::new(),
            optional: Vec::new(),
            fields: Vec::new(),
            rules: Vec::new(),
            pred_slots: SlotMap::default(),
            all_columns: false,
            groups_of: vec![Vec::new(); bundle.indicators.len()],
            field_of: vec![usize::MAX; bundle.indicators.len()],
            field_stamp: Vec::new(),
            times: Vec::new(),
            day: Cell::new(DayCache::default()),
        };
        let first_group = groups.len();
        let slot = |e: &mut TableEngine<'b>, name: &str| -> usize {
            if let Some(&s) = e.slots.get(name) {
                e.optional[s] = false;
                return s;
            }
            e.slots.insert(name.to_string(), e.slot_names.len());
            e.slot_names.push(name.to_string());
            e.slot_kinds.push(kind_of(col_type(name)));
            e.optional.push(false);
            e.slot_names.len() - 1
        };
        // A slot only the engine's prefilter rows need: missing in the data is no problem.
        let optional_slot = |e: &mut TableEngine<'b>, name: &str| -> usize {
            if let Some(&s) = e.slots.get(name) {
                return s;
            }
            let s = slot(e, name);
            e.optional[s] = true;
            s
        };
        // Indicators of this table's rules, grouped by field.
        let mut by_field: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (_, logic) in &rules {
            collect_indicators(&logic.predicate, &mut |id| {
                let f = bundle.indicators[id].field.as_str();
                let v = by_field.entry(f).or_default();
                if !v.contains(&id) {
                    v.push(id);
                }
            });
        }
        for (field, ids) in by_field {
            let s = slot(&mut e, field);
            let mut patterns = Vec::with_capacity(ids.len());
            for &id in &ids {
                let ind = &bundle.indicators[id];
                let op = StrOpKind::from_kql(&ind.operator).ok_or_else(|| {
                    MatchError(format!(
                        "bundle indicator {id} has an unknown operator `{}`",
                        ind.operator
                    ))
                })?;
                patterns.push((op, ind.value.clone()));
            }
            let set = PatternSet::new(&patterns)
                .map_err(|e| MatchError(format!("bundle indicators on `{field}`: {e}")))?;
            e.fields.push(FieldMatcher { slot: s, set, ids });
        }
        for (r, logic) in rules {
            collect_columns(&logic.predicate, &mut |c| {
                let s = slot(&mut e, c);
                e.pred_slots.insert(c.to_string(), s);
            });
            let acc = match &logic.output {
                Output::Rows => {
                    e.all_columns = true;
                    let names: Vec<String> = match schema {
                        Some(t) => t
                            .columns
                            .iter()
                            .filter(|c| !c.sentinel_only)
                            .map(|c| c.name.clone())
                            .collect(),
                        None => Vec::new(),
                    };
                    let cols = if engine_run::is_prefilter_rule(&r.id) {
                        names.iter().map(|n| optional_slot(&mut e, n)).collect()
                    } else {
                        names.iter().map(|n| slot(&mut e, n)).collect()
                    };
                    Acc::Rows {
                        cols,
                        names,
                        rows: Vec::new(),
                    }
                }
                Output::Project { columns } => {
                    let cols = columns.iter().map(|c| slot(&mut e, &c.source)).collect();
                    let names = columns.iter().map(|c| c.name.clone()).collect();
                    Acc::Rows {
                        cols,
                        names,
                        rows: Vec::new(),
                    }
                }
                Output::Summarize { by, aggregates } => {
                    let keys = by.iter().map(|k| slot(&mut e, k)).collect();
                    let aggs = aggregates
                        .iter()
                        .map(|a| {
                            (
                                a.function,
                                a.column.as_deref().map(|c| slot(&mut e, c)),
                                a.name.clone(),
                            )
                        })
                        .collect();
                    Acc::Summarize {
                        keys,
                        key_names: by.clone(),
                        aggs,
                        groups: HashMap::new(),
                    }
                }
            };
            e.rules.push(RuleRun {
                rule: r,
                table: &logic.table,
                pred: lower(&logic.predicate, groups),
                acc,
                limit: logic.limit,
                emitted: 0,
                scanned: 0,
                window: window_filters(logic),
                outside_window: 0,
            });
        }
        for (g, ids) in groups.iter().enumerate().skip(first_group) {
            for &id in ids {
                e.groups_of[id].push(g);
            }
        }
        for (fi, f) in e.fields.iter().enumerate() {
            for &id in &f.ids {
                e.field_of[id] = fi;
            }
        }
        e.field_stamp = vec![0; e.fields.len()];
        e.times = vec![Cell::new((0, None)); e.slot_names.len()];
        let field_of = &e.field_of;
        for run in &mut e.rules {
            fill_group_fields(&mut run.pred, groups, field_of);
        }
        Ok(e)
    }

    /// Checks the types of a row's cells (keeping the datetimes it parses for the
    /// rules), then evaluates every rule on it; the first bad cell is the error (the
    /// row is skipped).
    fn checked_row(&mut self, row: &Row<'_>, hits: &mut Hits, now: i64) -> Result<(), String> {
        self.begin_row(hits);
        let generation = hits.generation;
        let times = &self.times;
        let day = &self.day;
        let bad = read::check_types_with(self, &row.cells, |slot, text| {
            let t = parse_time(day, text);
            times[slot].set((generation, t));
            t
        });
        match bad {
            Some(msg) => Err(msg),
            None => {
                self.eval_row(row, hits, now);
                Ok(())
            }
        }
    }

    fn begin_row(&mut self, hits: &mut Hits) {
        if hits.next_row() {
            self.field_stamp.iter_mut().for_each(|s| *s = 0);
            self.times.iter().for_each(|t| t.set((0, None)));
        }
    }

    fn eval_row(&mut self, row: &Row<'_>, hits: &mut Hits, now: i64) {
        let kinds = &self.slot_kinds;
        let pred_slots = &self.pred_slots;
        for run in &mut self.rules {
            run.scanned += 1;
            let mut env = Env {
                row,
                hits: &mut *hits,
                kinds,
                slots: pred_slots,
                now,
                fields: &self.fields,
                field_stamp: &mut self.field_stamp,
                times: &self.times,
                field_of: &self.field_of,
                groups_of: &self.groups_of,
            };
            // The window's filters first: they are conjuncts of the predicate, so a row
            // outside the window is rejected (and counted) without the rest of it.
            if !run.window.iter().all(|w| env.eval(w)) {
                run.outside_window += 1;
                continue;
            }
            if !env.eval_pred(&run.pred) {
                continue;
            }
            match &mut run.acc {
                Acc::Rows { cols, rows, .. } => {
                    if run.limit.is_some_and(|l| run.emitted >= l) {
                        continue;
                    }
                    run.emitted += 1;
                    rows.push(
                        cols.iter()
                            .map(|&s| typed(row.cells[s].as_deref(), kinds[s]))
                            .collect(),
                    );
                }
                Acc::Summarize {
                    keys, aggs, groups, ..
                } => {
                    let key: Vec<KeyVal> = keys
                        .iter()
                        .map(|&s| match (row.cells[s].as_deref(), kinds[s]) {
                            (None, Kind::String) => KeyVal::Str(String::new()),
                            (None, _) => KeyVal::Null,
                            (Some(v), Kind::Datetime) => crate::kql::time::parse(v)
                                .map_or(KeyVal::Str(v.to_string()), KeyVal::Time),
                            (Some(v), _) => KeyVal::Str(v.to_string()),
                        })
                        .collect();
                    let states = groups.entry(key).or_insert_with(|| {
                        aggs.iter().map(|(f, _, _)| AggState::new(*f)).collect()
                    });
                    for (state, (_, col, _)) in states.iter_mut().zip(aggs.iter()) {
                        let v = col.map(|s| typed(row.cells[s].as_deref(), kinds[s]));
                        state.add(v);
                    }
                }
            }
        }
    }

    fn finish(self) -> Vec<RuleResult> {
        self.rules
            .into_iter()
            .map(|run| {
                let (columns, mut rows) = match run.acc {
                    Acc::Rows { names, rows, .. } => (names, rows),
                    Acc::Summarize {
                        key_names,
                        aggs,
                        groups,
                        ..
                    } => {
                        let mut groups: Vec<_> = groups.into_iter().collect();
                        groups.sort_by(|a, b| a.0.cmp(&b.0));
                        let mut columns = key_names;
                        columns.extend(aggs.iter().map(|(_, _, n)| n.clone()));
                        let rows = groups
                            .into_iter()
                            .map(|(k, states)| {
                                let mut r: Vec<Value> = k
                                    .into_iter()
                                    .map(|kv| match kv {
                                        KeyVal::Null => Value::Null,
                                        KeyVal::Str(s) => Value::String(s),
                                        KeyVal::Time(t) => Value::Datetime(t),
                                    })
                                    .collect();
                                r.extend(states.into_iter().map(AggState::finish));
                                r
                            })
                            .collect();
                        (columns, rows)
                    }
                };
                if let Some(l) = run.limit {
                    rows.truncate(l as usize);
                }
                RuleResult {
                    id: run.rule.id.clone(),
                    name: run.rule.name.clone(),
                    table: run.table.to_string(),
                    columns,
                    rows,
                    rows_scanned: run.scanned,
                    rows_outside_window: run.outside_window,
                    note: None,
                }
            })
            .collect()
    }
}

fn collect_indicators(p: &Predicate, f: &mut impl FnMut(usize)) {
    match p {
        Predicate::Indicator { indicator } => f(*indicator),
        Predicate::And { all: v } | Predicate::Or { any: v } => {
            v.iter().for_each(|q| collect_indicators(q, f))
        }
        Predicate::Not { not } => collect_indicators(not, f),
        _ => {}
    }
}

fn collect_columns<'p>(p: &'p Predicate, f: &mut impl FnMut(&'p str)) {
    match p {
        Predicate::Compare { column, .. }
        | Predicate::Between { column, .. }
        | Predicate::IsEmpty { column } => f(column),
        Predicate::And { all: v } | Predicate::Or { any: v } => {
            v.iter().for_each(|q| collect_columns(q, f))
        }
        Predicate::Not { not } => collect_columns(not, f),
        _ => {}
    }
}

/// A cell as a typed value.
fn typed(v: Option<&str>, kind: Kind) -> Value {
    let Some(v) = v else {
        return if kind == Kind::String {
            Value::String(String::new())
        } else {
            Value::Null
        };
    };
    match kind {
        Kind::String | Kind::Dynamic => Value::String(v.to_string()),
        Kind::Datetime => crate::kql::time::parse(v).map_or(Value::Null, Value::Datetime),
        Kind::Number => v
            .parse::<i64>()
            .map(Value::Long)
            .or_else(|_| v.parse::<f64>().map(Value::Real))
            .unwrap_or(Value::Null),
        Kind::Bool => match v {
            "true" | "True" | "1" => Value::Bool(true),
            "false" | "False" | "0" => Value::Bool(false),
            _ => Value::Null,
        },
    }
}

struct Env<'r, 'a> {
    row: &'r Row<'a>,
    hits: &'r mut Hits,
    kinds: &'r [Kind],
    slots: &'r SlotMap,
    now: i64,
    fields: &'r [FieldMatcher],
    field_stamp: &'r mut [u32],
    times: &'r [Cell<(u32, Option<i64>)>],
    field_of: &'r [usize],
    groups_of: &'r [Vec<usize>],
}

/// Fills each `AnyOf`'s field list from its group's indicators.
fn fill_group_fields(p: &mut Pred<'_>, groups: &[Vec<usize>], field_of: &[usize]) {
    match p {
        Pred::And(v) | Pred::Or(v) => v
            .iter_mut()
            .for_each(|q| fill_group_fields(q, groups, field_of)),
        Pred::Not(q) => fill_group_fields(q, groups, field_of),
        Pred::AnyOf { group, fields } => {
            let mut f: Vec<usize> = groups[*group].iter().map(|&id| field_of[id]).collect();
            f.sort_unstable();
            f.dedup();
            *fields = f;
        }
        Pred::Leaf(_) => {}
    }
}

/// An operand reduced to an integer (ticks for datetimes and timespans: exact, f64 would
/// lose the last ticks), a real number, or a string.
#[derive(Clone, Copy, Debug)]
enum Cmpable<'s> {
    Int(i64),
    Num(f64),
    Str(&'s str),
}

impl PartialEq for Cmpable<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(std::cmp::Ordering::Equal)
    }
}

impl PartialOrd for Cmpable<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Cmpable::Int(a), Cmpable::Int(b)) => Some(a.cmp(b)),
            (Cmpable::Int(a), Cmpable::Num(b)) => (*a as f64).partial_cmp(b),
            (Cmpable::Num(a), Cmpable::Int(b)) => a.partial_cmp(&(*b as f64)),
            (Cmpable::Num(a), Cmpable::Num(b)) => a.partial_cmp(b),
            (Cmpable::Str(a), Cmpable::Str(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

impl Env<'_, '_> {
    /// Runs field matcher `fi` over the row, once per row.
    fn ensure_field(&mut self, fi: usize) {
        if fi >= self.fields.len() || self.field_stamp[fi] == self.hits.generation {
            return;
        }
        self.field_stamp[fi] = self.hits.generation;
        let f = &self.fields[fi];
        let v = self.row.cells[f.slot].as_deref().unwrap_or("");
        let hits = &mut *self.hits;
        let groups_of = self.groups_of;
        f.set.matches(v, |i| {
            let id = f.ids[i];
            hits.set(id);
            for &g in &groups_of[id] {
                hits.group_stamp[g] = hits.generation;
            }
        });
    }

    fn eval_pred(&mut self, p: &Pred<'_>) -> bool {
        match p {
            Pred::And(v) => v.iter().all(|q| self.eval_pred(q)),
            Pred::Or(v) => v.iter().any(|q| self.eval_pred(q)),
            Pred::Not(q) => !self.eval_pred(q),
            Pred::AnyOf { group, fields } => {
                for &fi in fields {
                    self.ensure_field(fi);
                }
                self.hits.group(*group)
            }
            Pred::Leaf(q) => self.eval(q),
        }
    }

    fn eval(&mut self, p: &Predicate) -> bool {
        match p {
            Predicate::True => true,
            Predicate::And { all } => all.iter().all(|q| self.eval(q)),
            Predicate::Or { any } => any.iter().any(|q| self.eval(q)),
            Predicate::Not { not } => !self.eval(not),
            Predicate::Indicator { indicator } => {
                self.ensure_field(self.field_of[*indicator]);
                self.hits.get(*indicator)
            }
            Predicate::IsEmpty { column } => self.cell(column).is_none_or(str::is_empty),
            Predicate::Compare { column, cmp, value } => {
                let (Some(a), Some(b)) = (self.column_value(column), self.scalar(value)) else {
                    return false;
                };
                match cmp {
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                }
            }
            // Inclusive on both ends (the `between` operator docs).
            Predicate::Between { column, low, high } => {
                match (
                    self.column_value(column),
                    self.scalar(low),
                    self.scalar(high),
                ) {
                    (Some(v), Some(lo), Some(hi)) => lo <= v && v <= hi,
                    _ => false,
                }
            }
        }
    }

    fn cell(&self, column: &str) -> Option<&str> {
        self.slots
            .get(column)
            .and_then(|&s| self.row.cells[s].as_deref())
    }

    fn column_value(&self, column: &str) -> Option<Cmpable<'_>> {
        let &s = self.slots.get(column)?;
        let text = self.row.cells[s].as_deref();
        match self.kinds[s] {
            Kind::Datetime => {
                let (stamp, cached) = self.times[s].get();
                let ticks = if stamp == self.hits.generation {
                    cached
                } else {
                    let t = crate::kql::time::parse(text?);
                    self.times[s].set((self.hits.generation, t));
                    t
                };
                ticks.map(Cmpable::Int)
            }
            Kind::Number => {
                let t = text?;
                t.parse::<i64>()
                    .map(Cmpable::Int)
                    .ok()
                    .or_else(|| t.parse::<f64>().ok().map(Cmpable::Num))
            }
            Kind::Bool => match text? {
                "true" | "True" | "1" => Some(Cmpable::Int(1)),
                "false" | "False" | "0" => Some(Cmpable::Int(0)),
                _ => None,
            },
            Kind::String | Kind::Dynamic => Some(Cmpable::Str(text.unwrap_or(""))),
        }
    }

    fn scalar<'s>(&self, v: &'s Scalar) -> Option<Cmpable<'s>> {
        Some(match v {
            Scalar::String(s) => Cmpable::Str(s),
            Scalar::Long(n) => Cmpable::Int(*n),
            Scalar::Real(r) => Cmpable::Num(*r),
            Scalar::Bool(b) => Cmpable::Int(i64::from(*b)),
            Scalar::Time(TimePoint::Now { offset_ticks }) => {
                Cmpable::Int(self.now.saturating_add(*offset_ticks))
            }
            Scalar::Time(TimePoint::Absolute { ticks }) => Cmpable::Int(*ticks),
            Scalar::Timespan(t) => Cmpable::Int(*t),
            Scalar::Null => return None,
        })
    }
}

fn value_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Long(x), Value::Long(y)) => x.cmp(y),
        (Value::Datetime(x), Value::Datetime(y)) => x.cmp(y),
        (Value::Real(x), Value::Real(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::Long(x), Value::Real(y)) => (*x as f64).partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::Real(x), Value::Long(y)) => x.partial_cmp(&(*y as f64)).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

impl AggState {
    fn new(f: AggFunction) -> AggState {
        match f {
            AggFunction::Count => AggState::Count(0),
            AggFunction::Dcount => AggState::Dcount(HashSet::new()),
            AggFunction::Min => AggState::Min(None),
            AggFunction::Max => AggState::Max(None),
            AggFunction::Sum => AggState::Sum(0.0, true),
            AggFunction::MakeSet => AggState::Set(BTreeSet::new()),
            AggFunction::MakeList => AggState::List(Vec::new()),
            AggFunction::TakeAny => AggState::Any(None),
        }
    }

    /// Adds one row's value. min/max/make_set/dcount ignore nulls (aggregation docs).
    fn add(&mut self, v: Option<Value>) {
        let v = v.unwrap_or(Value::Null);
        let is_null = matches!(v, Value::Null);
        match self {
            AggState::Count(n) => *n += 1,
            AggState::Dcount(set) => {
                if !is_null {
                    set.insert(value_key(&v));
                }
            }
            AggState::Min(cur) => {
                if !is_null && cur.as_ref().is_none_or(|c| value_order(&v, c).is_lt()) {
                    *cur = Some(v);
                }
            }
            AggState::Max(cur) => {
                if !is_null && cur.as_ref().is_none_or(|c| value_order(&v, c).is_gt()) {
                    *cur = Some(v);
                }
            }
            AggState::Sum(total, integral) => match v {
                Value::Long(n) => *total += n as f64,
                Value::Real(r) => {
                    *total += r;
                    *integral = false;
                }
                _ => {}
            },
            AggState::Set(set) => match v {
                Value::Null => {}
                Value::Long(n) => {
                    set.insert(SetItem::Num(n));
                }
                other => {
                    set.insert(SetItem::Str(value_key(&other)));
                }
            },
            AggState::List(list) => {
                if !is_null {
                    list.push(v);
                }
            }
            AggState::Any(cur) => {
                if cur.is_none() && !is_null {
                    *cur = Some(v);
                }
            }
        }
    }

    fn finish(self) -> Value {
        match self {
            AggState::Count(n) => Value::Long(n),
            AggState::Dcount(s) => Value::Long(s.len() as i64),
            AggState::Min(v) | AggState::Max(v) | AggState::Any(v) => v.unwrap_or(Value::Null),
            AggState::Sum(t, true) => Value::Long(t as i64),
            AggState::Sum(t, false) => Value::Real(t),
            // make_set's order is undefined in Kusto; rulecat sorts it for stable output.
            AggState::Set(s) => Value::List(
                s.into_iter()
                    .map(|i| match i {
                        SetItem::Num(n) => Value::Long(n),
                        SetItem::Str(s) => Value::String(s),
                    })
                    .collect(),
            ),
            AggState::List(l) => Value::List(l),
        }
    }
}

fn value_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Datetime(t) => crate::kql::time::format(*t),
        Value::Long(n) => n.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::List(_) => String::new(),
    }
}

/// Expands folders into their telemetry files (sorted).
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, MatchError> {
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() == "-" {
            // Standard input (`rulecat match -`).
            out.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| {
            MatchError(format!(
                "cannot read `{}`: {}",
                p.display(),
                crate::loading::discover::io_reason(&e)
            ))
        })?;
        if meta.is_dir() {
            let mut files: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .follow_links(true)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file() && read::InputFormat::of(e.path()).is_some())
                .map(|e| e.into_path())
                .collect();
            out.append(&mut files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Runs the bundle over the input files.
pub fn run(
    bundle: &Bundle,
    inputs: &[PathBuf],
    opts: &MatchOptions,
) -> Result<MatchOutcome, MatchError> {
    let files = expand_inputs(inputs)?;
    let mut by_table: BTreeMap<&str, Vec<(&CompiledRule, &Logic)>> = BTreeMap::new();
    for r in &bundle.rules {
        if let Some(l) = &r.logic {
            by_table.entry(l.table.as_str()).or_default().push((r, l));
        }
    }
    // The fast indicator path in front of the engine: a table whose every engine rule has
    // a prefilter on it gets a synthetic fast rule returning the rows that pass one of
    // them; only those rows reach the engine.
    let synthetic = engine_run::prefilter_rules(bundle);
    for r in &synthetic {
        if let Some(l) = &r.logic {
            by_table.entry(l.table.as_str()).or_default().push((r, l));
        }
    }
    let mut engines: BTreeMap<String, TableEngine<'_>> = BTreeMap::new();
    let mut groups = Vec::new();
    for (t, rules) in by_table {
        engines.insert(
            t.to_string(),
            TableEngine::new(t, bundle, rules, &mut groups)?,
        );
    }
    let mut hits = Hits {
        stamp: vec![0; bundle.indicators.len()],
        group_stamp: vec![0; groups.len()],
        generation: 0,
    };
    let mut stats = Stats::default();
    let mut problems = Vec::new();
    // Inputs the rules read that are no catalog table: watchlists, by alias.
    let named: BTreeSet<String> = bundle
        .rules
        .iter()
        .flat_map(|r| &r.tables)
        .filter(|t| crate::knowledge::tables::builtin().table(t).is_none())
        .cloned()
        .collect();
    for file in &files {
        stats.files += 1;
        read::read_file(
            file,
            opts,
            &named,
            &mut engines,
            &mut hits,
            &mut stats,
            &mut problems,
        )?;
    }
    let fast_tables: BTreeSet<String> = engines.keys().cloned().collect();
    let (prefiltered, mut results): (Vec<RuleResult>, Vec<RuleResult>) = engines
        .into_values()
        .flat_map(TableEngine::finish)
        .partition(|r| engine_run::is_prefilter_rule(&r.id));
    results.extend(engine_run::run(
        bundle,
        &files,
        opts,
        prefiltered,
        &fast_tables,
        &named,
        &mut stats,
        &mut problems,
    )?);
    results.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(MatchOutcome {
        results,
        stats,
        problems,
    })
}

/// The table a file's rows belong to when no row names it: `--table`, else the longest
/// known table name that starts the file name.
///
/// A file whose name before its first dot is one of `named` (the watchlists the
/// bundle's rules read, which are no catalog tables) belongs to that input.
fn table_from_name(path: &Path, named: &BTreeSet<String>) -> Option<String> {
    let stem = path.file_name()?.to_string_lossy().into_owned();
    if let Some(n) = stem.split('.').next().filter(|n| named.contains(*n)) {
        return Some(n.to_string());
    }
    crate::knowledge::tables::builtin()
        .names()
        .filter(|t| stem.starts_with(t))
        .max_by_key(|t| t.len())
        .map(str::to_string)
}
