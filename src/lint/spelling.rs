use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use super::rmm;

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};

declare_code! {
    /// A misspelled word in a rule's `name` or `description`.
    ///
    /// ## What it finds
    /// Words that the maintained misspelling dictionary of the `typos` project (about
    /// 96,000 known misspellings) lists, such as `Montioring` for `Monitoring`,
    /// `Managment` for `Management` or `recieve` for `receive`. Because only known
    /// misspellings are listed, unknown words (product names, jargon) are never guessed
    /// at. Never checked: vendor and product names (AnyDesk, ScreenConnect, NinjaOne,
    /// Zoho, ...), URLs, file paths and file names, identifiers (CamelCase, words with
    /// digits or underscores, short ALLCAPS acronyms), KQL table and column names, text
    /// in backticks or quotes, tool, vendor and signer names of the knowledge file
    /// (`knowledge/rmm.toml`), and words listed in `[vocabulary] words` in `rulecat.toml`.
    /// A word the dictionary lists is reported however many rules repeat it: copy-paste is
    /// how misspellings spread through a catalog, so frequency never excuses one. Each
    /// file gets one finding per misspelled word, whose fix corrects every occurrence in
    /// that file, so `rulecat lint --fix` repairs the whole catalog at once.
    ///
    /// ## Why it matters
    /// The name is what analysts search for and see in the hunting blade and in alerts: a
    /// rule named "Remote Management and Montioring tool" is missed by a search for
    /// "Monitoring", and typos make a catalog look unreviewed.
    ///
    /// ## Example
    /// ```yaml
    /// name: Remote Management and Montioring tool - Action1 - File Signature
    /// ```
    /// Fixed:
    /// ```yaml
    /// name: Remote Management and Monitoring tool - Action1 - File Signature
    /// ```
    ///
    /// ## How to fix
    /// Correct the word; when the dictionary has exactly one correction `rulecat lint
    /// --fix` applies it to every occurrence in the file, keeping each one's case
    /// (`MONTIORING` becomes `MONITORING`). If the word is right for your catalog, add it
    /// to `[vocabulary] words`.
    pub static CODE = {
        code: "R0001",
        name: "spelling",
        level: Warning,
        summary: "a misspelled word in a rule's name or description",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Any,
    check_rule: Some(check),
    check_catalog: None,
};

/// Product, vendor and platform words that are never misspellings.
const BUILTIN_WORDS: &[&str] = &[
    "zoho",
    "action1",
    "anydesk",
    "screenconnect",
    "ninjaone",
    "ninjarmm",
    "rustdesk",
    "splashtop",
    "teamviewer",
    "connectwise",
    "kaseya",
    "datto",
    "atera",
    "pulseway",
    "syncro",
    "supremo",
    "radmin",
    "ammyy",
    "dameware",
    "bomgar",
    "beyondtrust",
    "meshcentral",
    "logmein",
    "goto",
    "netop",
    "ultravnc",
    "tightvnc",
    "realvnc",
    "simplehelp",
    "manageengine",
    "nable",
    "solarwinds",
    "ivanti",
    "famatech",
    "amidaware",
    "servably",
    "purslane",
    "nanosystems",
    "mmsoft",
    "islonline",
    "sentinel",
    "defender",
    "kusto",
    "entra",
    "intune",
    "sharepoint",
    "onedrive",
    "powershell",
    "rundll",
    "mshta",
    "certutil",
    "wmic",
    "nltest",
    "adfind",
    "bcdedit",
    "comsvcs",
    "lsass",
    "dmarc",
    "mitre",
    "kql",
    "rmm",
    "xdr",
    "siem",
    "edr",
    "lolbin",
    "lolbins",
    "lolrmm",
];

/// Where a word was found.
struct Text<'a> {
    field: &'static str,
    /// The value's bytes in the file, and where they start.
    raw: &'a str,
    offset: usize,
}

fn texts<'a>(r: &'a RuleCtx<'_>) -> Vec<Text<'a>> {
    let mut out = Vec::new();
    for field in ["name", "description"] {
        if let Some(e) = r.rule.root.get(field)
            && e.value.as_str().is_some()
            && let Some(raw) = r.text.get(e.value.span.clone())
        {
            // A quoted scalar's span includes its quotes: check what is inside them.
            let quoted = raw.len() >= 2
                && ((raw.starts_with('\'') && raw.ends_with('\''))
                    || (raw.starts_with('"') && raw.ends_with('"')));
            let (raw, offset) = if quoted {
                (&raw[1..raw.len() - 1], e.value.span.start + 1)
            } else {
                (raw, e.value.span.start)
            };
            out.push(Text { field, raw, offset });
        }
    }
    out
}

fn kql_names() -> &'static HashSet<String> {
    static NAMES: OnceLock<HashSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut s = HashSet::new();
        for name in crate::knowledge::tables::builtin_names() {
            s.insert(name.to_lowercase());
        }
        s
    })
}

