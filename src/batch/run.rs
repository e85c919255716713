//! The batch run: inputs stream to N workers; every input ends as written, failed (with the
//! reason) or skipped (already done); outcomes are logged in input order to
//! `<out>/manifest.ndjson.partial` as they complete and renamed to `<out>/manifest.ndjson` at
//! the end, so a killed run leaves a readable log and a re-run skips what is complete
//! (`--log FILE` puts the log elsewhere: one per process when several share one output
//! folder).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use sha1::Digest;

use super::inputs::{Inputs, Job, Source};
use super::job::{Format, JobOptions, Outcome, Status, output_path, report_path};
use super::progress::{Progress, Tally};
use super::summaries::{bulk_manifest, index_row, relative_href};
use super::worker::{Worker, WorkerConfig, run_contained};
use crate::error::{Error, Result};
use crate::pipeline::Extractor;

/// Inputs a worker process reads before it is replaced by a fresh one.
const WORKER_RECYCLE: usize = 500;

/// Where each input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// In a worker process with a memory limit and a timeout (default): contains parser
    /// crashes, stack overflows, endless loops and memory bombs.
    #[default]
    Process,
    /// In a thread of this process: contains panics only. Faster to start, for trusted input.
    Thread,
}

/// Settings of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Files, folders and manifests to read.
    pub sources: Vec<Source>,
    /// Only files whose name or path matches this glob.
    pub glob: Option<String>,
    /// Settings of every job.
    pub job: JobOptions,
    /// Inputs read at the same time.
    pub workers: usize,
    /// Where inputs are read.
    pub isolation: Isolation,
    /// A job that shows no progress for this long fails (timeout).
    pub file_timeout: Duration,
    /// Address-space limit of each worker process, in MiB (0: none).
    pub max_memory_mb: u64,
    /// Site term tables (`--dict`).
    pub dicts: Vec<PathBuf>,
    /// No progress display.
    pub quiet: bool,
    /// Take only inputs whose position modulo `count` is `index` (one shard of a larger job).
    pub shard: Option<(usize, usize)>,
    /// Redo inputs whose output is already there.
    pub force: bool,
    /// Also print each outcome as a JSON line on stdout (for pipes: Spark, xargs …).
    pub print_results: bool,
    /// The `chart2fhir` executable that worker processes run.
    pub exe: PathBuf,
    /// Where the outcome log goes (default `<out>/manifest.ndjson`). Batch processes that
    /// share one output folder (Spark tasks) each need their own.
    pub log: Option<PathBuf>,
    /// After the run, give documents about one person one Patient id (see
    /// [`super::patients`]; `--join-patients`); only in a run that sees every input (no
    /// `--shard`).
    pub join_patients: bool,
}

/// What a batch run did.
#[derive(Debug, Default)]
pub struct BatchReport {
    /// Inputs per outcome, pages, findings.
    pub tally: Tally,
    /// Failures per error label: (count, first few input paths).
    pub failures: BTreeMap<String, (usize, Vec<String>)>,
    /// Problems met reading the inputs (unreadable folders, manifest lines without a path).
    pub problems: Vec<String>,
    /// How long the run took.
    pub elapsed: Duration,
    /// Where the manifest was written.
    pub manifest: PathBuf,
    /// Inputs whose Patient was joined with another input's.
    pub joined: usize,
}

impl BatchReport {
    /// The end-of-run summary for stderr.
    pub fn summary(&self) -> String {
        let t = &self.tally;
        let secs = self.elapsed.as_secs_f64().max(0.001);
        let mut s = format!(
            "chart2fhir batch: {} inputs: {} written, {} failed, {} skipped (already done); {} pages, {} findings; {:.1} s ({:.1} files/s, {:.0} pages/s)\n",
            t.done,
            t.written,
            t.failed,
            t.skipped,
            t.pages,
            t.findings,
            secs,
            t.done as f64 / secs,
            t.pages as f64 / secs
        );
        for (kind, (n, examples)) in &self.failures {
            s.push_str(&format!("  failed, {kind}: {n}"));
            if !examples.is_empty() {
                s.push_str(&format!(" (e.g. {})", examples.join(", ")));
            }
            s.push('\n');
        }
        for p in &self.problems {
            s.push_str(&format!("  problem: {p}\n"));
        }
        if self.joined > 0 {
            s.push_str(&format!(
                "  {} inputs share their Patient with another input (see \"patient\" in the manifest)\n",
                self.joined
            ));
        }
        s.push_str(&format!("manifest: {}\n", self.manifest.display()));
        s
    }
}

