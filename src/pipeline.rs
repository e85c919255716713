//! The pipeline: a [`Document`] of pages in, an [`Extraction`] of coded findings out.
//!
//! ```text
//! pages ─► furniture ─► key (normalize) ─► sections ─► term matches ─► roles + context
//!       ─► mentions ─► consolidate ─► findings (+ patient from the headers)
//! ```
//! Every stage is a plain function over plain data; this module only wires them.

use std::sync::LazyLock;

use crate::attributes;
use crate::attributes::units::{UNITS, Use};
use crate::consolidate::{Finding, consolidate};
use crate::context::{Assertion, ContextRules, Decision};
use crate::dictionary::matcher::{find_terms, find_terms_approximately};
use crate::dictionary::{Dictionary, Entry, Kind, System};
use crate::ingest::{Document, PageOrigin};
use crate::mention::{Mention, Role};
use crate::normalize::KeyText;
use crate::normalize::furniture;
use crate::patient::{self, PatientSummary};
use crate::phrases::PhraseTable;
use crate::sections::{Finds, Implies, SectionMap, SectionRules};
use crate::status::{Applies, Status};

/// "No known allergies" phrases and their SNOMED CT codes.
static NO_KNOWN: LazyLock<PhraseTable<(String, String)>> =
    LazyLock::new(|| crate::tables::shipped(no_known_allergies_table()));

/// `dictionaries/no-known-allergies.tsv`: "no known (drug …) allergies" wordings → SNOMED CT.
pub(crate) fn no_known_allergies_table()
-> Result<PhraseTable<(String, String)>, crate::tables::TableError> {
    let text = include_str!("../dictionaries/no-known-allergies.tsv");
    let table = crate::tables::Table::parse("no-known-allergies.tsv", text)?;
    PhraseTable::from_table(&table, |r| {
        Ok((r.get("code")?.to_string(), r.get("display")?.to_string()))
    })
}

/// What the pipeline found in one document.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub document: crate::ingest::SourceInfo,
    pub page_count: usize,
    /// How each page was read.
    pub page_origins: Vec<PageOrigin>,
    pub patient: PatientSummary,
    pub findings: Vec<Finding>,
    /// Section headers seen, for the summary (kind, header as written, page).
    pub sections_seen: usize,
}

/// Extraction settings and the rules, built once and shared by all workers.
#[derive(Default)]
pub struct Extractor {
    pub dictionary: Dictionary,
    pub sections: SectionRules,
    pub context: ContextRules,
    /// Corrects misread words of OCR'd pages toward the vocabulary.
    pub corrector: crate::normalize::ocr::Corrector,
}

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

/// Confidence of a term read approximately, from its cost in half-edits.
fn approximate_confidence(cost: u16) -> f32 {
    match cost {
        0..=2 => 0.85,
        3..=6 => 0.75,
        _ => 0.65,
    }
}

