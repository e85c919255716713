//! The shipped dictionaries: well-formed, sorted, consistent, and not stale.
//!
//! - Every `dictionaries/*.tsv` has its header, valid kinds, systems, categories and flags, is
//!   sorted in byte order and has no duplicate lines (always runs).
//! - When the raw vocabularies are present (`../shared/vocab`, or `CHART2FHIR_VOCAB`), the build
//!   runs into a temporary folder and every output must equal the shipped file byte for byte.
//!   Regenerate with `cargo run --release --bin build-dictionaries -- --vocab ../shared/vocab`.
//! - Contradictions: a stop word that a curated table uses, a term that is both an allergen and
//!   a medication, a curated code missing from the raw vocabulary.
//! - Parsers, and the official-release (zip) path on a tiny synthetic release.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use build_dictionaries::{
    BuildOptions, CLINICAL_DRUG_HEADER, CURATED_TERM_FILES, FILE_ALLERGENS, FILE_EXCEPTIONS,
    FILE_STOPWORDS, OUTPUT_FILES, Row, TERM_FILES, TERM_HEADER, WORD_HEADER, build, build_with,
    icd_strip_unspecified, icd_variants, parse_drug_name, parse_pack_name, term_key,
};

/// The repository (this crate lives in `crates/build-dictionaries`).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dict_dir() -> PathBuf {
    repo().join("dictionaries")
}

/// The raw vocabularies, when this machine has them.
fn vocab_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CHART2FHIR_VOCAB") {
        Some(d) => PathBuf::from(d),
        None => repo().join("../shared/vocab"),
    };
    dir.join("snomed-gps-20200731.tsv").exists().then_some(dir)
}

fn read(file: &str) -> String {
    std::fs::read_to_string(dict_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Data lines of a shipped table, after checking the header.
fn lines<'a>(file: &str, text: &'a str, header: &str) -> Vec<&'a str> {
    let mut it = text.lines();
    assert_eq!(it.next(), Some(header), "{file}: header");
    it.collect()
}

fn rows(file: &str) -> Vec<Row> {
    let text = read(file);
    lines(file, &text, TERM_HEADER)
        .iter()
        .enumerate()
        .map(|(i, l)| Row::parse(l).unwrap_or_else(|e| panic!("{file}:{}: {e}", i + 2)))
        .collect()
}

#[test]
fn every_table_is_well_formed_sorted_and_unique() {
    let mut names: Vec<String> = std::fs::read_dir(dict_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tsv"))
        .collect();
    names.sort();
    for name in [FILE_STOPWORDS, FILE_EXCEPTIONS] {
        assert!(names.iter().any(|n| n == name), "{name} is missing");
    }
    for name in &names {
        let text = read(name);
        assert!(text.ends_with('\n'), "{name}: no final line break");
        let header = text.lines().next().unwrap_or("");
        let data = lines(name, &text, header);
        for pair in data.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{name}: not sorted or duplicated at {:?}",
                pair[1]
            );
        }
        match header {
            TERM_HEADER => {
                for (i, l) in data.iter().enumerate() {
                    Row::parse(l).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 2));
                }
            }
            WORD_HEADER => {
                for l in &data {
                    let (term, reason) = l.split_once('\t').expect("term<TAB>reason");
                    assert!(
                        !term.is_empty() && !reason.trim().is_empty(),
                        "{name}: {l:?}"
                    );
                    assert!(!reason.contains('\t'), "{name}: {l:?}");
                }
            }
            CLINICAL_DRUG_HEADER => {
                for l in &data {
                    let f: Vec<&str> = l.split('\t').collect();
                    assert_eq!(f.len(), 6, "{name}: {l:?}");
                    assert!(matches!(f[1], "SCD" | "SBD"), "{name}: {l:?}");
                    assert_eq!(
                        f[2].split(';').count(),
                        f[3].split(';').count(),
                        "{name}: ingredients and strengths differ in number: {l:?}"
                    );
                    assert!(!f[4].is_empty(), "{name}: no dose form: {l:?}");
                }
            }
            other => {
                // Tables of other stages (sections, context rules) are checked by their owners.
                assert!(
                    !TERM_FILES.contains(&name.as_str()),
                    "{name}: header {other:?}"
                );
            }
        }
    }
}

