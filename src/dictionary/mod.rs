//! Dictionaries: the shipped term tables (`dictionaries/*.tsv`, compiled into the binary by
//! `build.rs`) plus any tables a site adds with `--dict`, and the matcher over them.
//!
//! A term table has the tab-separated header `term kind system code display category flags`. Rows whose
//! terms fold to the same key and share a kind are one concept; all their codes are its
//! codings. User tables may stop after `display`.

pub mod approx;
#[cfg(test)]
mod approx_reference;
pub mod clinical;
pub mod matcher;
pub mod vocabulary;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::normalize::fold::term_key;

/// The header every shipped term table starts with.
pub const TERM_HEADER: &str = "term\tkind\tsystem\tcode\tdisplay\tcategory\tflags";

static TERMS_FST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/terms.fst"));
/// The length of the longest term below each state of `TERMS_FST`, by address (`build.rs`).
static TERMS_DEPTH: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/terms.depth"));
static TERMS_BLOB: &str = include_str!(concat!(env!("OUT_DIR"), "/terms.blob"));
static TERM_FILES: &str = include_str!(concat!(env!("OUT_DIR"), "/term_files.txt"));

/// What a term names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A problem or diagnosis.
    Condition,
    /// A drug.
    Medication,
    /// Something a patient may be allergic to (drug class, food, environment).
    Allergen,
    /// An allergy's manifestation.
    Reaction,
}

impl Kind {
    /// The kind named as the tables write it.
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "condition" => Kind::Condition,
            "medication" => Kind::Medication,
            "allergen" => Kind::Allergen,
            "reaction" => Kind::Reaction,
            _ => return None,
        })
    }

    /// The kind as the tables write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Condition => "condition",
            Kind::Medication => "medication",
            Kind::Allergen => "allergen",
            Kind::Reaction => "reaction",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code system, by the short name the tables use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    /// SNOMED CT.
    Snomed,
    /// ICD-10-CM.
    Icd10cm,
    /// RxNorm.
    Rxnorm,
    /// FDA UNII.
    Unii,
}

impl System {
    /// A code system by a table's short name or its URI.
    pub fn parse(s: &str) -> Option<System> {
        Some(match s.to_ascii_lowercase().as_str() {
            "snomed" | "sct" | "http://snomed.info/sct" => System::Snomed,
            "icd10cm" | "icd-10-cm" | "http://hl7.org/fhir/sid/icd-10-cm" => System::Icd10cm,
            "rxnorm" | "http://www.nlm.nih.gov/research/umls/rxnorm" => System::Rxnorm,
            "unii" | "http://fdasis.nlm.nih.gov" => System::Unii,
            _ => return None,
        })
    }

    /// The short name the tables use.
    pub fn as_str(self) -> &'static str {
        match self {
            System::Snomed => "snomed",
            System::Icd10cm => "icd10cm",
            System::Rxnorm => "rxnorm",
            System::Unii => "unii",
        }
    }

    /// The FHIR code system URI.
    pub fn uri(self) -> &'static str {
        match self {
            System::Snomed => "http://snomed.info/sct",
            System::Icd10cm => "http://hl7.org/fhir/sid/icd-10-cm",
            System::Rxnorm => "http://www.nlm.nih.gov/research/umls/rxnorm",
            System::Unii => "http://fdasis.nlm.nih.gov",
        }
    }

    /// Short label for human output.
    pub fn label(self) -> &'static str {
        match self {
            System::Snomed => "SNOMED",
            System::Icd10cm => "ICD-10-CM",
            System::Rxnorm => "RxNorm",
            System::Unii => "UNII",
        }
    }
}

/// One row of a term table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The term as documents write it.
    pub term: String,
    /// What it names.
    pub kind: Kind,
    /// The code system.
    pub system: System,
    /// The code.
    pub code: String,
    /// The code system's display.
    pub display: String,
    /// medication | food | environment | biologic (allergens, medications);
    /// disorder | finding (conditions); empty otherwise.
    pub category: String,
    /// Match only with the exact letter case of `term`.
    pub case_sensitive: bool,
    /// RxNorm term type (IN, BN, SCD …), when known.
    pub tty: Option<String>,
    /// Only valid inside this kind of section (allergies, medications, problems).
    pub section: Option<String>,
    /// Set on ingredient rows added for a brand or clinical-drug term.
    pub via: Option<String>,
    /// Which table the row came from.
    pub source: String,
}

