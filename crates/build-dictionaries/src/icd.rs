//! ICD-10-CM: condition terms from the tabular descriptions and inclusion terms.
//!
//! Kept: billable codes outside the external-cause chapters (V00–Y99) and outside the Z codes
//! that are not problems (encounters, screening, social circumstances, family history, allergy
//! status …; see [`Z_KEPT`]). A code that only extends its parent with a 7th character
//! (encounter, sequela, fetus: "…, initial encounter") is folded into that parent: the parent's
//! description is the term and the parent's code is the code, because notes write the condition,
//! not the billing episode, and it keeps the table a third of the size.
//!
//! Variants of each description: without parenthesised nonessential modifiers
//! ("Essential (primary) hypertension" → "Essential hypertension"), without bracketed
//! alternatives, without "NOS", and without ", unspecified" / "Unspecified …" (the last only
//! when no other code claims that wording).

use std::collections::BTreeMap;
use std::path::Path;

use super::tsv::{Flags, Row, data_lines, fields, read_text, squash_spaces};
use super::{BuildError, Cand, FILE_COND_ICD};

/// File names inside the vocabulary folder.
pub const ICD_FILE: &str = "icd10cm-2026-04.tsv";
pub const ICD_INCLUSION_FILE: &str = "icd10cm-2026-04-inclusion-terms.tsv";

/// Z-code categories that are problems or relevant status (history, transplant, implants,
/// amputations, dependence on devices, BMI, HIV status, carrier, resistance to antimicrobials,
/// tobacco use, pregnancy state). Compared on the code without its dot.
pub const Z_KEPT: &[&str] = &[
    "Z16", "Z21", "Z22", "Z33", "Z68", "Z720", "Z85", "Z86", "Z87", "Z89", "Z90", "Z92", "Z93",
    "Z94", "Z95", "Z96", "Z97", "Z98", "Z99",
];

/// One tabular code.
#[derive(Debug, Clone)]
pub struct Code {
    pub code_dot: String,
    pub billable: bool,
    pub description: String,
}

/// The tabular list, by code without its dot.
#[derive(Debug, Default)]
pub struct Icd {
    pub codes: BTreeMap<String, Code>,
    /// Inclusion terms: (code without dot, term).
    pub inclusion: Vec<(String, String)>,
}

impl Icd {
    /// Reads the flattened tabular list and the inclusion terms.
    pub fn load(vocab: &Path) -> Result<Icd, BuildError> {
        let mut icd = Icd::default();
        let path = vocab.join(ICD_FILE);
        let text = read_text(&path)?;
        for (no, line) in data_lines(&path, &text, "code\tcode_dot\tbillable\tdescription")? {
            let f = fields(&path, no, line, 4)?;
            icd.codes.insert(
                f[0].to_string(),
                Code {
                    code_dot: f[1].to_string(),
                    billable: f[2] == "1",
                    description: squash_spaces(f[3]),
                },
            );
        }
        let path = vocab.join(ICD_INCLUSION_FILE);
        let text = read_text(&path)?;
        for (no, line) in data_lines(&path, &text, "code\tcode_dot\tterm\tterm_type")? {
            let f = fields(&path, no, line, 3)?;
            icd.inclusion.push((f[0].to_string(), squash_spaces(f[2])));
        }
        Ok(icd)
    }

    /// The description of a code given with its dot.
    pub fn display(&self, code_dot: &str) -> Option<&str> {
        self.codes
            .get(&code_dot.replace('.', ""))
            .filter(|c| c.code_dot == code_dot)
            .map(|c| c.description.as_str())
    }

