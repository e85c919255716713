//! The dosage grammar, as a table: a medication row → what it must yield.

use super::*;

/// (row, drug name at its start, route code, times per day, as needed, dose "value unit")
type Case = (&'static str, &'static str, Option<&'static str>, Option<f64>, Option<bool>, Option<&'static str>);

const ORAL: Option<&str> = Some("26643006");
const IV: Option<&str> = Some("47625008");
const IM: Option<&str> = Some("78421000");
const SC: Option<&str> = Some("34206005");
const INH: Option<&str> = Some("447694001");
const TOP: Option<&str> = Some("6064005");
const OPH: Option<&str> = Some("54485002");
const NAS: Option<&str> = Some("46713006");
const SL: Option<&str> = Some("37839007");
const PR: Option<&str> = Some("37161004");
const TD: Option<&str> = Some("45890007");
const OTIC: Option<&str> = Some("10547007");
const VAG: Option<&str> = Some("16857009");

const CASES: &[Case] = &[
    ("lisinopril 10 mg tablet by mouth once daily", "lisinopril", ORAL, Some(1.0), None, None),
    ("lisinopril 10 mg tablet PO daily", "lisinopril", ORAL, Some(1.0), None, None),
    ("lisinopril 10 mg 1 tab po qd", "lisinopril", ORAL, Some(1.0), None, Some("1 {tablet}")),
    ("metformin 500 mg PO BID", "metformin", ORAL, Some(2.0), None, None),
    ("metformin 500 mg by mouth twice a day with meals", "metformin", ORAL, Some(2.0), None, None),
    ("metformin 1000 mg orally two times daily", "metformin", ORAL, Some(2.0), None, None),
    ("metformin 500 mg 2 times a day", "metformin", None, Some(2.0), None, None),
    ("metformin ER 500 mg b.i.d.", "metformin", None, Some(2.0), None, None),
    ("amoxicillin 500 mg capsule PO TID x 10 days", "amoxicillin", ORAL, Some(3.0), None, None),
    ("amoxicillin 875 mg by mouth three times a day for 10 days", "amoxicillin", ORAL, Some(3.0), None, None),
    ("cephalexin 500 mg PO QID", "cephalexin", ORAL, Some(4.0), None, None),
    ("cephalexin 500 mg four times daily", "cephalexin", None, Some(4.0), None, None),
    ("cephalexin 250 mg 4 times a day", "cephalexin", None, Some(4.0), None, None),
    ("oxycodone 5 mg PO q4h prn pain", "oxycodone", ORAL, Some(6.0), Some(true), None),
    ("oxycodone 5 mg every 4 hours as needed for pain", "oxycodone", None, Some(6.0), Some(true), None),
    ("ibuprofen 400 mg PO q6h PRN", "ibuprofen", ORAL, Some(4.0), Some(true), None),
    ("ibuprofen 600 mg every 6 hours as needed", "ibuprofen", None, Some(4.0), Some(true), None),
    ("ibuprofen 200 mg every 6-8 hours as needed for pain", "ibuprofen", None, Some(4.0), Some(true), None),
    ("acetaminophen 650 mg PO q6h", "acetaminophen", ORAL, Some(4.0), None, None),
    ("acetaminophen 325 mg 2 tablets by mouth every 6 hours as needed", "acetaminophen", ORAL, Some(4.0), Some(true), Some("2 {tablet}")),
    ("ACETAMINOPHEN (Tylenol) 325 MG 650 MG ORAL EVERY FOUR HOURS AS NEEDED", "ACETAMINOPHEN", ORAL, Some(6.0), Some(true), Some("650 mg")),
    ("Tylenol Extra Strength 500 MG TAB Take one (1) tablet by mouth once a day, as needed", "Tylenol Extra Strength", ORAL, Some(1.0), Some(true), Some("1 {tablet}")),
    ("Benadryl 25 mg capsule Take 2 capsules by mouth every 4 hours", "Benadryl", ORAL, Some(6.0), None, Some("2 {capsule}")),
    ("Bayer Advanced 500 mg tablet 1 tablet by mouth daily", "Bayer Advanced", ORAL, Some(1.0), None, Some("1 {tablet}")),
    ("cefTRIAXone 10 GM PDS Inject ten (10) grams intravenously twice a day", "cefTRIAXone", IV, Some(2.0), None, Some("10 g")),
    ("ceftriaxone 1 g IV q24h", "ceftriaxone", IV, Some(1.0), None, None),
    ("ceftriaxone 1 g intravenous every 24 hours", "ceftriaxone", IV, Some(1.0), None, None),
    ("vancomycin 1 g IV q12h", "vancomycin", IV, Some(2.0), None, None),
    ("vancomycin 1,250 mg IVPB every 12 hours", "vancomycin", IV, Some(2.0), None, None),
    ("piperacillin-tazobactam 4.5 g IV q8h", "piperacillin-tazobactam", IV, Some(3.0), None, None),
    ("Aranesp 0.5 MG/1 ML SOL Inject one (1) milliliter injection weekly", "Aranesp", None, Some(1.0 / 7.0), None, Some("1 mL")),
    ("enoxaparin 40 mg subcut daily", "enoxaparin", SC, Some(1.0), None, None),
    ("enoxaparin 40 mg SC once daily", "enoxaparin", SC, Some(1.0), None, None),
    ("heparin 5000 units subcutaneously every 8 hours", "heparin", SC, Some(3.0), None, Some("5000 [iU]")),
    ("insulin glargine 20 units SQ at bedtime", "insulin glargine", SC, Some(1.0), None, Some("20 [iU]")),
    ("insulin lispro 4 units subcutaneous three times daily with meals", "insulin lispro", SC, Some(3.0), None, Some("4 [iU]")),
    ("Lantus 10 units subq nightly", "Lantus", SC, Some(1.0), None, Some("10 [iU]")),
    ("medroxyprogesterone 150 mg IM every 3 months", "medroxyprogesterone", IM, Some(1.0 / 90.0), None, None),
    ("ceftriaxone 250 mg IM once", "ceftriaxone", IM, None, None, None),
    ("PROMETHAZINE INJ (Phenergan) 25 mg intramuscular every 6 hours as needed for nausea", "PROMETHAZINE INJ", IM, Some(4.0), Some(true), None),
    ("vitamin B12 1000 mcg IM monthly", "vitamin B12", IM, Some(1.0 / 30.0), None, None),
    ("albuterol 90 mcg/actuat 2 puffs inhaled every 4 hours as needed for wheezing", "albuterol", INH, Some(6.0), Some(true), Some("2 {puff}")),
    ("albuterol 2 puffs q4-6h prn", "albuterol", None, Some(6.0), Some(true), Some("2 {puff}")),
    ("Albuterol 0.09 MG/ACTUAT inhalant powder, 2 puffs once", "Albuterol", INH, None, None, Some("2 {puff}")),
    ("albuterol 2.5 mg/3 mL nebulized every 6 hours", "albuterol", INH, Some(4.0), None, None),
    ("albuterol 2.5 mg via nebulizer q4h prn shortness of breath", "albuterol", INH, Some(6.0), Some(true), None),
    ("fluticasone 110 mcg 2 puffs inhaled twice daily", "fluticasone", INH, Some(2.0), None, Some("2 {puff}")),
    ("Symbicort 160-4.5 mcg 2 inhalations twice daily", "Symbicort", None, Some(2.0), None, Some("2 {puff}")),
    ("tiotropium 18 mcg inhale contents of one capsule daily", "tiotropium", INH, Some(1.0), None, Some("1 {capsule}")),
    ("fluticasone nasal spray 2 sprays in each nostril daily", "fluticasone", NAS, Some(1.0), None, Some("2 {spray}")),
    ("Flonase 50 mcg/spray 1 spray intranasal daily", "Flonase", NAS, Some(1.0), None, Some("1 {spray}")),
    ("hydrocortisone 1% cream apply topically twice daily", "hydrocortisone", TOP, Some(2.0), None, None),
    ("triamcinolone 0.1% ointment topical BID", "triamcinolone", TOP, Some(2.0), None, None),
    ("mupirocin 2% ointment apply to skin three times a day", "mupirocin", TOP, Some(3.0), None, None),
    ("nitroglycerin 0.4 mg SL every 5 minutes as needed for chest pain", "nitroglycerin", SL, None, Some(true), None),
    ("nitroglycerin 0.4 mg tablet under the tongue as needed", "nitroglycerin", SL, None, Some(true), None),
    ("NTG 0.4 mg sublingual prn", "NTG", SL, None, Some(true), None),
    ("nicotine 21 mg/24 hr patch transdermal daily", "nicotine", TD, Some(1.0), None, None),
    ("fentanyl 25 mcg/hr transdermal patch every 72 hours", "fentanyl", TD, Some(1.0 / 3.0), None, None),
    ("acetaminophen 650 mg suppository PR q6h prn fever", "acetaminophen", PR, Some(4.0), Some(true), None),
    ("bisacodyl 10 mg rectally daily as needed", "bisacodyl", PR, Some(1.0), Some(true), None),
    ("ERYTHROMYCIN 5 MG/GM OINT OPHTHALMIC", "ERYTHROMYCIN", OPH, None, None, None),
    ("latanoprost 0.005% 1 drop in each eye at bedtime", "latanoprost", OPH, Some(1.0), None, Some("1 [drp]")),
    ("timolol 0.5% ophthalmic solution 1 drop in both eyes twice daily", "timolol", OPH, Some(2.0), None, Some("1 [drp]")),
    ("ciprofloxacin otic 4 drops in each ear twice daily", "ciprofloxacin", OTIC, Some(2.0), None, Some("4 [drp]")),
    ("metronidazole 0.75% gel 1 applicator vaginally at bedtime", "metronidazole", VAG, Some(1.0), None, Some("1 {applicator}")),
    ("atorvastatin 40 mg at bedtime", "atorvastatin", None, Some(1.0), None, None),
    ("atorvastatin 20 mg PO QHS", "atorvastatin", ORAL, Some(1.0), None, None),
    ("simvastatin 20 mg nightly", "simvastatin", None, Some(1.0), None, None),
    ("levothyroxine 50 mcg every morning", "levothyroxine", None, Some(1.0), None, None),
    ("levothyroxine 75 mcg PO qAM on an empty stomach", "levothyroxine", ORAL, Some(1.0), None, None),
    ("furosemide 40 mg PO every morning", "furosemide", ORAL, Some(1.0), None, None),
    ("furosemide 20 mg every other day", "furosemide", None, Some(0.5), None, None),
    ("warfarin 5 mg QOD", "warfarin", None, Some(0.5), None, None),
    ("methotrexate 15 mg PO once a week", "methotrexate", ORAL, Some(1.0 / 7.0), None, None),
    ("MTX 2.5 mg weekly", "MTX", None, Some(1.0 / 7.0), None, None),
    ("alendronate 70 mg once weekly", "alendronate", None, Some(1.0 / 7.0), None, None),
    ("vitamin D 50000 units every week", "vitamin D", None, Some(1.0 / 7.0), None, Some("50000 [iU]")),
    ("ondansetron 4 mg every 8 hours as needed for nausea", "ondansetron", None, Some(3.0), Some(true), None),
    ("ondansetron 4 mg ODT q8h prn n/v", "ondansetron", None, Some(3.0), Some(true), None),
    ("lorazepam 0.5 mg PO at bedtime as needed for sleep", "lorazepam", ORAL, Some(1.0), Some(true), None),
    ("zolpidem 5 mg at bedtime PRN insomnia", "zolpidem", None, Some(1.0), Some(true), None),
    ("aspirin 81 mg daily", "aspirin", None, Some(1.0), None, None),
    ("Aspirin 81 MG Oral Tablet", "Aspirin", ORAL, None, None, None),
    ("Hydrochlorothiazide 25 MG Oral Tablet", "Hydrochlorothiazide", ORAL, None, None, None),
    ("amLODIPine 2.5 MG Oral Tablet", "amLODIPine", ORAL, None, None, None),
    ("Fexofenadine hydrochloride 30 MG Oral Tablet", "Fexofenadine hydrochloride", ORAL, None, None, None),
    ("albuterol 0.83 MG/ML Inhalation Solution", "albuterol", INH, None, None, None),
    ("1 ML medroxyPROGESTERone acetate 150 MG/ML Injection", "medroxyPROGESTERone acetate", None, None, None, None),
    ("Lidocaine / Tetracaine Topical Product", "Lidocaine / Tetracaine", TOP, None, None, None),
    ("NDA020800 0.3 ML Epinephrine 1 MG/ML Auto-Injector", "Epinephrine", None, None, None, None),
    ("Loratadine 5 MG Chewable Tablet", "Loratadine", None, None, None, None),
    ("FISH OIL 500 MG 1 CAP ORAL DAILY", "FISH OIL", ORAL, Some(1.0), None, Some("1 {capsule}")),
    ("Fish Oil 1.0 CAP ORAL DAILY", "Fish Oil", ORAL, Some(1.0), None, Some("1 {capsule}")),
    // One mass after the name: strength or dose? Only the table's column header knows.
    ("ACETAZOLAMIDE SEQUELS (Diamox) 500.0 MG ORAL DAILY", "ACETAZOLAMIDE SEQUELS", ORAL, Some(1.0), None, None),
    ("LISINOPRIL 30 MG 30.0 mg PO", "LISINOPRIL", ORAL, None, None, Some("30 mg")),
    ("acetaminophen 160 mg/5 mL oral liquid 2.5 mL by Oral route every 8 hours prn fever", "acetaminophen", ORAL, Some(3.0), Some(true), Some("2.5 mL")),
    ("Effexor XR 37.5 mg capsule,extended release 1 capsule by mouth daily", "Effexor XR", ORAL, Some(1.0), None, Some("1 {capsule}")),
    ("lisinopril 5 mg tablet Take 1 tablet by mouth daily", "lisinopril", ORAL, Some(1.0), None, Some("1 {tablet}")),
    ("prednisone 20 mg PO daily for 5 days", "prednisone", ORAL, Some(1.0), None, None),
    ("prednisone 40 mg x 5 days", "prednisone", None, None, None, None),
    ("docusate 100 mg by mouth 2 times daily as needed for constipation", "docusate", ORAL, Some(2.0), Some(true), None),
    ("senna 8.6 mg 2 tablets at bedtime as needed", "senna", None, Some(1.0), Some(true), Some("2 {tablet}")),
    ("polyethylene glycol 17 g by mouth daily as needed", "polyethylene glycol", ORAL, Some(1.0), Some(true), None),
    ("potassium chloride 20 mEq PO BID", "potassium chloride", ORAL, Some(2.0), None, None),
    ("KCl 10 mEq by mouth once daily", "KCl", ORAL, Some(1.0), None, None),
    ("pantoprazole 40 mg PO daily before breakfast", "pantoprazole", ORAL, Some(1.0), None, None),
    ("omeprazole 20 mg capsule take 1 capsule daily", "omeprazole", None, Some(1.0), None, Some("1 {capsule}")),
    ("gabapentin 300 mg three times a day", "gabapentin", None, Some(3.0), None, None),
    ("gabapentin 100 mg 1 cap TID", "gabapentin", None, Some(3.0), None, Some("1 {capsule}")),
    ("tamsulosin 0.4 mg capsule daily 30 minutes after a meal", "tamsulosin", None, Some(1.0), None, None),
    ("sertraline 50 mg daily", "sertraline", None, Some(1.0), None, None),
    ("hydroxyzine 25 mg q6h prn itching", "hydroxyzine", None, Some(4.0), Some(true), None),
    ("melatonin 3 mg at night", "melatonin", None, None, None, None),
    ("clopidogrel 75 mg one tablet daily", "clopidogrel", None, Some(1.0), None, Some("1 {tablet}")),
    ("metoprolol tartrate 25 mg half tablet twice daily", "metoprolol tartrate", None, Some(2.0), None, Some("0.5 {tablet}")),
    ("Xarelto 20 mg with evening meal daily", "Xarelto", None, Some(1.0), None, None),
];

