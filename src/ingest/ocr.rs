//! OCR of image-only pages: the page is rendered by `pdftoppm` (poppler) and read by the
//! `tesseract` command. Both are separate processes with a time limit, so a bad image costs a
//! page, never the run. Tesseract runs single-threaded (`OMP_THREAD_LIMIT=1`): pages run in
//! parallel instead, which is twice as fast on two cores.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{PageImage, WordBox};

/// The external OCR tools.
#[derive(Debug, Clone)]
pub struct OcrEngine {
    pdftoppm: PathBuf,
    tesseract: PathBuf,
    /// Rendering resolution (dots per inch) when the page's own is unknown.
    pub dpi: u32,
    /// Tesseract page segmentation mode.
    pub psm: u32,
    /// Time limit per page.
    pub timeout: Duration,
}

/// What to install when OCR is needed and missing.
pub const INSTALL_HINT: &str = "install Tesseract and poppler (Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils)";

fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

impl OcrEngine {
    /// Finds `pdftoppm` and `tesseract` on the PATH.
    pub fn detect() -> Result<OcrEngine, String> {
        let missing: Vec<&str> = ["pdftoppm", "tesseract"]
            .into_iter()
            .filter(|p| find(p).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "{} not found; {INSTALL_HINT}",
                missing.join(" and ")
            ));
        }
        Ok(OcrEngine {
            pdftoppm: find("pdftoppm").expect("checked"),
            tesseract: find("tesseract").expect("checked"),
            dpi: 300,
            psm: 4,
            timeout: Duration::from_secs(120),
        })
    }

    /// Reads one page (1-based) of a PDF file. `image_dpi`, the resolution of the page's
    /// scan, is what the page is rendered at, without anti-aliasing: resampling a bilevel fax
    /// adds speckle that Tesseract reads as marks. (A 204×98 dpi fax renders at 204 dpi,
    /// which also stretches it 2× vertically.)
    pub fn page(&self, pdf: &Path, page: u32, image_dpi: Option<f32>) -> Result<String, String> {
        self.read(pdf, page, image_dpi, false).map(|(text, _)| text)
    }

    /// Reads one page as [`OcrEngine::page`] does (the same text, byte for byte), and also
    /// gives the page image as the scanner saw it (a PNG) with the box of every word read:
    /// the same Tesseract run writes its TSV output beside the text.
    pub fn page_with_image(
        &self,
        pdf: &Path,
        page: u32,
        image_dpi: Option<f32>,
    ) -> Result<(String, PageImage), String> {
        let (text, image) = self.read(pdf, page, image_dpi, true)?;
        Ok((text, image.ok_or("tesseract wrote no word boxes")?))
    }

    fn read(
        &self,
        pdf: &Path,
        page: u32,
        image_dpi: Option<f32>,
        keep_image: bool,
    ) -> Result<(String, Option<PageImage>), String> {
        let deadline = Instant::now() + self.timeout;
        let dpi = image_dpi.map_or(self.dpi, |d| (d.round() as u32).clamp(150, 400));
        let render = Command::new(&self.pdftoppm)
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .args([
                "-r",
                &dpi.to_string(),
                "-gray",
                "-aa",
                "no",
                "-aaVector",
                "no",
                "-singlefile",
            ])
            .arg(pdf)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start pdftoppm: {e}"))?;
        let image = run_until(render, None, deadline)
            .map_err(|e| format!("pdftoppm: {e}"))?
            .ok_or("pdftoppm could not render the page")?;
        // Rule lines out (see ingest::rules); an image that is not the expected PGM goes to
        // Tesseract as it came.
        let mut seen = None;
        let image = match super::rules::Gray::from_pgm(&image) {
            Some(mut gray) => {
                if keep_image {
                    // The page as scanned, before the rules come out (encoded once Tesseract
                    // is done, so that its time limit is Tesseract's alone).
                    seen = Some(gray.clone());
                }
                gray.remove_rules(dpi);
                gray.to_pgm()
            }
            None => image,
        };
        if keep_image {
            let seen = seen.ok_or("pdftoppm did not write a grey image")?;
            let (text, tsv) = self.tesseract_with_boxes(image, deadline)?;
            let (png, width, height) = (super::png::encode(&seen), seen.width, seen.height);
            let words = map_words(&text, &tsv);
            return Ok((
                text,
                Some(PageImage {
                    png,
                    width: width as u32,
                    height: height as u32,
                    words,
                }),
            ));
        }
        let ocr = Command::new(&self.tesseract)
            .args([
                "stdin",
                "stdout",
                "--psm",
                &self.psm.to_string(),
                "-l",
                "eng",
            ])
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start tesseract: {e}"))?;
        let text = run_until(ocr, Some(image), deadline)
            .map_err(|e| format!("tesseract: {e}"))?
            .ok_or("tesseract failed")?;
        Ok((String::from_utf8_lossy(&text).into_owned(), None))
    }

    /// Tesseract on `image`, writing its text and its TSV (word boxes) in one run, into a
    /// private temporary folder. The text is what `stdout` output gives.
    fn tesseract_with_boxes(
        &self,
        image: Vec<u8>,
        deadline: Instant,
    ) -> Result<(String, String), String> {
        let dir = TempDir::new().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
        let base = dir.0.join("page");
        let ocr = Command::new(&self.tesseract)
            .arg("stdin")
            .arg(&base)
            .args(["--psm", &self.psm.to_string(), "-l", "eng", "txt", "tsv"])
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start tesseract: {e}"))?;
        run_until(ocr, Some(image), deadline)
            .map_err(|e| format!("tesseract: {e}"))?
            .ok_or("tesseract failed")?;
        let read = |ext: &str| {
            std::fs::read(base.with_extension(ext))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| format!("tesseract wrote no {ext} output: {e}"))
        };
        Ok((read("txt")?, read("tsv")?))
    }
}

