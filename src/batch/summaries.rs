//! What a batch run writes over all its inputs besides the bundles: the Bulk Data manifest
//! of an NDJSON folder and the rows of the report index.

use std::path::{Path, PathBuf};

use super::job::{Outcome, Status};
use crate::error::Result;

/// `<out>/manifest.json`: one Bulk Data manifest over the NDJSON folders of every input
/// written (or already there) in this run, urls relative to `<out>`, so the whole folder
/// can be `$import`ed at once. Written by a run that owns the folder (no `--shard`, no
/// `--log`: processes sharing one folder would overwrite each other's).
pub(super) fn bulk_manifest(
    out: &Path,
    outcomes: &[Outcome],
    recorded: Option<&str>,
) -> Result<()> {
    use crate::fhir::{BULK_MANIFEST, BulkManifest, BulkOutput};
    let mut output: Vec<BulkOutput> = Vec::new();
    let mut times: Vec<String> = Vec::new();
    for o in outcomes {
        let Some(dir) = o.output.as_deref().map(PathBuf::from) else {
            continue;
        };
        let Some(m) = std::fs::read(dir.join(BULK_MANIFEST))
            .ok()
            .and_then(|b| serde_json::from_slice::<BulkManifest>(&b).ok())
        else {
            continue;
        };
        let rel = dir.strip_prefix(out).unwrap_or(&dir).to_path_buf();
        times.push(m.transaction_time.clone());
        output.extend(m.output.into_iter().map(|f| BulkOutput {
            url: rel.join(&f.url).to_string_lossy().into_owned(),
            ..f
        }));
    }
    let manifest = BulkManifest {
        transaction_time: recorded
            .map(str::to_string)
            .or_else(|| times.into_iter().max())
            .unwrap_or_else(|| crate::instant(0)),
        request: "chart2fhir batch".into(),
        requires_access_token: false,
        output,
        error: Vec::new(),
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    bytes.push(b'\n');
    crate::sink::write_atomic(&out.join(BULK_MANIFEST), &bytes)
}

/// An outcome as a row of the report index.
pub(super) fn index_row(o: &Outcome) -> crate::report::html::IndexRow {
    crate::report::html::IndexRow {
        input: o.input.clone(),
        status: match o.status {
            Status::Written => "written",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        },
        reason: o.reason.clone(),
        pages: o.pages,
        counts: o
            .counts
            .as_ref()
            .map(|c| (c.allergies, c.medications, c.conditions)),
        report: o.report.clone().filter(|r| Path::new(r).is_file()),
    }
}

/// A link from a page in `base` to `target`: its path under `base` when it is there, else
/// the path as it is; `%`, `#`, `?` and spaces escaped.
pub(super) fn relative_href(base: &Path, target: &Path) -> String {
    let rel = target.strip_prefix(base).unwrap_or(target);
    let mut href = String::new();
    for c in rel.to_string_lossy().chars() {
        match c {
            '%' => href.push_str("%25"),
            '#' => href.push_str("%23"),
            '?' => href.push_str("%3F"),
            ' ' => href.push_str("%20"),
            '\\' => href.push('/'),
            c => href.push(c),
        }
    }
    href
}
