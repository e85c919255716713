//! Builds the shipped dictionaries from the raw vocabularies (see `dictionaries/SOURCES.md`).
//!
//! Inputs: a vocabulary folder (SNOMED CT GPS, ICD-10-CM, RxNorm names or an official RxNorm
//! zip, FDA UNII names) and the curated tables (`condition-synonyms.tsv`,
//! `medication-synonyms.tsv`, `allergens.tsv`, `reactions.tsv`, `stopwords.tsv`,
//! `exceptions.tsv`, `SOURCES.md`), normally `dictionaries/` itself. Output: every table under
//! `dictionaries/`, byte for byte the same for the same inputs.
//!
//! How rows are chosen:
//! 1. Every source proposes candidate rows, each with a rank (curated first, then RxNorm and the
//!    condition vocabularies, then UNII; within a source, names as written before derived
//!    variants, current before historical).
//! 2. Derived candidates are filtered: stop words (`stopwords.tsv`), terms with fewer than three
//!    letters or digits unless listed in `exceptions.tsv`, terms without a letter. A medication
//!    term that is also an allergen term is left to the allergen table; a UNII name that any
//!    other table has is left to that table.
//! 3. Rows sharing term key, kind, code system and term type form a group; the best-ranked row
//!    of each group wins, so a concept never carries two codes of one system and term type. The
//!    one exception: the ingredient rows (`tty=IN;via=…`) of one combination drug stay together.
//!
//! Curated rows are checked against the vocabularies (the code must exist; the display is set to
//! the code system's display) and never filtered: a curated term that is also a stop word is an
//! error, as is a curated row that loses to another curated row.

#![deny(missing_docs)]

mod icd;
mod rxnorm;
mod snomed;
mod sources;
mod tsv;
mod unii;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use chart2fhir::normalize::fold::term_key;
pub use icd::{strip_unspecified as icd_strip_unspecified, variants as icd_variants};
pub use rxnorm::{DrugName, PackName, parse_drug_name, parse_pack_name};
pub use tsv::{
    CLINICAL_DRUG_HEADER, Flags, KINDS, Row, SECTIONS, SYSTEMS, TERM_HEADER, TTYS, VIAS,
    WORD_HEADER, code_is_valid,
};

/// Condition terms from the SNOMED CT GPS.
pub const FILE_COND_SNOMED: &str = "conditions-snomed.tsv";
/// Condition terms from ICD-10-CM.
pub const FILE_COND_ICD: &str = "conditions-icd10cm.tsv";
/// Medication terms from RxNorm.
pub const FILE_MED_RXNORM: &str = "medications-rxnorm.tsv";
/// Medication terms from FDA UNII names.
pub const FILE_MED_UNII: &str = "medications-unii.tsv";
/// Curated condition abbreviations and synonyms.
pub const FILE_COND_SYN: &str = "condition-synonyms.tsv";
/// Curated medication abbreviations and gaps.
pub const FILE_MED_SYN: &str = "medication-synonyms.tsv";
/// Curated allergens (drug classes, foods, environmental, biologics).
pub const FILE_ALLERGENS: &str = "allergens.tsv";
/// Curated reactions (allergy manifestations).
pub const FILE_REACTIONS: &str = "reactions.tsv";
/// Words that must never match.
pub const FILE_STOPWORDS: &str = "stopwords.tsv";
/// Terms allowed despite the generic filters.
pub const FILE_EXCEPTIONS: &str = "exceptions.tsv";
/// Parsed clinical drugs.
pub const FILE_CLINICAL_DRUGS: &str = "rxnorm-clinical-drugs.tsv";
/// Sources, licences, notices and counts.
pub const FILE_SOURCES: &str = "SOURCES.md";

/// The curated term tables and the kind each holds.
pub const CURATED_TERM_FILES: &[(&str, &str)] = &[
    (FILE_COND_SYN, "condition"),
    (FILE_MED_SYN, "medication"),
    (FILE_ALLERGENS, "allergen"),
    (FILE_REACTIONS, "reaction"),
];

/// All term tables the build writes.
pub const TERM_FILES: &[&str] = &[
    FILE_ALLERGENS,
    FILE_COND_SYN,
    FILE_COND_ICD,
    FILE_COND_SNOMED,
    FILE_MED_SYN,
    FILE_MED_RXNORM,
    FILE_MED_UNII,
    FILE_REACTIONS,
];

/// Every file the build writes.
pub const OUTPUT_FILES: &[&str] = &[
    FILE_ALLERGENS,
    FILE_COND_SYN,
    FILE_COND_ICD,
    FILE_COND_SNOMED,
    FILE_EXCEPTIONS,
    FILE_MED_SYN,
    FILE_MED_RXNORM,
    FILE_MED_UNII,
    FILE_REACTIONS,
    FILE_CLINICAL_DRUGS,
    FILE_STOPWORDS,
    FILE_SOURCES,
];

