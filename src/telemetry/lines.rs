//! [`lines`]: `str::lines` with the line ends found by `memchr` (vectorised) instead of the
//! standard library's byte-at-a-time search; the engine's JSON-lines reader splits whole
//! blocks of telemetry with it.

/// The lines of `text` exactly as [`str::lines`] yields them: split at `\n`, a `\r` right
/// before the `\n` removed, no empty last line after a final line end.
pub fn lines(text: &str) -> Lines<'_> {
    Lines { text, pos: 0 }
}

/// Iterator returned by [`lines`].
pub struct Lines<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.text.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => {
                self.pos += i + 1;
                // `\n` and `\r` are ASCII, so both cuts fall on character boundaries.
                let line = &rest[..i];
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            None => {
                self.pos = self.text.len();
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lines;
    use proptest::prelude::*;

    fn same(text: &str) {
        let ours: Vec<&str> = lines(text).collect();
        let std: Vec<&str> = text.lines().collect();
        assert_eq!(ours, std, "{text:?}");
    }

    #[test]
    fn edge_cases_split_as_str_lines() {
        for t in [
            "",
            "\n",
            "\n\n",
            "a",
            "a\n",
            "a\r\n",
            "a\r",
            "\r",
            "\r\n",
            "\r\r\n",
            "a\nb",
            "a\r\nb\r\n",
            "a\n\r",
            "\n\ra\r\n\r",
            "é\r\nß\n\r\r",
            "x\n\n\ny",
        ] {
            same(t);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        #[test]
        fn random_texts_split_as_str_lines(t in "[a\r\né{}\" ]{0,40}") {
            same(&t);
        }
    }
}