/// Runs a batch.
pub fn run(opts: &BatchOptions) -> Result<BatchReport> {
    let started = Instant::now();
    let out = &opts.job.out_dir;
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.clone(),
        source,
    })?;
    let manifest = opts
        .log
        .clone()
        .unwrap_or_else(|| out.join("manifest.ndjson"));
    // A log that is not a regular file (/dev/null, a FIFO) is written to as it is: renaming
    // over it would replace the device.
    let special = std::fs::metadata(&manifest).is_ok_and(|m| !m.is_file() && !m.is_dir());
    // One writer per log: a second batch on the same folder (and log) stops here, before it
    // reads or writes anything. Runs with logs of their own (`--log`, Spark tasks) share the
    // folder.
    let _lock = if special {
        None
    } else {
        Some(lock_log(out, &manifest)?)
    };
    let glob = match &opts.glob {
        Some(g) => Some(
            globset::Glob::new(g)
                .map_err(|e| Error::Limit {
                    path: PathBuf::from(g),
                    detail: format!("bad --glob pattern: {e}"),
                })?
                .compile_matcher(),
        ),
        None => None,
    };
    let shard = opts.shard;
    let in_shard = move |j: &Job| shard.is_none_or(|(i, n)| j.index % n == i);
    let from_stdin = opts
        .sources
        .iter()
        .any(|s| matches!(s, Source::Manifest(p) if p.as_os_str() == "-"));
    let total = (!from_stdin).then(|| {
        Inputs::new(opts.sources.clone(), glob.clone())
            .filter(|j| in_shard(j))
            .count() as u64
    });
    let inputs = Inputs::new(opts.sources.clone(), glob);
    let problems = Arc::new(Mutex::new(Vec::new()));
    // Jobs are numbered in input order so that outcomes can be written in that order.
    let queue = Arc::new(Mutex::new((inputs, 0usize)));
    let (tx, rx) = channel::<(usize, Job, Outcome)>();
    let workers = opts.workers.max(1);
    let mut threads = Vec::new();
    let extractor = if opts.isolation == Isolation::Thread {
        let mut x = Extractor::default();
        for d in &opts.dicts {
            x.dictionary.add_file(d)?;
        }
        Some(Arc::new(x))
    } else {
        None
    };
    for _ in 0..workers {
        let queue = queue.clone();
        let tx = tx.clone();
        let opts = opts.clone();
        let extractor = extractor.clone();
        let problems = problems.clone();
        threads.push(std::thread::spawn(move || {
            let config = WorkerConfig {
                options: opts.job.clone(),
                dicts: opts.dicts.clone(),
                max_memory_mb: opts.max_memory_mb,
            };
            let mut worker: Option<Worker> = None;
            let mut served = 0usize;
            loop {
                let next = {
                    let mut q = queue.lock().expect("queue lock");
                    let (inputs, seq) = &mut *q;
                    let job = inputs.by_ref().find(|j| in_shard(j));
                    if job.is_none() {
                        problems.lock().expect("lock").append(&mut inputs.problems);
                    }
                    job.map(|j| {
                        *seq += 1;
                        (*seq - 1, j)
                    })
                };
                let Some((seq, job)) = next else {
                    break;
                };
                // A manifest line that cannot be read as written fails without a worker.
                let settled = match &job.problem {
                    Some(p) => Some(Outcome::failed(&job.path, "manifest", p.clone(), 0)),
                    None => already_done(&job, &opts.job, opts.force),
                };
                let outcome = match settled {
                    Some(o) => o,
                    None => match &extractor {
                        Some(x) => run_contained(x, &job, &opts.job),
                        None => {
                            let started = Instant::now();
                            let w = match worker.as_mut() {
                                Some(w) => Ok(w),
                                None => Worker::spawn(&opts.exe, &config).map(|w| worker.insert(w)),
                            };
                            match w.map_err(|e| format!("cannot start a worker process: {e}")) {
                                Ok(w) => match w.run(&job, opts.file_timeout) {
                                    Ok(o) => o,
                                    Err(why) => {
                                        worker = None;
                                        let kind = if why.starts_with("made no progress") {
                                            "timeout"
                                        } else {
                                            "crash"
                                        };
                                        Outcome::failed(
                                            &job.path,
                                            kind,
                                            format!("{}: {why}", job.path.display()),
                                            started.elapsed().as_millis() as u64,
                                        )
                                    }
                                },
                                Err(why) => Outcome::failed(&job.path, "crash", why, 0),
                            }
                        }
                    },
                };
                // A fresh worker now and then keeps memory flat over any number of inputs
                // (a long-lived process slowly accumulates allocator and page-cache state).
                if worker.is_some() {
                    served += 1;
                    if served >= WORKER_RECYCLE {
                        if let Some(w) = worker.take() {
                            w.finish();
                        }
                        served = 0;
                    }
                }
                if tx.send((seq, job, outcome)).is_err() {
                    break;
                }
            }
            if let Some(w) = worker {
                w.finish();
            }
        }));
    }
    drop(tx);

    let partial = if special {
        manifest.clone()
    } else {
        let mut p = manifest.clone().into_os_string();
        p.push(".partial");
        PathBuf::from(p)
    };
    let mut log = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(|source| {
        Error::Write {
            path: partial.clone(),
            source,
        }
    })?);
    let mut progress = Progress::new(total, opts.quiet);
    let mut report = BatchReport {
        manifest: manifest.clone(),
        ..Default::default()
    };
    let mut pending: BTreeMap<usize, Outcome> = BTreeMap::new();
    let mut all: Vec<Outcome> = Vec::new();
    let mut index: Vec<crate::report::html::IndexRow> = Vec::new();
    let mut next = 0usize;
    let stdout = std::io::stdout();
    for (seq, _job, outcome) in rx {
        pending.insert(seq, outcome);
        while let Some(o) = pending.remove(&next) {
            next += 1;
            let line = serde_json::to_string(&o).expect("outcome serializes");
            let write = |w: &mut dyn Write| {
                w.write_all(line.as_bytes())
                    .and_then(|_| w.write_all(b"\n"))
            };
            write(&mut log).map_err(|source| Error::Write {
                path: partial.clone(),
                source,
            })?;
            if opts.print_results {
                let mut s = stdout.lock();
                let _ = write(&mut s).and_then(|_| s.flush());
            }
            let t = &mut report.tally;
            t.done += 1;
            match o.status {
                Status::Written => t.written += 1,
                Status::Skipped => t.skipped += 1,
                Status::Failed => {
                    t.failed += 1;
                    let e = report
                        .failures
                        .entry(o.error.clone().unwrap_or_else(|| "other".into()))
                        .or_default();
                    e.0 += 1;
                    if e.1.len() < 3 {
                        e.1.push(o.input.clone());
                    }
                }
            }
            if opts.job.report {
                index.push(index_row(&o));
            }
            t.pages += o.pages.unwrap_or(0) as u64;
            if let Some(c) = &o.counts {
                t.findings += (c.allergies + c.medications + c.conditions) as u64;
            }
            all.push(o);
        }
        // Flush often enough that a killed run leaves an up-to-date log.
        log.flush().ok();
        progress.update(&report.tally);
    }
    for t in threads {
        let _ = t.join();
    }
    // The bundles were written without a sync each: one for all of them, before the
    // manifest says the run is complete.
    crate::sink::sync_folder(out)?;
    log.flush().map_err(|source| Error::Write {
        path: partial.clone(),
        source,
    })?;
    drop(log);
    if !special {
        std::fs::rename(&partial, &manifest).map_err(|source| Error::Write {
            path: manifest.clone(),
            source,
        })?;
    }
    if opts.join_patients && opts.shard.is_none() {
        report.joined = super::patients::join(&mut all, opts.job.format)?;
        if report.joined > 0 && !special {
            let mut lines = Vec::new();
            for o in &all {
                lines.extend_from_slice(
                    serde_json::to_string(o)
                        .expect("outcome serializes")
                        .as_bytes(),
                );
                lines.push(b'\n');
            }
            crate::sink::write_atomic(&manifest, &lines)?;
        }
    }
    if opts.job.format == Format::Ndjson && opts.shard.is_none() && opts.log.is_none() {
        bulk_manifest(out, &all, opts.job.recorded.as_deref())?;
    }
    if opts.job.report {
        let at = match &opts.log {
            None => out.join("index.html"),
            Some(log) => {
                let mut p = log.clone().into_os_string();
                p.push(".html");
                PathBuf::from(p)
            }
        };
        let base = at.parent().map(Path::to_path_buf).unwrap_or_default();
        for row in &mut index {
            if let Some(r) = &row.report {
                row.report = Some(relative_href(&base, Path::new(r)));
            }
        }
        crate::sink::write_atomic(&at, crate::report::html::index(&index).as_bytes())?;
    }
    progress.finish();
    report.problems = std::mem::take(&mut *problems.lock().expect("lock"));
    report.elapsed = started.elapsed();
    Ok(report)
}