fn builtin_words() -> &'static HashSet<String> {
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut s: HashSet<String> = BUILTIN_WORDS.iter().map(|w| w.to_string()).collect();
        s.extend(crate::knowledge::builtin().words());
        s
    })
}

/// The dictionary's corrections for a lowercase word.
fn corrections(word: &str) -> Option<Vec<&'static str>> {
    crate::knowledge::misspellings::corrections(word)
}

/// Whether the dictionary lists a lowercase word with at least one correction. A catalog
/// repeats the same words in every rule, so each thread remembers its answers (the
/// dictionary is fixed, so an answer never changes); the memory is bounded.
fn is_misspelling(lower: &str) -> bool {
    type Seen = std::collections::HashMap<Box<str>, bool, foldhash::fast::RandomState>;
    const MAX_REMEMBERED: usize = 1 << 16;
    thread_local! {
        static SEEN: std::cell::RefCell<Seen> = std::cell::RefCell::new(Seen::default());
    }
    SEEN.with(|seen| {
        if let Some(&known) = seen.borrow().get(lower) {
            return known;
        }
        let known = corrections(lower).is_some_and(|f| !f.is_empty());
        let mut seen = seen.borrow_mut();
        if seen.len() < MAX_REMEMBERED {
            seen.insert(lower.into(), known);
        }
        known
    })
}

/// Marks bytes inside backticks or quotes, and whitespace-separated chunks that are
/// URLs, paths, file names, e-mail addresses or assignments.
fn excluded(raw: &str) -> Vec<bool> {
    let b = raw.as_bytes();
    let mut skip = vec![false; b.len()];
    // Chunks.
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let chunk = &raw[start..i];
        let cb = chunk.as_bytes();
        let dotted = (1..cb.len().saturating_sub(1)).any(|k| {
            cb[k] == b'.' && cb[k - 1].is_ascii_alphanumeric() && cb[k + 1].is_ascii_alphanumeric()
        });
        if dotted || chunk.contains(['/', '\\', '@', '=', '<', '>', '|', '$', '%', '{', '}', '[']) {
            skip[start..i].iter_mut().for_each(|s| *s = true);
        }
    }
    // Backticks and quotes, within a line.
    let mut k = 0;
    while k < b.len() {
        let q = b[k];
        let opens = match q {
            b'`' | b'"' => true,
            b'\'' => k == 0 || !b[k - 1].is_ascii_alphanumeric(),
            _ => false,
        };
        if opens {
            let close = (k + 1..b.len()).take_while(|&j| b[j] != b'\n').find(|&j| {
                b[j] == q && (q != b'\'' || j + 1 >= b.len() || !b[j + 1].is_ascii_alphanumeric())
            });
            if let Some(c) = close {
                skip[k..=c].iter_mut().for_each(|s| *s = true);
                k = c + 1;
                continue;
            }
        }
        k += 1;
    }
    skip
}

/// The candidate words of a text: ASCII letter runs that are not identifiers.
fn words(raw: &str) -> Vec<Range<usize>> {
    let b = raw.as_bytes();
    let skip = excluded(raw);
    let mut out = Vec::new();
    let is_tok = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if !is_tok(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_tok(b[i]) {
            i += 1;
        }
        let tok = &raw[start..i];
        if skip[start..i].iter().any(|&s| s) {
            continue;
        }
        // Contractions and words glued to non-ASCII letters are left alone.
        let before = raw[..start].chars().next_back();
        let after = raw[i..].chars().next();
        let glued = |c: Option<char>| c.is_some_and(|c| !c.is_ascii() && c.is_alphabetic());
        let apostrophe = (after == Some('\'')
            && raw[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic()))
            || (before == Some('\'')
                && raw[..start - 1]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphabetic()));
        if glued(before) || glued(after) || apostrophe {
            continue;
        }
        if tok.len() < 3 || tok.bytes().any(|c| c.is_ascii_digit() || c == b'_') {
            continue;
        }
        let upper = tok.bytes().filter(u8::is_ascii_uppercase).count();
        let camel = tok.bytes().skip(1).any(|c| c.is_ascii_uppercase()) && upper != tok.len();
        let acronym = upper == tok.len() && tok.len() <= 5;
        if camel || acronym {
            continue;
        }
        out.push(start..i);
    }
    out
}

/// `correction` in the case pattern of `word`: lower, Capitalized or UPPER.
fn with_case(word: &str, correction: &str) -> Option<String> {
    let mut chars = word.chars();
    let first = chars.next()?;
    let rest: String = chars.collect();
    if word.chars().all(|c| !c.is_uppercase()) {
        Some(correction.to_lowercase())
    } else if word.chars().all(|c| !c.is_lowercase()) {
        Some(correction.to_uppercase())
    } else if first.is_uppercase() && rest.chars().all(|c| !c.is_uppercase()) {
        let mut c = correction.chars();
        let head = c.next()?;
        Some(
            head.to_uppercase()
                .chain(c.flat_map(char::to_lowercase))
                .collect(),
        )
    } else {
        None
    }
}

