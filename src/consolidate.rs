//! Consolidate: one finding per concept per document, every mention kept as evidence.
//!
//! Mentions of one role are the same concept when they share what identifies it: for drugs
//! (taken or allergens) the set of ingredient codes, so "Lisinopril 10 MG Oral Tablet" and
//! "lisinopril" are one medication while "acetaminophen / codeine" stays apart from
//! "acetaminophen"; for conditions any shared code (SNOMED CT or ICD-10-CM). Uncoded mentions
//! group by their normalised words.

use std::collections::{BTreeMap, BTreeSet};

use crate::attributes::allergy::Reaction;
use crate::attributes::medication::Sig;
use crate::context::Assertion;
use crate::dictionary::{Entry, System, vocabulary};
use crate::mention::{Mention, Role};
use crate::normalize::fold::term_key;
use crate::status::Status;

/// One coding of a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coding {
    /// The code system.
    pub system: System,
    /// The code.
    pub code: String,
    /// The code system's display.
    pub display: String,
}

/// A clinical fact about the patient, with its evidence.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What the finding is in the record.
    pub role: Role,
    /// Codings, most specific first within each system.
    pub codings: Vec<Coding>,
    /// The words as first written.
    pub text: String,
    /// Allergen category (medication, food, environment, biologic) when known.
    pub category: Option<String>,
    /// Every mention, in document order.
    pub mentions: Vec<Mention>,
    /// The assertion the finding carries.
    pub assertion: Assertion,
    /// Which rule or section decided it.
    pub decided_by: Option<String>,
    /// Clinical status from a row or section (resolved, inactive, stopped, completed …);
    /// `None` is active.
    pub status: Option<Status>,
    /// What decided the status.
    pub status_rule: Option<String>,
    /// The dates of the row that decided the status (ISO, in order).
    pub dates: Vec<String>,
    /// Whether that row has an end date.
    pub ended: bool,
    /// Distinct dosage instructions (medications), in document order.
    pub sigs: Vec<Sig>,
    /// Reactions (allergies), distinct, in document order.
    pub reactions: Vec<Reaction>,
    /// high | low (allergies).
    pub criticality: Option<String>,
    /// allergy | intolerance, when written.
    pub allergy_kind: Option<String>,
    /// Set when this finding contradicts another one of the document (e.g. an allergy and
    /// "no known allergies").
    pub conflict: Option<String>,
}

impl Finding {
    /// A stable identity for ids: role plus every code (or the words). Two findings of one
    /// document never share it: they would have been one finding (drugs group by their
    /// ingredient set, conditions by shared SNOMED CT codes), and "X" differs from "X / Y".
    pub fn identity(&self) -> String {
        if self.codings.is_empty() {
            return format!("{}|text|{}", self.role.as_str(), term_key(&self.text));
        }
        let codes: Vec<String> = self
            .codings
            .iter()
            .map(|c| format!("{}|{}", c.system.as_str(), c.code))
            .collect();
        // Conditions coded only by ICD-10-CM are told apart by their wording (see grouping).
        let icd_only = self.role == Role::Condition
            && !self.codings.iter().any(|c| c.system == System::Snomed);
        let wording = self
            .mentions
            .first()
            .and_then(|m| m.entries.first())
            .filter(|_| icd_only)
            .map(|e| format!("|{}", term_key(&e.term)))
            .unwrap_or_default();
        format!("{}|{}{wording}", self.role.as_str(), codes.join(","))
    }
}

