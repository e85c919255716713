//! One patient across documents: after a batch, outputs whose Patients have the same name
//! and birth date share one Patient id (a PDF and its fax copy, two letters about the same
//! person). The MRN may differ by OCR misreading ("136" / "I36", a truncated or missing
//! value) but not wholly; different birth dates, and different sexes when both documents
//! give one, are never joined. The joined outputs are
//! rewritten in place with the shared id, and each joined input's manifest line says with
//! which inputs and why (never the name, date or MRN themselves).
//!
//! The comparison is [`same_person`], kept in one place so that it can follow the patient
//! matching of one packet (src/patient.rs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use super::job::PatientJoin;
use super::job::{Format, Outcome, Status};
use crate::error::Result;
use crate::fhir::ids;
use crate::sink::write_atomic;

/// The patient facts of one output, as written in its Patient resource.
#[derive(Debug, Clone)]
struct Found {
    at: usize,
    input: String,
    output: PathBuf,
    id: String,
    name: String,
    birth: String,
    mrn: Option<String>,
    gender: Option<String>,
}

/// An MRN folded for comparison: lowercase letters and digits, the characters OCR confuses
/// (O/0, I/l/1, S/5, B/8, Z/2, G/6) written one way.
fn fold_mrn(mrn: &str) -> String {
    mrn.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| {
            Some(match c {
                'o' => '0',
                'i' | 'l' | '|' | '!' => '1',
                's' => '5',
                'b' => '8',
                'z' => '2',
                'g' => '6',
                '¢' => 'c',
                'é' | 'è' => 'e',
                c if c.is_ascii_alphanumeric() => c,
                _ => return None,
            })
        })
        .collect()
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Whether two MRNs can be one MRN read twice: either is missing or too short to tell
/// (under 4 characters), one is the start of the other (a cut-off read), or after folding
/// OCR confusions at least half of the characters agree.
pub fn mrns_compatible(a: Option<&str>, b: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (a.map(fold_mrn), b.map(fold_mrn)) else {
        return true;
    };
    if a.len() < 4 || b.len() < 4 || a.starts_with(&b) || b.starts_with(&a) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let longest = a.len().max(b.len());
    edit_distance(&a, &b) * 2 <= longest
}

/// Whether two documents' patients are one person: the same name (folded) and the same
/// birth date, both given, and MRNs that [`mrns_compatible`].
pub fn same_person(
    (name_a, birth_a, mrn_a): (&str, &str, Option<&str>),
    (name_b, birth_b, mrn_b): (&str, &str, Option<&str>),
) -> bool {
    !name_a.is_empty()
        && !birth_a.is_empty()
        && name_a == name_b
        && birth_a == birth_b
        && mrns_compatible(mrn_a, mrn_b)
}

/// The Patient resource of an output (a bundle, or an NDJSON folder's Patient.ndjson).
fn patient_of(output: &Path, format: Format) -> Option<serde_json::Value> {
    match format {
        Format::Json => {
            let bundle: serde_json::Value =
                serde_json::from_slice(&std::fs::read(output).ok()?).ok()?;
            bundle["entry"]
                .as_array()?
                .iter()
                .map(|e| &e["resource"])
                .find(|r| r["resourceType"] == "Patient")
                .cloned()
        }
        Format::Ndjson => {
            let text = std::fs::read_to_string(output.join("Patient.ndjson")).ok()?;
            serde_json::from_str(text.lines().next()?).ok()
        }
    }
}

fn found(at: usize, o: &Outcome, format: Format) -> Option<Found> {
    if !matches!(o.status, Status::Written | Status::Skipped) {
        return None;
    }
    let output = PathBuf::from(o.output.as_ref()?);
    let p = patient_of(&output, format)?;
    let name = crate::normalize::fold::term_key(p["name"][0]["text"].as_str()?);
    let birth = p["birthDate"].as_str()?.to_string();
    let mrn = p["identifier"].as_array().and_then(|ids| {
        ids.iter()
            .find(|i| i["type"]["coding"][0]["code"] == "MR")
            .and_then(|i| i["value"].as_str())
            .map(str::to_string)
    });
    let gender = p["gender"]
        .as_str()
        .filter(|g| *g != "unknown")
        .map(str::to_string);
    Some(Found {
        at,
        gender,
        input: o.input.clone(),
        output,
        id: p["id"].as_str()?.to_string(),
        name,
        birth,
        mrn,
    })
}

