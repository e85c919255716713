//! Sections: "ALLERGIES", "Current Medications", "Problem List", "Family History" …
//!
//! A header is a line (or a line's start up to `:`) whose words are a known header
//! (`dictionaries/sections.tsv`). Each section kind says what it lists and what it implies
//! (`dictionaries/section-kinds.tsv`): a drug under "Allergies" is an allergen, the same drug
//! under "Medications" a medication; "Family History" is about relatives. A section runs
//! until the next header — across page breaks, but not across page furniture's lies (a running
//! header is not a header) and not into the next document of a packet (its patient header is
//! a `demographics` header).

use std::collections::HashMap;

use crate::normalize::fold::term_key;
use crate::normalize::furniture::{is_counter_or_banner, line_spans};
use crate::normalize::ocr::Corrector;
use crate::tables::{self, Table, TableError};

mod words;
use words::{
    ends_sentence, is_salutation, is_upper_or_title, looks_like_header, offset_in_line,
    strip_ocr_marks, without_parentheses,
};

static SECTIONS_TSV: &str = include_str!("../dictionaries/sections.tsv");
static SECTION_KINDS_TSV: &str = include_str!("../dictionaries/section-kinds.tsv");
static SECTION_KEYWORDS_TSV: &str = include_str!("../dictionaries/section-keywords.tsv");

/// What kind of finding a section lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Finds {
    /// An allergy list.
    Allergy,
    /// A medication list.
    Medication,
    /// A problem or diagnosis list.
    Condition,
}

/// What a section says about everything in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Implies {
    /// About relatives.
    Family,
    /// Past history.
    Historical,
    /// Discontinued medications.
    Stopped,
    /// Resolved problems.
    Resolved,
    /// Completed (past, administered) medications.
    Completed,
}

/// How the text of a section is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reads {
    /// A list of the kind of finding the section `finds`: a drug under "Allergies" is an
    /// allergen; every line an item.
    List,
    /// Prose whose diagnoses are the patient's problems, symptoms included (an assessment, a
    /// reason for admission).
    Diagnoses,
    /// Prose: drugs are medications, disorders conditions, unless a statement says otherwise
    /// ("allergic to X"); a symptom is not a problem (only its denial is kept, as refuted).
    Prose,
    /// A plan: the drugs it starts, continues or stops; the problems it names are the
    /// assessment's, not read again here ("lifestyle education regarding hypertension").
    Plan,
    /// Nothing here is an allergy, a medication or a diagnosis of the patient (vaccines,
    /// results, procedures, the patient header).
    None,
}

/// How far a section runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extent {
    /// To the next header.
    Section,
    /// Its header's line only ("DOB: 04/17/1951"): what follows is outside any section.
    Line,
}

/// A section kind's policy.
#[derive(Debug, Clone)]
pub struct SectionKind {
    /// The kind's name (`allergies`, `medications`, `family_history` …).
    pub name: String,
    /// What it lists.
    pub finds: Option<Finds>,
    /// What it implies about everything in it.
    pub implies: Option<Implies>,
    /// How its text is read.
    pub reads: Reads,
    /// How far it runs.
    pub extent: Extent,
}

/// Header and section-kind rules.
pub struct SectionRules {
    /// Header key → (kind index, only when alone on its line).
    headers: HashMap<String, (usize, bool)>,
    /// Every word of every header key.
    header_words: std::collections::HashSet<String>,
    kinds: Vec<SectionKind>,
    /// The kind of text outside known sections (`other`), which a letter's salutation opens.
    other: Option<usize>,
    /// Words that name the kind of an unknown header ("ACTIVE MEDICATION ORDERS (20):"):
    /// word → (rank, kind index, only for a header alone on its line); the lowest rank wins.
    keywords: HashMap<String, (u32, usize, bool)>,
}

impl Default for SectionRules {
    fn default() -> Self {
        Self::builtin()
    }
}

impl SectionRules {
    /// The rules shipped in `dictionaries/`.
    pub fn builtin() -> SectionRules {
        tables::shipped(Self::load())
    }