/// The codes that identify a mention's concept for grouping.
fn identity_codes(m: &Mention) -> BTreeSet<String> {
    let drug = matches!(m.role, Role::Medication | Role::Allergy);
    let key = |e: &Entry| format!("{}|{}", e.system.as_str(), e.code);
    if drug {
        // Base ingredients (IN) first: "ampicillin sodium" (PIN) and "ampicillin" are one drug.
        for level in [1, 2] {
            let ingredients: BTreeSet<String> = m
                .entries
                .iter()
                .filter(|e| {
                    e.system == System::Rxnorm
                        && vocabulary::ingredient_level(e.tty.as_deref()) == Some(level)
                })
                .map(key)
                .collect();
            if !ingredients.is_empty() {
                return ingredients;
            }
        }
    }
    // Conditions: SNOMED CT names the concept; ICD-10-CM codes are coarser buckets ("Viral
    // sinusitis" and "Acute bacterial sinusitis" share J01.90 but are two problems).
    let snomed: BTreeSet<String> = m
        .entries
        .iter()
        .filter(|e| e.system == System::Snomed)
        .map(key)
        .collect();
    if !snomed.is_empty() {
        return snomed;
    }
    // Only ICD-10-CM: a bucket ("Proteinuria due to type 2 diabetes" and "Microalbuminuria
    // due to type 2 diabetes" are both E11.29), so the term itself tells the concept.
    let term = m
        .entries
        .first()
        .map(|e| term_key(&e.term))
        .unwrap_or_default();
    m.entries
        .iter()
        .map(|e| format!("{}|{term}", key(e)))
        .collect()
}

