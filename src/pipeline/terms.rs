//! Mentions: a page's dictionary matches (and its "no known allergies" statements) become
//! mentions, each with its role, its section, the assertion its context gives it, what its
//! section implies, and how sure the reading is.

use crate::attributes::allergy;
use crate::context::{Assertion, ContextRules, PageContext};
use crate::dictionary::matcher::TermMatch;
use crate::mention::{Mention, Role};

use super::page::PageView;
use super::roles::{self, ReactionTerm, SectionPolicy};

/// Confidence of a term read approximately, from its cost in half-edits.
pub(crate) fn approximate_confidence(cost: u16) -> f32 {
    match cost {
        0..=2 => 0.85,
        3..=6 => 0.75,
        _ => 0.65,
    }
}

/// The mentions of a page's term matches, in match order, and the reaction terms of its
/// allergy sections (for the allergens' rows). Terms in page furniture or header lines, terms
/// where findings are not read, terms no role takes and mentions of relatives are dropped.
pub(crate) fn mentions(
    page: &PageView<'_>,
    policy: &SectionPolicy<'_>,
    context: &ContextRules,
    triggers: &PageContext,
    terms: Vec<TermMatch>,
) -> (Vec<Mention>, Vec<ReactionTerm>) {
    let (pi, text, key) = (page.index, page.text, &page.match_key);
    let mut mentions = Vec::new();
    let mut reactions = Vec::new();
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
        let Some((role, entries)) = roles::assign(place.finds(), place.kind.is_none(), m.entries)
        else {
            continue;
        };
        let (ks, ke) = (
            key.key_offset(m.start),
            key.key_offset(m.end).max(key.key_offset(m.start) + 1),
        );
        let decision = context.assert(triggers, key, ks, ke.min(key.key.len()));
        let (decision, status) = policy.implies(place, decision);
        if decision.assertion == Assertion::Family {
            continue; // about a relative: never the patient's finding
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
        mention.section = place.label();
        mention.section_index = policy.map.index_at(pi, m.start);
        mention.decision = decision;
        if let Some((status, rule)) = status {
            mention.status = Some(status);
            mention.status_rule = Some(rule);
        }
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