impl Entry {
    /// Parses a table row (`term kind system code display [category [flags]]`).
    pub fn parse(line: &str, source: &str) -> std::result::Result<Entry, String> {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 5 {
            return Err(format!(
                "expected at least 5 tab-separated columns (term, kind, system, code, display), found {}",
                cols.len()
            ));
        }
        let term = cols[0].trim();
        if term.is_empty() || term_key(term).is_empty() {
            return Err("the term is empty or has no letters or digits".into());
        }
        let kind = Kind::parse(cols[1].trim()).ok_or_else(|| {
            format!(
                "unknown kind {:?} (expected condition, medication, allergen or reaction)",
                cols[1]
            )
        })?;
        let system = System::parse(cols[2].trim()).ok_or_else(|| {
            format!(
                "unknown code system {:?} (expected snomed, icd10cm, rxnorm or unii)",
                cols[2]
            )
        })?;
        let code = cols[3].trim();
        if code.is_empty() {
            return Err("the code is empty".into());
        }
        let mut entry = Entry {
            term: term.to_string(),
            kind,
            system,
            code: code.to_string(),
            display: cols[4].trim().to_string(),
            category: cols
                .get(5)
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            case_sensitive: false,
            tty: None,
            section: None,
            via: None,
            source: source.to_string(),
        };
        if entry.display.is_empty() {
            entry.display = entry.term.clone();
        }
        for flag in cols.get(6).unwrap_or(&"").split(';').map(str::trim) {
            match flag.split_once('=') {
                None if flag.is_empty() => {}
                None if flag == "cs" => entry.case_sensitive = true,
                Some(("tty", v)) => entry.tty = Some(v.to_string()),
                Some(("section", v)) => entry.section = Some(v.to_string()),
                Some(("via", v)) => entry.via = Some(v.to_string()),
                _ => return Err(format!("unknown flag {flag:?}")),
            }
        }
        Ok(entry)
    }
}

/// A group of rows sharing one term key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// A group of the shipped tables (offset and count in the row blob).
    Builtin(u64),
    /// A group of the `--dict` tables.
    User(usize),
}

/// Terms added at run time with `--dict`.
#[derive(Default)]
struct UserTerms {
    map: Option<fst::Map<Vec<u8>>>,
    groups: Vec<Vec<Entry>>,
    files: Vec<PathBuf>,
}

/// All the terms the matcher knows.
pub struct Dictionary {
    builtin: fst::Map<&'static [u8]>,
    /// Longest term below each state of `builtin` (none for a dictionary built otherwise).
    builtin_depths: Option<&'static [u8]>,
    files: Vec<&'static str>,
    user: UserTerms,
}

impl Default for Dictionary {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Dictionary {
    /// The dictionaries shipped in the binary. Costs nothing: the automaton is embedded.
    pub fn builtin() -> Dictionary {
        Dictionary {
            builtin: fst::Map::new(TERMS_FST).expect("embedded term automaton is valid"),
            builtin_depths: Some(TERMS_DEPTH),
            files: TERM_FILES.lines().collect(),
            user: UserTerms::default(),
        }
    }

    /// Adds a site's own term table. A bad row is an error naming the file and line.
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.add_table(path, &text)
    }