    /// Reads the shipped tables (`sections.tsv`, `section-kinds.tsv`,
    /// `section-keywords.tsv`).
    pub fn load() -> Result<SectionRules, TableError> {
        let mut rules = Self::from_tables(SECTIONS_TSV, SECTION_KINDS_TSV)?;
        let table = Table::parse("section-keywords.tsv", SECTION_KEYWORDS_TSV)?;
        let keywords = table.map(|r| {
            let section = r.get("section")?;
            let kind = rules
                .kinds
                .iter()
                .position(|k| k.name == section)
                .ok_or_else(|| format!("unknown section {section:?}"))?;
            let alone = match r.opt("form")? {
                None => false,
                Some("alone") => true,
                Some(other) => return Err(format!("unknown form {other:?}")),
            };
            Ok((term_key(r.first()?), (r.parse::<u32>("rank")?, kind, alone)))
        })?;
        rules.keywords = keywords.into_iter().collect();
        Ok(rules)
    }

    /// Rules from the two tables' text (`sections.tsv`, `section-kinds.tsv`). A row they
    /// cannot read is an error naming the file and line.
    pub fn from_tables(sections: &str, kinds: &str) -> Result<SectionRules, TableError> {
        let kinds = Table::parse("section-kinds.tsv", kinds)?;
        let kind_list = kinds.map(|r| {
            let finds = match r.opt("finds")? {
                Some("allergy") => Some(Finds::Allergy),
                Some("medication") => Some(Finds::Medication),
                Some("condition") => Some(Finds::Condition),
                Some("-") | None => None,
                Some(other) => return Err(format!("unknown finds {other:?}")),
            };
            let implies = match r.opt("implies")? {
                Some("family") => Some(Implies::Family),
                Some("historical") => Some(Implies::Historical),
                Some("stopped") => Some(Implies::Stopped),
                Some("resolved") => Some(Implies::Resolved),
                Some("completed") => Some(Implies::Completed),
                Some("-") | None => None,
                Some(other) => return Err(format!("unknown implies {other:?}")),
            };
            let reads = match r.get("reads")? {
                "list" => Reads::List,
                "diagnoses" => Reads::Diagnoses,
                "prose" => Reads::Prose,
                "plan" => Reads::Plan,
                "none" => Reads::None,
                other => return Err(format!("unknown reads {other:?}")),
            };
            if (reads == Reads::List) != finds.is_some() {
                return Err(
                    "a section that finds a kind of finding reads it as a list (and only it)"
                        .into(),
                );
            }
            let extent = match r.get("extent")? {
                "section" => Extent::Section,
                "line" => Extent::Line,
                other => return Err(format!("unknown extent {other:?}")),
            };
            Ok(SectionKind {
                name: r.first()?.to_string(),
                finds,
                implies,
                reads,
                extent,
            })
        })?;
        let index: HashMap<&str, usize> = kind_list
            .iter()
            .enumerate()
            .map(|(i, k)| (k.name.as_str(), i))
            .collect();
        let sections = Table::parse("sections.tsv", sections)?;
        let headers = sections
            .map(|r| {
                let section = r.get("section")?.trim();
                let &kind = index
                    .get(section)
                    .ok_or_else(|| format!("unknown section {section:?}"))?;
                let alone = match r.opt("form")? {
                    None => false,
                    Some("alone") => true,
                    Some(other) => return Err(format!("unknown form {other:?}")),
                };
                Ok((term_key(r.first()?), (kind, alone)))
            })?
            .into_iter()
            .collect::<HashMap<String, (usize, bool)>>();
        let header_words = headers
            .keys()
            .flat_map(|k| k.split(' '))
            .map(str::to_string)
            .collect();
        Ok(SectionRules {
            headers,
            header_words,
            other: kind_list.iter().position(|k| k.name == "other"),
            kinds: kind_list,
            keywords: HashMap::new(),
        })
    }

