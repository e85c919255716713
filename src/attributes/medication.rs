//! Medication attributes: the dosage instructions ("sig") that stand in a medication's row.
//!
//! Lists are data (`dictionaries/routes.tsv`, `dictionaries/frequencies.tsv`); the grammar
//! that lists cannot hold (strengths, amounts, "every 6 hours", "for 10 days", "as needed for
//! pain") is here.

use std::sync::LazyLock;

use regex::Regex;

use super::units::{self, UNITS, Use, number};
use crate::dates;
use crate::normalize::KeyText;
use crate::phrases::PhraseTable;
use crate::tables::{self, Table, TableError};

/// A route of administration (SNOMED CT route code).
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// SNOMED CT route code.
    pub code: String,
    /// Its display ("Oral route").
    pub display: String,
    /// The words as written.
    pub written: String,
}

/// How often: `frequency` per `period` `unit` (FHIR Timing.repeat), an event time, and the
/// standard abbreviation code when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Frequency {
    /// Administrations per period.
    pub frequency: u32,
    /// The period, in `unit`s.
    pub period: f64,
    /// The period's upper bound ("every 4-6 hours").
    pub period_max: Option<f64>,
    /// UCUM: h, d, wk, mo.
    pub unit: String,
    /// FHIR event timing (HS, MORN, EVE).
    pub when: Option<String>,
    /// GTS abbreviation (QD, BID, TID, QID, QOD, AM, PM, Q4H …).
    pub code: Option<String>,
    /// The words as written.
    pub written: String,
}

impl Frequency {
    /// Times per day, for comparisons.
    pub fn per_day(&self) -> f64 {
        let days = match self.unit.as_str() {
            "h" => self.period / 24.0,
            "d" => self.period,
            "wk" => self.period * 7.0,
            "mo" => self.period * 30.0,
            _ => self.period,
        };
        self.frequency as f64 / days
    }
}

/// An amount with its unit as written and its UCUM code.
#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    /// The number.
    pub value: f64,
    /// The unit as written.
    pub unit: String,
    /// Its UCUM code.
    pub ucum: String,
}

/// Dosage instructions found in a row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sig {
    /// The instructions as written (whitespace collapsed).
    pub text: String,
    /// Strength as written ("10 MG", "0.5 MG/ML", "5-325 mg").
    pub strength: Option<String>,
    /// Amount per administration (2 puffs, 1 tablet, 650 mg).
    pub dose: Option<Amount>,
    /// Route of administration.
    pub route: Option<Route>,
    /// How often.
    pub frequency: Option<Frequency>,
    /// As needed; the reason when written ("as needed for pain").
    pub as_needed: Option<Option<String>>,
    /// "for 10 days".
    pub duration: Option<Amount>,
}

impl Sig {
    /// True when nothing beyond the text was understood.
    pub fn is_empty(&self) -> bool {
        self.strength.is_none()
            && self.dose.is_none()
            && self.route.is_none()
            && self.frequency.is_none()
            && self.as_needed.is_none()
            && self.duration.is_none()
    }
}

static ROUTES: LazyLock<PhraseTable<(String, String)>> =
    LazyLock::new(|| tables::shipped(routes_table()));

/// `dictionaries/routes.tsv`: route wordings → SNOMED CT route code and display.
pub(crate) fn routes_table() -> Result<PhraseTable<(String, String)>, TableError> {
    let text = include_str!("../../dictionaries/routes.tsv");
    PhraseTable::from_table(&Table::parse("routes.tsv", text)?, |r| {
        Ok((r.get("code")?.to_string(), r.get("display")?.to_string()))
    })
}

type FreqRow = (u32, f64, String, Option<String>, Option<String>);

static FREQUENCIES: LazyLock<PhraseTable<FreqRow>> =
    LazyLock::new(|| tables::shipped(frequencies_table()));

/// `dictionaries/frequencies.tsv`: frequency wordings → FHIR `Timing.repeat` (frequency per
/// period and unit, event time) and the GTS abbreviation.
pub(crate) fn frequencies_table() -> Result<PhraseTable<FreqRow>, TableError> {
    let text = include_str!("../../dictionaries/frequencies.tsv");
    PhraseTable::from_table(&Table::parse("frequencies.tsv", text)?, |r| {
        let unit = r.get("period_unit")?;
        if !matches!(unit, "h" | "d" | "wk" | "mo") {
            return Err(format!("period_unit {unit:?} is not h, d, wk or mo"));
        }
        let when = r.opt("when")?;
        if let Some(w) = when.filter(|w| !matches!(*w, "HS" | "MORN" | "EVE")) {
            return Err(format!("when {w:?} is not HS, MORN or EVE"));
        }
        Ok((
            r.parse("frequency")?,
            r.parse("period")?,
            unit.to_string(),
            when.map(str::to_string),
            r.opt("code")?.map(str::to_string),
        ))
    })
}

