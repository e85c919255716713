//! A page as the stages see it: its text and keys, whether it was OCR'd, its furniture.

use crate::ingest::Page;
use crate::normalize::KeyText;
use crate::normalize::ocr::Change;

/// One page as the stages see it.
pub(crate) struct PageView<'a> {
    /// Index of the page in the document.
    pub index: usize,
    /// The page.
    pub page: &'a Page,
    /// Its text.
    pub text: &'a str,
    /// Its key (see [`KeyText`]).
    pub key: &'a KeyText,
    /// The key terms are matched on: on OCR'd pages, with misread words corrected.
    pub match_key: KeyText,
    /// Where `match_key` differs from `key`.
    pub changes: Vec<Change>,
    /// Read by OCR (not from a text layer).
    pub ocr: bool,
    /// Spans of page furniture (fax banners, counters, running headers).
    pub furniture: &'a [(usize, usize)],
}

impl PageView<'_> {
    /// True when `start..end` lies in page furniture.
    pub fn in_furniture(&self, start: usize, end: usize) -> bool {
        self.furniture
            .iter()
            .any(|&(fs, fe)| fs <= start && end <= fe)
    }
}
