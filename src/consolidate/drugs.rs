//! The clinical drug of a medication: ingredient(s) + strength + dose form, and its RxNorm
//! SCD coding (issue #12: one statement per clinical drug).

use std::collections::BTreeSet;

use crate::attributes::medication::find_strength;
use crate::dictionary::clinical::{self, ClinicalDrugRow};
use crate::dictionary::{System, vocabulary};
use crate::mention::{Mention, Role};

use super::{ClinicalDrug, Coding};

pub(super) fn scd_coding(row: &ClinicalDrugRow) -> Coding {
    Coding {
        system: System::Rxnorm,
        code: row.rxcui.clone(),
        display: row.name.clone(),
    }
}

/// The clinical drug a medication mention names: from a clinical-drug term it matched
/// ("Lisinopril 10 MG Oral Tablet", an SBD counted as its SCD), else its ingredients with the
/// strength written right after the name ("Zortress 0.5 mg", "furosemide 80 mg IV") and the
/// dose form written near it ("TAB").
pub fn clinical_drug(m: &Mention) -> Option<ClinicalDrug> {
    if m.role != Role::Medication {
        return None;
    }
    let row = m
        .entries
        .iter()
        .filter(|e| e.system == System::Rxnorm && matches!(e.tty.as_deref(), Some("SCD" | "SBD")))
        .find_map(|e| clinical::by_code(&e.code));
    if let Some(row) = row {
        let generic = clinical::generic_of(row);
        return Some(ClinicalDrug {
            ingredients: row.ingredients.clone(),
            strengths: row.strengths.clone(),
            form: Some(row.form.clone()),
            scd: generic.map(scd_coding),
            named: true,
        });
    }
    let ingredients: BTreeSet<String> = m
        .entries
        .iter()
        .filter(|e| {
            e.system == System::Rxnorm && vocabulary::ingredient_level(e.tty.as_deref()) == Some(1)
        })
        .map(|e| e.code.clone())
        .collect();
    if ingredients.is_empty() {
        return None;
    }
    let mut drug = ClinicalDrug {
        ingredients,
        ..Default::default()
    };
    // The strength stands right after the name (a few words for a brand's suffix or a
    // form: "Tylenol Extra Strength 500 MG TAB", "everolimus tablet 0.5 mg"), not anywhere in
    // the row: a later number may be another thing's.
    let Some(sig) = &m.sig else {
        return Some(drug);
    };
    let name_len = m
        .text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .len();
    if let Some(at) = find_strength(&sig.text).filter(|r| r.start <= name_len + 32) {
        let mut strengths = clinical::normalize_strength(&sig.text[at.clone()]);
        // "20 units", "5 mL" are a dose of the product, not its strength (insulin's dose
        // changes; the product stays one).
        if strengths
            .iter()
            .any(|s| s.ends_with(" UNT") || s.ends_with(" ML"))
        {
            strengths.clear();
        }
        strengths.sort();
        // One strength per ingredient, and one RxNorm has for them: otherwise a dose or a
        // misread, which names no product.
        if strengths.len() != drug.ingredients.len()
            || !clinical::known(&drug.ingredients, &strengths)
        {
            strengths.clear();
        }
        drug.strengths = strengths;
        drug.form = clinical::dose_form(&sig.text[at.end..])
            .or_else(|| clinical::dose_form(&sig.text[name_len.min(at.start)..at.start]))
            .map(str::to_string);
    }
    if !drug.strengths.is_empty() {
        drug.scd =
            clinical::scd(&drug.ingredients, &drug.strengths, drug.form.as_deref()).map(scd_coding);
    }
    Some(drug)
}

/// A strength as a number and its unit ("500 MG" → 500, "MG").
pub(super) fn strength_value(s: &str) -> Option<(f64, &str)> {
    let (v, unit) = s.split_once(' ')?;
    Some((v.parse().ok()?, unit))
}

/// Per mention, the product strength that tells its clinical drug apart (`None`: not a
/// medication, or no strength written). A strength written after a drug's name is a dose
/// when it is a whole multiple of a smaller strength of the same drug in the document:
/// "metformin 1000 mg (two 500 mg tabs)" after "metformin 500 mg", "acetaminophen 1,000 mg"
/// after "Acetaminophen 500 mg" are one product taken at a new dose; "furosemide 80 mg" and
/// "furosemide 60 mg", "aspirin 325 mg" and "aspirin 81 mg", "furosemide 80 mg IV" and "Lasix
/// 40 mg PO" are two. A clinical-drug name
/// ("Simvastatin 20 MG Oral Tablet") is always its own product.
pub(super) fn product_strengths(
    mentions: &[Mention],
    drugs: &[Option<ClinicalDrug>],
) -> Vec<Option<Vec<String>>> {
    let ingredients = |i: usize| drugs[i].as_ref().map(|d| &d.ingredients);
    (0..mentions.len())
        .map(|i| {
            let d = drugs[i].as_ref().filter(|d| !d.strengths.is_empty())?;
            if d.named || d.strengths.len() != 1 {
                return Some(d.strengths.clone());
            }
            let Some((v, unit)) = strength_value(&d.strengths[0]) else {
                return Some(d.strengths.clone());
            };
            let route = |k: usize| {
                mentions[k]
                    .sig
                    .as_ref()
                    .and_then(|s| s.route.as_ref())
                    .map(|r| r.code.as_str())
            };
            // Given another way (IV in the ED, by mouth at home) it is another product.
            let same_route = |j: usize| match (route(i), route(j)) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            let base = (0..mentions.len())
                .filter(|&j| ingredients(j) == Some(&d.ingredients) && same_route(j))
                .filter_map(|j| match &drugs[j].as_ref()?.strengths[..] {
                    [one] => Some(one.clone()),
                    _ => None,
                })
                .filter_map(|s| {
                    let (w, u) = strength_value(&s)?;
                    let ratio = v / w;
                    (u == unit && w > 0.0 && ratio >= 2.0 && (ratio - ratio.round()).abs() < 1e-9)
                        .then_some((w, s))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, s)| s);
            Some(vec![base.unwrap_or_else(|| d.strengths[0].clone())])
        })
        .collect()
}

/// The clinical drug of a medication finding: the first mention's with a strength (its SCD
/// from any mention that names one), else the first mention's.
pub(super) fn drug_of(mentions: &[Mention]) -> Option<ClinicalDrug> {
    let drugs: Vec<ClinicalDrug> = mentions.iter().filter_map(clinical_drug).collect();
    let mut drug = drugs
        .iter()
        .find(|d| !d.strengths.is_empty())
        .or(drugs.first())
        .cloned()?;
    if drug.scd.is_none() {
        drug.scd = drugs
            .iter()
            .filter(|d| d.strengths == drug.strengths)
            .find_map(|d| d.scd.clone());
    }
    if drug.form.is_none() {
        drug.form = drugs.iter().find_map(|d| d.form.clone());
    }
    Some(drug)
}
