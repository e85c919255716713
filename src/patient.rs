//! Patient: who the document is about, from its header lines ("Patient: …", "DOB: …",
//! "Sex: …", "MRN: …", a face sheet's label/value cells, a cover sheet's "Re: NAME DOB …").
//!
//! A packet may hold several documents; each names its patient. When two name different
//! people (different birth dates, or names that share nothing), that is reported as a
//! conflict: mixing two people's records is the worst failure this tool can make.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use crate::dates;

/// Administrative gender (FHIR `Patient.gender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other.
    Other,
    /// Unknown.
    Unknown,
}

impl Gender {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::Other => "other",
            Gender::Unknown => "unknown",
        }
    }
}

/// What one document header says about the patient.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientInfo {
    /// The name as written (PHI: never logged).
    pub name: Option<String>,
    /// ISO date `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Administrative gender.
    pub gender: Option<Gender>,
    /// Medical record number as written.
    pub mrn: Option<String>,
    /// Pages the facts were read from.
    pub pages: Vec<u32>,
    /// Read from a PDF text layer (exact characters), not from OCR.
    pub exact: bool,
}

impl PatientInfo {
    /// True when the header names no one (no name, birth date or MRN).
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.birth_date.is_none() && self.mrn.is_none()
    }
}

/// The patient of a whole document, and any conflict between its headers.
#[derive(Debug, Clone, Default)]
pub struct PatientSummary {
    /// The patient (facts merged over the document's headers).
    pub patient: PatientInfo,
    /// Set when headers name different people; says which pages, never the names.
    pub conflict: Option<String>,
}

static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*
        (?P<label>patient\s*name|patient|name\s+of\s+patient|date\s+of\s+birth|birth\s*date|d\.?o\.?b\.?
          |sex|gender|administrative\s+gender|mrn|medical\s+record\s+(?:number|no\.?|\#)|mrn\s*\#|patient\s+id)
        \s*(?::|\t|\s{2,})\s*(?P<value>[^\t\n]+?)\s*(?:\t|$)",
    )
    .expect("valid regex")
});

static RE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*re\s*:\s*(?P<name>[^\t\n]+?)\s+dob\s*:?\s*(?P<dob>[0-9/.\-]+)")
        .expect("valid regex")
});

static INLINE_DOB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bdob|date\s+of\s+birth)[\s:=;,.\-—|]*(?P<dob>[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4})")
        .expect("valid regex")
});

/// Reads the patient facts of one page. `exact` is true for a PDF text layer, false for OCR
/// text, where a misread digit must not pass for another patient.
pub fn read_page(text: &str, page: u32, exact: bool) -> PatientInfo {
    let mut info = PatientInfo {
        exact,
        ..Default::default()
    };
    for line in text.lines().take(60) {
        if let Some(c) = RE_LINE.captures(line) {
            set(&mut info.name, clean_name(&c["name"]));
            set(&mut info.birth_date, dates::parse(&c["dob"]));
        }
        // A line may hold two label/value pairs side by side ("DOB: … Sex: Male").
        for cell in split_pairs(line) {
            let Some(c) = LABELLED.captures(&cell) else {
                continue;
            };
            let label = c["label"].to_ascii_lowercase();
            // OCR leaves marks between a label and its value ("Date of birth: = 08/01/1970 |").
            let value = c["value"]
                .trim()
                .trim_start_matches(|ch: char| !ch.is_alphanumeric())
                .trim_end_matches(['|', '.', ',', ';'])
                .trim();
            if label.starts_with("patient") && !label.contains("id") || label.contains("name") {
                set(&mut info.name, clean_name(value));
            } else if label.contains("birth") || label.starts_with('d') {
                set(&mut info.birth_date, dates::parse(value));
            } else if label.contains("sex") || label.contains("gender") {
                set(&mut info.gender, parse_gender(value));
            } else {
                set(&mut info.mrn, clean_id(value));
            }
        }
        if info.birth_date.is_none()
            && let Some(c) = INLINE_DOB.captures(line)
        {
            set(&mut info.birth_date, dates::parse(&c["dob"]));
        }
    }
    if !info.is_empty() {
        info.pages.push(page);
    }
    info
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// Splits "DOB: 09/16/1979 Sex: Female" into "DOB: 09/16/1979" and "Sex: Female"; tabs too.
fn split_pairs(line: &str) -> Vec<String> {
    static NEXT_LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s(sex|gender|mrn|dob|date of birth)\s*:").expect("valid regex")
    });
    let mut out = Vec::new();
    let cells: Vec<&str> = line.split('\t').collect();
    let mut i = 0;
    while i < cells.len() {
        let cell = cells[i];
        // Face sheets: "Patient<TAB>James Smith".
        let joined = if i + 1 < cells.len() && !cell.contains(':') {
            format!("{}\t{}", cell, cells[i + 1])
        } else {
            cell.to_string()
        };
        let mut start = 0;
        for m in NEXT_LABEL.find_iter(cell) {
            out.push(cell[start..m.start()].to_string());
            // Past the space before the label, whatever its width (U+2028 is three bytes).
            start = m.start() + m.as_str().chars().next().map_or(1, char::len_utf8);
        }
        if start == 0 {
            out.push(joined);
        } else {
            out.push(cell[start..].to_string());
        }
        i += 1;
    }
    out
}