/// Markers around the generated counts in `SOURCES.md`.
pub const COUNTS_BEGIN: &str =
    "<!-- counts: begin (written by build-dictionaries; do not edit) -->";
/// The end marker of the generated counts.
pub const COUNTS_END: &str = "<!-- counts: end -->";

/// What went wrong in a build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A file is not in the expected format.
    #[error("{path}:{line}: {detail}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        detail: String,
    },
    /// Curated rows that contradict the vocabularies or each other (one message per problem).
    #[error("{} problem(s) in the curated tables:\n{}", .0.len(), .0.join("\n"))]
    Curated(Vec<String>),
}

/// Where the build reads and writes.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The raw vocabularies (`shared/vocab`).
    pub vocab_dir: PathBuf,
    /// The curated tables (normally the output folder itself).
    pub curated_dir: PathBuf,
    /// Where the tables are written.
    pub out_dir: PathBuf,
    /// An official `RxNorm_full_*.zip` to use instead of the merged names file.
    pub rxnorm_zip: Option<PathBuf>,
}

/// What a build wrote and left out.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Output file → data rows.
    pub files: BTreeMap<String, usize>,
    /// Filter → candidate rows it removed.
    pub dropped: BTreeMap<String, usize>,
    /// Curated displays corrected to the code system's display.
    pub displays_fixed: usize,
}

/// A candidate row and how it ranks against others for the same term.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub file: &'static str,
    pub row: Row,
    /// Lower is better: source, variant, preference, tie-break.
    pub rank: [u64; 4],
    /// The concept that proposed the row (ingredient rows of one drug share it).
    pub origin: u64,
    pub curated: bool,
}

impl Cand {
    /// A candidate from a vocabulary.
    pub fn derived(file: &'static str, row: Row, rank: [u64; 4]) -> Cand {
        Cand {
            file,
            row,
            rank,
            origin: 0,
            curated: false,
        }
    }
}

/// Builds every table from `vocab_dir` and `curated_dir` into `out_dir`.
pub fn build(
    vocab_dir: &Path,
    curated_dir: &Path,
    out_dir: &Path,
) -> Result<BuildReport, BuildError> {
    build_with(&BuildOptions {
        vocab_dir: vocab_dir.to_path_buf(),
        curated_dir: curated_dir.to_path_buf(),
        out_dir: out_dir.to_path_buf(),
        rxnorm_zip: None,
    })
}

