//! PDFs: lopdf reads the structure (with its bounds on decompression), decrypts files that
//! open with an empty password, and runs each page's content stream ([`content`]) to place its
//! glyphs, which [`layout`] writes out as the page's text.

pub mod content;
mod fonts;
pub mod layout;
mod lexer;

use std::path::Path;

use lopdf::{Document as PdfDocument, LoadOptions};

use super::document::{IngestOptions, OcrMode, PROGRESS, Page, PageOrigin};
use crate::error::{Error, Result};

/// Why a page gave no text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blank {
    /// Nothing is painted that holds words: a blank page.
    Empty,
    /// The page paints an image (scanned / faxed) or text whose font has no Unicode map: the
    /// words are there, but only OCR can read them.
    NeedsOcr,
}

/// A page as read from the PDF, before OCR decides about pages without text.
#[derive(Debug)]
pub struct RawPage {
    /// 1-based page number.
    pub number: u32,
    /// The page text, laid out from the glyph positions.
    pub text: String,
    /// Where table rows start (see [`layout::assemble_rows`]).
    pub rows: Vec<usize>,
    /// Why the page has no text, when it has none.
    pub blank: Option<Blank>,
    /// Resolution of the page's images, for OCR.
    pub image_dpi: Option<f32>,
}

/// Opens a PDF from bytes. Encrypted files that open with an empty user password are
/// decrypted; others are a clear [`Error::Encrypted`].
pub fn open(path: &Path, bytes: &[u8], options: &IngestOptions) -> Result<PdfDocument> {
    let load = LoadOptions {
        max_decompressed_size: Some(options.max_stream_bytes),
        ..Default::default()
    };
    let bad = |detail: String| Error::BadPdf {
        path: path.to_path_buf(),
        detail,
    };
    let doc = match PdfDocument::load_mem_with_options(bytes, load) {
        Ok(doc) => doc,
        Err(e) => return Err(classify(path, e, options)),
    };
    if doc.is_encrypted() {
        // lopdf tries the empty password on load; still encrypted means it needs a real one.
        return Err(Error::Encrypted {
            path: path.to_path_buf(),
        });
    }
    if doc.get_pages().is_empty() {
        if doc.was_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
            return Err(Error::Encrypted {
                path: path.to_path_buf(),
            });
        }
        return Err(bad("no pages found".into()));
    }
    Ok(doc)
}