/// Where a name written on one line with other header facts ends: at the next label ("Dorothy
/// Lindqvist MRN 882164 DOB …", "Mateo Cruz | MRN …").
static NAME_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s(?:mrn|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|sex|gender|age|acct|account|visit|date)\b|[|\t]")
        .expect("valid regex")
});

fn clean_name(s: &str) -> Option<String> {
    let s: String = s.nfkc().collect();
    let s = match NAME_END.find(&s) {
        Some(m) => s[..m.start()].to_string(),
        None => s,
    };
    // "Re: Medical records: Dorothy A Lindqvist": the name follows the last colon.
    let s = s.rsplit([':', ';']).next().unwrap_or(&s).to_string();
    // OCR leaves marks around a name ("| LATESSA GORDON", "Victor265 Mann644_—").
    let s = s
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != ')')
        .trim();
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.is_empty() || words.len() > 6 || s.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    if ["unknown", "not available", "information", "summary", "name"]
        .iter()
        .any(|w| lower == *w)
    {
        return None;
    }
    // A section title read as a value ("PATIENT: PROCEDURES" from an OCR'd "PATIENT
    // PROCEDURES" header) names no one.
    const HEADER_WORDS: &[&str] = &[
        "procedures",
        "medications",
        "problems",
        "allergies",
        "goals",
        "results",
        "vital",
        "signs",
        "history",
        "instructions",
        "encounters",
        "immunizations",
        "demographics",
        "education",
    ];
    if lower
        .split(|c: char| !c.is_alphabetic())
        .any(|w| HEADER_WORDS.contains(&w))
    {
        return None;
    }
    Some(words.join(" "))
}

fn clean_id(s: &str) -> Option<String> {
    let s: String = s.nfkc().collect();
    // The first word with a letter or digit ("MRN:; 136" → "136").
    let s = s
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .find(|w| w.chars().any(|c| c.is_ascii_alphanumeric()))?;
    (s.len() >= 2 && s.len() <= 64).then(|| s.to_string())
}

fn parse_gender(s: &str) -> Option<Gender> {
    let w = s.split_whitespace().next()?.to_ascii_lowercase();
    Some(match w.trim_matches(|c: char| !c.is_alphabetic()) {
        "female" | "f" | "woman" => Gender::Female,
        "male" | "m" | "man" => Gender::Male,
        "other" | "nonbinary" | "non-binary" => Gender::Other,
        "unknown" | "u" | "unk" => Gender::Unknown,
        _ => return None,
    })
}