/// Builds with all options.
pub fn build_with(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let mut report = BuildReport::default();
    let stopwords = read_words(&opts.curated_dir.join(FILE_STOPWORDS))?;
    let exceptions = read_words(&opts.curated_dir.join(FILE_EXCEPTIONS))?;

    let gps = snomed::Gps::load(&opts.vocab_dir)?;
    let icd = icd::Icd::load(&opts.vocab_dir)?;
    let rx = match &opts.rxnorm_zip {
        Some(zip) => rxnorm::RxNorm::load_zip(zip)?,
        None => rxnorm::RxNorm::load_names(&opts.vocab_dir)?,
    };
    let unii = unii::Unii::load(&opts.vocab_dir)?;
    let links = rx.links();

    // Curated rows, checked against the vocabularies.
    let vocab = Vocab {
        gps: &gps,
        icd: &icd,
        rx: &rx,
        unii: &unii,
    };
    let mut problems = Vec::new();
    let mut cands = Vec::new();
    for (file, kind) in CURATED_TERM_FILES {
        let path = opts.curated_dir.join(file);
        let text = tsv::read_text(&path)?;
        for (no, line) in tsv::data_lines(&path, &text, TERM_HEADER)? {
            let mut row = match Row::parse(line) {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("{file}:{no}: {e}"));
                    continue;
                }
            };
            if row.kind != *kind {
                problems.push(format!(
                    "{file}:{no}: kind {} does not belong in this file",
                    row.kind
                ));
                continue;
            }
            match vocab.check(&row) {
                Err(e) => problems.push(format!("{file}:{no}: {e}")),
                Ok(display) => {
                    if display != row.display {
                        report.displays_fixed += 1;
                        row.display = display;
                    }
                }
            }
            if !row.flags.cs && stopwords.contains_key(&row.key()) {
                problems.push(format!(
                    "{file}:{no}: {:?} is also in {FILE_STOPWORDS} (flag it cs or remove one)",
                    row.term
                ));
            }
            cands.push(Cand {
                file,
                row,
                rank: [0; 4],
                origin: 0,
                curated: true,
            });
        }
    }

    // Derived rows.
    let dropped = &mut report.dropped;
    let mut derived = gps.condition_cands(dropped);
    derived.extend(icd.condition_cands(dropped));
    let (rx_cands, drug_lines, unresolved) = rx.cands(&links);
    derived.extend(rx_cands);
    if unresolved > 0 {
        *dropped
            .entry("rxnorm-clinical-drugs: an ingredient name not found".into())
            .or_default() += unresolved;
    }
    derived.extend(unii.cands(&rx, &links, dropped));
    for mut c in derived {
        if c.file != FILE_MED_UNII && is_abbreviation(&c.row.term) {
            c.row.flags.cs = true;
        }
        let key = c.row.key();
        let alnum = key.chars().filter(|c| c.is_alphanumeric()).count();
        let reason = if !c.row.flags.cs && stopwords.contains_key(&key) {
            Some("stop word (stopwords.tsv)")
        } else if !key.chars().any(char::is_alphabetic) {
            Some("no letter in the term")
        } else if alnum < 3 && !exceptions.contains_key(&key) {
            Some("fewer than 3 letters or digits")
        } else {
            None
        };
        match reason {
            Some(r) => *dropped.entry(r.to_string()).or_default() += 1,
            None => cands.push(c),
        }
    }

    // Across kinds: allergen terms are not also medications; UNII only where nothing else is.
    let allergen_keys: BTreeSet<String> = cands
        .iter()
        .filter(|c| c.row.kind == "allergen")
        .map(|c| c.row.key())
        .collect();
    for c in cands
        .iter()
        .filter(|c| c.curated && c.row.kind == "medication")
    {
        if allergen_keys.contains(&c.row.key()) {
            problems.push(format!(
                "{}: {:?} is both a medication and an allergen term (allergens.tsv)",
                c.file, c.row.term
            ));
        }
    }
    let other_keys: BTreeSet<String> = cands
        .iter()
        .filter(|c| c.file != FILE_MED_UNII)
        .map(|c| c.row.key())
        .collect();
    cands.retain(|c| {
        let reason = if c.curated {
            None
        } else if c.row.kind == "medication" && allergen_keys.contains(&c.row.key()) {
            Some("medication term that is an allergen term")
        } else if c.file == FILE_MED_UNII
            && c.row.system == "unii"
            && other_keys.contains(&c.row.key())
        {
            Some("unii: name another table has")
        } else {
            None
        };
        if let Some(r) = reason {
            *report.dropped.entry(r.to_string()).or_default() += 1;
        }
        reason.is_none()
    });

    // One winner per (key, kind, system, tty).
    let mut groups: BTreeMap<(String, String, String, String), Vec<Cand>> = BTreeMap::new();
    for c in cands {
        let g = (
            c.row.key(),
            c.row.kind.clone(),
            c.row.system.clone(),
            c.row.flags.tty.clone().unwrap_or_default(),
        );
        groups.entry(g).or_default().push(c);
    }
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for ((key, kind, system, tty), mut group) in groups {
        group.sort_by_key(|c| (c.rank, c.row.line()));
        let best = group[0].clone();
        let keep_set = best.row.flags.via.is_some() && tty == "IN";
        let curated_codes: BTreeSet<&str> = group
            .iter()
            .filter(|c| c.curated)
            .map(|c| c.row.code.as_str())
            .collect();
        if curated_codes.len() > 1 && !keep_set {
            problems.push(format!(
                "curated rows give {key:?} ({kind}, {system} {tty}) several codes: {curated_codes:?}"
            ));
        }
        let mut lost = 0;
        for c in group {
            let kept = if keep_set {
                c.origin == best.origin && c.file == best.file && c.curated == best.curated
            } else {
                c.row.code == best.row.code && c.file == best.file
            };
            if kept {
                out.entry(c.file).or_default().push(c.row.line());
            } else if c.row.code != best.row.code {
                lost += 1;
            }
        }
        if lost > 0 {
            *report
                .dropped
                .entry("another code won the same term, kind, system and tty".into())
                .or_default() += lost;
        }
    }
    if !problems.is_empty() {
        return Err(BuildError::Curated(problems));
    }

    // Write.
    std::fs::create_dir_all(&opts.out_dir).map_err(|source| BuildError::Io {
        path: opts.out_dir.clone(),
        source,
    })?;
    let mut texts: BTreeMap<&str, String> = BTreeMap::new();
    for file in TERM_FILES {
        let lines = out.remove(file).unwrap_or_default();
        texts.insert(file, tsv::table_text(TERM_HEADER, lines));
    }
    texts.insert(
        FILE_CLINICAL_DRUGS,
        tsv::table_text(CLINICAL_DRUG_HEADER, drug_lines),
    );
    for (file, words) in [(FILE_STOPWORDS, &stopwords), (FILE_EXCEPTIONS, &exceptions)] {
        texts.insert(
            file,
            tsv::table_text(
                WORD_HEADER,
                words.values().map(|(t, r)| format!("{t}\t{r}")),
            ),
        );
    }
    for (file, text) in &texts {
        report
            .files
            .insert(file.to_string(), text.lines().count().saturating_sub(1));
    }
    let sources_path = opts.curated_dir.join(FILE_SOURCES);
    let sources = tsv::read_text(&sources_path)?;
    let counts = sources::counts_block(&texts, &report, &rx.origin);
    let sources = sources::replace_counts(&sources, &counts).ok_or_else(|| BuildError::Format {
        path: sources_path.clone(),
        line: 0,
        detail: format!("the markers {COUNTS_BEGIN:?} and {COUNTS_END:?} are missing"),
    })?;
    texts.insert(FILE_SOURCES, sources);
    for (file, text) in &texts {
        write_atomic(&opts.out_dir.join(file), text)?;
    }
    Ok(report)
}

