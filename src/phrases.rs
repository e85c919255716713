//! Phrase tables: small lists of phrases with a value each (routes, frequencies, status words,
//! severities, "no known allergies"), matched on word boundaries of a page's key so that
//! punctuation and case variants ("b.i.d.", "BID", "Bid") all match one row.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::normalize::fold::term_key;
use crate::normalize::{KeyText, is_sep};
use crate::tables::{Row, Table, TableError};

/// A phrase found in a page.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a, T> {
    /// Span in the page text (bytes).
    pub start: usize,
    /// End in the page text (bytes).
    pub end: usize,
    /// Span in the key.
    pub key_start: usize,
    /// End in the key.
    pub key_end: usize,
    /// The row's value.
    pub value: &'a T,
}

/// Phrases with values.
pub struct PhraseTable<T> {
    automaton: AhoCorasick,
    rows: Vec<(String, bool, T)>,
}

impl<T> PhraseTable<T> {
    /// Builds a table from (phrase, case-sensitive, value) rows.
    pub fn new(rows: Vec<(String, bool, T)>) -> PhraseTable<T> {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(rows.iter().map(|r| term_key(&r.0)))
            .expect("phrase table builds");
        PhraseTable { automaton, rows }
    }

    /// Builds a table from a shipped table: the first column is the phrase, a `flags` column
    /// may hold `cs` (match only in the letter case written), and `value` reads the rest of
    /// each row. A row it cannot read is an error naming the file and line.
    pub fn from_table(
        table: &Table<'_>,
        value: impl Fn(&Row<'_>) -> Result<T, String>,
    ) -> Result<PhraseTable<T>, TableError> {
        let has_flags = table.has_column("flags");
        let rows = table.map(|r| {
            let phrase = r.first()?;
            if term_key(phrase).is_empty() {
                return Err(format!("the phrase {phrase:?} has no letters or digits"));
            }
            let mut cs = false;
            if has_flags {
                for flag in r.opt("flags")?.unwrap_or("").split(';').map(str::trim) {
                    match flag {
                        "" => {}
                        "cs" => cs = true,
                        other => return Err(format!("unknown flag {other:?} (expected cs)")),
                    }
                }
            }
            Ok((phrase.to_string(), cs, value(r)?))
        })?;
        Ok(PhraseTable::new(rows))
    }

    /// Every phrase in key bytes `range` of the page, leftmost-longest, on word boundaries.
    pub fn find<'a>(
        &'a self,
        text: &str,
        key: &KeyText,
        range: std::ops::Range<usize>,
    ) -> Vec<Hit<'a, T>> {
        let k = key.key.as_bytes();
        let end = range.end.min(k.len());
        let mut out = Vec::new();
        let mut pos = range.start.min(end);
        while pos < end {
            let input = aho_corasick::Input::new(k).span(pos..end);
            let Some(m) = self.automaton.find(input) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            let at_word = (s == 0 || is_sep(k[s - 1])) && (e == k.len() || is_sep(k[e]));
            if !at_word {
                pos = s + 1;
                continue;
            }
            let row = &self.rows[m.pattern().as_usize()];
            let (ts, te) = key.source_span(s, e);
            let written = &text[ts..te];
            if row.1
                && !written
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .eq(row.0.chars().filter(|c| c.is_alphanumeric()))
            {
                pos = s + 1;
                continue;
            }
            out.push(Hit {
                start: ts,
                end: te,
                key_start: s,
                key_end: e,
                value: &row.2,
            });
            pos = e;
        }
        out
    }

    /// The value of the phrase written `phrase` (same words, any case and punctuation; as
    /// written for a case-sensitive row).
    pub fn get(&self, phrase: &str) -> Option<&T> {
        let key = term_key(phrase);
        self.rows
            .iter()
            .find(|(p, cs, _)| if *cs { p == phrase } else { term_key(p) == key })
            .map(|r| &r.2)
    }

    /// The phrase of a row.
    pub fn phrase(&self, index: usize) -> &str {
        &self.rows[index].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_and_case_sensitive_rows() {
        let t = PhraseTable::new(vec![
            ("bid".to_string(), false, 2),
            ("b.i.d.".to_string(), false, 2),
            ("PO".to_string(), true, 1),
            ("twice a day".to_string(), false, 2),
        ]);
        let text = "Take 1 tab po B.I.D. and PO twice a day";
        let key = KeyText::new(text);
        let hits = t.find(text, &key, 0..key.key.len());
        let got: Vec<(&str, i32)> = hits
            .iter()
            .map(|h| (&text[h.start..h.end], *h.value))
            .collect();
        assert_eq!(got, vec![("B.I.D", 2), ("PO", 1), ("twice a day", 2)]);
    }
}
