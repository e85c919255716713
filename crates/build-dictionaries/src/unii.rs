//! FDA UNII names: a fallback for drug names RxNorm lacks.
//!
//! Kept:
//! - brand names (`bn`) whose substance is an RxNorm ingredient (by name, or by its name without
//!   the salt: "ALBUTEROL SULFATE" → albuterol). That test keeps drug brands ("VENTOLIN",
//!   "COUMADIN") and drops the pesticides, cosmetics and catalogue codes the file also holds.
//!   Each such brand also gets the RxNorm ingredient row (`tty=IN;via=brand`);
//! - official names (`of`) of one word, at least six letters: non-US and new drug names
//!   ("SPIROFYLLINE");
//! - official names of salts and esters of RxNorm ingredients that the RxNorm input lacks
//!   ("ALBUTEROL SULFATE"), with the ingredient's RxNorm row (`tty=IN;via=precise-ingredient`);
//!   other official names of several words (chemical names) are left out.
//!
//! Dropped everywhere: names with digits or punctuation other than a hyphen or apostrophe
//! ("NS-218", "TERGITOL TMN-10"), names of more than three words, and names RxNorm or another
//! table already has (the build removes those later, once all tables are known).

use std::collections::BTreeMap;
use std::path::Path;

use super::rxnorm::{Links, RxNorm};
use super::tsv::{Flags, Row, data_lines, fields, read_text, squash_spaces};
use super::{BuildError, Cand, FILE_MED_UNII};
use chart2fhir::normalize::fold::term_key;

/// File name inside the vocabulary folder.
pub const UNII_FILE: &str = "unii-brand-and-official-names.tsv";

/// One UNII name.
#[derive(Debug, Clone)]
pub struct Name {
    pub name: String,
    pub brand: bool,
    pub unii: String,
    pub display: String,
}

/// The UNII names file.
#[derive(Debug, Default)]
pub struct Unii {
    pub names: Vec<Name>,
    /// unii → display name.
    pub displays: BTreeMap<String, String>,
}

impl Unii {
    /// Reads the names file.
    pub fn load(vocab: &Path) -> Result<Unii, BuildError> {
        let path = vocab.join(UNII_FILE);
        let text = read_text(&path)?;
        let mut u = Unii::default();
        for (no, line) in data_lines(&path, &text, "name\tname_type\tunii\tdisplay_name")? {
            let f = fields(&path, no, line, 4)?;
            let n = Name {
                name: squash_spaces(f[0]),
                brand: f[1] == "bn",
                unii: f[2].trim().to_string(),
                display: squash_spaces(f[3]),
            };
            u.displays
                .entry(n.unii.clone())
                .or_insert_with(|| n.display.clone());
            u.names.push(n);
        }
        Ok(u)
    }

    /// Medication candidates.
    pub fn cands(
        &self,
        rx: &RxNorm,
        links: &Links,
        dropped: &mut BTreeMap<String, usize>,
    ) -> Vec<Cand> {
        let mut out = Vec::new();
        for n in &self.names {
            if !plain_name(&n.name) {
                *dropped
                    .entry("unii: code-like or chemical name".into())
                    .or_default() += 1;
                continue;
            }
            let words = n.name.split(' ').count();
            let row = Row {
                term: n.name.clone(),
                kind: "medication".into(),
                system: "unii".into(),
                code: n.unii.clone(),
                display: n.display.clone(),
                category: "medication".into(),
                flags: Flags::default(),
            };
            if n.brand {
                let key = term_key(&n.display);
                let ingredient = links.resolve(&key).or_else(|| {
                    let words: Vec<&str> = key.split(' ').collect();
                    (1..words.len())
                        .rev()
                        .find_map(|k| links.resolve(&words[..k].join(" ")))
                });
                let Some(ing) = ingredient.and_then(|i| rx.concepts.get(&i)) else {
                    *dropped
                        .entry("unii: brand of a substance that is not an RxNorm ingredient".into())
                        .or_default() += 1;
                    continue;
                };
                let ingredient = (ing.tty == "IN").then_some((ing.rxcui.as_str(), "brand"));
                push_with_ingredient(
                    &mut out,
                    &n.name,
                    &n.unii,
                    row,
                    ingredient,
                    rx,
                    [2, 0, 0, 0],
                );
            } else if words == 1 && n.name.chars().filter(|c| c.is_alphabetic()).count() >= 6 {
                out.push(Cand::derived(FILE_MED_UNII, row, [2, 0, 1, 0]));
            } else if let Some(base) =
                salt_of(&term_key(&n.name), links).and_then(|i| rx.concepts.get(&i))
            {
                // "ALBUTEROL SULFATE", "AMITRIPTYLINE HYDROCHLORIDE": a salt of an RxNorm
                // ingredient whose precise-ingredient name the RxNorm input lacks.
                let ingredient = Some((base.rxcui.as_str(), "precise-ingredient"));
                push_with_ingredient(
                    &mut out,
                    &n.name,
                    &n.unii,
                    row,
                    ingredient,
                    rx,
                    [2, 0, 1, 0],
                );
            } else {
                *dropped
                    .entry("unii: official name of several words".into())
                    .or_default() += 1;
            }
        }
        out
    }
}