impl Extractor {
    /// Runs the pipeline over a document.
    pub fn extract(&self, doc: &Document) -> Extraction {
        let texts: Vec<&str> = doc.pages.iter().map(|p| p.text.as_str()).collect();
        let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
        let furniture = furniture::detect(&texts);
        let exact: Vec<bool> = doc
            .pages
            .iter()
            .map(|p| p.origin == PageOrigin::TextLayer)
            .collect();
        let sections = SectionMap::build(
            &self.sections,
            &texts,
            &numbers,
            &furniture,
            &exact,
            Some(&self.corrector),
        );
        let any_clinical_section = sections
            .sections
            .iter()
            .any(|s| self.sections.kind_of(s).finds.is_some());

        let mut mentions = Vec::new();
        let mut patient_pages = Vec::new();
        // Sections whose table has an end-date column (carried over page breaks).
        let mut end_columns = std::collections::HashSet::new();
        // The words an OCR'd document writes correctly somewhere: the likelier readings of
        // its misread ones.
        let keys: Vec<KeyText> = texts.iter().map(|t| KeyText::new(t)).collect();
        let document_words = if doc.pages.iter().any(|p| p.origin != PageOrigin::TextLayer) {
            crate::normalize::ocr::DocumentWords::new(
                &self.corrector,
                keys.iter().map(|k| k.key.as_str()),
            )
        } else {
            Default::default()
        };
        for ((pi, page), key) in doc.pages.iter().enumerate().zip(keys) {
            let text = page.text.as_str();
            patient_pages.push(patient::read_page(
                text,
                page.number,
                page.origin == PageOrigin::TextLayer,
            ));
            // OCR'd text: match on a key whose misread words are corrected.
            let ocr = page.origin != PageOrigin::TextLayer;
            // Only where findings can come from: clinical sections (or anywhere in a
            // document without them).
            let findings_here = |offset: usize| match sections.at(pi, offset) {
                Some(s) => self.sections.kind_of(s).finds.is_some(),
                None => !any_clinical_section,
            };
            let (match_key, changes) = if ocr {
                self.corrector
                    .correct_where(&key, &document_words, findings_here)
            } else {
                (key.clone(), Vec::new())
            };
            // Context triggers are read on the corrected key too ("intormation not available").
            let ctx = self.context.scan(text, &match_key);
            let terms = if ocr {
                find_terms_approximately(&self.dictionary, text, &match_key, &findings_here)
            } else {
                find_terms(&self.dictionary, text, &match_key)
            };
            let in_furniture =
                |s: usize, e: usize| furniture[pi].iter().any(|&(fs, fe)| fs <= s && e <= fe);
            let mut page_mentions = Vec::new();
            // Condition and reaction terms in allergy sections: the reactions of the allergens.
            let mut reaction_terms: Vec<(usize, usize, Vec<Entry>)> = Vec::new();
            for m in terms {
                if in_furniture(m.start, m.end) || sections.in_header(pi, m.start, m.end) {
                    continue;
                }
                let section = sections.at(pi, m.start);
                let kind = section.map(|s| self.sections.kind_of(s));
                let finds = match kind {
                    Some(k) => k.finds,
                    // Outside any section: only a document without clinical sections (a
                    // free-text note) lets a term stand for itself.
                    None if !any_clinical_section => None,
                    None => continue,
                };
                if finds == Some(Finds::Allergy) {
                    let manifestations: Vec<Entry> = m
                        .entries
                        .iter()
                        .filter(|e| matches!(e.kind, Kind::Reaction | Kind::Condition))
                        .cloned()
                        .collect();
                    let is_allergen = m
                        .entries
                        .iter()
                        .any(|e| matches!(e.kind, Kind::Allergen | Kind::Medication));
                    if !manifestations.is_empty() && !is_allergen {
                        reaction_terms.push((m.start, m.end, manifestations));
                        continue;
                    }
                }
                let Some((role, entries)) = assign_role(finds, kind.is_none(), m.entries) else {
                    continue;
                };
                let (ks, ke) = (
                    match_key.key_offset(m.start),
                    match_key
                        .key_offset(m.end)
                        .max(match_key.key_offset(m.start) + 1),
                );
                let mut decision =
                    self.context
                        .assert(&ctx, &match_key, ks, ke.min(match_key.key.len()));
                let corrected = changes
                    .iter()
                    .filter(|c| c.start < m.key_end && m.key_start < c.end)
                    .map(|c| c.confidence)
                    .chain((m.cost > 0).then(|| approximate_confidence(m.cost)))
                    .fold(None, |a: Option<f32>, c| Some(a.map_or(c, |a| a.min(c))));
                let mut status = None;
                let mut status_rule = None;
                if let (Some(imp), Some(sec)) = (kind.and_then(|k| k.implies), section) {
                    let rule = Some(format!("section '{}'", sec.header));
                    match imp {
                        Implies::Family => {
                            decision = Decision {
                                assertion: Assertion::Family,
                                rule,
                            }
                        }
                        _ if decision.assertion != Assertion::Present => {}
                        Implies::Historical => {
                            decision = Decision {
                                assertion: Assertion::Historical,
                                rule,
                            }
                        }
                        Implies::Resolved => {
                            status = Some(Status::Resolved);
                            status_rule = rule;
                        }
                        Implies::Stopped => {
                            status = Some(Status::Stopped);
                            status_rule = rule;
                        }
                        Implies::Completed => {
                            status = Some(Status::Completed);
                            status_rule = rule;
                        }
                    }
                }
                if decision.assertion == Assertion::Family {
                    continue; // about a relative: never the patient's finding
                }
                let reading = corrected
                    .and_then(|_| entries.first())
                    .map(|e| e.term.clone());
                page_mentions.push(Mention {
                    role,
                    page: page.number,
                    start: m.start,
                    end: m.end,
                    char_start: text[..m.start].chars().count(),
                    char_end: text[..m.end].chars().count(),
                    text: text[m.start..m.end].to_string(),
                    entries,
                    section: section
                        .map(|s| (s.header.clone(), self.sections.kind_of(s).name.clone())),
                    section_index: sections.index_at(pi, m.start),
                    decision,
                    status,
                    status_rule,
                    confidence: match (ocr, corrected) {
                        (false, _) => 1.0,
                        (true, None) => 0.95,
                        (true, Some(c)) => c,
                    },
                    reading,
                    row: Default::default(),
                    sig: None,
                    allergy: None,
                });
            }
            page_mentions.extend(self.no_known_allergies(
                text,
                &key,
                pi,
                page.number,
                &sections,
                &in_furniture,
            ));
            page_mentions.sort_by_key(|m| (m.start, m.end));
            merge_combinations(text, &mut page_mentions, ocr);
            if ocr {
                self.join_wrapped_cells(text, &mut page_mentions);
            }
            self.read_rows(
                page,
                text,
                &key,
                pi,
                &sections,
                &reaction_terms,
                &mut page_mentions,
                &mut end_columns,
            );
            mentions.extend(page_mentions);
        }
        let mut findings = consolidate(mentions);
        flag_conflicts(&mut findings);
        Extraction {
            document: doc.source.clone(),
            page_count: doc.pages.len(),
            page_origins: doc.pages.iter().map(|p| p.origin).collect(),
            patient: patient::summarize(&patient_pages),
            findings,
            sections_seen: sections.sections.len(),
        }
    }
}