/// Replaces a Patient id in an output (its file, or every file of its NDJSON folder).
fn rewrite(output: &Path, format: Format, from: &str, to: &str) -> Result<()> {
    let files: Vec<PathBuf> = match format {
        Format::Json => vec![output.to_path_buf()],
        Format::Ndjson => {
            let mut v: Vec<PathBuf> = std::fs::read_dir(output)
                .map_err(|source| crate::error::Error::Write {
                    path: output.to_path_buf(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
                .collect();
            v.sort();
            v
        }
    };
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|source| crate::error::Error::Write {
            path: f.clone(),
            source,
        })?;
        if text.contains(from) {
            write_atomic(&f, text.replace(from, to).as_bytes())?;
        }
    }
    Ok(())
}

/// Joins the patients of a batch's outputs (see the module's documentation): rewrites the
/// joined outputs with the shared id and notes the join on their outcomes. Returns how many
/// inputs were joined with another.
pub fn join(outcomes: &mut [Outcome], format: Format) -> Result<usize> {
    let mut groups: BTreeMap<(String, String), Vec<Found>> = BTreeMap::new();
    for (at, o) in outcomes.iter().enumerate() {
        if let Some(f) = found(at, o, format)
            && !f.name.is_empty()
        {
            groups
                .entry((f.name.clone(), f.birth.clone()))
                .or_default()
                .push(f);
        }
    }
    let mut joined = 0;
    for ((name, birth), mut members) in groups {
        if members.len() < 2 {
            continue;
        }
        members.sort_by(|a, b| a.input.cmp(&b.input));
        // Greedy clusters: each member joins the first cluster all of whose members it can be.
        let mut clusters: Vec<Vec<Found>> = Vec::new();
        for m in members {
            let key = |f: &Found| (f.name.clone(), f.birth.clone(), f.mrn.clone());
            let (mn, mb, mm) = key(&m);
            let fits = clusters.iter().position(|c| {
                c.iter().all(|o| {
                    same_person(
                        (&mn, &mb, mm.as_deref()),
                        (&o.name, &o.birth, o.mrn.as_deref()),
                    ) && (m.gender.is_none() || o.gender.is_none() || m.gender == o.gender)
                })
            });
            match fits {
                Some(i) => clusters[i].push(m),
                None => clusters.push(vec![m]),
            }
        }
        for (n, cluster) in clusters.iter().enumerate() {
            if cluster.len() < 2 {
                continue;
            }
            let shared = ids::uuid("Patient", &["batch-person", &name, &birth, &n.to_string()]);
            let mrns: Vec<String> = cluster
                .iter()
                .filter_map(|f| f.mrn.as_deref().map(fold_mrn))
                .collect();
            let why = if mrns.len() < cluster.len() {
                "same name and birth date; not every document gives an MRN"
            } else if mrns.windows(2).all(|w| w[0] == w[1]) {
                "same name, birth date and MRN"
            } else {
                "same name and birth date; the MRNs differ as OCR misreadings do"
            };
            for f in cluster {
                if f.id != shared {
                    rewrite(&f.output, format, &f.id, &shared)?;
                }
                outcomes[f.at].patient = Some(PatientJoin {
                    id: shared.clone(),
                    joined_with: cluster
                        .iter()
                        .filter(|o| o.at != f.at)
                        .map(|o| o.input.clone())
                        .collect(),
                    why: why.to_string(),
                });
                joined += 1;
            }
        }
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocr_misread_mrns_are_compatible() {
        assert!(mrns_compatible(Some("136"), Some("I36")));
        assert!(mrns_compatible(Some("38335"), None));
        assert!(mrns_compatible(
            Some("a1b2c3d4-e5f6-0718-2930-41a5b6c7d8e9"),
            Some("alb2c3d4-e5f6-O718-293O-4la5b6c7d8e9")
        ));
        assert!(mrns_compatible(
            Some("a1b2c3d4-e5f6-0718-2930-41a5b6c7d8e9"),
            Some("a1b2c3d4")
        ));
        assert!(!mrns_compatible(Some("4471923"), Some("8820551")));
    }

    #[test]
    fn different_birth_dates_are_never_one_person() {
        let a = ("jane roe", "1950-01-02", Some("1234567"));
        assert!(same_person(a, ("jane roe", "1950-01-02", Some("I234567"))));
        assert!(!same_person(a, ("jane roe", "1950-01-03", Some("1234567"))));
        assert!(!same_person(a, ("john roe", "1950-01-02", Some("1234567"))));
        assert!(!same_person(("", "", None), ("", "", None)));
    }
}
