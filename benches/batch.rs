//! Batch throughput: the whole pipeline over a folder of PDF packets with 1 and 2 worker
//! processes, beside `pdftotext` (poppler's text dump alone) on the same files, one process
//! per file, 1 and 2 at a time — in the same run.
//!
//! Run: `cargo bench --bench batch`. The dev corpus is used when `../shared/corpus/dev/docs`
//! exists (the 226 text-layer packets), else copies of the fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn inputs() -> (PathBuf, Vec<PathBuf>, u64) {
    let dev = Path::new("../shared/corpus/dev/docs");
    let dir = std::env::temp_dir().join(format!("chart2fhir-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    if dev.is_dir() {
        let mut all: Vec<PathBuf> = std::fs::read_dir(dev)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        all.sort();
        for f in all {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".pdf") && !name.ends_with(".fax.pdf") {
                let to = dir.join(&name);
                std::fs::copy(&f, &to).unwrap();
                files.push(to);
            }
        }
    } else {
        for i in 0..20 {
            for f in ["onc-referral.pdf", "synthea-summary.pdf"] {
                let to = dir.join(format!("{i:02}-{f}"));
                std::fs::copy(Path::new("fixtures").join(f), &to).unwrap();
                files.push(to);
            }
        }
    }
    // Pages, for the throughput figure.
    let mut pages = 0u64;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        pages += chart2fhir::ingest::read_bytes(f, &bytes, None, &Default::default())
            .map_or(0, |d| d.pages.len() as u64);
    }
    (dir, files, pages)
}

fn batch(c: &mut Criterion) {
    let exe = env!("CARGO_BIN_EXE_chart2fhir");
    let (dir, files, pages) = inputs();
    let out = dir.join("out");
    let mut g = c.benchmark_group(format!("batch-{}-pdfs", files.len()));
    g.sample_size(10);
    g.throughput(Throughput::Elements(pages));
    for j in ["1", "2"] {
        g.bench_function(format!("chart2fhir-j{j}"), |b| {
            b.iter(|| {
                let r = Command::new(exe)
                    .args([
                        "batch",
                        dir.to_str().unwrap(),
                        "--glob",
                        "*.pdf",
                        "--out",
                        out.to_str().unwrap(),
                        "-q",
                        "--force",
                        "-j",
                        j,
                    ])
                    .output()
                    .unwrap();
                assert!(r.status.success() || r.status.code() == Some(1));
            })
        });
    }
    if Command::new("pdftotext").arg("-v").output().is_ok() {
        for j in ["1", "2"] {
            g.bench_function(format!("pdftotext-P{j}"), |b| {
                b.iter(|| {
                    // One pdftotext per file, `j` at a time, as xargs -P would.
                    let mut running = Vec::new();
                    for f in &files {
                        if running.len() == j.parse::<usize>().unwrap() {
                            let c: std::process::Child = running.remove(0);
                            let _ = c.wait_with_output();
                        }
                        running.push(
                            Command::new("pdftotext")
                                .args([f.to_str().unwrap(), "/dev/null"])
                                .spawn()
                                .unwrap(),
                        );
                    }
                    for c in running {
                        let _ = c.wait_with_output();
                    }
                })
            });
        }
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, batch);
criterion_main!(benches);