/// Merges the per-page facts of a document and looks for conflicts. The birth date is the one
/// most pages give; another date conflicts when it differs from it — by any character on a
/// text layer, by two or more on OCR text (where "1975-05-18" for "1975-05-19" is a misread).
pub fn summarize(pages: &[PatientInfo]) -> PatientSummary {
    let mut summary = PatientSummary::default();
    let found: Vec<&PatientInfo> = pages.iter().filter(|p| !p.is_empty()).collect();
    let mut votes: Vec<(&String, usize, u32)> = Vec::new();
    for p in &found {
        if let Some(d) = &p.birth_date {
            match votes.iter_mut().find(|(v, _, _)| *v == d) {
                Some(v) => v.1 += 1 + usize::from(p.exact),
                None => votes.push((d, 1 + usize::from(p.exact), p.pages[0])),
            }
        }
    }
    let majority = votes
        .iter()
        .max_by_key(|(_, n, page)| (*n, std::cmp::Reverse(*page)))
        .map(|v| (v.0.clone(), v.2));
    for p in &found {
        let s = &mut summary.patient;
        set(&mut s.name, p.name.clone());
        set(&mut s.gender, p.gender);
        set(&mut s.mrn, p.mrn.clone());
        s.pages.extend(&p.pages);
    }
    summary.patient.birth_date = majority.as_ref().map(|(d, _)| d.clone());
    summary.patient.exact = found.iter().any(|p| p.exact);
    let first_name = found
        .iter()
        .find_map(|p| p.name.as_ref().map(|n| (n, p.pages[0])));
    for p in &found {
        if let (Some((d0, p0)), Some(d)) = (&majority, &p.birth_date) {
            let differing = d0.chars().zip(d.chars()).filter(|(a, b)| a != b).count();
            let tolerance = if p.exact { 0 } else { 1 };
            if differing > tolerance {
                summary.conflict = Some(format!(
                    "pages {p0} and {} give different birth dates for the patient",
                    p.pages[0]
                ));
                return summary;
            }
        }
        if let (Some((n0, p0)), Some(n)) = (first_name, &p.name)
            && !same_person_name(n0, n)
        {
            summary.conflict = Some(format!(
                "pages {p0} and {} name different patients",
                p.pages[0]
            ));
            return summary;
        }
    }
    summary
}

/// Words of a name that are not a given or family name.
const NOT_NAMES: &[&str] = &[
    "jr", "sr", "ii", "iii", "iv", "mr", "mrs", "ms", "miss", "dr", "md", "phd", "patient", "name",
];

/// Names written differently ("JAMES SMITH", "Smith, James", "LOPEZ, MARIA E", "Maria Elena
/// Lopez", "M. Lopez", "Maria Lopez Jr", OCR'd "Jarnes Srnith", Synthea's "Luna60") are one
/// person's when they share a given or a family name, within a small edit distance. Two
/// names that share neither cannot be the same person.
fn same_person_name(a: &str, b: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        // OCR confusions first ("Jarnes" is "James", "5mith" is "Smith"), then the letters
        // of each word: digits Synthea appends ("Luna60") are not part of a name.
        let s = s
            .to_lowercase()
            .replace("rn", "m")
            .replace("vv", "w")
            .replace('0', "o")
            .replace(['1', '|'], "l")
            .replace('5', "s");
        s.split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 2 && !NOT_NAMES.contains(w))
            .map(str::to_string)
            .collect()
    };
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return true;
    }
    // OCR also drops spaces: "LATESSAGORDON" is "LATESSA GORDON".
    let (ja, jb) = (wa.concat(), wb.concat());
    if edit_distance(&ja, &jb) <= (ja.len().max(jb.len()) / 6).max(1) {
        return true;
    }
    let close = |x: &String, y: &String| {
        edit_distance(x, y) <= (x.len().max(y.len()) / 4).max(1)
            // A word glued to the next by OCR ("MateoA") still begins with the name.
            || (x.len() >= 4 && y.len() >= 4 && (x.starts_with(y.as_str()) || y.starts_with(x.as_str())))
    };
    wa.iter().any(|x| wb.iter().any(|y| close(x, y)))
}

