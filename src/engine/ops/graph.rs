//! Graph semantics: `make-graph` builds a graph from the piped (edge) table and node
//! tables; `graph-mark-components` adds a component id to every node; `graph-match`,
//! `graph-shortest-paths` and `graph-to-table` turn the graph back into a table.
//!
//! A graph lives only between `make-graph` and the operator that turns it into a table
//! ([`run`] consumes that stretch of the pipeline). Nodes keep the order Kusto shows
//! them in: the node tables' rows in order (a key seen again is skipped), then the edge
//! endpoints no table names, in edge order (source before target). A node's id
//! (`node_id()`, `graph-to-table ... with_node_id`) is its key; `graph-to-table` writes
//! `hash(key)`, as Kusto does.
//!
//! `graph-match` enumerates matches by depth-first search over the pattern (nodes in
//! node order, edges in edge order) and applies `cycles=`: `unique_edges` (the default:
//! no edge twice in one match), `none` (no node twice in one variable-length edge),
//! `all`. `graph-shortest-paths` keeps, for every binding of the pattern's named nodes,
//! the shortest match that satisfies `where` (`output=any`: the first found; `all`:
//! every one of that length).
//!
//! In `where` and `project`: `n.prop` reads a node or single edge's property (for a
//! variable-length edge, the array of its edges' values); `all(e, pred)`, `any(e, pred)`
//! and `map(e, expr)` run over the edges of `e` or over `inner_nodes(e)`;
//! `node_degree_in()`, `node_degree_out()` and `node_id()` take a node name, or none
//! inside `all`/`any`/`map` over nodes.

use std::collections::HashMap;
use std::rc::Rc;

use super::super::eval::{Row, eval, truth};
use super::super::exec::{Binding, Ctx};
use super::super::table::{Col, Table, column_type};
use super::super::value::{Json, Key, Ty, Value};
use super::super::{Error, Result, exec, funcs};
use super::basic;
use crate::kql::ast::*;

/// Hidden columns of the node table seen by `where`/`project` evaluation.
const IN: &str = "$in";
const OUT: &str = "$out";
const ID: &str = "$id";
/// Names under which the graph's tables are bound while a match is evaluated.
const NODES: &str = "$graph_nodes";
const EDGES: &str = "$graph_edges";

#[derive(Clone, Debug)]
pub struct Graph {
    /// Node properties, then the hidden degree and id columns.
    nodes: Table,
    edges: Table,
    src: Vec<usize>,
    dst: Vec<usize>,
    directed: bool,
}

/// Runs `make-graph` (`ops[0]`) and the graph operators after it, up to and including
/// the one that yields a table. Returns the table and how many operators it used.
pub fn run(input: Rc<Table>, ops: &[PipeOp], cx: &Ctx) -> Result<(Rc<Table>, usize)> {
    let Some(first) = ops.first() else {
        return Err(Error::new("no graph operator"));
    };
    let mut g = make_graph(&input, &first.op, cx).map_err(|e| e.or_at(first.span))?;
    for (i, op) in ops.iter().enumerate().skip(1) {
        let r = match &op.op {
            Operator::GraphMarkComponents { params } => {
                mark_components(&mut g, params);
                continue;
            }
            Operator::GraphMatch {
                shortest,
                params,
                patterns,
                pred,
                project,
            } => graph_match(&g, *shortest, params, patterns, pred.as_ref(), project, cx),
            Operator::GraphToTable { parts } => Ok(to_table(&g, parts, cx)),
            _ => Err(Error::new(format!(
                "`{}` cannot follow `make-graph`: a graph must end in `graph-match`, `graph-shortest-paths` or `graph-to-table`",
                op.name
            ))),
        };
        return r.map(|t| (Rc::new(t), i + 1)).map_err(|e| e.or_at(op.span));
    }
    Err(Error::at(
        first.span,
        "the query ends in a graph: end it with `graph-match`, `graph-shortest-paths` or `graph-to-table`",
    ))
}

fn param<'p>(params: &'p [OpParam], name: &str) -> Option<&'p Expr> {
    params
        .iter()
        .find(|p| p.name.name.eq_ignore_ascii_case(name))
        .map(|p| &p.value)
}

fn param_word(params: &[OpParam], name: &str) -> Option<String> {
    param(params, name).and_then(|e| match e {
        Expr::Name(i) => Some(i.name.to_ascii_lowercase()),
        Expr::Literal(Literal {
            value: LitValue::String { value, .. },
            ..
        }) => Some(value.to_ascii_lowercase()),
        _ => None,
    })
}