    /// The section kind named `name`.
    pub fn kind(&self, name: &str) -> Option<&SectionKind> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// The kind of a section occurrence.
    pub fn kind_of(&self, section: &Section) -> &SectionKind {
        &self.kinds[section.kind]
    }

    /// Looks a header key up; on OCR'd pages, also with its misread words corrected. `inline`:
    /// the header begins a line that goes on ("Allergies: penicillin"), where headers that
    /// count only alone on their line do not.
    fn lookup(&self, key: &str, fix: Option<&Corrector>, inline: bool) -> Option<usize> {
        let found = |k: &str| {
            self.headers
                .get(k)
                .filter(|&&(_, alone)| !(inline && alone))
                .map(|&(kind, _)| kind)
        };
        if let Some(k) = found(key) {
            return Some(k);
        }
        // Only header-shaped keys are worth correcting: a few words, no digits.
        let fix = fix
            .filter(|_| key.split(' ').count() <= 6 && !key.bytes().any(|b| b.is_ascii_digit()))?;
        // A vocabulary word is never corrected: one that is in no header keeps the key from
        // being a header whatever the other words become (and spares their correction).
        if key
            .split(' ')
            .any(|w| fix.is_word(w) && !self.header_words.contains(w))
        {
            return None;
        }
        let fixed: Vec<String> = key
            .split(' ')
            .map(|w| fix.fix(w).map_or_else(|| w.to_string(), |(c, _)| c))
            .collect();
        found(&fixed.join(" "))
    }

    /// The kind of a header written with a colon that is not in `sections.tsv`, from its
    /// words: "ACTIVE MEDICATION ORDERS (20):", "ALLERGIES (UPDATED THIS VISIT):" (what stands
    /// in parentheses is dropped first).
    fn by_keyword(&self, head: &str, inline: bool) -> Option<usize> {
        let plain = without_parentheses(head);
        if self.headers.contains_key(&term_key(head)) {
            return None; // a known header, in a form it does not count in
        }
        if let Some(&(k, alone)) = self.headers.get(&term_key(&plain)) {
            return (!alone).then_some(k);
        }
        term_key(&plain)
            .split(' ')
            .filter_map(|w| self.keywords.get(w))
            .filter(|&&(_, _, alone)| !(inline && alone))
            .min()
            .map(|&(_, k, _)| k)
    }

    /// The kind index of a header line, if it is one, and where its content starts
    /// (for inline headers "Allergies: penicillin").
    fn header(&self, line: &str, fix: Option<&Corrector>) -> Option<(usize, usize)> {
        // OCR leaves marks around a header ("_ MEDICATIONS oo ;", "'PROBLEMS 7"): on OCR'd
        // pages, words of one or two characters at the line's ends are not part of it. The
        // header is found in the cleaned line; where its content starts is said in `line`.
        if fix.is_none() {
            return self.header_in(line, fix);
        }
        let (cleaned, skipped) = strip_ocr_marks(line);
        let (kind, content) = self.header_in(&cleaned, fix)?;
        Some((kind, offset_in_line(line, &cleaned, skipped, content)))
    }

