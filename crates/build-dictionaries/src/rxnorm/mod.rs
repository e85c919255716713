//! RxNorm: medication terms (ingredients, brands, clinical drugs, packs), their ingredient
//! links, and the parsed clinical-drug table.
//!
//! Two inputs give the same model: the merged names file of the vocabulary folder
//! (`rxnorm-names.tsv`: rxcui, tty, name, sources) or an official `RxNorm_full_*.zip`
//! (`RXNCONSO.RRF` with SAB=RXNORM and SUPPRESS=N; `RXNREL.RRF` for the links). Links missing
//! from the input are derived from the names: a clinical drug's ingredients from its parsed
//! name, a branded drug's generic from its name without "[Brand]", a brand's ingredients from
//! the branded drugs that name it, a precise ingredient's base from its name without the salt.

mod names;
mod read;

use std::collections::{BTreeMap, BTreeSet};

use crate::tsv::{Flags, Row};
use crate::{Cand, FILE_MED_RXNORM};
use chart2fhir::normalize::fold::term_key;
pub use names::{DrugName, PackName, parse_drug_name, parse_pack_name};

/// File name inside the vocabulary folder.
pub const NAMES_FILE: &str = "rxnorm-names.tsv";

/// Term types that become dictionary rows. Component-level (SCDC, SBDC), form-level (SCDF,
/// SBDF) and group-level (SCDG, SBDG) names are left out: notes name an ingredient or a brand
/// and a strength, which the ingredient row plus the dosage parser (with
/// `rxnorm-clinical-drugs.tsv`) code more precisely.
pub const KEPT_TTYS: &[&str] = &["IN", "PIN", "MIN", "BN", "SCD", "SBD", "GPCK", "BPCK"];

/// Sources of the merged names file that are current RxNorm releases (preferred over the
/// historical extracts when two concepts share a name).
const CURRENT_SOURCES: &[&str] = &["RXNORM-PRESCRIBE-2025-10", "SSMITHM-RXNORM-2026-05"];

/// One RxNorm concept.
#[derive(Debug, Clone)]
pub struct Concept {
    pub rxcui: String,
    pub tty: String,
    pub name: String,
    /// In a current release (not only in historical extracts).
    pub current: bool,
    /// How many extracts list it (more is a weak sign of a well-used concept).
    pub n_sources: usize,
    /// Further names of the concept (SY, PSN atoms of an official release).
    pub synonyms: Vec<String>,
}

/// The loaded RxNorm model.
#[derive(Debug, Default)]
pub struct RxNorm {
    pub concepts: BTreeMap<String, Concept>,
    /// Links from an official release (used before the name-derived ones).
    pub rel_pin_in: BTreeMap<String, String>,
    pub rel_bn_in: BTreeMap<String, BTreeSet<String>>,
    pub rel_sbd_scd: BTreeMap<String, String>,
    pub rel_drug_in: BTreeMap<String, BTreeSet<String>>,
    pub rel_min_in: BTreeMap<String, BTreeSet<String>>,
    /// Where the content came from (for SOURCES.md).
    pub origin: String,
}

/// The derived links and indexes.
#[derive(Debug, Default)]
pub struct Links {
    /// key of an IN name → rxcui.
    pub in_by_key: BTreeMap<String, String>,
    /// key of a PIN name → rxcui.
    pub pin_by_key: BTreeMap<String, String>,
    /// sorted IN rxcuis → MIN rxcui.
    pub min_by_ins: BTreeMap<Vec<String>, String>,
    /// key of a BN name → rxcui.
    pub bn_by_key: BTreeMap<String, String>,
    /// key of an SCD name → rxcui.
    pub scd_by_key: BTreeMap<String, String>,
    pub pin_in: BTreeMap<String, String>,
    pub min_in: BTreeMap<String, Vec<String>>,
    /// SCD/SBD/pack → IN rxcuis in name order.
    pub drug_in: BTreeMap<String, Vec<String>>,
    pub sbd_scd: BTreeMap<String, String>,
    pub bn_in: BTreeMap<String, Vec<String>>,
    /// Parsed SCD/SBD names.
    pub parsed: BTreeMap<String, DrugName>,
}

