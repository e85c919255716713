//! RxNorm: medication terms (ingredients, brands, clinical drugs, packs), their ingredient
//! links, and the parsed clinical-drug table.
//!
//! Two inputs give the same model: the merged names file of the vocabulary folder
//! (`rxnorm-names.tsv`: rxcui, tty, name, sources) or an official `RxNorm_full_*.zip`
//! (`RXNCONSO.RRF` with SAB=RXNORM and SUPPRESS=N; `RXNREL.RRF` for the links). Links missing
//! from the input are derived from the names: a clinical drug's ingredients from its parsed
//! name, a branded drug's generic from its name without "[Brand]", a brand's ingredients from
//! the branded drugs that name it, a precise ingredient's base from its name without the salt.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::tsv::{Flags, Row, data_lines, fields, read_text};
use super::{BuildError, Cand, FILE_MED_RXNORM};
use crate::normalize::fold::term_key;

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

/// A parsed clinical-drug name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrugName {
    /// "24 HR", "0.4 ML", "120 ACTUAT" …
    pub prefix: Vec<String>,
    /// (ingredient as written, strength) in name order.
    pub components: Vec<(String, String)>,
    pub dose_form: String,
    pub brand: Option<String>,
}

/// A parsed pack name: its drugs and brand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PackName {
    pub drugs: Vec<DrugName>,
    pub brand: Option<String>,
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
    /// Reads the merged names file.
    pub fn load_names(vocab: &Path) -> Result<RxNorm, BuildError> {
        let path = vocab.join(NAMES_FILE);
        let text = read_text(&path)?;
        let mut rx = RxNorm {
            origin: format!("`{NAMES_FILE}` (merged public RxNorm extracts)"),
            ..RxNorm::default()
        };
        for (no, line) in data_lines(&path, &text, "rxcui\ttty\tname\tsource")? {
            let f = fields(&path, no, line, 4)?;
            let tty = f[1].trim();
            if !KEPT_TTYS.contains(&tty) {
                continue;
            }
            let name = super::tsv::squash_spaces(f[2]);
            if name.is_empty() {
                continue;
            }
            let sources: Vec<&str> = f[3].split(';').collect();
            rx.concepts.insert(
                f[0].trim().to_string(),
                Concept {
                    rxcui: f[0].trim().to_string(),
                    tty: tty.to_string(),
                    name,
                    current: sources.iter().any(|s| CURRENT_SOURCES.contains(s)),
                    n_sources: sources.len(),
                    synonyms: Vec::new(),
                },
            );
        }
        Ok(rx)
    }

    /// Reads an official RxNorm release zip (`rrf/RXNCONSO.RRF`, `rrf/RXNREL.RRF`).
    pub fn load_zip(zip_path: &Path) -> Result<RxNorm, BuildError> {
        let io = |source| BuildError::Io {
            path: zip_path.to_path_buf(),
            source,
        };
        let bad = |detail: String| BuildError::Format {
            path: zip_path.to_path_buf(),
            line: 0,
            detail,
        };
        let file = std::fs::File::open(zip_path).map_err(io)?;
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| bad(format!("not a readable zip: {e}")))?;
        let find = |archive: &zip::ZipArchive<std::fs::File>, suffix: &str| -> Option<String> {
            archive
                .file_names()
                .filter_map(Result::ok)
                .map(|n| n.to_string())
                .filter(|n| n.to_ascii_uppercase().ends_with(suffix))
                .min()
        };
        let conso = find(&archive, "RXNCONSO.RRF")
            .ok_or_else(|| bad("no RXNCONSO.RRF in the zip".into()))?;
        let rel = find(&archive, "RXNREL.RRF");
        let mut rx = RxNorm {
            origin: format!(
                "`{}` (official release: RXNCONSO.RRF SAB=RXNORM, SUPPRESS=N{})",
                zip_path.file_name().unwrap_or_default().to_string_lossy(),
                if rel.is_some() { "; RXNREL.RRF" } else { "" }
            ),
            ..RxNorm::default()
        };
        // Atoms per concept: (tty, name).
        let mut atoms: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        {
            let entry = archive
                .by_name(&conso)
                .map_err(|e| bad(format!("{conso}: {e}")))?;
            for line in BufReader::new(entry).lines() {
                let line = line.map_err(io)?;
                let f: Vec<&str> = line.split('|').collect();
                if f.len() < 17 || f[11] != "RXNORM" || f[16] != "N" {
                    continue;
                }
                atoms
                    .entry(f[0].to_string())
                    .or_default()
                    .push((f[12].to_string(), super::tsv::squash_spaces(f[14])));
            }
        }
        for (rxcui, list) in atoms {
            let Some((tty, name)) = KEPT_TTYS
                .iter()
                .find_map(|t| list.iter().find(|(tty, _)| tty == t))
            else {
                continue;
            };
            let mut synonyms: Vec<String> = list
                .iter()
                .filter(|(t, n)| matches!(t.as_str(), "SY" | "PSN") && n != name)
                .map(|(_, n)| n.clone())
                .collect();
            synonyms.sort();
            synonyms.dedup();
            rx.concepts.insert(
                rxcui.clone(),
                Concept {
                    rxcui,
                    tty: tty.clone(),
                    name: name.clone(),
                    current: true,
                    n_sources: 1,
                    synonyms,
                },
            );
        }
        if let Some(rel) = rel {
            let mut entry = archive
                .by_name(&rel)
                .map_err(|e| bad(format!("{rel}: {e}")))?;
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(io)?;
            rx.read_relations(&text);
        }
        Ok(rx)
    }

    /// Reads RXNREL.RRF lines. The direction of a relation is taken from the term types of its
    /// two concepts, so either reading of RXCUI1/RXCUI2 gives the same links.
    fn read_relations(&mut self, text: &str) {
        let mut scd_scdc: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut scdc_in: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut pack_drug: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // SCDC concepts are not kept as rows (their term type is unknown here), but their links
        // are needed: an unknown concept on the other side of an SCD or IN link is an SCDC.
        let tty =
            |c: &str, concepts: &BTreeMap<String, Concept>| concepts.get(c).map(|c| c.tty.clone());
        for line in text.lines() {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() < 11 || f[10] != "RXNORM" {
                continue;
            }
            let (a, b, rela) = (f[0], f[4], f[7]);
            let ta = tty(a, &self.concepts);
            let tb = tty(b, &self.concepts);
            match rela {
                "form_of" | "has_form" => {
                    if let (Some(x), Some(y)) = (&ta, &tb) {
                        match (x.as_str(), y.as_str()) {
                            ("PIN", "IN") => {
                                self.rel_pin_in.insert(a.into(), b.into());
                            }
                            ("IN", "PIN") => {
                                self.rel_pin_in.insert(b.into(), a.into());
                            }
                            _ => {}
                        }
                    }
                }
                "tradename_of" | "has_tradename" => {
                    if let (Some(x), Some(y)) = (&ta, &tb) {
                        match (x.as_str(), y.as_str()) {
                            ("BN", "IN") => {
                                self.rel_bn_in.entry(a.into()).or_default().insert(b.into());
                            }
                            ("IN", "BN") => {
                                self.rel_bn_in.entry(b.into()).or_default().insert(a.into());
                            }
                            ("SBD", "SCD") => {
                                self.rel_sbd_scd.insert(a.into(), b.into());
                            }
                            ("SCD", "SBD") => {
                                self.rel_sbd_scd.insert(b.into(), a.into());
                            }
                            _ => {}
                        }
                    }
                }
                "consists_of" | "constitutes" => {
                    // SCD ↔ SCDC (the SCDC is not a kept concept).
                    match (ta.as_deref(), tb.as_deref()) {
                        (Some("SCD"), None) => {
                            scd_scdc.entry(a.into()).or_default().insert(b.into());
                        }
                        (None, Some("SCD")) => {
                            scd_scdc.entry(b.into()).or_default().insert(a.into());
                        }
                        _ => {}
                    }
                }
                "has_ingredient" | "ingredient_of" => match (ta.as_deref(), tb.as_deref()) {
                    (None, Some("IN")) => {
                        scdc_in.entry(a.into()).or_default().insert(b.into());
                    }
                    (Some("IN"), None) => {
                        scdc_in.entry(b.into()).or_default().insert(a.into());
                    }
                    _ => {}
                },
                "has_part" | "part_of" => match (ta.as_deref(), tb.as_deref()) {
                    (Some("MIN"), Some("IN")) => {
                        self.rel_min_in
                            .entry(a.into())
                            .or_default()
                            .insert(b.into());
                    }
                    (Some("IN"), Some("MIN")) => {
                        self.rel_min_in
                            .entry(b.into())
                            .or_default()
                            .insert(a.into());
                    }
                    _ => {}
                },
                "contains" | "contained_in" => match (ta.as_deref(), tb.as_deref()) {
                    (Some("GPCK" | "BPCK"), Some("SCD" | "SBD")) => {
                        pack_drug.entry(a.into()).or_default().insert(b.into());
                    }
                    (Some("SCD" | "SBD"), Some("GPCK" | "BPCK")) => {
                        pack_drug.entry(b.into()).or_default().insert(a.into());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        for (scd, comps) in &scd_scdc {
            let ins: BTreeSet<String> = comps
                .iter()
                .filter_map(|c| scdc_in.get(c))
                .flatten()
                .cloned()
                .collect();
            if !ins.is_empty() {
                self.rel_drug_in.insert(scd.clone(), ins);
            }
        }
        let sbd_scd = self.rel_sbd_scd.clone();
        for (sbd, scd) in &sbd_scd {
            if let Some(ins) = self.rel_drug_in.get(scd).cloned() {
                self.rel_drug_in.entry(sbd.clone()).or_insert(ins);
            }
        }
        for (pack, drugs) in &pack_drug {
            let ins: BTreeSet<String> = drugs
                .iter()
                .filter_map(|d| self.rel_drug_in.get(d))
                .flatten()
                .cloned()
                .collect();
            if !ins.is_empty() {
                self.rel_drug_in.insert(pack.clone(), ins);
            }
        }
    }

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

/// True for a number as RxNorm writes strengths ("10", "0.417", "13300000000000").
fn is_number(t: &str) -> bool {
    let mut dots = 0;
    !t.is_empty()
        && t.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && t.bytes().all(|b| {
            if b == b'.' {
                dots += 1;
            }
            b.is_ascii_digit() || b == b'.'
        })
        && dots <= 1
        && !t.ends_with('.')
}

/// True for a strength or quantity unit ("MG", "MG/ML", "UNT/ML", "%", "VECTOR-GENOMES/ML").
fn is_unit(t: &str) -> bool {
    t == "%"
        || (t.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && t.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'/' || b == b'-')
            && !t.ends_with('/'))
}

/// Parses an SCD/SBD name: "[qty unit] ingredient strength unit [/ …] dose form [Brand]".
pub fn parse_drug_name(name: &str) -> Option<DrugName> {
    let (body, brand) = split_brand(name);
    let parts: Vec<&str> = body.split(" / ").collect();
    let mut d = DrugName {
        brand,
        ..DrugName::default()
    };
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let mut tokens: Vec<&str> = part.split(' ').filter(|t| !t.is_empty()).collect();
        if i == 0 {
            while tokens.len() >= 4 && is_number(tokens[0]) && is_unit(tokens[1]) {
                d.prefix.push(format!("{} {}", tokens[0], tokens[1]));
                tokens.drain(..2);
            }
        }
        let j = (1..tokens.len().saturating_sub(1))
            .find(|&j| is_number(tokens[j]) && is_unit(tokens[j + 1]))?;
        let ingredient = tokens[..j].join(" ");
        let strength = format!("{} {}", tokens[j], tokens[j + 1]);
        let rest = tokens[j + 2..].join(" ");
        if i < last {
            if !rest.is_empty() {
                return None;
            }
        } else {
            if rest.is_empty() {
                return None;
            }
            d.dose_form = rest;
        }
        d.components.push((ingredient, strength));
    }
    Some(d)
}

/// "{21 (A 1 MG Oral Tablet) / 7 (inert ingredients 1 MG Oral Tablet) } Pack [Brand 28 Day]".
pub fn parse_pack_name(name: &str) -> Option<PackName> {
    let (body, brand) = split_brand(name);
    let inner = body.strip_prefix('{')?;
    let close = inner.rfind('}')?;
    let tail = inner[close + 1..].trim();
    if tail != "Pack" && tail != "Kit" {
        return None;
    }
    let inner = &inner[..close];
    let mut drugs = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    for (i, ch) in inner.char_indices() {
        match ch {
            '(' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    drugs.push(parse_drug_name(inner[start..i].trim())?);
                }
            }
            _ => {}
        }
    }
    if drugs.is_empty() || depth != 0 {
        return None;
    }
    Some(PackName { drugs, brand })
}

