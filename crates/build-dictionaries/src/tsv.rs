//! The term-table row, its validation, and reading and writing of plain TSV (no quoting: a
//! field never holds a tab or a line break).

use std::fmt;
use std::path::Path;

use super::BuildError;
use chart2fhir::dictionary::vocabulary::allergy_categories;
use chart2fhir::normalize::fold::term_key;

/// Header of every term table.
pub const TERM_HEADER: &str = "term\tkind\tsystem\tcode\tdisplay\tcategory\tflags";
/// Header of `stopwords.tsv` and `exceptions.tsv`.
pub const WORD_HEADER: &str = "term\treason";
/// Header of `rxnorm-clinical-drugs.tsv`.
pub const CLINICAL_DRUG_HEADER: &str = "rxcui\ttty\tingredients\tstrength\tdose_form\tname";

/// Valid values of the `kind` column.
pub const KINDS: &[&str] = &["condition", "medication", "allergen", "reaction"];
/// Valid values of the `system` column.
pub const SYSTEMS: &[&str] = &["snomed", "icd10cm", "rxnorm", "unii"];
/// Valid values of `section=`.
pub const SECTIONS: &[&str] = &["allergies", "medications", "problems"];
/// Valid values of `via=`.
pub const VIAS: &[&str] = &[
    "brand",
    "clinical-drug",
    "precise-ingredient",
    "multiple-ingredients",
];
/// RxNorm term types a row may carry in `tty=`.
pub const TTYS: &[&str] = &[
    "IN", "PIN", "MIN", "BN", "SCD", "SBD", "GPCK", "BPCK", "SCDC", "SBDC", "SCDF", "SBDF", "SCDG",
    "SBDG",
];

/// One row of a term table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Row {
    /// The term as written in documents.
    pub term: String,
    /// condition | medication | allergen | reaction.
    pub kind: String,
    /// snomed | icd10cm | rxnorm | unii.
    pub system: String,
    /// The code in that system.
    pub code: String,
    /// The code system's display.
    pub display: String,
    /// Allergen / medication category, condition semantic tag, or empty.
    pub category: String,
    /// The `flags` column.
    pub flags: Flags,
}

/// The `flags` column, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Flags {
    /// Match only as written (letter case).
    pub cs: bool,
    /// RxNorm term type (`tty=`).
    pub tty: Option<String>,
    /// The brand or clinical drug an ingredient row was added for (`via=`).
    pub via: Option<String>,
    /// The only kind of section the row is valid in (`section=`).
    pub section: Option<String>,
}

impl Flags {
    /// Flags of an RxNorm row of this term type.
    pub fn tty(tty: &str) -> Flags {
        Flags {
            tty: Some(tty.to_string()),
            ..Flags::default()
        }
    }

    /// The same flags with `via=` set.
    pub fn via(mut self, via: &str) -> Flags {
        self.via = Some(via.to_string());
        self
    }

    /// Parses `cs;tty=IN;via=brand;section=allergies` (any order, empty allowed).
    pub fn parse(s: &str) -> Result<Flags, String> {
        let mut flags = Flags::default();
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                None if part == "cs" => flags.cs = true,
                Some(("tty", v)) if TTYS.contains(&v) => flags.tty = Some(v.to_string()),
                Some(("via", v)) if VIAS.contains(&v) => flags.via = Some(v.to_string()),
                Some(("section", v)) if SECTIONS.contains(&v) => {
                    flags.section = Some(v.to_string())
                }
                _ => return Err(format!("unknown flag {part:?}")),
            }
        }
        Ok(flags)
    }
}

impl fmt::Display for Flags {
    /// Canonical order: `cs`, `tty=`, `via=`, `section=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.cs {
            parts.push("cs".into());
        }
        if let Some(t) = &self.tty {
            parts.push(format!("tty={t}"));
        }
        if let Some(v) = &self.via {
            parts.push(format!("via={v}"));
        }
        if let Some(s) = &self.section {
            parts.push(format!("section={s}"));
        }
        f.write_str(&parts.join(";"))
    }
}

impl Row {
    /// The row as one TSV line (without the line break).
    pub fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.term, self.kind, self.system, self.code, self.display, self.category, self.flags
        )
    }

    /// The term key (always lowercase; `cs` is a filter the matcher applies on the text).
    pub fn key(&self) -> String {
        term_key(&self.term)
    }

    /// Parses and checks one line of a term table.
    pub fn parse(line: &str) -> Result<Row, String> {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 7 {
            return Err(format!(
                "expected 7 tab-separated columns, found {}",
                cols.len()
            ));
        }
        let row = Row {
            term: cols[0].to_string(),
            kind: cols[1].to_string(),
            system: cols[2].to_string(),
            code: cols[3].to_string(),
            display: cols[4].to_string(),
            category: cols[5].to_string(),
            flags: Flags::parse(cols[6])?,
        };
        row.check()?;
        Ok(row)
    }

    /// Checks the column values and their combinations.
    pub fn check(&self) -> Result<(), String> {
        for (name, value) in [
            ("term", &self.term),
            ("code", &self.code),
            ("display", &self.display),
        ] {
            if value.trim() != value.as_str() || value.is_empty() {
                return Err(format!("{name} {value:?} is empty or not trimmed"));
            }
            if value.contains(['\t', '\n', '\r']) {
                return Err(format!("{name} {value:?} holds a tab or line break"));
            }
        }
        if term_key(&self.term).is_empty() {
            return Err(format!("term {:?} has no letters or digits", self.term));
        }
        if !KINDS.contains(&self.kind.as_str()) {
            return Err(format!("unknown kind {:?}", self.kind));
        }
        if !SYSTEMS.contains(&self.system.as_str()) {
            return Err(format!("unknown system {:?}", self.system));
        }
        // Allergens and medications: the FHIR allergy categories the runtime knows
        // (dictionaries/allergy-categories.tsv).
        let categories: Vec<&str> = match self.kind.as_str() {
            "condition" => vec!["disorder", "finding"],
            "medication" | "allergen" => allergy_categories().iter().map(String::as_str).collect(),
            _ => vec![""],
        };
        if !categories.contains(&self.category.as_str()) {
            return Err(format!(
                "category {:?} is not valid for kind {} (expected one of {:?})",
                self.category, self.kind, categories
            ));
        }
        if !code_is_valid(&self.system, &self.code) {
            return Err(format!(
                "{:?} is not a valid {} code",
                self.code, self.system
            ));
        }
        if (self.system == "rxnorm") != self.flags.tty.is_some() {
            return Err("tty= is required on RxNorm rows and only there".into());
        }
        if self.flags.via.is_some()
            && !matches!(self.flags.tty.as_deref(), Some("IN" | "MIN" | "SCD"))
        {
            return Err("via= is only valid on IN, MIN or SCD rows".into());
        }
        Ok(())
    }
}