#[test]
fn one_code_per_term_kind_system_and_tty() {
    // (key, kind, system, tty) → codes; ingredient rows of one combination drug may be several.
    let mut seen: BTreeMap<(String, String, String, String), BTreeSet<String>> = BTreeMap::new();
    let mut via_in: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for file in TERM_FILES {
        for r in rows(file) {
            let k = (
                r.key(),
                r.kind.clone(),
                r.system.clone(),
                r.flags.tty.clone().unwrap_or_default(),
            );
            if r.flags.via.is_some() && r.flags.tty.as_deref() == Some("IN") {
                via_in.insert(k.clone());
            }
            seen.entry(k).or_default().insert(r.code);
        }
    }
    let clashes: Vec<_> = seen
        .iter()
        .filter(|(k, codes)| codes.len() > 1 && !via_in.contains(*k))
        .take(10)
        .collect();
    assert!(clashes.is_empty(), "terms with two codes: {clashes:?}");
}

#[test]
fn curated_tables_do_not_contradict_each_other() {
    let stop: BTreeSet<String> = lines(FILE_STOPWORDS, &read(FILE_STOPWORDS), WORD_HEADER)
        .iter()
        .map(|l| term_key(l.split('\t').next().unwrap()))
        .collect();
    for (file, kind) in CURATED_TERM_FILES {
        for r in rows(file) {
            assert_eq!(&r.kind, kind, "{file}: {r:?}");
            assert!(
                r.flags.cs || !stop.contains(&r.key()),
                "{file}: {:?} is also a stop word",
                r.term
            );
        }
    }
    // An allergen term is never also a medication term (the runtime uses medication rows as
    // drug allergens; the allergen row stands alone).
    let allergens: BTreeSet<String> = rows(FILE_ALLERGENS).iter().map(Row::key).collect();
    for file in TERM_FILES {
        for r in rows(file).iter().filter(|r| r.kind == "medication") {
            assert!(
                !allergens.contains(&r.key()),
                "{file}: {:?} is also an allergen",
                r.term
            );
        }
    }
}

#[test]
fn curated_codes_exist_in_the_raw_vocabularies() {
    let Some(vocab) = vocab_dir() else {
        eprintln!("note: raw vocabularies not found (set CHART2FHIR_VOCAB); code check skipped");
        return;
    };
    let column = |file: &str, col: usize, filter: &dyn Fn(&[&str]) -> bool| -> BTreeSet<String> {
        std::fs::read_to_string(vocab.join(file))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|f| f.len() > col && filter(f))
            .map(|f| f[col].to_string())
            .collect()
    };
    let mut snomed = column("snomed-gps-20200731.tsv", 0, &|_| true);
    snomed.extend(column("snomed-codes-in-fhir-specs.tsv", 1, &|f| {
        f[0] == "SNOMED"
    }));
    let icd = column("icd10cm-2026-04.tsv", 1, &|_| true);
    let rxnorm = column("rxnorm-names.tsv", 0, &|_| true);
    let unii = column("unii-brand-and-official-names.tsv", 2, &|_| true);
    for (file, _) in CURATED_TERM_FILES {
        for r in rows(file) {
            let known = match r.system.as_str() {
                "snomed" => &snomed,
                "icd10cm" => &icd,
                "rxnorm" => &rxnorm,
                _ => &unii,
            };
            assert!(
                known.contains(&r.code),
                "{file}: {} {} of {:?}",
                r.system,
                r.code,
                r.term
            );
        }
    }
}

