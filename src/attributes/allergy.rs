//! Allergy attributes: the reactions (manifestations) in an allergen's row, their severity,
//! the allergy's criticality and type.
//!
//! A reaction belongs to the allergen whose row it stands in — "PCN (hives), sulfa (rash)",
//! "Penicillin G | Hives | Moderate | Active" — and a severity to the reaction it follows
//! ("Rash (Moderate)"), or to every reaction of the row when it stands in a cell of its own.

use std::sync::LazyLock;

use crate::dictionary::{Entry, Kind, System};
use crate::normalize::KeyText;
use crate::phrases::PhraseTable;
use crate::tables::{self, Table, TableError};

/// (severity, criticality)
type SeverityRow = (String, Option<String>);

static SEVERITY: LazyLock<PhraseTable<SeverityRow>> =
    LazyLock::new(|| tables::shipped(severity_table()));

/// `dictionaries/reaction-severity.tsv`: severity wordings → FHIR `reaction.severity` (mild,
/// moderate, severe) and, for some, the allergy's criticality (high, low).
pub(crate) fn severity_table() -> Result<PhraseTable<SeverityRow>, TableError> {
    let text = include_str!("../../dictionaries/reaction-severity.tsv");
    PhraseTable::from_table(&Table::parse("reaction-severity.tsv", text)?, |r| {
        let severity = r.get("severity")?;
        if !matches!(severity, "mild" | "moderate" | "severe") {
            return Err(format!(
                "severity {severity:?} is not mild, moderate or severe"
            ));
        }
        let criticality = r.opt("criticality")?;
        if let Some(c) = criticality.filter(|c| !matches!(*c, "high" | "low")) {
            return Err(format!("criticality {c:?} is not high or low"));
        }
        Ok((severity.to_string(), criticality.map(str::to_string)))
    })
}

/// A row of `no-known-allergies.tsv`.
#[derive(Debug, Clone)]
pub(crate) struct NoKnownRow {
    code: String,
    display: String,
    /// all | medication | food | environment | latex; `unknown` for a wording that says the
    /// allergies are not known ("No Known Allergy Information"): no statement at all.
    covers: String,
    /// Only a statement inside this kind of section ("None known" under Allergies).
    section: Option<String>,
}

/// "No known allergies" phrases and their SNOMED CT codes.
static NO_KNOWN: LazyLock<PhraseTable<NoKnownRow>> =
    LazyLock::new(|| tables::shipped(no_known_allergies_table()));

/// `dictionaries/no-known-allergies.tsv`: "no known (drug …) allergies" wordings → SNOMED CT,
/// what they cover, and the wordings that mean "unknown" instead.
pub(crate) fn no_known_allergies_table() -> Result<PhraseTable<NoKnownRow>, TableError> {
    let text = include_str!("../../dictionaries/no-known-allergies.tsv");
    PhraseTable::from_table(&Table::parse("no-known-allergies.tsv", text)?, |r| {
        let covers = r.get("covers")?.to_string();
        let known = [
            "all",
            "medication",
            "food",
            "environment",
            "latex",
            "unknown",
        ];
        if !known.contains(&covers.as_str()) {
            return Err(format!(
                "covers {covers:?} (expected one of {})",
                known.join(", ")
            ));
        }
        let (code, display) = if covers == "unknown" {
            (String::new(), String::new())
        } else {
            (r.get("code")?.to_string(), r.get("display")?.to_string())
        };
        Ok(NoKnownRow {
            code,
            display,
            covers,
            section: r.opt("section")?.map(str::to_string),
        })
    })
}

