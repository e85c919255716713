//! Roles: what a term means where it stands. The section policy lives here, in one place:
//!
//! - where findings are read from ([`SectionPolicy::reads`], [`SectionPolicy::place`]):
//!   everywhere — lists, prose, text outside any section — but in sections about something
//!   else (results, vaccines, procedures, the patient header). Sections inform what a term
//!   means; they do not decide whether it is read;
//! - what a term may be where it stands ([`assign`]): in a list, the list's kind (a drug under
//!   "Allergies" is an allergen, under "Medications" a medication; a condition or reaction
//!   under "Allergies" is a reaction of the allergen in its row, [`split_reactions`]); in
//!   prose, what it names (a drug a medication, a disorder a condition; a symptom is not a
//!   problem). The statements around it may still change that (`terms`: "allergic to X");
//! - what a section implies about everything in it ([`SectionPolicy::implies`]): a family
//!   history is about relatives, a past history is historical, a discontinued, resolved or
//!   completed list sets the status.

use crate::context::{Assertion, Decision};
use crate::dictionary::{Entry, Kind};
use crate::mention::Role;
use crate::sections::{Finds, Implies, Reads, Section, SectionKind, SectionMap, SectionRules};
use crate::status::Status;

/// A condition or reaction term in an allergy section: the reaction of an allergen in its row
/// (page-text span, rows coding the manifestation).
pub(crate) type ReactionTerm = (usize, usize, Vec<Entry>);

/// The sections of one document, and what they let the stages read.
pub(crate) struct SectionPolicy<'a> {
    rules: &'a SectionRules,
    /// The document's sections.
    pub map: &'a SectionMap,
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
    /// What the section lists (`None` outside any section, or in prose).
    pub fn finds(&self) -> Option<Finds> {
        self.kind.and_then(|k| k.finds)
    }

    /// How the text here is read: text outside any known section is prose.
    pub fn reads(&self) -> Reads {
        self.kind.map_or(Reads::Prose, |k| k.reads)
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
        SectionPolicy { rules, map }
    }

    /// The section at `offset` of page index `pi`.
    pub fn at(&self, pi: usize, offset: usize) -> Place<'a> {
        let section = self.map.at(pi, offset);
        Place {
            section,
            kind: section.map(|s| self.rules.kind_of(s)),
        }
    }

    /// True when findings are read at `offset`: everywhere but in sections about something
    /// else (results, vaccines, procedures, the patient header). The OCR corrector and the
    /// approximate matcher ask too.
    pub fn reads(&self, pi: usize, offset: usize) -> bool {
        self.at(pi, offset).reads() != Reads::None
    }

    /// Where a term at `offset` stands, or `None` when terms there are not read.
    pub fn place(&self, pi: usize, offset: usize) -> Option<Place<'a>> {
        let place = self.at(pi, offset);
        (place.reads() != Reads::None).then_some(place)
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

/// In an allergy list, a term coded only as a condition or reaction is a reaction of the
/// allergen in its row, not a finding: its span and manifestation rows. `None` for a term
/// that is (also) an allergen or medication, or outside allergy lists.
pub(crate) fn split_reactions(
    finds: Option<Finds>,
    start: usize,
    end: usize,
    entries: &[Entry],
) -> Option<ReactionTerm> {
    if finds != Some(Finds::Allergy) {
        return None;
    }
    reaction(start, end, entries, &[Kind::Reaction, Kind::Condition])
}

/// The term as a reaction (its span and manifestation rows of `kinds`), when it names no drug
/// or allergen.
pub(crate) fn reaction(
    start: usize,
    end: usize,
    entries: &[Entry],
    kinds: &[Kind],
) -> Option<ReactionTerm> {
    let manifestations: Vec<Entry> = entries
        .iter()
        .filter(|e| kinds.contains(&e.kind))
        .cloned()
        .collect();
    let is_allergen = entries
        .iter()
        .any(|e| matches!(e.kind, Kind::Allergen | Kind::Medication));
    (!manifestations.is_empty() && !is_allergen).then_some((start, end, manifestations))
}

