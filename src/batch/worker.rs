//! Worker processes: each input is read in a child process with a memory limit (RLIMIT_AS)
//! and a wall-clock timeout, so a hostile file — a parser that loops, overflows its stack or
//! inflates without bound — costs that one file and nothing else. The parent restarts a
//! worker that died or was killed.
//!
//! Protocol (one JSON object per line): the parent sends the [`WorkerConfig`] first, then one
//! [`Job`] per line; the worker answers each job with one [`Outcome`] line.

use std::io::{BufRead, BufReader, Write};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::inputs::Job;
use super::job::{JobOptions, Outcome, run};
use crate::pipeline::Extractor;

/// What a worker needs to know once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerConfig {
    /// Settings of every job.
    pub options: JobOptions,
    /// Site term tables to add (`--dict`).
    pub dicts: Vec<PathBuf>,
    /// Address-space limit in MiB (0: none).
    pub max_memory_mb: u64,
}

/// The line a busy worker sends while it makes progress.
const HEARTBEAT: &str = "{\"alive\":true}\n";

#[derive(Serialize, Deserialize)]
struct WireJob {
    index: usize,
    path: PathBuf,
    relative: PathBuf,
    patient_identifier: Option<String>,
}

/// Runs one job in this process, turning a panic into a failed outcome.
pub fn run_contained(extractor: &Extractor, job: &Job, opts: &JobOptions) -> Outcome {
    let started = std::time::Instant::now();
    match std::panic::catch_unwind(AssertUnwindSafe(|| run(extractor, job, opts))) {
        Ok(o) => o,
        // A panic outside `convert` (which contains its own): the hook printed no payload;
        // neither does the outcome.
        Err(_) => Outcome::failed(
            &job.path,
            "internal",
            format!(
                "{}: internal error (a bug in chart2fhir); the file was skipped",
                job.path.display()
            ),
            started.elapsed().as_millis() as u64,
        ),
    }
}

/// The worker side: reads the config and jobs from stdin, answers on stdout.
pub fn serve() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let Some(first) = lines.next() else {
        return Ok(());
    };
    let config: WorkerConfig = serde_json::from_str(&first?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    limit_memory(config.max_memory_mb);
    // Quiet panics: the parent reports them; document bytes must not reach a log.
    crate::error::install_panic_hook(true);
    let mut extractor = Extractor::default();
    for d in &config.dicts {
        if let Err(e) = extractor.dictionary.add_file(d) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e.to_string(),
            ));
        }
    }
    let stdout = std::sync::Arc::new(std::sync::Mutex::new(std::io::stdout()));
    // Heartbeats: while a long input makes progress (OCR pages), tell the parent it is alive.
    {
        let stdout = stdout.clone();
        std::thread::spawn(move || {
            let mut seen = crate::ingest::PROGRESS.load(std::sync::atomic::Ordering::Relaxed);
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let now = crate::ingest::PROGRESS.load(std::sync::atomic::Ordering::Relaxed);
                if now != seen {
                    seen = now;
                    let out = stdout.lock().expect("stdout lock");
                    let mut out = out.lock();
                    if out
                        .write_all(HEARTBEAT.as_bytes())
                        .and_then(|_| out.flush())
                        .is_err()
                    {
                        break;
                    }
                }
            }
        });
    }
    for line in lines {
        let line = line?;
        let wire: WireJob = serde_json::from_str(&line)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let job = Job {
            index: wire.index,
            path: wire.path,
            relative: wire.relative,
            patient_identifier: wire.patient_identifier,
            problem: None,
        };
        let outcome = run_contained(&extractor, &job, &config.options);
        let out = stdout.lock().expect("stdout lock");
        let mut out = out.lock();
        serde_json::to_writer(&mut out, &outcome)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

#[cfg(unix)]
fn limit_memory(mb: u64) {
    if mb == 0 {
        return;
    }
    let bytes = mb.saturating_mul(1024 * 1024);
    let lim = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit with a valid struct only changes this process's limits.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &lim);
    }
}

#[cfg(not(unix))]
fn limit_memory(_mb: u64) {}

/// A running worker process, seen from the parent.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<String>,
}

/// Linux: the worker is killed when the thread that started it — the batch — ends, however
/// it ends (a kill, a crash), so no worker goes on writing after its batch is gone.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: getpid is async-signal-safe.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the line above: then nobody will signal.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

impl Worker {
    /// Starts `exe __worker` and sends it the config.
    pub fn spawn(exe: &std::path::Path, config: &WorkerConfig) -> std::io::Result<Worker> {
        let mut command = Command::new(exe);
        command
            .arg("__worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        die_with_parent(&mut command);
        let mut child = command.spawn()?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(l).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let mut first = serde_json::to_vec(config).expect("config serializes");
        first.push(b'\n');
        stdin.write_all(&first)?;
        Ok(Worker {
            child,
            stdin,
            replies: rx,
        })
    }

    /// Sends a job and waits for its outcome. `Err` means the worker is gone (timed out and
    /// killed, or died); the caller records the failure and starts a new one.
    pub fn run(&mut self, job: &Job, timeout: Duration) -> Result<Outcome, String> {
        let wire = WireJob {
            index: job.index,
            path: job.path.clone(),
            relative: job.relative.clone(),
            patient_identifier: job.patient_identifier.clone(),
        };
        let mut line = serde_json::to_vec(&wire).expect("job serializes");
        line.push(b'\n');
        if self
            .stdin
            .write_all(&line)
            .and_then(|_| self.stdin.flush())
            .is_err()
        {
            return Err(self.death("the worker process was gone"));
        }
        // The time limit runs from the last sign of progress (a heartbeat per OCR'd page).
        loop {
            match self.replies.recv_timeout(timeout) {
                Ok(reply) if reply.trim() == HEARTBEAT.trim() => continue,
                Ok(reply) => {
                    return serde_json::from_str(&reply)
                        .map_err(|_| self.death("the worker answered garbage"));
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!(
                        "made no progress for {} s and was stopped",
                        timeout.as_secs()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.death("the reader crashed"));
                }
            }
        }
    }

    fn death(&mut self, what: &str) -> String {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    if let Some(sig) = status.signal() {
                        let name = match sig {
                            libc::SIGSEGV => "a segmentation fault (stack overflow?)",
                            libc::SIGABRT => "an abort (out of memory?)",
                            libc::SIGKILL => "a kill",
                            _ => "a signal",
                        };
                        return format!("{what}: the worker ended with {name} ({sig})");
                    }
                }
                format!("{what}: the worker ended ({status})")
            }
            Err(_) => what.to_string(),
        }
    }

    /// Ends the worker cleanly.
    pub fn finish(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
    }
}
