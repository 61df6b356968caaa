//! A YAML value tree where every node (and every mapping key) keeps its byte span.
//!
//! Built in one pass from the YAML parser's events ([`events`], the fast path for plain
//! documents) or, for anything unusual and for every error, by serde-saphyr (`Spanned<T>`
//! gives each value's location; its messages are the reference), then used three ways: converted to `serde_json::Value` for schema validation, looked up by
//! JSON pointer to place schema errors, and read by lints that need exact positions.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::ops::Range;

mod block;
mod events;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Byte span of the value in the file (for a block scalar: its content lines).
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Node,
}

impl Value {
    /// The name of the JSON type this value becomes, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// Converts to JSON for schema validation. Keys keep their order.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(f.to_string())),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Finds the node at an RFC 6901 JSON pointer, returning it and, when the last step
    /// was a mapping key, that key's span.
    pub fn pointer(&self, pointer: &str) -> Option<(&Node, Option<Range<usize>>)> {
        let mut node = self;
        let mut key_span = None;
        if pointer.is_empty() {
            return Some((node, None));
        }
        for raw in pointer.strip_prefix('/')?.split('/') {
            let token: std::borrow::Cow<str> = if raw.contains('~') {
                raw.replace("~1", "/").replace("~0", "~").into()
            } else {
                raw.into()
            };
            match &node.value {
                Value::Map(entries) => {
                    let e = entries.iter().find(|e| e.key == *token)?;
                    key_span = Some(e.key_span.clone());
                    node = &e.value;
                }
                Value::Seq(items) => {
                    node = items.get(token.parse::<usize>().ok()?)?;
                    key_span = None;
                }
                _ => return None,
            }
        }
        Some((node, key_span))
    }
}

fn span_of<T>(s: &Spanned<T>) -> Range<usize> {
    let span = s.referenced.span();
    let start = span.byte_offset().unwrap_or(0) as usize;
    let len = span.byte_len().unwrap_or(0) as usize;
    start..start + len
}

/// serde plumbing: a value tree whose children are `Spanned`.
struct RawValue(Value);

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

/// A mapping key: any scalar, rendered as its string form.
struct RawKey(String);

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match RawValue::deserialize(d)?.0 {
            Value::String(s) => Ok(RawKey(s)),
            Value::Null => Ok(RawKey("null".into())),
            Value::Bool(b) => Ok(RawKey(b.to_string())),
            Value::Int(i) => Ok(RawKey(i.to_string())),
            Value::UInt(u) => Ok(RawKey(u.to_string())),
            Value::Float(f) => Ok(RawKey(f.to_string())),
            Value::Seq(_) | Value::Map(_) => Err(serde::de::Error::custom(
                "mapping keys must be scalars (strings), not lists or mappings",
            )),
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue(Value::Null))
    }
    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue(Value::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(RawValue(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::UInt(v),
        }))
    }
    fn visit_i128<E>(self, v: i128) -> Result<RawValue, E> {
        Ok(RawValue(Value::String(v.to_string())))
    }
    fn visit_u128<E>(self, v: u128) -> Result<RawValue, E> {
        Ok(RawValue(Value::String(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue(Value::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue(Value::String(v)))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<RawValue, E> {
        Ok(RawValue(Value::String(
            String::from_utf8_lossy(v).into_owned(),
        )))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(Node {
                span: span_of(&item),
                value: item.value.0,
            });
        }
        Ok(RawValue(Value::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<RawKey>, Spanned<RawValue>>()? {
            entries.push(Entry {
                key_span: span_of(&k),
                key: k.value.0,
                value: Node {
                    span: span_of(&v),
                    value: v.value.0,
                },
            });
        }
        Ok(RawValue(Value::Map(entries)))
    }
}

/// A YAML error with the byte offset where the parser stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub offset: Option<usize>,
}

/// Limits that keep hostile input cheap.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_nodes: 250_000,
        }
    }
}

/// Parses one YAML document into a spanned tree. Multi-document input is an error.
pub fn parse(text: &str, limits: Limits) -> Result<Node, YamlError> {
    // The parser recurses on flow collections; refuse absurd nesting before it starts.
    if let Some(offset) = flow_depth_exceeded(text, limits.max_depth) {
        return Err(YamlError {
            message: format!("the document nests deeper than {} levels", limits.max_depth),
            offset: Some(offset),
        });
    }
    match block::parse(text, limits).or_else(|| events::parse(text, limits)) {
        Some(node) => Ok(node),
        None => parse_serde(text, limits),
    }
}

/// The line scanner of [`parse`] alone: the tree of the plainest files, or `None` where
/// [`parse`] goes on to the event-stream path. For tests that compare the paths.
#[doc(hidden)]
pub fn parse_lines(text: &str, limits: Limits) -> Option<Node> {
    block::parse(text, limits)
}

