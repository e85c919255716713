//! Compiles the term tables in `dictionaries/*.tsv` into a finite-state transducer (term key →
//! group of rows) and a blob of the rows, both embedded in the binary. Start-up then costs
//! nothing, however large the dictionaries: measured alternatives (building an Aho-Corasick
//! automaton over ~235,000 terms at start) took 3.5 s.

#[path = "src/normalize/fold.rs"]
#[allow(dead_code)]
mod fold;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const TERM_HEADER: &str = "term\tkind\tsystem\tcode\tdisplay\tcategory\tflags";

fn main() {
    println!("cargo:rerun-if-changed=dictionaries");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    let mut files: Vec<_> = fs::read_dir("dictionaries")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "tsv"));
    files.sort();

    // key → rows (file id, line)
    let mut groups: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut names = Vec::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = fs::read_to_string(path).expect("dictionary is UTF-8");
        let mut lines = text.lines();
        if lines.next() != Some(TERM_HEADER) {
            continue; // not a term table (sections, context rules, …)
        }
        let id = names.len();
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        for (n, line) in lines.enumerate() {
            // A row the runtime could not read is a build error, not a row silently dropped.
            if let Err(detail) = check_term_row(line) {
                panic!("{}:{}: {detail}", path.display(), n + 2);
            }
            let term = line.split('\t').next().unwrap_or("");
            let key = fold::term_key(term);
            if key.is_empty() {
                continue;
            }
            groups.entry(key).or_default().push((id, line.to_string()));
        }
    }
    let mut blob = String::new();
    let mut builder = fst::MapBuilder::memory();
    for (key, rows) in &groups {
        let offset = blob.len() as u64;
        for (id, line) in rows {
            blob.push_str(&id.to_string());
            blob.push('\t');
            blob.push_str(line);
            blob.push('\n');
        }
        builder
            .insert(key, (offset << 20) | rows.len().min(0xFFFFF) as u64)
            .expect("keys are sorted");
    }
    let fst_bytes = builder.into_inner().expect("fst");
    let depths = longest_below(&fst_bytes);
    // Every word of every term and section header: the vocabulary OCR'd words are corrected
    // toward ...
    let mut words: std::collections::BTreeSet<String> = groups
        .keys()
        .flat_map(|k| k.split(' ').map(str::to_string).collect::<Vec<_>>())
        .collect();
    if let Ok(sections) = fs::read_to_string("dictionaries/sections.tsv") {
        println!("cargo:rerun-if-changed=dictionaries/sections.tsv");
        for line in sections.lines().skip(1) {
            let header = line.split('\t').next().unwrap_or("");
            words.extend(
                fold::term_key(header)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string),
            );
        }
    }
    // ... and the words of the ConText triggers, so that a misread "problem intormation not
    // available" still reads as the statement it is.
    if let Ok(context) = fs::read_to_string("dictionaries/context.tsv") {
        println!("cargo:rerun-if-changed=dictionaries/context.tsv");
        for line in context.lines().skip(1) {
            let trigger = line.split('\t').next().unwrap_or("");
            if trigger.starts_with("re:") {
                continue;
            }
            words.extend(
                fold::term_key(trigger)
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string),
            );
        }
    }
    let mut word_set = fst::SetBuilder::memory();
    for w in &words {
        word_set.insert(w).expect("sorted words");
    }
    let word_bytes = word_set.into_inner().expect("fst");
    fs::write(
        Path::new(&out_dir).join("words.depth"),
        longest_below(&word_bytes),
    )
    .unwrap();
    fs::write(Path::new(&out_dir).join("words.fst"), word_bytes).unwrap();
    let out = Path::new(&out_dir);
    fs::write(out.join("terms.fst"), fst_bytes).unwrap();
    fs::write(out.join("terms.depth"), depths).unwrap();
    fs::write(out.join("terms.blob"), blob).unwrap();
    fs::write(out.join("term_files.txt"), names.join("\n")).unwrap();
}

/// Checks a term-table row as the runtime reads it (`dictionary::Entry::parse`; a test checks
/// that every row compiled here parses there): five to seven columns, a term with letters or
/// digits, a known kind and code system, a code, known flags.
fn check_term_row(line: &str) -> Result<(), String> {
    let cols: Vec<&str> = line.split('\t').collect();
    if !(5..=7).contains(&cols.len()) {
        return Err(format!("{} columns, expected 5 to 7", cols.len()));
    }
    if fold::term_key(cols[0].trim()).is_empty() {
        return Err("the term has no letters or digits".into());
    }
    if !matches!(
        cols[1].trim(),
        "condition" | "medication" | "allergen" | "reaction"
    ) {
        return Err(format!("unknown kind {:?}", cols[1]));
    }
    if !matches!(cols[2].trim(), "snomed" | "icd10cm" | "rxnorm" | "unii") {
        return Err(format!("unknown code system {:?}", cols[2]));
    }
    if cols[3].trim().is_empty() {
        return Err("the code is empty".into());
    }
    for flag in cols.get(6).unwrap_or(&"").split(';').map(str::trim) {
        let known = flag.is_empty()
            || flag == "cs"
            || ["tty=", "section=", "via="]
                .iter()
                .any(|p| flag.starts_with(p));
        if !known {
            return Err(format!("unknown flag {flag:?}"));
        }
    }
    Ok(())
}

/// For every state of an automaton (terms, words), by its address: the length of the longest
/// key below it (capped at 255). The approximate walks stop where no key long enough to be
/// worth their errors is left (see `src/dictionary/approx.rs`, `src/normalize/ocr.rs`).
fn longest_below(fst_bytes: &[u8]) -> Vec<u8> {
    let fst = fst::raw::Fst::new(fst_bytes).expect("fst");
    let mut depth = vec![0u8; fst_bytes.len() + 1];
    let mut done = vec![false; fst_bytes.len() + 1];
    // Depth-first, children before parents, without recursion.
    let mut stack = vec![(fst.root().addr(), false)];
    while let Some((addr, children_done)) = stack.pop() {
        if done[addr] {
            continue;
        }
        let node = fst.node(addr);
        if children_done {
            depth[addr] = node
                .transitions()
                .map(|t| depth[t.addr].saturating_add(1))
                .max()
                .unwrap_or(0);
            done[addr] = true;
        } else {
            stack.push((addr, true));
            stack.extend(
                node.transitions()
                    .filter(|t| !done[t.addr])
                    .map(|t| (t.addr, false)),
            );
        }
    }
    depth
}
