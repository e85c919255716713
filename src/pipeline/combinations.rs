//! Combinations: drugs joined into one product — "amoxicillin / clavulanate", "Acetaminophen
//! 300 MG / Hydrocodone Bitartrate 5 MG", "sulfamethoxazole-trimethoprim", "X and Y" — are one
//! medication (or allergen) with both ingredients, not two. The dictionary knows many
//! combinations by name; this stage catches the ones written (or OCR'd) another way, before
//! rows are read. The strength units that may stand between the parts, and the words that
//! make a rate instead ("mg / day"), are `dictionaries/units.tsv`.

use std::sync::LazyLock;

use crate::attributes::units::{UNITS, Use};
use crate::dictionary::Entry;
use crate::mention::{Mention, Role};

/// Joins the mentions of a page (in page order) that name parts of one product. In prose
/// (`listed` false for a mention) only a slash, a plus or a hyphen without spaces joins:
/// "allergic to aspirin and ibuprofen", "continue ceftriaxone and azithromycin" name two drugs.
pub(crate) fn merge(
    text: &str,
    mentions: &mut Vec<Mention>,
    ocr: bool,
    listed: &dyn Fn(&Mention) -> bool,
) {
    /// The strength that may stand between two parts of a product: "300 MG", "0.25 MG/ACTUAT".
    static STRENGTH: LazyLock<String> = LazyLock::new(|| {
        format!(
            r"(?:\d[\d.,@]*[\s.]*(?:{})(?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:{}))?[\s.,?:;'\x22]*)",
            UNITS.alternation(Use::Product),
            UNITS.alternation(Use::ProductPer)
        )
    });
    static JOIN: LazyLock<regex::Regex> = LazyLock::new(|| {
        // OCR marks around the strength are tolerated ("300.MG? /", "7@ UNT/ML /").
        regex::Regex::new(&format!(
            r"(?i)^[\s,.]*{strength}?(?:/|\+|-|&|\band\b|\bwith\b)[\s/]*$",
            strength = *STRENGTH
        ))
        .expect("valid regex")
    });
    // OCR reads a table row line by line: a product name wrapped in its cell continues on
    // the next line, after the text of the row's other columns ("fluticasone 0.25 MG/ACTUAT /
    // RxNorm\nsalmeterol 0.05 MG/ACTUAT"). Text layers keep cells whole (see ingest::pdf).
    static WRAPPED: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(&format!(
            r"(?i)^[\s,.]*{strength}?/[^\S\n]*[^\s/][^\n/]{{0,23}}\n[\s:;|.,'\x22_]*$",
            strength = *STRENGTH
        ))
        .expect("valid regex")
    });
    let mut i = 0;
    while i + 1 < mentions.len() {
        let (a, b) = (&mentions[i], &mentions[i + 1]);
        let drugs = matches!(a.role, Role::Medication | Role::Allergy) && a.role == b.role;
        let gap = if b.start >= a.end {
            &text[a.end..b.start]
        } else {
            ""
        };
        // "- aspirin\n- lisinopril" is a bulleted list, not a product: across a line break
        // only "/", "and", "with" join.
        let bullet_break = gap.contains('\n') && gap.trim_end().ends_with(['-', '+', '&', '*']);
        // "10 mg / day\naspirin": a rate, not a wrapped product.
        // "mg/1 ML": a strength's denominator, not a wrapped product.
        static DENOMINATOR: LazyLock<regex::Regex> = LazyLock::new(|| {
            regex::Regex::new(r"^\s*\d[\d.,]*\s*[A-Za-z]{1,3}\b").expect("valid regex")
        });
        let per = |gap: &str| {
            let tail = &gap[gap.rfind('/').map_or(0, |p| p + 1)..];
            let word = tail
                .split(|c: char| !c.is_alphanumeric())
                .find(|w| !w.is_empty())
                .unwrap_or("")
                .to_ascii_lowercase();
            UNITS.is_rate(&word) || DENOMINATOR.is_match(tail)
        };
        static PROSE_JOIN: LazyLock<regex::Regex> = LazyLock::new(|| {
            regex::Regex::new(&format!(
                r"(?i)^(?:[\s,.]*{strength}?[\s]*(?:/|\+)[\s/]*|-)$",
                strength = *STRENGTH
            ))
            .expect("valid regex")
        });
        let in_list = listed(a) && listed(b);
        let wrapped = ocr && !JOIN.is_match(gap) && WRAPPED.is_match(gap) && !per(gap);
        let joined = wrapped || (JOIN.is_match(gap) && (in_list || PROSE_JOIN.is_match(gap)));
        if drugs && !gap.is_empty() && gap.len() <= 60 && !bullet_break && joined {
            let b = mentions.remove(i + 1);
            let a = &mut mentions[i];
            // Keep the ingredient rows of both; a product code of one part is not the whole.
            let ingredients = |m: &Mention| -> Vec<Entry> {
                m.entries
                    .iter()
                    .filter(|e| e.is_ingredient())
                    .cloned()
                    .collect()
            };
            let (ia, ib) = (ingredients(a), ingredients(&b));
            if !ia.is_empty() && !ib.is_empty() {
                a.entries = ia.into_iter().chain(ib).collect();
            } else {
                a.entries.extend(b.entries);
            }
            // No one dictionary wording names the product: its name is the words as read,
            // without, across a wrapped cell, the other columns' words between them
            // ("Amoxicillin 875 MG/ Clavulanate").
            a.reading = wrapped.then(|| {
                let joiner = a.end + gap.rfind('/').unwrap_or(0) + 1;
                format!("{} {}", &text[a.start..joiner], b.text)
            });
            a.extend_to(text, b.end);
            a.confidence = a.confidence.min(b.confidence);
            continue;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::meds;

    #[test]
    fn combination_products_are_one_medication() {
        let cases: &[(&str, &[&str])] = &[
            (
                "MEDICATIONS\nAcetaminophen 300 MG / Hydrocodone Bitartrate 5 MG Oral RxNorm\nTablet\n",
                &["acetaminophen 300 MG / hydrocodone bitartrate 5 MG Oral Tablet"],
            ),
            (
                "MEDICATIONS\namoxicillin/clavulanate 875 mg BID\n",
                &["amoxicillin/clavulanate"],
            ),
            (
                "MEDICATIONS\n- aspirin\n- lisinopril 10 mg\n",
                &["aspirin", "lisinopril"],
            ),
            (
                "MEDICATIONS\naspirin 81 mg, lisinopril 10 mg\n",
                &["aspirin 81", "lisinopril"],
            ),
            // OCR'd table rows: a cell wrapped past the row's code column is one product...
            (
                "MEDICATIONS\n60 ACTUAT Fluticasone propionate 0.25 MG/ACTUAT / RxNorm\nsalmeterol 0.05 MG/ACTUAT Dry Powder Inhaler\n",
                &["Fluticasone propionate 0.25 MG/ACTUAT / salmeterol"],
            ),
            // ... but a rate, or a strength's denominator, is not a product.
            (
                "MEDICATIONS\nlisinopril 10 mg / day\naspirin 81 mg\n",
                &["lisinopril", "aspirin 81"],
            ),
            (
                "MEDICATIONS\nAranesp 0.5 MG/1 MI, SOL\n\nTylenol Extra Strength 500\nMG TAB\n",
                &["Aranesp", "Tylenol Extra Strength"],
            ),
            (
                "MEDICATIONS\nActive 824194 Amoxicillin 875 MG/ 0.0 Last rcrawley\nClavulanate 125 MG Dose:\n",
                &["Amoxicillin 875 MG/ Clavulanate"],
            ),
            // A cell wrapped past the row's code and date columns reads as its whole term.
            (
                "MEDICATIONS\nMay 7, May 25, Acetaminophen 21.7 MG/ML / Dextromethorphan Hydrobromide 1 RxNorm\n2021 2021 MG/ML / doxylamine succinate 0.417 MG/ML Oral Solution 1043400\nMar 6, Mar 1, Etonogestrel 68 MG Drug Implant RxNorm\n",
                &[
                    "acetaminophen 21.7 MG/ML / dextromethorphan hydrobromide 1 MG/ML / doxylamine succinate 0.417 MG/ML Oral Solution",
                    "Etonogestrel 68 MG Drug Implant",
                ],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(meds(text), *want, "{text:?}");
        }
    }
}
