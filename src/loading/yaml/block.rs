//! The fastest path of [`super::parse`]: a line scanner for the plainest rule files, in
//! front of the event-stream path ([`super::events`]).
//!
//! It reads only block mappings with identifier keys, block sequences (`- ` items that are
//! scalars or mappings), single-line plain and quoted scalars and literal block scalars
//! (`|`, `|-`), in ASCII outside block scalars. Anything else (comments, flow collections,
//! anchors, tags, folded or multi-line scalars, empty values, tabs, `\r`, duplicate keys, a
//! scalar whose type is not obvious, ...) makes it give up with `None`, and the caller runs
//! the event-stream path. Where it answers, the tree equals the one the event-stream path
//! (and so serde-saphyr) builds: `tests/yaml_fast_path.rs` compares them on every real and
//! generated file.

use super::events::plain_scalar_value;
use super::{Entry, Limits, Node, Value};

/// Texts above this size go to the event-stream path.
const MAX_TEXT: usize = 1 << 20;

/// Mappings with more keys go to the event-stream path (duplicates are checked linearly).
const MAX_ENTRIES: usize = 64;

struct Lines<'a> {
    text: &'a str,
    /// Start and end (without the `\n`) of each line.
    lines: Vec<(usize, usize)>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Option<Lines<'a>> {
        let b = text.as_bytes();
        let mut lines = Vec::with_capacity(b.len() / 24 + 1);
        let mut start = 0;
        for (i, &c) in b.iter().enumerate() {
            if c < 0x20 || c == 0x7f {
                match c {
                    b'\n' => {
                        lines.push((start, i));
                        start = i + 1;
                    }
                    b'\t' => {}
                    // `\r` (line breaks the scanner does not model), NUL, other controls.
                    _ => return None,
                }
            }
        }
        if start < b.len() {
            lines.push((start, b.len()));
        }
        Some(Lines { text, lines })
    }

    fn line(&self, i: usize) -> &'a str {
        let (s, e) = self.lines[i];
        &self.text[s..e]
    }

    fn indent(&self, i: usize) -> usize {
        self.line(i).bytes().take_while(|&c| c == b' ').count()
    }

    fn is_blank(&self, i: usize) -> bool {
        self.line(i).bytes().all(|c| c == b' ')
    }

    /// The next line at or after `i` that is not blank.
    fn next_content(&self, mut i: usize) -> Option<usize> {
        while i < self.lines.len() {
            if !self.is_blank(i) {
                return Some(i);
            }
            i += 1;
        }
        None
    }
}

struct Scanner<'a> {
    l: Lines<'a>,
    /// The line being read.
    i: usize,
    /// Nodes left before the event-stream path must decide (kept as far from the limits
    /// as that path keeps).
    nodes_left: usize,
    max_depth: usize,
}

/// Whether `c` may be in a key (and starts none unless a letter).
fn key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// The length of an identifier key at the start of `s` followed by `:` and a space or the
/// end of the line.
fn key_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let n = b.iter().take_while(|&&c| key_char(c)).count();
    (b.get(n) == Some(&b':') && matches!(b.get(n + 1), None | Some(b' '))).then_some(n)
}

/// Whether a line's text (from its indentation on) is printable ASCII without tabs.
fn plain_line(s: &str) -> bool {
    s.bytes().all(|c| (0x20..0x7f).contains(&c))
}

impl<'a> Scanner<'a> {
    /// One more node, or `None` past the budget.
    fn count(&mut self) -> Option<()> {
        self.nodes_left = self.nodes_left.checked_sub(1)?;
        Some(())
    }

    fn abs(&self, i: usize, col: usize) -> usize {
        self.l.lines[i].0 + col
    }