/// The RxNorm ingredient an official name is a salt or ester of: the name without its last
/// word(s) is an ingredient name and the full name is not. `None` for an ingredient name itself.
/// Pushes a UNII name row and, when given, the RxNorm ingredient row the same name maps to
/// (`via` = brand / precise-ingredient). Both share an origin (from the UNII), so the build
/// keeps or drops them together.
fn push_with_ingredient(
    out: &mut Vec<Cand>,
    name: &str,
    unii: &str,
    row: Row,
    ingredient: Option<(&str, &str)>,
    rx: &RxNorm,
    rank: [u64; 4],
) {
    let origin = unii
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b)));
    let mut c = Cand::derived(FILE_MED_UNII, row, rank);
    c.origin = origin;
    out.push(c);
    if let Some((rxcui, via)) = ingredient {
        let row = Row {
            term: name.to_string(),
            kind: "medication".into(),
            system: "rxnorm".into(),
            code: rxcui.to_string(),
            display: rx.display(rxcui).unwrap_or_default(),
            category: "medication".into(),
            flags: Flags::tty("IN").via(via),
        };
        let mut c = Cand::derived(FILE_MED_UNII, row, rank);
        c.origin = origin;
        out.push(c);
    }
}

fn salt_of(key: &str, links: &Links) -> Option<String> {
    if links.resolve(key).is_some() {
        return None;
    }
    let words: Vec<&str> = key.split(' ').collect();
    (1..words.len()).rev().find_map(|k| {
        if !words[k..].iter().all(|w| SALT_WORDS.contains(w)) {
            return None;
        }
        links.in_by_key.get(&words[..k].join(" ")).cloned()
    })
}

/// Words that name a salt, ester or hydrate form of an ingredient.
const SALT_WORDS: &[&str] = &[
    "acetate",
    "acetonide",
    "anhydrous",
    "benzoate",
    "besylate",
    "bicarbonate",
    "bitartrate",
    "bromide",
    "butyrate",
    "calcium",
    "carbonate",
    "chloride",
    "citrate",
    "cypionate",
    "decanoate",
    "dihydrate",
    "dihydrochloride",
    "dipropionate",
    "disodium",
    "edisylate",
    "embonate",
    "enanthate",
    "esylate",
    "fumarate",
    "furoate",
    "gluconate",
    "hemihydrate",
    "hydrate",
    "hydrobromide",
    "hydrochloride",
    "hydroxide",
    "hyclate",
    "iodide",
    "isethionate",
    "lactate",
    "magnesium",
    "malate",
    "maleate",
    "mandelate",
    "meglumine",
    "mesylate",
    "monohydrate",
    "napsylate",
    "nitrate",
    "oxalate",
    "oxide",
    "palmitate",
    "pamoate",
    "phosphate",
    "pivalate",
    "potassium",
    "propionate",
    "salicylate",
    "sodium",
    "stearate",
    "succinate",
    "sulfate",
    "tartrate",
    "tosylate",
    "trihydrate",
    "tromethamine",
    "valerate",
];

/// Letters, spaces, hyphens and apostrophes only; at most three words; at least four letters.
fn plain_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'')
        && name.split(' ').count() <= 3
        && name.chars().filter(|c| c.is_alphabetic()).count() >= 4
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::plain_name;

    #[test]
    fn code_like_names_are_dropped() {
        assert!(plain_name("VENTOLIN"));
        assert!(plain_name("PENICILLIN VK"));
        assert!(!plain_name("NS-218"));
        assert!(!plain_name("TERGITOL TMN-10"));
        assert!(!plain_name("DEXTRAN 110, PHARMACEUTICAL QUALITY"));
        assert!(!plain_name("ZYX"));
        assert!(!plain_name("POLYVINYL ALCOHOL GRAFT POLYETHYLENE GLYCOL"));
    }
}