fn make_graph(input: &Table, op: &Operator, cx: &Ctx) -> Result<Graph> {
    let Operator::MakeGraph {
        source,
        directed,
        target,
        nodes,
        node_id,
        ..
    } = op
    else {
        return Err(Error::new("a graph starts with `make-graph`"));
    };
    let col = |i: &Ident| {
        input
            .col(&i.name)
            .ok_or_else(|| Error::at(i.span, format!("unknown column `{}`", i.name)))
    };
    let (sc, tc) = (col(source)?, col(target)?);
    let mut props = Table::default();
    let mut keys: Vec<Value> = Vec::new();
    let mut index: HashMap<Key, usize> = HashMap::new();
    // The key column of nodes that only the edges name.
    let mut key_col: Option<String> = None;
    for (texpr, key) in nodes {
        let t = exec::tabular(texpr, cx)?;
        let kc = t
            .col(&key.name)
            .ok_or_else(|| Error::at(key.span, format!("unknown column `{}`", key.name)))?;
        key_col.get_or_insert_with(|| key.name.clone());
        let map: Vec<usize> = t
            .cols
            .iter()
            .map(|c| match props.col(&c.name) {
                Some(i) => i,
                None => {
                    props.cols.push(c.clone());
                    for r in &mut props.rows {
                        r.push(Value::Null);
                    }
                    props.cols.len() - 1
                }
            })
            .collect();
        for row in &t.rows {
            let k = row[kc].clone();
            if index.contains_key(&k.key()) {
                continue;
            }
            index.insert(k.key(), keys.len());
            keys.push(k);
            let mut r = vec![Value::Null; props.cols.len()];
            for (c, v) in map.iter().zip(row) {
                r[*c] = v.clone();
            }
            props.rows.push(r);
        }
    }
    if let Some(n) = node_id {
        let ty = input.cols[sc].ty;
        props.cols.push(Col::new(n.name.clone(), ty));
        key_col = Some(n.name.clone());
    }
    let kpos = key_col.as_ref().and_then(|k| props.col(k));
    let mut node = |k: &Value, props: &mut Table| -> usize {
        if let Some(&i) = index.get(&k.key()) {
            return i;
        }
        index.insert(k.key(), keys.len());
        keys.push(k.clone());
        let mut r = vec![Value::Null; props.cols.len()];
        if let Some(p) = kpos {
            r[p] = k.clone();
        }
        props.rows.push(r);
        keys.len() - 1
    };
    let (mut src, mut dst) = (Vec::new(), Vec::new());
    for row in &input.rows {
        src.push(node(&row[sc], &mut props));
        dst.push(node(&row[tc], &mut props));
    }
    let n = keys.len();
    let (mut din, mut dout) = (vec![0i64; n], vec![0i64; n]);
    for (&s, &d) in src.iter().zip(&dst) {
        dout[s] += 1;
        din[d] += 1;
    }
    props.cols.push(Col::new(IN, Ty::Long));
    props.cols.push(Col::new(OUT, Ty::Long));
    props
        .cols
        .push(Col::new(ID, column_type(keys.iter(), Some(Ty::String))));
    for (i, r) in props.rows.iter_mut().enumerate() {
        r.push(Value::Long(din[i]));
        r.push(Value::Long(dout[i]));
        r.push(keys[i].clone());
    }
    Ok(Graph {
        nodes: props,
        edges: input.clone(),
        src,
        dst,
        directed: *directed,
    })
}

/// The number of visible node properties (the hidden columns come last).
fn visible(g: &Graph) -> usize {
    g.nodes.cols.len() - 3
}

fn mark_components(g: &mut Graph, params: &[OpParam]) {
    let name = param(params, "with_component_id")
        .and_then(super::expr_name)
        .unwrap_or_else(|| "ComponentId".to_string());
    let strong = param_word(params, "kind").as_deref() == Some("strong");
    let n = g.nodes.rows.len();
    let comp = if strong {
        strong_components(n, &g.src, &g.dst)
    } else {
        weak_components(n, &g.src, &g.dst)
    };
    let at = visible(g);
    let col = match g.nodes.col(&name) {
        Some(c) => c,
        None => {
            g.nodes.cols.insert(at, Col::new(name, Ty::Long));
            for r in &mut g.nodes.rows {
                r.insert(at, Value::Null);
            }
            at
        }
    };
    g.nodes.cols[col].ty = Ty::Long;
    for (r, c) in g.nodes.rows.iter_mut().zip(comp) {
        r[col] = Value::Long(c as i64);
    }
}

