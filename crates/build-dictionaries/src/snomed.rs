//! SNOMED CT Global Patient Set: the condition terms (disorders, clinically relevant findings,
//! "history of" situations) and the code look-up used to check curated rows.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use super::tsv::{Flags, Row, data_lines, fields, read_text};
use super::{BuildError, Cand, FILE_COND_SNOMED};

/// One GPS concept.
#[derive(Debug, Clone)]
pub struct Concept {
    pub term: String,
    pub tag: String,
}

/// The GPS, by sctid.
#[derive(Debug, Default)]
pub struct Gps {
    pub concepts: BTreeMap<String, Concept>,
    /// Codes enumerated in FHIR specifications (not in the GPS), with their display; curated
    /// rows may use these few (e.g. 716184000 no known latex allergy).
    pub fhir_codes: BTreeMap<String, String>,
}

/// File names inside the vocabulary folder.
pub const GPS_FILE: &str = "snomed-gps-20200731.tsv";
pub const FHIR_CODES_FILE: &str = "snomed-codes-in-fhir-specs.tsv";

/// Findings whose wording marks them as social, administrative, lifestyle, diet, staging or
/// examination-position records rather than problems a chart lists. Matched on the lowercased
/// term, as whole words where a word is given.
const SOCIAL_FINDING_PATTERNS: &[&str] = &[
    // diet and intake
    r"\bdiets?\b",
    r"\bdietary\b",
    r"\bintake\b",
    r"\bformula\b",
    r"\bfeeding\b",
    r"\bvegan\b",
    r"\bvegetarian\b",
    r"\bfasting\b",
    // sexual behaviour
    r"\bsex\b",
    r"sexual",
    r"\berections?\b",
    r"ejaculat",
    r"orgasm",
    r"intercourse",
    r"penetration",
    r"masturbat",
    r"erotism",
    r"\bforeplay\b",
    r"\bpetting\b",
    r"\bkissing\b",
    r"\bnecking\b",
    r"\bsodomy\b",
    r"\bfornication\b",
    r"\bvirgin\b",
    r"prostitut",
    r"postcoital",
    r"\bbondage\b",
    r"\bcottaging\b",
    r"\bcruising\b",
    r"\bbigamy\b",
    r"concubinage",
    r"\bdental dam\b",
    r"\bsemen\b",
    r"\bsperm\b",
    r"\bfemininity\b",
    r"\bmasculinity\b",
    r"\bgratification\b",
    r"\bforepleasure\b",
    r"\bseduction\b",
    // work, school, money, law
    r"\bwork\b",
    r"workplace",
    r"\bjobs?\b",
    r"employ",
    r"retire",
    r"\boccupation",
    r"\bcareer\b",
    r"\bpromotion\b",
    r"\bmilitary\b",
    r"armed forces",
    r"\bcombat",
    r"teleworker",
    r"moonlighting",
    r"sick leave",
    r"absenteeism",
    r"\bschool",
    r"educat",
    r"\btuition\b",
    r"curriculum",
    r"literacy",
    r"\bnursery\b",
    r"\btruancy\b",
    r"\bmoney\b",
    r"financ",
    r"\bincome\b",
    r"\bbenefits?\b",
    r"criminal",
    r"\bprison",
    r"\bpolice\b",
    r"\blegal\b",
    r"\bvoluntary\b",
    // home and family
    r"\blives\b",
    r"\bliving\b",
    r"housing",
    r"\bhouse\b",
    r"\bhome\b",
    r"homeless",
    r"\bhoused\b",
    r"\brehoused\b",
    r"housebound",
    r"accommodation",
    r"\brented\b",
    r"\bsquat\b",
    r"\bflat\b",
    r"apartment",
    r"resident in",
    r"institutionalized",
    r"caregiver",
    r"\bcared for\b",
    r"\bfamily\b",
    r"\bmother\b",
    r"\bfather\b",
    r"\bparents?\b",
    r"\bparental\b",
    r"\bspouse\b",
    r"\bpartner\b",
    r"relationship",
    r"\brelatives?\b",
    r"\bmarital\b",
    r"\bmarried\b",
    r"\bwidowed\b",
    r"\bdivorced\b",
    r"\bseparated from\b",
    r"\bdeserted\b",
    r"\bromance\b",
    r"\bchild\b",
    r"\bchildren\b",
    r"\bbabies\b",
    r"\bbirth of\b",
    r"\bown room\b",
    r"\bhead of household\b",
    r"overprotected",
    r"empowered",
    r"\buninformed\b",
    r"self-advocates",
    r"frontloading",
    // lifestyle
    r"smoker",
    r"smoking",
    r"tobacco",
    r"cigar",
    r"\bsnuff\b",
    r"\bchews\b",
    r"drinker",
    r"\bdrinks\b",
    r"\bdrinking\b",
    r"alcohol use",
    r"\bexercise\b",
    r"physical activity",
    r"activity level",
    r"frequency-intensity",
    r"\bsedentary\b",
    r"\btravel",
    r"labor force",
    r"transport",
    r"\brefugee\b",
    r"\bhospice\b",
    r"\bawaiting\b",
    r"violence",
    r"isolation",
    r"\bcodependency\b",
    r"\bimprisonment\b",
    // risk, knowledge, coping, behaviour records
    r"\brisk\b",
    r"\bfear of\b",
    r"\bworried\b",
    r"knowledge",
    r"\bable to\b",
    r"\bunable to\b",
    r"\bdoes\b",
    r"\bhas a\b",
    r"\bhas own\b",
    r"\buses\b",
    r"\buser\b",
    r"\bready\b",
    r"readiness",
    r"\bcoping\b",
    r"\brole\b",
    r"\bvictim\b",
    r"\babusive\b",
    r"\bneglect",
    r"\bsocial\b",
    r"\bcommunity\b",
    r"support network",
    r"\bdenies\b",
    r"\bstigma\b",
    r"\bmalinger",
    // administration, care process
    r"\bpatient\b",
    r"\badvice\b",
    r"\badvised\b",
    r"\brequested\b",
    r"\breferred\b",
    r"administrative",
    r"\bencounter\b",
    r"\bvisit\b",
    r"\bappointment\b",
    r"\bconsent\b",
    r"continuity of care",
    r"\bcare plan\b",
    r"\bregimen\b",
    r"\bcompliance\b",
    r"\bdrug treatment\b",
    r"\btreatment instructions\b",
    // age, growth charts, life stages
    r"\bage\b",
    r"\baged\b",
    r"-age\b",
    r"\byears\b",
    r"centile",
    r"adolescence",
    r"childhood",
    r"\bjuvenile\b",
    r"\bmiddle-age\b",
    r"\bmenarche\b",
    r"\bmultigravida\b",
    r"\bprimigravida\b",
    r"\bmultiparous\b",
    r"\bnulliparous\b",
    // tumour staging, test and imaging records, obstetric positions
    r"\bstage\b",
    r"\bcategory\b",
    r"\bgrade\b",
    r"\bscore\b",
    r"gleason",
    r"^p?[tnm][0-9x]",
    r"\bposition\b",
    r"\bpresentation\b",
    r"mammogra",
    r"radiographic",
    r"o'clock",
    r"on examination",
    r"\bnormal$",
    r"^normal (periapical|tissue|dentition|oral)",
    r"\bnegative\b",
    r"\bnot detected\b",
    r"\bcompared to previous\b",
    r"\brestoration\b",
    r"\bdenture",
    r"\bblood group\b",
    r"\bpacing pattern\b",
    r"\bcomposition\b",
    r"\bmargin\b",
    r"\bresection\b",
    // allergy and intolerance records: the allergy list's business, not a problem
    r"^allergy to ",
    r"^intolerance to ",
    r"^environmental allergy$",
    r"allergic disposition",
    r"hypersensitivity disposition",
    r"^allergic condition$",
    r"^propensity to ",
    // test records ("Urine protein test")
    r"\btest$",
];