/// Levenshtein distance (short strings only).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_styles() {
        let p = read_page(
            "Patient: TEST0412 KOLAGANI\nDate of Birth: 04/12/1999 Sex: Male\nMRN: 78016\n",
            2,
            true,
        );
        assert_eq!(p.name.as_deref(), Some("TEST0412 KOLAGANI"));
        assert_eq!(p.birth_date.as_deref(), Some("1999-04-12"));
        assert_eq!(p.gender, Some(Gender::Male));
        assert_eq!(p.mrn.as_deref(), Some("78016"));

        let p = read_page(
            "PATIENT FACE SHEET\nPatient\tJames Smith\nDate of birth\tSep 5, 2011\nSex\tMale\nMRN\t27\n",
            5,
            true,
        );
        assert_eq!(p.name.as_deref(), Some("James Smith"));
        assert_eq!(p.birth_date.as_deref(), Some("2011-09-05"));
        assert_eq!(p.mrn.as_deref(), Some("27"));

        let p = read_page("Re:\tJames Smith DOB 09/05/2011\n", 1, true);
        assert_eq!(p.name.as_deref(), Some("James Smith"));
        assert_eq!(p.birth_date.as_deref(), Some("2011-09-05"));

        let p = read_page(
            "PATIENT NAME: JAMES SMITH\nDOB: 2011-09-05\nSEX: MALE\n",
            6,
            true,
        );
        assert_eq!(p.name.as_deref(), Some("JAMES SMITH"));
        assert_eq!(p.gender, Some(Gender::Male));
    }

    #[test]
    fn spellings_of_one_person() {
        for (a, b) in [
            ("Maria Elena Lopez", "Maria Lopez"),
            ("Maria Elena Lopez", "LOPEZ, MARIA E"),
            ("Maria Lopez", "M. Lopez"),
            ("Maria Lopez", "MARIA LOPEZ JR"),
            ("Maria Lopez", "Maria Lopez-Garcia"),
            ("Mary Ann Smith", "Mary Smith"),
            ("Luna60 Gottlieb798", "L.unaGO Gottlich798"),
            ("Mateo A Cruz", "MateoA Cruz"),
            ("Dorothy A Lindqvist", "D. Lindqvist"),
        ] {
            assert!(same_person_name(a, b), "{a} / {b}");
        }
        for (a, b) in [
            ("Maria Lopez", "James Smith"),
            ("Dorothy Lindqvist", "Mateo Cruz"),
        ] {
            assert!(!same_person_name(a, b), "{a} / {b}");
        }
    }

    #[test]
    fn a_section_title_is_no_name() {
        let p = read_page("PATIENT: PROCEDURES\n", 6, false);
        assert_eq!(p.name, None);
    }

    #[test]
    fn a_name_ends_at_the_next_label() {
        let p = read_page(
            "Patient: Dorothy Lindqvist MRN 882164 DOB 1/29/1945\n",
            4,
            true,
        );
        assert_eq!(p.name.as_deref(), Some("Dorothy Lindqvist"));
        let p = read_page(
            "Re: Medical records: Dorothy A Lindqvist, DOB 01/29/1945\n",
            1,
            true,
        );
        assert_eq!(p.name.as_deref(), Some("Dorothy A Lindqvist"));
        let p = read_page(
            "Re: Medical records; Mateo A Cruz, DOB 04/05/2012\n",
            1,
            true,
        );
        assert_eq!(p.name.as_deref(), Some("Mateo A Cruz"));
        let p = read_page(
            "Patient: Mateo Cruz | MRN 7729150 | DOB 4/5/2012\n",
            1,
            true,
        );
        assert_eq!(p.name.as_deref(), Some("Mateo Cruz"));
    }

    #[test]
    fn conflicts() {
        let a = read_page("Patient: James Smith\nDOB: 09/05/2011\n", 1, true);
        let b = read_page("PATIENT NAME: SMITH, JAMES\nDOB: 2011-09-05\n", 4, true);
        let c = read_page("Patient: Mary Jones\nDOB: 01/02/1950\n", 7, true);
        let ocr = read_page("Patient: Jarnes Srnith\nDOB: 09/05/2011\n", 9, true);
        let glued = read_page(
            "Patient name: JAMESSMITH Date of birth: 09/05/2011\n",
            10,
            true,
        );
        assert!(
            summarize(&[a.clone(), b.clone(), ocr, glued])
                .conflict
                .is_none()
        );
        let s = summarize(&[a, b, c]);
        let msg = s.conflict.unwrap();
        assert!(msg.contains("pages 1 and 7"), "{msg}");
        assert!(
            !msg.contains("Mary"),
            "conflict messages never name the patient"
        );
    }
}
