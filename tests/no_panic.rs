//! No input makes chart2fhir panic, and no failure message carries document text: the inputs
//! that once did (issue #17), each as it was found, through the library and the binary.

use std::path::Path;
use std::process::Command;

use chart2fhir::Extractor;
use chart2fhir::ingest::{self, IngestOptions};

fn fixture_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/onc-referral.fax.txt"),
    )
    .unwrap()
}

/// The fax text fixture with `line` put in after the first line of its allergy list.
fn with_line(line: &str) -> String {
    let text = fixture_text();
    let at = text.find("Allergies\n").unwrap() + "Allergies\n".len();
    format!("{}{line}\n{}", &text[..at], &text[at..])
}

fn extract_bytes(bytes: &[u8]) -> chart2fhir::Extraction {
    let doc = ingest::read_bytes(
        Path::new("case.txt"),
        bytes,
        None,
        &IngestOptions::default(),
    )
    .unwrap();
    Extractor::default().extract(&doc)
}

#[test]
fn a_word_of_65536_letters_in_ocr_text() {
    let word = "a".repeat(65_536);
    extract_bytes(with_line(&word).as_bytes());
    let word = "penicilin".repeat(8_000);
    extract_bytes(with_line(&word).as_bytes());
}

#[test]
fn a_line_separator_in_a_patient_header_line() {
    extract_bytes(with_line("Patient: Alice Example\u{2028}Sex: Female").as_bytes());
    extract_bytes(with_line("DOB: 01/02/1970\u{2028}Sex: Female\u{2029}MRN: 12").as_bytes());
    extract_bytes(with_line("DOB: 01/02/1970\u{a0}Sex: Female").as_bytes());
}