/// A number as written (digits or a number word), for the patterns below.
static NUM: LazyLock<String> = LazyLock::new(units::number_pattern);

static STRENGTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)(\d+(?:\.\d+)?(?:\s*[-/]\s*\d+(?:\.\d+)?)*)\s*({})(?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?({}))?(?-u:\b)",
        UNITS.alternation(Use::Strength),
        UNITS.alternation(Use::Per)
    ))
    .expect("valid regex")
});

/// True when `text` holds a drug strength ("Lisinopril 10 mg", "aspirin 81 mg").
pub fn has_strength(text: &str) -> bool {
    STRENGTH.is_match(text)
}

/// Where the first drug strength in `text` stands ("0.5 mg" in "Zortress 0.5 mg tab").
pub fn find_strength(text: &str) -> Option<std::ops::Range<usize>> {
    STRENGTH.find(text).map(|m| m.range())
}

/// An amount of a dose form ("2 puffs", "1 tab", "2.5 mL", "20 units").
static FORM_DOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(/\s*)?(?-u:\b)({num})(?:\s*\(\s*\d+(?:\.\d+)?\s*\))?\s*({forms})(?-u:\b)",
        num = *NUM,
        forms = UNITS.alternation(Use::Form)
    ))
    .expect("valid regex")
});

/// A mass given with a verb ("Inject ten (10) grams", "take 650 mg").
static VERB_DOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:take|inject|give|administer|infuse)\s+({num})(?:\s*\(\s*\d+(?:\.\d+)?\s*\))?\s*({masses})(?-u:\b)",
        num = *NUM,
        masses = UNITS.alternation(Use::VerbMass)
    ))
    .expect("valid regex")
});

/// A mass on its own ("650 MG" in a dose column after the strength).
static MASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(/\s*)?(?-u:\b)(\d+(?:\.\d+)?)\s*({})(?-u:\b)(\s*/)?",
        UNITS.alternation(Use::Mass)
    ))
    .expect("valid regex")
});

static INTERVAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:every|q)\s*({num})(?:\s*(?:-|to)\s*({num}))?\s*(hours?|hrs?|h|days?|d|weeks?|wks?|months?)(?-u:\b)",
        num = *NUM
    ))
    .expect("valid regex")
});

static TIMES_PER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)({num})\s*(?:x|times?)\s*(?:a|per|each|every|/)?\s*(day|daily|week|weekly|month)(?-u:\b)",
        num = *NUM
    ))
    .expect("valid regex")
});

static PRN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:prn|p\.r\.n|as needed|when needed|if needed|as required)(?-u:\b)\.?(?:\s*(?:for|:)?\s*([a-z][a-z/ ]{1,40}))?")
        .expect("valid regex")
});

/// Words that end a PRN reason.
static REASON_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s+(?:every|q\d|up to|not to|may|max|for \d|and|then|with|at|by|x\s*\d)\b.*$")
        .expect("valid regex")
});

static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:for|x)\s*({num})\s*(days?|weeks?|months?)(?-u:\b)",
        num = *NUM
    ))
    .expect("valid regex")
});

