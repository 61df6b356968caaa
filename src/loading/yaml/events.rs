//! The fast path of [`super::parse`]: the span tree built straight from the YAML parser's
//! event stream (granit-parser, the parser serde-saphyr itself runs, re-exported by it so
//! the two cannot drift apart), without serde's `Spanned<T>` plumbing.
//!
//! It covers the plain documents rule files are: one document of mappings, lists and
//! untagged scalars. Anything else (a parser error, anchors and aliases, tags, merge keys,
//! duplicate or non-string keys, a second document, a scalar whose type is not obvious,
//! sizes near a limit) makes it give up with `None`, and the caller runs serde-saphyr,
//! whose result and messages are the reference. Where it answers, the tree equals the
//! one serde-saphyr builds (`tests/yaml_fast_path.rs` compares both on every real file).

use super::{Entry, Limits, Node, Value};
use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span, StrInput};
use std::ops::Range;

/// Texts above this size go to serde-saphyr: below it, no budget on scalar or comment bytes
/// (64 MiB each by default) can be reached.
const MAX_TEXT: usize = 16 << 20;

/// Event budget of the fast path, well under serde-saphyr's default of 1,000,000.
const MAX_EVENTS: usize = 500_000;

/// Maps longer than this are checked for duplicate keys with a hash set.
const LINEAR_KEYS: usize = 16;

/// The parser options serde-saphyr derives from its default options with our limits
/// (`Options::parser_options`, which is crate-private): the same options, the same events.
fn parser_options(limits: Limits) -> Options {
    let budget = serde_saphyr::Budget::default();
    let mut o = Options::default();
    o.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    o.flow_nesting_limit = budget.flow_nesting_limit;
    o.block_nesting_limit = o
        .block_nesting_limit
        .max(limits.max_depth.saturating_add(1));
    o.emit_comments = true;
    o.max_buffered_comment_events = budget.max_buffered_comment_events;
    o.strict_indentation = false;
    o.bom_inside_document_as_content = false;
    o
}

/// A span as serde-saphyr's `Location` gives it: bytes from the start marker to the end
/// marker, or `0..0` when the parser has no byte offsets.
fn byte_span(span: &Span) -> Range<usize> {
    match (span.start.byte_offset(), span.end.byte_offset()) {
        (Some(start), Some(end)) => start..start + end.saturating_sub(start),
        _ => 0..0,
    }
}

/// The value serde-saphyr's `deserialize_any` gives an untagged scalar, when it is certain
/// (`None`: let serde-saphyr decide).
fn scalar_value(text: &str, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.to_owned()));
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    let t = text.trim_matches([' ', '\t', '\r', '\n']);
    if t.len() != text.len() {
        return None;
    }
    // YAML 1.1 booleans (serde-saphyr's default, `strict_booleans: false`).
    if t.len() <= 5 {
        for (words, b) in [
            (["true", "yes", "y", "on"], true),
            (["false", "no", "n", "off"], false),
        ] {
            if words.iter().any(|w| t.eq_ignore_ascii_case(w)) {
                return Some(Value::Bool(b));
            }
        }
    }
    let bytes = t.as_bytes();
    let first = bytes[0];
    if first == b'-' && bytes.len() > 1 && bytes.len() <= 19 && bytes[1] != b'0' {
        // A negative decimal integer.
        if bytes[1..].iter().all(u8::is_ascii_digit) {
            return t.parse::<i64>().ok().map(Value::Int);
        }
        return None;
    }
    if first == b'.' {
        // `.5` is a float, `.NET` a string; `.inf` and `.nan` are serde-saphyr's to read.
        if matches!(&t[1..], "inf" | "Inf" | "INF" | "nan" | "NaN" | "NAN") {
            return None;
        }
        return finite_float_or_string(t);
    }
    if !first.is_ascii_digit() {
        // Other signed spellings (`+1`, `-.inf`, `-0x1`) are serde-saphyr's to read.
        // Anything else is no integer and no finite float (`inf`, `nan` and `infinity`
        // stay strings), so a string.
        return (!matches!(first, b'+' | b'-')).then(|| Value::String(t.to_owned()));
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        // Decimal digits: an integer unless written with a leading zero or too large, in
        // which case serde-saphyr reads a float.
        if (t.len() == 1 || first != b'0')
            && let Ok(u) = t.parse::<u64>()
        {
            return Some(match i64::try_from(u) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::UInt(u),
            });
        }
        return t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float);
    }
    if first == b'0' && bytes.len() > 1 {
        match bytes[1] {
            // Upper-case radix prefixes stay strings.
            b'X' | b'O' | b'B' => return Some(Value::String(t.to_owned())),
            // `0x1F`, `0o17`, `0b11` are serde-saphyr's to read; with a character no radix
            // has (a UUID such as `0b7d0c55-...`) it is no number at all.
            b'x' | b'o' | b'b' => {
                if bytes[2..]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    return None;
                }
                return Some(Value::String(t.to_owned()));
            }
            _ => {}
        }
    }
    if t.contains('_') {
        // `1_000` is an integer to serde-saphyr; with a character besides digits and
        // underscores it is no number (Rust's floats take no underscores).
        if bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_') {
            return None;
        }
        return Some(Value::String(t.to_owned()));
    }
    // Not an integer (a non-digit and no radix): a finite float if Rust reads one (as
    // serde-saphyr does), else a string (`1h`, `1.0.0`, `2024-01-01`).
    finite_float_or_string(t)
}

/// [`scalar_value`] of a plain scalar, for the line scanner ([`super::block`]).
pub(super) fn plain_scalar_value(text: &str) -> Option<Value> {
    scalar_value(text, ScalarStyle::Plain)
}

