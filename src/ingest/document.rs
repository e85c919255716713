//! What ingest makes: a [`Document`] of [`Page`]s with facts about its source, and the
//! options that bound the reading.

use std::path::PathBuf;

use base64::Engine;

/// Where the words of a page came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOrigin {
    /// The PDF's own text layer.
    TextLayer,
    /// A text record (fax OCR output or a plain text export).
    TextRecord,
    /// Text recognised from the page image by OCR.
    Ocr,
}

/// One page of text.
#[derive(Debug, Clone)]
pub struct Page {
    /// 1-based page number in the source file.
    pub number: u32,
    /// The page's text as extracted. Lines end with `\n`; table cells that sit side by side
    /// are separated by `\t`. Evidence spans are offsets into this string.
    pub text: String,
    /// How the text was obtained.
    pub origin: PageOrigin,
    /// Byte offsets where table rows start, when the layout tells them (PDF text layers):
    /// a row may span several lines when its cells wrap. Empty: every line is a row.
    pub rows: Vec<usize>,
    /// The page image and where OCR read each word, for the report (only for OCR'd pages,
    /// and only when [`IngestOptions::page_images`] asks for it).
    pub image: Option<Box<PageImage>>,
}

/// An OCR'd page as the scanner saw it: the image (a small grey or bilevel PNG at the scan's
/// resolution) and the box of every word Tesseract read, mapped to the page text.
#[derive(Clone)]
pub struct PageImage {
    /// PNG bytes.
    pub png: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Every word read, in reading order.
    pub words: Vec<WordBox>,
}

impl std::fmt::Debug for PageImage {
    // The image and the words are document content: only their sizes are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PageImage {{ {}x{}, {} PNG bytes, {} words }}",
            self.width,
            self.height,
            self.png.len(),
            self.words.len()
        )
    }
}

/// One word OCR read: its box in image pixels and its byte span in the page text.
#[derive(Clone, PartialEq, Eq)]
pub struct WordBox {
    /// The word as read.
    pub text: String,
    /// Byte span in the page text: start.
    pub start: usize,
    /// Byte span in the page text: end.
    pub end: usize,
    /// Left edge, pixels.
    pub left: u32,
    /// Top edge, pixels.
    pub top: u32,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

impl std::fmt::Debug for WordBox {
    // The word is document content: only its place is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WordBox {{ {}..{} at {},{} {}x{} }}",
            self.start, self.end, self.left, self.top, self.width, self.height
        )
    }
}

impl Page {
    /// The span of the row (or line) around byte `offset`.
    pub fn row_at(&self, offset: usize) -> (usize, usize) {
        let line_start = self.text[..offset.min(self.text.len())]
            .rfind('\n')
            .map_or(0, |p| p + 1);
        let line_end = self.text[offset.min(self.text.len())..]
            .find('\n')
            .map_or(self.text.len(), |p| offset + p);
        if self.rows.is_empty() {
            return (line_start, line_end);
        }
        let i = self.rows.partition_point(|&s| s <= offset);
        let start = i.checked_sub(1).map_or(0, |j| self.rows[j]);
        let end = self.rows.get(i).map_or(self.text.len(), |&e| e);
        let end = self.text[..end]
            .trim_end_matches(['\n', '\t', ' '])
            .len()
            .max(line_end.min(end));
        (start.min(line_start), end)
    }
}

/// Facts about the input file itself, for the DocumentReference and the batch manifest.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// The path as given.
    pub path: PathBuf,
    /// The file name (no folders), used as the attachment title.
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-1 of the bytes (FHIR `Attachment.hash` is a base64 SHA-1).
    pub sha1: [u8; 20],
    /// SHA-256 of the bytes (batch manifests, resume).
    pub sha256: [u8; 32],
    /// MIME type: `application/pdf` or `text/plain`.
    pub content_type: &'static str,
    /// Last modification time, seconds since the Unix epoch, when the file system tells it.
    pub modified: Option<i64>,
}

impl SourceInfo {
    /// Base64 of the SHA-1, as FHIR `Attachment.hash` wants it.
    pub fn sha1_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.sha1)
    }

    /// Lowercase hex of the SHA-256.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
}

/// A source file read into pages.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it was read from.
    pub source: SourceInfo,
    /// Its pages, in order.
    pub pages: Vec<Page>,
}

/// Limits and switches for reading inputs.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Refuse files with more pages than this.
    pub max_pages: usize,
    /// Refuse any PDF stream that inflates beyond this many bytes.
    pub max_stream_bytes: usize,
    /// Refuse input files larger than this many bytes.
    pub max_file_bytes: u64,
    /// Whether pages without a text layer are read by OCR.
    pub ocr: OcrMode,
    /// Pages read by OCR at the same time (one Tesseract process each).
    pub ocr_threads: usize,
    /// Keep each OCR'd page's image and word boxes ([`Page::image`]), for the report.
    pub page_images: bool,
}

/// When to run OCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum OcrMode {
    /// Pages without a text layer are OCR'd when Tesseract is installed; without it they are
    /// a clear error naming what to install.
    #[default]
    Auto,
    /// Never: pages without a text layer are an error.
    Never,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_pages: 2_000,
            max_stream_bytes: 64 * 1024 * 1024,
            max_file_bytes: 512 * 1024 * 1024,
            ocr: OcrMode::Auto,
            ocr_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            page_images: false,
        }
    }
}

/// Pages read so far by slow stages (OCR), for watchdogs: a worker that makes progress is
/// alive however long its input takes.
pub static PROGRESS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