/// Every "no known allergies" statement on a page ("NKDA", "No Known Allergies", "no known
/// drug allergies" …): its span in the page text and the SNOMED CT row that codes it
/// (716186003 no known allergy, 409137002 no known drug allergy …). The entry's `category`
/// says what it covers (`all`, `medication`, `food` …) and its `section` the only kind of
/// section it is a statement in. Wordings that mean "unknown" ("No Known Allergy
/// Information", "allergies not recorded") are none.
pub fn no_known_allergies(text: &str, key: &KeyText) -> Vec<(std::ops::Range<usize>, Entry)> {
    NO_KNOWN
        .find(text, key, 0..key.key.len())
        .into_iter()
        .filter(|hit| hit.value.covers != "unknown")
        .map(|hit| {
            let row = hit.value;
            let entry = Entry {
                term: text[hit.start..hit.end].to_string(),
                kind: Kind::Allergen,
                system: System::Snomed,
                code: row.code.clone(),
                display: row.display.clone(),
                category: row.covers.clone(),
                case_sensitive: false,
                tty: None,
                section: row.section.clone(),
                via: None,
                source: "no-known-allergies.tsv".into(),
            };
            (hit.start..hit.end, entry)
        })
        .collect()
}

/// A reaction found in an allergen's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    /// Words as written.
    pub text: String,
    /// Rows coding the manifestation (SNOMED CT).
    pub entries: Vec<Entry>,
    /// mild | moderate | severe.
    pub severity: Option<String>,
    /// Page-text span.
    pub start: usize,
    /// Page-text span: end.
    pub end: usize,
}

/// What an allergen's row says about the allergy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllergyAttrs {
    /// The reactions of the row, in order.
    pub reactions: Vec<Reaction>,
    /// high | low, when the row gives a reason (anaphylaxis, "severe", "intolerance").
    pub criticality: Option<String>,
    /// allergy | intolerance, when written.
    pub kind: Option<String>,
}

