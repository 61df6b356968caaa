//! IPv4 functions: `parse_ipv4`, `ipv4_is_in_range`, `ipv4_is_private`,
//! `ipv4_compare`, `ipv4_is_match`, `ipv4_is_in_any_range`, `has_ipv4`, `format_ipv4`.

use super::{long, s};
use crate::engine::Result;
use crate::engine::value::{Json, Value};

/// `a.b.c.d[/prefix]` → (address, prefix bits).
pub fn parse_cidr(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, p)) => (ip, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (text, 32),
    };
    let addr: std::net::Ipv4Addr = ip.trim().parse().ok()?;
    Some((u32::from(addr), prefix))
}

/// The IPv4 addresses written in `text`: maximal runs of letters, digits and dots (so an
/// address must be delimited by other characters) that are valid addresses.
fn ipv4_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|tok| tok.parse::<std::net::Ipv4Addr>().is_ok())
}

/// Whether one of `prefixes` that is a valid IPv4 prefix (a whole address, or one to
/// three octets each followed by a dot: `192.`, `192.168.`, `192.168.1.`) starts an
/// address written in `text` (`has_ipv4_prefix`, `has_any_ipv4_prefix`).
fn has_ipv4_prefix(text: &str, prefixes: &[String]) -> bool {
    let valid: Vec<&str> = prefixes
        .iter()
        .map(String::as_str)
        .filter(|p| {
            p.parse::<std::net::Ipv4Addr>().is_ok()
                || p.strip_suffix('.').is_some_and(|body| {
                    let octets: Vec<&str> = body.split('.').collect();
                    octets.len() <= 3
                        && octets.iter().all(|o| {
                            !o.is_empty()
                                && o.len() <= 3
                                && o.bytes().all(|b| b.is_ascii_digit())
                                && o.parse::<u16>().is_ok_and(|n| n <= 255)
                        })
                })
        })
        .collect();
    if valid.is_empty() {
        return false;
    }
    ipv4_tokens(text).any(|tok| {
        valid.iter().any(|p| {
            if p.ends_with('.') {
                tok.starts_with(p)
            } else {
                tok == *p
            }
        })
    })
}

/// `parse_ipv6`: an IPv6 or IPv4 address (IPv4 as its IPv4-mapped IPv6 address, a prefix
/// counting from the IPv4 part), with an optional `/prefix` applied as a mask, as eight
/// groups of four lowercase hex digits; `None` when it is not an address.
fn parse_ipv6(text: &str) -> Option<String> {
    let text = text.trim();
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, p)) => (ip.trim(), Some(p.trim().parse::<u32>().ok()?)),
        None => (text, None),
    };
    let (bits, prefix) = if let Ok(v4) = ip.parse::<std::net::Ipv4Addr>() {
        let p = prefix.unwrap_or(32);
        if p > 32 {
            return None;
        }
        (u128::from(v4.to_ipv6_mapped()), p + 96)
    } else {
        let v6: std::net::Ipv6Addr = ip.parse().ok()?;
        let p = prefix.unwrap_or(128);
        if p > 128 {
            return None;
        }
        (u128::from(v6), p)
    };
    let masked = if prefix == 0 {
        0
    } else {
        bits & (u128::MAX << (128 - prefix))
    };
    let groups: Vec<String> = (0..8)
        .rev()
        .map(|i| format!("{:04x}", (masked >> (i * 16)) & 0xffff))
        .collect();
    Some(groups.join(":"))
}

fn mask(bits: u32) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    }
}

fn in_range(ip: &str, range: &str) -> Option<bool> {
    let (a, pa) = parse_cidr(ip)?;
    let (r, pr) = parse_cidr(range)?;
    let m = mask(pr.min(pa));
    Some(a & m == r & m)
}

fn compare_ips(a: &[Value]) -> Option<std::cmp::Ordering> {
    let (x, px) = parse_cidr(&s(a, 0))?;
    let (y, py) = parse_cidr(&s(a, 1))?;
    let bits = match long(a, 2) {
        Some(p) => u32::try_from(p).ok().filter(|p| *p <= 32)?,
        None => px.min(py),
    }
    .min(px)
    .min(py);
    let m = mask(bits);
    Some((x & m).cmp(&(y & m)))
}

/// An IPv6 (or IPv4, mapped to `::ffff:a.b.c.d`) address with an optional `/prefix`.
fn parse_v6(text: &str) -> Option<(u128, u32)> {
    let text = text.trim();
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, p)) => (ip.trim(), Some(p.trim().parse::<u32>().ok()?)),
        None => (text, None),
    };
    if let Ok(v4) = ip.parse::<std::net::Ipv4Addr>() {
        let p = prefix.map_or(128, |p| (96 + p).min(128));
        return Some((u128::from(v4.to_ipv6_mapped()), p));
    }
    let v6: std::net::Ipv6Addr = ip.parse().ok()?;
    Some((u128::from(v6), prefix.unwrap_or(128).min(128)))
}

fn mask6(bits: u32) -> u128 {
    if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits)
    }
}

