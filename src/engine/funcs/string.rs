//! String functions. Positions and lengths count characters (Unicode scalar values).

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use regex::Regex;

use super::{arity, long, s};
use crate::engine::value::{Json, Value};
use crate::engine::{Error, Result};

thread_local! {
    static REGEXES: std::cell::RefCell<HashMap<String, Arc<Regex>>> = Default::default();
}

/// A compiled regex (RE2 syntax, which the `regex` crate follows), cached per thread.
pub fn regex(pattern: &str) -> Result<Arc<Regex>> {
    if let Some(r) = REGEXES.with(|m| m.borrow().get(pattern).cloned()) {
        return Ok(r);
    }
    let re = Arc::new(
        Regex::new(pattern).map_err(|e| Error::new(format!("bad regular expression: {e}")))?,
    );
    REGEXES.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 1000 {
            m.clear();
        }
        m.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// `replace_strings(text, lookups, rewrites)`: every lookup's matches replaced by its
/// rewrite at once (rewrites are not searched again). Matches do not overlap, and an
/// earlier lookup takes precedence over a later one (the documented example: lookups
/// `['is', 'This']` turn "This is" into "Thwas was"). A lookup that is not a non-empty
/// string is ignored; a rewrite that is not a string leaves its matches as they were.
fn replace_strings(text: &str, lookups: Option<&Value>, rewrites: Option<&Value>) -> String {
    let items = |v: Option<&Value>| -> Vec<Json> {
        match v.and_then(Value::as_json) {
            Some(Json::Array(a)) => a.clone(),
            _ => Vec::new(),
        }
    };
    let (lookups, rewrites) = (items(lookups), items(rewrites));
    // (start, end, rewrite) of every claimed match.
    let mut claimed: Vec<(usize, usize, Option<&str>)> = Vec::new();
    for (i, l) in lookups.iter().enumerate() {
        let Some(l) = l.as_str().filter(|l| !l.is_empty()) else {
            continue;
        };
        let rewrite = rewrites.get(i).and_then(Json::as_str);
        let mut from = 0;
        while let Some(p) = text[from..].find(l) {
            let (start, end) = (from + p, from + p + l.len());
            if claimed.iter().any(|&(s, e, _)| start < e && s < end) {
                // Overlaps an earlier lookup's match: try one character further.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            } else {
                claimed.push((start, end, rewrite));
                from = end;
            }
        }
    }
    claimed.sort_by_key(|c| c.0);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, rewrite) in claimed {
        out.push_str(&text[at..start]);
        out.push_str(rewrite.unwrap_or(&text[start..end]));
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

fn st(v: impl Into<Arc<str>>) -> Option<Result<Value>> {
    Some(Ok(Value::Str(v.into())))
}

fn strs(items: impl IntoIterator<Item = String>) -> Value {
    Value::dynamic(Json::Array(items.into_iter().map(Json::String).collect()))
}

pub fn call(name: &str, a: &[Value]) -> Option<Result<Value>> {
    let r = match name {
        "strlen" => Value::Long(s(a, 0).chars().count() as i64),
        "string_size" => Value::Long(s(a, 0).len() as i64),
        "tolower" => return st(s(a, 0).to_lowercase()),
        "toupper" => return st(s(a, 0).to_uppercase()),
        "strcat" => return st(a.iter().map(Value::to_kusto_string).collect::<String>()),
        "strcat_delim" => {
            let d = s(a, 0);
            let parts: Vec<String> = a.iter().skip(1).map(Value::to_kusto_string).collect();
            return st(parts.join(&d));
        }
        "strcat_array" => {
            let d = s(a, 1);
            let parts: Vec<String> = match a.first().and_then(Value::as_json) {
                Some(Json::Array(items)) => items
                    .iter()
                    .map(|j| Value::dynamic(j.clone()).to_kusto_string())
                    .collect(),
                _ => Vec::new(),
            };
            return st(parts.join(&d));
        }
        "substring" => {
            let text = s(a, 0);
            let n = text.chars().count() as i64;
            let start = long(a, 1).unwrap_or(0).clamp(0, n);
            let len = long(a, 2).unwrap_or(n - start).clamp(0, n - start);
            return st(text
                .chars()
                .skip(start as usize)
                .take(len as usize)
                .collect::<String>());
        }
        "split" => {
            let text = s(a, 0);
            let d = s(a, 1);
            let parts: Vec<String> = if d.is_empty() {
                vec![text]
            } else {
                text.split(d.as_str()).map(str::to_string).collect()
            };
            match long(a, 2) {
                Some(i) => match usize::try_from(i).ok().and_then(|i| parts.get(i)) {
                    Some(p) => strs([p.clone()]),
                    None => Value::dynamic(Json::Array(Vec::new())),
                },
                None => strs(parts),
            }
        }
        "replace_string" => {
            return st(if s(a, 1).is_empty() {
                s(a, 0)
            } else {
                s(a, 0).replace(&s(a, 1), &s(a, 2))
            });
        }
        "replace_regex" | "replace" => {
            let re = match regex(&s(a, 1)) {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            return st(re.replace_all(&s(a, 0), rewrite(&s(a, 2))).into_owned());
        }
        "reverse" => return st(s(a, 0).chars().rev().collect::<String>()),
        "strrep" => {
            let n = long(a, 1).unwrap_or(1).clamp(0, 1 << 16) as usize;
            let (text, delim) = (s(a, 0), s(a, 2));
            if n.saturating_mul(text.len() + delim.len()) > 1 << 26 {
                return Some(Err(Error::new("strrep(): the result would exceed 64 MB")));
            }
            return st(vec![text; n].join(&delim));
        }
        "strcmp" => Value::Long(match s(a, 0).cmp(&s(a, 1)) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        }),
        "indexof" => indexof(a),
        "countof" => {
            let (text, search) = (s(a, 0), s(a, 1));
            if search.is_empty() {
                return Some(Ok(Value::Long(0)));
            }
            if s(a, 2) == "regex" {
                match regex(&search) {
                    Ok(re) => Value::Long(re.find_iter(&text).count() as i64),
                    Err(e) => return Some(Err(e)),
                }
            } else {
                // Overlapping occurrences (countof("aaaa", "aa") is 3).
                let mut n = 0;
                let mut from = 0;
                while let Some(p) = text[from..].find(&search) {
                    n += 1;
                    from += p + text[from + p..].chars().next().map_or(1, char::len_utf8);
                }
                Value::Long(n)
            }
        }
        "extract" => {
            let re = match regex(&s(a, 0)) {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let g = long(a, 1).unwrap_or(0).max(0) as usize;
            let text = s(a, 2);
            match re.captures(&text).and_then(|c| c.get(g)) {
                Some(m) => {
                    let v = Value::str(m.as_str());
                    match a.get(3).and_then(Value::as_str) {
                        Some(t) => return super::convert::call(&format!("to{t}"), &[v]),
                        None => v,
                    }
                }
                None => match a.get(3) {
                    Some(_) => Value::Null,
                    None => Value::str(""),
                },
            }
        }
        "extract_all" => {
            let (pattern, groups, text) = if a.len() >= 3 {
                (s(a, 0), a.get(1).cloned(), s(a, 2))
            } else {
                (s(a, 0), None, s(a, 1))
            };
            let re = match regex(&pattern) {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let wanted: Option<Vec<usize>> = groups.and_then(|g| {
                g.as_json().and_then(Json::as_array).map(|arr| {
                    arr.iter()
                        .filter_map(Json::as_u64)
                        .map(|x| x as usize)
                        .collect()
                })
            });
            let ngroups = re.captures_len() - 1;
            let mut out = Vec::new();
            for c in re.captures_iter(&text) {
                let get = |i: usize| Json::String(c.get(i).map_or("", |m| m.as_str()).to_string());
                match &wanted {
                    Some(w) if w.len() == 1 => out.push(get(w[0])),
                    Some(w) => out.push(Json::Array(w.iter().map(|&i| get(i)).collect())),
                    None if ngroups <= 1 => out.push(get(ngroups)),
                    None => out.push(Json::Array((1..=ngroups).map(get).collect())),
                }
            }
            if out.is_empty() {
                Value::Null
            } else {
                Value::dynamic(Json::Array(out))
            }
        }
        "trim" | "trim_start" | "trim_end" => {
            let pat = s(a, 0);
            let text = s(a, 1);
            let start = match regex(&format!("^(?:{pat})+")) {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let end = match regex(&format!("(?:{pat})+$")) {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            let mut t = text.as_str();
            if name != "trim_end"
                && let Some(m) = start.find(t)
            {
                t = &t[m.end()..];
            }
            if name != "trim_start"
                && let Some(m) = end.find(t)
            {
                t = &t[..m.start()];
            }
            return st(t);
        }
        "url_encode" | "url_encode_component" => {
            // Unreserved characters stay; every other byte is `%xx` (lowercase hex, as
            // the docs' examples show).
            let mut out = String::new();
            for b in s(a, 0).bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    out.push(b as char);
                } else if b == b' ' && name == "url_encode" {
                    out.push('+');
                } else {
                    out.push_str(&format!("%{b:02x}"));
                }
            }
            return st(out);
        }
        "url_decode" => {
            let t = s(a, 0).replace('+', " ");
            match percent_encoding::percent_decode_str(&t).decode_utf8() {
                Ok(d) => return st(d.into_owned()),
                Err(_) => Value::Null,
            }
        }
        "base64_encode_tostring" => {
            return st(base64::engine::general_purpose::STANDARD.encode(s(a, 0)));
        }
        "base64_decode_tostring" => {
            match base64::engine::general_purpose::STANDARD.decode(s(a, 0).trim()) {
                Ok(b) => match String::from_utf8(b) {
                    Ok(t) => return st(t),
                    Err(_) => Value::Null,
                },
                Err(_) => Value::str(""),
            }
        }
        "base64_decode_toarray" => {
            match base64::engine::general_purpose::STANDARD.decode(s(a, 0).trim()) {
                Ok(b) => Value::dynamic(Json::Array(b.into_iter().map(Json::from).collect())),
                Err(_) => Value::Null,
            }
        }
        "base64_encode_fromguid" => match a.first() {
            Some(Value::Guid(g)) => {
                return st(base64::engine::general_purpose::STANDARD.encode(guid_bytes(*g)));
            }
            _ => Value::Null,
        },
        "base64_decode_toguid" => {
            match base64::engine::general_purpose::STANDARD.decode(s(a, 0).trim()) {
                Ok(b) if b.len() == 16 => {
                    let mut x = [0u8; 16];
                    x.copy_from_slice(&b);
                    Value::Guid(guid_from_bytes(x))
                }
                _ => Value::Null,
            }
        }
        "hash_md5" => {
            use md5::Digest;
            return st(hex(&md5::Md5::digest(s(a, 0).as_bytes())));
        }
        "hash_sha1" => {
            use sha1::Digest;
            return st(hex(&sha1::Sha1::digest(s(a, 0).as_bytes())));
        }
        "hash_sha256" => {
            use sha2::Digest;
            return st(hex(&sha2::Sha256::digest(s(a, 0).as_bytes())));
        }
        "unicode_codepoints_from_string" => Value::dynamic(Json::Array(
            s(a, 0).chars().map(|c| Json::from(c as u32)).collect(),
        )),
        "replace_strings" => return st(replace_strings(&s(a, 0), a.get(1), a.get(2))),
        "regex_quote" => return st(regex::escape(&s(a, 0))),
        // `make_string` is the deprecated name of `unicode_codepoints_to_string`.
        "unicode_codepoints_to_string" | "make_string" => {
            let mut out = String::new();
            for v in a {
                match v.as_json() {
                    Some(Json::Array(items)) => out.extend(
                        items
                            .iter()
                            .filter_map(Json::as_u64)
                            .filter_map(|c| char::from_u32(c as u32)),
                    ),
                    _ => out.extend(v.as_i64().and_then(|c| char::from_u32(c as u32))),
                }
            }
            return st(out);
        }
        "translate" => {
            let from: Vec<char> = s(a, 0).chars().collect();
            let to: Vec<char> = s(a, 1).chars().collect();
            let out: String = s(a, 2)
                .chars()
                .filter_map(|c| match from.iter().position(|&f| f == c) {
                    Some(_) if to.is_empty() => None,
                    Some(i) => Some(*to.get(i).unwrap_or(to.last().unwrap_or(&c))),
                    None => Some(c),
                })
                .collect();
            return st(out);
        }
        "has_any_index" => {
            let text = s(a, 0);
            let items: Vec<String> = match a.get(1).and_then(Value::as_json) {
                Some(Json::Array(x)) => x
                    .iter()
                    .map(|j| Value::dynamic(j.clone()).to_kusto_string())
                    .collect(),
                _ => Vec::new(),
            };
            let hit = items.iter().position(|i| {
                crate::kql::strops::eval(crate::kql::strops::StrOpKind::Has, &text, i)
            });
            Value::Long(hit.map_or(-1, |i| i as i64))
        }
        "isascii" => Value::Bool(s(a, 0).is_ascii()),
        "isutf8" => Value::Bool(true),
        "parse_url" => parse_url(&s(a, 0)),
        "parse_path" => parse_path(&s(a, 0)),
        "parse_csv" => {
            let text = s(a, 0);
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes());
            let rec = r.records().next().and_then(|x| x.ok());
            strs(rec.map_or_else(Vec::new, |r| r.iter().map(str::to_string).collect()))
        }
        _ => return None,
    };
    let _ = arity;
    Some(Ok(r))
}

/// Kusto's rewrite `\1` is the regex crate's `${1}`.
fn rewrite(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(d) = chars.peek().copied().filter(char::is_ascii_digit)
        {
            chars.next();
            out.push_str(&format!("${{{d}}}"));
        } else if c == '$' {
            out.push_str("$$");
        } else {
            out.push(c);
        }
    }
    out
}

fn indexof(a: &[Value]) -> Value {
    let text: Vec<char> = s(a, 0).chars().collect();
    let look: Vec<char> = s(a, 1).chars().collect();
    let n = text.len() as i64;
    let start = long(a, 2).unwrap_or(0);
    let start = if start < 0 { (n + start).max(0) } else { start };
    if start > n {
        return Value::Long(-1);
    }
    let len = long(a, 3).unwrap_or(-1);
    let end = if len < 0 { n } else { (start + len).min(n) };
    let occ = long(a, 4).unwrap_or(1).max(1);
    let mut seen = 0;
    let (start, end) = (start as usize, end as usize);
    if look.is_empty() {
        return Value::Long(start as i64);
    }
    let mut i = start;
    while i + look.len() <= end {
        if text[i..i + look.len()] == look[..] {
            seen += 1;
            if seen == occ {
                return Value::Long(i as i64);
            }
        }
        i += 1;
    }
    Value::Long(-1)
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// .NET's byte layout of a guid (first three groups little-endian).
fn guid_bytes(g: u128) -> [u8; 16] {
    let mut b = g.to_be_bytes();
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    b
}

fn guid_from_bytes(mut b: [u8; 16]) -> u128 {
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    u128::from_be_bytes(b)
}

fn parse_url(u: &str) -> Value {
    let mut m = serde_json::Map::new();
    let Some((scheme, rest)) = u.split_once("://") else {
        return Value::dynamic(Json::Object(m));
    };
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(i) => (&hostport[..=i], hostport[i + 1..].trim_start_matches(':')),
            None => (hostport, ""),
        }
    } else {
        hostport.split_once(':').unwrap_or((hostport, ""))
    };
    let mut params = serde_json::Map::new();
    for kv in query.split('&').filter(|x| !x.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        params.insert(k.to_string(), Json::String(v.to_string()));
    }
    let s = |x: &str| Json::String(x.to_string());
    m.insert("Scheme".into(), s(scheme));
    m.insert("Host".into(), s(host));
    m.insert("Port".into(), s(port));
    m.insert("Path".into(), s(path));
    m.insert("Username".into(), s(user));
    m.insert("Password".into(), s(pass));
    m.insert("Query Parameters".into(), Json::Object(params));
    m.insert("Fragment".into(), s(fragment));
    Value::dynamic(Json::Object(m))
}

fn parse_path(p: &str) -> Value {
    let s = |x: &str| Json::String(x.to_string());
    let mut m = serde_json::Map::new();
    let (scheme, rest) = match p.split_once("://") {
        Some((sc, r)) => (sc, r),
        None => ("", p),
    };
    let sep = if rest.contains('\\') { '\\' } else { '/' };
    let root = if rest.len() >= 2 && rest.as_bytes()[1] == b':' {
        &rest[..2]
    } else if rest.starts_with("\\\\") {
        rest.splitn(4, '\\').take(3).last().unwrap_or("")
    } else {
        ""
    };
    let (dir, file) = match rest.rfind(sep) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let (file, ads) = match file.split_once(':') {
        Some((f, a)) => (f, a),
        None => (file, ""),
    };
    let ext = file.rsplit_once('.').map_or("", |(_, e)| e);
    let dirname = dir.rsplit(sep).next().unwrap_or("");
    m.insert("Scheme".into(), s(scheme));
    m.insert("RootPath".into(), s(root));
    m.insert("DirectoryPath".into(), s(dir));
    m.insert("DirectoryName".into(), s(dirname));
    m.insert("Filename".into(), s(file));
    m.insert("Extension".into(), s(ext));
    m.insert("AlternateDataStreamName".into(), s(ads));
    Value::dynamic(Json::Object(m))
}