impl Extractor {
    /// OCR reads a table row line by line: a cell that wraps continues on the next line, after
    /// the row's other columns ("Abnormal findings diagnostic imaging heart+coronary SNOMED
    /// CT\n, | circulat (finding)"). A finding that ends its line with no other finding after
    /// it is tried joined with the start of the next line (its leading marks and dates
    /// skipped, up to three trailing words of its own line taken as other columns); when a
    /// longer term reads across, the finding becomes that term.
    fn join_wrapped_cells(&self, text: &str, mentions: &mut Vec<Mention>) {
        let mut i = 0;
        while i < mentions.len() {
            if let Some((end, entries, cost)) = self.wrapped_term(text, mentions, i) {
                let a = &mut mentions[i];
                a.reading = entries.first().map(|e| e.term.clone());
                a.entries = entries;
                a.end = end;
                a.char_end = text[..end].chars().count();
                a.text = text[a.start..end].to_string();
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
        &self,
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
            if crate::dates::DATE.is_match(word) {
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
            .and_then(|(_, kind)| self.sections.kind(kind))
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
            self.dictionary.prefixes(k, 0, &mut candidates);
            let exact = candidates
                .iter()
                .map(|&(end, g)| (end, 0u16, g))
                .max_by_key(|c| c.0);
            let close = self
                .dictionary
                .approximate(&crate::dictionary::approx::window(k, 0, |_| false));
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
            let entries = self.dictionary.entries(group);
            let Some((role, entries)) = assign_role(finds, a.section.is_none(), entries) else {
                continue;
            };
            if role != a.role {
                continue;
            }
            return Some((cont + (e - head.len() - 1), entries, cost));
        }
        None
    }

    /// "No known allergies" and kin, anywhere but in a family history.
    fn no_known_allergies(
        &self,
        text: &str,
        key: &KeyText,
        pi: usize,
        page: u32,
        sections: &SectionMap,
        in_furniture: &dyn Fn(usize, usize) -> bool,
    ) -> Vec<Mention> {
        let mut out = Vec::new();
        for hit in NO_KNOWN.find(text, key, 0..key.key.len()) {
            let (ts, te) = (hit.start, hit.end);
            if in_furniture(ts, te) {
                continue;
            }
            let section = sections.at(pi, ts);
            let kind = section.map(|s| self.sections.kind_of(s));
            if kind.is_some_and(|k| k.implies == Some(Implies::Family)) {
                continue;
            }
            let (code, display) = hit.value;
            out.push(Mention {
                role: Role::NoKnownAllergy,
                page,
                start: ts,
                end: te,
                char_start: text[..ts].chars().count(),
                char_end: text[..te].chars().count(),
                text: text[ts..te].to_string(),
                entries: vec![Entry {
                    term: text[ts..te].to_string(),
                    kind: Kind::Allergen,
                    system: System::Snomed,
                    code: code.clone(),
                    display: display.clone(),
                    category: String::new(),
                    case_sensitive: false,
                    tty: None,
                    section: None,
                    via: None,
                    source: "no-known-allergies.tsv".into(),
                }],
                section: section.map(|s| (s.header.clone(), self.sections.kind_of(s).name.clone())),
                section_index: sections.index_at(pi, ts),
                decision: Decision {
                    assertion: Assertion::Present,
                    rule: None,
                },
                status: None,
                status_rule: None,
                confidence: 1.0,
                reading: None,
                row: Default::default(),
                sig: None,
                allergy: None,
            });
        }
        out
    }

    /// Reads each mention's row: status cell, dates, end date, dosage, reactions.
    #[allow(clippy::too_many_arguments)]
    fn read_rows(
        &self,
        page: &crate::ingest::Page,
        text: &str,
        key: &KeyText,
        pi: usize,
        sections: &SectionMap,
        reaction_terms: &[(usize, usize, Vec<Entry>)],
        mentions: &mut [Mention],
        end_columns: &mut std::collections::HashSet<usize>,
    ) {
        for i in 0..mentions.len() {
            let m = &mentions[i];
            if m.role == Role::NoKnownAllergy {
                continue;
            }
            let same = |n: &&Mention| n.role == m.role && n.section_index == m.section_index;
            let next = mentions[i + 1..]
                .iter()
                .find(|n| same(n) && n.start >= m.end)
                .map(|n| n.start);
            let prev = mentions[..i]
                .iter()
                .rev()
                .find(|n| same(n) && n.end <= m.start)
                .map(|n| n.end);
            let section = sections.stretch(pi, m.start, text.len());
            let (row_start, row_end) = attributes::row_span(page, m.start, prev, next, section);
            let section_start = section.0;
            // A table header with an end-date column, on this page or an earlier page of the
            // same section.
            let has_end_column = m.section_index.is_some_and(|s| end_columns.contains(&s));
            let facts = attributes::row_facts(
                text,
                key,
                row_start..row_end,
                m.start..m.end,
                section_start,
                has_end_column,
            );
            if !has_end_column
                && let Some(s) = m.section_index
                && attributes::end_column_header(&text[section_start.min(row_start)..row_start])
            {
                end_columns.insert(s);
            }
            let role = m.role;
            let (ms, me) = (m.start, m.end);
            let m = &mut mentions[i];
            if role == Role::Medication {
                m.sig = Some(attributes::medication::parse_sig(
                    text,
                    key,
                    ms..row_end,
                    me,
                ));
            }
            if role == Role::Allergy {
                m.allergy = Some(attributes::allergy::read_row(
                    text,
                    key,
                    row_start..row_end,
                    ms..me,
                    reaction_terms,
                ));
            }
            // A status cell or an end date in the row overrides what the section implies.
            let applies = |a: Applies| match a {
                Applies::All => true,
                Applies::Allergy => role == Role::Allergy,
                Applies::Medication => role == Role::Medication,
                Applies::Condition => role == Role::Condition,
            };
            if let Some(cell) = &facts.status {
                if applies(cell.applies) {
                    m.status = Some(cell.status);
                    m.status_rule = Some(format!("row cell '{}'", cell.written.trim()));
                }
            } else if facts.ended {
                let end = facts.dates.iter().max().cloned().unwrap_or_default();
                m.status = Some(match role {
                    Role::Medication => Status::Completed,
                    _ => Status::Resolved,
                });
                m.status_rule = Some(format!("end date {end} in the row"));
            }
            m.row = facts;
        }
    }
}

/// Drugs joined into one product — "amoxicillin / clavulanate", "Acetaminophen 300 MG /
/// Hydrocodone Bitartrate 5 MG", "sulfamethoxazole-trimethoprim", "X and Y" — are one
/// medication (or allergen) with both ingredients, not two. The dictionary knows many
/// combinations by name; this catches the ones written (or OCR'd) another way.
fn merge_combinations(text: &str, mentions: &mut Vec<Mention>, ocr: bool) {
    /// The strength that may stand between two parts of a product: "300 MG", "0.25 MG/ACTUAT".
    static STRENGTH: LazyLock<String> = LazyLock::new(|| {
        format!(
            r"(?:\d[\d.,@]*[\s.]*(?:{})(?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:{}))?[\s.,?:;'\x22]*)",
            UNITS.alternation(Use::Product),
            UNITS.alternation(Use::ProductPer)
        )
    });
    static JOIN: LazyLock<regex::Regex> = LazyLock::new(|| {
        // OCR marks around the strength are tolerated ("300.MG? /", "7@ UNT/ML /").
        regex::Regex::new(&format!(
            r"(?i)^[\s,.]*{strength}?(?:/|\+|-|&|\band\b|\bwith\b)[\s/]*$",
            strength = *STRENGTH
        ))
        .expect("valid regex")
    });
    // OCR reads a table row line by line: a product name wrapped in its cell continues on
    // the next line, after the text of the row's other columns ("fluticasone 0.25 MG/ACTUAT /
    // RxNorm\nsalmeterol 0.05 MG/ACTUAT"). Text layers keep cells whole (see ingest::pdf).
    static WRAPPED: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(&format!(
            r"(?i)^[\s,.]*{strength}?/[^\S\n]*[^\s/][^\n/]{{0,23}}\n[\s:;|.,'\x22_]*$",
            strength = *STRENGTH
        ))
        .expect("valid regex")
    });
    let mut i = 0;
    while i + 1 < mentions.len() {
        let (a, b) = (&mentions[i], &mentions[i + 1]);
        let drugs = matches!(a.role, Role::Medication | Role::Allergy) && a.role == b.role;
        let gap = if b.start >= a.end {
            &text[a.end..b.start]
        } else {
            ""
        };
        // "- aspirin\n- lisinopril" is a bulleted list, not a product: across a line break
        // only "/", "and", "with" join.
        let bullet_break = gap.contains('\n') && gap.trim_end().ends_with(['-', '+', '&', '*']);
        // "10 mg / day\naspirin": a rate, not a wrapped product.
        // "mg/1 ML": a strength's denominator, not a wrapped product.
        static DENOMINATOR: LazyLock<regex::Regex> = LazyLock::new(|| {
            regex::Regex::new(r"^\s*\d[\d.,]*\s*[A-Za-z]{1,3}\b").expect("valid regex")
        });
        let per = |gap: &str| {
            let tail = &gap[gap.rfind('/').map_or(0, |p| p + 1)..];
            let word = tail
                .split(|c: char| !c.is_alphanumeric())
                .find(|w| !w.is_empty())
                .unwrap_or("")
                .to_ascii_lowercase();
            UNITS.is_rate(&word) || DENOMINATOR.is_match(tail)
        };
        let wrapped = ocr && !JOIN.is_match(gap) && WRAPPED.is_match(gap) && !per(gap);
        let joined = wrapped || JOIN.is_match(gap);
        if drugs && !gap.is_empty() && gap.len() <= 60 && !bullet_break && joined {
            let b = mentions.remove(i + 1);
            let a = &mut mentions[i];
            // Keep the ingredient rows of both; a product code of one part is not the whole.
            let ingredients = |m: &Mention| -> Vec<Entry> {
                m.entries
                    .iter()
                    .filter(|e| e.is_ingredient())
                    .cloned()
                    .collect()
            };
            let (ia, ib) = (ingredients(a), ingredients(&b));
            if !ia.is_empty() && !ib.is_empty() {
                a.entries = ia.into_iter().chain(ib).collect();
            } else {
                a.entries.extend(b.entries);
            }
            // No one dictionary wording names the product: its name is the words as read,
            // without, across a wrapped cell, the other columns' words between them
            // ("Amoxicillin 875 MG/ Clavulanate").
            a.reading = wrapped.then(|| {
                let joiner = a.end + gap.rfind('/').unwrap_or(0) + 1;
                format!("{} {}", &text[a.start..joiner], b.text)
            });
            a.end = b.end;
            a.char_end = b.char_end;
            a.text = text[a.start..a.end].to_string();
            a.confidence = a.confidence.min(b.confidence);
            continue;
        }
        i += 1;
    }
}

