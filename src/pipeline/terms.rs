//! Mentions: a page's dictionary matches (and its "no known allergies" statements) become
//! mentions, each with its role, its section, the assertion its context gives it, what its
//! section and its statement say about its status, and how sure the reading is.
//!
//! Two passes. The first places every term and gives it the role its place suggests (see
//! [`roles::assign`]). The second reads each term's statement with the context rules, which
//! need to know where the other findings stand ("Tylenol PRN, lisinopril": a modifier after a
//! list item is that item's): statement cues may make a drug an allergen ("allergic to X", "X
//! gave her hives"), the words a reaction of it, and give a drug or a problem its status
//! ("stopped X", "X was held", "received X", "pneumonia in 2019, resolved").

use crate::attributes::{allergy, medication};
use crate::context::{
    Assertion, Category, ContextRules, Decision, PageContext, Target, TargetSpan,
};
use crate::dictionary::matcher::TermMatch;
use crate::dictionary::{Dictionary, Kind};
use crate::mention::{Mention, Role};
use crate::normalize::KeyText;
use crate::sections::{Finds, Reads};
use crate::status::Status;

use super::page::PageView;
use super::roles::{self, Candidate, Place, ReactionTerm, SectionPolicy};

/// Confidence of a term read approximately, from its cost in half-edits.
pub(crate) fn approximate_confidence(cost: u16) -> f32 {
    match cost {
        0..=2 => 0.85,
        3..=6 => 0.75,
        _ => 0.65,
    }
}

/// The kind of finding a role is for the context rules.
fn target(role: Role) -> Target {
    match role {
        Role::Allergy | Role::NoKnownAllergy => Target::Allergy,
        Role::Medication => Target::Medication,
        Role::Condition => Target::Condition,
    }
}

/// The statement cues that make a drug an allergen.
const ALLERGEN: &[Category] = &[Category::Allergen, Category::AllergenIfReaction];
/// The statement cues of a drug's course (the nearest wins; ties in this order).
const MEDICATION_COURSE: &[Category] = &[
    Category::NotTaken,
    Category::Stopped,
    Category::OnHold,
    Category::Completed,
    Category::Active,
];
/// The statement cues of a problem's course; a past episode only for a problem of the
/// history.
const CONDITION_COURSE: &[Category] = &[Category::Active, Category::Resolved];
const HISTORY_COURSE: &[Category] = &[Category::Active, Category::Resolved, Category::PastEpisode];

/// A placed term of the first pass.
struct Placed<'p> {
    term: TermMatch,
    place: Place<'p>,
    candidate: Candidate,
    /// Key span on the match key.
    ks: usize,
    ke: usize,
}

