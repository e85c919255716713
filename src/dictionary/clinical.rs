//! Clinical drugs: ingredient(s) + strength + dose form, as RxNorm names them (SCD; a branded
//! SBD is the same drug as its SCD). `dictionaries/rxnorm-clinical-drugs.tsv` (built from RxNorm
//! by build-dictionaries) lists them; `dictionaries/dose-forms.tsv` says which RxNorm dose form
//! a document's wording names ("TAB" → Oral Tablet).
//!
//! A medication list is reconciled per clinical drug: "everolimus 0.5 mg tablet" and "Zortress
//! 0.5 mg" are one drug, "everolimus 0.75 mg" another. [`crate::consolidate::ClinicalDrug`] is what identifies one,
//! and the SCD code when the words give ingredient, strength and (when RxNorm needs it to tell
//! two apart) dose form.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;

use crate::tables::{self, Table, TableError};

/// A row of `rxnorm-clinical-drugs.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalDrugRow {
    /// RxNorm RXCUI.
    pub rxcui: String,
    /// SCD or SBD.
    pub tty: String,
    /// Ingredient (IN) RXCUIs.
    pub ingredients: BTreeSet<String>,
    /// Strengths, normalised ([`normalize_strength`]) and sorted.
    pub strengths: Vec<String>,
    /// RxNorm dose form ("Oral Tablet").
    pub form: String,
    /// RxNorm's name.
    pub name: String,
}

struct Index {
    rows: Vec<ClinicalDrugRow>,
    by_code: HashMap<String, usize>,
    by_drug: HashMap<(Vec<String>, Vec<String>), Vec<usize>>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| tables::shipped(clinical_drugs_table()));

static FORMS: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| tables::shipped(dose_forms_table()));

/// `dictionaries/rxnorm-clinical-drugs.tsv`, indexed by code and by ingredients + strengths.
fn clinical_drugs_table() -> Result<Index, TableError> {
    let text = include_str!("../../dictionaries/rxnorm-clinical-drugs.tsv");
    let table = Table::parse("rxnorm-clinical-drugs.tsv", text)?;
    let rows = table.map(|r| {
        let strengths: Vec<String> = r
            .get("strength")?
            .split(';')
            .flat_map(normalize_strength)
            .collect();
        let mut strengths = strengths;
        strengths.sort();
        Ok(ClinicalDrugRow {
            rxcui: r.get("rxcui")?.to_string(),
            tty: r.get("tty")?.to_string(),
            ingredients: r
                .get("ingredients")?
                .split(';')
                .map(str::to_string)
                .collect(),
            strengths,
            form: r.get("dose_form")?.to_string(),
            name: r.get("name")?.to_string(),
        })
    })?;
    let mut by_code = HashMap::new();
    let mut by_drug: HashMap<(Vec<String>, Vec<String>), Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_code.insert(row.rxcui.clone(), i);
        let ingredients = row.ingredients.iter().cloned().collect();
        by_drug
            .entry((ingredients, row.strengths.clone()))
            .or_default()
            .push(i);
    }
    Ok(Index {
        rows,
        by_code,
        by_drug,
    })
}

/// `dictionaries/dose-forms.tsv`: a dose form as documents write it → RxNorm's dose form.
pub(crate) fn dose_forms_table() -> Result<HashMap<String, String>, TableError> {
    let text = include_str!("../../dictionaries/dose-forms.tsv");
    let rows = Table::parse("dose-forms.tsv", text)?.map(|r| {
        Ok((
            r.get("phrase")?.to_ascii_lowercase(),
            r.get("dose_form")?.to_string(),
        ))
    })?;
    Ok(rows.into_iter().collect())
}

/// Loads both tables (for [`crate::check_shipped_tables`]).
pub(crate) fn check_tables() -> Result<(), TableError> {
    clinical_drugs_table()?;
    dose_forms_table()?;
    Ok(())
}

/// The clinical drug (SCD or SBD) with RxNorm code `rxcui`, when the table has it.
pub fn by_code(rxcui: &str) -> Option<&'static ClinicalDrugRow> {
    INDEX.by_code.get(rxcui).map(|&i| &INDEX.rows[i])
}

/// The SCD of `ingredients` (IN codes) at `strengths` (normalised, sorted) in dose form
/// `form`; without a form, the SCD of those ingredients and strengths when RxNorm has them in
/// one dose form only. `None` when RxNorm has none, or several forms and the words do not say
/// which.
pub fn scd(
    ingredients: &BTreeSet<String>,
    strengths: &[String],
    form: Option<&str>,
) -> Option<&'static ClinicalDrugRow> {
    let key = (ingredients.iter().cloned().collect(), strengths.to_vec());
    let candidates: Vec<&ClinicalDrugRow> = INDEX
        .by_drug
        .get(&key)?
        .iter()
        .map(|&i| &INDEX.rows[i])
        .filter(|r| r.tty == "SCD")
        .filter(|r| form.is_none_or(|f| r.form == f))
        .collect();
    // One dose form, or the words do not say which. RxNorm re-issues a remodelled clinical
    // drug under a new, higher RXCUI ("metformin 500 MG Oral Tablet" 311570 → 861007): the
    // table keeps both, and the newest is the one to send.
    let first = candidates.first()?;
    if candidates.iter().any(|r| r.form != first.form) {
        return None;
    }
    candidates
        .into_iter()
        .max_by_key(|r| r.rxcui.parse::<u64>().unwrap_or(0))
}

