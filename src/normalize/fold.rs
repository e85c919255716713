//! Character folding shared by the dictionary build (`build.rs`) and the matcher, so that a
//! term and the text it should match are reduced to the same key.
//!
//! A key is lowercase ASCII letters and digits (plus any letters without an ASCII form, kept
//! lowercased), words separated by single spaces. Diacritics and ligatures fold ("Sézary" →
//! "sezary", "ﬁ" → "fi"), apostrophes vanish ("Crohn's" → "crohns"), every other mark is a
//! word separator ("a-fib" → "a fib", "breath/difficulty" → "breath difficulty").

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// What one source character becomes in a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folded {
    /// Word characters (one or more, e.g. a ligature gives two).
    Word(Vec<char>),
    /// Nothing at all (apostrophes, combining marks, zero-width characters).
    Drop,
    /// A word separator.
    Sep,
}

/// True for characters that vanish inside a word.
pub fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' | '\u{00b4}'
    )
}

/// Folds one character.
pub fn fold_char(c: char) -> Folded {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            Folded::Word(vec![c.to_ascii_lowercase()])
        } else if is_apostrophe(c) {
            Folded::Drop
        } else {
            Folded::Sep
        };
    }
    if is_apostrophe(c)
        || matches!(
            c,
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{ad}'
        )
    {
        return Folded::Drop;
    }
    match c {
        'ß' => return Folded::Word(vec!['s', 's']),
        'æ' | 'Æ' => return Folded::Word(vec!['a', 'e']),
        'œ' | 'Œ' => return Folded::Word(vec!['o', 'e']),
        'ø' | 'Ø' => return Folded::Word(vec!['o']),
        'ł' | 'Ł' => return Folded::Word(vec!['l']),
        'đ' | 'Đ' => return Folded::Word(vec!['d']),
        _ => {}
    }
    if is_combining_mark(c) {
        return Folded::Drop;
    }
    let mut out = Vec::new();
    let mut any_sep = false;
    for d in std::iter::once(c).nfkd() {
        if is_combining_mark(d) {
            continue;
        }
        if d.is_ascii_alphanumeric() {
            out.push(d.to_ascii_lowercase());
        } else if d.is_alphanumeric() {
            out.extend(d.to_lowercase());
        } else if !is_apostrophe(d) {
            any_sep = true;
        }
    }
    if out.is_empty() {
        if any_sep || c.is_whitespace() || !c.is_alphanumeric() {
            Folded::Sep
        } else {
            Folded::Drop
        }
    } else {
        Folded::Word(out)
    }
}

/// The key of a dictionary term: folded words joined by single spaces.
pub fn term_key(term: &str) -> String {
    let mut key = String::with_capacity(term.len());
    let mut pending_sep = false;
    for c in term.chars() {
        // Most of a term: an ASCII letter or digit is itself, lowercased.
        if c.is_ascii_alphanumeric() {
            if pending_sep && !key.is_empty() {
                key.push(' ');
            }
            pending_sep = false;
            key.push(c.to_ascii_lowercase());
            continue;
        }
        match fold_char(c) {
            Folded::Word(chars) => {
                if pending_sep && !key.is_empty() {
                    key.push(' ');
                }
                pending_sep = false;
                key.extend(chars);
            }
            Folded::Drop => {}
            Folded::Sep => pending_sep = true,
        }
    }
    key
}
