//! The misspelling dictionary of the `spelling` lint (R0001): `knowledge/misspellings.tsv`,
//! derived from the dictionary of the `typos` spell checker by `examples/gen-misspellings.rs`
//! (the file's header records the version).
//!
//! The file is embedded as text and searched in place: its lines are sorted by the
//! misspelling's bytes, so a lookup is a binary search over byte offsets (each probe backs
//! up to the start of its line). Nothing is parsed or relocated at start-up, and the build
//! compiles one string literal instead of a 96,000-entry table.

/// The embedded dictionary (generated; see the module documentation).
pub const TEXT: &str = include_str!("../../knowledge/misspellings.tsv");

/// The dictionary's lines, without the `#` header (found once: the header is skipped
/// on first use, not on every lookup).
fn entries() -> &'static str {
    static ENTRIES: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    ENTRIES.get_or_init(|| {
        let mut rest = TEXT;
        while rest.starts_with('#') {
            rest = match rest.find('\n') {
                Some(i) => &rest[i + 1..],
                None => "",
            };
        }
        rest
    })
}

/// The corrections of a lowercase misspelling, in the dictionary's order, or `None` when
/// the word is not a known misspelling. Case-sensitive: callers lowercase first.
pub fn corrections(word: &str) -> Option<Vec<&'static str>> {
    let data = entries();
    let b = data.as_bytes();
    let (mut lo, mut hi) = (0, b.len());
    // `lo` is always the start of a line; `hi` the start of a line or the end.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = memchr::memrchr(b'\n', &b[lo..mid]).map_or(lo, |i| lo + i + 1);
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
        let line = &data[start..end];
        let (key, values) = line.split_once('\t').unwrap_or((line, ""));
        match key.as_bytes().cmp(word.as_bytes()) {
            std::cmp::Ordering::Equal => {
                return Some(values.split(',').filter(|v| !v.is_empty()).collect());
            }
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_last_and_middle_entries() {
        let lines: Vec<&str> = entries().lines().collect();
        assert!(lines.len() > 90_000, "{} entries", lines.len());
        for line in [lines[0], lines[lines.len() / 2], lines[lines.len() - 1]] {
            let (key, values) = line.split_once('\t').unwrap();
            assert_eq!(corrections(key), Some(values.split(',').collect()));
        }
    }

    #[test]
    fn entries_are_sorted_unique_and_well_formed() {
        let mut prev: Option<&str> = None;
        for line in entries().lines() {
            let (key, values) = line.split_once('\t').expect("a tab");
            assert!(!key.is_empty() && !values.is_empty(), "{line:?}");
            assert!(values.split(',').all(|v| !v.is_empty()), "{line:?}");
            assert_eq!(key.to_lowercase(), key, "{line:?}");
            if let Some(p) = prev {
                assert!(p.as_bytes() < key.as_bytes(), "{p:?} before {key:?}");
            }
            prev = Some(key);
        }
        assert!(TEXT.ends_with('\n'));
    }

    #[test]
    fn known_words_and_non_words() {
        assert_eq!(corrections("montioring"), Some(vec!["monitoring"]));
        assert_eq!(corrections("recieve"), Some(vec!["receive"]));
        for w in [
            "monitoring",
            "",
            "a",
            "zzzzzzzz",
            "montiorin",
            "montioringx",
            "Montioring",
        ] {
            assert_eq!(corrections(w), None, "{w}");
        }
    }
}