/// Component numbers in order of each component's first node.
fn renumber(raw: Vec<usize>) -> Vec<usize> {
    let mut ids = HashMap::new();
    raw.into_iter()
        .map(|r| {
            let next = ids.len();
            *ids.entry(r).or_insert(next)
        })
        .collect()
}

fn weak_components(n: usize, src: &[usize], dst: &[usize]) -> Vec<usize> {
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut parent: Vec<usize> = (0..n).collect();
    for (&s, &d) in src.iter().zip(dst) {
        let (a, b) = (find(&mut parent, s), find(&mut parent, d));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    renumber((0..n).map(|i| find(&mut parent, i)).collect())
}

/// Tarjan's algorithm, iterative.
fn strong_components(n: usize, src: &[usize], dst: &[usize]) -> Vec<usize> {
    let mut adj = vec![Vec::new(); n];
    for (&s, &d) in src.iter().zip(dst) {
        adj[s].push(d);
    }
    let (mut index, mut low) = (vec![usize::MAX; n], vec![0; n]);
    let (mut on_stack, mut stack, mut comp) = (vec![false; n], Vec::new(), vec![0; n]);
    let (mut next, mut ncomp) = (0, 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if let Some(&w) = adj[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(p, _)) = work.last() {
                low[p] = low[p].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = ncomp;
                    if w == v {
                        break;
                    }
                }
                ncomp += 1;
            }
        }
    }
    renumber(comp)
}

fn hash_id(k: &Value, cx: &Ctx) -> Value {
    funcs::call("hash", vec![k.clone()], cx).unwrap_or(Value::Null)
}

fn to_table(g: &Graph, parts: &[GraphToTablePart], cx: &Ctx) -> Table {
    let Some(part) = parts.first() else {
        return Table::default();
    };
    let id_col = |name: &str| {
        param(&part.params, name).and_then(|e| match e {
            Expr::Name(i) => Some(i.name.clone()),
            _ => None,
        })
    };
    let mut out = Table::default();
    let idc = g.nodes.col(ID).unwrap_or(0);
    if part.edges {
        let ids = [
            (id_col("with_source_id"), &g.src),
            (id_col("with_target_id"), &g.dst),
        ];
        for (name, _) in ids.iter() {
            if let Some(n) = name {
                out.cols.push(Col::new(n.clone(), Ty::Long));
            }
        }
        out.cols.extend(g.edges.cols.iter().cloned());
        for (e, row) in g.edges.rows.iter().enumerate() {
            let mut r = Vec::with_capacity(out.cols.len());
            for (name, ends) in ids.iter() {
                if name.is_some() {
                    r.push(hash_id(&g.nodes.rows[ends[e]][idc], cx));
                }
            }
            r.extend(row.iter().cloned());
            out.rows.push(r);
        }
    } else {
        let vis = visible(g);
        let name = id_col("with_node_id");
        if let Some(n) = &name {
            out.cols.push(Col::new(n.clone(), Ty::Long));
        }
        out.cols.extend(g.nodes.cols[..vis].iter().cloned());
        for row in &g.nodes.rows {
            let mut r = Vec::with_capacity(out.cols.len());
            if name.is_some() {
                r.push(hash_id(&row[idc], cx));
            }
            r.extend(row[..vis].iter().cloned());
            out.rows.push(r);
        }
    }
    out
}

// --- graph-match ------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cycles {
    All,
    None,
    UniqueEdges,
}

/// What a pattern's edge variable is bound to in one match.
#[derive(Clone, Debug)]
struct PathBind {
    edges: Vec<usize>,
    /// The nodes between the path's ends.
    inner: Vec<usize>,
}

#[derive(Clone, Default)]
struct Match {
    nodes: Vec<(String, usize)>,
    edges: Vec<(String, PathBind, bool)>,
    used: Vec<usize>,
    len: usize,
}

impl Match {
    fn node(&self, name: &str) -> Option<usize> {
        self.nodes.iter().find(|(n, _)| n == name).map(|(_, i)| *i)
    }
}

struct Matcher<'g> {
    g: &'g Graph,
    cycles: Cycles,
    /// Per node: (edge, other end, the edge's direction from this node is outward).
    adj: Vec<Vec<(usize, usize, bool)>>,
    out: Vec<Match>,
    limit: usize,
}

/// Matches beyond this many are an error rather than an endless search.
const MAX_MATCHES: usize = 1_000_000;

