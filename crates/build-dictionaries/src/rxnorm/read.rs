//! Reading RxNorm: the merged names file of the vocabulary folder, or an official release zip
//! (`RXNCONSO.RRF`, `RXNREL.RRF`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{CURRENT_SOURCES, Concept, KEPT_TTYS, NAMES_FILE, RxNorm};
use crate::BuildError;
use crate::tsv::{data_lines, fields, read_text};

impl RxNorm {
    /// Reads the merged names file.
    pub fn load_names(vocab: &Path) -> Result<RxNorm, BuildError> {
        let path = vocab.join(NAMES_FILE);
        let text = read_text(&path)?;
        let mut rx = RxNorm {
            origin: format!("`{NAMES_FILE}` (merged public RxNorm extracts)"),
            ..RxNorm::default()
        };
        for (no, line) in data_lines(&path, &text, "rxcui\ttty\tname\tsource")? {
            let f = fields(&path, no, line, 4)?;
            let tty = f[1].trim();
            if !KEPT_TTYS.contains(&tty) {
                continue;
            }
            let name = crate::tsv::squash_spaces(f[2]);
            if name.is_empty() {
                continue;
            }
            let sources: Vec<&str> = f[3].split(';').collect();
            rx.concepts.insert(
                f[0].trim().to_string(),
                Concept {
                    rxcui: f[0].trim().to_string(),
                    tty: tty.to_string(),
                    name,
                    current: sources.iter().any(|s| CURRENT_SOURCES.contains(s)),
                    n_sources: sources.len(),
                    synonyms: Vec::new(),
                },
            );
        }
        Ok(rx)
    }