    fn header_in(&self, line: &str, fix: Option<&Corrector>) -> Option<(usize, usize)> {
        let cells: Vec<&str> = line.split('\t').collect();
        // A header stands alone on its line; a running counter beside it is allowed.
        let mut found = None;
        let mut offset = 0;
        for cell in &cells {
            let trimmed = cell.trim().trim_end_matches(':').trim();
            let key = term_key(trimmed);
            // OCR may read a header in small capitals as lower case ("immunizations"): on an
            // OCR'd page a line that is only a header name is one whatever its case.
            if found.is_none()
                && let Some(k) = self.lookup(&key, fix, false)
                && (looks_like_header(trimmed) || (fix.is_some() && cells.len() == 1))
            {
                found = Some((k, offset + cell.len()));
                offset += cell.len() + 1;
                continue;
            }
            if !is_counter_or_banner(cell) && !cell.trim().is_empty() {
                found = None;
                break;
            }
            offset += cell.len() + 1;
        }
        if found.is_some() {
            return found;
        }
        // OCR'd pages: a header followed by marks read off a table rule ("MEDICATIONS
        // sSS—~—CSOSS"): the longest leading run of words that is a header, when nothing
        // after it is a word of the vocabulary.
        if let Some(fix) = fix
            && !line.contains(':')
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            // The words after the last word of the vocabulary are marks.
            let last_word = words.iter().rposition(|w| {
                !term_key(w)
                    .split(' ')
                    .all(|x| x.is_empty() || (!fix.is_word(x) && x.len() < 25))
            });
            for k in (1..words.len().min(8)).rev() {
                let rest_is_marks = last_word.is_none_or(|p| p < k);
                if !rest_is_marks {
                    // Fewer words leave a vocabulary word in the rest too.
                    break;
                }
                let head = words[..k].join(" ");
                if rest_is_marks
                    && looks_like_header(&head)
                    && let Some(kind) = self.lookup(&term_key(&head), Some(fix), false)
                {
                    return Some((kind, line.len()));
                }
            }
        }
        // "Allergies: penicillin (hives)" — a header at the start of a line, then content.
        // (OCR reads a colon as a semicolon now and then.)
        let first = cells[0];
        let colon = match fix {
            Some(_) => first.find([':', ';']),
            None => first.find(':'),
        };
        let Some(colon) = colon else {
            // An OCR'd line that is only an unknown header ("ACTIVE MEDICATION ORDERS (79):"
            // loses its closing marks to the cleaning): named by its words.
            let plain = without_parentheses(first);
            return (fix.is_some()
                && cells.len() == 1
                && (1..=6).contains(&plain.split_whitespace().count())
                && plain.chars().any(char::is_alphabetic)
                && !plain.chars().any(char::is_lowercase))
            .then(|| self.by_keyword(first, false))
            .flatten()
            .map(|k| (k, line.len()));
        };
        let head = first[..colon].trim();
        if head.split_whitespace().count() > 8 || !looks_like_header(head) {
            return None;
        }
        let rest = first[colon + 1..].trim();
        let inline = !rest.is_empty() || cells.len() > 1;
        if let Some(k) = self.lookup(&term_key(head), fix, inline) {
            return Some((k, colon + 1));
        }
        // A header this table does not know, written as one ("CURRENT MEDICATIONS (last
        // given):"), alone on its line or with its first item after it; never a row label
        // of a table (a cell beside it).
        let plain = without_parentheses(head);
        (cells.len() == 1 && plain.split_whitespace().count() <= 6 && is_upper_or_title(&plain))
            .then(|| self.by_keyword(head, inline))
            .flatten()
            .map(|k| (k, colon + 1))
    }
}

/// One section occurrence.
#[derive(Debug, Clone)]
pub struct Section {
    /// Index of the kind in the rules.
    pub kind: usize,
    /// Page number of the header.
    pub page: u32,
    /// The header as written.
    pub header: String,
}

/// Which section each stretch of each page belongs to.
#[derive(Debug, Default)]
pub struct SectionMap {
    /// The section occurrences, in document order.
    pub sections: Vec<Section>,
    /// Per page: (start offset, section index or None) in increasing offset order.
    starts: Vec<Vec<(usize, Option<usize>)>>,
    /// Per page: header line spans (a header is not content).
    headers: Vec<Vec<(usize, usize)>>,
}