/// A private temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "chart2fhir-ocr-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The words of Tesseract's TSV output (level 5 rows: left, top, width, height, text), each
/// placed on its byte span in `text` (the same run's text output, which writes the same words
/// in the same order). A word not found where expected is left out.
pub fn map_words(text: &str, tsv: &str) -> Vec<WordBox> {
    // Page text offsets are into the text with "\r\n" made "\n", as ingest keeps it.
    let text = text.replace("\r\n", "\n");
    let mut out = Vec::new();
    let mut cursor = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let word = cols[11].trim();
        if word.is_empty() {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<u32>().ok();
        let (Some(left), Some(top), Some(width), Some(height)) = (num(6), num(7), num(8), num(9))
        else {
            continue;
        };
        // Only a short way ahead: a word that is not there is skipped, not searched for
        // across the page.
        let window_end = (cursor + word.len() + 256).min(text.len());
        let window_end = (window_end..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        if let Some(i) = text[cursor..window_end].find(word) {
            let start = cursor + i;
            let end = start + word.len();
            out.push(WordBox {
                text: word.to_string(),
                start,
                end,
                left,
                top,
                width,
                height,
            });
            cursor = end;
        }
    }
    out
}

/// Feeds `input` to a child, collects its standard output, and waits for it until `deadline`
/// (then kills it). `Ok(None)` when it exits unsuccessfully.
fn run_until(
    mut child: std::process::Child,
    input: Option<Vec<u8>>,
    deadline: Instant,
) -> Result<Option<Vec<u8>>, String> {
    let writer = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => Some(std::thread::spawn(move || {
            use std::io::Write;
            // A child that exits early closes the pipe: its status tells what went wrong.
            let _ = stdin.write_all(&bytes);
        })),
        _ => None,
    };
    let mut out = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("took longer than the time allowed for a page".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let output = reader.join().unwrap_or_default();
    Ok(status.success().then_some(output))
}
