//! The pipeline: a [`Document`] of pages in, an [`Extraction`] of coded findings out.
//!
//! ```text
//! pages ─► furniture ─► key (normalize) ─► sections ─► term matches ─► roles + context
//!       ─► mentions ─► consolidate ─► findings (+ patient from the headers)
//! ```
//! Every stage is a plain function over plain data; this module only wires them.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::consolidate::{Finding, consolidate};
use crate::context::{Assertion, ContextRules, Decision};
use crate::dictionary::matcher::find_terms;
use crate::dictionary::{Dictionary, Entry, Kind, System};
use crate::ingest::{Document, PageOrigin};
use crate::mention::{Mention, Role};
use crate::normalize::KeyText;
use crate::normalize::fold::term_key;
use crate::normalize::furniture;
use crate::patient::{self, PatientSummary};
use crate::sections::{Finds, Implies, SectionMap, SectionRules};

static NO_KNOWN_TSV: &str = include_str!("../dictionaries/no-known-allergies.tsv");

/// "No known allergies" phrases and their SNOMED CT codes.
struct NoKnown {
    automaton: AhoCorasick,
    rows: Vec<(String, String, String, bool)>, // phrase, code, display, case-sensitive
}

static NO_KNOWN: LazyLock<NoKnown> = LazyLock::new(|| {
    let rows: Vec<(String, String, String, bool)> = NO_KNOWN_TSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 3).then(|| {
                (
                    c[0].to_string(),
                    c[1].to_string(),
                    c[2].to_string(),
                    c.get(3).is_some_and(|f| f.split(';').any(|x| x == "cs")),
                )
            })
        })
        .collect();
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(rows.iter().map(|r| term_key(&r.0)))
        .expect("no-known-allergies phrases");
    NoKnown { automaton, rows }
});

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
}

impl Extractor {
    /// Runs the pipeline over a document.
    pub fn extract(&self, doc: &Document) -> Extraction {
        let texts: Vec<&str> = doc.pages.iter().map(|p| p.text.as_str()).collect();
        let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
        let furniture = furniture::detect(&texts);
        let sections = SectionMap::build(&self.sections, &texts, &numbers, &furniture);
        let any_clinical_section = sections
            .sections
            .iter()
            .any(|s| self.sections.kind_of(s).finds.is_some());

        let mut mentions = Vec::new();
        let mut patient_pages = Vec::new();
        for (pi, page) in doc.pages.iter().enumerate() {
            let text = page.text.as_str();
            patient_pages.push(patient::read_page(text, page.number));
            let key = KeyText::new(text);
            let ctx = self.context.scan(text, &key);
            let in_furniture =
                |s: usize, e: usize| furniture[pi].iter().any(|&(fs, fe)| fs <= s && e <= fe);
            let mut page_mentions = Vec::new();
            for m in find_terms(&self.dictionary, text, &key) {
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
                let Some((role, entries)) = assign_role(finds, kind.is_none(), m.entries) else {
                    continue;
                };
                let mut decision = self.context.assert(&ctx, &key, m.key_start, m.key_end);
                let implied = kind.and_then(|k| k.implies);
                let mut implied_label = None;
                if let (Some(imp), Some(sec)) = (implied, section) {
                    let label = match imp {
                        Implies::Family => "family",
                        Implies::Historical => "historical",
                        Implies::Stopped => "stopped",
                        Implies::Resolved => "resolved",
                        Implies::Completed => "completed",
                    };
                    let section_rule = Some(format!("section '{}' ({label})", sec.header));
                    match imp {
                        Implies::Family => {
                            decision = Decision {
                                assertion: Assertion::Family,
                                rule: section_rule,
                            }
                        }
                        Implies::Historical | Implies::Resolved
                            if decision.assertion == Assertion::Present =>
                        {
                            decision = Decision {
                                assertion: Assertion::Historical,
                                rule: section_rule,
                            };
                            implied_label = Some(label.to_string());
                        }
                        Implies::Stopped | Implies::Completed
                            if decision.assertion == Assertion::Present =>
                        {
                            implied_label = Some(label.to_string());
                            decision.rule = section_rule;
                        }
                        _ => {}
                    }
                }
                if decision.assertion == Assertion::Family {
                    continue; // about a relative: never the patient's finding
                }
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
                    implied: implied_label,
                    confidence: if page.origin == PageOrigin::TextLayer {
                        1.0
                    } else {
                        0.9
                    },
                    row_start: text[..m.start].rfind('\n').map_or(0, |p| p + 1),
                    row_end: text[m.end..].find('\n').map_or(text.len(), |p| m.end + p),
                });
            }
            // "No known allergies" and kin.
            for hit in NO_KNOWN.automaton.find_iter(key.key.as_bytes()) {
                let k = key.key.as_bytes();
                let (s, e) = (hit.start(), hit.end());
                let at_word = (s == 0 || crate::normalize::is_sep(k[s - 1]))
                    && (e == k.len() || crate::normalize::is_sep(k[e]));
                if !at_word {
                    continue;
                }
                let (ts, te) = key.source_span(s, e);
                if in_furniture(ts, te) {
                    continue;
                }
                let row = &NO_KNOWN.rows[hit.pattern().as_usize()];
                let written = &text[ts..te];
                if row.3
                    && !written
                        .chars()
                        .filter(|c| c.is_alphanumeric())
                        .eq(row.0.chars())
                {
                    continue;
                }
                let section = sections.at(pi, ts);
                let kind = section.map(|s| self.sections.kind_of(s));
                if kind.is_some_and(|k| k.implies == Some(Implies::Family)) {
                    continue;
                }
                page_mentions.push(Mention {
                    role: Role::NoKnownAllergy,
                    page: page.number,
                    start: ts,
                    end: te,
                    char_start: text[..ts].chars().count(),
                    char_end: text[..te].chars().count(),
                    text: written.to_string(),
                    entries: vec![Entry {
                        term: row.0.clone(),
                        kind: Kind::Allergen,
                        system: System::Snomed,
                        code: row.1.clone(),
                        display: row.2.clone(),
                        category: String::new(),
                        case_sensitive: row.3,
                        tty: None,
                        section: None,
                        via: None,
                        source: "no-known-allergies.tsv".into(),
                    }],
                    section: section
                        .map(|s| (s.header.clone(), self.sections.kind_of(s).name.clone())),
                    section_index: sections.index_at(pi, ts),
                    decision: Decision {
                        assertion: Assertion::Present,
                        rule: None,
                    },
                    implied: None,
                    confidence: 1.0,
                    row_start: text[..ts].rfind('\n').map_or(0, |p| p + 1),
                    row_end: text[te..].find('\n').map_or(text.len(), |p| te + p),
                });
            }
            page_mentions.sort_by_key(|m| (m.start, m.end));
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