/// Groups mentions into findings. Mentions must be in document order.
pub fn consolidate(mentions: Vec<Mention>) -> Vec<Finding> {
    // Union-find over mentions of one role that share identity codes.
    let n = mentions.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while p[r] != r {
            r = p[r];
        }
        let mut i = i;
        while p[i] != r {
            let next = p[i];
            p[i] = r;
            i = next;
        }
        r
    }
    let mut owner: BTreeMap<(Role, String), usize> = BTreeMap::new();
    for (i, m) in mentions.iter().enumerate() {
        let ids = identity_codes(m);
        let is_drug = matches!(m.role, Role::Medication | Role::Allergy)
            && m.entries.iter().any(Entry::is_ingredient);
        let keys: Vec<String> = if ids.is_empty() {
            vec![format!("text|{}", term_key(&m.text))]
        } else if is_drug {
            // The whole ingredient set is one key: combinations stay apart from their parts.
            vec![ids.into_iter().collect::<Vec<_>>().join("+")]
        } else {
            ids.into_iter().collect()
        };
        for k in keys {
            match owner.get(&(m.role, k.clone())) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    owner.insert((m.role, k), i);
                }
            }
        }
    }
    // A substance named only by its UNII class name ("Epoetin") where the document names one
    // RxNorm ingredient that begins with it ("epoetin alfa") is that ingredient, cut short.
    for (i, m) in mentions.iter().enumerate() {
        let drug = matches!(m.role, Role::Medication | Role::Allergy);
        if !drug || m.entries.is_empty() || m.entries.iter().any(|e| e.system != System::Unii) {
            continue;
        }
        let prefix = format!("{} ", term_key(&m.entries[0].term));
        let mut owners = mentions.iter().enumerate().filter(|(_, o)| {
            o.role == m.role
                && o.entries
                    .iter()
                    .any(|e| e.is_ingredient() && term_key(&e.display).starts_with(&prefix))
        });
        let Some((j, first)) = owners.next() else {
            continue;
        };
        let codes = |o: &Mention| identity_codes(o);
        let whole = codes(first);
        if owners.any(|(_, o)| codes(o) != whole) {
            continue;
        }
        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    join_general_conditions(&mentions, &mut parent, find);
    let mut groups: BTreeMap<usize, Vec<Mention>> = BTreeMap::new();
    for (i, m) in mentions.into_iter().enumerate() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(m);
    }
    groups.into_values().map(finding_of).collect()
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
fn join_general_conditions(
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

/// A finding's name: the words of its first mention read exactly, else the dictionary's
/// wording of an OCR-corrected one.
fn name_of(mentions: &[Mention]) -> String {
    mentions
        .iter()
        .find(|m| m.reading.is_none())
        .map(|m| m.text.clone())
        .or_else(|| mentions.iter().find_map(|m| m.reading.clone()))
        .unwrap_or_default()
}

fn finding_of(mentions: Vec<Mention>) -> Finding {
    let first = &mentions[0];
    let mut codings: BTreeSet<(u8, System, u8, Coding)> = BTreeSet::new();
    for m in &mentions {
        for e in &m.entries {
            let specificity = vocabulary::specificity(e.tty.as_deref());
            let system_order = match (first.role, e.system) {
                (Role::Condition, System::Snomed) => 0,
                (Role::Condition, System::Icd10cm) => 1,
                (_, System::Rxnorm) => 0,
                (_, System::Snomed) => 1,
                (_, System::Unii) => 2,
                _ => 3,
            };
            codings.insert((
                system_order,
                e.system,
                specificity,
                Coding {
                    system: e.system,
                    code: e.code.clone(),
                    display: e.display.clone(),
                },
            ));
        }
    }
    // One coding per (system, code).
    let mut seen = BTreeSet::new();
    let codings: Vec<Coding> = codings
        .into_iter()
        .map(|(_, _, _, c)| c)
        .filter(|c| seen.insert((c.system, c.code.clone())))
        .collect();
    let category = first
        .entries
        .iter()
        .map(|e| e.category.as_str())
        .find(|c| vocabulary::allergy_categories().iter().any(|a| a == c))
        .map(str::to_string);
    // A present mention outweighs historical ones (the problem is on the list now); a
    // negated finding stays negated only when no mention asserts it.
    let rank = |a: Assertion| match a {
        Assertion::Present => 0,
        Assertion::Historical => 1,
        Assertion::Possible => 2,
        Assertion::Hypothetical => 3,
        Assertion::Negated => 4,
        Assertion::Family => 5,
    };
    let assertion = mentions
        .iter()
        .map(|m| m.decision.assertion)
        .min_by_key(|a| rank(*a))
        .unwrap_or(Assertion::Present);
    let candidates: Vec<&Mention> = mentions
        .iter()
        .filter(|m| m.decision.assertion == assertion)
        .collect();
    // The most recent row decides the status when rows carry dates; otherwise a mention that
    // lists the finding as current, and a disagreement is reported.
    let dated = candidates
        .iter()
        .filter(|m| m.latest_date().is_some())
        .max_by(|a, b| {
            a.latest_date()
                .cmp(&b.latest_date())
                .then(b.start.cmp(&a.start))
        });
    let mut conflict = None;
    let decider = match dated {
        Some(m) => *m,
        None => {
            let current = candidates.iter().find(|m| m.status.is_none());
            let ended = candidates.iter().find(|m| m.status.is_some());
            if let (Some(c), Some(e)) = (current, ended) {
                conflict = Some(format!(
                    "listed as current on page {} and as {} on page {}",
                    c.page,
                    e.status.map_or("", Status::as_str),
                    e.page
                ));
            }
            current.or(ended).copied().unwrap_or(first)
        }
    };
    let mut sigs: Vec<Sig> = Vec::new();
    let mut sig_keys: Vec<String> = Vec::new();
    for m in &mentions {
        if let Some(sig) = &m.sig {
            let key = term_key(&sig.text);
            if !sig.is_empty() && !sig_keys.contains(&key) {
                sigs.push(sig.clone());
                sig_keys.push(key);
            }
        }
    }
    let mut reactions: Vec<Reaction> = Vec::new();
    let mut criticality = None;
    let mut allergy_kind = None;
    for a in mentions.iter().filter_map(|m| m.allergy.as_ref()) {
        for r in &a.reactions {
            let key = |r: &Reaction| {
                r.entries
                    .first()
                    .map(|e| format!("{}|{}", e.system.as_str(), e.code))
                    .unwrap_or_else(|| term_key(&r.text))
            };
            match reactions.iter_mut().find(|x| key(x) == key(r)) {
                Some(x) if x.severity.is_none() => x.severity = r.severity.clone(),
                Some(_) => {}
                None => reactions.push(r.clone()),
            }
        }
        if a.criticality.as_deref() == Some("high") || criticality.is_none() {
            criticality = a.criticality.clone().or(criticality);
        }
        allergy_kind = allergy_kind.or(a.kind.clone());
    }
    Finding {
        role: first.role,
        codings,
        text: name_of(&mentions),
        category,
        assertion,
        decided_by: decider.decision.rule.clone(),
        status: decider.status,
        status_rule: decider.status_rule.clone(),
        dates: decider.row.dates.clone(),
        ended: decider.row.ended,
        sigs,
        reactions,
        criticality,
        allergy_kind,
        conflict,
        mentions,
    }
}

/// Marks findings that contradict each other: "no known allergies" beside an allergy.
pub fn flag_conflicts(findings: &mut [Finding]) {
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
