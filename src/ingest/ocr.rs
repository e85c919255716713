//! OCR of image-only pages: the page is rendered by `pdftoppm` (poppler) and read by the
//! `tesseract` command. Both are separate processes with a time limit, so a bad image costs a
//! page, never the run. Tesseract runs single-threaded (`OMP_THREAD_LIMIT=1`): pages run in
//! parallel instead, which is twice as fast on two cores.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
        let image = match super::rules::Gray::from_pgm(&image) {
            Some(mut gray) => {
                gray.remove_rules(dpi);
                gray.to_pgm()
            }
            None => image,
        };
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
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
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