impl Gps {
    /// Reads the GPS (and the FHIR code list when present).
    pub fn load(vocab: &Path) -> Result<Gps, BuildError> {
        let path = vocab.join(GPS_FILE);
        let text = read_text(&path)?;
        let mut gps = Gps::default();
        for (no, line) in data_lines(&path, &text, "sctid\tterm\tsemantic_tag\tfsn")? {
            let f = fields(&path, no, line, 3)?;
            gps.concepts.insert(
                f[0].trim().to_string(),
                Concept {
                    term: f[1].trim().to_string(),
                    tag: f[2].trim().to_string(),
                },
            );
        }
        let path = vocab.join(FHIR_CODES_FILE);
        if path.exists() {
            let text = read_text(&path)?;
            let header = "system\tcode\tdisplay\tin_gps\tn_sources\tsources_sample";
            for (no, line) in data_lines(&path, &text, header)? {
                let f = fields(&path, no, line, 3)?;
                if f[0] == "SNOMED" || f[0] == "http://snomed.info/sct" {
                    let display = f[2].trim();
                    let display = strip_semantic_tag(display);
                    gps.fhir_codes
                        .entry(f[1].trim().to_string())
                        .or_insert_with(|| display.to_string());
                }
            }
        }
        Ok(gps)
    }

    /// The display of a code: the GPS term, else the display a FHIR specification gives it.
    pub fn display(&self, code: &str) -> Option<&str> {
        self.concepts
            .get(code)
            .map(|c| c.term.as_str())
            .or_else(|| self.fhir_codes.get(code).map(String::as_str))
    }

