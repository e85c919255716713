//! Rows: each mention's row — the table row or label record it stands in — read for what
//! stands beside the finding: a status cell or an end date (which override what the section
//! implies), the row's dates, a medication's dosage, an allergy's reactions. The row reading
//! itself is [`crate::attributes`]; this stage finds each mention's row among its neighbours
//! and carries a table's end-date column over page breaks.

use std::collections::HashSet;

use crate::attributes;
use crate::mention::{Mention, Role};
use crate::status::{Applies, Status};

use super::page::PageView;
use super::roles::{ReactionTerm, SectionPolicy};

/// Sections (by occurrence) whose table has an end-date column, carried over page breaks.
#[derive(Debug, Default)]
pub(crate) struct EndColumns(HashSet<usize>);

/// Reads each mention's row: status cell, dates, end date, dosage, reactions.
pub(crate) fn read(
    page: &PageView<'_>,
    policy: &SectionPolicy<'_>,
    reactions: &[ReactionTerm],
    mentions: &mut Vec<Mention>,
    end_columns: &mut EndColumns,
) {
    // Mentions that are not findings of their own: a condition whose row prints a LOINC
    // code is the name of a test ("Generalized anxiety disorder 7 item (GAD-7) … Code: LOINC
    // 69737-5"); an allergen in parentheses after another names the same allergy.
    let mut dropped = Vec::new();
    let (pi, text, key) = (page.index, page.text, page.key);
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
        let section = policy.map.stretch(pi, m.start, text.len());
        let (row_start, row_end) = attributes::row_span(page.page, m.start, prev, next, section);
        let section_start = section.0;
        // A table header with an end-date column, on this page or an earlier page of the
        // same section.
        let has_end_column = m.section_index.is_some_and(|s| end_columns.0.contains(&s));
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
            end_columns.0.insert(s);
        }
        let role = m.role;
        let (ms, me) = (m.start, m.end);
        if role == Role::Condition && names_a_loinc_code(&text[row_start..row_end]) {
            dropped.push(i);
        }
        // "Intolerance of macrolides (erythromycin)", "ACE inhibitors - angioedema
        // (lisinopril, 2018)": a drug in parentheses after its allergen on the line names the
        // same allergy, not another one.
        if role == Role::Allergy
            && let Some(p) = prev
            && !text[p..ms].contains('\n')
            && text[p..ms]
                .rfind('(')
                .is_some_and(|o| !text[p + o..ms].contains(')'))
        {
            dropped.push(i);
            continue;
        }
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
            // A reaction stands after its own allergen: "Penicillin (hives), sulfa drugs" —
            // when the row was cut at the allergen before, the reactions start at this one.
            let reactions_from = if prev.is_some_and(|p| p == row_start) {
                ms
            } else {
                row_start
            };
            m.allergy = Some(attributes::allergy::read_row(
                text,
                key,
                reactions_from..row_end,
                ms..me,
                reactions,
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
    let mut i = 0;
    mentions.retain(|_| {
        i += 1;
        !dropped.contains(&(i - 1))
    });
}

/// True when a row prints a LOINC code ("Code: LOINC 69737-5", "LOINC: 4548-4").
fn names_a_loinc_code(row: &str) -> bool {
    row.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("loinc"))
}
