//! Match: every dictionary term on a page, leftmost-longest, starting and ending on word
//! boundaries of the page's key (see [`crate::normalize`]).
//!
//! At each word start the term automaton is walked as far as the text allows; the longest
//! term that also passes its row filters (letter case for abbreviations) wins and the scan
//! resumes after it. Filters are applied before choosing, so an abbreviation written in the
//! wrong case gives way to a shorter term instead of hiding it.

use super::{Dictionary, Entry, Group, approx};
use crate::normalize::KeyText;

/// A dictionary term found in a page.
#[derive(Debug, Clone)]
pub struct TermMatch {
    /// Span in the page's key.
    pub key_start: usize,
    /// End in the key.
    pub key_end: usize,
    /// Span in the page's text (bytes).
    pub start: usize,
    /// End in the page text (bytes).
    pub end: usize,
    /// The rows of every table that name this term.
    pub entries: Vec<Entry>,
    /// How far the text is from the term, in half-edits (0: exact; see [`super::approx`]).
    pub cost: u16,
}

/// Finds the terms of `dict` in a page.
pub fn find_terms(dict: &Dictionary, text: &str, key: &KeyText) -> Vec<TermMatch> {
    split_lists(dict, text, key, find(dict, text, key, None))
}

/// A term read across a list separator — a comma or a line break — whose two sides are each
/// a term is a list of two: "nausea, vomiting" and the lines "Nausea" / "Vomiting" are two
/// findings, not "Nausea and vomiting"; "Diabetes mellitus, type 2" stays one ("type 2" is no
/// term).
fn split_lists(
    dict: &Dictionary,
    text: &str,
    key: &KeyText,
    found: Vec<TermMatch>,
) -> Vec<TermMatch> {
    let bytes = key.key.as_bytes();
    let exact = |from: usize, to: usize| -> Option<TermMatch> {
        let mut candidates = Vec::new();
        dict.prefixes(bytes, from, &mut candidates);
        let entries: Vec<Entry> = candidates
            .into_iter()
            .filter(|&(end, _)| end == to)
            .flat_map(|(_, group)| dict.entries(group))
            .collect();
        term_match(text, key, from, to, entries, 0)
    };
    let mut out = Vec::with_capacity(found.len());
    for m in found {
        let split = (m.key_start + 1..m.key_end.saturating_sub(1)).find_map(|p| {
            if bytes[p] != b' ' {
                return None;
            }
            let (gap_start, _) = key.source_span(p - 1, p);
            let (gap_end, _) = key.source_span(p + 1, p + 2);
            if !text[gap_start..gap_end].contains([',', '\n']) {
                return None;
            }
            Some((exact(m.key_start, p)?, exact(p + 1, m.key_end)?))
        });
        match split {
            Some((a, b)) => {
                out.push(a);
                out.push(b);
            }
            None => out.push(m),
        }
    }
    out
}

/// As [`find_terms`], for OCR'd text: where `approximate` accepts a word start's page offset,
/// a long term close to the text (see [`super::approx`]) wins over a shorter exact one.
pub fn find_terms_approximately(
    dict: &Dictionary,
    text: &str,
    key: &KeyText,
    approximate: &dyn Fn(usize) -> bool,
) -> Vec<TermMatch> {
    split_lists(dict, text, key, find(dict, text, key, Some(approximate)))
}

fn find(
    dict: &Dictionary,
    text: &str,
    key: &KeyText,
    approximate: Option<&dyn Fn(usize) -> bool>,
) -> Vec<TermMatch> {
    let bytes = key.key.as_bytes();
    let mut found = Vec::new();
    let mut resume = 0;
    let mut candidates: Vec<(usize, Group)> = Vec::new();
    for start in key.word_starts() {
        if start < resume {
            continue;
        }
        let exact = longest_exact(dict, text, key, start, &mut candidates);
        let close = approximate
            .filter(|wanted| wanted(key.source_span(start, start + 1).0))
            .and_then(|_| {
                // A ";" or ":" OCR read inside a name may be crossed; other breaks end it.
                let crossable = |i: usize| {
                    let (s, _) = key.source_span(i, i + 1);
                    text[s..].starts_with([';', ':'])
                };
                let at = |from: usize, min_end: usize| {
                    dict.approximate_beyond(&approx::window(bytes, from, crossable), min_end)
                        .map(|(end, cost, group)| (from + end, cost, group))
                };
                // Only a term longer than the exact match is of use.
                let min_end = exact.as_ref().map_or(0, |m| m.key_end - start);
                at(start, min_end).or_else(|| {
                    // A mark OCR glued to the word's first letter ("Jinsulin" for "|insulin"):
                    // the term may start one letter in, at the cost of an edit.
                    let glued = exact.is_none()
                        && bytes.get(start + 1).is_some_and(u8::is_ascii_alphabetic)
                        && bytes[start].is_ascii_alphabetic();
                    glued
                        .then(|| at(start + 1, 0))
                        .flatten()
                        .map(|(end, cost, group)| (end, cost + 2, group))
                })
            })
            .filter(|&(end, _, _)| exact.as_ref().is_none_or(|m| end > m.key_end))
            // A close term that ends inside a term written exactly ("history of alcohol use"
            // read as "History of alcohol abuse" in "history of alcohol use disorder") has
            // taken the wrong words: the exact term is what is written.
            .filter(|&(end, _, _)| {
                !key.word_starts()
                    .skip_while(|&w| w <= start)
                    .take_while(|&w| w < end)
                    .any(|w| {
                        longest_exact(dict, text, key, w, &mut Vec::new())
                            .is_some_and(|m| m.key_end > end)
                    })
            })
            .and_then(|(end, cost, group)| {
                // Abbreviations are matched as written, never approximately.
                let entries = dict.entries(group);
                let entries = entries.into_iter().filter(|e| !e.case_sensitive).collect();
                term_match(text, key, start, end, entries, cost)
            });
        if let Some(m) = close.or(exact) {
            resume = m.key_end;
            found.push(m);
        }
    }
    found
}