    /// The code a billable 7th-character extension folds into, if it is one.
    fn folded_parent<'a>(&self, code: &'a str) -> Option<&'a str> {
        let c = self.codes.get(code)?;
        if code.len() < 7 {
            return None;
        }
        let parent = code[..code.len() - 1].trim_end_matches('X');
        let p = self.codes.get(parent)?;
        let prefix = format!("{}, ", p.description);
        (!p.billable && c.description.starts_with(&prefix)).then_some(parent)
    }

    /// Condition candidates.
    ///
    /// Ranks (lower wins a term): 0 a billable description (or the parent a 7th character
    /// folds into), 1 an inclusion term of a billable code, 2 an inclusion term of a category,
    /// 3 a description without ", unspecified", 4 and 5 descriptions and inclusion terms
    /// without their parenthesised or bracketed parts, 6 a plain category heading.
    pub fn condition_cands(&self, dropped: &mut BTreeMap<String, usize>) -> Vec<Cand> {
        let mut out = Vec::new();
        let mut emit = |code: &str, term: &str, rank: u64, with_variants: bool| {
            let c = &self.codes[code];
            let category = if code.starts_with('R') || code.starts_with('Z') {
                "finding"
            } else {
                "disorder"
            };
            let mut terms = vec![(term.to_string(), rank)];
            if with_variants {
                let variant_rank = if rank == 0 { 4 } else { 5 };
                terms.extend(
                    variants(term)
                        .into_iter()
                        .skip(1)
                        .map(|t| (t, variant_rank)),
                );
            }
            for (t, r) in terms {
                out.push(Cand::derived(
                    FILE_COND_ICD,
                    Row {
                        term: t,
                        kind: "condition".into(),
                        system: "icd10cm".into(),
                        code: c.code_dot.clone(),
                        display: c.description.clone(),
                        category: category.into(),
                        flags: Flags::default(),
                    },
                    [1, r, code.len() as u64, 0],
                ));
            }
        };
        for (code, c) in &self.codes {
            if !kept_chapter(code) {
                if c.billable {
                    *dropped
                        .entry("icd10cm: external cause or non-problem Z code".into())
                        .or_default() += 1;
                }
                continue;
            }
            if c.billable {
                let target = self.folded_parent(code).unwrap_or(code);
                let description = self.codes[target].description.clone();
                emit(target, &description, 0, true);
                if let Some(t) = strip_unspecified(&description) {
                    emit(target, &t, 3, false);
                }
            } else if is_plain_heading(&c.description) {
                emit(code, &c.description.clone(), 6, false);
            }
        }
        for (code, term) in &self.inclusion {
            let Some(c) = self.codes.get(code) else {
                continue;
            };
            if !kept_chapter(code) || is_instruction(term) {
                continue;
            }
            let rank = if c.billable { 1 } else { 2 };
            let term = term.strip_suffix(" NOS").unwrap_or(term);
            emit(code, term, rank, true);
        }
        out
    }
}

/// Inclusion "terms" that are coding instructions ("This code is not for inpatient use …").
fn is_instruction(term: &str) -> bool {
    let l = term.to_lowercase();
    l.contains("code") || l.contains(". ") || l.contains("category is")
}

/// Whether a code (without dot) is in a chapter the dictionary keeps.
pub fn kept_chapter(code: &str) -> bool {
    match code.as_bytes().first() {
        Some(b'V' | b'W' | b'X' | b'Y') => false,
        Some(b'Z') => Z_KEPT.iter().any(|z| code.starts_with(z)),
        Some(_) => true,
        None => false,
    }
}

/// A non-billable heading worth a term of last resort ("Type 2 diabetes mellitus" E11): not an
/// "Other …" / "… and …" / "unspecified" grouping.
fn is_plain_heading(d: &str) -> bool {
    let l = d.to_lowercase();
    !(l.contains("other")
        || l.contains(" and ")
        || l.contains("unspecified")
        || l.contains("elsewhere")
        || l.contains(" or ")
        || l.contains(',')
        || l.contains('(')
        || l.contains('['))
}

/// "Anemia, unspecified" → "Anemia"; "Unspecified atrial fibrillation" → "Atrial fibrillation".
pub fn strip_unspecified(d: &str) -> Option<String> {
    if let Some(rest) = d.strip_suffix(", unspecified") {
        return Some(rest.to_string());
    }
    if let Some(rest) = d.strip_prefix("Unspecified ") {
        if rest.contains(',') {
            return None;
        }
        let mut cs = rest.chars();
        return cs
            .next()
            .map(|f| f.to_uppercase().chain(cs).collect::<String>());
    }
    None
}

