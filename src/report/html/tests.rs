use super::*;

fn placed<'a>(m: &'a Mention, id: &str) -> Placed<'a> {
    Placed {
        id: id.into(),
        finding: 0,
        mention: m,
        tip: String::new(),
    }
}

/// The text of every mark with `data-mention="id"`, parts joined, from rendered HTML
/// (tags stripped, entities kept as written).
fn mark_text(html: &str, id: &str) -> String {
    let mut out = String::new();
    let mut depth_in: Vec<bool> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("</mark>") {
            depth_in.pop();
            rest = tail;
        } else if rest.starts_with("<mark") {
            let end = rest.find('>').unwrap();
            let tag = &rest[..end];
            depth_in.push(tag.contains(&format!("data-mention=\"{id}\"")));
            rest = &rest[end + 1..];
        } else {
            let c = rest.chars().next().unwrap();
            if depth_in.iter().any(|&b| b) {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[test]
fn nested_and_crossing_spans_keep_their_text() {
    let text = "Allergies: penicillin G benzathine <hives>";
    let span = |s: &str| {
        let i = text.find(s).unwrap();
        i..i + s.len()
    };
    let outer = Mention::new(
        Role::Allergy,
        1,
        text,
        span("penicillin G benzathine"),
        vec![],
    );
    let inner = Mention::new(Role::Allergy, 1, text, span("penicillin"), vec![]);
    let crossing = Mention::new(Role::Allergy, 1, text, span("benzathine <hives>"), vec![]);
    let same = Mention::new(Role::Medication, 1, text, span("penicillin"), vec![]);
    let all = [
        placed(&outer, "a"),
        placed(&inner, "b"),
        placed(&crossing, "c"),
        placed(&same, "d"),
    ];
    let mut html = String::new();
    marked_text(&mut html, text, &all);
    assert_eq!(mark_text(&html, "a"), "penicillin G benzathine");
    assert_eq!(mark_text(&html, "b"), "penicillin");
    assert_eq!(mark_text(&html, "d"), "penicillin");
    assert_eq!(mark_text(&html, "c"), "benzathine &lt;hives&gt;");
    assert_eq!(
        html.matches("<mark").count(),
        html.matches("</mark>").count()
    );
    assert_eq!(html.matches(" id=\"c\"").count(), 1, "one id per mention");
}

#[test]
fn text_is_escaped() {
    assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
}