impl RxNorm {
    /// The display of a concept: its name, with an ingredient's leading capital lowered as
    /// RxNorm writes ingredient names ("Acetaminophen" → "acetaminophen").
    pub fn display(&self, rxcui: &str) -> Option<String> {
        self.concepts.get(rxcui).map(display_of)
    }

    /// Derives the links (release links first, then from the names).
    pub fn links(&self) -> Links {
        let mut l = Links::default();
        // Indexes; on a key shared by two concepts the preferred one wins.
        let mut by_pref: Vec<&Concept> = self.concepts.values().collect();
        by_pref.sort_by_key(|c| preference(c));
        for c in &by_pref {
            let key = term_key(&c.name);
            let index = match c.tty.as_str() {
                "IN" => &mut l.in_by_key,
                "PIN" => &mut l.pin_by_key,
                "BN" => &mut l.bn_by_key,
                "SCD" => &mut l.scd_by_key,
                _ => continue,
            };
            index.entry(key).or_insert_with(|| c.rxcui.clone());
        }
        // PIN → IN.
        for c in self.concepts.values().filter(|c| c.tty == "PIN") {
            let base = self
                .rel_pin_in
                .get(&c.rxcui)
                .cloned()
                .or_else(|| base_ingredient(&term_key(&c.name), &l.in_by_key));
            if let Some(b) = base {
                l.pin_in.insert(c.rxcui.clone(), b);
            }
        }
        // MIN → INs.
        for c in self.concepts.values().filter(|c| c.tty == "MIN") {
            let ins: Option<Vec<String>> = match self.rel_min_in.get(&c.rxcui) {
                Some(set) => Some(set.iter().cloned().collect()),
                None => c
                    .name
                    .split(" / ")
                    .map(|part| l.resolve(&term_key(part)))
                    .collect(),
            };
            if let Some(mut ins) = ins.filter(|v| v.len() > 1) {
                l.min_in.insert(c.rxcui.clone(), ins.clone());
                ins.sort();
                ins.dedup();
                l.min_by_ins.entry(ins).or_insert_with(|| c.rxcui.clone());
            }
        }
        // Clinical drugs and packs.
        for c in self.concepts.values() {
            match c.tty.as_str() {
                "SCD" | "SBD" => {
                    let Some(parsed) = parse_drug_name(&c.name) else {
                        continue;
                    };
                    let ins = match self.rel_drug_in.get(&c.rxcui) {
                        Some(set) => Some(set.iter().cloned().collect()),
                        None => l.resolve_components(&parsed),
                    };
                    if let Some(ins) = ins {
                        l.drug_in.insert(c.rxcui.clone(), ins);
                    }
                    if c.tty == "SBD" {
                        let generic = self.rel_sbd_scd.get(&c.rxcui).cloned().or_else(|| {
                            let plain = c.name.rsplit_once(" [").map(|(g, _)| g)?;
                            l.scd_by_key.get(&term_key(plain)).cloned()
                        });
                        if let Some(g) = generic {
                            l.sbd_scd.insert(c.rxcui.clone(), g);
                        }
                    }
                    l.parsed.insert(c.rxcui.clone(), parsed);
                }
                "GPCK" | "BPCK" => {
                    let ins = match self.rel_drug_in.get(&c.rxcui) {
                        Some(set) => Some(set.iter().cloned().collect::<Vec<_>>()),
                        None => parse_pack_name(&c.name).and_then(|p| {
                            let mut all = Vec::new();
                            for d in &p.drugs {
                                for i in l.resolve_components(d)? {
                                    if !all.contains(&i) {
                                        all.push(i);
                                    }
                                }
                            }
                            Some(all)
                        }),
                    };
                    if let Some(ins) = ins.filter(|v| !v.is_empty()) {
                        l.drug_in.insert(c.rxcui.clone(), ins);
                    }
                }
                _ => {}
            }
        }
        // BN → INs: release links, else the ingredients every branded drug of the brand shares.
        let mut brand_sets: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
        for c in self.concepts.values() {
            let brand = match c.tty.as_str() {
                "SBD" => l.parsed.get(&c.rxcui).and_then(|p| p.brand.clone()),
                "BPCK" => parse_pack_name(&c.name).and_then(|p| p.brand),
                _ => None,
            };
            let (Some(brand), Some(ins)) = (brand, l.drug_in.get(&c.rxcui)) else {
                continue;
            };
            if let Some(bn) = l.bn_by_key.get(&term_key(&brand)) {
                brand_sets.entry(bn.clone()).or_default().push(ins.clone());
            }
        }
        for c in self.concepts.values().filter(|c| c.tty == "BN") {
            let ins = match self.rel_bn_in.get(&c.rxcui) {
                Some(set) => set.iter().cloned().collect(),
                None => match brand_sets.get(&c.rxcui) {
                    Some(sets) => {
                        let mut common = sets[0].clone();
                        common.retain(|i| sets.iter().all(|s| s.contains(i)));
                        common
                    }
                    None => continue,
                },
            };
            if !ins.is_empty() {
                l.bn_in.insert(c.rxcui.clone(), ins);
            }
        }
        l
    }