/// The term as written, then without parenthesised and bracketed parts. A variant must keep
/// two words: "Cocaine (topical)" does not become "Cocaine".
pub fn variants(term: &str) -> Vec<String> {
    let mut out = vec![term.to_string()];
    for strip in [&['('][..], &['['][..], &['(', '['][..]] {
        let v = remove_groups(term, strip);
        if v.split(' ').count() >= 2 && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Removes "(…)" and/or "[…]" groups (balanced, not nested) and tidies the spaces and commas.
fn remove_groups(term: &str, open: &[char]) -> String {
    let mut out = String::with_capacity(term.len());
    let mut close: Option<char> = None;
    for ch in term.chars() {
        match close {
            Some(c) if ch == c => close = None,
            Some(_) => {}
            None if open.contains(&ch) => {
                close = Some(if ch == '(' { ')' } else { ']' });
            }
            None => out.push(ch),
        }
    }
    if close.is_some() {
        return term.to_string();
    }
    let s = squash_spaces(&out);
    s.replace(" ,", ",").trim_matches([',', ' ']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_variants() {
        assert_eq!(
            variants("Essential (primary) hypertension"),
            vec!["Essential (primary) hypertension", "Essential hypertension"]
        );
        assert_eq!(
            variants("Severe [Duchenne] muscular dystrophy"),
            vec![
                "Severe [Duchenne] muscular dystrophy",
                "Severe muscular dystrophy"
            ]
        );
        assert_eq!(
            variants("Inferoposterior transmural (Q wave) infarction (acute)"),
            vec![
                "Inferoposterior transmural (Q wave) infarction (acute)",
                "Inferoposterior transmural infarction"
            ]
        );
        assert_eq!(variants("Hypertension"), vec!["Hypertension"]);
        assert_eq!(variants("Cocaine (topical)"), vec!["Cocaine (topical)"]);
        assert_eq!(
            strip_unspecified("Anemia, unspecified").as_deref(),
            Some("Anemia")
        );
        assert_eq!(
            strip_unspecified("Unspecified atrial fibrillation").as_deref(),
            Some("Atrial fibrillation")
        );
        assert_eq!(strip_unspecified("Cholera due to Vibrio cholerae"), None);
    }

    #[test]
    fn chapters() {
        assert!(kept_chapter("I10"));
        assert!(!kept_chapter("W010XXA"));
        assert!(!kept_chapter("Z0000"));
        assert!(kept_chapter("Z8546"));
        assert!(!kept_chapter("Z800"));
        assert!(kept_chapter("Z720"));
        assert!(!kept_chapter("Z7289"));
    }

    #[test]
    fn seventh_characters_fold_into_their_parent() {
        let mut icd = Icd::default();
        for (code, dot, billable, d) in [
            (
                "S93401",
                "S93.401",
                false,
                "Sprain of unspecified ligament of right ankle",
            ),
            (
                "S93401A",
                "S93.401A",
                true,
                "Sprain of unspecified ligament of right ankle, initial encounter",
            ),
            (
                "M8000",
                "M80.00",
                false,
                "Age-related osteoporosis with current pathological fracture, unspecified site",
            ),
            (
                "M8000XA",
                "M80.00XA",
                true,
                "Age-related osteoporosis with current pathological fracture, unspecified site, initial encounter for fracture",
            ),
            (
                "E119",
                "E11.9",
                true,
                "Type 2 diabetes mellitus without complications",
            ),
        ] {
            icd.codes.insert(
                code.into(),
                Code {
                    code_dot: dot.into(),
                    billable,
                    description: d.into(),
                },
            );
        }
        assert_eq!(icd.folded_parent("S93401A"), Some("S93401"));
        assert_eq!(icd.folded_parent("M8000XA"), Some("M8000"));
        assert_eq!(icd.folded_parent("E119"), None);
        let mut dropped = BTreeMap::new();
        let cands = icd.condition_cands(&mut dropped);
        let terms: Vec<(&str, &str)> = cands
            .iter()
            .map(|c| (c.row.term.as_str(), c.row.code.as_str()))
            .collect();
        assert!(terms.contains(&("Sprain of unspecified ligament of right ankle", "S93.401")));
        assert!(!terms.iter().any(|(_, c)| *c == "S93.401A"));
    }
}