/// The shape of a code: SNOMED sctid digits, ICD-10-CM with its dot, RxNorm digits, UNII 10
/// characters.
pub fn code_is_valid(system: &str, code: &str) -> bool {
    let b = code.as_bytes();
    match system {
        "snomed" | "rxnorm" => {
            !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) && b[0] != b'0'
        }
        "icd10cm" => {
            let (cat, sub) = code.split_once('.').unwrap_or((code, ""));
            cat.len() == 3
                && cat.as_bytes()[0].is_ascii_uppercase()
                && cat
                    .bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && sub.len() <= 4
                && sub
                    .bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && (sub.is_empty() != code.contains('.'))
        }
        "unii" => {
            b.len() == 10
                && b.iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Reads a file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, BuildError> {
    std::fs::read_to_string(path).map_err(|source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The data lines of a TSV whose first line must be `header`, with their 1-based line numbers.
pub fn data_lines<'a>(
    path: &Path,
    text: &'a str,
    header: &str,
) -> Result<Vec<(usize, &'a str)>, BuildError> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    if first != header {
        return Err(BuildError::Format {
            path: path.to_path_buf(),
            line: 1,
            detail: format!("expected the header {header:?}, found {first:?}"),
        });
    }
    Ok(lines
        .enumerate()
        .map(|(i, l)| (i + 2, l))
        .filter(|(_, l)| !l.is_empty())
        .collect())
}

/// Splits a raw vocabulary line into fields; errors name the file and line when too short.
pub fn fields<'a>(
    path: &Path,
    line_no: usize,
    line: &'a str,
    min: usize,
) -> Result<Vec<&'a str>, BuildError> {
    let cols: Vec<&str> = line.split('\t').collect();
    if cols.len() < min {
        return Err(BuildError::Format {
            path: path.to_path_buf(),
            line: line_no,
            detail: format!(
                "expected at least {min} tab-separated fields, found {}",
                cols.len()
            ),
        });
    }
    Ok(cols)
}

/// Text of a table: header, then the lines sorted in byte order without duplicates.
pub fn table_text(header: &str, lines: impl IntoIterator<Item = String>) -> String {
    let mut lines: Vec<String> = lines.into_iter().collect();
    lines.sort_unstable();
    lines.dedup();
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum::<usize>() + 64);
    out.push_str(header);
    out.push('\n');
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// Collapses runs of white space to one space and trims.
pub fn squash_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(code_is_valid("icd10cm", "I48.91"));
        assert!(code_is_valid("icd10cm", "I10"));
        assert!(code_is_valid("icd10cm", "S93.401A"));
        assert!(!code_is_valid("icd10cm", "I4891"));
        assert!(!code_is_valid("icd10cm", "I10."));
        assert!(code_is_valid("snomed", "38341003"));
        assert!(!code_is_valid("snomed", "0123"));
        assert!(code_is_valid("unii", "362O9ITL9D"));
        assert!(!code_is_valid("unii", "362o9ITL9D"));
    }

    #[test]
    fn flags_round_trip_in_canonical_order() {
        let f = Flags::parse("section=allergies;via=brand;tty=IN;cs").unwrap();
        assert_eq!(f.to_string(), "cs;tty=IN;via=brand;section=allergies");
        assert!(Flags::parse("tty=XYZ").is_err());
        assert!(Flags::parse("fast").is_err());
    }

    #[test]
    fn row_checks() {
        let ok = "Lipitor\tmedication\trxnorm\t83367\tatorvastatin\tmedication\ttty=IN;via=brand";
        assert_eq!(Row::parse(ok).unwrap().line(), ok);
        for bad in [
            "HTN\tcondition\tsnomed\t38341003\tHypertensive disorder\tmedication\t",
            "HTN\tcondition\tsnomed\t38341003\tHypertensive disorder\tdisorder\ttty=IN",
            "HTN\tdisease\tsnomed\t38341003\tHypertensive disorder\tdisorder\t",
            " HTN\tcondition\tsnomed\t38341003\tHypertensive disorder\tdisorder\t",
            "Hives\treaction\tsnomed\t247472004\tWheal\tfood\t",
        ] {
            assert!(Row::parse(bad).is_err(), "{bad}");
        }
    }
}