/// Picks the role a term plays in its section and the rows that code it.
fn assign_role(
    finds: Option<Finds>,
    unsectioned: bool,
    entries: Vec<Entry>,
) -> Option<(Role, Vec<Entry>)> {
    let section_ok = |e: &Entry, name: &str| e.section.as_deref().is_none_or(|s| s == name);
    let pick = |kinds: &[Kind], section: &str| -> Vec<Entry> {
        for k in kinds {
            let rows: Vec<Entry> = entries
                .iter()
                .filter(|e| e.kind == *k && section_ok(e, section))
                .cloned()
                .collect();
            if !rows.is_empty() {
                return rows;
            }
        }
        Vec::new()
    };
    let (role, rows) = match finds {
        Some(Finds::Allergy) => (
            Role::Allergy,
            pick(&[Kind::Allergen, Kind::Medication], "allergies"),
        ),
        Some(Finds::Medication) => (Role::Medication, pick(&[Kind::Medication], "medications")),
        Some(Finds::Condition) => (
            Role::Condition,
            pick(&[Kind::Condition, Kind::Reaction], "problems"),
        ),
        None if unsectioned => {
            let rows = pick(&[Kind::Medication], "");
            if !rows.is_empty() {
                (Role::Medication, rows)
            } else {
                (Role::Condition, pick(&[Kind::Condition], ""))
            }
        }
        None => return None,
    };
    (!rows.is_empty()).then_some((role, rows))
}

