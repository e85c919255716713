//! The term key: how the runtime reduces a term (and the text it should match) before looking it
//! up. The build groups rows by this key, so it must stay equal to the matcher's folding:
//! diacritics and ligatures fold ("Sézary" → "sezary", "ﬁ" → "fi"), apostrophes vanish
//! ("Crohn's" → "crohns"), every other mark separates words ("a-fib" → "a fib"), letters are
//! lowercased, words are joined by single spaces.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// True for characters that vanish inside a word.
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`' | '\u{00b4}'
    )
}

/// What one character becomes: word characters, nothing, or a separator (`None`).
fn fold_char(c: char, out: &mut String) -> Option<()> {
    if c.is_ascii() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            return Some(());
        }
        return if is_apostrophe(c) { Some(()) } else { None };
    }
    if is_apostrophe(c)
        || matches!(
            c,
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{ad}'
        )
    {
        return Some(());
    }
    let special = match c {
        'ß' => Some("ss"),
        'æ' | 'Æ' => Some("ae"),
        'œ' | 'Œ' => Some("oe"),
        'ø' | 'Ø' => Some("o"),
        'ł' | 'Ł' => Some("l"),
        'đ' | 'Đ' => Some("d"),
        _ => None,
    };
    if let Some(s) = special {
        out.push_str(s);
        return Some(());
    }
    if is_combining_mark(c) {
        return Some(());
    }
    let before = out.len();
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
    if out.len() > before {
        Some(())
    } else if any_sep || c.is_whitespace() || !c.is_alphanumeric() {
        None
    } else {
        Some(())
    }
}

/// The key of a term: folded words joined by single spaces ("Crohn's disease" → "crohns disease").
pub fn term_key(term: &str) -> String {
    let mut key = String::with_capacity(term.len());
    let mut word = String::new();
    let mut pending_sep = false;
    for c in term.chars() {
        word.clear();
        match fold_char(c, &mut word) {
            Some(()) if word.is_empty() => {}
            Some(()) => {
                if pending_sep && !key.is_empty() {
                    key.push(' ');
                }
                pending_sep = false;
                key.push_str(&word);
            }
            None => pending_sep = true,
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::term_key;

    #[test]
    fn folds_like_the_matcher() {
        for (term, key) in [
            ("Crohn's disease", "crohns disease"),
            ("Sézary syndrome", "sezary syndrome"),
            ("a-fib", "a fib"),
            (
                "Essential (primary) hypertension",
                "essential primary hypertension",
            ),
            ("ﬁbrosis", "fibrosis"),
            (
                "  Shortness of breath/difficulty  breathing ",
                "shortness of breath difficulty breathing",
            ),
            ("Sjögren", "sjogren"),
            ("Cow’s milk", "cows milk"),
            ("0.5 MG/ML", "0 5 mg ml"),
        ] {
            assert_eq!(term_key(term), key, "{term}");
        }
    }
}
