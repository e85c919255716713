//! The spot-check report in a real browser (Debian's `chromium`, headless): every finding of
//! the bundle `extract` writes has a highlighted span on its page whose text is the evidence
//! `text`, and on scanned pages a box over its words on the page image.
//!
//! The driver is Chromium's own `--dump-dom` (the DOM after the page's scripts ran) and
//! `--screenshot`: no WebDriver, no npm, nothing but the browser. The check itself runs in
//! the browser: a copy of the report gets a script that looks up each evidence in the DOM and
//! writes its verdict into the page, which `--dump-dom` then prints.
//!
//! Needs chromium (CI installs it: `.ci/run`); without it the tests fail and say what to
//! install — they never pass without having looked.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The browser: `$CHROMIUM`, else chromium (Debian) or google-chrome on the PATH.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Some(p) = std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
        {
            return p;
        }
    }
    panic!(
        "the report tests need a headless Chromium: apt-get install chromium (or set CHROMIUM \
         to the browser's path)"
    );
}

/// Runs headless Chromium on `page` with `args` (the flags these machines need: no sandbox
/// as root, no GPU, no background connections, a fresh profile).
fn browser(dir: &Path, page: &Path, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir_in(dir).expect("profile dir");
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every evidence of every resource of a bundle: (page, start, end, text).
fn evidence(bundle: &Value) -> Vec<(u64, u64, u64, String)> {
    let mut out = Vec::new();
    for entry in bundle["entry"].as_array().expect("entries") {
        for ext in entry["resource"]["extension"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if !ext["url"].as_str().unwrap_or("").ends_with("/evidence") {
                continue;
            }
            let part = |name: &str| {
                ext["extension"]
                    .as_array()
                    .expect("parts")
                    .iter()
                    .find(|p| p["url"] == name)
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            out.push((
                part("page")["valueInteger"].as_u64().expect("page"),
                part("start")["valueInteger"].as_u64().expect("start"),
                part("end")["valueInteger"].as_u64().expect("end"),
                part("text")["valueString"]
                    .as_str()
                    .expect("text")
                    .to_string(),
            ));
        }
    }
    out
}

/// The check that runs in the browser. For each expected evidence it looks for a mark on the
/// evidence's page with its character span, whose text (all its parts together) is the
/// evidence text, that is laid out (not hidden) and painted with a background; on scanned
/// pages, also for boxes over the words on the page image. Verdicts name pages and offsets
/// only, never document words.
const CHECK: &str = r#"
(function () {
  var expected = JSON.parse(document.getElementById('expected').textContent);
  var problems = [], marks = 0, boxes = 0;
  expected.forEach(function (e) {
    var where = 'page ' + e[0] + ' chars ' + e[1] + '..' + e[2];
    var page = document.getElementById('page-' + e[0]);
    if (!page) { problems.push(where + ': no such page section'); return; }
    var found = page.querySelectorAll('mark.ev[id][data-start="' + e[1] + '"][data-end="' + e[2] + '"]');
    var ok = null;
    found.forEach(function (m) {
      var id = m.getAttribute('data-mention');
      var text = '';
      page.querySelectorAll('mark.ev[data-mention="' + id + '"]').forEach(function (p) { text += p.textContent; });
      var r = m.getBoundingClientRect();
      var bg = getComputedStyle(m).backgroundColor;
      if (text === e[3] && r.width > 0 && r.height > 0 && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { ok = id; }
    });
    if (!ok) { problems.push(where + ': no highlighted mark with the evidence text (' + found.length + ' at that span)'); return; }
    marks++;
    if (page.querySelector('figure.scan')) {
      var img = page.querySelector('figure.scan img');
      if (!img.complete || !img.naturalWidth) { problems.push(where + ': the page image did not load'); }
      var bs = page.querySelectorAll('.scan-box .box[data-mention="' + ok + '"]');
      var shown = Array.prototype.filter.call(bs, function (b) { var r = b.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
      if (!shown.length) { problems.push(where + ': no word box on the page image'); } else { boxes++; }
    }
  });
  var out = document.createElement('pre');
  out.id = 'check-result';
  out.textContent = JSON.stringify({ expected: expected.length, marks: marks, boxes: boxes, problems: problems });
  document.body.appendChild(out);
})();
"#;

struct Checked {
    expected: usize,
    marks: usize,
    boxes: usize,
}

/// Writes the report of `input`, checks it in the browser against the bundle of `input`, and
/// takes a screenshot.
fn check_report(input: &Path) -> Checked {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = bin().arg("extract").arg(input).output().expect("extract");
    assert!(
        bundle.status.success(),
        "extract failed: {}",
        String::from_utf8_lossy(&bundle.stderr)
    );
    let bundle: Value = serde_json::from_slice(&bundle.stdout).expect("bundle JSON");
    let expected = evidence(&bundle);
    assert!(!expected.is_empty(), "the fixture has findings");

    let report = dir.path().join("report.html");
    let r = bin()
        .arg("report")
        .arg(input)
        .arg("-o")
        .arg(&report)
        .output()
        .expect("report");
    assert!(
        r.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(r.stderr.is_empty(), "the report command logs nothing");
    let html = std::fs::read_to_string(&report).expect("report written");
    for banned in ["http://", "https://", "<link", "@import", "url("] {
        // Only data: URIs and in-page links; the FHIR system URIs are not in the page.
        assert!(
            !html.contains(banned),
            "the report must be self-contained (found {banned:?})"
        );
    }

    // The check page: the report plus the expectations and the check script.
    let json = serde_json::to_string(&expected)
        .expect("json")
        .replace('<', "\\u003c");
    let checked = html.replacen(
        "</body>",
        &format!(
            "<script type=\"application/json\" id=\"expected\">{json}</script>\n<script>{CHECK}</script>\n</body>"
        ),
        1,
    );
    let check_page = dir.path().join("check.html");
    std::fs::write(&check_page, checked).expect("write check page");
    let dom = browser(
        dir.path(),
        &check_page,
        &["--dump-dom", "--window-size=1200,1600"],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let result = dom
        .split_once("<pre id=\"check-result\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(r, _)| r.replace("&quot;", "\"").replace("&amp;", "&"))
        .expect("the check ran in the browser and wrote its result");
    let result: Value = serde_json::from_str(&result).expect("result JSON");
    let problems = result["problems"].as_array().expect("problems");
    assert!(
        problems.is_empty(),
        "{} of {} evidence spans not highlighted as the bundle says: {problems:#?}",
        problems.len(),
        expected.len()
    );

    let shot = dir.path().join("report.png");
    browser(
        dir.path(),
        &report,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1600",
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    Checked {
        expected: expected.len(),
        marks: result["marks"].as_u64().unwrap_or(0) as usize,
        boxes: result["boxes"].as_u64().unwrap_or(0) as usize,
    }
}

#[test]
#[ignore = "needs a headless Chromium (Debian chromium): `cargo test --test report_browser -- --ignored`; CI installs it and runs these"]
fn report_of_a_pdf_with_a_text_layer_marks_every_evidence() {
    let c = check_report(&fixture("onc-referral.pdf"));
    assert_eq!(c.marks, c.expected);
    assert_eq!(c.boxes, 0, "no page images for a text layer");
}

#[test]
#[ignore = "needs a headless Chromium (Debian chromium): `cargo test --test report_browser -- --ignored`; CI installs it and runs these"]
fn report_of_a_fax_text_marks_every_evidence() {
    let c = check_report(&fixture("onc-referral.fax.txt"));
    assert_eq!(c.marks, c.expected);
}

/// Whether Tesseract and poppler are installed: the scanned-page test needs them (CI
/// installs them); without them it fails and says so.
fn require_ocr() {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for tool in ["tesseract", "pdftoppm"] {
        assert!(
            std::env::split_paths(&path).any(|d| d.join(tool).is_file()),
            "this test needs {tool}: apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils"
        );
    }
}

#[test]
#[ignore = "needs a headless Chromium (Debian chromium): `cargo test --test report_browser -- --ignored`; CI installs it and runs these"]
fn report_of_an_image_only_fax_marks_every_evidence_on_the_text_and_the_page_image() {
    require_ocr();
    let c = check_report(&fixture("bench/onc-referral-4-pages.fax.pdf"));
    assert_eq!(c.marks, c.expected);
    assert_eq!(c.boxes, c.expected, "every mention boxed on its page image");
}

#[test]
#[ignore = "needs a headless Chromium (Debian chromium): `cargo test --test report_browser -- --ignored`; CI installs it and runs these"]
fn page_images_leave_the_ocr_text_unchanged_and_boxes_point_at_their_words() {
    require_ocr();
    let path = fixture("bad/scanned-page.pdf");
    let options = chart2fhir::ingest::IngestOptions::default();
    let plain = chart2fhir::ingest::read(&path, &options).expect("OCR");
    let with = chart2fhir::ingest::read(
        &path,
        &chart2fhir::ingest::IngestOptions {
            page_images: true,
            ..options
        },
    )
    .expect("OCR with images");
    assert_eq!(plain.pages.len(), with.pages.len());
    for (a, b) in plain.pages.iter().zip(&with.pages) {
        assert!(a.image.is_none());
        assert!(a.text == b.text, "page {}: the same text", a.number);
        let img = b.image.as_ref().expect("an image for an OCR'd page");
        assert!(img.png.starts_with(b"\x89PNG"));
        assert!(img.width > 500 && img.height > 500);
        assert!(
            img.words.len() > 20,
            "the words are mapped ({} of them)",
            img.words.len()
        );
        for w in &img.words {
            assert!(
                b.text[w.start..w.end] == w.text,
                "a word box names its own span"
            );
            assert!(w.left + w.width <= img.width && w.top + w.height <= img.height);
        }
    }
}
