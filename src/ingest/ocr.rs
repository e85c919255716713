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
        let started = Instant::now();
        let dpi = image_dpi.map_or(self.dpi, |d| (d.round() as u32).clamp(150, 400));
        let mut render = Command::new(&self.pdftoppm)
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
        let image = render.stdout.take().expect("piped");
        let mut ocr = Command::new(&self.tesseract)
            .args([
                "stdin",
                "stdout",
                "--psm",
                &self.psm.to_string(),
                "-l",
                "eng",
            ])
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::from(image))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start tesseract: {e}"))?;
        let mut out = ocr.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            s
        });
        let deadline = started + self.timeout;
        let status = loop {
            match ocr.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = ocr.kill();
                    let _ = render.kill();
                    let _ = ocr.wait();
                    let _ = render.wait();
                    break Err(format!("took longer than {} s", self.timeout.as_secs()));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => break Err(e.to_string()),
            }
        };
        let render_status = render.wait();
        let status = status?;
        let text = reader.join().unwrap_or_default();
        if !render_status.is_ok_and(|s| s.success()) {
            return Err("pdftoppm could not render the page".into());
        }
        if !status.success() {
            return Err(format!("tesseract failed ({status})"));
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}