#[test]
fn dosage_table() {
    let mut failures = Vec::new();
    for &(row, name, route, per_day, prn, dose) in CASES {
        let key = KeyText::new(row);
        let name_end = row.find(name).expect("name in row") + name.len();
        let sig = parse_sig(row, &key, 0..row.len(), name_end);
        let got_route = sig.route.as_ref().map(|r| r.code.as_str());
        let got_per_day = sig.frequency.as_ref().map(Frequency::per_day);
        let got_prn = sig.as_needed.as_ref().map(|_| true);
        let got_dose = sig.dose.as_ref().map(|d| format!("{} {}", d.value, d.ucum));
        let per_day_ok = match (per_day, got_per_day) {
            (None, None) => true,
            (Some(a), Some(b)) => (a - b).abs() < 0.01,
            _ => false,
        };
        if got_route != route || !per_day_ok || got_prn != prn || got_dose.as_deref() != dose {
            failures.push(format!(
                "{row:?}\n   route {got_route:?} want {route:?}; per day {got_per_day:?} want {per_day:?}; prn {got_prn:?} want {prn:?}; dose {got_dose:?} want {dose:?}"
            ));
        }
    }
    assert!(CASES.len() >= 100, "the table keeps at least 100 cases");
    assert!(failures.is_empty(), "{} of {} dosage cases fail:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn prn_reason_and_duration() {
    let row = "oxycodone 5 mg every 4 hours as needed for pain, for 5 days";
    let key = KeyText::new(row);
    let sig = parse_sig(row, &key, 0..row.len(), 9);
    assert_eq!(sig.as_needed, Some(Some("pain".to_string())));
    let d = sig.duration.unwrap();
    assert_eq!((d.value, d.ucum.as_str()), (5.0, "d"));
    assert_eq!(sig.frequency.unwrap().code.as_deref(), Some("Q4H"));
    assert_eq!(sig.strength.as_deref(), Some("5 mg"));
}

#[test]
fn instructions_stop_at_the_date_cells() {
    let row = "Tylenol 500 MG TAB\tTake one (1) tablet by mouth once a day\tMon Jun 22 00:00:00 EDT 2015";
    let key = KeyText::new(row);
    let sig = parse_sig(row, &key, 0..row.len(), 7);
    assert_eq!(sig.text, "Tylenol 500 MG TAB Take one (1) tablet by mouth once a day");
}
