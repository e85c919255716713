//! Progress on stderr: a bar when stderr is a terminal, a plain line every few seconds when it
//! is not (logs, CI), nothing with `--quiet`. File names only, never document text.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
pub enum Progress {
    Bar(ProgressBar),
    Lines {
        last: Instant,
        every: Duration,
        started: Instant,
        total: Option<u64>,
    },
    Quiet,
}

/// Running totals for the display.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub done: u64,
    pub written: u64,
    pub failed: u64,
    pub skipped: u64,
    pub pages: u64,
    pub findings: u64,
}

impl Progress {
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

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
