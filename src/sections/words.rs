//! The words of a line: is it a header, a salutation, the end of a sentence (plain functions
//! over one line of text, used by the section finder).

/// Drops leading and trailing words of at most two characters that are not letters of a
/// header ("_", "oo", "7", "'") from an OCR'd line; also says how many of the line's
/// non-space characters were dropped before what is kept.
pub(super) fn strip_ocr_marks(line: &str) -> (String, usize) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let junk = |w: &&str| w.chars().count() <= 2 || w.chars().all(|c| !c.is_alphanumeric());
    let start = words.iter().position(|w| !junk(w)).unwrap_or(words.len());
    let end = words
        .iter()
        .rposition(|w| !junk(w))
        .map_or(start, |e| e + 1);
    let joined = words[start..end.max(start)].join(" ");
    let kept = joined.trim_matches(|c: char| !c.is_alphanumeric());
    let dropped_words: usize = words[..start].iter().map(|w| w.chars().count()).sum();
    let dropped_marks = joined[..joined.len()
        - joined
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .len()]
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    (kept.to_string(), dropped_words + dropped_marks)
}

/// Where `offset` in `cleaned` (made by [`strip_ocr_marks`] from `line`, `skipped` non-space
/// characters dropped before it) falls in `line`: just after the same non-space character
/// (marks after a header stay after it). Always a character boundary of `line`.
pub(super) fn offset_in_line(line: &str, cleaned: &str, skipped: usize, offset: usize) -> usize {
    let wanted = skipped
        + cleaned
            .get(..offset)
            .unwrap_or(cleaned)
            .chars()
            .filter(|c| !c.is_whitespace())
            .count();
    if wanted == 0 {
        return 0;
    }
    line.char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .nth(wanted - 1)
        .map_or(line.len(), |(i, c)| i + c.len_utf8())
}

/// True when a line ends a sentence (a stop, not an abbreviation's: "Dr.", "q.d.").
pub(super) fn ends_sentence(line: &str) -> bool {
    let l = line.trim_end();
    let last_word = l.rsplit(char::is_whitespace).next().unwrap_or("");
    l.ends_with(['!', '?'])
        || (l.ends_with('.')
            && !last_word[..last_word.len().saturating_sub(1)].contains('.')
            && last_word.chars().filter(|c| c.is_alphabetic()).count() != 2)
}

/// A letter's salutation alone on its line: "Dear Dr. Menon,", "To whom it may concern:".
pub(super) fn is_salutation(line: &str) -> bool {
    let l = line.trim();
    let words = l.split_whitespace().count();
    (2..=6).contains(&words)
        && l.ends_with([',', ':'])
        && (l.starts_with("Dear ") || l.to_ascii_lowercase().starts_with("to whom it may concern"))
}

/// `s` without what stands in parentheses or brackets.
pub(super) fn without_parentheses(s: &str) -> String {
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
}

/// Written in capitals ("ACTIVE MEDICATION ORDERS") or as a title ("Current Medications"):
/// every word of letters starts with a capital.
pub(super) fn is_upper_or_title(s: &str) -> bool {
    s.split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_alphabetic))
        .all(|w| w.chars().next().is_some_and(char::is_uppercase))
}

/// Headers are short and written as a title: "ALLERGIES", "Problem List", "Past medical history".
pub(super) fn looks_like_header(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.is_empty() || words.len() > 8 {
        return false;
    }
    s.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || !c.is_alphabetic())
}