impl Matcher<'_> {
    fn patterns(&mut self, pats: &[GraphPattern], m: Match) -> Result<()> {
        let Some((p, rest)) = pats.split_first() else {
            if self.out.len() >= self.limit {
                return Err(Error::new(format!(
                    "the graph pattern has more than {} matches",
                    self.limit
                )));
            }
            self.out.push(m);
            return Ok(());
        };
        let starts: Vec<usize> = match p.nodes[0].as_ref().and_then(|n| m.node(&n.name)) {
            Some(i) => vec![i],
            None => (0..self.g.nodes.rows.len()).collect(),
        };
        for s in starts {
            let mut m2 = m.clone();
            if let Some(n) = &p.nodes[0]
                && m2.node(&n.name).is_none()
            {
                m2.nodes.push((n.name.clone(), s));
            }
            self.step(p, 0, s, m2, rest)?;
        }
        Ok(())
    }

    /// Extends a match from node `at` along edge `j` of pattern `p`.
    fn step(
        &mut self,
        p: &GraphPattern,
        j: usize,
        at: usize,
        m: Match,
        rest: &[GraphPattern],
    ) -> Result<()> {
        let Some(e) = p.edges.get(j) else {
            return self.patterns(rest, m);
        };
        let (lo, hi) = e.hops.unwrap_or((1, 1));
        let mut path = PathBind {
            edges: Vec::new(),
            inner: Vec::new(),
        };
        let mut visited = vec![at];
        self.walk(p, j, at, lo, hi, &mut path, &mut visited, &m, rest)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        p: &GraphPattern,
        j: usize,
        at: usize,
        lo: u32,
        hi: u32,
        path: &mut PathBind,
        visited: &mut Vec<usize>,
        m: &Match,
        rest: &[GraphPattern],
    ) -> Result<()> {
        let e = &p.edges[j];
        let depth = path.edges.len() as u32;
        if depth >= lo {
            // `at` may end the edge: bind the next node.
            let next = &p.nodes[j + 1];
            let bound = next.as_ref().and_then(|n| m.node(&n.name));
            if bound.is_none_or(|b| b == at) {
                let mut m2 = m.clone();
                if let Some(n) = next
                    && bound.is_none()
                {
                    m2.nodes.push((n.name.clone(), at));
                }
                m2.used.extend(&path.edges);
                m2.len += path.edges.len();
                if let Some(n) = &e.name {
                    let mut pb = path.clone();
                    pb.inner.truncate(path.edges.len().saturating_sub(1));
                    m2.edges.push((n.name.clone(), pb, e.hops.is_none()));
                }
                self.step(p, j + 1, at, m2, rest)?;
            }
        }
        if depth >= hi {
            return Ok(());
        }
        for k in 0..self.adj[at].len() {
            let (edge, other, outward) = self.adj[at][k];
            let ok_dir = !self.g.directed
                || match e.dir {
                    EdgeDir::Out => outward,
                    EdgeDir::In => !outward,
                    EdgeDir::Any => true,
                };
            if !ok_dir {
                continue;
            }
            if self.cycles == Cycles::UniqueEdges
                && (path.edges.contains(&edge) || m.used.contains(&edge))
            {
                continue;
            }
            if self.cycles == Cycles::None && e.hops.is_some() && visited.contains(&other) {
                continue;
            }
            path.edges.push(edge);
            path.inner.push(other);
            visited.push(other);
            let r = self.walk(p, j, other, lo, hi, path, visited, m, rest);
            path.edges.pop();
            path.inner.pop();
            visited.pop();
            r?;
        }
        Ok(())
    }
}