/// Reads an allergen's row. `terms` are the condition / reaction terms found in the page
/// (span, rows), in page order.
pub fn read_row(
    text: &str,
    key: &KeyText,
    row: std::ops::Range<usize>,
    mention: std::ops::Range<usize>,
    terms: &[(usize, usize, Vec<Entry>)],
) -> AllergyAttrs {
    let mut attrs = AllergyAttrs::default();
    let severities = SEVERITY.find(
        text,
        key,
        key.key_offset(row.start)..key.key_offset(row.end),
    );
    let mut attached = vec![false; severities.len()];
    for (s, e, entries) in terms {
        if *s < row.start || *e > row.end || (*s < mention.end && mention.start < *e) {
            continue;
        }
        // A severity right after the reaction, in the same cell: "Rash (Moderate)".
        let same_cell = severities.iter().position(|h| {
            h.start >= *e && h.start - *e <= 4 && !text[*e..h.start].contains(['\t', '\n'])
        });
        if let Some(i) = same_cell {
            attached[i] = true;
        }
        attrs.reactions.push(Reaction {
            text: text[*s..*e].to_string(),
            entries: entries.clone(),
            severity: same_cell.map(|i| severities[i].value.0.clone()),
            start: *s,
            end: *e,
        });
    }
    // A severity in a cell of its own applies to every reaction of the row without one.
    let row_severity = severities
        .iter()
        .zip(&attached)
        .find(|(_, a)| !**a)
        .map(|(h, _)| h);
    if let Some(h) = row_severity {
        for r in attrs.reactions.iter_mut().filter(|r| r.severity.is_none()) {
            r.severity = Some(h.value.0.clone());
        }
    }
    let high = severities
        .iter()
        .any(|h| h.value.1.as_deref() == Some("high"))
        || attrs.reactions.iter().any(|r| {
            r.text.to_ascii_lowercase().contains("anaphyla")
                || r.entries
                    .iter()
                    .any(|e| e.display.to_ascii_lowercase().contains("anaphyla"))
        });
    let row_text = text[row.clone()].to_ascii_lowercase();
    let intolerance = row_text.contains("intolerance") || row_text.contains("side effect");
    attrs.kind = if intolerance {
        Some("intolerance".into())
    } else if row_text.contains("allergy") || row_text.contains("allergic") {
        Some("allergy".into())
    } else {
        None
    };
    attrs.criticality = if high {
        Some("high".into())
    } else if intolerance {
        Some("low".into())
    } else {
        None
    };
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: &str) -> Entry {
        Entry {
            term: term.into(),
            kind: Kind::Reaction,
            system: System::Snomed,
            code: "1".into(),
            display: term.into(),
            category: String::new(),
            case_sensitive: false,
            tty: None,
            section: None,
            via: None,
            source: "test".into(),
        }
    }

    /// Reads the row of `allergen` in `text`, with `reactions` as the reaction terms and the
    /// row ending at `next` (the next allergen) when given.
    fn read(text: &str, allergen: &str, next: Option<&str>, reactions: &[&str]) -> AllergyAttrs {
        let key = KeyText::new(text);
        let s = text.find(allergen).unwrap();
        let row_start = text[..s].rfind('\n').map_or(0, |p| p + 1);
        let row_end = next.map_or(text.len(), |n| {
            let p = text.find(n).unwrap();
            text[..p]
                .rfind('\n')
                .map_or(p, |q| if q < s { p } else { q + 1 })
        });
        let mut terms = Vec::new();
        for r in reactions {
            let mut from = 0;
            while let Some(p) = text[from..].find(r) {
                terms.push((from + p, from + p + r.len(), vec![entry(r)]));
                from += p + r.len();
            }
        }
        terms.sort_by_key(|t| t.0);
        read_row(
            text,
            &key,
            row_start..row_end,
            s..s + allergen.len(),
            &terms,
        )
    }

    fn reactions(a: &AllergyAttrs) -> Vec<(String, Option<String>)> {
        a.reactions
            .iter()
            .map(|r| (r.text.clone(), r.severity.clone()))
            .collect()
    }

    #[test]
    fn table_row_with_severity_cell() {
        let text = "Penicillin G\tHives\tModerate\tActive\nSulfa\tRash\tMild\tActive\n";
        let a = read(text, "Penicillin G", Some("Sulfa"), &["Hives", "Rash"]);
        assert_eq!(
            reactions(&a),
            vec![("Hives".into(), Some("moderate".into()))]
        );
        let b = read(text, "Sulfa", None, &["Hives", "Rash"]);
        assert_eq!(reactions(&b), vec![("Rash".into(), Some("mild".into()))]);
    }

    #[test]
    fn severity_in_parentheses_after_each_reaction() {
        let text = "Peanut Oil\tRash (Moderate)\nShortness of breath (Severe)\tactive\n";
        let a = read(text, "Peanut Oil", None, &["Rash", "Shortness of breath"]);
        assert_eq!(
            reactions(&a),
            vec![
                ("Rash".into(), Some("moderate".into())),
                ("Shortness of breath".into(), Some("severe".into()))
            ]
        );
        assert_eq!(a.criticality.as_deref(), Some("high"));
    }

    #[test]
    fn inline_list_attaches_to_the_right_allergen() {
        let text = "Allergies: PCN (hives)\nsulfa (rash)\n";
        let a = read(text, "PCN", Some("sulfa"), &["hives", "rash"]);
        assert_eq!(reactions(&a), vec![("hives".into(), None)]);
        let b = read(text, "sulfa", None, &["hives", "rash"]);
        assert_eq!(reactions(&b), vec![("rash".into(), None)]);
    }

    #[test]
    fn anaphylaxis_is_high_criticality_and_intolerance_is_low() {
        let a = read(
            "Shellfish - anaphylaxis\n",
            "Shellfish",
            None,
            &["anaphylaxis"],
        );
        assert_eq!(a.criticality.as_deref(), Some("high"));
        let b = read(
            "Codeine - nausea (intolerance)\n",
            "Codeine",
            None,
            &["nausea"],
        );
        assert_eq!(b.criticality.as_deref(), Some("low"));
        assert_eq!(b.kind.as_deref(), Some("intolerance"));
        let c = read("Aspirin\tHives\n", "Aspirin", None, &["Hives"]);
        assert_eq!(c.criticality, None);
        assert_eq!(c.kind, None);
    }
}