    /// A scalar value starting at column `col` of line `i` (the rest of the line), in a
    /// block whose indentation is `parent`: plain or quoted, on one line, nothing after it.
    fn inline_scalar(&mut self, i: usize, col: usize, parent: usize) -> Option<Node> {
        self.count()?;
        let line = self.l.line(i);
        let rest = &line[col..];
        if !plain_line(rest) {
            return None;
        }
        let first = *rest.as_bytes().first()?;
        if first == b'[' {
            return self.flow_seq(i, col, parent);
        }
        let (value, len) = match first {
            b'\'' => {
                let b = rest.as_bytes();
                let mut out = String::new();
                let mut k = 1;
                loop {
                    match b.get(k) {
                        None => return None,
                        Some(b'\'') if b.get(k + 1) == Some(&b'\'') => {
                            out.push('\'');
                            k += 2;
                        }
                        Some(b'\'') => break,
                        Some(&c) => {
                            out.push(c as char);
                            k += 1;
                        }
                    }
                }
                (Value::String(out), k + 1)
            }
            b'"' => {
                let b = rest.as_bytes();
                let close = 1 + b[1..].iter().position(|&c| c == b'"')?;
                let inner = &rest[1..close];
                if inner.contains('\\') {
                    return None;
                }
                (Value::String(inner.to_owned()), close + 1)
            }
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'%' | b'@' | b'`' | b' ' => return None,
            _ => {
                let text = rest.trim_end_matches(' ');
                if text.contains(" #") || text.contains(": ") || text.ends_with(':') {
                    return None;
                }
                (plain_scalar_value(text)?, text.len())
            }
        };
        // Nothing but spaces after a quoted scalar.
        if !rest[len..].bytes().all(|c| c == b' ') {
            return None;
        }
        // A more indented line after it would continue it (or be an error).
        self.ends_at(i + 1, parent)?;
        let start = self.abs(i, col);
        Some(Node {
            value,
            span: start..start + len,
        })
    }

    /// A flow sequence of scalars on one line (`[ "a", 'b', c ]`) starting at column `col`
    /// of line `i`, in a block indented by `parent`.
    fn flow_seq(&mut self, i: usize, col: usize, parent: usize) -> Option<Node> {
        self.count()?;
        let line = self.l.line(i);
        let b = line.as_bytes();
        let mut k = col + 1;
        let mut items = Vec::new();
        let skip = |k: &mut usize| {
            while b.get(*k) == Some(&b' ') {
                *k += 1;
            }
        };
        skip(&mut k);
        if b.get(k) == Some(&b']') {
            return None;
        }
        loop {
            self.count()?;
            let start = k;
            let value = match *b.get(k)? {
                q @ (b'"' | b'\'') => {
                    let close = k + 1 + b[k + 1..].iter().position(|&c| c == q)?;
                    let inner = &line[k + 1..close];
                    if inner.contains('\\') || (q == b'\'' && b.get(close + 1) == Some(&b'\'')) {
                        return None;
                    }
                    k = close + 1;
                    Value::String(inner.to_owned())
                }
                c if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'(' => {
                    while b.get(k).is_some_and(|&c| {
                        !matches!(
                            c,
                            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b':' | b'"' | b'\''
                        )
                    }) {
                        k += 1;
                    }
                    let text = line[start..k].trim_end_matches(' ');
                    let v = plain_scalar_value(text)?;
                    let end = start + text.len();
                    items.push(Node {
                        value: v,
                        span: self.abs(i, start)..self.abs(i, end),
                    });
                    skip(&mut k);
                    match *b.get(k)? {
                        b',' => {
                            k += 1;
                            skip(&mut k);
                            continue;
                        }
                        b']' => break,
                        _ => return None,
                    }
                }
                _ => return None,
            };
            items.push(Node {
                value,
                span: self.abs(i, start)..self.abs(i, k),
            });
            skip(&mut k);
            match *b.get(k)? {
                b',' => {
                    k += 1;
                    skip(&mut k);
                }
                b']' => break,
                _ => return None,
            }
        }
        // `]` ends the line (spaces aside).
        if !line[k + 1..].bytes().all(|c| c == b' ') {
            return None;
        }
        self.ends_at(i + 1, parent)?;
        // A flow sequence's span is its `[`.
        let start = self.abs(i, col);
        Some(Node {
            value: Value::Seq(items),
            span: start..start + 1,
        })
    }

