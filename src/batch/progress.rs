//! Progress on stderr: a bar when stderr is a terminal, a plain line every few seconds when it
//! is not (logs, CI), nothing with `--quiet`. File names only, never document text.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
pub enum Progress {
    /// A progress bar on a terminal.
    Bar(ProgressBar),
    /// A line now and then (stderr is not a terminal).
    Lines {
        /// When the last line was printed.
        last: Instant,
        /// How often a line is printed.
        every: Duration,
        /// When the run started.
        started: Instant,
        /// Inputs expected, when known.
        total: Option<u64>,
    },
    /// Nothing (`--quiet`).
    Quiet,
}

/// Running totals for the display.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Inputs finished.
    pub done: u64,
    /// Inputs written.
    pub written: u64,
    /// Inputs failed.
    pub failed: u64,
    /// Inputs skipped (already done).
    pub skipped: u64,
    /// Pages read.
    pub pages: u64,
    /// Findings written.
    pub findings: u64,
}

impl Progress {
    /// Progress for `total` inputs (when known): a bar on a terminal, a line now and then otherwise, nothing when `quiet`.
    pub fn new(total: Option<u64>, quiet: bool) -> Progress {
        if quiet {
            return Progress::Quiet;
        }
        if std::io::stderr().is_terminal() {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} files  {msg}  {per_sec}  ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                last: Instant::now(),
                every: Duration::from_secs(10),
                started: Instant::now(),
                total,
            }
        }
    }

    /// Shows the totals so far.
    pub fn update(&mut self, t: &Tally) {
        let msg = format!(
            "{} pages, {} findings, {} failed",
            t.pages, t.findings, t.failed
        );
        match self {
            Progress::Bar(bar) => {
                bar.set_position(t.done);
                bar.set_message(msg);
            }
            Progress::Lines {
                last,
                every,
                started,
                total,
            } => {
                if last.elapsed() >= *every {
                    *last = Instant::now();
                    let secs = started.elapsed().as_secs_f64().max(0.001);
                    let rate = t.done as f64 / secs;
                    let of = total.map(|n| format!("/{n}")).unwrap_or_default();
                    let eta = total
                        .filter(|_| rate > 0.0)
                        .map(|n| format!(", ETA {:.0} s", (n.saturating_sub(t.done)) as f64 / rate))
                        .unwrap_or_default();
                    eprintln!(
                        "chart2fhir: {}{of} files, {msg}, {rate:.1} files/s{eta}",
                        t.done
                    );
                }
            }
            Progress::Quiet => {}
        }
    }

    /// Clears the bar at the end of the run.
    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
