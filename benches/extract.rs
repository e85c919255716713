//! Extraction throughput on a 51-page PDF packet and on its fax OCR text, and the whole
//! `chart2fhir extract` process beside `pdftotext` (poppler) on the same file in the same run.
//!
//! Run: `cargo bench --bench extract` (pdftotext from Debian's poppler-utils, when installed).

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use chart2fhir::fhir::{BundleOptions, bundle};
use chart2fhir::{Extractor, ingest};

const PDF: &str = "fixtures/bench/packet-51-pages.pdf";
const FAX_TEXT: &str = "fixtures/bench/packet-51-pages.fax.txt";

fn library(c: &mut Criterion) {
    let extractor = Extractor::default();
    let options = BundleOptions {
        recorded: "2024-01-01T00:00:00Z".into(),
        ..Default::default()
    };
    let mut g = c.benchmark_group("library");
    g.sample_size(20);
    for (name, path) in [("pdf-51-pages", PDF), ("fax-text-51-pages", FAX_TEXT)] {
        let bytes = std::fs::read(path).expect("bench fixture");
        let pages = ingest::read_bytes(Path::new(path), &bytes, None, &Default::default())
            .expect("readable")
            .pages
            .len();
        if name.starts_with("pdf") {
            g.throughput(Throughput::Elements(pages as u64));
        } else {
            g.throughput(Throughput::Bytes(bytes.len() as u64));
        }
        g.bench_function(name, |b| {
            b.iter(|| {
                let doc =
                    ingest::read_bytes(Path::new(path), &bytes, None, &Default::default()).unwrap();
                let x = extractor.extract(&doc);
                serde_json::to_vec(&bundle(&x, &options)).unwrap()
            })
        });
    }
    g.finish();
}

fn process(c: &mut Criterion) {
    let exe = env!("CARGO_BIN_EXE_chart2fhir");
    let mut g = c.benchmark_group("process-pdf-51-pages");
    g.sample_size(20);
    g.throughput(Throughput::Elements(51));
    g.bench_function("chart2fhir-extract", |b| {
        b.iter(|| {
            let out = Command::new(exe)
                .args(["extract", PDF, "-o", "/dev/null"])
                .output()
                .unwrap();
            assert!(out.status.success());
        })
    });
    if Command::new("pdftotext").arg("-v").output().is_ok() {
        g.bench_function("pdftotext", |b| {
            b.iter(|| {
                let out = Command::new("pdftotext")
                    .args([PDF, "/dev/null"])
                    .output()
                    .unwrap();
                assert!(out.status.success());
            })
        });
    } else {
        eprintln!(
            "pdftotext not installed: skipping the comparison (apt-get install poppler-utils)"
        );
    }
    g.finish();
}

/// Dictionary start-up (the automaton is embedded: nothing to build) and matching throughput
/// over the fax OCR text, pages already normalised.
fn dictionary(c: &mut Criterion) {
    use chart2fhir::dictionary::{Dictionary, matcher::find_terms};
    use chart2fhir::normalize::KeyText;
    let mut g = c.benchmark_group("dictionary");
    g.bench_function("load-builtin", |b| b.iter(Dictionary::builtin));
    g.bench_function("load-extractor", |b| b.iter(Extractor::default));
    let bytes = std::fs::read(FAX_TEXT).unwrap();
    let doc = ingest::read_bytes(Path::new(FAX_TEXT), &bytes, None, &Default::default()).unwrap();
    let keys: Vec<KeyText> = doc.pages.iter().map(|p| KeyText::new(&p.text)).collect();
    let dict = Dictionary::builtin();
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("match-fax-text", |b| {
        b.iter(|| {
            doc.pages
                .iter()
                .zip(&keys)
                .map(|(p, k)| find_terms(&dict, &p.text, k).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, library, process, dictionary);
criterion_main!(benches);
