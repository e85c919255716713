//! Roles: what a term means where it stands. The section policy lives here, in one place:
//!
//! - where findings are read from ([`SectionPolicy::reads`], [`SectionPolicy::place`]): in
//!   sections that list findings, or anywhere in a document without such sections;
//! - what role a term plays in its section ([`assign`]): a drug under "Allergies" is an
//!   allergen, under "Medications" a medication; a condition or reaction under "Allergies" is
//!   a reaction of the allergen in its row ([`split_reactions`]);
//! - what a section implies about everything in it ([`SectionPolicy::implies`]): a family
//!   history is about relatives, a past history is historical, a discontinued, resolved or
//!   completed list sets the status.

use crate::context::{Assertion, Decision};
use crate::dictionary::{Entry, Kind};
use crate::mention::Role;
use crate::sections::{Finds, Implies, Section, SectionKind, SectionMap, SectionRules};
use crate::status::Status;

/// A condition or reaction term in an allergy section: the reaction of an allergen in its row
/// (page-text span, rows coding the manifestation).
pub(crate) type ReactionTerm = (usize, usize, Vec<Entry>);

/// The sections of one document, and what they let the stages read.
pub(crate) struct SectionPolicy<'a> {
    rules: &'a SectionRules,
    /// The document's sections.
    pub map: &'a SectionMap,
    /// Whether any section lists findings; without one (a free-text note), a term anywhere
    /// stands for itself.
    any_clinical: bool,
}

/// Where a term stands: its section (if any) and the section's kind.
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    /// The section occurrence.
    pub section: Option<&'a Section>,
    /// Its kind (what it lists, what it implies).
    pub kind: Option<&'a SectionKind>,
}

impl Place<'_> {
    /// What the section lists (`None` outside any section).
    pub fn finds(&self) -> Option<Finds> {
        self.kind.and_then(|k| k.finds)
    }

    /// The section header as written and its kind's name, for the evidence.
    pub fn label(&self) -> Option<(String, String)> {
        self.section
            .zip(self.kind)
            .map(|(s, k)| (s.header.clone(), k.name.clone()))
    }
}

impl<'a> SectionPolicy<'a> {
    /// The policy over a document's sections.
    pub fn new(rules: &'a SectionRules, map: &'a SectionMap) -> SectionPolicy<'a> {
        let any_clinical = map
            .sections
            .iter()
            .any(|s| rules.kind_of(s).finds.is_some());
        SectionPolicy {
            rules,
            map,
            any_clinical,
        }
    }

    /// The section at `offset` of page index `pi`.
    pub fn at(&self, pi: usize, offset: usize) -> Place<'a> {
        let section = self.map.at(pi, offset);
        Place {
            section,
            kind: section.map(|s| self.rules.kind_of(s)),
        }
    }

    /// True when findings are read at `offset`: in a section that lists findings, or anywhere
    /// in a document without one. The OCR corrector and the approximate matcher ask too.
    pub fn reads(&self, pi: usize, offset: usize) -> bool {
        match self.at(pi, offset).kind {
            Some(k) => k.finds.is_some(),
            None => !self.any_clinical,
        }
    }

    /// Where a term at `offset` stands, or `None` when terms there are not read: outside any
    /// section of a document that has clinical sections. (A term in a section that lists
    /// nothing is still placed: its section's assertion, a family history, applies.)
    pub fn place(&self, pi: usize, offset: usize) -> Option<Place<'a>> {
        let place = self.at(pi, offset);
        (place.kind.is_some() || !self.any_clinical).then_some(place)
    }

    /// The kind of section named `name` (a mention's recorded kind).
    pub fn kind(&self, name: &str) -> Option<&'a SectionKind> {
        self.rules.kind(name)
    }

    /// What a section says about a mention the context decided `decision` for: a family
    /// history makes it a relative's; a past history makes a present mention historical; a
    /// discontinued, resolved or completed list sets a present mention's status (with the
    /// rule that set it).
    pub fn implies(
        &self,
        place: Place<'_>,
        decision: Decision,
    ) -> (Decision, Option<(Status, String)>) {
        let (Some(imp), Some(sec)) = (place.kind.and_then(|k| k.implies), place.section) else {
            return (decision, None);
        };
        let rule = format!("section '{}'", sec.header);
        let section_says = |assertion| Decision {
            assertion,
            rule: Some(rule.clone()),
        };
        match imp {
            Implies::Family => (section_says(Assertion::Family), None),
            _ if decision.assertion != Assertion::Present => (decision, None),
            Implies::Historical => (section_says(Assertion::Historical), None),
            Implies::Resolved => (decision, Some((Status::Resolved, rule))),
            Implies::Stopped => (decision, Some((Status::Stopped, rule))),
            Implies::Completed => (decision, Some((Status::Completed, rule))),
        }
    }

    /// True for a section about relatives ("no known allergies" there is not the patient's).
    pub fn is_family(&self, place: Place<'_>) -> bool {
        place
            .kind
            .is_some_and(|k| k.implies == Some(Implies::Family))
    }
}

/// In an allergy section, a term coded only as a condition or reaction is a reaction of the
/// allergen in its row, not a finding: its span and manifestation rows. `None` for a term
/// that is (also) an allergen or medication, or outside allergy sections.
pub(crate) fn split_reactions(
    finds: Option<Finds>,
    start: usize,
    end: usize,
    entries: &[Entry],
) -> Option<ReactionTerm> {
    if finds != Some(Finds::Allergy) {
        return None;
    }
    let manifestations: Vec<Entry> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Reaction | Kind::Condition))
        .cloned()
        .collect();
    let is_allergen = entries
        .iter()
        .any(|e| matches!(e.kind, Kind::Allergen | Kind::Medication));
    (!manifestations.is_empty() && !is_allergen).then_some((start, end, manifestations))
}

/// Picks the role a term plays in its section and the rows that code it.
pub(crate) fn assign(
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