fn classify(path: &Path, e: lopdf::Error, options: &IngestOptions) -> Error {
    use lopdf::Error as E;
    match e {
        E::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => Error::Limit {
            path: path.to_path_buf(),
            detail: format!(
                "a compressed stream inflates beyond the limit of {} bytes (a decompression bomb?)",
                options.max_stream_bytes
            ),
        },
        E::Decryption(_) | E::InvalidPassword | E::AlreadyEncrypted => Error::Encrypted {
            path: path.to_path_buf(),
        },
        other => Error::BadPdf {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

/// Reads every page's text layer.
pub fn read_raw_pages(
    path: &Path,
    doc: &PdfDocument,
    options: &IngestOptions,
) -> Result<Vec<RawPage>> {
    let pages = doc.get_pages();
    if pages.len() > options.max_pages {
        return Err(Error::Limit {
            path: path.to_path_buf(),
            detail: format!(
                "{} pages, over the limit of {} pages",
                pages.len(),
                options.max_pages
            ),
        });
    }
    let limits = content::Limits {
        max_stream_bytes: options.max_stream_bytes,
        max_glyphs: 400_000,
        max_form_depth: 12,
        max_ops: 2_000_000,
    };
    let mut cache = content::FontCache::default();
    let mut out = Vec::with_capacity(pages.len());
    for (number, id) in pages {
        let content = content::Interpreter::new(doc, limits, &mut cache)
            .run_page(id)
            .map_err(|detail| {
                if detail.contains("limit") || detail.contains("more than") {
                    Error::Limit {
                        path: path.to_path_buf(),
                        detail: format!("page {number}: {detail}"),
                    }
                } else {
                    Error::BadPdf {
                        path: path.to_path_buf(),
                        detail: format!("page {number}: {detail}"),
                    }
                }
            })?;
        let readable = content
            .glyphs
            .iter()
            .filter(|g| g.text.chars().any(char::is_alphanumeric))
            .count();
        let blank = if readable == 0 && content.unmapped == 0 {
            Some(if content.has_image {
                Blank::NeedsOcr
            } else {
                Blank::Empty
            })
        } else if content.unmapped > readable {
            // Mostly glyphs without a Unicode value: the text layer cannot be read.
            Some(Blank::NeedsOcr)
        } else {
            None
        };
        let (text, rows) = if blank.is_some() {
            (String::new(), Vec::new())
        } else {
            layout::assemble_rows(&content.glyphs)
        };
        out.push(RawPage {
            number,
            text,
            rows,
            blank,
            image_dpi: content.image_dpi,
        });
    }
    Ok(out)
}

/// Reads a PDF into pages of text: the text layer where there is one, OCR for pages without
/// (when allowed and installed), and a clear [`Error::NeedsOcr`] otherwise.
pub fn read_pages(path: &Path, bytes: &[u8], options: &IngestOptions) -> Result<Vec<Page>> {
    let doc = open(path, bytes, options)?;
    let raw = read_raw_pages(path, &doc, options)?;
    drop(doc);
    let need: Vec<u32> = raw
        .iter()
        .filter(|p| p.blank == Some(Blank::NeedsOcr))
        .map(|p| p.number)
        .collect();
    let dpi: std::collections::HashMap<u32, Option<f32>> =
        raw.iter().map(|p| (p.number, p.image_dpi)).collect();
    let mut ocr_text: std::collections::HashMap<u32, Ocred> = Default::default();
    if !need.is_empty() {
        let needs_ocr = |hint: String| Error::NeedsOcr {
            path: path.to_path_buf(),
            count: need.len(),
            total: raw.len(),
            pages: page_list(&need),
            hint,
        };
        let engine = match options.ocr {
            OcrMode::Never => return Err(needs_ocr("OCR is turned off (--ocr never)".into())),
            OcrMode::Auto => super::ocr::OcrEngine::detect().map_err(needs_ocr)?,
        };
        // pdftoppm reads a file: use the input itself, or a private copy of the bytes.
        let temp;
        let file: &Path = if path.is_file()
            && std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        {
            path
        } else {
            temp = tempfile_with(bytes).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
            temp.path()
        };
        ocr_text = ocr_pages(
            &engine,
            file,
            &need,
            &dpi,
            options.ocr_threads.max(1),
            options.page_images,
        )
        .map_err(|(page, detail)| Error::Ocr {
            path: path.to_path_buf(),
            page,
            detail,
        })?;
    }
    let pages: Vec<Page> = raw
        .into_iter()
        .map(|p| match ocr_text.remove(&p.number) {
            Some((text, image)) => Page {
                number: p.number,
                text: text.replace("\r\n", "\n"),
                origin: PageOrigin::Ocr,
                rows: Vec::new(),
                image: image.map(Box::new),
            },
            None => Page {
                number: p.number,
                text: p.text,
                origin: PageOrigin::TextLayer,
                rows: p.rows,
                image: None,
            },
        })
        .collect();
    if pages
        .iter()
        .all(|p| !p.text.chars().any(char::is_alphanumeric))
    {
        return Err(Error::BadPdf {
            path: path.to_path_buf(),
            detail: if need.is_empty() {
                "no page holds any text or image".into()
            } else {
                "OCR found no words on any page".into()
            },
        });
    }
    Ok(pages)
}

/// A page's OCR text, and its image with word boxes when asked for.
type Ocred = (String, Option<super::PageImage>);

/// OCR of `pages`, `threads` at a time; with `images`, each page's image and word boxes too.
/// Err: (page, why).
fn ocr_pages(
    engine: &super::ocr::OcrEngine,
    file: &Path,
    pages: &[u32],
    dpi: &std::collections::HashMap<u32, Option<f32>>,
    threads: usize,
    images: bool,
) -> std::result::Result<std::collections::HashMap<u32, Ocred>, (u32, String)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(pages.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&page) = pages.get(i) else {
                        break;
                    };
                    let image_dpi = dpi.get(&page).copied().flatten();
                    let r = if images {
                        engine
                            .page_with_image(file, page, image_dpi)
                            .map(|(t, i)| (t, Some(i)))
                    } else {
                        engine.page(file, page, image_dpi).map(|t| (t, None))
                    };
                    PROGRESS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let failed = r.is_err();
                    results.lock().expect("lock").push((page, r));
                    if failed {
                        // Stop the other threads early: the file fails anyway.
                        next.store(pages.len(), std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    let mut out = std::collections::HashMap::new();
    let mut results = results.into_inner().expect("lock");
    results.sort_by_key(|(p, _)| *p);
    for (page, r) in results {
        out.insert(page, r.map_err(|e| (page, e))?);
    }
    Ok(out)
}

/// A temporary file holding `bytes` (removed when dropped).
fn tempfile_with(bytes: &[u8]) -> std::io::Result<TempFile> {
    use std::io::Write;
    let path = std::env::temp_dir().join(format!(
        "chart2fhir-{}-{}.pdf",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let mut f = std::fs::File::create(&path)?;
    f.write_all(bytes)?;
    Ok(TempFile(path))
}

struct TempFile(std::path::PathBuf);

impl TempFile {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// "1-3, 7" for pages 1, 2, 3, 7.
pub fn page_list(pages: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < pages.len() {
        let start = pages[i];
        let mut end = start;
        while i + 1 < pages.len() && pages[i + 1] == end + 1 {
            i += 1;
            end = pages[i];
        }
        parts.push(if start == end {
            format!("{start}")
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    if parts.len() > 12 {
        let n = parts.len();
        parts.truncate(12);
        parts.push(format!("… {} more ranges", n - 12));
    }
    format!("page {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_ranges_are_compact() {
        assert_eq!(page_list(&[1, 2, 3, 7, 9, 10]), "page 1-3, 7, 9-10");
        assert_eq!(page_list(&[4]), "page 4");
    }
}
