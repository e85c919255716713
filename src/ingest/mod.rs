//! Ingest: a path in, a [`Document`] of numbered pages of text out.
//!
//! PDFs are read page by page from their text layer ([`pdf`]); fax / OCR text records are
//! split into pages on form feeds ([`text`]). Every later stage works on these pages, so every
//! finding can say on which page it stands.

mod document;
pub mod ocr;
pub mod pdf;
mod png;
pub mod rules;
pub mod text;

pub(crate) use document::hex;
pub use document::{
    Document, IngestOptions, OcrMode, PROGRESS, Page, PageImage, PageOrigin, SourceInfo, WordBox,
};

use std::path::Path;

use sha1::Digest;

use crate::error::{Error, Result};

/// What kind of input a file is, decided from its bytes (not its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A PDF.
    Pdf,
    /// A fax / OCR text record.
    Text,
}

/// Reads a file into a [`Document`].
pub fn read(path: &Path, options: &IngestOptions) -> Result<Document> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(Error::UnknownType {
            path: path.to_path_buf(),
            detail: "it is a folder".into(),
        });
    }
    if meta.len() > options.max_file_bytes {
        return Err(Error::Limit {
            path: path.to_path_buf(),
            detail: format!(
                "the file is {} bytes, over the limit of {} bytes",
                meta.len(),
                options.max_file_bytes
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io_err)?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64);
    read_bytes(path, &bytes, modified, options)
}

/// Reads in-memory bytes that came from `path` into a [`Document`].
pub fn read_bytes(
    path: &Path,
    bytes: &[u8],
    modified: Option<i64>,
    options: &IngestOptions,
) -> Result<Document> {
    if bytes.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    let kind = detect(path, bytes)?;
    let source = SourceInfo {
        path: path.to_path_buf(),
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
        size: bytes.len() as u64,
        sha1: sha1::Sha1::digest(bytes).into(),
        sha256: sha2::Sha256::digest(bytes).into(),
        content_type: match kind {
            InputKind::Pdf => "application/pdf",
            InputKind::Text => "text/plain",
        },
        modified,
    };
    let pages = match kind {
        InputKind::Pdf => pdf::read_pages(path, bytes, options)?,
        InputKind::Text => text::split_pages(path, bytes, options)?,
    };
    Ok(Document { source, pages })
}

/// Decides PDF or text from the bytes: `%PDF-` in the first KiB, or valid UTF-8 text.
pub fn detect(path: &Path, bytes: &[u8]) -> Result<InputKind> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Ok(InputKind::Pdf);
    }
    let unknown = |detail: &str| Error::UnknownType {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| unknown("the bytes are not UTF-8 text"))?;
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
        .count();
    if controls * 100 > text.chars().count().max(1) {
        return Err(unknown("the bytes look binary, not text"));
    }
    if !text.chars().any(|c| c.is_alphabetic()) {
        return Err(unknown("the file holds no words"));
    }
    Ok(InputKind::Text)
}