#[test]
fn invisible_characters_in_a_section_header_line() {
    let mut lines = Vec::new();
    for c in [
        '\u{a0}', '\u{200b}', '\u{200f}', '\u{202e}', '\u{feff}', '\u{2007}',
    ] {
        let marks: String = std::iter::repeat_n(c, 6).collect();
        lines.extend([
            format!("{marks}ALLERGIES: penicillin"),
            format!("_ {marks} MEDICATIONS{marks}: aspirin"),
            format!("{marks} Problem List {marks}"),
            format!("oo {marks}ALLERGIES{marks}; sulfa"),
        ]);
    }
    extract_bytes(with_line(&lines.join("\n")).as_bytes());
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs `cmd`, killing it after `secs` seconds: (exit code, stderr), `None` when it hung.
fn run_for(mut cmd: Command, secs: u64) -> Option<(Option<i32>, String)> {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return Some((status.code(), err));
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn nul_and_other_controls_never_reach_a_bundle() {
    let text = with_line("No\u{0}Known\u{0}Allergy\u{1b}[0m \u{7f}\u{85}Sulfa\u{9c} (rash)");
    let doc = ingest::read_bytes(
        Path::new("case.txt"),
        text.as_bytes(),
        None,
        &IngestOptions::default(),
    )
    .unwrap();
    for page in &doc.pages {
        assert!(
            !page
                .text
                .chars()
                .any(|c| c.is_control() && !"\t\n\r".contains(c)),
            "a control character reached page {}",
            page.number
        );
    }
    let x = Extractor::default().extract(&doc);
    let bundle = chart2fhir::fhir::bundle(&x, &Default::default());
    let json = serde_json::to_string(&bundle).unwrap();
    assert!(!json.contains("\\u0000") && !json.contains("\\u001b"));
    // Evidence still points at the page: every finding's span is inside its page's text.
    for f in &x.findings {
        for m in &f.mentions {
            let page = doc.pages.iter().find(|p| p.number == m.page).unwrap();
            assert!(page.text.get(m.start..m.end).is_some());
        }
    }
}

#[test]
fn a_fifo_is_refused_not_waited_on() {
    let dir = temp();
    let fifo = dir.path().join("pipe.txt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut cmd = bin();
    cmd.arg("extract").arg(&fifo);
    let (code, err) = run_for(cmd, 20).expect("extract of a FIFO hung");
    assert_eq!(code, Some(1));
    assert!(err.contains("FIFO"), "{err}");
}

#[test]
fn a_symlink_to_a_device_is_refused() {
    let dir = temp();
    let link = dir.path().join("zero.txt");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let mut cmd = bin();
    cmd.arg("extract").arg(&link);
    let (code, err) = run_for(cmd, 20).expect("extract of /dev/zero hung");
    assert_eq!(code, Some(1));
    assert!(err.contains("device"), "{err}");
}

#[test]
fn the_size_limit_counts_the_bytes_read_not_the_size_on_disk() {
    // /proc files say they are 0 bytes long and hold more.
    let options = IngestOptions {
        max_file_bytes: 16,
        ..IngestOptions::default()
    };
    let err = ingest::read(Path::new("/proc/self/status"), &options).unwrap_err();
    assert_eq!(err.kind(), "limit", "{err}");
}

#[test]
fn batch_walks_a_folder_symlink_loop_once() {
    let dir = temp();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("a")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/onc-referral.fax.txt"),
        input.join("a/one.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..", input.join("a/up")).unwrap();
    let out = dir.path().join("out");
    let mut cmd = bin();
    cmd.args(["batch", "-q", "--isolation", "thread", "--out"])
        .arg(&out)
        .arg(&input);
    run_for(cmd, 120).expect("batch hung");
    let manifest = std::fs::read_to_string(out.join("manifest.ndjson")).unwrap();
    assert_eq!(manifest.lines().count(), 1, "one input, read once");
}

#[test]
fn a_second_batch_on_the_same_folder_stops_with_the_holders_pid() {
    use std::os::fd::AsRawFd;
    let dir = temp();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // This test holds the lock, as a running batch would.
    let mut lock = std::fs::File::create(out.join("manifest.ndjson.lock")).unwrap();
    std::io::Write::write_all(&mut lock, format!("{}\n", std::process::id()).as_bytes()).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    let held = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    assert_eq!(held, 0);
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/onc-referral.fax.txt");
    let mut cmd = bin();
    cmd.args(["batch", "-q", "--out"]).arg(&out).arg(&input);
    let (code, err) = run_for(cmd, 60).expect("batch hung");
    assert_ne!(code, Some(0));
    assert!(
        err.contains(&format!(
            "another batch is writing to {} (pid {})",
            out.display(),
            std::process::id()
        )),
        "{err}"
    );
    assert!(!out.join("manifest.ndjson").exists());
    // A run with a log of its own (a Spark task) shares the folder.
    let mut cmd = bin();
    cmd.args(["batch", "-q", "--isolation", "thread", "--out"])
        .arg(&out)
        .arg("--log")
        .arg(dir.path().join("task-1.ndjson"))
        .arg(&input);
    let (code, err) = run_for(cmd, 120).expect("batch hung");
    assert_eq!(code, Some(0), "{err}");
    // A finished run leaves no lock file behind (its outputs only).
    assert!(!dir.path().join("task-1.ndjson.lock").exists());
    drop(lock);
}

/// Process ids whose parent is `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": comm may hold spaces, so read after the last ')'.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let ppid: u32 = rest.split(' ').nth(1).unwrap().parse().unwrap();
        if ppid == parent {
            out.push(pid);
        }
    }
    out
}

/// True while `pid` runs (not gone, not a zombie waiting for a reaper).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        let rest = &s[s.rfind(')').unwrap() + 2..];
        !rest.starts_with('Z') && !rest.starts_with('X')
    })
}

#[test]
fn workers_die_with_their_batch() {
    let dir = temp();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..40 {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/onc-referral.fax.txt"),
            input.join(format!("{i:02}.txt")),
        )
        .unwrap();
    }
    let mut child = bin()
        .args(["batch", "-q", "-j", "2", "--out"])
        .arg(dir.path().join("out"))
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let workers = loop {
        let w = children_of(child.id());
        if !w.is_empty() || std::time::Instant::now() > deadline {
            break w;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(!workers.is_empty(), "no worker process started");
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    for w in workers {
        assert!(!alive(w), "worker {w} outlived its batch");
    }
}
