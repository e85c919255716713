//! Consolidate: one finding per concept per document, every mention kept as evidence.
//!
//! Mentions of one role are the same concept when they share what identifies it: for drugs
//! (taken or allergens) the set of ingredient codes, so "acetaminophen / codeine" stays apart
//! from "acetaminophen"; for conditions any shared code (SNOMED CT or ICD-10-CM). Uncoded
//! mentions group by their normalised words.
//!
//! Medications are reconciled per clinical drug (ingredients + strength, see
//! [`crate::dictionary::clinical`]): "everolimus 0.5 mg tablet" and "Zortress 0.5 mg" are one
//! MedicationStatement, "everolimus 0.75 mg" another. A mention without a strength
//! ("lisinopril") joins the one clinical drug of its ingredients in the document when there is
//! exactly one, else stands alone.

use std::collections::{BTreeMap, BTreeSet};

use crate::attributes::allergy::Reaction;
use crate::attributes::medication::Sig;
use crate::context::Assertion;
use crate::dictionary::{Entry, System, vocabulary};
use crate::mention::{Mention, Role};
use crate::normalize::fold::term_key;
use crate::status::Status;

mod drugs;
mod joins;
pub use drugs::clinical_drug;
use drugs::{drug_of, product_strengths};
pub(crate) use joins::allergy_classes_table;
use joins::{join_class_allergies, join_general_conditions};

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

/// The clinical drug a medication finding is: RxNorm ingredients, strength and dose form as
/// written, and the SCD they name when RxNorm has exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClinicalDrug {
    /// Ingredient (IN) RxNorm codes.
    pub ingredients: BTreeSet<String>,
    /// Strengths as RxNorm writes them ("0.5 MG", "2 MG/ML"), sorted; empty when not written.
    pub strengths: Vec<String>,
    /// RxNorm dose form ("Oral Tablet"), when written or given by the drug's name.
    pub form: Option<String>,
    /// The SCD (a brand's SBD is given as its generic SCD), when the words name one.
    pub scd: Option<Coding>,
    /// The strength is part of a clinical-drug name the words matched ("Simvastatin 20 MG Oral
    /// Tablet"): a product, never a dose.
    pub named: bool,
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
    /// Medications: the clinical drug (ingredients, strength, form, SCD).
    pub drug: Option<ClinicalDrug>,
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
        // Two strengths of one drug are two findings that may share their codes.
        let strength = self
            .drug
            .as_ref()
            .filter(|d| !d.strengths.is_empty())
            .map(|d| format!("|@{}", d.strengths.join(";")))
            .unwrap_or_default();
        format!(
            "{}|{}{wording}{strength}",
            self.role.as_str(),
            codes.join(",")
        )
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
    let drugs: Vec<Option<ClinicalDrug>> = mentions.iter().map(clinical_drug).collect();
    let strengths = product_strengths(&mentions, &drugs);
    // Per mention: its ingredient key (drugs).
    let mut ingredient_keys: Vec<Option<String>> = vec![None; n];
    for (i, m) in mentions.iter().enumerate() {
        let ids = identity_codes(m);
        let is_drug = matches!(m.role, Role::Medication | Role::Allergy)
            && m.entries.iter().any(Entry::is_ingredient);
        let keys: Vec<String> = if ids.is_empty() {
            vec![format!("text|{}", term_key(&m.text))]
        } else if is_drug {
            // The whole ingredient set is one key: combinations stay apart from their parts;
            // a medication's strength is part of it (one clinical drug per finding).
            let ingredients = ids.into_iter().collect::<Vec<_>>().join("+");
            ingredient_keys[i] = Some(ingredients.clone());
            match &strengths[i] {
                Some(s) => vec![format!("{ingredients}@{}", s.join(";"))],
                None => vec![ingredients],
            }
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
    // A medication named without its strength ("lisinopril", "continue furosemide") is the
    // one clinical drug of its ingredients in the document when there is exactly one
    // ("Lisinopril 10 MG Oral Tablet"); with several, the one named last before it (a note
    // refers back to the drug it last named), else the first after it.
    for i in 0..n {
        let strengthless = mentions[i].role == Role::Medication
            && ingredient_keys[i].is_some()
            && strengths[i].is_none();
        if !strengthless {
            continue;
        }
        let same: Vec<usize> = (0..n)
            .filter(|&j| {
                mentions[j].role == Role::Medication
                    && ingredient_keys[j] == ingredient_keys[i]
                    && strengths[j].is_some()
            })
            .collect();
        let Some(&j) = same.iter().rev().find(|&&j| j < i).or_else(|| same.first()) else {
            continue;
        };
        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    // A substance named in general terms — by its UNII class name ("Epoetin"), or a
    // medication by an ingredient that begins a longer one ("insulin", "potassium") — where
    // the document names one drug whose ingredient begins with it ("epoetin alfa", "insulin
    // glargine", "potassium chloride") is that drug, cut short.
    for (i, m) in mentions.iter().enumerate() {
        let drug = matches!(m.role, Role::Medication | Role::Allergy);
        let unii_only = !m.entries.is_empty() && m.entries.iter().all(|e| e.system == System::Unii);
        let general_ingredient = m.role == Role::Medication
            && drugs[i].as_ref().is_some_and(|d| {
                d.strengths.is_empty() && d.ingredients.len() == 1 && d.scd.is_none()
            });
        if !drug || !(unii_only || general_ingredient) {
            continue;
        }
        let name = if unii_only {
            m.entries[0].term.clone()
        } else {
            let code = drugs[i]
                .as_ref()
                .and_then(|d| d.ingredients.first().cloned());
            match m.entries.iter().find(|e| Some(&e.code) == code.as_ref()) {
                Some(e) => e.display.clone(),
                None => continue,
            }
        };
        let prefix = format!("{} ", term_key(&name));
        let owners: Vec<usize> = (0..n)
            .filter(|&j| {
                let o = &mentions[j];
                o.role == m.role
                    && o.entries
                        .iter()
                        .any(|e| e.is_ingredient() && term_key(&e.display).starts_with(&prefix))
            })
            .collect();
        let roots: BTreeSet<usize> = owners.iter().map(|&j| find(&mut parent, j)).collect();
        if let [j] = roots.into_iter().collect::<Vec<_>>()[..] {
            let a = find(&mut parent, i);
            if a != j {
                parent[a.max(j)] = a.min(j);
            }
        }
    }
    join_class_allergies(&mentions, &mut parent, find);
    join_general_conditions(&mentions, &mut parent, find);
    let mut groups: BTreeMap<usize, Vec<Mention>> = BTreeMap::new();
    for (i, m) in mentions.into_iter().enumerate() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(m);
    }
    groups.into_values().map(finding_of).collect()
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
    let drug = drug_of(&mentions);
    // The clinical drug's SCD first: the most specific code of a medication.
    let scd = drug.as_ref().and_then(|d| d.scd.clone());
    // One coding per (system, code).
    let mut seen = BTreeSet::new();
    let codings: Vec<Coding> = scd
        .into_iter()
        .chain(codings.into_iter().map(|(_, _, _, c)| c))
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
        drug,
        mentions,
    }
}