/// An input whose output is already there for the same content (its SHA-1 is in the output's
/// DocumentReference) and the same bundle type is skipped.
fn already_done(job: &Job, opts: &JobOptions, force: bool) -> Option<Outcome> {
    if force {
        return None;
    }
    let report = report_path(opts, &job.relative);
    if opts.report && !report.is_file() {
        return None;
    }
    let out = output_path(opts, &job.relative);
    let written = match opts.format {
        Format::Json => std::fs::read_to_string(&out).ok()?,
        Format::Ndjson => std::fs::read_to_string(out.join("DocumentReference.ndjson")).ok()?,
    };
    let bytes = std::fs::read(&job.path).ok()?;
    let sha1 = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(&bytes));
    let same_content = written.contains(&format!("\"hash\": \"{sha1}\""))
        || written.contains(&format!("\"hash\":\"{sha1}\""));
    // A bundle cut short (the machine stopped before it reached the disk) is not done.
    let whole = opts.format == Format::Ndjson
        || serde_json::from_str::<serde::de::IgnoredAny>(&written).is_ok();
    let kind = if opts.transaction {
        "transaction"
    } else {
        "collection"
    };
    let same_kind =
        opts.format == Format::Ndjson || written.contains(&format!("\"type\": \"{kind}\""));
    let same_profile = written.contains("us-core-documentreference") == opts.us_core.is_some();
    (same_content && same_kind && same_profile && whole).then(|| Outcome {
        input: job.path.display().to_string(),
        size: Some(bytes.len() as u64),
        sha256: Some(crate::ingest::hex(&sha2::Sha256::digest(&bytes))),
        status: Status::Skipped,
        reason: Some("already written for the same content (use --force to redo)".into()),
        error: None,
        pages: None,
        counts: None,
        output: Some(out.display().to_string()),
        report: opts.report.then(|| report.display().to_string()),
        elapsed_ms: 0,
        patient: None,
    })
}

