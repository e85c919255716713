//! Wrapped cells: OCR reads a table row line by line, so a cell that wraps continues on the
//! next line, after the text of the row's other columns ("Abnormal findings diagnostic imaging
//! heart+coronary SNOMED CT\n, | circulat (finding)"). Text layers keep cells whole (see
//! `ingest::pdf`); on OCR'd pages this stage reads a finding's name across the break, or drops
//! the rest of a cell that would otherwise pass for a finding of its own.

use crate::dates;
use crate::dictionary::{Dictionary, Entry, approx};
use crate::mention::{Mention, Role};
use crate::normalize::KeyText;

use super::roles::{self, SectionPolicy};
use super::terms::approximate_confidence;

/// The mention that starts the line after mention `i`'s, when that line only carries on
/// `i`'s cell: `i` ends its line's findings, and the next line starts with nothing but numbers
/// and marks (a wrapped date column's years) and then a lower-case word, the first word of a
/// finding of the same kind. A new row starts with its own date or a capital.
fn wrapped_piece(text: &str, mentions: &[Mention], i: usize) -> Option<usize> {
    let a = &mentions[i];
    let line_end = a.end + text[a.end..].find('\n')?;
    let j = i + 1;
    let b = mentions.get(j)?;
    if b.start <= line_end || b.role != a.role || text[line_end + 1..b.start].contains('\n') {
        return None;
    }
    let lead = &text[line_end + 1..b.start];
    let first_year = lead.split_whitespace().next().unwrap_or("");
    let continues = !lead.chars().any(char::is_alphabetic)
        && !lead.contains('/')
        && first_year.len() == 4
        && first_year.chars().all(|c| c.is_ascii_digit())
        && text[b.start..].starts_with(char::is_lowercase);
    continues.then_some(j)
}

/// Words at the end of a line that may be another column's text ("SNOMED CT", a code).
const OTHER_COLUMN_WORDS: usize = 3;

/// OCR reads a table row line by line: a cell that wraps continues on the next line, after
/// the row's other columns ("Abnormal findings diagnostic imaging heart+coronary SNOMED
/// CT\n, | circulat (finding)"). A finding that ends its line with no other finding after
/// it is tried joined with the start of the next line (its leading marks and dates
/// skipped, up to three trailing words of its own line taken as other columns); when a
/// longer term reads across, the finding becomes that term.
pub(crate) fn join(
    dictionary: &Dictionary,
    policy: &SectionPolicy<'_>,
    text: &str,
    mentions: &mut Vec<Mention>,
) {
    let mut i = 0;
    while i < mentions.len() {
        if let Some((end, entries, cost)) = wrapped_term(dictionary, policy, text, mentions, i) {
            let a = &mut mentions[i];
            a.reading = entries.first().map(|e| e.term.clone());
            a.entries = entries;
            a.extend_to(text, end);
            a.confidence = a.confidence.min(approximate_confidence(cost.max(3)));
            let (start, end) = (a.start, a.end);
            let mut j = i + 1;
            while j < mentions.len() {
                if mentions[j].start >= start && mentions[j].start < end {
                    mentions.remove(j);
                } else {
                    j += 1;
                }
            }
        } else if let Some(j) = wrapped_piece(text, mentions, i) {
            // No term reads across, but the next line only carries on this cell ("...
            // retinopathy due to type 2 SNOMED CT\n2019 diabetes mellitus (disorder)"):
            // the words there are the rest of this finding's name, not a finding of their
            // own.
            mentions.remove(j);
        }
        i += 1;
    }
}

/// The term read across a wrapped cell from mention `i`, if any: (end in the page text,
/// its rows for the mention's role, cost).
fn wrapped_term(
    dictionary: &Dictionary,
    policy: &SectionPolicy<'_>,
    text: &str,
    mentions: &[Mention],
    i: usize,
) -> Option<(usize, Vec<Entry>, u16)> {
    let a = &mentions[i];
    if !matches!(a.role, Role::Condition | Role::Medication) {
        return None;
    }
    let line_end = a.end + text[a.end..].find('\n')?;
    if mentions
        .iter()
        .any(|m| m.start >= a.end && m.start < line_end)
    {
        return None;
    }
    // The next line that has words (one blank line between is allowed), past its leading
    // marks, dates and other short tokens.
    let mut next = line_end + 1;
    if text[next..]
        .trim_start_matches([' ', '\t'])
        .starts_with('\n')
    {
        next += text[next..].find('\n')? + 1;
    }
    let next_end = text[next..].find('\n').map_or(text.len(), |p| next + p);
    let mut cont = next;
    for word in text[next..next_end].split_inclusive(char::is_whitespace) {
        if word.chars().filter(|c| c.is_alphabetic()).count() > 2 {
            break;
        }
        // A line that starts with its own date is a new row, not the rest of this one.
        if dates::DATE.is_match(word) {
            return None;
        }
        cont += word.len();
    }
    if cont >= next_end || !text[cont..].starts_with(char::is_alphabetic) {
        return None;
    }
    let continuation = &text[cont..next_end];
    let words: Vec<(usize, &str)> = text[a.end..line_end]
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let finds = a
        .section
        .as_ref()
        .and_then(|(_, kind)| policy.kind(kind))
        .and_then(|k| k.finds);
    for dropped in 0..=OTHER_COLUMN_WORDS.min(words.len()) {
        let head_end = match words.len() - dropped {
            0 => a.end,
            n => words[n - 1].0 + words[n - 1].1.len(),
        };
        let head = &text[a.start..head_end];
        let joined = format!("{head} {continuation}");
        let key = KeyText::new(&joined);
        let k = key.key.as_bytes();
        let mut candidates = Vec::new();
        dictionary.prefixes(k, 0, &mut candidates);
        let exact = candidates
            .iter()
            .map(|&(end, g)| (end, 0u16, g))
            .max_by_key(|c| c.0);
        let close = dictionary
            .approximate_beyond(&approx::window(k, 0, |_| false), exact.map_or(0, |e| e.0));
        let best = match (exact, close) {
            (Some(e), Some(c)) if c.0 > e.0 => Some(c),
            (Some(e), _) => Some(e),
            (None, c) => c,
        };
        let Some((end, cost, group)) = best else {
            continue;
        };
        let (_, e) = key.source_span(0, end);
        // It must read into the next line, past the words already found.
        if e <= head.len() + 1 {
            continue;
        }
        let entries = dictionary.entries(group);
        let entries = roles::rows_for(a.role, finds.is_some(), &entries);
        if entries.is_empty() {
            continue;
        }
        let end = cont + (e - head.len() - 1);
        // The next line is a finding of its own, whole: a list ("Nausea" / "Vomiting"), not
        // a wrapped cell.
        if mentions.iter().any(|m| m.start == cont && m.end == end) {
            return None;
        }
        return Some((end, entries, cost));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::tests::conditions;

    #[test]
    fn the_rest_of_a_wrapped_cell_is_not_a_finding_of_its_own() {
        // OCR'd row: the description wrapped past the code column, the dates' years below.
        let wrapped = "PROBLEMS\nNov 22, Nonproliferative diabetic retinopathy due to type 2 SNOMED CT\n2019 diabetes mellitus (disorder) 1551000119108\n";
        assert_eq!(conditions(wrapped), ["diabetic retinopathy"]);
        // A new row (its own date, a capital) is a finding of its own.
        let rows = "PROBLEMS\n11/22/2019 Nonproliferative diabetic retinopathy SNOMED CT\n11/22/2019 Diabetes mellitus (disorder) SNOMED CT\n";
        assert_eq!(conditions(rows).len(), 2, "{:?}", conditions(rows));
    }
}
