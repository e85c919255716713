//! Fax / OCR text records: pages split on form feed (`\f`); a record without one is one page.

use std::path::Path;

use super::document::{IngestOptions, Page, PageOrigin};
use crate::error::{Error, Result};

/// Splits a UTF-8 text record into pages.
pub fn split_pages(path: &Path, bytes: &[u8], options: &IngestOptions) -> Result<Vec<Page>> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::UnknownType {
        path: path.to_path_buf(),
        detail: "the bytes are not UTF-8 text".into(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parts: Vec<&str> = text.split('\x0c').collect();
    // A record that ends with a form feed has no page after it.
    while parts.len() > 1 && parts.last().is_some_and(|p| p.trim().is_empty()) {
        parts.pop();
    }
    if parts.len() > options.max_pages {
        return Err(Error::Limit {
            path: path.to_path_buf(),
            detail: format!(
                "{} pages, over the limit of {} pages",
                parts.len(),
                options.max_pages
            ),
        });
    }
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| Page {
            number: i as u32 + 1,
            text: p.replace("\r\n", "\n").replace('\r', "\n"),
            origin: PageOrigin::TextRecord,
            rows: Vec::new(),
            image: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(s: &str) -> Vec<String> {
        split_pages(Path::new("t.txt"), s.as_bytes(), &IngestOptions::default())
            .unwrap()
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    #[test]
    fn splits_on_form_feed() {
        assert_eq!(pages("a\x0cb\x0cc"), ["a", "b", "c"]);
    }

    #[test]
    fn no_form_feed_is_one_page() {
        assert_eq!(pages("one\ntwo\n"), ["one\ntwo\n"]);
    }

    #[test]
    fn trailing_form_feed_adds_no_page() {
        assert_eq!(pages("a\x0cb\x0c\n"), ["a", "b"]);
    }

    #[test]
    fn crlf_becomes_lf() {
        assert_eq!(pages("a\r\nb"), ["a\nb"]);
    }

    #[test]
    fn too_many_pages_is_a_limit_error() {
        let opts = IngestOptions {
            max_pages: 2,
            ..Default::default()
        };
        let err = split_pages(Path::new("t.txt"), b"a\x0cb\x0cc", &opts).unwrap_err();
        assert_eq!(err.kind(), "limit");
    }
}
