//! Units and number words, the lists the dosage grammar is built from:
//! `dictionaries/units.tsv` (each unit word, its UCUM code, and where the grammar takes it)
//! and `dictionaries/number-words.tsv` ("two puffs", "every six hours", "half a tablet").
//!
//! The grammar itself — a strength is a number and a strength unit, optionally over a
//! denominator; a dose is a number and a dose form — is code, in [`super::medication`] and
//! the combination stage of the pipeline; which words fill each slot is data.

use std::sync::LazyLock;

use crate::tables::{self, Table, TableError};

/// Where the grammar takes a unit (`units.tsv`'s `uses` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Use {
    /// The unit of a strength: "10 MG", "0.5 MG/ML", "1 %".
    Strength,
    /// A strength's denominator: "MG/ML", "MG/ACTUAT", "MG/HR".
    Per,
    /// The strength unit inside a combination product's name: "300 MG / hydrocodone".
    Product,
    /// Its denominator: "21.7 MG/ML / dextromethorphan".
    ProductPer,
    /// A dose form counted in a dose: "2 puffs", "1 tab", "5 mL".
    Form,
    /// A mass on its own in a dose column: "325 MG 650 MG".
    Mass,
    /// A mass given with a verb: "take 650 mg", "inject ten grams".
    VerbMass,
    /// A word after a slash that makes a rate, not a second drug: "mg / day".
    Rate,
}

impl std::str::FromStr for Use {
    type Err = String;

    fn from_str(s: &str) -> Result<Use, String> {
        Ok(match s {
            "strength" => Use::Strength,
            "per" => Use::Per,
            "product" => Use::Product,
            "product-per" => Use::ProductPer,
            "form" => Use::Form,
            "mass" => Use::Mass,
            "verb-mass" => Use::VerbMass,
            "rate" => Use::Rate,
            other => return Err(format!("unknown use {other:?}")),
        })
    }
}

/// One unit word.
#[derive(Debug, Clone)]
struct Unit {
    word: String,
    ucum: Option<String>,
    uses: Vec<Use>,
}

/// The unit table.
#[derive(Debug)]
pub struct Units {
    units: Vec<Unit>,
}

/// The shipped unit table.
pub static UNITS: LazyLock<Units> = LazyLock::new(|| tables::shipped(units_table()));

/// The shipped number words and their values.
static NUMBER_WORDS: LazyLock<Vec<(String, f64)>> =
    LazyLock::new(|| tables::shipped(number_words_table()));

/// `dictionaries/units.tsv`.
pub(crate) fn units_table() -> Result<Units, TableError> {
    let text = include_str!("../../dictionaries/units.tsv");
    let table = Table::parse("units.tsv", text)?;
    let units = table.map(|r| {
        let word = r.first()?;
        if word.chars().any(char::is_uppercase) {
            return Err(format!("{word:?}: units are written in lower case"));
        }
        let uses = r
            .get("uses")?
            .split(';')
            .map(str::parse)
            .collect::<Result<Vec<Use>, String>>()?;
        let ucum = r.opt("ucum")?.map(str::to_string);
        let counted = uses
            .iter()
            .any(|u| matches!(u, Use::Form | Use::Mass | Use::VerbMass));
        if counted && ucum.is_none() {
            return Err(format!("{word:?} is used in doses and needs its UCUM code"));
        }
        Ok(Unit {
            word: word.to_string(),
            ucum,
            uses,
        })
    })?;
    Ok(Units { units })
}

/// `dictionaries/number-words.tsv`.
pub(crate) fn number_words_table() -> Result<Vec<(String, f64)>, TableError> {
    let text = include_str!("../../dictionaries/number-words.tsv");
    Table::parse("number-words.tsv", text)?.map(|r| Ok((r.first()?.to_string(), r.parse("value")?)))
}

impl Units {
    /// A regex alternation (no group) of the units of one use, longest first.
    pub fn alternation(&self, use_: Use) -> String {
        alternation(
            self.units
                .iter()
                .filter(|u| u.uses.contains(&use_))
                .map(|u| u.word.as_str()),
        )
    }

    /// The UCUM code of a dose unit as written ("tabs" → `{tablet}`, "mL" → `mL`); a unit the
    /// table does not code is written as an annotation (`{lozenge}`).
    pub fn ucum(&self, written: &str) -> String {
        let w = written.to_ascii_lowercase();
        match self.units.iter().find(|u| u.word == w) {
            Some(Unit {
                ucum: Some(code), ..
            }) => code.clone(),
            _ => format!("{{{}}}", w.trim_end_matches('s')),
        }
    }

    /// True for a word that makes a rate after a slash ("day" in "mg / day").
    pub fn is_rate(&self, word: &str) -> bool {
        self.units
            .iter()
            .any(|u| u.word == word && u.uses.contains(&Use::Rate))
    }
}

/// A number as written: digits ("2", "0.5", ".5"), a fraction ("1/2") or a number word
/// ("two", "half", "½").
pub fn number(s: &str) -> Option<f64> {
    let s = s.trim().to_ascii_lowercase();
    if let Some((_, v)) = NUMBER_WORDS.iter().find(|(w, _)| *w == s) {
        return Some(*v);
    }
    if let Some((a, b)) = s.split_once('/') {
        return Some(a.trim().parse::<f64>().ok()? / b.trim().parse::<f64>().ok()?);
    }
    s.parse().ok()
}

/// A regex (non-capturing group) for a number as written: digits, then the number words.
pub fn number_pattern() -> String {
    format!(
        r"(?:\d+(?:\.\d+)?|\.\d+|{})",
        alternation(NUMBER_WORDS.iter().map(|(w, _)| w.as_str()))
    )
}

/// Escaped words joined with `|`, longest first (then in byte order), so that no word hides
/// a longer one that starts with it.
fn alternation<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let mut words: Vec<&str> = words.collect();
    words.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    words
        .iter()
        .map(|w| regex::escape(w))
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_by_use() {
        assert_eq!(UNITS.alternation(Use::Mass), "mcg|gm|mg|g");
        assert_eq!(UNITS.ucum("Tabs"), "{tablet}");
        assert_eq!(UNITS.ucum("MLS"), "mL");
        assert_eq!(UNITS.ucum("ampules"), "{ampule}");
        assert!(UNITS.is_rate("day"));
        assert!(!UNITS.is_rate("aspirin"));
    }

    #[test]
    fn numbers() {
        for (s, v) in [
            ("two", 2.0),
            ("½", 0.5),
            ("1/2", 0.5),
            (".5", 0.5),
            ("12", 12.0),
        ] {
            assert_eq!(number(s), Some(v), "{s}");
        }
        assert_eq!(number("a"), None);
        let re = regex::Regex::new(&format!("^{}$", number_pattern())).unwrap();
        assert!(re.is_match("eleven") && re.is_match("2.5") && !re.is_match("tablet"));
    }
}