/// The fast path of [`parse`] alone: the tree built from the parser's events, or `None`
/// where [`parse`] hands the text to serde-saphyr. For tests that compare both paths.
#[doc(hidden)]
pub fn parse_fast(text: &str, limits: Limits) -> Option<Node> {
    events::parse(text, limits)
}

/// [`parse`] through serde-saphyr alone: the reference the fast path must equal. For tests
/// that compare both paths.
#[doc(hidden)]
pub fn parse_with_serde(text: &str, limits: Limits) -> Result<Node, YamlError> {
    if let Some(offset) = flow_depth_exceeded(text, limits.max_depth) {
        return Err(YamlError {
            message: format!("the document nests deeper than {} levels", limits.max_depth),
            offset: Some(offset),
        });
    }
    parse_serde(text, limits)
}

fn parse_serde(text: &str, limits: Limits) -> Result<Node, YamlError> {
    let mut options = serde_saphyr::options::Options::default();
    let mut budget = options.budget.clone().unwrap_or_default();
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    options.budget = Some(budget);
    options.with_snippet = false;
    match serde_saphyr::from_str_with_options::<Spanned<RawValue>>(text, options) {
        Ok(v) => Ok(Node {
            span: span_of(&v),
            value: v.value.0,
        }),
        Err(e) => Err(convert_error(text, &e, limits)),
    }
}

/// Offset of the first `[`/`{` that opens a flow collection deeper than `max`, skipping
/// quoted strings and comments. A cheap over-approximation: plain scalars rarely hold
/// brackets, and a false alarm needs more than `max` unclosed brackets in a row.
fn flow_depth_exceeded(text: &str, max: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    // The depth never exceeds the number of `[` and `{` (few in most rule files).
    memchr::memchr2_iter(b'[', b'{', bytes).nth(max)?;
    let mut depth = 0usize;
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'[' | b'{' => {
                    depth += 1;
                    if depth > max {
                        return Some(i);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'"' | b'\'' if depth > 0 => quote = Some(b),
                b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

fn convert_error(text: &str, e: &serde_saphyr::Error, limits: Limits) -> YamlError {
    let e = e.without_snippet();
    let offset = e.location().and_then(|l| {
        l.span().byte_offset().map(|b| b as usize).or_else(|| {
            // Fall back to line/column.
            line_col_to_offset(text, l.line() as usize, l.column() as usize)
        })
    });
    let raw = e.to_string();
    let message = humanize(strip_location_prefix(&raw), limits);
    YamlError { message, offset }
}

fn line_col_to_offset(text: &str, line: usize, col: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    let in_line = rest
        .char_indices()
        .nth(col.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    Some(start + in_line)
}

fn strip_location_prefix(s: &str) -> &str {
    let s = s.trim();
    let s = s.strip_prefix("error: ").unwrap_or(s);
    // "line 3 column 1: message"
    if let Some(rest) = s.strip_prefix("line ")
        && let Some(idx) = rest.find(": ")
        && rest[..idx].contains(" column ")
    {
        return rest[idx + 2..].lines().next().unwrap_or("").trim();
    }
    s.lines().next().unwrap_or("").trim()
}

fn humanize(msg: &str, limits: Limits) -> String {
    // The location is reported separately.
    let msg = match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains("column") => &msg[..i],
        _ => msg,
    };
    if msg.contains("budget breached: Nodes") || msg.contains("budget breached: Alias") {
        return format!(
            "the document expands to more than {} YAML nodes (an alias bomb: anchors referenced over and over)",
            limits.max_nodes
        );
    }
    if msg.contains("budget breached: Depth") || msg.contains("recursion limit exceeded") {
        return format!("the document nests deeper than {} levels", limits.max_depth);
    }
    if msg.contains("budget breached") {
        return format!("the document exceeds a safety limit ({msg})");
    }
    if msg.starts_with("multiple YAML documents detected") {
        return "the file holds more than one YAML document (`---`); a rule file holds exactly one rule".into();
    }
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("duplicate key `{key}`");
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "id: x\nlist:\n- a: 1\n";
        let n = parse(text, Limits::default()).unwrap();
        let e = n.get("list").unwrap();
        assert_eq!(&text[e.key_span.clone()], "list");
        let (a, key) = n.pointer("/list/0/a").unwrap();
        assert_eq!(&text[a.span.clone()], "1");
        assert_eq!(&text[key.unwrap()], "a");
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\na: 2\n", Limits::default()).unwrap_err();
        assert_eq!(err.message, "duplicate key `a`");
        assert_eq!(err.offset, Some(5));
    }
}