    /// Adds a term table given as text (read from `path`).
    pub fn add_table(&mut self, path: &Path, text: &str) -> Result<()> {
        let bad = |line: usize, detail: String| Error::Dictionary {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let mut lines = text.lines().enumerate();
        let header = lines
            .next()
            .map(|(_, l)| l.trim_end_matches('\r'))
            .unwrap_or("");
        let cols: Vec<&str> = header.split('\t').collect();
        if cols.len() < 5 || cols[..5] != ["term", "kind", "system", "code", "display"] {
            return Err(bad(
                1,
                "the first line must be the header `term<TAB>kind<TAB>system<TAB>code<TAB>display` (optionally followed by category and flags)".into(),
            ));
        }
        let source = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut all: Vec<(String, Entry)> = Vec::new();
        for g in &self.user.groups {
            for e in g {
                all.push((term_key(&e.term), e.clone()));
            }
        }
        for (i, line) in lines {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = Entry::parse(line, &source).map_err(|d| bad(i + 1, d))?;
            all.push((term_key(&entry.term), entry));
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let mut groups: Vec<Vec<Entry>> = Vec::new();
        let mut builder = fst::MapBuilder::memory();
        let mut last: Option<String> = None;
        for (key, entry) in all {
            if last.as_deref() == Some(key.as_str()) {
                groups.last_mut().expect("group").push(entry);
            } else {
                builder
                    .insert(&key, groups.len() as u64)
                    .expect("sorted keys");
                groups.push(vec![entry]);
                last = Some(key);
            }
        }
        let bytes = builder.into_inner().expect("in-memory fst");
        self.user.map = Some(fst::Map::new(bytes).expect("valid fst"));
        self.user.groups = groups;
        self.user.files.push(path.to_path_buf());
        Ok(())
    }

    /// The rows of a group.
    pub fn entries(&self, group: Group) -> Vec<Entry> {
        match group {
            Group::User(i) => self.user.groups[i].clone(),
            Group::Builtin(v) => {
                let offset = (v >> 20) as usize;
                let count = (v & 0xFFFFF) as usize;
                TERMS_BLOB[offset..]
                    .lines()
                    .take(count)
                    .filter_map(|line| {
                        let (id, row) = line.split_once('\t')?;
                        let source = id
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| self.files.get(i))
                            .copied()
                            .unwrap_or("");
                        Entry::parse(row, source).ok()
                    })
                    .collect()
            }
        }
    }

    /// Every row whose term folds to the same key as `term`.
    pub fn lookup(&self, term: &str) -> Vec<Entry> {
        let key = term_key(term);
        let mut out = Vec::new();
        if let Some(v) = self.builtin.get(&key) {
            out.extend(self.entries(Group::Builtin(v)));
        }
        if let Some(v) = self.user.map.as_ref().and_then(|m| m.get(&key)) {
            out.extend(self.entries(Group::User(v as usize)));
        }
        out
    }

    /// All terms that start at `start` of `key` and end at a word boundary, as (end, group).
    pub fn prefixes(&self, key: &[u8], start: usize, out: &mut Vec<(usize, Group)>) {
        walk(self.builtin.as_fst(), key, start, |end, v| {
            out.push((end, Group::Builtin(v)))
        });
        if let Some(m) = &self.user.map {
            walk(m.as_fst(), key, start, |end, v| {
                out.push((end, Group::User(v as usize)))
            });
        }
    }

    /// The longest term close enough to the start of `window` (OCR'd text; see [`approx`]),
    /// as (end within the window, cost in half-edits, group).
    pub fn approximate(&self, window: &[u8]) -> Option<(usize, u16, Group)> {
        self.approximate_beyond(window, 0)
    }

    /// As [`Dictionary::approximate`], when only a term that ends past `min_end` is of use.
    pub fn approximate_beyond(&self, window: &[u8], min_end: usize) -> Option<(usize, u16, Group)> {
        let builtin =
            approx::longest_beyond(self.builtin.as_fst(), self.builtin_depths, window, min_end)
                .map(|a| (a.end, a.cost, Group::Builtin(a.value)));
        let user = self.user.map.as_ref().and_then(|m| {
            approx::longest_beyond(m.as_fst(), None, window, min_end)
                .map(|a| (a.end, a.cost, Group::User(a.value as usize)))
        });
        match (builtin, user) {
            (Some(b), Some(u)) => Some(
                if (u.0, std::cmp::Reverse(u.1)) > (b.0, std::cmp::Reverse(b.1)) {
                    u
                } else {
                    b
                },
            ),
            (b, u) => b.or(u),
        }
    }

    /// The names of the shipped tables, in build order.
    pub fn builtin_files(&self) -> &[&'static str] {
        &self.files
    }

    /// Files added with `--dict`.
    pub fn user_files(&self) -> &[PathBuf] {
        &self.user.files
    }

    /// Counts rows per (source table, kind), shipped and added.
    pub fn stats(&self) -> Vec<(String, Kind, usize)> {
        let mut counts: std::collections::BTreeMap<(String, Kind), usize> = Default::default();
        for line in TERMS_BLOB.lines() {
            let mut cols = line.split('\t');
            let (Some(id), Some(_term), Some(kind)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let Some(kind) = Kind::parse(kind) else {
                continue;
            };
            let source = id
                .parse::<usize>()
                .ok()
                .and_then(|i| self.files.get(i))
                .copied()
                .unwrap_or("?");
            *counts.entry((source.to_string(), kind)).or_default() += 1;
        }
        for g in &self.user.groups {
            for e in g {
                *counts.entry((e.source.clone(), e.kind)).or_default() += 1;
            }
        }
        counts.into_iter().map(|((s, k), n)| (s, k, n)).collect()
    }
}

/// Walks the automaton from `start`, reporting every final state reached at a word end.
fn walk<D: AsRef<[u8]>>(
    fst: &fst::raw::Fst<D>,
    key: &[u8],
    start: usize,
    mut f: impl FnMut(usize, u64),
) {
    let mut node = fst.root();
    let mut out = fst::raw::Output::zero();
    for (i, &b) in key.iter().enumerate().skip(start) {
        if b == b'\n' {
            return;
        }
        let Some(t) = node.find_input(b) else {
            return;
        };
        let tr = node.transition(t);
        out = out.cat(tr.out);
        node = fst.node(tr.addr);
        if node.is_final() && key.get(i + 1).is_none_or(|&n| crate::normalize::is_sep(n)) {
            f(i + 1, out.cat(node.final_output()).value());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `build.rs` checks every term row as it compiles it; the runtime's reader must agree, or
    /// a row would be dropped silently.
    #[test]
    fn every_compiled_term_row_reads() {
        let d = Dictionary::builtin();
        let mut rows = 0;
        for line in TERMS_BLOB.lines() {
            let (id, row) = line.split_once('\t').expect("file id");
            let source = d.files[id.parse::<usize>().expect("file id")];
            if let Err(e) = Entry::parse(row, source) {
                panic!("{source}: {e} (row {row:?})");
            }
            rows += 1;
        }
        assert!(rows > 100_000, "{rows} rows");
    }
}
