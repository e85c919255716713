//! Normalize: a page's text → a matching key with a map back to the page's characters.
//!
//! The key is what dictionaries and trigger rules are matched against: folded words (see
//! [`fold`]) separated by `' '` (a soft break that a multi-word term may span: a space, a line
//! wrap inside a table cell, a hyphen) or `'\n'` (a hard break no term spans: a table column
//! gap, a blank line, the end of a sentence, `;`, `:` or `|`). Every key byte remembers the
//! original characters it came from, so evidence spans always point at the page's real text.

pub mod fold;
pub mod furniture;
pub mod ocr;

use fold::Folded;

/// A page's matching key and the map back to the page text.
#[derive(Debug, Clone, Default)]
pub struct KeyText {
    /// Folded words and separators.
    pub key: String,
    src_start: Vec<u32>,
    src_end: Vec<u32>,
}

#[derive(Clone, Copy, PartialEq)]
enum Pending {
    None,
    Soft(u32, u32),
    Hard(u32, u32),
}

impl KeyText {
    /// Builds the key of a page's text.
    pub fn new(text: &str) -> KeyText {
        let mut out = KeyText {
            key: String::with_capacity(text.len()),
            src_start: Vec::with_capacity(text.len()),
            src_end: Vec::with_capacity(text.len()),
        };
        let bytes = text.as_bytes();
        let mut pending = Pending::None;
        let mut iter = text.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            let end = i + c.len_utf8();
            // Most of a page: an ASCII letter or digit is itself, lowercased.
            if c.is_ascii_alphanumeric() {
                out.flush(pending);
                pending = Pending::None;
                out.push_byte(c.to_ascii_lowercase() as u8, i as u32, end as u32);
                continue;
            }
            // An apostrophe between a word and a number is a misread space ("Wellbutrin'100",
            // "Alfa'4000"), not a letter of the word.
            let folded = match fold::fold_char(c) {
                Folded::Drop
                    if fold::is_apostrophe(c)
                        && glues_word_and_number(
                            text[..i].chars().next_back(),
                            iter.peek().map(|&(_, n)| n),
                        ) =>
                {
                    Folded::Sep
                }
                f => f,
            };
            match folded {
                Folded::Word(chars) => {
                    out.flush(pending);
                    pending = Pending::None;
                    for ch in chars {
                        out.key.push(ch);
                        for _ in 0..ch.len_utf8() {
                            out.src_start.push(i as u32);
                            out.src_end.push(end as u32);
                        }
                    }
                }
                Folded::Drop => {}
                Folded::Sep => {
                    let next = iter.peek().map(|&(_, n)| n);
                    let hard = match c {
                        '\t' | '\x0c' | ';' | '|' | ':' | '\u{2022}' => true,
                        '?' => next.is_none_or(char::is_whitespace),
                        // A stop before a lower-case word or a number does not end a sentence
                        // a term could not span ("Viral. sinusitis", "type. 2", OCR's "heart!
                        // coronary"); statements are the context stage's business.
                        '.' | '!' => {
                            next.is_none_or(char::is_whitespace)
                                && !(c == '.' && is_abbreviation_dot(bytes, i))
                                && !text[end..]
                                    .trim_start()
                                    .starts_with(|n: char| n.is_lowercase() || n.is_ascii_digit())
                        }
                        '\n' => {
                            // A blank line (only spaces up to the next newline) is a hard break.
                            let rest = &text[end..];
                            let line_end = rest.find('\n');
                            line_end.is_some_and(|p| rest[..p].trim().is_empty())
                        }
                        _ => false,
                    };
                    pending = match (pending, hard) {
                        (Pending::Hard(s, e), _) => Pending::Hard(s, e),
                        (_, true) => Pending::Hard(i as u32, end as u32),
                        (Pending::Soft(s, e), false) => Pending::Soft(s, e),
                        (Pending::None, false) => Pending::Soft(i as u32, end as u32),
                    };
                }
            }
        }
        out
    }

    fn flush(&mut self, pending: Pending) {
        if self.key.is_empty() {
            return;
        }
        let (c, s, e) = match pending {
            Pending::None => return,
            Pending::Soft(s, e) => (' ', s, e),
            Pending::Hard(s, e) => ('\n', s, e),
        };
        self.key.push(c);
        self.src_start.push(s);
        self.src_end.push(e);
    }

    /// Appends one ASCII key byte that stands for page text `src_start..src_end`.
    fn push_byte(&mut self, b: u8, src_start: u32, src_end: u32) {
        debug_assert!(b.is_ascii());
        self.key.push(b as char);
        self.src_start.push(src_start);
        self.src_end.push(src_end);
    }

    /// Appends key bytes `start..end` of another key, with their map.
    fn push_span(&mut self, from: &KeyText, start: usize, end: usize) {
        self.key.push_str(&from.key[start..end]);
        self.src_start
            .extend_from_slice(&from.src_start[start..end]);
        self.src_end.extend_from_slice(&from.src_end[start..end]);
    }

    /// The page-text byte span of key bytes `start..end`.
    pub fn source_span(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.key.len());
        (
            self.src_start[start] as usize,
            self.src_end[end - 1] as usize,
        )
    }

    /// The key byte at which the page-text offset `offset` starts (or the next one after it).
    pub fn key_offset(&self, offset: usize) -> usize {
        self.src_start.partition_point(|&s| (s as usize) < offset)
    }

    /// The page-text offset where the character behind key byte `i` ends.
    pub fn source_end(&self, i: usize) -> usize {
        self.src_end[i] as usize
    }

    /// The page-text offset where the character behind key byte `i` starts.
    pub fn source_start(&self, i: usize) -> usize {
        self.src_start[i] as usize
    }

    /// Key offsets where a word starts.
    pub fn word_starts(&self) -> impl Iterator<Item = usize> + '_ {
        let k = self.key.as_bytes();
        (0..k.len())
            .filter(move |&i| !is_sep(k[i]) && (i == 0 || is_sep(k[i - 1])) && is_char_start(k[i]))
    }
}