/// A finite float if Rust reads one (as serde-saphyr's fallback does), a string if it reads
/// none, and `None` (serde-saphyr decides) for an overflow to infinity.
fn finite_float_or_string(t: &str) -> Option<Value> {
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Value::Float(f)),
        Ok(_) => None,
        Err(_) => Some(Value::String(t.to_owned())),
    }
}

enum Frame {
    Seq {
        span: Range<usize>,
        items: Vec<Node>,
    },
    Map {
        span: Range<usize>,
        entries: Vec<Entry>,
        key: Option<(String, Range<usize>)>,
        seen: Option<foldhash::HashSet<String>>,
    },
}

/// Builds the span tree from the event stream, or `None` when serde-saphyr must decide.
pub(super) fn parse(text: &str, limits: Limits) -> Option<Node> {
    if text.len() > MAX_TEXT {
        return None;
    }
    let mut parser = Parser::with_options(StrInput::new(text), parser_options(limits));
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    let mut events = 0usize;
    // Keep clear of serde-saphyr's depth and node budgets: near them it decides.
    let max_depth = limits.max_depth.min(64).saturating_sub(2);
    let max_nodes = limits.max_nodes.min(250_000).saturating_sub(2);
    for item in &mut parser {
        let (event, span) = item.ok()?;
        events += 1;
        if events > MAX_EVENTS {
            return None;
        }
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::Comment(..) => continue,
            Event::DocumentStart(_, version) => {
                documents += 1;
                if documents > 1 || version.is_some() {
                    return None;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let value = scalar_value(&value, style)?;
                Node {
                    value,
                    span: byte_span(&span),
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || root.is_some() {
                    return None;
                }
                // A collection as a mapping key: serde-saphyr decides (an error here).
                if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    return None;
                }
                nodes += 1;
                if stack.len() + 1 > max_depth || nodes > max_nodes {
                    return None;
                }
                let span = byte_span(&span);
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        span,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        span,
                        entries: Vec::new(),
                        key: None,
                        seen: None,
                    }
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                Frame::Seq { span, items } => Node {
                    value: Value::Seq(items),
                    span,
                },
                Frame::Map {
                    span, entries, key, ..
                } => {
                    if key.is_some() {
                        return None;
                    }
                    Node {
                        value: Value::Map(entries),
                        span,
                    }
                }
            },
            // Aliases, anchors and anything newer: serde-saphyr decides.
            _ => return None,
        };
        if !matches!(node.value, Value::Seq(_) | Value::Map(_)) {
            nodes += 1;
            if nodes > max_nodes {
                return None;
            }
        }
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return None;
                }
                root = Some(node);
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, key, seen, ..
            }) => match key.take() {
                None => {
                    // A key: a string that is no merge key and not seen before.
                    let Value::String(k) = node.value else {
                        return None;
                    };
                    if k == "<<" {
                        return None;
                    }
                    let duplicate = match seen {
                        Some(set) => !set.insert(k.clone()),
                        None => {
                            let dup = entries.iter().any(|e| e.key == k);
                            if entries.len() >= LINEAR_KEYS {
                                let mut set: foldhash::HashSet<String> =
                                    entries.iter().map(|e| e.key.clone()).collect();
                                set.insert(k.clone());
                                *seen = Some(set);
                            }
                            dup
                        }
                    };
                    if duplicate {
                        return None;
                    }
                    *key = Some((k, node.span));
                }
                Some((k, key_span)) => entries.push(Entry {
                    key: k,
                    key_span,
                    value: node,
                }),
            },
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_resolve_as_serde_saphyr_does_or_defer() {
        let v = |s: &str| scalar_value(s, ScalarStyle::Plain);
        assert_eq!(v("~"), Some(Value::Null));
        assert_eq!(v("Yes"), Some(Value::Bool(true)));
        assert_eq!(v("off"), Some(Value::Bool(false)));
        assert_eq!(v("42"), Some(Value::Int(42)));
        assert_eq!(v("18446744073709551615"), Some(Value::UInt(u64::MAX)));
        assert_eq!(v("0123"), Some(Value::Float(123.0)));
        assert_eq!(v("1.5"), Some(Value::Float(1.5)));
        assert_eq!(v("1e3"), Some(Value::Float(1000.0)));
        assert_eq!(v("1.0.0"), Some(Value::String("1.0.0".into())));
        assert_eq!(v("14d"), Some(Value::String("14d".into())));
        assert_eq!(v("nan"), Some(Value::String("nan".into())));
        assert_eq!(v("infinity"), Some(Value::String("infinity".into())));
        assert_eq!(v("0x1F"), None);
        assert_eq!(v("1_000"), None);
        assert_eq!(v("-1"), Some(Value::Int(-1)));
        assert_eq!(v("-0"), None);
        assert_eq!(v("+1"), None);
        assert_eq!(v(".5"), Some(Value::Float(0.5)));
        assert_eq!(v(".NET"), Some(Value::String(".NET".into())));
        assert_eq!(v("0X1F"), Some(Value::String("0X1F".into())));
        assert_eq!(
            v("0b7d0c55-3f0e-4a4c"),
            Some(Value::String("0b7d0c55-3f0e-4a4c".into()))
        );
        assert_eq!(v("1b21-x"), Some(Value::String("1b21-x".into())));
        assert_eq!(v(".inf"), None);
        assert_eq!(v("1e999"), None);
        assert_eq!(
            scalar_value("true", ScalarStyle::SingleQuoted),
            Some(Value::String("true".into()))
        );
    }
}