    /// Medication candidates and the clinical-drug table lines.
    pub fn cands(&self, links: &Links) -> (Vec<Cand>, Vec<String>, usize) {
        let mut out = Vec::new();
        for c in self.concepts.values() {
            let origin: u64 = c.rxcui.parse().unwrap_or(0);
            let pref = preference(c);
            let mut terms: Vec<(String, u64)> = vec![(c.name.clone(), 0)];
            if c.tty == "BPCK"
                && let Some(brand) = parse_pack_name(&c.name).and_then(|p| p.brand)
            {
                terms.push((format!("{brand} Pack"), 1));
            }
            if c.tty == "PIN" {
                // Charts abbreviate the salt: "buPROPion HCl", "metformin HCl".
                let lower = c.name.to_lowercase();
                if let Some(base) = lower.strip_suffix(" hydrochloride") {
                    terms.push((format!("{} HCl", &c.name[..base.len()]), 1));
                }
            }
            for s in &c.synonyms {
                terms.push((s.clone(), 1));
            }
            let mut rows: Vec<Row> = vec![self.row(c, Flags::tty(&c.tty))];
            let (ins, via): (Option<&Vec<String>>, &str) = match c.tty.as_str() {
                "IN" => (None, ""),
                "PIN" => (None, "precise-ingredient"),
                "MIN" => (links.min_in.get(&c.rxcui), "multiple-ingredients"),
                "BN" => (links.bn_in.get(&c.rxcui), "brand"),
                _ => (links.drug_in.get(&c.rxcui), "clinical-drug"),
            };
            if c.tty == "PIN"
                && let Some(base) = links
                    .pin_in
                    .get(&c.rxcui)
                    .and_then(|b| self.concepts.get(b))
            {
                rows.push(self.row(base, Flags::tty("IN").via(via)));
            }
            if let Some(ins) = ins {
                for i in ins {
                    if let Some(ic) = self.concepts.get(i) {
                        let tty = ic.tty.as_str();
                        if tty == "IN" {
                            rows.push(self.row(ic, Flags::tty("IN").via(via)));
                        }
                    }
                }
            }
            for (term, variant) in &terms {
                for r in &rows {
                    let mut row = r.clone();
                    row.term = term.clone();
                    let mut cand =
                        Cand::derived(FILE_MED_RXNORM, row, [1, *variant, pref.0, pref.1]);
                    cand.origin = origin;
                    out.push(cand);
                }
            }
        }
        // The clinical-drug table.
        let mut lines = Vec::new();
        let mut unresolved = 0;
        for (rxcui, parsed) in &links.parsed {
            let c = &self.concepts[rxcui];
            let ins: Option<Vec<String>> = parsed
                .components
                .iter()
                .map(|(name, _)| links.resolve_in_drug(&term_key(name)))
                .collect();
            let Some(ins) = ins else {
                unresolved += 1;
                continue;
            };
            let strengths: Vec<&str> = parsed.components.iter().map(|(_, s)| s.as_str()).collect();
            lines.push(format!(
                "{rxcui}\t{}\t{}\t{}\t{}\t{}",
                c.tty,
                ins.join(";"),
                strengths.join(";"),
                parsed.dose_form,
                c.name
            ));
        }
        (out, lines, unresolved)
    }