/// Marks findings that contradict each other: "no known allergies" beside an allergy.
fn flag_conflicts(findings: &mut [Finding]) {
    let asserted = |f: &Finding| !matches!(f.assertion, Assertion::Negated | Assertion::Family);
    let nka_pages: Vec<u32> = findings
        .iter()
        .filter(|f| f.role == Role::NoKnownAllergy && asserted(f))
        .flat_map(|f| f.mentions.iter().map(|m| m.page))
        .collect();
    let allergy_pages: Vec<u32> = findings
        .iter()
        .filter(|f| f.role == Role::Allergy && asserted(f))
        .flat_map(|f| f.mentions.iter().map(|m| m.page))
        .collect();
    if nka_pages.is_empty() || allergy_pages.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        if f.role == Role::NoKnownAllergy {
            f.conflict = Some(format!(
                "the same document lists allergies (page {})",
                allergy_pages[0]
            ));
        } else if f.role == Role::Allergy && asserted(f) {
            f.conflict = Some(format!(
                "the same document says no known allergies (page {})",
                nka_pages[0]
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the findings of one role read from a text record.
    fn names(role: Role, text: &str) -> Vec<String> {
        let doc = crate::ingest::read_bytes(
            std::path::Path::new("t.txt"),
            text.as_bytes(),
            None,
            &Default::default(),
        )
        .unwrap();
        let x = Extractor::default().extract(&doc);
        x.findings
            .iter()
            .filter(|f| f.role == role)
            .map(|f| crate::fhir::collapse_ws(&f.text))
            .collect()
    }

    fn meds(text: &str) -> Vec<String> {
        names(Role::Medication, text)
    }

    fn conditions(text: &str) -> Vec<String> {
        names(Role::Condition, text)
    }

    #[test]
    fn the_rest_of_a_wrapped_cell_is_not_a_finding_of_its_own() {
        // OCR'd row: the description wrapped past the code column, the dates' years below.
        let wrapped = "PROBLEMS\nNov 22, Nonproliferative diabetic retinopathy due to type 2 SNOMED CT\n2019 diabetes mellitus (disorder) 1551000119108\n";
        assert_eq!(conditions(wrapped), ["diabetic retinopathy"]);
        // A new row (its own date, a capital) is a finding of its own.
        let rows = "PROBLEMS\n11/22/2019 Nonproliferative diabetic retinopathy SNOMED CT\n11/22/2019 Diabetes mellitus (disorder) SNOMED CT\n";
        assert_eq!(conditions(rows).len(), 2, "{:?}", conditions(rows));
    }

    #[test]
    fn a_substance_class_name_is_the_ingredient_the_document_names() {
        let text = "MEDICATIONS\n1 ML Epoetin Alfa 4000 UNT/ML Injection [Epogen]\nEpoetin\n";
        assert_eq!(
            meds(text),
            ["1 ML Epoetin Alfa 4000 UNT/ML Injection [Epogen]"]
        );
    }

    #[test]
    fn combination_products_are_one_medication() {
        let cases: &[(&str, &[&str])] = &[
            (
                "MEDICATIONS\nAcetaminophen 300 MG / Hydrocodone Bitartrate 5 MG Oral RxNorm\nTablet\n",
                &["acetaminophen 300 MG / hydrocodone bitartrate 5 MG Oral Tablet"],
            ),
            (
                "MEDICATIONS\namoxicillin/clavulanate 875 mg BID\n",
                &["amoxicillin/clavulanate"],
            ),
            (
                "MEDICATIONS\n- aspirin\n- lisinopril 10 mg\n",
                &["aspirin", "lisinopril"],
            ),
            (
                "MEDICATIONS\naspirin 81 mg, lisinopril 10 mg\n",
                &["aspirin 81", "lisinopril"],
            ),
            // OCR'd table rows: a cell wrapped past the row's code column is one product...
            (
                "MEDICATIONS\n60 ACTUAT Fluticasone propionate 0.25 MG/ACTUAT / RxNorm\nsalmeterol 0.05 MG/ACTUAT Dry Powder Inhaler\n",
                &["Fluticasone propionate 0.25 MG/ACTUAT / salmeterol"],
            ),
            // ... but a rate, or a strength's denominator, is not a product.
            (
                "MEDICATIONS\nlisinopril 10 mg / day\naspirin 81 mg\n",
                &["lisinopril", "aspirin 81"],
            ),
            (
                "MEDICATIONS\nAranesp 0.5 MG/1 MI, SOL\n\nTylenol Extra Strength 500\nMG TAB\n",
                &["Aranesp", "Tylenol Extra Strength"],
            ),
            (
                "MEDICATIONS\nActive 824194 Amoxicillin 875 MG/ 0.0 Last rcrawley\nClavulanate 125 MG Dose:\n",
                &["Amoxicillin 875 MG/ Clavulanate"],
            ),
            // A cell wrapped past the row's code and date columns reads as its whole term.
            (
                "MEDICATIONS\nMay 7, May 25, Acetaminophen 21.7 MG/ML / Dextromethorphan Hydrobromide 1 RxNorm\n2021 2021 MG/ML / doxylamine succinate 0.417 MG/ML Oral Solution 1043400\nMar 6, Mar 1, Etonogestrel 68 MG Drug Implant RxNorm\n",
                &[
                    "acetaminophen 21.7 MG/ML / dextromethorphan hydrobromide 1 MG/ML / doxylamine succinate 0.417 MG/ML Oral Solution",
                    "Etonogestrel 68 MG Drug Implant",
                ],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(meds(text), *want, "{text:?}");
        }
    }
}