/// A letter on one side and a digit on the other.
fn glues_word_and_number(before: Option<char>, after: Option<char>) -> bool {
    match (before, after) {
        (Some(a), Some(b)) => {
            (a.is_alphabetic() && b.is_ascii_digit()) || (a.is_ascii_digit() && b.is_alphabetic())
        }
        _ => false,
    }
}

/// A key separator byte.
pub fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'\n'
}

fn is_char_start(b: u8) -> bool {
    (b as i8) >= -0x40
}

/// "Dr." "St." "e.g." "vs." "Pt." "Hx." and single capital initials ("Penicillin G.") do not
/// end a sentence. Shared by the key's hard breaks and the context stage's statements.
pub(crate) fn is_abbreviation_dot(bytes: &[u8], dot: usize) -> bool {
    let word_start = bytes[..dot]
        .iter()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |p| p + 1);
    let word = &bytes[word_start..dot];
    word.len() == 1 && word[0].is_ascii_uppercase()
        || matches!(
            word.to_ascii_lowercase().as_slice(),
            b"dr"
                | b"mr"
                | b"mrs"
                | b"ms"
                | b"st"
                | b"vs"
                | b"eg"
                | b"ie"
                | b"approx"
                | b"inc"
                | b"pt"
                | b"hx"
                | b"dx"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        KeyText::new(s).key
    }

    #[test]
    fn folds_case_diacritics_ligatures_and_apostrophes() {
        assert_eq!(key("Sézary ﬁbrosis"), "sezary fibrosis");
        assert_eq!(key("Crohn's disease"), "crohns disease");
        assert_eq!(key("Crohn\u{2019}s"), "crohns");
        // Between a word and a number an apostrophe is a misread space.
        assert_eq!(key("Wellbutrin'100 MG"), "wellbutrin 100 mg");
        assert_eq!(key("Alfa'4000"), "alfa 4000");
    }

    #[test]
    fn punctuation_and_wraps_are_soft() {
        assert_eq!(
            key("Shortness of\nbreath/difficulty"),
            "shortness of breath difficulty"
        );
        assert_eq!(key("a-fib  (chronic)"), "a fib chronic");
        assert_eq!(key("Diabetes mellitus, type 2"), "diabetes mellitus type 2");
    }

    #[test]
    fn cells_sentences_and_blank_lines_are_hard() {
        assert_eq!(key("Aspirin\tHives"), "aspirin\nhives");
        assert_eq!(key("No fever. Cough"), "no fever\ncough");
        // A stop before a lower-case word or a number is no sentence end a term stops at.
        assert_eq!(key("Viral. sinusitis"), "viral sinusitis");
        assert_eq!(key("heart! coronary"), "heart coronary");
        assert_eq!(key("type. 2"), "type 2");
        assert_eq!(key("Allergies: PCN; sulfa"), "allergies\npcn\nsulfa");
        assert_eq!(key("one\n\ntwo"), "one\ntwo");
        assert_eq!(key("0.5 mg"), "0 5 mg");
        assert_eq!(key("Dr. Smith"), "dr smith");
    }

    #[test]
    fn spans_map_back_to_the_original_characters() {
        let text = "Pt: Sézary  syndrome\n";
        let k = KeyText::new(text);
        let start = k.key.find("sezary").unwrap();
        let end = start + "sezary syndrome".len();
        let (s, e) = k.source_span(start, end);
        assert_eq!(&text[s..e], "Sézary  syndrome");
    }

    #[test]
    fn word_starts_skip_separators() {
        let k = KeyText::new("Hx: a-fib");
        let starts: Vec<usize> = k.word_starts().collect();
        assert_eq!(starts, vec![0, 3, 5]);
    }
}