/// What a term may be where it stands, before its statement is read.
pub(crate) struct Candidate {
    /// The role the place gives it.
    pub role: Role,
    /// The rows that code it in that role.
    pub entries: Vec<Entry>,
    /// Its rows as an allergen, should a statement make it one ("allergic to X").
    pub allergen: Vec<Entry>,
    /// A substance that is only an allergen (a food, latex): an allergy only where a
    /// statement or an allergy list says so.
    pub needs_allergy_statement: bool,
    /// A symptom or sign (a SNOMED CT finding) read in prose: not a problem of the patient
    /// unless denied.
    pub symptom: bool,
}

/// Rows of `entries` of the first of `kinds` that has any; rows limited to a kind of section
/// (`Entry::section`) only in a list of that kind (`listed`).
fn pick(entries: &[Entry], kinds: &[Kind], listed: Option<&str>) -> Vec<Entry> {
    let section_ok = |e: &Entry| {
        e.section
            .as_deref()
            .is_none_or(|s| listed.is_some_and(|l| l == s))
    };
    for k in kinds {
        let rows: Vec<Entry> = entries
            .iter()
            .filter(|e| e.kind == *k && section_ok(e))
            .cloned()
            .collect();
        if !rows.is_empty() {
            return rows;
        }
    }
    Vec::new()
}

/// The rows of `entries` that code a finding of `role`, in a list of that role or not.
pub(crate) fn rows_for(role: Role, listed: bool, entries: &[Entry]) -> Vec<Entry> {
    match role {
        Role::Allergy => pick(
            entries,
            &[Kind::Allergen, Kind::Medication],
            listed.then_some("allergies"),
        ),
        Role::Medication => pick(
            entries,
            &[Kind::Medication],
            listed.then_some("medications"),
        ),
        Role::Condition => pick(
            entries,
            &[Kind::Condition, Kind::Reaction],
            listed.then_some("problems"),
        ),
        Role::NoKnownAllergy => Vec::new(),
    }
}

/// The role a term plays where it stands, and the rows that code it: in a list, the list's
/// kind (a drug under "Allergies" is an allergen; a drug in a problem list is still a drug);
/// in prose, what the term names — a drug is a medication, a disorder a condition, a
/// symptom a condition only where denied or in a diagnosis section.
pub(crate) fn assign(place: Place<'_>, entries: &[Entry]) -> Option<Candidate> {
    let reads = place.reads();
    let allergen = rows_for(
        Role::Allergy,
        place.finds() == Some(Finds::Allergy),
        entries,
    );
    let candidate = |role: Role, rows: Vec<Entry>| {
        let symptom = role == Role::Condition
            && matches!(reads, Reads::Prose | Reads::Diagnoses)
            && rows.iter().all(|e| e.category == "finding");
        (!rows.is_empty()).then(|| Candidate {
            role,
            entries: rows,
            allergen: allergen.clone(),
            needs_allergy_statement: false,
            symptom,
        })
    };
    match place.finds() {
        Some(Finds::Allergy) => candidate(Role::Allergy, allergen.clone()),
        Some(Finds::Medication) => {
            candidate(Role::Medication, rows_for(Role::Medication, true, entries))
        }
        Some(Finds::Condition) => {
            candidate(Role::Condition, rows_for(Role::Condition, true, entries))
                .or_else(|| candidate(Role::Medication, rows_for(Role::Medication, false, entries)))
        }
        None => candidate(Role::Medication, rows_for(Role::Medication, false, entries))
            .or_else(|| {
                let conditions = pick(entries, &[Kind::Condition], None);
                (reads != Reads::Plan)
                    .then(|| candidate(Role::Condition, conditions))
                    .flatten()
            })
            .or_else(|| {
                // A food or an environmental allergen named in prose.
                let mut c = candidate(Role::Allergy, allergen.clone())?;
                c.needs_allergy_statement = true;
                Some(c)
            }),
    }
}
