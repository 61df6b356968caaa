//! Graph operators: `make-graph`, `graph-match`, `graph-shortest-paths`,
//! `graph-to-table`, `graph-mark-components`, and the path patterns of `graph-match`
//! (`(a)-[e*1..3]->(b)<--(c)`).

use super::*;

/// Upper bound on `*min..max` in a path pattern (Kusto limits variable-length edges too).
const MAX_HOPS: u32 = 255;

impl<'a> Parser<'a> {
    /// `make-graph [kind=...] Src --> Dst [with T on Key, ...] [with_node_id = Name]`
    /// after the keyword.
    pub(super) fn make_graph(&mut self) -> PResult<Operator> {
        let params = self.op_params(&["kind"])?;
        let source = self.name("a source column after `make-graph`")?;
        self.expect(K::Minus, "`-->` or `--` after the source column")?;
        self.expect(K::Minus, "`-->` or `--` after the source column")?;
        let directed = self.eat(K::Gt).is_some();
        let target = self.name("a target column after the edge direction")?;
        let mut nodes = Vec::new();
        let mut node_id = None;
        if self.at_word("with") {
            self.bump();
            loop {
                let table = self.table_ref("a node table after `with`")?;
                self.expect_word("on", "`on` and a key column after the node table")?;
                let key = self.name("a key column after `on`")?;
                nodes.push((table, key));
                if self.eat(K::Comma).is_none() {
                    break;
                }
            }
        } else if self.at_word("with_node_id") {
            self.bump();
            self.expect(K::Eq, "`=` after `with_node_id`")?;
            node_id = Some(self.name("a column name after `with_node_id=`")?);
        }
        Ok(Operator::MakeGraph {
            params,
            source,
            directed,
            target,
            nodes,
            node_id,
        })
    }

    /// `graph-match`/`graph-shortest-paths` after the keyword.
    pub(super) fn graph_match(&mut self, shortest: bool) -> PResult<Operator> {
        let params = self.op_params(&["cycles", "output"])?;
        let mut patterns = vec![self.graph_pattern()?];
        while self.eat(K::Comma).is_some() {
            patterns.push(self.graph_pattern()?);
        }
        let pred = match self.eat_word("where") {
            Some(_) => Some(self.expr_required("a predicate after `where`")?),
            None => None,
        };
        let project = match self.eat_word("project") {
            Some(_) => self.named_list("a column after `project`")?,
            None => Vec::new(),
        };
        Ok(Operator::GraphMatch {
            shortest,
            params,
            patterns,
            pred,
            project,
        })
    }

    /// `(a)-[e]->(b)...`: nodes in parentheses joined by edges.
    fn graph_pattern(&mut self) -> PResult<GraphPattern> {
        let start = self.tok().span;
        let mut nodes = vec![self.graph_node()?];
        let mut edges = Vec::new();
        while self.at(K::Minus) || (self.at(K::Lt) && self.nth(1).kind == K::Minus) {
            edges.push(self.graph_edge()?);
            nodes.push(self.graph_node()?);
        }
        Ok(GraphPattern {
            nodes,
            edges,
            span: self.span_from(start),
        })
    }

    /// `(name)` or `()`.
    fn graph_node(&mut self) -> PResult<Option<Ident>> {
        let open = self.expect(K::LParen, "`(` and a node of the graph pattern")?;
        let name = if self.is_name_start() {
            Some(self.name("a node name")?)
        } else {
            None
        };
        self.expect_close(open)?;
        Ok(name)
    }

    /// `-[e]->`, `<-[e]-`, `-[e]-`, `-->`, `<--`, `--`; `e` may be `e*min..max`.
    fn graph_edge(&mut self) -> PResult<GraphEdge> {
        let start = self.tok().span;
        let left_in = self.eat(K::Lt).is_some();
        self.expect(K::Minus, "`-` in the edge of the graph pattern")?;
        let (mut name, mut hops) = (None, None);
        if let Some(open) = self.eat(K::LBracket) {
            if self.is_name_start() {
                name = Some(self.name("an edge name")?);
            }
            if self.eat(K::Star).is_some() {
                let lo = self.hop_count()?;
                let hi = if self.eat(K::DotDot).is_some() {
                    self.hop_count()?
                } else {
                    lo
                };
                if hi < lo {
                    let span = self.span_from(start);
                    self.error(span, "the edge's lower bound is above its upper bound");
                    return Err(());
                }
                hops = Some((lo, hi));
            }
            self.expect_close(open)?;
        }
        self.expect(K::Minus, "`-` closing the edge of the graph pattern")?;
        let right_out = self.eat(K::Gt).is_some();
        if left_in && right_out {
            let span = self.span_from(start);
            self.error(span, "an edge has one direction: `<-[e]-` or `-[e]->`");
            return Err(());
        }
        let dir = if left_in {
            EdgeDir::In
        } else if right_out {
            EdgeDir::Out
        } else {
            EdgeDir::Any
        };
        Ok(GraphEdge {
            name,
            dir,
            hops,
            span: self.span_from(start),
        })
    }

    fn hop_count(&mut self) -> PResult<u32> {
        let t = self.tok();
        if t.kind != K::Number {
            return self.expected("a number of edges");
        }
        self.bump();
        match self.text(t).parse::<u32>() {
            Ok(n) if n <= MAX_HOPS => Ok(n),
            _ => {
                self.error(
                    t.span,
                    format!("the number of edges must be a whole number up to {MAX_HOPS}"),
                );
                Err(())
            }
        }
    }

    /// `graph-to-table nodes [as N] [with_node_id=C] [, edges [as E] [with_*=C]...]`.
    pub(super) fn graph_to_table(&mut self) -> PResult<Operator> {
        let mut parts: Vec<GraphToTablePart> = Vec::new();
        loop {
            let edges = if self.eat_word("edges").is_some() {
                true
            } else if self.eat_word("nodes").is_some() {
                false
            } else {
                return self.expected("`nodes` or `edges` after `graph-to-table`");
            };
            if parts.iter().any(|p| p.edges == edges) {
                let span = self.span_from(self.toks[self.pos - 1].span);
                self.error(span, "`graph-to-table` names `nodes` and `edges` once each");
                return Err(());
            }
            let mut alias = None;
            let mut params = Vec::new();
            let allowed: &[&str] = if edges {
                &["with_source_id", "with_target_id"]
            } else {
                &["with_node_id"]
            };
            loop {
                if self.eat_word("as").is_some() {
                    alias = Some(self.name("a table name after `as`")?);
                    continue;
                }
                let before = params.len();
                params.extend(self.op_params(allowed)?);
                if params.len() == before {
                    break;
                }
            }
            parts.push(GraphToTablePart {
                edges,
                alias,
                params,
            });
            if parts.len() == 2 || self.eat(K::Comma).is_none() {
                break;
            }
        }
        Ok(Operator::GraphToTable { parts })
    }
}
