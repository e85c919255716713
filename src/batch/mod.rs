//! Batch: an archive of inputs, parallel workers, outputs written atomically, a manifest of
//! what became of every input, resumable after a kill.

pub mod inputs;
pub mod job;
pub mod patients;
pub mod progress;
pub mod run;
mod summaries;
pub mod worker;
