//! RxNorm clinical-drug and pack names, parsed: "[qty unit] ingredient strength unit [/ …] dose
//! form [Brand]".

/// A parsed clinical-drug name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrugName {
    /// "24 HR", "0.4 ML", "120 ACTUAT" …
    pub prefix: Vec<String>,
    /// (ingredient as written, strength) in name order.
    pub components: Vec<(String, String)>,
    /// "Oral Tablet", "Prefilled Syringe" …
    pub dose_form: String,
    /// The brand in square brackets, for a branded drug.
    pub brand: Option<String>,
}

/// A parsed pack name: its drugs and brand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PackName {
    /// The drugs of the pack, in name order.
    pub drugs: Vec<DrugName>,
    /// The pack's brand, for a branded pack.
    pub brand: Option<String>,
}

/// True for a number as RxNorm writes strengths ("10", "0.417", "13300000000000").
fn is_number(t: &str) -> bool {
    let mut dots = 0;
    !t.is_empty()
        && t.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && t.bytes().all(|b| {
            if b == b'.' {
                dots += 1;
            }
            b.is_ascii_digit() || b == b'.'
        })
        && dots <= 1
        && !t.ends_with('.')
}

/// True for a strength or quantity unit ("MG", "MG/ML", "UNT/ML", "%", "VECTOR-GENOMES/ML").
fn is_unit(t: &str) -> bool {
    t == "%"
        || (t.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && t.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'/' || b == b'-')
            && !t.ends_with('/'))
}

/// Parses an SCD/SBD name: "[qty unit] ingredient strength unit [/ …] dose form \[Brand\]".
pub fn parse_drug_name(name: &str) -> Option<DrugName> {
    let (body, brand) = split_brand(name);
    let parts: Vec<&str> = body.split(" / ").collect();
    let mut d = DrugName {
        brand,
        ..DrugName::default()
    };
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let mut tokens: Vec<&str> = part.split(' ').filter(|t| !t.is_empty()).collect();
        if i == 0 {
            while tokens.len() >= 4 && is_number(tokens[0]) && is_unit(tokens[1]) {
                d.prefix.push(format!("{} {}", tokens[0], tokens[1]));
                tokens.drain(..2);
            }
        }
        let j = (1..tokens.len().saturating_sub(1))
            .find(|&j| is_number(tokens[j]) && is_unit(tokens[j + 1]))?;
        let ingredient = tokens[..j].join(" ");
        let strength = format!("{} {}", tokens[j], tokens[j + 1]);
        let rest = tokens[j + 2..].join(" ");
        if i < last {
            if !rest.is_empty() {
                return None;
            }
        } else {
            if rest.is_empty() {
                return None;
            }
            d.dose_form = rest;
        }
        d.components.push((ingredient, strength));
    }
    Some(d)
}

/// "{21 (A 1 MG Oral Tablet) / 7 (inert ingredients 1 MG Oral Tablet) } Pack [Brand 28 Day]".
pub fn parse_pack_name(name: &str) -> Option<PackName> {
    let (body, brand) = split_brand(name);
    let inner = body.strip_prefix('{')?;
    let close = inner.rfind('}')?;
    let tail = inner[close + 1..].trim();
    if tail != "Pack" && tail != "Kit" {
        return None;
    }
    let inner = &inner[..close];
    let mut drugs = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    for (i, ch) in inner.char_indices() {
        match ch {
            '(' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    drugs.push(parse_drug_name(inner[start..i].trim())?);
                }
            }
            _ => {}
        }
    }
    if drugs.is_empty() || depth != 0 {
        return None;
    }
    Some(PackName { drugs, brand })
}

/// Splits a trailing " [Brand]".
fn split_brand(name: &str) -> (&str, Option<String>) {
    if name.ends_with(']')
        && let Some(i) = name.rfind(" [")
    {
        return (&name[..i], Some(name[i + 2..name.len() - 1].to_string()));
    }
    (name, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scd_names_parse() {
        let d = parse_drug_name("Acetaminophen 325 MG / Hydrocodone Bitartrate 5 MG Oral Tablet")
            .unwrap();
        assert_eq!(
            d.components,
            vec![
                ("Acetaminophen".to_string(), "325 MG".to_string()),
                ("Hydrocodone Bitartrate".to_string(), "5 MG".to_string())
            ]
        );
        assert_eq!(d.dose_form, "Oral Tablet");
        assert_eq!(d.brand, None);

        let d = parse_drug_name(
            "24 HR metoprolol succinate 25 MG Extended Release Oral Tablet [Toprol]",
        )
        .unwrap();
        assert_eq!(d.prefix, vec!["24 HR"]);
        assert_eq!(
            d.components,
            vec![("metoprolol succinate".into(), "25 MG".into())]
        );
        assert_eq!(d.dose_form, "Extended Release Oral Tablet");
        assert_eq!(d.brand.as_deref(), Some("Toprol"));

        let d = parse_drug_name("0.4 ML enoxaparin sodium 100 MG/ML Prefilled Syringe").unwrap();
        assert_eq!(d.prefix, vec!["0.4 ML"]);
        assert_eq!(
            d.components,
            vec![("enoxaparin sodium".into(), "100 MG/ML".into())]
        );

        let d =
            parse_drug_name("polyethylene glycol 3350 17000 MG Powder for Oral Solution").unwrap();
        assert_eq!(
            d.components,
            vec![("polyethylene glycol 3350".into(), "17000 MG".into())]
        );
        assert_eq!(d.dose_form, "Powder for Oral Solution");

        let d = parse_drug_name("hydrocortisone 1 % Topical Cream").unwrap();
        assert_eq!(d.components, vec![("hydrocortisone".into(), "1 %".into())]);

        assert_eq!(parse_drug_name("lisinopril"), None);
        assert_eq!(parse_drug_name("lisinopril 10 MG"), None);
    }

    #[test]
    fn pack_names_parse() {
        let p = parse_pack_name(
            "{21 (ethinyl estradiol 0.035 MG / norethindrone 0.5 MG Oral Tablet) / 7 (inert ingredients 1 MG Oral Tablet) } Pack [Ortho-Novum 1/35 28 Day]",
        )
        .unwrap();
        assert_eq!(p.drugs.len(), 2);
        assert_eq!(p.brand.as_deref(), Some("Ortho-Novum 1/35 28 Day"));
        assert_eq!(p.drugs[0].components[1].0, "norethindrone");
        let p = parse_pack_name(
            "{30 (Aspirin 81 MG Oral Tablet) / 30 (Pravastatin 80 MG Oral Tablet [Pravachol]) } Pack [Pravigard 81/80]",
        )
        .unwrap();
        assert_eq!(p.drugs[1].brand.as_deref(), Some("Pravachol"));
    }
}