fn compare_v6(a: &[Value]) -> Option<std::cmp::Ordering> {
    let (x, px) = parse_v6(&s(a, 0))?;
    let (y, py) = parse_v6(&s(a, 1))?;
    let mut bits = px.min(py);
    if let Some(p) = long(a, 2) {
        bits = bits.min(u32::try_from(p).ok()?.min(128));
    }
    let m = mask6(bits);
    Some((x & m).cmp(&(y & m)))
}

fn in_range_v6(ip: &str, range: &str) -> Option<bool> {
    let (x, px) = parse_v6(ip)?;
    let (r, pr) = parse_v6(range)?;
    let m = mask6(pr.min(px));
    Some(x & m == r & m)
}

/// The ranges of `ipv4_is_in_any_range` / `ipv6_is_in_any_range`: the arguments after the
/// address, each a range or an array of ranges.
fn range_args(a: &[Value]) -> Vec<String> {
    let mut ranges = Vec::new();
    for v in &a[1.min(a.len())..] {
        match v.as_json() {
            Some(Json::Array(items)) => {
                ranges.extend(items.iter().filter_map(|j| j.as_str().map(str::to_string)))
            }
            _ => ranges.push(v.to_kusto_string()),
        }
    }
    ranges
}

pub fn call(name: &str, a: &[Value]) -> Option<Result<Value>> {
    let b = |o: Option<bool>| o.map_or(Value::Null, Value::Bool);
    let v = match name {
        "parse_ipv4" => {
            parse_cidr(&s(a, 0)).map_or(Value::Null, |(ip, p)| Value::Long(i64::from(ip & mask(p))))
        }
        "parse_ipv4_mask" => match (parse_cidr(&s(a, 0)), long(a, 1)) {
            (Some((ip, _)), Some(p)) if (0..=32).contains(&p) => {
                Value::Long(i64::from(ip & mask(p as u32)))
            }
            _ => Value::Null,
        },
        "ipv4_is_in_range" => b(in_range(&s(a, 0), &s(a, 1))),
        "ipv4_is_in_any_range" => {
            let ranges = range_args(a);
            let ip = s(a, 0);
            if parse_cidr(&ip).is_none() {
                Value::Null
            } else {
                Value::Bool(ranges.iter().any(|r| in_range(&ip, r) == Some(true)))
            }
        }
        "ipv4_is_private" => b(parse_cidr(&s(a, 0)).map(|(ip, _)| {
            ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
                .iter()
                .any(|r| {
                    let (n, p) = parse_cidr(r).unwrap_or((0, 32));
                    ip & mask(p) == n
                })
        })),
        "ipv4_compare" => compare_ips(a).map_or(Value::Null, |o| Value::Long(o as i64)),
        "ipv6_compare" => compare_v6(a).map_or(Value::Null, |o| Value::Long(o as i64)),
        "ipv6_is_match" => b(compare_v6(a).map(|o| o.is_eq())),
        "ipv6_is_in_range" => b(in_range_v6(&s(a, 0), &s(a, 1))),
        "ipv6_is_in_any_range" => {
            let ip = s(a, 0);
            let ranges = range_args(a);
            if parse_v6(&ip).is_none() {
                Value::Null
            } else {
                Value::Bool(ranges.iter().any(|r| in_range_v6(&ip, r) == Some(true)))
            }
        }
        "ipv4_is_match" => b(compare_ips(a).map(|o| o.is_eq())),
        "ipv4_netmask_suffix" => {
            parse_cidr(&s(a, 0)).map_or(Value::Null, |(_, p)| Value::Int(p as i32))
        }
        "has_ipv4" => {
            let want = s(a, 1);
            Value::Bool(ipv4_tokens(&s(a, 0)).any(|tok| tok == want))
        }
        "has_ipv4_prefix" => Value::Bool(has_ipv4_prefix(&s(a, 0), &[s(a, 1)])),
        "has_any_ipv4_prefix" => {
            let mut prefixes = Vec::new();
            for v in a.iter().skip(1) {
                match v.as_json() {
                    Some(Json::Array(items)) => {
                        prefixes.extend(items.iter().filter_map(Json::as_str).map(str::to_string))
                    }
                    _ => prefixes.push(v.to_kusto_string()),
                }
            }
            Value::Bool(has_ipv4_prefix(&s(a, 0), &prefixes))
        }
        "parse_ipv6" => Value::str(parse_ipv6(&s(a, 0)).unwrap_or_default()),
        "format_ipv4" | "format_ipv4_mask" => {
            let v = a.first().cloned().unwrap_or(Value::Null);
            let ip = match &v {
                Value::Long(_) | Value::Int(_) => v.as_i64().and_then(|x| u32::try_from(x).ok()),
                other => parse_cidr(&other.to_kusto_string()).map(|(ip, _)| ip),
            };
            let p = long(a, 1).unwrap_or(32).clamp(0, 32) as u32;
            match ip {
                Some(ip) => {
                    let text = std::net::Ipv4Addr::from(ip & mask(p)).to_string();
                    if name == "format_ipv4_mask" {
                        Value::str(format!("{text}/{p}"))
                    } else {
                        Value::str(text)
                    }
                }
                None => Value::str(""),
            }
        }
        _ => return None,
    };
    Some(Ok(v))
}