fn graph_match(
    g: &Graph,
    shortest: bool,
    params: &[OpParam],
    patterns: &[GraphPattern],
    pred: Option<&Expr>,
    project: &[NamedExpr],
    cx: &Ctx,
) -> Result<Table> {
    let cycles = match param_word(params, "cycles").as_deref() {
        Some("all") => Cycles::All,
        Some("none") => Cycles::None,
        Some("unique_edges") | None => Cycles::UniqueEdges,
        Some(other) => {
            return Err(Error::new(format!(
                "`cycles={other}`: expected all, none or unique_edges"
            )));
        }
    };
    let mut adj = vec![Vec::new(); g.nodes.rows.len()];
    for (e, (&s, &d)) in g.src.iter().zip(&g.dst).enumerate() {
        adj[s].push((e, d, true));
        if s != d || !g.directed {
            adj[d].push((e, s, false));
        }
    }
    let mut m = Matcher {
        g,
        cycles: if shortest { Cycles::None } else { cycles },
        adj,
        out: Vec::new(),
        limit: MAX_MATCHES,
    };
    m.patterns(patterns, Match::default())?;
    let mut matches = m.out;
    if shortest {
        // Shortest first: a stable sort keeps the search order among equals.
        matches.sort_by_key(|m| m.len);
    }
    let table = match_table(g, patterns, &matches);
    let gcx = cx
        .with(NODES, Binding::Table(Rc::new(g.nodes.clone())))
        .with(EDGES, Binding::Table(Rc::new(g.edges.clone())));
    let mut keep: Vec<usize> = Vec::new();
    let mut best: HashMap<Vec<usize>, usize> = HashMap::new();
    let all = param_word(params, "output").as_deref() == Some("all");
    let named: Vec<String> = node_names(patterns);
    for i in 0..table.rows.len() {
        if let Some(p) = pred
            && truth(&eval(p, &Row::new(&table, i), &gcx)?) != Some(true)
        {
            continue;
        }
        if shortest {
            let key: Vec<usize> = named.iter().filter_map(|n| matches[i].node(n)).collect();
            match best.get(&key) {
                Some(&len) if len < matches[i].len || !all => continue,
                _ => {
                    best.insert(key, matches[i].len);
                }
            }
        }
        keep.push(i);
    }
    let filtered = Table {
        cols: table.cols.clone(),
        rows: keep.iter().map(|&i| table.rows[i].clone()).collect(),
    };
    if project.is_empty() {
        let vis: Vec<usize> = (0..filtered.cols.len())
            .filter(|&c| !filtered.cols[c].name.starts_with('$'))
            .collect();
        return Ok(Table {
            cols: vis.iter().map(|&c| filtered.cols[c].clone()).collect(),
            rows: filtered
                .rows
                .iter()
                .map(|r| vis.iter().map(|&c| r[c].clone()).collect())
                .collect(),
        });
    }
    // An unnamed graph function is named after the function (`node_degree_out`).
    let project: Vec<NamedExpr> = project
        .iter()
        .map(|ne| match &ne.expr {
            Expr::Call { func, .. } if ne.names.is_empty() && is_graph_func(&func.name) => {
                NamedExpr {
                    names: vec![func.clone()],
                    ..ne.clone()
                }
            }
            _ => ne.clone(),
        })
        .collect();
    basic::project(&filtered, &project, &gcx)
}

fn node_names(patterns: &[GraphPattern]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        for n in p.nodes.iter().flatten() {
            if !out.contains(&n.name) {
                out.push(n.name.clone());
            }
        }
    }
    out
}

/// One row per match: `n.prop` for every named node's properties, `e.prop` for every
/// named edge's (an array for a variable-length edge), and hidden `$node:n`, `$edges:e`,
/// `$inner:e` (node and edge indexes).
fn match_table(g: &Graph, patterns: &[GraphPattern], matches: &[Match]) -> Table {
    let mut t = Table::default();
    let vis = visible(g);
    let nodes = node_names(patterns);
    let mut edges: Vec<(String, bool)> = Vec::new();
    for p in patterns {
        for e in &p.edges {
            if let Some(n) = &e.name
                && !edges.iter().any(|(x, _)| x == &n.name)
            {
                edges.push((n.name.clone(), e.hops.is_none()));
            }
        }
    }
    for n in &nodes {
        for c in &g.nodes.cols[..vis] {
            t.cols.push(Col::new(format!("{n}.{}", c.name), c.ty));
        }
        t.cols.push(Col::new(format!("$node:{n}"), Ty::Long));
    }
    for (n, single) in &edges {
        for c in &g.edges.cols {
            let ty = if *single { c.ty } else { Ty::Dynamic };
            t.cols.push(Col::new(format!("{n}.{}", c.name), ty));
        }
        t.cols.push(Col::new(format!("$edges:{n}"), Ty::Dynamic));
        t.cols.push(Col::new(format!("$inner:{n}"), Ty::Dynamic));
    }
    let idx = |v: &[usize]| Value::dynamic(Json::Array(v.iter().map(|&i| Json::from(i)).collect()));
    for m in matches {
        let mut r = Vec::with_capacity(t.cols.len());
        for n in &nodes {
            let i = m.node(n).unwrap_or(0);
            r.extend(g.nodes.rows[i][..vis].iter().cloned());
            r.push(Value::Long(i as i64));
        }
        for (n, single) in &edges {
            let Some((_, pb, _)) = m.edges.iter().find(|(x, _, _)| x == n) else {
                r.extend(std::iter::repeat_n(Value::Null, g.edges.cols.len() + 2));
                continue;
            };
            for c in 0..g.edges.cols.len() {
                if *single {
                    r.push(
                        pb.edges
                            .first()
                            .map_or(Value::Null, |&e| g.edges.rows[e][c].clone()),
                    );
                } else {
                    r.push(Value::dynamic(Json::Array(
                        pb.edges
                            .iter()
                            .map(|&e| g.edges.rows[e][c].to_json())
                            .collect(),
                    )));
                }
            }
            r.push(idx(&pb.edges));
            r.push(idx(&pb.inner));
        }
        t.rows.push(r);
    }
    t
}