/// The longest term written exactly at the key offset `start`, if any.
fn longest_exact(
    dict: &Dictionary,
    text: &str,
    key: &KeyText,
    start: usize,
    candidates: &mut Vec<(usize, Group)>,
) -> Option<TermMatch> {
    candidates.clear();
    dict.prefixes(key.key.as_bytes(), start, candidates);
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let mut i = 0;
    while i < candidates.len() {
        let end = candidates[i].0;
        let mut entries = Vec::new();
        while i < candidates.len() && candidates[i].0 == end {
            entries.extend(dict.entries(candidates[i].1));
            i += 1;
        }
        if let Some(m) = term_match(text, key, start, end, entries, 0) {
            return Some(m);
        }
    }
    None
}

/// The match of the key span `start..end` with the rows that pass their filters, if any.
fn term_match(
    text: &str,
    key: &KeyText,
    start: usize,
    end: usize,
    mut entries: Vec<Entry>,
    cost: u16,
) -> Option<TermMatch> {
    let (s, mut e) = key.source_span(start, end);
    // "Eggs (edible)", "… Injection [Epogen]": keep the closing bracket the term opened.
    for (open, close) in [('(', ')'), ('[', ']')] {
        let opened = text[s..e].matches(open).count() > text[s..e].matches(close).count();
        if opened && text[e..].starts_with(close) {
            e += 1;
        }
    }
    let written = &text[s..e];
    let glued = glued_to_a_number(text, s, e);
    entries.retain(|entry| !entry.case_sensitive || (same_letters(written, &entry.term) && !glued));
    (!entries.is_empty()).then_some(TermMatch {
        key_start: start,
        key_end: end,
        start: s,
        end: e,
        entries,
        cost,
    })
}

/// True when the span touches a number with at most a slash between: "OM/26/1993" is a
/// misread date, not otitis media — abbreviations are only taken as words of their own.
fn glued_to_a_number(text: &str, s: usize, e: usize) -> bool {
    let after = text[e..].strip_prefix('/').unwrap_or(&text[e..]);
    let before = text[..s].strip_suffix('/').unwrap_or(&text[..s]);
    after.starts_with(|c: char| c.is_ascii_digit())
        || before.ends_with(|c: char| c.is_ascii_digit())
}