/// Parses the dosage instructions in `text[range]` (the medication's row from the drug name
/// on). `key` is the page's key; the phrase tables match on it.
pub fn parse_sig(text: &str, key: &KeyText, range: std::ops::Range<usize>, name_end: usize) -> Sig {
    let row = &text[range.clone()];
    let mut sig = Sig {
        text: collapse(&cut_at_dates(row)),
        ..Default::default()
    };
    let ks = key.key_offset(range.start);
    let ke = key.key_offset(range.end);
    let tail_from = name_end.saturating_sub(range.start).min(row.len());
    let tail = &row[tail_from..];

    if let Some(m) = STRENGTH.captures(row) {
        sig.strength = Some(collapse(m.get(0).map_or("", |x| x.as_str())));
    }
    sig.dose = dose(tail);
    if let Some(h) = ROUTES.find(text, key, ks..ke).into_iter().next() {
        sig.route = Some(Route {
            code: h.value.0.clone(),
            display: h.value.1.clone(),
            written: text[h.start..h.end].to_string(),
        });
    } else if let Some(route) = route_from_dose_form(row) {
        sig.route = Some(route);
    }
    if let Some(c) = INTERVAL.captures(tail) {
        let a = number(&c[1]).unwrap_or(1.0);
        let b = c.get(2).and_then(|m| number(m.as_str()));
        let unit = c[3].to_ascii_lowercase();
        let unit = match unit.chars().next() {
            Some('h') => "h",
            Some('d') => "d",
            Some('w') => "wk",
            _ => "mo",
        };
        let code =
            (unit == "h" && b.is_none() && a.fract() == 0.0).then(|| format!("Q{}H", a as u32));
        sig.frequency = Some(Frequency {
            frequency: 1,
            period: a,
            period_max: b,
            unit: unit.into(),
            when: None,
            code,
            written: c[0].to_string(),
        });
    } else if let Some(c) = TIMES_PER.captures(tail) {
        let n = number(&c[1]).unwrap_or(1.0).max(1.0) as u32;
        let unit = match c[2].to_ascii_lowercase().chars().next() {
            Some('d') => "d",
            Some('w') => "wk",
            _ => "mo",
        };
        sig.frequency = Some(Frequency {
            frequency: n,
            period: 1.0,
            period_max: None,
            unit: unit.into(),
            when: None,
            code: match (n, unit) {
                (1, "d") => Some("QD".into()),
                (2, "d") => Some("BID".into()),
                (3, "d") => Some("TID".into()),
                (4, "d") => Some("QID".into()),
                _ => None,
            },
            written: c[0].to_string(),
        });
    } else if let Some(h) = FREQUENCIES
        .find(text, key, key.key_offset(name_end.max(range.start))..ke)
        .into_iter()
        .next()
    {
        let (frequency, period, unit, when, code) = h.value.clone();
        sig.frequency = Some(Frequency {
            frequency,
            period,
            period_max: None,
            unit,
            when,
            code,
            written: text[h.start..h.end].to_string(),
        });
    }
    if let Some(c) = PRN.captures(tail) {
        let reason = c
            .get(1)
            .map(|m| REASON_END.replace(m.as_str(), "").trim().to_string());
        sig.as_needed = Some(reason.filter(|r| !r.is_empty() && r.split_whitespace().count() <= 4));
    }
    if let Some(c) = DURATION.captures(tail)
        && let Some(v) = number(&c[1])
    {
        let unit = c[2].to_ascii_lowercase();
        let code = match unit.chars().next() {
            Some('d') => "d",
            Some('w') => "wk",
            _ => "mo",
        };
        sig.duration = Some(Amount {
            value: v,
            unit: unit.clone(),
            ucum: code.into(),
        });
    }
    sig
}

/// The amount given each time: an amount of a form ("2 puffs"), else a mass with a verb
/// ("inject 10 grams"), else a second mass after the strength ("325 MG 650 MG").
fn dose(tail: &str) -> Option<Amount> {
    let amount = |v: &str, unit: &str| {
        number(v).map(|value| Amount {
            value,
            unit: unit.to_string(),
            ucum: UNITS.ucum(unit),
        })
    };
    // Not the denominator of a concentration ("160 mg/5 mL").
    if let Some(c) = FORM_DOSE.captures_iter(tail).find(|c| c.get(1).is_none()) {
        return amount(&c[2], &c[3]);
    }
    if let Some(c) = VERB_DOSE.captures(tail) {
        return amount(&c[1], &c[2]);
    }
    let masses: Vec<_> = MASS
        .captures_iter(tail)
        .filter(|c| c.get(1).is_none() && c.get(4).is_none())
        .collect();
    if masses.len() >= 2 {
        return amount(&masses[1][2], &masses[1][3]);
    }
    None
}

/// RxNorm dose forms that name their route ("Oral Tablet", "Inhalation Solution").
fn route_from_dose_form(row: &str) -> Option<Route> {
    static FORM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?-u:\b)(oral|ophthalmic|otic|nasal|topical|transdermal|rectal|vaginal|sublingual|buccal|inhalation|inhalant|injectable|intravenous|intramuscular|subcutaneous)\s+(tablet|capsule|solution|suspension|powder|spray|ointment|cream|gel|patch|lozenge|film|suppository|product|liquid|syrup|drops?|injection|inhaler|aerosol|foam|lotion|emulsion)")
            .expect("valid regex")
    });
    let c = FORM.captures(row)?;
    // The route adjectives are routes.tsv's words ("oral" → 26643006 Oral route).
    let (code, display) = ROUTES.get(&c[1])?;
    Some(Route {
        code: code.clone(),
        display: display.clone(),
        written: c[0].to_string(),
    })
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The instructions end where the row's date / status cells begin (a date whose year wrapped
/// into the next line counts: "Mon Jun 22 00:00:00").
fn cut_at_dates(row: &str) -> String {
    let cut = [dates::DATE.find(row), dates::PARTIAL_DATE.find(row)]
        .into_iter()
        .flatten()
        .map(|m| m.start())
        .min()
        .unwrap_or(row.len());
    let mut s = row[..cut].to_string();
    if s.len() > 240 {
        let mut end = 240;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s.trim_end_matches(['\t', ' ', '\n', '-', ',']).to_string()
}

#[cfg(test)]
mod tests;