pub fn is_graph_func(name: &str) -> bool {
    matches!(
        name,
        "all" | "any" | "map" | "inner_nodes" | "node_degree_in" | "node_degree_out" | "node_id"
    )
}

/// Indexes stored in a hidden match column.
fn indexes(v: Option<&Value>) -> Vec<usize> {
    match v {
        Some(Value::Dyn(j)) => j
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_u64())
                    .map(|x| x as usize)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The graph functions inside `graph-match`'s `where`/`project` (`None`: not in a
/// graph match, or not a graph function).
pub fn call(name: &str, args: &[Expr], row: &Row, cx: &Ctx) -> Option<Result<Value>> {
    if !is_graph_func(name) {
        return None;
    }
    let Some(Binding::Table(nodes)) = cx.env.get(NODES) else {
        return None;
    };
    let Some(Binding::Table(edges)) = cx.env.get(EDGES) else {
        return None;
    };
    let (nodes, edges) = (nodes.clone(), edges.clone());
    Some(graph_call(name, args, row, &nodes, &edges, cx))
}

fn graph_call(
    name: &str,
    args: &[Expr],
    row: &Row,
    nodes: &Table,
    edges: &Table,
    cx: &Ctx,
) -> Result<Value> {
    match name {
        "node_degree_in" | "node_degree_out" | "node_id" => {
            let col = match name {
                "node_degree_in" => IN,
                "node_degree_out" => OUT,
                _ => ID,
            };
            match args {
                // Inside all/any/map over nodes: the row is the node's.
                [] => row.get(col).cloned().ok_or_else(|| {
                    Error::new(format!(
                        "`{name}()` without a node is only valid over `inner_nodes()`"
                    ))
                }),
                [Expr::Name(n)] => {
                    let i = row
                        .get(&format!("$node:{}", n.name))
                        .and_then(Value::as_i64)
                        .ok_or_else(|| {
                            Error::at(n.span, format!("`{}` is not a node of the pattern", n.name))
                        })?;
                    let c = nodes.col(col).unwrap_or(0);
                    Ok(nodes
                        .rows
                        .get(i as usize)
                        .map_or(Value::Null, |r| r[c].clone()))
                }
                _ => Err(Error::new(format!("`{name}()` takes a node name"))),
            }
        }
        "inner_nodes" => Err(Error::new(
            "`inner_nodes()` is only valid as the first argument of all(), any() or map()",
        )),
        _ => {
            let [list, body] = args else {
                return Err(Error::new(format!(
                    "`{name}()` takes an edge and an expression"
                )));
            };
            let (elems, table) = match list {
                Expr::Name(e) => (indexes(row.get(&format!("$edges:{}", e.name))), edges),
                Expr::Call { func, args, .. } if func.name == "inner_nodes" => {
                    match args.as_slice() {
                        [Expr::Name(e)] => (indexes(row.get(&format!("$inner:{}", e.name))), nodes),
                        _ => {
                            return Err(Error::at(func.span, "`inner_nodes()` takes an edge name"));
                        }
                    }
                }
                other => {
                    return Err(Error::at(
                        other.span(),
                        format!("`{name}()` runs over an edge name or `inner_nodes(edge)`"),
                    ));
                }
            };
            let mut vals = Vec::with_capacity(elems.len());
            for i in elems {
                vals.push(eval(body, &Row::new(table, i), cx)?);
            }
            Ok(match name {
                "all" => Value::Bool(vals.iter().all(|v| truth(v) == Some(true))),
                "any" => Value::Bool(vals.iter().any(|v| truth(v) == Some(true))),
                _ => Value::dynamic(Json::Array(vals.iter().map(Value::to_json).collect())),
            })
        }
    }
}
