//! Mentions: a dictionary term at a place in the document, with the role its section gives it
//! (a drug under "Allergies" is an allergen) and the assertion its context gives it.

use crate::attributes::RowFacts;
use crate::attributes::allergy::AllergyAttrs;
use crate::attributes::medication::Sig;
use crate::context::{Assertion, Decision};
use crate::dictionary::Entry;
use crate::status::Status;

/// What a mention stands for in the patient's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// An allergen the patient reacts to.
    Allergy,
    /// A drug the patient takes (or took).
    Medication,
    /// A problem or diagnosis.
    Condition,
    /// "No known allergies", "NKDA": a statement about allergies, not an allergen.
    NoKnownAllergy,
}

impl Role {
    /// The role's name in messages and identities.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Allergy => "allergy",
            Role::Medication => "medication",
            Role::Condition => "condition",
            Role::NoKnownAllergy => "no-known-allergy",
        }
    }
}

/// One place in the document that names a finding.
#[derive(Debug, Clone)]
pub struct Mention {
    /// What it stands for.
    pub role: Role,
    /// 1-based page number.
    pub page: u32,
    /// Byte span in the page's text: start.
    pub start: usize,
    /// Byte span in the page's text: end.
    pub end: usize,
    /// The same span in characters (Unicode scalar values), as the evidence reports it.
    pub char_start: usize,
    /// End of the span in characters.
    pub char_end: usize,
    /// The line of the page it starts on (0-based).
    pub line: usize,
    /// The words as written.
    pub text: String,
    /// The dictionary rows that give the concept and its codes.
    pub entries: Vec<Entry>,
    /// The section header as written, and its kind.
    pub section: Option<(String, String)>,
    /// Index of the section occurrence in the document (one table, one list).
    pub section_index: Option<usize>,
    /// What the context says, and which rule said it.
    pub decision: Decision,
    /// Clinical status from the row (a status cell, an end date) or the section
    /// (resolved, inactive, stopped, completed, on-hold, not-taken, active).
    pub status: Option<Status>,
    /// What set `status` ("row cell 'Resolved'", "end date 2020-07-05", "section 'Discontinued
    /// Medications'").
    pub status_rule: Option<String>,
    /// 1.0 for an exact dictionary match; lower for OCR-tolerant matches.
    pub confidence: f32,
    /// The dictionary's wording when the words were read through an OCR correction ("lype 2
    /// diabetes" read as "type 2 diabetes"): a better name than the misread words.
    pub reading: Option<String>,
    /// Read in a list (an allergy, medication or problem list), not in prose.
    pub listed: bool,
    /// Status cell, dates and end date of the mention's row.
    pub row: RowFacts,
    /// Dosage instructions (medications).
    pub sig: Option<Sig>,
    /// Reactions, criticality, type (allergies).
    pub allergy: Option<AllergyAttrs>,
}

impl Mention {
    /// A mention of `entries` at byte span `span` of page `page`, whose text is `text`: as
    /// read, before any stage adds to it (no section, present, no status, confidence 1, no
    /// row read yet).
    pub fn new(
        role: Role,
        page: u32,
        text: &str,
        span: std::ops::Range<usize>,
        entries: Vec<Entry>,
    ) -> Mention {
        Mention {
            role,
            page,
            start: span.start,
            end: span.end,
            char_start: text[..span.start].chars().count(),
            char_end: text[..span.end].chars().count(),
            line: text.as_bytes()[..span.start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            text: text[span].to_string(),
            entries,
            section: None,
            section_index: None,
            decision: Decision {
                assertion: Assertion::Present,
                rule: None,
            },
            status: None,
            status_rule: None,
            confidence: 1.0,
            reading: None,
            listed: false,
            row: RowFacts::default(),
            sig: None,
            allergy: None,
        }
    }

    /// Moves the mention's end to `end` of the page text `text` (a name read across a wrapped
    /// cell, two parts of one product joined).
    pub fn extend_to(&mut self, text: &str, end: usize) {
        self.end = end;
        self.char_end = text[..end].chars().count();
        self.text = text[self.start..end].to_string();
    }

    /// The latest date written in the mention's row, for "most recent wins".
    pub fn latest_date(&self) -> Option<&str> {
        self.row.dates.iter().map(String::as_str).max()
    }
}