    /// A literal block scalar (`|` or `|-`, header at line `i`) in a mapping indented by
    /// `parent`.
    fn block_scalar(&mut self, i: usize, strip: bool, parent: usize) -> Option<Node> {
        self.count()?;
        let first = i + 1;
        if first >= self.l.lines.len() || self.l.is_blank(first) {
            return None;
        }
        let k = self.l.indent(first);
        if k <= parent {
            return None;
        }
        let mut end = first;
        let mut last_content = first;
        while end < self.l.lines.len() {
            if self.l.is_blank(end) {
                if self.l.line(end).len() > k {
                    return None;
                }
            } else if self.l.indent(end) < k {
                break;
            } else {
                last_content = end;
            }
            end += 1;
        }
        // The last content line must end with a line break.
        if self.l.lines[last_content].1 >= self.l.text.len() {
            return None;
        }
        // The content is at most the lines' bytes plus a final line break: one allocation,
        // no doubling (the query is kept until the catalog is linted).
        let bound = self.l.lines[last_content]
            .1
            .saturating_sub(self.l.lines[first].0)
            + 1;
        let mut value = String::with_capacity(bound);
        for j in first..=last_content {
            let line = self.l.line(j);
            if line.len() > k {
                let content = &line[k..];
                if !content.is_ascii() && !printable(content) {
                    return None;
                }
                value.push_str(content);
            }
            if j < last_content || !strip {
                value.push('\n');
            }
        }
        self.ends_at(last_content + 1, parent)?;
        // From the first content character through the blank lines after the content (to
        // the start of the next line that is not blank, or the end of the text).
        let start = self.l.lines[first].0 + k;
        let stop = self.l.lines.get(end).map_or(self.l.text.len(), |&(s, _)| s);
        Some(Node {
            value: Value::String(value),
            span: start..stop,
        })
    }

    /// The value of a key ending at column `col` of line `i`, in a mapping at `indent`.
    fn value(&mut self, i: usize, col: usize, indent: usize, depth: usize) -> Option<Node> {
        let line = self.l.line(i);
        let rest = &line[col..];
        let skipped = rest.bytes().take_while(|&c| c == b' ').count();
        let rest = &rest[skipped..];
        if rest.is_empty() {
            // A nested block on the next lines.
            let next = self.l.next_content(i + 1)?;
            let n = self.l.indent(next);
            let nested = &self.l.line(next)[n..];
            let is_seq = nested.starts_with("- ");
            if n < indent || (n == indent && !is_seq) {
                return None;
            }
            self.i = next;
            return if is_seq {
                self.seq(n, depth + 1, n == indent)
            } else {
                self.map(next, n, depth + 1)
            };
        }
        match rest {
            "|" => self.block_scalar(i, false, indent),
            "|-" => self.block_scalar(i, true, indent),
            _ => self.inline_scalar(i, col + skipped, indent),
        }
    }

    /// A one-line or block value ends before line `next`: the scanner moves there, and gives
    /// up (`None`) when the next content line is indented past `parent`, which would
    /// continue the value (or be an error).
    fn ends_at(&mut self, next: usize, parent: usize) -> Option<()> {
        self.i = next;
        match self.l.next_content(next) {
            Some(line) if self.l.indent(line) > parent => None,
            _ => Some(()),
        }
    }

