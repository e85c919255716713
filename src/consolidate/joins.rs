//! Joining rules of consolidation: mentions that name one finding in different words (a
//! class allergen and its member drug; a condition named in general terms and the one listed
//! condition it refers to).

use std::collections::{BTreeMap, BTreeSet};

use crate::context::Assertion;
use crate::dictionary::System;
use crate::mention::{Mention, Role};
use crate::normalize::fold::term_key;

/// `dictionaries/allergy-classes.tsv`: drug-class allergen code (SNOMED CT) → the
/// ingredients (by name) that belong to the class.
static ALLERGY_CLASSES: std::sync::LazyLock<BTreeMap<String, BTreeSet<String>>> =
    std::sync::LazyLock::new(|| crate::tables::shipped(allergy_classes_table()));

/// Loads `dictionaries/allergy-classes.tsv`.
pub(crate) fn allergy_classes_table()
-> Result<BTreeMap<String, BTreeSet<String>>, crate::tables::TableError> {
    let text = include_str!("../../dictionaries/allergy-classes.tsv");
    let rows = crate::tables::Table::parse("allergy-classes.tsv", text)?
        .map(|r| Ok((r.get("class_code")?.to_string(), term_key(r.get("member")?))))?;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (class, member) in rows {
        out.entry(class).or_default().insert(member);
    }
    Ok(out)
}

/// A class allergen and a member drug of that class in one packet are one allergy:
/// "Intolerance of macrolides (erythromycin)", "statins" beside "atorvastatin" and
/// "rosuvastatin", "ACE inhibitors - angioedema" beside "lisinopril" — unless both are rows
/// of allergy lists, where the author listed them apart.
pub(super) fn join_class_allergies(
    mentions: &[Mention],
    parent: &mut [usize],
    find: fn(&mut [usize], usize) -> usize,
) {
    let classes = &*ALLERGY_CLASSES;
    let mut joins = Vec::new();
    for (i, c) in mentions.iter().enumerate() {
        if c.role != Role::Allergy || c.decision.assertion == Assertion::Negated {
            continue;
        }
        for members in c
            .entries
            .iter()
            .filter(|e| e.system == System::Snomed)
            .filter_map(|e| classes.get(&e.code))
        {
            for (j, m) in mentions.iter().enumerate() {
                // Rows of allergy lists are the author's own entries (a table listing
                // "Penicillins" and "Penicillin G Benzathine" means both, and so does its
                // copy in the next document): only a mention in prose joins its class.
                // A member written right after its class in one entry ("ACE inhibitors -
                // angioedema (lisinopril)", "ACE inhibitor cough with lisinopril") is that entry.
                let one_entry = c.page == m.page && c.line == m.line;
                let apart = c.listed && m.listed && !one_entry;
                let member = m.role == Role::Allergy
                    && !apart
                    && m.decision.assertion != Assertion::Negated
                    && m.entries.iter().any(|e| {
                        e.system == System::Rxnorm
                            && e.is_ingredient()
                            && members.contains(&term_key(&e.display))
                    });
                if member {
                    joins.push((i, j));
                }
            }
        }
    }
    for (a, b) in joins {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Words that end a condition's head: what follows names another thing ("neuropathy due to
/// type 2 diabetes", "anemia of chronic kidney disease", "pneumonia with effusion").
const RELATION_WORDS: &[&str] = &[
    "due",
    "secondary",
    "associated",
    "with",
    "without",
    "of",
    "in",
    "caused",
    "following",
    "after",
    "from",
    "on",
];

/// A condition named in general terms in prose ("heart failure", "diabetes", "atrial
/// fibrillation") where the document names exactly one condition whose head holds those words ("chronic
/// systolic heart failure", "type 2 diabetes mellitus", "permanent atrial fibrillation") is that
/// condition: a note names a problem once in full and then refers back to it. When both carry
/// ICD-10-CM codes they must share the category (E11 …), so "diabetes mellitus type 1" never
/// joins a type 2.
pub(super) fn join_general_conditions(
    mentions: &[Mention],
    parent: &mut [usize],
    find: fn(&mut [usize], usize) -> usize,
) {
    // Per group of conditions: its names (words as written, the term read, its SNOMED CT
    // name — not ICD-10-CM's, whose buckets are wider than the problem), ICD categories, and
    // whether prose names it (a list names each problem once, general or not).
    type Names = (BTreeSet<Vec<String>>, BTreeSet<String>, bool);
    let mut names: BTreeMap<usize, Names> = BTreeMap::new();
    for (i, m) in mentions.iter().enumerate() {
        if m.role != Role::Condition || m.decision.assertion == Assertion::Negated {
            continue;
        }
        let r = find(parent, i);
        let entry = names.entry(r).or_default();
        let words =
            |s: &str| -> Vec<String> { term_key(s).split(' ').map(str::to_string).collect() };
        entry.0.insert(words(&m.text));
        entry.2 |= !m.listed;
        for e in &m.entries {
            entry.0.insert(words(&e.term));
            match e.system {
                System::Snomed => {
                    entry.0.insert(words(&e.display));
                }
                System::Icd10cm => {
                    entry.1.insert(e.code.chars().take(3).collect());
                }
                _ => {}
            }
        }
    }
    let head = |w: &[String]| -> usize {
        w.iter()
            .position(|x| RELATION_WORDS.contains(&x.as_str()))
            .unwrap_or(w.len())
    };
    let holds = |general: &[String], specific: &[String]| {
        let h = &specific[..head(specific)];
        general.len() < h.len() && h.windows(general.len()).any(|win| win == general)
    };
    let groups: Vec<usize> = names.keys().copied().collect();
    let mut joins = Vec::new();
    for &a in &groups {
        let (a_names, a_icd, in_prose) = &names[&a];
        if !in_prose {
            continue;
        }
        let wider: Vec<usize> = groups
            .iter()
            .copied()
            .filter(|&b| b != a)
            .filter(|b| {
                let (b_names, b_icd, _) = &names[b];
                let related = a_icd.is_empty() || b_icd.is_empty() || !a_icd.is_disjoint(b_icd);
                related && a_names.iter().any(|g| b_names.iter().any(|s| holds(g, s)))
            })
            .collect();
        if let [b] = wider[..] {
            joins.push((a, b));
        }
    }
    for (a, b) in joins {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
}