    /// A row coding `c`.
    fn row(&self, c: &Concept, flags: Flags) -> Row {
        Row {
            term: c.name.clone(),
            kind: "medication".into(),
            system: "rxnorm".into(),
            code: c.rxcui.clone(),
            display: display_of(c),
            category: "medication".into(),
            flags,
        }
    }
}

impl Links {
    /// An ingredient name key → IN rxcui (a PIN resolves to its base IN when known, else to
    /// itself).
    pub fn resolve(&self, key: &str) -> Option<String> {
        if let Some(i) = self.in_by_key.get(key) {
            return Some(i.clone());
        }
        let pin = self.pin_by_key.get(key)?;
        Some(self.pin_in.get(pin).unwrap_or(pin).clone())
    }

    /// An ingredient as a clinical-drug name writes it: like [`Links::resolve`], then without
    /// up to three leading qualifier words ("Abuse-Deterrent oxycodone hydrochloride",
    /// "Sprinkle duloxetine", "Micronized isotretinoin").
    pub fn resolve_in_drug(&self, key: &str) -> Option<String> {
        let words: Vec<&str> = key.split(' ').collect();
        (0..words.len().min(4)).find_map(|skip| self.resolve(&words[skip..].join(" ")))
    }

    /// All ingredients of a parsed drug, in name order, or `None` if one is unknown.
    fn resolve_components(&self, d: &DrugName) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for (name, _) in &d.components {
            let key = term_key(name);
            if key == "inert ingredients" {
                continue;
            }
            let i = self.resolve_in_drug(&key)?;
            if !out.contains(&i) {
                out.push(i);
            }
        }
        Some(out)
    }
}

/// Sort key of a concept among others sharing a name: current before historical, more sources
/// first, then the smaller rxcui.
fn preference(c: &Concept) -> (u64, u64) {
    let currency = if c.current { 0 } else { 100 };
    (
        currency + 99u64.saturating_sub(c.n_sources as u64),
        c.rxcui.parse().unwrap_or(u64::MAX),
    )
}

/// The display of a concept (ingredient names with a lowered leading capital).
fn display_of(c: &Concept) -> String {
    if matches!(c.tty.as_str(), "IN" | "PIN" | "MIN") {
        let mut chars = c.name.chars();
        if let (Some(first), Some(second)) = (chars.next(), chars.clone().next())
            && first.is_uppercase()
            && second.is_lowercase()
        {
            return first.to_lowercase().chain(chars).collect();
        }
    }
    c.name.clone()
}

/// "metoprolol succinate" → metoprolol; "insulin aspart-xjhz" → insulin aspart: drop trailing
/// words (salts, esters, hydrates) or a biosimilar suffix until an ingredient name remains.
fn base_ingredient(key: &str, in_by_key: &BTreeMap<String, String>) -> Option<String> {
    let words: Vec<&str> = key.split(' ').collect();
    for n in (1..words.len()).rev() {
        if let Some(i) = in_by_key.get(&words[..n].join(" ")) {
            return Some(i.clone());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_fold_to_their_base() {
        let mut idx = BTreeMap::new();
        idx.insert("metoprolol".to_string(), "6918".to_string());
        idx.insert("penicillin g".to_string(), "7980".to_string());
        assert_eq!(
            base_ingredient("metoprolol succinate", &idx).as_deref(),
            Some("6918")
        );
        assert_eq!(
            base_ingredient("penicillin g benzathine", &idx).as_deref(),
            Some("7980")
        );
        assert_eq!(base_ingredient("metoprolol", &idx), None);
    }
}
