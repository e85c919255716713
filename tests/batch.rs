//! Batch over a folder of good and hostile files: every good file written, every hostile one
//! failed with a reason, in bounded time; a killed run resumes to the same bytes; `-j 1` and
//! `-j 2` write the same outputs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A PDF from numbered object bodies (object 1 is the catalog), with a correct xref table.
fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    v
}

/// A page whose content inflates to 256 MiB of zeros (a 250 KB file).
fn deflate_bomb() -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        z.write_all(&zeros).unwrap();
    }
    let data = z.finish().unwrap();
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &data),
    ])
}

/// 10,000 blank pages.
fn blank_pages(n: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", i + 3)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
    ];
    for _ in 0..n {
        objects.push(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_vec());
    }
    pdf(&objects)
}

/// Arrays nested 100,000 deep.
fn deeply_nested() -> Vec<u8> {
    let mut nested = "[".repeat(100_000);
    nested.push_str(&"]".repeat(100_000));
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R /Extra 4 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots 4 0 R >>".to_vec(),
        nested.into_bytes(),
    ])
}

/// A page tree whose kids point back at the root.
fn page_tree_cycle() -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>".to_vec(),
    ])
}

/// A form XObject that draws itself twice: exponential without a budget.
fn recursive_form() -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>".to_vec(),
        stream("", b"/X Do /X Do"),
        stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X 5 0 R >> >>", b"/X Do /X Do /X Do"),
    ])
}

/// The packet with 300 bytes flipped (a fixed pattern).
fn bit_flipped() -> Vec<u8> {
    let mut b = std::fs::read(fixture("onc-referral.pdf")).unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let i = 1024 + (x as usize % (b.len() - 2048));
        b[i] ^= 1 << (x % 8);
    }
    b
}

/// Runs the binary with a watchdog: a run that does not end in `limit` fails the test.
fn run_bounded(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("batch did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn manifest(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("manifest.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn good_files_are_written_and_hostile_ones_fail_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("good")).unwrap();
    std::fs::create_dir_all(input.join("hostile")).unwrap();
    for f in [
        "onc-referral.pdf",
        "onc-referral.fax.txt",
        "synthea-summary.pdf",
        "encrypted-empty-password.pdf",
    ] {
        std::fs::copy(fixture(f), input.join("good").join(f)).unwrap();
    }
    let hostile: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty.pdf", Vec::new(), &["empty"]),
        (
            "random.pdf",
            std::fs::read(fixture("bad/random.bin")).unwrap(),
            &["unknown-type"],
        ),
        (
            "truncated.pdf",
            std::fs::read(fixture("bad/truncated.pdf")).unwrap(),
            &["bad-pdf"],
        ),
        (
            "bit-flipped.pdf",
            bit_flipped(),
            &["bad-pdf", "limit", "needs-ocr"],
        ),
        (
            "encrypted.pdf",
            std::fs::read(fixture("bad/encrypted-user-password.pdf")).unwrap(),
            &["encrypted"],
        ),
        ("deflate-bomb.pdf", deflate_bomb(), &["limit"]),
        (
            "nested.pdf",
            deeply_nested(),
            &["bad-pdf", "limit", "crash"],
        ),
        ("blank-10000-pages.pdf", blank_pages(10_000), &["limit"]),
        ("page-tree-cycle.pdf", page_tree_cycle(), &["bad-pdf"]),
        (
            "recursive-form.pdf",
            recursive_form(),
            &["limit", "bad-pdf"],
        ),
        (
            "scanned.pdf",
            std::fs::read(fixture("bad/scanned-page.pdf")).unwrap(),
            &["needs-ocr"],
        ),
    ];
    for (name, bytes, _) in &hostile {
        std::fs::write(input.join("hostile").join(name), bytes).unwrap();
    }
    let out = dir.path().join("out");
    let r = run_bounded(
        &[
            "batch",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--ocr",
            "never",
            "-j",
            "2",
            "--file-timeout",
            "20",
        ],
        Duration::from_secs(120),
    );
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "some inputs failed: {stderr}");
    let m = manifest(&out);
    assert_eq!(m.len(), 4 + hostile.len(), "one manifest line per input");
    for line in &m {
        let input = line["input"].as_str().unwrap();
        let name = Path::new(input).file_name().unwrap().to_str().unwrap();
        if input.contains("/good/") {
            assert_eq!(line["status"], "written", "{line}");
            let output = line["output"].as_str().unwrap();
            let bundle: Value = serde_json::from_slice(&std::fs::read(output).unwrap()).unwrap();
            assert_eq!(bundle["resourceType"], "Bundle");
        } else {
            let (_, _, kinds) = hostile.iter().find(|(n, _, _)| *n == name).unwrap();
            assert_eq!(line["status"], "failed", "{line}");
            let error = line["error"].as_str().unwrap();
            assert!(
                kinds.contains(&error),
                "{name}: error {error}, expected one of {kinds:?}: {line}"
            );
            let reason = line["reason"].as_str().unwrap();
            assert!(reason.contains(name), "the reason names the file: {reason}");
            assert!(line["output"].is_null());
        }
    }
    // Nothing half-written under a final name, no temporary files left.
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                !n.ends_with(".tmp") && !n.ends_with(".partial"),
                "left behind: {}",
                p.display()
            );
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    assert!(stderr.contains("written"), "a summary on stderr: {stderr}");
}

