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

static SECTIONS_TSV: &str = include_str!("../dictionaries/sections.tsv");
static SECTION_KINDS_TSV: &str = include_str!("../dictionaries/section-kinds.tsv");

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

/// A section kind's policy.
#[derive(Debug, Clone)]
pub struct SectionKind {
    /// The kind's name (`allergies`, `medications`, `family_history` …).
    pub name: String,
    /// What it lists.
    pub finds: Option<Finds>,
    /// What it implies about everything in it.
    pub implies: Option<Implies>,
}

/// Header and section-kind rules.
pub struct SectionRules {
    headers: HashMap<String, usize>,
    kinds: Vec<SectionKind>,
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

    /// Reads the shipped tables (`sections.tsv`, `section-kinds.tsv`).
    pub fn load() -> Result<SectionRules, TableError> {
        Self::from_tables(SECTIONS_TSV, SECTION_KINDS_TSV)
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
            Ok(SectionKind {
                name: r.first()?.to_string(),
                finds,
                implies,
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
                Ok((term_key(r.first()?), kind))
            })?
            .into_iter()
            .collect();
        Ok(SectionRules {
            headers,
            kinds: kind_list,
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

    /// Looks a header key up; on OCR'd pages, also with its misread words corrected.
    fn lookup(&self, key: &str, fix: Option<&Corrector>) -> Option<usize> {
        if let Some(&k) = self.headers.get(key) {
            return Some(k);
        }
        // Only header-shaped keys are worth correcting: a few words, no digits.
        let fix = fix
            .filter(|_| key.split(' ').count() <= 6 && !key.bytes().any(|b| b.is_ascii_digit()))?;
        let fixed: Vec<String> = key
            .split(' ')
            .map(|w| fix.fix(w).map_or_else(|| w.to_string(), |(c, _)| c))
            .collect();
        self.headers.get(&fixed.join(" ")).copied()
    }

    /// The kind index of a header line, if it is one, and where its content starts
    /// (for inline headers "Allergies: penicillin").
    fn header(&self, line: &str, fix: Option<&Corrector>) -> Option<(usize, usize)> {
        // OCR leaves marks around a header ("_ MEDICATIONS oo ;", "'PROBLEMS 7"): on OCR'd
        // pages, words of one or two characters at the line's ends are not part of it.
        let cleaned;
        let line = if fix.is_some() {
            cleaned = strip_ocr_marks(line);
            cleaned.as_str()
        } else {
            line
        };
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
                && let Some(k) = self.lookup(&key, fix)
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
            for k in (1..words.len().min(8)).rev() {
                let head = words[..k].join(" ");
                let rest_is_marks = words[k..].iter().all(|w| {
                    term_key(w)
                        .split(' ')
                        .all(|x| x.is_empty() || (!fix.is_word(x) && x.len() < 25))
                });
                if rest_is_marks
                    && looks_like_header(&head)
                    && let Some(kind) = self.lookup(&term_key(&head), Some(fix))
                {
                    return Some((kind, line.len()));
                }
            }
        }
        // "Allergies: penicillin (hives)" — a header at the start of a line, then content.
        let first = cells[0];
        let colon = first.find(':')?;
        let head = first[..colon].trim();
        if head.split_whitespace().count() > 6 || !looks_like_header(head) {
            return None;
        }
        let k = self.lookup(&term_key(head), fix)?;
        Some((k, colon + 1))
    }
}

/// Drops leading and trailing words of at most two characters that are not letters of a
/// header ("_", "oo", "7", "'") from an OCR'd line.
fn strip_ocr_marks(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let junk = |w: &&str| w.chars().count() <= 2 || w.chars().all(|c| !c.is_alphanumeric());
    let start = words.iter().position(|w| !junk(w)).unwrap_or(words.len());
    let end = words
        .iter()
        .rposition(|w| !junk(w))
        .map_or(start, |e| e + 1);
    words[start..end.max(start)]
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

/// Headers are short and written as a title: "ALLERGIES", "Problem List", "Past medical history".
fn looks_like_header(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.is_empty() || words.len() > 8 {
        return false;
    }
    s.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || !c.is_alphabetic())
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
                    map.sections.push(Section {
                        kind,
                        page: numbers[p],
                        header: line[..content.min(line.len())]
                            .trim()
                            .trim_end_matches(':')
                            .trim()
                            .to_string(),
                    });
                    current = Some(map.sections.len() - 1);
                    header_spans.push((s, s + content.min(line.len())));
                    starts.push((s, current));
                    continue;
                }
                if furniture[p].iter().any(|&(fs, fe)| fs <= s && e <= fe) {
                    continue;
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
mod tests {
    use super::*;

    fn rules() -> SectionRules {
        SectionRules::from_tables(
            "header\tsection\nAllergies\tallergies\nMedications\tmedications\nFamily History\tfamily_history\nPatient\tdemographics\n",
            "section\tfinds\timplies\twhy\nallergies\tallergy\t-\t\nmedications\tmedication\t-\t\nfamily_history\t-\tfamily\t\ndemographics\t-\t-\t\n",
        )
        .unwrap()
    }

    fn section_of(
        map: &SectionMap,
        r: &SectionRules,
        page: usize,
        text: &str,
        needle: &str,
    ) -> Option<String> {
        let off = text.find(needle).unwrap();
        map.at(page, off).map(|s| r.kinds[s.kind].name.clone())
    }

    #[test]
    fn headers_open_sections_that_carry_over_pages() {
        let r = rules();
        let pages = [
            "Intro\nALLERGIES\nPenicillin\tHives\nMEDICATIONS:\nAspirin 81 mg\n",
            "Metformin\nFamily History\nMother: diabetes\n",
        ];
        let furniture = vec![vec![], vec![]];
        let map = SectionMap::build(&r, &pages, &[1, 2], &furniture, &[true, true], None);
        assert_eq!(section_of(&map, &r, 0, pages[0], "Intro"), None);
        assert_eq!(
            section_of(&map, &r, 0, pages[0], "Penicillin").as_deref(),
            Some("allergies")
        );
        assert_eq!(
            section_of(&map, &r, 0, pages[0], "Aspirin").as_deref(),
            Some("medications")
        );
        assert_eq!(
            section_of(&map, &r, 1, pages[1], "Metformin").as_deref(),
            Some("medications")
        );
        assert_eq!(
            section_of(&map, &r, 1, pages[1], "Mother").as_deref(),
            Some("family_history")
        );
    }

    #[test]
    fn inline_header_and_new_document() {
        let r = rules();
        let pages = ["Allergies: penicillin (hives)\nPatient: Jane Doe\nAspirin\n"];
        let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
        assert_eq!(
            section_of(&map, &r, 0, pages[0], "penicillin").as_deref(),
            Some("allergies")
        );
        assert_eq!(
            section_of(&map, &r, 0, pages[0], "Aspirin").as_deref(),
            Some("demographics")
        );
    }

    #[test]
    fn header_words_inside_prose_are_not_headers() {
        let r = rules();
        let pages = ["ALLERGIES\nshe stopped her medications last week\nPenicillin\n"];
        let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
        assert_eq!(
            section_of(&map, &r, 0, pages[0], "Penicillin").as_deref(),
            Some("allergies")
        );
    }

    #[test]
    fn ocr_reads_small_capital_headers_in_lower_case() {
        let r = rules();
        let pages = ["MEDICATIONS\nAspirin\nallergies\nPenicillin\n"];
        let fix = Corrector::default();
        let ocr = SectionMap::build(&r, &pages, &[1], &[vec![]], &[false], Some(&fix));
        assert_eq!(
            section_of(&ocr, &r, 0, pages[0], "Penicillin").as_deref(),
            Some("allergies")
        );
        // A text layer writes its headers as headers: a lower-case line stays content.
        let exact = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
        assert_eq!(
            section_of(&exact, &r, 0, pages[0], "Penicillin").as_deref(),
            Some("medications")
        );
    }

    #[test]
    fn counter_beside_header_is_allowed() {
        let r = rules();
        let pages = ["Page 2 of 5\tMEDICATIONS\nAspirin\n"];
        let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
        assert_eq!(
            section_of(&map, &r, 0, pages[0], "Aspirin").as_deref(),
            Some("medications")
        );
    }
}