/// Letters and digits equal, case included (punctuation and spacing ignored).
fn same_letters(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| c.is_alphanumeric())
        .eq(b.chars().filter(|c| c.is_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn dict(rows: &str) -> Dictionary {
        let mut d = Dictionary {
            builtin: fst::Map::new(fst::MapBuilder::memory().into_inner().unwrap().leak() as &[u8])
                .unwrap(),
            builtin_depths: None,
            files: Vec::new(),
            user: Default::default(),
        };
        let table = format!("term\tkind\tsystem\tcode\tdisplay\tcategory\tflags\n{rows}");
        d.add_table(Path::new("test.tsv"), &table).unwrap();
        d
    }

    fn found(d: &Dictionary, text: &str) -> Vec<(String, String)> {
        let key = KeyText::new(text);
        find_terms(d, text, &key)
            .into_iter()
            .map(|m| (text[m.start..m.end].to_string(), m.entries[0].code.clone()))
            .collect()
    }

    struct Case {
        name: &'static str,
        text: &'static str,
        expect: &'static [(&'static str, &'static str)],
    }

    #[test]
    fn a_list_is_not_one_term() {
        let d = dict(
            "nausea\tcondition\tsnomed\t422587007\tNausea\tfinding\t\nvomiting\tcondition\tsnomed\t422400008\tVomiting\tfinding\t\nnausea and vomiting\tcondition\tsnomed\t16932000\tNausea and vomiting\tfinding\t\ndiabetes mellitus type 2\tcondition\tsnomed\t44054006\tType 2 diabetes mellitus\tdisorder\t\ndiabetes mellitus\tcondition\tsnomed\t73211009\tDiabetes mellitus\tdisorder\t\n",
        );
        let names =
            |text: &str| -> Vec<String> { found(&d, text).into_iter().map(|(t, _)| t).collect() };
        assert_eq!(
            names("No nausea, vomiting or diarrhea."),
            ["nausea", "vomiting"]
        );
        assert_eq!(
            names("Problems:\nNausea\nVomiting\n"),
            ["Nausea", "Vomiting"]
        );
        assert_eq!(names("Nausea and vomiting"), ["Nausea and vomiting"]);
        assert_eq!(
            names("Diabetes mellitus, type 2"),
            ["Diabetes mellitus, type 2"]
        );
    }

    const ROWS: &str = "\
atrial fibrillation\tcondition\tsnomed\t49436004\tAtrial fibrillation\tdisorder\t
a-fib\tcondition\tsnomed\t49436004\tAtrial fibrillation\tdisorder\t
fibrillation\tcondition\tsnomed\t40593004\tFibrillation\tfinding\t
MS\tcondition\tsnomed\t24700007\tMultiple sclerosis\tdisorder\tcs
ms contin\tmedication\trxnorm\t892297\tMS Contin\tmedication\ttty=BN
penicillin\tmedication\trxnorm\t7980\tpenicillin G\tmedication\ttty=IN
penicillin g benzathine\tmedication\trxnorm\t7982\tpenicillin G benzathine\tmedication\ttty=IN
shortness of breath\treaction\tsnomed\t267036007\tDyspnea\t\t
Eggs (edible)\tallergen\tsnomed\t102263004\tEggs (edible)\tfood\t
Sjögren's syndrome\tcondition\tsnomed\t83901003\tSjogren's syndrome\tdisorder\t
";

    const CASES: &[Case] = &[
        Case {
            name: "longest wins",
            text: "Atrial fibrillation, chronic",
            expect: &[("Atrial fibrillation", "49436004")],
        },
        Case {
            name: "shorter when longer absent",
            text: "ventricular fibrillation",
            expect: &[("fibrillation", "40593004")],
        },
        Case {
            name: "hyphen folds",
            text: "hx of A-Fib",
            expect: &[("A-Fib", "49436004")],
        },
        Case {
            name: "word boundary at start",
            text: "nonpenicillin",
            expect: &[],
        },
        Case {
            name: "word boundary at end",
            text: "penicillins",
            expect: &[],
        },
        Case {
            name: "case-sensitive abbreviation",
            text: "MS since 2001",
            expect: &[("MS", "24700007")],
        },
        Case {
            name: "abbreviation glued to a number is a misread date",
            text: "MS/26/1993 and 2MS",
            expect: &[],
        },
        Case {
            name: "abbreviation in lower case is a word",
            text: "ms smith",
            expect: &[],
        },
        Case {
            name: "brand beats abbreviation",
            text: "ms contin 15 mg",
            expect: &[("ms contin", "892297")],
        },
        Case {
            name: "wrapped cell line",
            text: "Shortness of\nbreath",
            expect: &[("Shortness of\nbreath", "267036007")],
        },
        Case {
            name: "no match across a table cell",
            text: "Shortness of\tbreath",
            expect: &[],
        },
        Case {
            name: "no match across a sentence",
            text: "Penicillin. Benzathine",
            expect: &[("Penicillin", "7980")],
        },
        Case {
            name: "longest drug name",
            text: "PENICILLIN G BENZATHINE\thives",
            expect: &[("PENICILLIN G BENZATHINE", "7982")],
        },
        Case {
            name: "diacritics and apostrophes",
            text: "Sjogrens syndrome",
            expect: &[("Sjogrens syndrome", "83901003")],
        },
        Case {
            name: "two terms",
            text: "a-fib; penicillin",
            expect: &[("a-fib", "49436004"), ("penicillin", "7980")],
        },
    ];

    #[test]
    fn match_table() {
        let d = dict(ROWS);
        for case in CASES {
            let got = found(&d, case.text);
            let want: Vec<(String, String)> = case
                .expect
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(got, want, "case {:?}", case.name);
        }
    }

    #[test]
    fn a_close_term_does_not_cut_an_exact_one() {
        let d = dict(
            "History of alcohol abuse\tcondition\tsnomed\t371434005\tHistory of alcohol abuse\tfinding\t\n\
             Alcohol use disorder\tcondition\tsnomed\t66590003\tAlcohol dependence\tdisorder\t\n\
             Penicillin allergy\tcondition\tsnomed\t91936005\tAllergy to penicillin\tfinding\t\n",
        );
        let approx = |text: &str| {
            let key = KeyText::new(text);
            find_terms_approximately(&d, text, &key, &|_| true)
                .into_iter()
                .map(|m| (text[m.start..m.end].to_string(), m.entries[0].code.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            approx("history of alcohol use disorder, in remission"),
            [("alcohol use disorder".to_string(), "66590003".to_string())]
        );
        // A close term that ends where it should is still taken.
        assert_eq!(
            approx("history of alcohol abuze"),
            [(
                "history of alcohol abuze".to_string(),
                "371434005".to_string()
            )]
        );
        assert_eq!(
            approx("Penici11in allergy"),
            [("Penici11in allergy".to_string(), "91936005".to_string())]
        );
    }

    #[test]
    fn dictionary_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Dictionary>();
    }
}