/// The mentions of a page's term matches, in match order, and the reaction terms of its
/// allergy lists and allergy statements (for the allergens' rows). Terms in page furniture or
/// header lines, terms where findings are not read, terms no role takes, symptoms read in
/// prose and mentions of relatives are dropped.
pub(crate) fn mentions(
    page: &PageView<'_>,
    policy: &SectionPolicy<'_>,
    context: &ContextRules,
    dictionary: &Dictionary,
    triggers: &PageContext,
    terms: Vec<TermMatch>,
) -> (Vec<Mention>, Vec<ReactionTerm>) {
    let (pi, text, key) = (page.index, page.text, &page.match_key);
    let mut reactions = Vec::new();
    // Pass 1: place every term.
    let mut placed: Vec<Placed<'_>> = Vec::new();
    for m in terms {
        if page.in_furniture(m.start, m.end) || policy.map.in_header(pi, m.start, m.end) {
            continue;
        }
        let Some(place) = policy.place(pi, m.start) else {
            continue;
        };
        if let Some(r) = roles::split_reactions(place.finds(), m.start, m.end, &m.entries) {
            reactions.push(r);
            continue;
        }
        // A reaction named in prose may be an allergen's ("allergic to codeine, which makes
        // her vomit"); the rows stage attaches it only inside an allergen's row.
        if let Some(r) = roles::reaction(m.start, m.end, &m.entries, &[Kind::Reaction]) {
            reactions.push(r);
        }
        let Some(candidate) = roles::assign(place, &m.entries) else {
            continue;
        };
        let ks = key.key_offset(m.start);
        let ke = key
            .key_offset(m.end)
            .max(ks + 1)
            .min(key.key.len().max(ks + 1));
        placed.push(Placed {
            term: m,
            place,
            candidate,
            ks,
            ke,
        });
    }
    let spans: Vec<TargetSpan> = placed
        .iter()
        .map(|p| TargetSpan {
            start: p.ks,
            end: p.ke,
            kind: target(p.candidate.role),
        })
        .collect();
    // Pass 2: read each term's statement.
    let mut mentions: Vec<Mention> = Vec::new();
    for (i, p) in placed.iter().enumerate() {
        let (ks, ke) = (p.ks, p.ke.min(key.key.len()));
        let m = &p.term;
        let mut role = p.candidate.role;
        // "GREENFIELD CANCER CENTER", "ASA class II": a name, not a finding.
        if context
            .cue(
                triggers,
                key,
                ks,
                ke,
                target(role),
                &spans,
                &[Category::NotAFinding],
            )
            .is_some()
        {
            continue;
        }
        let mut entries = p.candidate.entries.clone();
        // A statement that makes a drug or a substance an allergen ("allergic to X").
        let drug =
            matches!(role, Role::Medication | Role::Allergy) && !p.candidate.allergen.is_empty();
        let allergen_cue = drug
            .then(|| context.cue(triggers, key, ks, ke, Target::Medication, &spans, ALLERGEN))
            .flatten()
            .filter(|cue| {
                cue.category == Category::Allergen
                    || reaction_after(&placed, cue.end, i, |a, b| {
                        context.same_statement(triggers, a, b)
                    })
            });
        if allergen_cue.is_some() {
            role = Role::Allergy;
            entries = p.candidate.allergen.clone();
        } else if p.candidate.needs_allergy_statement {
            continue;
        } else if role == Role::Allergy
            && p.place.finds() == Some(Finds::Allergy)
            && m.entries.iter().any(|e| e.kind == Kind::Medication)
            && (medication_line(text, page.key, m.start, m.end)
                || context
                    .cue(
                        triggers,
                        key,
                        ks,
                        ke,
                        Target::Medication,
                        &spans,
                        &[Category::Active, Category::Completed],
                    )
                    .is_some())
        {
            // "Lisinopril 10 mg daily", "takes aspirin", "required epinephrine" under an
            // allergies header (or one that ran on): a medication, not an allergen.
            role = Role::Medication;
            entries = roles::rows_for(Role::Medication, false, &m.entries);
            if entries.is_empty() {
                continue;
            }
        }
        // A problem named as the reaction of an allergen of its statement ("lisinopril caused
        // angioedema") is that allergy's reaction, not a problem of its own.
        if role == Role::Condition
            && p.place.reads() != Reads::List
            && allergy_before(&placed, &mentions, i, |a, b| {
                context.same_statement(triggers, a, b)
            })
        {
            if let Some(r) = roles::reaction(
                m.start,
                m.end,
                &m.entries,
                &[Kind::Reaction, Kind::Condition],
            ) && !reactions.iter().any(|x| x.0 == r.0 && x.1 == r.1)
            {
                reactions.push(r);
            }
            continue;
        }
        let mut decision = context.assert_target(triggers, key, ks, ke, Some(target(role)), &spans);
        // "History of DVT", "h/o stroke": a term that is itself a history statement, of a
        // disorder ("s/p appendectomy" is one of a procedure).
        let history_term = (role == Role::Condition)
            .then(|| context.opens(triggers, ks, ke, Category::Historical))
            .flatten()
            .filter(|&(_, after)| names_disorder(dictionary, key, after + 1, ke));
        if let Some((rule, _)) = &history_term
            && decision.assertion == Assertion::Present
        {
            decision = Decision {
                assertion: Assertion::Historical,
                rule: Some(rule.clone()),
            };
        }
        // "?pneumonia": a question mark written right before a problem is a doubt.
        if role == Role::Condition
            && decision.assertion == Assertion::Present
            && questioned(text, m.start)
        {
            decision = Decision {
                assertion: Assertion::Possible,
                rule: Some("'?' before it".to_string()),
            };
        }
        let (decision, status) = policy.implies(p.place, decision);
        if decision.assertion == Assertion::Family {
            continue; // about a relative: never the patient's finding
        }
        // A symptom in prose is not a problem; its denial is kept (a refuted condition).
        if role == Role::Condition
            && p.candidate.symptom
            && history_term.is_none()
            && decision.assertion != Assertion::Negated
        {
            continue;
        }
        // OCR'd words corrected inside the term, or a term read approximately.
        let corrected = page
            .changes
            .iter()
            .filter(|c| c.start < m.key_end && m.key_start < c.end)
            .map(|c| c.confidence)
            .chain((m.cost > 0).then(|| approximate_confidence(m.cost)))
            .fold(None, |a: Option<f32>, c| Some(a.map_or(c, |a| a.min(c))));
        let reading = corrected
            .and_then(|_| entries.first())
            .map(|e| e.term.clone());
        let mut mention = Mention::new(role, page.page.number, text, m.start..m.end, entries);
        mention.section = p.place.label();
        mention.section_index = policy.map.index_at(pi, m.start);
        mention.listed = p.place.reads() == Reads::List;
        if let Some((status, rule)) = status {
            mention.status = Some(status);
            mention.status_rule = Some(rule);
        }
        // The statement's word on the course, nearer than the section's.
        let course = match role {
            Role::Medication => MEDICATION_COURSE,
            Role::Condition if decision.assertion == Assertion::Historical => HISTORY_COURSE,
            Role::Condition => CONDITION_COURSE,
            _ => &[],
        };
        if let Some(cue) = context.cue(triggers, key, ks, ke, target(role), &spans, course) {
            let status = match cue.category {
                Category::Stopped => Some(Status::Stopped),
                Category::OnHold => Some(Status::OnHold),
                Category::Completed => Some(Status::Completed),
                Category::Active => Some(Status::Active),
                Category::NotTaken => Some(Status::NotTaken),
                Category::Resolved | Category::PastEpisode => Some(Status::Resolved),
                _ => None,
            };
            if let Some(status) = status {
                mention.status = Some(status);
                mention.status_rule = Some(cue.rule);
            }
        }
        mention.decision = decision;
        mention.confidence = match (page.ocr, corrected) {
            (false, _) => 1.0,
            (true, None) => 0.95,
            (true, Some(c)) => c,
        };
        mention.reading = reading;
        mentions.push(mention);
    }
    (mentions, reactions)
}