/// True when RxNorm has a clinical drug of `ingredients` at `strengths` (normalised, sorted),
/// in any dose form: a strength it has for no product of those ingredients is a dose or a
/// misread ("lisinopril 16 mg" from an OCR'd "10"), not a product strength.
pub fn known(ingredients: &BTreeSet<String>, strengths: &[String]) -> bool {
    let key = (ingredients.iter().cloned().collect(), strengths.to_vec());
    INDEX.by_drug.contains_key(&key)
}

/// The SCD a clinical drug row is (itself for an SCD; its generic for an SBD).
pub fn generic_of(row: &'static ClinicalDrugRow) -> Option<&'static ClinicalDrugRow> {
    if row.tty == "SCD" {
        return Some(row);
    }
    scd(&row.ingredients, &row.strengths, Some(&row.form))
}

/// The RxNorm dose form the words at the start of `text` name ("tab", "ER tablet",
/// "oral capsule"), looking at the first few words only.
pub fn dose_form(text: &str) -> Option<&'static str> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '.' | ':'))
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_ascii_lowercase)
        .collect();
    for start in 0..words.len() {
        for len in (1..=3).rev() {
            if start + len > words.len() {
                continue;
            }
            let phrase = words[start..start + len].join(" ");
            if let Some(f) = FORMS.get(&phrase) {
                return Some(f.as_str());
            }
        }
    }
    None
}

/// A strength as written ("0.5 mg", "25 mcg", "5-325 mg", "10 mg/5 mL", "500 MG") as
/// RxNorm writes it, one per ingredient: mass in MG ("25 mcg" is "0.025 MG"), units as UNT,
/// a concentration per one unit of its denominator ("10 mg/5 mL" is "2 MG/ML").
pub fn normalize_strength(s: &str) -> Vec<String> {
    static STRENGTH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\s*(\d+(?:\.\d+)?(?:\s*[-/]\s*\d+(?:\.\d+)?)*)\s*([a-zµ%]+)(?:\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+))?",
        )
        .expect("valid regex")
    });
    let Some(c) = STRENGTH.captures(s) else {
        return Vec::new();
    };
    let (factor, unit) = match c[2].to_ascii_lowercase().as_str() {
        "mg" => (1.0, "MG"),
        "mcg" | "ug" | "µg" => (0.001, "MG"),
        "g" | "gm" => (1000.0, "MG"),
        "unit" | "units" | "u" | "iu" | "unt" => (1.0, "UNT"),
        "meq" => (1.0, "MEQ"),
        "ml" => (1.0, "ML"),
        "mmol" => (1.0, "MMOL"),
        "%" => (1.0, "%"),
        _ => return Vec::new(),
    };
    let per_amount: f64 = c
        .get(3)
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(1.0);
    let per = match c.get(4).map(|m| m.as_str().to_ascii_lowercase()) {
        None => None,
        Some(p) => Some(match p.as_str() {
            "ml" => "ML",
            "mg" => "MG",
            "actuat" | "actuation" | "puff" => "ACTUAT",
            "hr" | "h" | "hour" => "HR",
            _ => return Vec::new(),
        }),
    };
    if per_amount <= 0.0 {
        return Vec::new();
    }
    c[1].split(['-', '/'])
        .filter_map(|n| n.trim().parse::<f64>().ok())
        .map(|v| {
            let v = v * factor / per_amount;
            let number = format!("{:.6}", v)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string();
            match per {
                Some(p) => format!("{number} {unit}/{p}"),
                None => format!("{number} {unit}"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(codes: &[&str]) -> BTreeSet<String> {
        codes.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn strengths_as_rxnorm_writes_them() {
        for (written, rxnorm) in [
            ("0.5 mg", vec!["0.5 MG"]),
            ("500 MG", vec!["500 MG"]),
            ("25 mcg", vec!["0.025 MG"]),
            ("1 g", vec!["1000 MG"]),
            ("10 mg/5 mL", vec!["2 MG/ML"]),
            ("100 units/mL", vec!["100 UNT/ML"]),
            ("5-325 mg", vec!["5 MG", "325 MG"]),
            ("2%", vec!["2 %"]),
            ("hives", vec![]),
        ] {
            assert_eq!(normalize_strength(written), rxnorm, "{written}");
        }
    }

    #[test]
    fn dose_forms_as_written() {
        assert_eq!(dose_form("TAB 1 tab PO daily"), Some("Oral Tablet"));
        assert_eq!(
            dose_form("ER tablet daily"),
            Some("Extended Release Oral Tablet")
        );
        assert_eq!(dose_form("oral capsule"), Some("Oral Capsule"));
        assert_eq!(dose_form("daily with food"), None);
    }

    #[test]
    fn ingredient_strength_and_form_name_the_scd() {
        // acetaminophen (161) 500 MG Oral Tablet.
        let row = scd(&set(&["161"]), &["500 MG".into()], Some("Oral Tablet")).unwrap();
        assert_eq!(row.rxcui, "198440");
        // Metformin 500 MG Oral Tablet [Glucophage] is the SBD of metformin 500 MG tablets.
        let sbd = by_code("204046").unwrap();
        assert_eq!(sbd.tty, "SBD");
        let generic = generic_of(sbd).unwrap();
        assert_eq!(
            generic.rxcui, "861007",
            "the current SCD, not the retired 311570"
        );
        assert_eq!(generic.ingredients, set(&["6809"]));
        assert_eq!(generic.strengths, ["500 MG"]);
        // A strength RxNorm does not have: no code.
        assert!(scd(&set(&["161"]), &["501 MG".into()], Some("Oral Tablet")).is_none());
    }
}
