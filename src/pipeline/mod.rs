//! The pipeline: a [`Document`] of pages in, an [`Extraction`] of coded findings out. This
//! module only wires the stages; each stage is a module of plain functions over plain data.
//!
//! ```text
//! per document  furniture ─► sections ─► section policy (roles)
//! per page      key ─► OCR correction ─► context triggers ─► term matches
//!               ─► terms (mentions: role, section, assertion, confidence) + no known allergies
//!               ─► combinations (one product, two parts) ─► wrapped cells (OCR)
//!               ─► rows (status cell, dates, dosage, reactions)
//! per document  consolidate (one finding per concept) ─► conflicts ─► Extraction
//! ```
//!
//! Where the work of a change goes: what sections mean and where findings are read, `roles`
//! (the section policy); how a term becomes a mention, `terms`; table rows and their cells,
//! `rows` and `wrapped` (OCR); products named in parts, `combinations`; the words beside a
//! finding, [`crate::attributes`]; grouping into findings, [`crate::consolidate`].

mod combinations;
mod page;
mod roles;
mod rows;
mod terms;
mod wrapped;

use crate::consolidate::{consolidate, flag_conflicts};
use crate::context::ContextRules;
use crate::dictionary::Dictionary;
use crate::dictionary::matcher::{find_terms, find_terms_approximately};
use crate::error::enter_stage;
use crate::extraction::Extraction;
use crate::ingest::{Document, PageOrigin};
use crate::mention::Mention;
use crate::normalize::KeyText;
use crate::normalize::furniture;
use crate::normalize::ocr::{Corrector, DocumentWords};
use crate::patient;
use crate::sections::{SectionMap, SectionRules};

use page::PageView;
use roles::SectionPolicy;

/// Extraction settings and the rules, built once and shared by all workers.
#[derive(Default)]
pub struct Extractor {
    /// The term dictionaries (shipped, plus any `--dict` tables).
    pub dictionary: Dictionary,
    /// Section headers and what each kind of section lists and implies.
    pub sections: SectionRules,
    /// ConText trigger rules.
    pub context: ContextRules,
    /// Corrects misread words of OCR'd pages toward the vocabulary.
    pub corrector: Corrector,
}

impl Extractor {
    /// Runs the pipeline over a document.
    pub fn extract(&self, doc: &Document) -> Extraction {
        let texts: Vec<&str> = doc.pages.iter().map(|p| p.text.as_str()).collect();
        let numbers: Vec<u32> = doc.pages.iter().map(|p| p.number).collect();
        let exact: Vec<bool> = doc
            .pages
            .iter()
            .map(|p| p.origin == PageOrigin::TextLayer)
            .collect();
        enter_stage("furniture");
        let furniture = furniture::detect(&texts);
        enter_stage("sections");
        let sections = SectionMap::build(
            &self.sections,
            &texts,
            &numbers,
            &furniture,
            &exact,
            Some(&self.corrector),
        );
        let policy = SectionPolicy::new(&self.sections, &sections);
        enter_stage("normalize");
        let keys: Vec<KeyText> = texts.iter().map(|t| KeyText::new(t)).collect();
        // The words an OCR'd document writes correctly somewhere: the likelier readings of
        // its misread ones.
        let document_words = if exact.iter().all(|&e| e) {
            DocumentWords::default()
        } else {
            DocumentWords::new(&self.corrector, keys.iter().map(|k| k.key.as_str()))
        };
        let mut mentions = Vec::new();
        let mut patient_pages = Vec::new();
        let mut end_columns = rows::EndColumns::default();
        for (index, (page, key)) in doc.pages.iter().zip(&keys).enumerate() {
            let ocr = page.origin != PageOrigin::TextLayer;
            enter_stage("patient");
            patient_pages.push(patient::read_page(&page.text, page.number, !ocr));
            // OCR'd text: match on a key whose misread words are corrected, where findings
            // are read.
            enter_stage("ocr-correction");
            let (match_key, changes) = if ocr {
                self.corrector
                    .correct_where(key, &document_words, |o| policy.reads(index, o))
            } else {
                (key.clone(), Vec::new())
            };
            let view = PageView {
                index,
                page,
                text: &page.text,
                key,
                match_key,
                changes,
                ocr,
                furniture: &furniture[index],
            };
            mentions.extend(self.read_page(&view, &policy, &mut end_columns));
        }
        enter_stage("consolidate");
        let mut findings = consolidate(mentions);
        flag_conflicts(&mut findings);
        enter_stage("patient");
        Extraction {
            document: doc.source.clone(),
            page_count: doc.pages.len(),
            page_origins: doc.pages.iter().map(|p| p.origin).collect(),
            patient: patient::summarize(&patient_pages),
            findings,
            sections_seen: sections.sections.len(),
        }
    }

    /// The mentions of one page, in page order, their rows read.
    fn read_page(
        &self,
        page: &PageView<'_>,
        policy: &SectionPolicy<'_>,
        end_columns: &mut rows::EndColumns,
    ) -> Vec<Mention> {
        // Context triggers are read on the corrected key too ("intormation not available").
        enter_stage("context");
        let triggers = self.context.scan(page.text, &page.match_key);
        enter_stage("terms");
        let terms = if page.ocr {
            let reads = |o: usize| policy.reads(page.index, o);
            find_terms_approximately(&self.dictionary, page.text, &page.match_key, &reads)
        } else {
            find_terms(&self.dictionary, page.text, &page.match_key)
        };
        enter_stage("mentions");
        let (mut mentions, reactions) = terms::mentions(
            page,
            policy,
            &self.context,
            &self.dictionary,
            &triggers,
            terms,
        );
        mentions.extend(terms::no_known_allergies(page, policy));
        mentions.sort_by_key(|m| (m.start, m.end));
        enter_stage("combinations");
        combinations::merge(page.text, &mut mentions, page.ocr, &|m: &Mention| m.listed);
        if page.ocr {
            enter_stage("wrapped-cells");
            wrapped::join(&self.dictionary, policy, page.text, &mut mentions);
        }
        enter_stage("rows");
        rows::read(page, policy, &reactions, &mut mentions, end_columns);
        mentions
    }
}

#[cfg(test)]
pub(crate) mod tests;