/// Copies of the fixtures, `n` of each, under `dir`.
fn archive(dir: &Path, n: usize) -> PathBuf {
    let input = dir.join("archive");
    for i in 0..n {
        let sub = input.join(format!("box{i:02}"));
        std::fs::create_dir_all(&sub).unwrap();
        for f in [
            "onc-referral.pdf",
            "synthea-summary.pdf",
            "onc-referral.fax.txt",
        ] {
            std::fs::copy(fixture(f), sub.join(f)).unwrap();
        }
    }
    input
}

/// Every file under `dir` but the manifest, with its bytes.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("manifest")
            {
                v.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn one_worker_and_two_workers_write_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let input = archive(dir.path(), 4);
    let (a, b) = (dir.path().join("j1"), dir.path().join("j2"));
    for (out, j) in [(&a, "1"), (&b, "2")] {
        let r = run_bounded(
            &[
                "batch",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "-q",
                "-j",
                j,
            ],
            Duration::from_secs(120),
        );
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    let (oa, ob) = (outputs(&a), outputs(&b));
    assert_eq!(oa.len(), 12);
    assert!(oa == ob, "outputs differ between -j 1 and -j 2");
    // The manifests list the inputs in the same order.
    let order = |d: &Path| {
        manifest(d)
            .iter()
            .map(|l| l["input"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&a), order(&b));
}

#[test]
fn a_killed_run_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let input = archive(dir.path(), 12);
    let full = dir.path().join("full");
    let r = run_bounded(
        &[
            "batch",
            input.to_str().unwrap(),
            "--out",
            full.to_str().unwrap(),
            "-q",
        ],
        Duration::from_secs(180),
    );
    assert!(r.status.success());

    let resumed = dir.path().join("resumed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
        .args([
            "batch",
            input.to_str().unwrap(),
            "--out",
            resumed.to_str().unwrap(),
            "-q",
            "-j",
            "1",
        ])
        .env_remove("SOURCE_DATE_EPOCH")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once some, not all, inputs are done.
    let partial = resumed.join("manifest.ndjson.partial");
    let started = Instant::now();
    loop {
        let done = std::fs::read_to_string(&partial).map_or(0, |s| s.lines().count());
        if done >= 6 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done_before = outputs(&resumed).len();
    assert!(
        done_before > 0 && done_before < 36,
        "killed mid-run ({done_before} outputs)"
    );

    let r = run_bounded(
        &[
            "batch",
            input.to_str().unwrap(),
            "--out",
            resumed.to_str().unwrap(),
            "-q",
        ],
        Duration::from_secs(180),
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let skipped = manifest(&resumed)
        .iter()
        .filter(|l| l["status"] == "skipped")
        .count();
    assert!(
        skipped >= done_before.saturating_sub(2),
        "completed inputs are skipped ({skipped} of {done_before})"
    );
    assert!(
        outputs(&full) == outputs(&resumed),
        "resumed outputs differ from an uninterrupted run"
    );
}

/// Outputs are not synced one by one (the run syncs once at its end): after a machine crash
/// an output may be cut short on disk. Resuming reads such an output again instead of
/// skipping it.
#[test]
fn an_output_cut_short_is_read_again_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let input = archive(dir.path(), 1);
    let out = dir.path().join("out");
    let args = [
        "batch",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    assert!(
        run_bounded(&args, Duration::from_secs(120))
            .status
            .success()
    );
    let whole = outputs(&out);
    let cut = out.join("box00/onc-referral.fax.txt.json");
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();

    assert!(
        run_bounded(&args, Duration::from_secs(120))
            .status
            .success()
    );
    let statuses: Vec<(String, String)> = manifest(&out)
        .iter()
        .map(|l| {
            (
                l["input"].as_str().unwrap().to_string(),
                l["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (input, status) in &statuses {
        let want = if input.ends_with("onc-referral.fax.txt") {
            "written"
        } else {
            "skipped"
        };
        assert_eq!(status, want, "{input}");
    }
    assert!(outputs(&out) == whole, "the redone output is the whole one");
}

#[test]
fn manifest_from_stdin_with_shards_and_results_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let input = archive(dir.path(), 2);
    let list: Vec<String> = [
        "box00/onc-referral.pdf",
        "box00/synthea-summary.pdf",
        "box01/onc-referral.fax.txt",
        "box01/missing.pdf",
    ]
    .iter()
    .map(|p| input.join(p).display().to_string())
    .collect();
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
        .args([
            "batch",
            "--manifest",
            "-",
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--print-results",
            "--shard",
            "0/2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.join("\n").as_bytes())
        .unwrap();
    let r = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8(r.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Shard 0 of 2: inputs 0 and 2.
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0]["input"]
            .as_str()
            .unwrap()
            .ends_with("box00/onc-referral.pdf")
    );
    assert!(
        lines[1]["input"]
            .as_str()
            .unwrap()
            .ends_with("box01/onc-referral.fax.txt")
    );
    assert!(lines.iter().all(|l| l["status"] == "written"));
    assert_eq!(r.status.code(), Some(0));
}

/// A manifest's patient identifier without its system is an error of that input, naming the
/// manifest line (it once became "the patient from the document" without a word, where
/// `extract --patient-identifier` refuses it).
#[test]
fn a_manifest_identifier_without_a_system_fails_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    let referral = fixture("onc-referral.fax.txt");
    std::fs::write(
        &list,
        format!(
            "path,patient_identifier\n{p},urn:oid:1.2.3|77\n{p},12345\n",
            p = referral.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = run_bounded(
        &[
            "batch",
            "--manifest",
            list.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--isolation",
            "thread",
        ],
        Duration::from_secs(120),
    );
    assert_eq!(r.status.code(), Some(1), "one input failed");
    let lines = manifest(&out);
    assert_eq!(lines[0]["status"], "written");
    assert_eq!(lines[1]["status"], "failed");
    assert_eq!(lines[1]["error"], "manifest");
    let reason = lines[1]["reason"].as_str().unwrap();
    assert!(
        reason.contains("list.csv: line 3: the patient identifier"),
        "{reason}"
    );
    assert!(
        !reason.contains("12345"),
        "the identifier is not repeated: {reason}"
    );
}

#[test]
fn processes_sharing_one_output_folder_keep_their_own_logs() {
    let dir = tempfile::tempdir().unwrap();
    let input = archive(dir.path(), 2);
    let alone = dir.path().join("alone");
    let r = run_bounded(
        &[
            "batch",
            input.to_str().unwrap(),
            "--out",
            alone.to_str().unwrap(),
            "-q",
        ],
        Duration::from_secs(120),
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    // Two processes at once on one --out, each with half the inputs (as Spark tasks are).
    let shared = dir.path().join("shared");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let halves = [
        [
            "box00/onc-referral.pdf",
            "box00/synthea-summary.pdf",
            "box00/onc-referral.fax.txt",
        ],
        [
            "box01/onc-referral.pdf",
            "box01/synthea-summary.pdf",
            "box01/onc-referral.fax.txt",
        ],
    ];
    let children: Vec<_> = halves
        .iter()
        .enumerate()
        .map(|(i, half)| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
                .args(["batch", "--manifest", "-", "--out"])
                .arg(&shared)
                .arg("--log")
                .arg(logs.join(format!("task-{i}.ndjson")))
                .args(["-q", "-j", "1", "--print-results"])
                .current_dir(&input)
                .env_remove("SOURCE_DATE_EPOCH")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(half.join("\n").as_bytes())
                .unwrap();
            child
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let r = child.wait_with_output().unwrap();
        assert_eq!(r.status.code(), Some(0));
        let printed = String::from_utf8(r.stdout).unwrap();
        let log = std::fs::read_to_string(logs.join(format!("task-{i}.ndjson"))).unwrap();
        assert_eq!(printed, log, "the log holds what was printed");
        assert_eq!(log.lines().count(), 3);
        assert!(log.lines().all(|l| l.contains("\"written\"")));
    }
    assert!(!shared.join("manifest.ndjson").exists());
    assert!(
        outputs(&alone) == outputs(&shared),
        "outputs differ from one process over the folder"
    );
}

#[test]
fn batch_report_writes_a_page_per_input_beside_its_bundle_and_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub dir")).unwrap();
    std::fs::copy(fixture("onc-referral.pdf"), input.join("a.pdf")).unwrap();
    std::fs::copy(
        fixture("onc-referral.fax.txt"),
        input.join("sub dir/b.fax.txt"),
    )
    .unwrap();
    std::fs::write(input.join("empty.txt"), b"").unwrap();
    let out = dir.path().join("out");
    let args = [
        "batch",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report",
        "-q",
    ];
    let r = run_bounded(&args, Duration::from_secs(120));
    assert_eq!(r.status.code(), Some(1), "the empty input fails");
    for name in ["a.pdf", "sub dir/b.fax.txt"] {
        assert!(out.join(format!("{name}.json")).is_file());
        let html = std::fs::read_to_string(out.join(format!("{name}.html"))).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<mark class=\"ev"));
    }
    assert!(
        !out.join("empty.txt.html").exists(),
        "nothing for a failed input"
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("href=\"a.pdf.html\""));
    assert!(index.contains("href=\"sub%20dir/b.fax.txt.html\""));
    assert!(index.contains("3 inputs: 2 written, 1 failed"));
    let lines = manifest(&out);
    assert!(
        lines
            .iter()
            .filter(|l| l["status"] == "written")
            .all(|l| l["report"].as_str().is_some_and(|r| r.ends_with(".html")))
    );

    // A report deleted since: its input is redone, not skipped.
    std::fs::remove_file(out.join("a.pdf.html")).unwrap();
    run_bounded(&args, Duration::from_secs(120));
    assert!(out.join("a.pdf.html").is_file());
    let lines = manifest(&out);
    let status = |name: &str| {
        lines
            .iter()
            .find(|l| l["input"].as_str().unwrap().ends_with(name))
            .map(|l| l["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("a.pdf").as_deref(), Some("written"));
    assert_eq!(status("b.fax.txt").as_deref(), Some("skipped"));

    // Without --report, the manifest has no report field.
    let plain = dir.path().join("plain");
    run_bounded(
        &[
            "batch",
            input.to_str().unwrap(),
            "--out",
            plain.to_str().unwrap(),
            "-q",
        ],
        Duration::from_secs(120),
    );
    assert!(manifest(&plain).iter().all(|l| l.get("report").is_none()));
    assert!(!plain.join("index.html").exists());
}