impl SectionMap {
    /// Finds sections over a document's pages (same order as `texts`), skipping furniture.
    pub fn build<S: AsRef<str>>(
        rules: &SectionRules,
        texts: &[S],
        numbers: &[u32],
        furniture: &[Vec<(usize, usize)>],
        exact: &[bool],
        fix: Option<&Corrector>,
    ) -> SectionMap {
        let mut map = SectionMap::default();
        let mut current: Option<usize> = None;
        // An inline list ("ALLERGIES: PCN (hives), sulfa.") and whether its last line ended a
        // sentence: a list written on its header's line ends with its sentence, when the next
        // line begins another ("He takes warfarin …").
        let mut inline_list = false;
        let mut sentence_ended = false;
        for (p, text) in texts.iter().enumerate() {
            let text = text.as_ref();
            let mut starts = vec![(0, current)];
            let mut header_spans = Vec::new();
            for (s, e) in line_spans(text) {
                let line = &text[s..e];
                if line.trim().is_empty() {
                    continue;
                }
                let page_fix = fix.filter(|_| !exact.get(p).copied().unwrap_or(true));
                if let Some((kind, content)) = rules.header(line, page_fix) {
                    let after = line.get(content..).unwrap_or("").trim();
                    inline_list = rules.kinds[kind].reads == Reads::List && !after.is_empty();
                    sentence_ended = ends_sentence(after);
                    map.sections.push(Section {
                        kind,
                        page: numbers[p],
                        header: line[..content.min(line.len())]
                            .trim()
                            .trim_end_matches(':')
                            .trim()
                            .to_string(),
                    });
                    let before = current;
                    current = Some(map.sections.len() - 1);
                    header_spans.push((s, s + content.min(line.len())));
                    starts.push((s, current));
                    if rules.kinds[kind].extent == Extent::Line {
                        // One line ("DOB: 04/17/1951"): a patient header begins a new document,
                        // so the section before it ends — unless it is one that reads nothing
                        // (a release form that names the patient goes on after the name).
                        current = before
                            .filter(|&b| rules.kinds[map.sections[b].kind].reads == Reads::None);
                        starts.push(((e + 1).min(text.len()), current));
                    }
                    continue;
                }
                // "Dear Dr. Menon,": a letter's body begins; it is prose.
                if let Some(other) = rules.other
                    && is_salutation(line)
                {
                    map.sections.push(Section {
                        kind: other,
                        page: numbers[p],
                        header: line.trim().to_string(),
                    });
                    current = Some(map.sections.len() - 1);
                    inline_list = false;
                    header_spans.push((s, e));
                    starts.push((s, current));
                    continue;
                }
                if furniture[p].iter().any(|&(fs, fe)| fs <= s && e <= fe) {
                    continue;
                }
                if inline_list {
                    if sentence_ended && line.trim_start().starts_with(char::is_uppercase) {
                        inline_list = false;
                        current = None;
                        starts.push((s, current));
                    } else {
                        sentence_ended = ends_sentence(line);
                    }
                }
            }
            map.starts.push(starts);
            map.headers.push(header_spans);
        }
        map
    }

    /// The section at byte `offset` of page index `page_index`.
    pub fn at(&self, page_index: usize, offset: usize) -> Option<&Section> {
        let starts = self.starts.get(page_index)?;
        let i = starts.partition_point(|&(s, _)| s <= offset);
        starts
            .get(i.checked_sub(1)?)
            .and_then(|&(_, sec)| sec)
            .map(|i| &self.sections[i])
    }

    /// The section index at a position (for grouping by section occurrence).
    pub fn index_at(&self, page_index: usize, offset: usize) -> Option<usize> {
        let starts = self.starts.get(page_index)?;
        let i = starts.partition_point(|&(s, _)| s <= offset);
        starts.get(i.checked_sub(1)?).and_then(|&(_, sec)| sec)
    }

    /// Page-text span of the section stretch around `offset` on a page: from its header (or
    /// the top of the page) to the next header on the page (or the end of the page).
    pub fn stretch(&self, page_index: usize, offset: usize, page_len: usize) -> (usize, usize) {
        let Some(starts) = self.starts.get(page_index) else {
            return (0, page_len);
        };
        let i = starts.partition_point(|&(s, _)| s <= offset);
        let start = i.checked_sub(1).map_or(0, |j| starts[j].0);
        let end = starts.get(i).map_or(page_len, |&(s, _)| s);
        (start, end)
    }

    /// True when the span lies in a header line.
    pub fn in_header(&self, page_index: usize, start: usize, end: usize) -> bool {
        self.headers
            .get(page_index)
            .is_some_and(|h| h.iter().any(|&(s, e)| s <= start && end <= e))
    }
}

#[cfg(test)]
mod tests;
