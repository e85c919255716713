//! What the term tables' columns mean, as data: the RxNorm term types
//! (`dictionaries/rxnorm-term-types.tsv`: how specific each is, which name an ingredient) and
//! the allergy categories (`dictionaries/allergy-categories.tsv`, FHIR's
//! `allergy-intolerance-category`).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Entry, System};
use crate::tables::{self, Table, TableError};

/// What a term type says about a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TermType {
    /// Coding order within RxNorm: 0 a clinical drug or pack, 1 an ingredient, 2 a brand.
    specificity: u8,
    /// 1 a base ingredient (IN), 2 a precise or multiple ingredient (PIN, MIN).
    ingredient: Option<u8>,
}

static TERM_TYPES: LazyLock<HashMap<String, TermType>> =
    LazyLock::new(|| tables::shipped(term_types_table()));

static ALLERGY_CATEGORIES: LazyLock<Vec<String>> =
    LazyLock::new(|| tables::shipped(allergy_categories_table()));

/// `dictionaries/rxnorm-term-types.tsv`.
pub(crate) fn term_types_table() -> Result<HashMap<String, TermType>, TableError> {
    let text = include_str!("../../dictionaries/rxnorm-term-types.tsv");
    let rows = Table::parse("rxnorm-term-types.tsv", text)?.map(|r| {
        let ingredient = match r.opt("ingredient")? {
            None => None,
            Some(_) => Some(r.parse("ingredient")?),
        };
        let t = TermType {
            specificity: r.parse("specificity")?,
            ingredient,
        };
        Ok((r.first()?.to_string(), t))
    })?;
    Ok(rows.into_iter().collect())
}

/// `dictionaries/allergy-categories.tsv`.
pub(crate) fn allergy_categories_table() -> Result<Vec<String>, TableError> {
    let text = include_str!("../../dictionaries/allergy-categories.tsv");
    Table::parse("allergy-categories.tsv", text)?.map(|r| Ok(r.first()?.to_string()))
}

/// The FHIR allergy categories (biologic, environment, food, medication) a term's `category`
/// may name for an allergen or a medication.
pub fn allergy_categories() -> &'static [String] {
    &ALLERGY_CATEGORIES
}

/// How specific an RxNorm term type is, for the order of codings: 0 a clinical drug or pack,
/// 1 an ingredient, 2 a brand name, 3 anything else (or no term type).
pub fn specificity(tty: Option<&str>) -> u8 {
    tty.and_then(|t| TERM_TYPES.get(t))
        .map_or(3, |t| t.specificity)
}

/// The ingredient level of an RxNorm term type: 1 a base ingredient (IN), 2 a precise or
/// multiple ingredient (PIN, MIN), `None` for a drug, pack or brand.
pub fn ingredient_level(tty: Option<&str>) -> Option<u8> {
    tty.and_then(|t| TERM_TYPES.get(t))
        .and_then(|t| t.ingredient)
}

impl Entry {
    /// True for an RxNorm ingredient row (IN, PIN, MIN).
    pub fn is_ingredient(&self) -> bool {
        self.system == System::Rxnorm && ingredient_level(self.tty.as_deref()).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_types_and_categories() {
        assert_eq!(specificity(Some("SCD")), 0);
        assert_eq!(specificity(Some("IN")), 1);
        assert_eq!(specificity(Some("BN")), 2);
        assert_eq!(specificity(Some("SCDC")), 3);
        assert_eq!(specificity(None), 3);
        assert_eq!(ingredient_level(Some("IN")), Some(1));
        assert_eq!(ingredient_level(Some("MIN")), Some(2));
        assert_eq!(ingredient_level(Some("SBD")), None);
        assert_eq!(
            allergy_categories(),
            ["biologic", "environment", "food", "medication"]
        );
    }
}