/// What an allergy finding is an allergy to, in the terms a "no known … allergies"
/// statement covers: medication, food, environment (latex is environment too).
fn allergy_kind_of(f: &Finding) -> &str {
    match f.category.as_deref() {
        Some(c) => c,
        None if f.codings.iter().any(|c| c.system == System::Rxnorm) => "medication",
        None => "",
    }
}

/// Whether a "no known allergies" finding covers an allergy of kind `kind`.
fn covers(nka: &Finding, kind: &str) -> bool {
    let covered = nka
        .mentions
        .iter()
        .flat_map(|m| &m.entries)
        .map(|e| e.category.as_str())
        .collect::<Vec<_>>();
    covered.iter().any(|c| {
        *c == "all" || *c == kind || (*c == "latex" && kind == "environment") || c.is_empty()
    })
}

/// An allergy asserted anywhere in the packet wins over "no known allergies": an EHR that
/// shows "NKA" would hide the alert. The "no known allergies" finding that covers it (NKA
/// covers all; NKDA drugs; NKFA foods) is dropped, its statements kept as evidence on the
/// allergy, which is flagged as a conflict. "No known food allergies" beside a drug allergy
/// contradicts nothing and stays.
pub fn flag_conflicts(findings: &mut Vec<Finding>) {
    let asserted = |f: &Finding| !matches!(f.assertion, Assertion::Negated | Assertion::Family);
    let mut dropped = BTreeSet::new();
    let mut evidence: Vec<(usize, Vec<Mention>, u32)> = Vec::new();
    for (a, allergy) in findings.iter().enumerate() {
        if allergy.role != Role::Allergy || !asserted(allergy) {
            continue;
        }
        let kind = allergy_kind_of(allergy);
        let mut statements = Vec::new();
        for (n, nka) in findings.iter().enumerate() {
            if nka.role == Role::NoKnownAllergy && asserted(nka) && covers(nka, kind) {
                dropped.insert(n);
                statements.extend(nka.mentions.iter().cloned());
            }
        }
        if let Some(page) = statements.iter().map(|m| m.page).min() {
            evidence.push((a, statements, page));
        }
    }
    for (a, statements, page) in evidence {
        let f = &mut findings[a];
        f.conflict = Some(format!(
            "the packet also says no known allergies (page {page}); the allergy is kept"
        ));
        f.mentions.extend(statements);
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !dropped.contains(&(i - 1))
    });
}
