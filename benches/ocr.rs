//! OCR throughput: a 4-page image-only fax through `chart2fhir extract`, pages read one at a
//! time and two at a time (Tesseract single-threaded per page). Skipped without Tesseract.
//!
//! Run: `cargo bench --bench ocr`.

use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const FAX: &str = "fixtures/bench/onc-referral-4-pages.fax.pdf";

fn ocr(c: &mut Criterion) {
    if Command::new("tesseract").arg("--version").output().is_err() {
        eprintln!("tesseract not installed: skipping the OCR bench");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_chart2fhir");
    let mut g = c.benchmark_group("ocr-fax-4-pages");
    g.sample_size(10);
    g.throughput(Throughput::Elements(4));
    for jobs in ["1", "2"] {
        g.bench_function(format!("pages-at-once-{jobs}"), |b| {
            b.iter(|| {
                let out = Command::new(exe)
                    .args(["extract", FAX, "-o", "/dev/null", "--ocr-jobs", jobs])
                    .output()
                    .unwrap();
                assert!(out.status.success());
            })
        });
    }
    g.finish();
}

criterion_group!(benches, ocr);
criterion_main!(benches);