/// The vocabularies, for checking curated rows.
struct Vocab<'a> {
    gps: &'a snomed::Gps,
    icd: &'a icd::Icd,
    rx: &'a rxnorm::RxNorm,
    unii: &'a unii::Unii,
}

impl Vocab<'_> {
    /// The code system's display for a curated row's code, or why the code is not accepted.
    fn check(&self, row: &Row) -> Result<String, String> {
        let missing = || format!("{} code {} is not in the vocabulary", row.system, row.code);
        match row.system.as_str() {
            "snomed" => self
                .gps
                .display(&row.code)
                .map(str::to_string)
                .ok_or_else(missing),
            "icd10cm" => self
                .icd
                .display(&row.code)
                .map(str::to_string)
                .ok_or_else(missing),
            "unii" => self
                .unii
                .displays
                .get(&row.code)
                .cloned()
                .ok_or_else(missing),
            "rxnorm" => {
                let c = self.rx.concepts.get(&row.code).ok_or_else(missing)?;
                if row.flags.tty.as_deref() != Some(c.tty.as_str()) {
                    return Err(format!(
                        "rxcui {} is a {} ({}), not tty={}",
                        row.code,
                        c.tty,
                        c.name,
                        row.flags.tty.as_deref().unwrap_or("")
                    ));
                }
                Ok(self.rx.display(&row.code).unwrap_or_default())
            }
            other => Err(format!("unknown system {other}")),
        }
    }
}

/// An abbreviation written in capitals ("DVT", "PRES", "SSD", "CMML-1"): matched as written
/// only, so that the word it spells ("pres", "rid") does not match.
fn is_abbreviation(term: &str) -> bool {
    let alnum = term.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    (2..=6).contains(&alnum)
        && term.chars().filter(|c| c.is_ascii_uppercase()).count() >= 2
        && term
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// Reads `stopwords.tsv` / `exceptions.tsv`: key → (term, reason).
fn read_words(path: &Path) -> Result<BTreeMap<String, (String, String)>, BuildError> {
    let text = tsv::read_text(path)?;
    let mut out = BTreeMap::new();
    for (no, line) in tsv::data_lines(path, &text, WORD_HEADER)? {
        let bad = |detail: String| BuildError::Format {
            path: path.to_path_buf(),
            line: no,
            detail,
        };
        let (term, reason) = line
            .split_once('\t')
            .ok_or_else(|| bad("expected term<TAB>reason".into()))?;
        if term.trim() != term
            || term.is_empty()
            || reason.trim().is_empty()
            || reason.contains('\t')
        {
            return Err(bad(
                "the term and a reason are required, trimmed, without tabs".into(),
            ));
        }
        let key = term_key(term);
        if key.is_empty() {
            return Err(bad(format!("{term:?} has no letters or digits")));
        }
        if out
            .insert(key.clone(), (term.to_string(), reason.to_string()))
            .is_some()
        {
            return Err(bad(format!("{term:?} is listed twice (as {key:?})")));
        }
    }
    Ok(out)
}

/// Writes through a temporary file and a rename.
fn write_atomic(path: &Path, text: &str) -> Result<(), BuildError> {
    let tmp = path.with_extension("tmp");
    let io = |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capital_abbreviations() {
        for t in ["DVT", "PRES", "SSD", "CMML-1", "LAD-I"] {
            assert!(is_abbreviation(t), "{t}");
        }
        for t in ["Ibu", "PEDIARIX", "M-M-R II", "Z", "tia"] {
            assert!(!is_abbreviation(t), "{t}");
        }
    }
}