/// True when the key span `start..end` is exactly a disorder term of the dictionary.
fn names_disorder(dictionary: &Dictionary, key: &KeyText, start: usize, end: usize) -> bool {
    if start >= end {
        return false;
    }
    let mut found = Vec::new();
    dictionary.prefixes(key.key.as_bytes(), start, &mut found);
    found.into_iter().any(|(e, group)| {
        e == end
            && dictionary
                .entries(group)
                .iter()
                .any(|r| r.kind == Kind::Condition && r.category == "disorder")
    })
}

/// True when a question mark stands right before `at` ("?pneumonia", "? UTI"), not ending a
/// word before it ("pneumonia? No.").
fn questioned(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches(' ');
    before.ends_with('?')
        && before[..before.len() - 1]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
}

/// True when the words after a drug name on its line are a medication's: a strength, a
/// route or a frequency ("Memantine 10 mg tab 1 tab PO twice daily") — not an allergy entry.
fn medication_line(text: &str, key: &KeyText, start: usize, end: usize) -> bool {
    let line_end = line_end(text, end);
    if medication::has_strength(&text[start..floor(text, line_end.min(end + 24))]) {
        return true;
    }
    let sig = medication::parse_sig(text, key, start..line_end, end);
    sig.route.is_some() || sig.frequency.is_some()
}

/// `at`, or the char boundary before it.
fn floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// End of the line that `at` is on.
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |p| at + p)
}

/// True when a reaction term follows key offset `from` in the same statement (the reaction
/// of "X causes hives").
fn reaction_after(
    placed: &[Placed<'_>],
    from: usize,
    me: usize,
    same: impl Fn(usize, usize) -> bool,
) -> bool {
    placed.iter().enumerate().any(|(j, p)| {
        j != me
            && p.ks >= from
            && same(from, p.ks)
            && p.term
                .entries
                .iter()
                .any(|e| matches!(e.kind, Kind::Reaction | Kind::Condition))
    })
}

/// True when an allergy mention of the page stands before term `i` in its statement.
fn allergy_before(
    placed: &[Placed<'_>],
    mentions: &[Mention],
    i: usize,
    same: impl Fn(usize, usize) -> bool,
) -> bool {
    let ks = placed[i].ks;
    mentions.iter().rev().any(|m| {
        m.role == Role::Allergy
            && placed
                .iter()
                .find(|p| p.term.start == m.start)
                .is_some_and(|p| p.ke <= ks && same(p.ke, ks))
    })
}

/// "No known allergies" and kin, anywhere on the page but in page furniture or a family
/// history.
pub(crate) fn no_known_allergies(page: &PageView<'_>, policy: &SectionPolicy<'_>) -> Vec<Mention> {
    let mut out = Vec::new();
    for (span, entry) in allergy::no_known_allergies(page.text, page.key) {
        if page.in_furniture(span.start, span.end) {
            continue;
        }
        let place = policy.at(page.index, span.start);
        if policy.is_family(place) {
            continue;
        }
        // "None known", "None": a statement only as the whole entry of an allergy section.
        if let Some(kind) = &entry.section {
            let in_section = place.label().is_some_and(|(_, k)| &k == kind);
            let line_start = page.text[..span.start].rfind('\n').map_or(0, |p| p + 1);
            let before = page.text[line_start..span.start].trim();
            let after = page.text[span.end..line_end(page.text, span.end)]
                .trim_matches(|c: char| c.is_whitespace() || matches!(c, '.' | ';' | ','));
            let alone = (before.is_empty() || before.ends_with(':')) && after.is_empty();
            if !in_section || !alone {
                continue;
            }
        }
        let start = span.start;
        let mut m = Mention::new(
            Role::NoKnownAllergy,
            page.page.number,
            page.text,
            span,
            vec![entry],
        );
        m.section = place.label();
        m.section_index = policy.map.index_at(page.index, start);
        out.push(m);
    }
    out
}