#[test]
fn shipped_dictionaries_are_not_stale() {
    let Some(vocab) = vocab_dir() else {
        eprintln!(
            "note: raw vocabularies not found (../shared/vocab or CHART2FHIR_VOCAB); \
             the stale-dictionary check is skipped"
        );
        return;
    };
    let out = tempfile::tempdir().unwrap();
    build(&vocab, &dict_dir(), out.path()).unwrap_or_else(|e| panic!("build failed: {e}"));
    let mut stale = Vec::new();
    for file in OUTPUT_FILES {
        let built = std::fs::read(out.path().join(file)).unwrap();
        let shipped = std::fs::read(dict_dir().join(file)).unwrap_or_default();
        if built != shipped {
            stale.push(*file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale dictionaries {stale:?}: run `cargo run --release --bin build-dictionaries -- --vocab {}`",
        vocab.display()
    );
}

#[test]
fn clinical_drug_names_parse() {
    let d = parse_drug_name("Acetaminophen 325 MG / Hydrocodone Bitartrate 5 MG Oral Tablet")
        .expect("parses");
    let names: Vec<&str> = d.components.iter().map(|(n, _)| n.as_str()).collect();
    let strengths: Vec<&str> = d.components.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(names, ["Acetaminophen", "Hydrocodone Bitartrate"]);
    assert_eq!(strengths, ["325 MG", "5 MG"]);
    assert_eq!(d.dose_form, "Oral Tablet");

    let d = parse_drug_name("1 ML medroxyprogesterone acetate 150 MG/ML Injection [Depo-Provera]")
        .expect("parses");
    assert_eq!(d.prefix, ["1 ML"]);
    assert_eq!(d.components[0].1, "150 MG/ML");
    assert_eq!(d.dose_form, "Injection");
    assert_eq!(d.brand.as_deref(), Some("Depo-Provera"));

    let p = parse_pack_name("{28 (norethindrone 0.35 MG Oral Tablet) } Pack [Camila 28 Day]")
        .expect("parses");
    assert_eq!(p.brand.as_deref(), Some("Camila 28 Day"));
    assert_eq!(p.drugs[0].components[0].0, "norethindrone");
}

#[test]
fn icd_inclusion_term_wordings() {
    assert_eq!(
        icd_variants("Essential (primary) hypertension"),
        ["Essential (primary) hypertension", "Essential hypertension"]
    );
    assert_eq!(
        icd_variants("Subsequent transmural (Q wave) infarction (acute)(of) inferior (wall)"),
        [
            "Subsequent transmural (Q wave) infarction (acute)(of) inferior (wall)",
            "Subsequent transmural infarction inferior"
        ]
    );
    assert_eq!(icd_variants("Cocaine (topical)"), ["Cocaine (topical)"]);
    assert_eq!(
        icd_strip_unspecified("Hypothyroidism, unspecified").as_deref(),
        Some("Hypothyroidism")
    );
    assert_eq!(term_key("Crohn's disease"), "crohns disease");
}

#[test]
fn shipped_tables_know_the_common_wordings() {
    let mut terms: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    for file in TERM_FILES {
        for r in rows(file) {
            terms.entry((r.key(), r.kind.clone())).or_default().push(r);
        }
    }
    let codes = |term: &str, kind: &str| -> Vec<String> {
        terms
            .get(&(term_key(term), kind.to_string()))
            .map(|rs| {
                rs.iter()
                    .map(|r| format!("{}|{}", r.system, r.code))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (term, kind, code) in [
        ("HTN", "condition", "icd10cm|I10"),
        ("a-fib", "condition", "icd10cm|I48.91"),
        ("Essential hypertension", "condition", "icd10cm|I10"),
        ("Essential hypertension", "condition", "snomed|59621000"),
        ("type 2 diabetes", "condition", "icd10cm|E11.9"),
        ("CKD stage 3", "condition", "icd10cm|N18.30"),
        ("Lipitor", "medication", "rxnorm|83367"),
        ("Lisinopril 10 MG Oral Tablet", "medication", "rxnorm|29046"),
        ("Ventolin", "medication", "rxnorm|435"),
        ("PCN", "allergen", "snomed|373270004"),
        ("Peanuts", "allergen", "snomed|762952008"),
        ("Hives", "reaction", "snomed|126485001"),
    ] {
        assert!(
            codes(term, kind).iter().any(|c| c == code),
            "{term} ({kind}) lacks {code}"
        );
    }
    for word in ["fall", "lead", "water", "male", "pain"] {
        for kind in ["condition", "medication", "allergen"] {
            assert!(
                codes(word, kind).is_empty(),
                "{word:?} must not be a {kind} term"
            );
        }
    }
}

/// A tiny vocabulary folder and curated folder, and an RxNorm release zip.
fn synthetic_inputs(root: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let vocab = root.join("vocab");
    let curated = root.join("curated");
    std::fs::create_dir_all(&vocab).unwrap();
    std::fs::create_dir_all(&curated).unwrap();
    let write = |dir: &Path, name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write(
        &vocab,
        "snomed-gps-20200731.tsv",
        "sctid\tterm\tsemantic_tag\tfsn\n\
         38341003\tHypertensive disorder, systemic arterial\tdisorder\tHypertensive disorder, systemic arterial (disorder)\n\
         160903007\tFull-time employment\tfinding\tFull-time employment (finding)\n",
    );
    write(
        &vocab,
        "icd10cm-2026-04.tsv",
        "code\tcode_dot\tbillable\tdescription\nI10\tI10\t1\tEssential (primary) hypertension\n\
         W010\tW01.0\t0\tFall on same level\n",
    );
    write(
        &vocab,
        "icd10cm-2026-04-inclusion-terms.tsv",
        "code\tcode_dot\tterm\tterm_type\nI10\tI10\tHigh blood pressure\tinclusion_term\n",
    );
    write(
        &vocab,
        "unii-brand-and-official-names.tsv",
        "name\tname_type\tunii\tdisplay_name\nLISINOPRIL\tof\tE7199S1YWR\tLISINOPRIL\n",
    );
    for (file, _) in CURATED_TERM_FILES {
        write(&curated, file, &format!("{TERM_HEADER}\n"));
    }
    write(&curated, FILE_STOPWORDS, &format!("{WORD_HEADER}\n"));
    write(&curated, FILE_EXCEPTIONS, &format!("{WORD_HEADER}\n"));
    write(
        &curated,
        "SOURCES.md",
        "# Sources\n<!-- counts: begin (written by build-dictionaries; do not edit) -->\n<!-- counts: end -->\n",
    );
    let conso = [
        "29046|ENG||||||A1|||29046|RXNORM|IN|29046|lisinopril||N|4096|",
        "196472|ENG||||||A2|||196472|RXNORM|BN|196472|Zestril||N|4096|",
        "314077|ENG||||||A3|||314077|RXNORM|SCD|314077|lisinopril 10 MG Oral Tablet||N|4096|",
        "104377|ENG||||||A4|||104377|RXNORM|SBD|104377|lisinopril 10 MG Oral Tablet [Zestril]||N|4096|",
        "104377|ENG||||||A5|||104377|RXNORM|SY|104377|Zestril 10 MG Oral Tablet||N|4096|",
        "316151|ENG||||||A6|||316151|RXNORM|SCDC|316151|lisinopril 10 MG||N|4096|",
        "900001|ENG||||||A7|||900001|RXNORM|BN|900001|Qbrand||N|4096|",
        "999|ENG||||||A8|||999|RXNORM|IN|999|retiredium||O|4096|",
        "998|ENG||||||A9|||998|MTHSPL|IN|998|otherium||N|4096|",
    ];
    let rel = [
        "29046||CUI|RO|900001||CUI|has_tradename|R1||RXNORM|RXNORM||Y|N||",
        "316151||CUI|RO|314077||CUI|constitutes|R2||RXNORM|RXNORM||Y|N||",
        "29046||CUI|RO|316151||CUI|ingredient_of|R3||RXNORM|RXNORM||Y|N||",
        "314077||CUI|RO|104377||CUI|has_tradename|R1||RXNORM|RXNORM||Y|N||",
    ];
    let zip_path = root.join("RxNorm_full_prescribe_01012026.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, lines) in [
        ("rrf/RXNCONSO.RRF", &conso[..]),
        ("rrf/RXNREL.RRF", &rel[..]),
    ] {
        zip.start_file(name, options).unwrap();
        for l in lines {
            writeln!(zip, "{l}").unwrap();
        }
    }
    zip.finish().unwrap();
    (vocab, curated, zip_path)
}

#[test]
fn official_release_zip_is_read() {
    let root = tempfile::tempdir().unwrap();
    let (vocab, curated, zip) = synthetic_inputs(root.path());
    let out = root.path().join("out");
    let opts = BuildOptions {
        vocab_dir: vocab,
        curated_dir: curated,
        out_dir: out.clone(),
        rxnorm_zip: Some(zip),
    };
    let report = build_with(&opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.files["medications-rxnorm.tsv"] > 0);
    let meds = std::fs::read_to_string(out.join("medications-rxnorm.tsv")).unwrap();
    for expected in [
        "lisinopril\tmedication\trxnorm\t29046\tlisinopril\tmedication\ttty=IN",
        // A brand linked only by RXNREL (no branded drug names it).
        "Qbrand\tmedication\trxnorm\t29046\tlisinopril\tmedication\ttty=IN;via=brand",
        "Qbrand\tmedication\trxnorm\t900001\tQbrand\tmedication\ttty=BN",
        // A synonym (SY) of a branded drug.
        "Zestril 10 MG Oral Tablet\tmedication\trxnorm\t104377\tlisinopril 10 MG Oral Tablet [Zestril]\tmedication\ttty=SBD",
        "lisinopril 10 MG Oral Tablet\tmedication\trxnorm\t29046\tlisinopril\tmedication\ttty=IN;via=clinical-drug",
    ] {
        assert!(
            meds.lines().any(|l| l == expected),
            "missing {expected:?} in\n{meds}"
        );
    }
    assert!(!meds.contains("retiredium"), "suppressed atoms are skipped");
    assert!(!meds.contains("otherium"), "other sources are skipped");
    assert!(
        !meds.contains("\t316151\t"),
        "component (SCDC) names are not terms"
    );
    let drugs = std::fs::read_to_string(out.join("rxnorm-clinical-drugs.tsv")).unwrap();
    assert!(drugs.contains("314077\tSCD\t29046\t10 MG\tOral Tablet\tlisinopril 10 MG Oral Tablet"));
    let sources = std::fs::read_to_string(out.join("SOURCES.md")).unwrap();
    assert!(sources.contains("RxNorm_full_prescribe_01012026.zip"));
    // Same inputs, same bytes.
    let again = root.path().join("again");
    build_with(&BuildOptions {
        out_dir: again.clone(),
        ..opts
    })
    .unwrap();
    for file in OUTPUT_FILES {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(again.join(file)).unwrap(),
            "{file} differs between two builds"
        );
    }
    // The condition vocabularies of the synthetic folder went through their filters.
    let snomed = std::fs::read_to_string(out.join("conditions-snomed.tsv")).unwrap();
    assert!(snomed.contains("Hypertensive disorder, systemic arterial"));
    assert!(!snomed.contains("employment"));
    let icd = std::fs::read_to_string(out.join("conditions-icd10cm.tsv")).unwrap();
    assert!(icd.contains("Essential hypertension\tcondition\ticd10cm\tI10\t"));
    assert!(icd.contains("High blood pressure\tcondition\ticd10cm\tI10\t"));
    assert!(!icd.contains("W01.0"));
}