/// The words the configuration accepts: `[vocabulary] words` and, with a configured
/// knowledge file, its tool names (worked out once per run).
pub(super) fn configured(config: &crate::config::Config) -> HashSet<String> {
    let mut configured: HashSet<String> = config
        .vocabulary
        .words
        .iter()
        .flat_map(|w| {
            let mut v = rmm::terms(w);
            v.push(rmm::norm(w));
            v
        })
        .collect();
    let k = config.knowledge();
    if !std::ptr::eq(k, crate::knowledge::builtin()) {
        configured.extend(k.words());
    }
    configured
}

fn check(r: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(check_rule(r, &r.shared.spelling_words));
}

/// One occurrence of a misspelled word.
struct Hit {
    field: &'static str,
    word: String,
    range: Range<usize>,
}

/// Whether some token of `raw` that [`words`] could yield is a dictionary misspelling: a
/// maximal run of ASCII letters, digits and `_`, at least three long, without digits or
/// `_`. [`words`] only ever drops such tokens, so when this is false no word of the text
/// is reported, and the costlier analysis (exclusions, quotes, case shapes) is skipped.
fn may_have_misspelling(raw: &str, lower: &mut String) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
            continue;
        }
        let start = i;
        let mut plain = true;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            plain &= b[i].is_ascii_alphabetic();
            i += 1;
        }
        if plain && i - start >= 3 {
            lower.clear();
            lower.push_str(&raw[start..i]);
            lower.make_ascii_lowercase();
            if is_misspelling(lower) {
                return true;
            }
        }
    }
    false
}

fn check_rule(r: &RuleCtx<'_>, configured: &HashSet<String>) -> Vec<Diagnostic> {
    let mut lower = String::new();
    let texts = texts(r);
    if !texts
        .iter()
        .any(|t| may_have_misspelling(t.raw, &mut lower))
    {
        return Vec::new();
    }
    // Lowercase word -> its occurrences in this file, in file order.
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for t in texts {
        for range in words(t.raw) {
            let word = &t.raw[range.clone()];
            lower.clear();
            lower.push_str(word);
            lower.make_ascii_lowercase();
            // The dictionary first: most words are not in it, and the exception sets
            // (built on first use) are then never needed.
            if !is_misspelling(&lower)
                || configured.contains(&lower)
                || builtin_words().contains(&lower)
                || kql_names().contains(&lower)
            {
                continue;
            }
            hits.entry(lower.clone()).or_default().push(Hit {
                field: t.field,
                word: word.to_string(),
                range: t.offset + range.start..t.offset + range.end,
            });
        }
    }
    let mut out = Vec::new();
    for (lower, occ) in hits {
        let Some(fixes) = corrections(&lower) else {
            continue;
        };
        let first = &occ[0];
        let word = first.word.as_str();
        let suggestions: Vec<String> = fixes
            .iter()
            .map(|f| with_case(word, f).unwrap_or_else(|| f.to_string()))
            .collect();
        let shown = suggestions
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        let mut d = Diagnostic::new(
            &CODE,
            format!("`{word}` is misspelled in the {}: did you mean {shown}?", first.field),
        )
        .at(
            r.rule.file,
            first.range.clone(),
            format!("misspelled word in the {}", first.field),
        )
        .help(
            "correct the spelling; if the word is right for this catalog, add it to `[vocabulary] words` in rulecat.toml",
        );
        if occ.len() > 1 {
            d = d.note(format!(
                "`{lower}` occurs {} times in this file; the fix corrects each",
                occ.len()
            ));
        }
        if fixes.len() == 1 {
            let edits: Option<Vec<Edit>> = occ
                .iter()
                .map(|h| {
                    with_case(&h.word, fixes[0]).map(|fixed| Edit {
                        span: h.range.clone(),
                        replacement: fixed,
                    })
                })
                .collect();
            if let Some(edits) = edits
                && let Some(fixed) = with_case(word, fixes[0])
            {
                d = d.with_fix(format!("replace `{word}` with `{fixed}`"), edits);
            }
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_knows_the_upstream_typo() {
        assert_eq!(corrections("montioring"), Some(vec!["monitoring"]));
        assert_eq!(corrections("monitoring"), None);
    }

    #[test]
    fn case_is_preserved() {
        assert_eq!(
            with_case("Montioring", "monitoring").as_deref(),
            Some("Monitoring")
        );
        assert_eq!(
            with_case("MONTIORING", "monitoring").as_deref(),
            Some("MONITORING")
        );
        assert_eq!(
            with_case("montioring", "monitoring").as_deref(),
            Some("monitoring")
        );
        assert_eq!(with_case("MonTioring", "monitoring"), None);
    }

    #[test]
    fn identifiers_urls_and_quotes_are_skipped() {
        let text = "See https://github.com/x/Montioring and `Montioring`, 'Montioring', \"Montioring\" ScreenConnect Time_start v2 RMM MONTIORING recieve don't";
        let got: Vec<&str> = words(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(got, vec!["See", "and", "MONTIORING", "recieve"]);
    }
}
