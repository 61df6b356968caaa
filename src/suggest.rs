//! "Did you mean" suggestions shared by every stage.

/// The candidate closest to `word`: a case-insensitive exact match first, else the one with
/// the smallest Damerau-Levenshtein distance, if that distance is small for the word's length.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        if c.to_lowercase() == lower {
            return Some(c);
        }
        let d = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
        if best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    let max = (word.chars().count() / 3).max(1);
    best.filter(|(d, _)| *d <= max).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["dataTypes", "connectorId"];
        assert_eq!(closest("dataType", keys), Some("dataTypes"));
        assert_eq!(closest("DATATYPES", keys), Some("dataTypes"));
        assert_eq!(closest("severity", keys), None);
    }
}