/// Splits a trailing " [Brand]".
fn split_brand(name: &str) -> (&str, Option<String>) {
    if name.ends_with(']')
        && let Some(i) = name.rfind(" [")
    {
        return (&name[..i], Some(name[i + 2..name.len() - 1].to_string()));
    }
    (name, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scd_names_parse() {
        let d = parse_drug_name("Acetaminophen 325 MG / Hydrocodone Bitartrate 5 MG Oral Tablet")
            .unwrap();
        assert_eq!(
            d.components,
            vec![
                ("Acetaminophen".to_string(), "325 MG".to_string()),
                ("Hydrocodone Bitartrate".to_string(), "5 MG".to_string())
            ]
        );
        assert_eq!(d.dose_form, "Oral Tablet");
        assert_eq!(d.brand, None);

        let d = parse_drug_name(
            "24 HR metoprolol succinate 25 MG Extended Release Oral Tablet [Toprol]",
        )
        .unwrap();
        assert_eq!(d.prefix, vec!["24 HR"]);
        assert_eq!(
            d.components,
            vec![("metoprolol succinate".into(), "25 MG".into())]
        );
        assert_eq!(d.dose_form, "Extended Release Oral Tablet");
        assert_eq!(d.brand.as_deref(), Some("Toprol"));

        let d = parse_drug_name("0.4 ML enoxaparin sodium 100 MG/ML Prefilled Syringe").unwrap();
        assert_eq!(d.prefix, vec!["0.4 ML"]);
        assert_eq!(
            d.components,
            vec![("enoxaparin sodium".into(), "100 MG/ML".into())]
        );

        let d =
            parse_drug_name("polyethylene glycol 3350 17000 MG Powder for Oral Solution").unwrap();
        assert_eq!(
            d.components,
            vec![("polyethylene glycol 3350".into(), "17000 MG".into())]
        );
        assert_eq!(d.dose_form, "Powder for Oral Solution");

        let d = parse_drug_name("hydrocortisone 1 % Topical Cream").unwrap();
        assert_eq!(d.components, vec![("hydrocortisone".into(), "1 %".into())]);

        assert_eq!(parse_drug_name("lisinopril"), None);
        assert_eq!(parse_drug_name("lisinopril 10 MG"), None);
    }

    #[test]
    fn pack_names_parse() {
        let p = parse_pack_name(
            "{21 (ethinyl estradiol 0.035 MG / norethindrone 0.5 MG Oral Tablet) / 7 (inert ingredients 1 MG Oral Tablet) } Pack [Ortho-Novum 1/35 28 Day]",
        )
        .unwrap();
        assert_eq!(p.drugs.len(), 2);
        assert_eq!(p.brand.as_deref(), Some("Ortho-Novum 1/35 28 Day"));
        assert_eq!(p.drugs[0].components[1].0, "norethindrone");
        let p = parse_pack_name(
            "{30 (Aspirin 81 MG Oral Tablet) / 30 (Pravastatin 80 MG Oral Tablet [Pravachol]) } Pack [Pravigard 81/80]",
        )
        .unwrap();
        assert_eq!(p.drugs[1].brand.as_deref(), Some("Pravachol"));
    }

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