    /// Reads an official RxNorm release zip (`rrf/RXNCONSO.RRF`, `rrf/RXNREL.RRF`).
    pub fn load_zip(zip_path: &Path) -> Result<RxNorm, BuildError> {
        let io = |source| BuildError::Io {
            path: zip_path.to_path_buf(),
            source,
        };
        let bad = |detail: String| BuildError::Format {
            path: zip_path.to_path_buf(),
            line: 0,
            detail,
        };
        let file = std::fs::File::open(zip_path).map_err(io)?;
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| bad(format!("not a readable zip: {e}")))?;
        let find = |archive: &zip::ZipArchive<std::fs::File>, suffix: &str| -> Option<String> {
            archive
                .file_names()
                .filter_map(Result::ok)
                .map(|n| n.to_string())
                .filter(|n| n.to_ascii_uppercase().ends_with(suffix))
                .min()
        };
        let conso = find(&archive, "RXNCONSO.RRF")
            .ok_or_else(|| bad("no RXNCONSO.RRF in the zip".into()))?;
        let rel = find(&archive, "RXNREL.RRF");
        let mut rx = RxNorm {
            origin: format!(
                "`{}` (official release: RXNCONSO.RRF SAB=RXNORM, SUPPRESS=N{})",
                zip_path.file_name().unwrap_or_default().to_string_lossy(),
                if rel.is_some() { "; RXNREL.RRF" } else { "" }
            ),
            ..RxNorm::default()
        };
        // Atoms per concept: (tty, name).
        let mut atoms: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        {
            let entry = archive
                .by_name(&conso)
                .map_err(|e| bad(format!("{conso}: {e}")))?;
            for line in BufReader::new(entry).lines() {
                let line = line.map_err(io)?;
                let f: Vec<&str> = line.split('|').collect();
                if f.len() < 17 || f[11] != "RXNORM" || f[16] != "N" {
                    continue;
                }
                atoms
                    .entry(f[0].to_string())
                    .or_default()
                    .push((f[12].to_string(), crate::tsv::squash_spaces(f[14])));
            }
        }
        for (rxcui, list) in atoms {
            let Some((tty, name)) = KEPT_TTYS
                .iter()
                .find_map(|t| list.iter().find(|(tty, _)| tty == t))
            else {
                continue;
            };
            let mut synonyms: Vec<String> = list
                .iter()
                .filter(|(t, n)| matches!(t.as_str(), "SY" | "PSN") && n != name)
                .map(|(_, n)| n.clone())
                .collect();
            synonyms.sort();
            synonyms.dedup();
            rx.concepts.insert(
                rxcui.clone(),
                Concept {
                    rxcui,
                    tty: tty.clone(),
                    name: name.clone(),
                    current: true,
                    n_sources: 1,
                    synonyms,
                },
            );
        }
        if let Some(rel) = rel {
            let mut entry = archive
                .by_name(&rel)
                .map_err(|e| bad(format!("{rel}: {e}")))?;
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(io)?;
            rx.read_relations(&text);
        }
        Ok(rx)
    }

    /// Reads RXNREL.RRF lines. The direction of a relation is taken from the term types of its
    /// two concepts, so either reading of RXCUI1/RXCUI2 gives the same links.
    fn read_relations(&mut self, text: &str) {
        let mut scd_scdc: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut scdc_in: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut pack_drug: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // SCDC concepts are not kept as rows (their term type is unknown here), but their links
        // are needed: an unknown concept on the other side of an SCD or IN link is an SCDC.
        let tty =
            |c: &str, concepts: &BTreeMap<String, Concept>| concepts.get(c).map(|c| c.tty.clone());
        for line in text.lines() {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() < 11 || f[10] != "RXNORM" {
                continue;
            }
            let (a, b, rela) = (f[0], f[4], f[7]);
            let ta = tty(a, &self.concepts);
            let tb = tty(b, &self.concepts);
            match rela {
                "form_of" | "has_form" => {
                    if let (Some(x), Some(y)) = (&ta, &tb) {
                        match (x.as_str(), y.as_str()) {
                            ("PIN", "IN") => {
                                self.rel_pin_in.insert(a.into(), b.into());
                            }
                            ("IN", "PIN") => {
                                self.rel_pin_in.insert(b.into(), a.into());
                            }
                            _ => {}
                        }
                    }
                }
                "tradename_of" | "has_tradename" => {
                    if let (Some(x), Some(y)) = (&ta, &tb) {
                        match (x.as_str(), y.as_str()) {
                            ("BN", "IN") => {
                                self.rel_bn_in.entry(a.into()).or_default().insert(b.into());
                            }
                            ("IN", "BN") => {
                                self.rel_bn_in.entry(b.into()).or_default().insert(a.into());
                            }
                            ("SBD", "SCD") => {
                                self.rel_sbd_scd.insert(a.into(), b.into());
                            }
                            ("SCD", "SBD") => {
                                self.rel_sbd_scd.insert(b.into(), a.into());
                            }
                            _ => {}
                        }
                    }
                }
                "consists_of" | "constitutes" => {
                    // SCD ↔ SCDC (the SCDC is not a kept concept).
                    match (ta.as_deref(), tb.as_deref()) {
                        (Some("SCD"), None) => {
                            scd_scdc.entry(a.into()).or_default().insert(b.into());
                        }
                        (None, Some("SCD")) => {
                            scd_scdc.entry(b.into()).or_default().insert(a.into());
                        }
                        _ => {}
                    }
                }
                "has_ingredient" | "ingredient_of" => match (ta.as_deref(), tb.as_deref()) {
                    (None, Some("IN")) => {
                        scdc_in.entry(a.into()).or_default().insert(b.into());
                    }
                    (Some("IN"), None) => {
                        scdc_in.entry(b.into()).or_default().insert(a.into());
                    }
                    _ => {}
                },
                "has_part" | "part_of" => match (ta.as_deref(), tb.as_deref()) {
                    (Some("MIN"), Some("IN")) => {
                        self.rel_min_in
                            .entry(a.into())
                            .or_default()
                            .insert(b.into());
                    }
                    (Some("IN"), Some("MIN")) => {
                        self.rel_min_in
                            .entry(b.into())
                            .or_default()
                            .insert(a.into());
                    }
                    _ => {}
                },
                "contains" | "contained_in" => match (ta.as_deref(), tb.as_deref()) {
                    (Some("GPCK" | "BPCK"), Some("SCD" | "SBD")) => {
                        pack_drug.entry(a.into()).or_default().insert(b.into());
                    }
                    (Some("SCD" | "SBD"), Some("GPCK" | "BPCK")) => {
                        pack_drug.entry(b.into()).or_default().insert(a.into());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        for (scd, comps) in &scd_scdc {
            let ins: BTreeSet<String> = comps
                .iter()
                .filter_map(|c| scdc_in.get(c))
                .flatten()
                .cloned()
                .collect();
            if !ins.is_empty() {
                self.rel_drug_in.insert(scd.clone(), ins);
            }
        }
        let sbd_scd = self.rel_sbd_scd.clone();
        for (sbd, scd) in &sbd_scd {
            if let Some(ins) = self.rel_drug_in.get(scd).cloned() {
                self.rel_drug_in.entry(sbd.clone()).or_insert(ins);
            }
        }
        for (pack, drugs) in &pack_drug {
            let ins: BTreeSet<String> = drugs
                .iter()
                .filter_map(|d| self.rel_drug_in.get(d))
                .flatten()
                .cloned()
                .collect();
            if !ins.is_empty() {
                self.rel_drug_in.insert(pack.clone(), ins);
            }
        }
    }
}