/// The exclusive lock of an outcome log: `<log>.lock`, holding the pid of the batch that
/// writes the log. Held until dropped (the file is then removed, so a finished run leaves
/// only its outputs) or until the process ends, however it ends (a lock file a killed run
/// left behind holds no lock).
struct LogLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl Drop for LogLock {
    fn drop(&mut self) {
        // Removed while still held: a batch that opened it just now finds, once it holds the
        // lock, that the path no longer names its file, and takes a new one.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes the lock of the outcome log `manifest` (see [`LogLock`]); another holder is a clear
/// error naming its pid.
fn lock_log(out: &Path, manifest: &Path) -> Result<LogLock> {
    let mut path = manifest.to_path_buf().into_os_string();
    path.push(".lock");
    let path = PathBuf::from(path);
    loop {
        let file = lock_file(out, manifest, &path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let held = file.metadata().ok().map(|m| (m.dev(), m.ino()));
            let named = std::fs::metadata(&path).ok().map(|m| (m.dev(), m.ino()));
            if held.is_none() || held != named {
                continue;
            }
        }
        return Ok(LogLock { path, _file: file });
    }
}

fn lock_file(out: &Path, manifest: &Path, path: &Path) -> Result<std::fs::File> {
    let path = path.to_path_buf();
    let write_err = |source| Error::Write {
        path: path.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(write_err)?;
    #[cfg(unix)]
    {
        use std::io::{Read, Seek};
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor this function owns; no memory is shared.
        let held = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if held != 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(write_err(e));
            }
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let what = if manifest.parent() == Some(out) {
                format!("another batch is writing to {}", out.display())
            } else {
                format!("another batch is writing the log {}", manifest.display())
            };
            return Err(Error::Write {
                path: out.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    if pid.is_empty() {
                        what
                    } else {
                        format!("{what} (pid {pid})")
                    },
                ),
            });
        }
        file.set_len(0).map_err(write_err)?;
        file.rewind().map_err(write_err)?;
        writeln!(file, "{}", std::process::id()).map_err(write_err)?;
        file.flush().map_err(write_err)?;
    }
    #[cfg(not(unix))]
    let _ = out;
    Ok(file)
}

/// Checks that an output folder is usable before a run.
pub fn check_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "exists and is not a folder",
            ),
        });
    }
    Ok(())
}