    /// A block mapping whose first key starts at column `indent` of line `i` (the line may
    /// begin with a sequence entry's `- `).
    fn map(&mut self, i: usize, indent: usize, depth: usize) -> Option<Node> {
        if depth > self.max_depth {
            return None;
        }
        self.count()?;
        let start = self.abs(i, indent);
        let mut entries: Vec<Entry> = Vec::new();
        let mut line = i;
        loop {
            let text = self.l.line(line);
            let key_text = &text[indent..];
            let n = key_len(key_text)?;
            let key = &key_text[..n];
            // Keys count as nodes (as the event-stream path counts them); a long mapping
            // goes to that path (which checks duplicates with a hash set).
            self.count()?;
            if entries.len() >= MAX_ENTRIES
                || !matches!(plain_scalar_value(key)?, Value::String(_))
                || entries.iter().any(|e| e.key == key)
            {
                return None;
            }
            let key_start = self.abs(line, indent);
            let value = self.value(line, indent + n + 1, indent, depth)?;
            entries.push(Entry {
                key: key.to_owned(),
                key_span: key_start..key_start + n,
                value,
            });
            let Some(next) = self.l.next_content(self.i) else {
                break;
            };
            let ni = self.l.indent(next);
            if ni < indent {
                break;
            }
            if ni > indent {
                return None;
            }
            line = next;
            self.i = next;
        }
        // Kept until the catalog is linted: no spare capacity (a tenth of lint's peak memory).
        entries.shrink_to_fit();
        Some(Node {
            value: Value::Map(entries),
            span: start..start,
        })
    }

    /// A block sequence whose entries start at column `indent`, from line `self.i`.
    /// `compact`: the sequence is a mapping's value at the mapping's own indentation.
    fn seq(&mut self, indent: usize, depth: usize, compact: bool) -> Option<Node> {
        if depth > self.max_depth {
            return None;
        }
        self.count()?;
        // A block sequence's span is empty (see below where it starts).
        let mut start = None;
        let mut items = Vec::new();
        loop {
            let i = self.i;
            let text = self.l.line(i);
            let item = &text[indent..];
            if !item.starts_with("- ") {
                return None;
            }
            let spaces = item[1..].bytes().take_while(|&c| c == b' ').count();
            let col = indent + 1 + spaces;
            let rest = &text[col..];
            // An indentless sequence (a mapping's value at the mapping's own indentation)
            // starts at its first entry's content; an indented one at its first `-`.
            start.get_or_insert(self.abs(i, if compact { col } else { indent }));
            let node = if key_len(rest).is_some() {
                self.map(i, col, depth + 1)?
            } else {
                self.inline_scalar(i, col, indent)?
            };
            items.push(node);
            let Some(next) = self.l.next_content(self.i) else {
                break;
            };
            let ni = self.l.indent(next);
            if ni < indent {
                break;
            }
            if ni > indent {
                return None;
            }
            if !self.l.line(next)[ni..].starts_with("- ") {
                if compact {
                    break;
                }
                return None;
            }
            self.i = next;
        }
        let start = start?;
        Some(Node {
            value: Value::Seq(items),
            span: start..start,
        })
    }
}

/// Whether every character is one YAML prints as is (no C1 controls, BOM, non-characters
/// or line separators).
fn printable(s: &str) -> bool {
    s.chars().all(|c| {
        c == '\t'
            || (' '..='~').contains(&c)
            || (c >= '\u{a0}'
                && !matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ))
    })
}

/// The span tree of a plain rule file, or `None` when the event-stream path must decide.
pub(super) fn parse(text: &str, limits: Limits) -> Option<Node> {
    if text.len() > MAX_TEXT {
        return None;
    }
    let l = Lines::new(text)?;
    let first = l.next_content(0)?;
    if l.indent(first) != 0 {
        return None;
    }
    let mut s = Scanner {
        l,
        i: first,
        nodes_left: limits.max_nodes.min(250_000).saturating_sub(2),
        max_depth: limits.max_depth.min(64).saturating_sub(2),
    };
    let root = s.map(first, 0, 1)?;
    // Everything read: no line left after the root mapping.
    if s.l.next_content(s.i).is_some() {
        return None;
    }
    Some(root)
}
