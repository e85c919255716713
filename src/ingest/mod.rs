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

/// Reads a file into a [`Document`]. Only regular files (or symlinks to one) are read: a
/// FIFO, device or socket is refused before it is opened for reading, and the size limit is
/// checked on the bytes actually read, not on what the file system says.
pub fn read(path: &Path, options: &IngestOptions) -> Result<Document> {
    use std::io::Read;
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_regular = |what: &str| Error::UnknownType {
        path: path.to_path_buf(),
        detail: format!("it is {what}, not a regular file"),
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(Error::UnknownType {
            path: path.to_path_buf(),
            detail: "it is a folder".into(),
        });
    }
    if !meta.is_file() {
        return Err(not_regular(special_kind(&meta)));
    }
    let mut file = open_no_wait(path).map_err(io_err)?;
    // The path may have been swapped between the two looks: what was opened decides.
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(not_regular(special_kind(&meta)));
    }
    let too_big = |read: u64| Error::Limit {
        path: path.to_path_buf(),
        detail: format!(
            "the file is {read} bytes or more, over the limit of {} bytes",
            options.max_file_bytes
        ),
    };
    if meta.len() > options.max_file_bytes {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(options.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > options.max_file_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64);
    read_bytes(path, &bytes, modified, options)
}

/// Opens for reading without blocking on a FIFO with no writer (the type check follows).
fn open_no_wait(path: &Path) -> std::io::Result<std::fs::File> {
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.custom_flags(libc::O_NONBLOCK);
    }
    open.open(path)
}

/// What a file that is not a regular file or a folder is, for the error.
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

/// Input hygiene, before any stage sees a page: control characters other than tab, line
/// feed, form feed and carriage return (NUL, DEL, C1 …) become spaces, and the Unicode line
/// and paragraph separators (U+2028, U+2029, NEL) and vertical tab become line breaks. Every
/// replacement has the byte length of what it replaces, so an offset into the page text is
/// the same before and after: evidence still points at the page.
pub fn clean_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let needs = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\x0c' | '\r'))
            || matches!(c, '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !needs(c) {
            out.push(c);
            continue;
        }
        let width = c.len_utf8();
        let line_break = matches!(c, '\x0b' | '\u{85}' | '\u{2028}' | '\u{2029}');
        for _ in 0..width - usize::from(line_break) {
            out.push(' ');
        }
        if line_break {
            out.push('\n');
        }
    }
    std::borrow::Cow::Owned(out)
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
    let mut pages = match kind {
        InputKind::Pdf => pdf::read_pages(path, bytes, options)?,
        InputKind::Text => text::split_pages(path, bytes, options)?,
    };
    for page in &mut pages {
        if let std::borrow::Cow::Owned(clean) = clean_controls(&page.text) {
            page.text = clean;
        }
    }
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