    /// Condition candidates: disorders, findings that pass the social filter, and "history of"
    /// situations.
    pub fn condition_cands(&self, dropped: &mut BTreeMap<String, usize>) -> Vec<Cand> {
        let social = social_filter();
        let mut out = Vec::new();
        for (code, c) in &self.concepts {
            let lower = c.term.to_lowercase();
            let (category, tag_rank) = match c.tag.as_str() {
                "disorder" => ("disorder", 0),
                "finding" => {
                    if social.iter().any(|re| re.is_match(&lower)) {
                        *dropped
                            .entry("snomed: social or administrative finding".into())
                            .or_default() += 1;
                        continue;
                    }
                    ("finding", 1)
                }
                "situation"
                    if lower.starts_with("history of ")
                        || lower.starts_with("personal history of ") =>
                {
                    ("finding", 2)
                }
                _ => continue,
            };
            let tie = code.parse().unwrap_or(u64::MAX);
            let row = |term: String| Row {
                term,
                kind: "condition".into(),
                system: "snomed".into(),
                code: code.clone(),
                display: c.term.clone(),
                category: category.into(),
                flags: Flags::default(),
            };
            out.push(Cand::derived(
                FILE_COND_SNOMED,
                row(c.term.clone()),
                [1, 0, tag_rank, tie],
            ));
            for variant in note_wordings(&c.term) {
                out.push(Cand::derived(
                    FILE_COND_SNOMED,
                    row(variant),
                    [1, 1, tag_rank, tie],
                ));
            }
        }
        out
    }
}

/// Wordings notes use where the GPS names a disorder in its own systematic way, each ranked
/// below the GPS term itself (so a concept whose own term is the wording wins it):
/// - "X due to diabetes mellitus" → "Diabetic X" ("Ketoacidosis due to diabetes mellitus" →
///   "Diabetic ketoacidosis", "Gastroparesis due to diabetes mellitus" → "Diabetic
///   gastroparesis"); only the type-less wording, whose concept is the one a note without a
///   type means, and not "At risk of …" records;
/// - "gastrointestinal" → "GI" ("Upper gastrointestinal hemorrhage" → "Upper GI hemorrhage").
pub fn note_wordings(term: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(x) = term.strip_suffix(" due to diabetes mellitus")
        && !x.to_lowercase().starts_with("at risk")
        && !x.is_empty()
    {
        let mut chars = x.chars();
        let first = chars.next().expect("not empty");
        out.push(format!(
            "Diabetic {}{}",
            first.to_lowercase(),
            chars.as_str()
        ));
    }
    let words: Vec<&str> = term.split(' ').collect();
    if words
        .iter()
        .any(|w| w.eq_ignore_ascii_case("gastrointestinal"))
    {
        let gi: Vec<&str> = words
            .iter()
            .map(|w| {
                if w.eq_ignore_ascii_case("gastrointestinal") {
                    "GI"
                } else {
                    w
                }
            })
            .collect();
        out.push(gi.join(" "));
    }
    out
}

/// The compiled social-finding patterns.
fn social_filter() -> Vec<Regex> {
    SOCIAL_FINDING_PATTERNS
        .iter()
        .map(|p| Regex::new(p).expect("valid social-finding pattern"))
        .collect()
}

/// "Latex (substance)" → "Latex".
pub fn strip_semantic_tag(s: &str) -> &str {
    match s.rfind(" (") {
        Some(i)
            if s.ends_with(')')
                && s[i + 2..s.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == ' ' || c == '/') =>
        {
            &s[..i]
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_findings_are_recognised() {
        let social = social_filter();
        let is_social = |t: &str| social.iter().any(|re| re.is_match(&t.to_lowercase()));
        for t in [
            "Full-time employment",
            "Lives with mother",
            "Ex-smoker",
            "Tumor stage T1a",
            "Electrocardiogram normal",
            "Egg-free diet",
            "At risk of polypharmacy",
            "pM1a category",
        ] {
            assert!(is_social(t), "{t}");
        }
        for t in [
            "Body mass index 30+ - obesity",
            "Chronic pain",
            "Fever",
            "Prediabetes",
            "Abdominal pain",
            "Sputum finding",
            "Normal pregnancy",
        ] {
            assert!(!is_social(t), "{t}");
        }
        assert_eq!(strip_semantic_tag("Latex (substance)"), "Latex");
        assert_eq!(
            note_wordings("Ketoacidosis due to diabetes mellitus"),
            ["Diabetic ketoacidosis"]
        );
        assert_eq!(
            note_wordings("Upper gastrointestinal hemorrhage"),
            ["Upper GI hemorrhage"]
        );
        assert_eq!(
            note_wordings("Gastrointestinal hemorrhage"),
            ["GI hemorrhage"]
        );
        assert!(note_wordings("Ketoacidosis due to type 1 diabetes mellitus").is_empty());
        assert!(note_wordings("At risk of ulcer of foot due to diabetes mellitus").is_empty());
        assert!(note_wordings("Hypertension").is_empty());
        assert_eq!(
            strip_semantic_tag("Severe [Duchenne] (x-linked)"),
            "Severe [Duchenne] (x-linked)"
        );
    }
}
