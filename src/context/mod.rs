//! Context: is a finding asserted about this patient, now? ConText-style trigger rules
//! (`dictionaries/context.tsv`) decide negated, possible, hypothetical, historical and family.
//!
//! A trigger's scope runs from the trigger toward the finding (forward, backward or both) and
//! ends at a hard break of the key (end of sentence, table cell, `;`), at a new line that
//! starts a new statement, at a terminating word ("but", "however"), or after a window of
//! words. A pseudo-trigger ("no increase", "gram negative") is matched like any trigger and,
//! being longer, hides the trigger inside it. Rules with direction `row` apply to every
//! finding in the same line (a table row's "Resolved" / "Inactive" status cell).

mod rules;
mod scope;

use crate::normalize::KeyText;
use rules::Layer;

/// Words a forward trigger reaches.
const FORWARD_WINDOW: usize = 20;
/// Words a backward trigger reaches.
const BACKWARD_WINDOW: usize = 14;

/// A trigger's category: an assertion (negated … family), a scope rule (pseudo, terminate),
/// or a statement cue that says what a finding is or where it stands (an allergen, a stopped
/// or held drug, a one-time dose, a resolved problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// "denies", "no", "negative for".
    Negated,
    /// "possible", "rule out", "suspected".
    Possible,
    /// "history of", "status post".
    Historical,
    /// "if", "should … develop".
    Hypothetical,
    /// "mother", "family history of".
    Family,
    /// A longer phrase that contains a trigger but is not one ("no increase").
    Pseudo,
    /// Ends a trigger's scope ("but", "however").
    Terminate,
    /// "allergic to X", "X allergy", "intolerant of X": X is an allergen.
    Allergen,
    /// "X causes hives", "X gave her a rash": X is an allergen when a reaction follows.
    AllergenIfReaction,
    /// "stopped X", "X was discontinued": a drug no longer taken.
    Stopped,
    /// "hold X", "X (held)": a drug paused.
    OnHold,
    /// "received X", "was given X", "X x1": a dose given, a course finished.
    Completed,
    /// "continue X", "started on X", "in remission on X": current.
    Active,
    /// "X, resolved", "X as a child", "X, treated": a past episode that is over.
    Resolved,
    /// "not taking X", "X - not taking": a drug listed but not taken.
    NotTaken,
    /// "GREENFIELD CANCER CENTER", "ASA class II": the words are a name, not a finding.
    NotAFinding,
    /// A date right after a finding of the history ("pneumonia in 2019"), "treated": a past
    /// episode that is over, when the finding is historical.
    PastEpisode,
}

impl Category {
    fn parse(s: &str) -> Option<Category> {
        Some(match s {
            "negated" => Category::Negated,
            "possible" => Category::Possible,
            "historical" => Category::Historical,
            "hypothetical" => Category::Hypothetical,
            "family" => Category::Family,
            "pseudo" => Category::Pseudo,
            "terminate" => Category::Terminate,
            "allergen" => Category::Allergen,
            "allergen-if-reaction" => Category::AllergenIfReaction,
            "stopped" => Category::Stopped,
            "on-hold" => Category::OnHold,
            "completed" => Category::Completed,
            "active" => Category::Active,
            "resolved" => Category::Resolved,
            "not-taken" => Category::NotTaken,
            "not-a-finding" => Category::NotAFinding,
            "past-episode" => Category::PastEpisode,
            _ => return None,
        })
    }

    /// The assertion a trigger of this category gives, if it is an assertion.
    fn assertion(self) -> Option<Assertion> {
        Some(match self {
            Category::Negated => Assertion::Negated,
            Category::Possible => Assertion::Possible,
            Category::Historical => Assertion::Historical,
            Category::Hypothetical => Assertion::Hypothetical,
            Category::Family => Assertion::Family,
            _ => return None,
        })
    }

    /// True for statement cues (see [`ContextRules::cue`]).
    pub fn is_cue(self) -> bool {
        matches!(
            self,
            Category::Allergen
                | Category::AllergenIfReaction
                | Category::Stopped
                | Category::OnHold
                | Category::Completed
                | Category::Active
                | Category::Resolved
                | Category::NotTaken
                | Category::NotAFinding
                | Category::PastEpisode
        )
    }

    /// The name used in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Negated => "negated",
            Category::Possible => "possible",
            Category::Historical => "historical",
            Category::Hypothetical => "hypothetical",
            Category::Family => "family",
            Category::Pseudo => "pseudo",
            Category::Terminate => "terminate",
            Category::Allergen => "allergen",
            Category::AllergenIfReaction => "allergen-if-reaction",
            Category::Stopped => "stopped",
            Category::OnHold => "on-hold",
            Category::Completed => "completed",
            Category::Active => "active",
            Category::Resolved => "resolved",
            Category::NotTaken => "not-taken",
            Category::NotAFinding => "not-a-finding",
            Category::PastEpisode => "past-episode",
        }
    }
}

/// Which way a trigger's scope runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the trigger toward the end of the sentence.
    Forward,
    /// From the trigger back toward the start of the sentence.
    Backward,
    /// Both ways.
    Bidirectional,
    /// Only after the finding, closing its statement: "HIV negative.", "Smoker: No".
    Answer,
    /// Every finding in the same line (a table row's status cell).
    Row,
    /// Not a scope of its own (pseudo-triggers, terminators).
    None,
}

/// The kind of finding a rule may be limited to (medspaCy's `allowed_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A condition (problem, diagnosis, symptom).
    Condition,
    /// A medication.
    Medication,
    /// An allergy (the allergen).
    Allergy,
}

impl Target {
    fn parse(s: &str) -> Option<Target> {
        Some(match s {
            "condition" => Target::Condition,
            "medication" => Target::Medication,
            "allergy" => Target::Allergy,
            _ => return None,
        })
    }
}

/// One trigger rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The trigger as written, or `re:` and a pattern.
    pub trigger: String,
    /// What it asserts.
    pub category: Category,
    /// Which way its scope runs.
    pub direction: Direction,
    /// Where the rule comes from (medspacy, negex, chart2fhir …).
    pub source: String,
    /// The kinds of finding it applies to; empty: all.
    pub targets: Vec<Target>,
    /// It modifies at most this many findings, the nearest first (medspaCy's `max_targets`):
    /// "Tylenol PRN, lisinopril" — a modifier after a list item is that item's.
    pub max_targets: Option<usize>,
    /// Its scope reaches at most this many words (medspaCy's `max_scope`).
    pub max_scope: Option<usize>,
}

/// The assertion of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Assertion {
    /// About the patient, now.
    Present,
    /// Denied.
    Negated,
    /// Possible, suspected, to rule out.
    Possible,
    /// Conditional or planned.
    Hypothetical,
    /// In the past.
    Historical,
    /// About a relative.
    Family,
}

impl Assertion {
    /// The assertion as the evidence extension writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Assertion::Present => "present",
            Assertion::Negated => "negated",
            Assertion::Possible => "possible",
            Assertion::Hypothetical => "hypothetical",
            Assertion::Historical => "historical",
            Assertion::Family => "family",
        }
    }
}

/// The compiled rules.
pub struct ContextRules {
    /// The rules, in table order.
    pub rules: Vec<Rule>,
    /// Assertions, pseudo-triggers and terminators; and the statement cues apart, so that a
    /// cue never hides an assertion trigger inside it ("no recurrence" keeps its "no").
    layers: [Layer; 2],
}

impl Default for ContextRules {
    fn default() -> Self {
        Self::builtin()
    }
}

/// A trigger found on a page (key offsets).
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Start in the key.
    pub start: usize,
    /// End in the key.
    pub end: usize,
    /// The pattern matched, in its layer.
    pub pattern: usize,
}

/// A page's triggers and scope breaks, computed once per page.
#[derive(Debug, Default)]
pub struct PageContext {
    /// Per layer (assertions, cues).
    hits: [Vec<Hit>; 2],
    /// Sorted key offsets at which every scope ends.
    breaks: Vec<usize>,
    /// Page-text offsets where lines start.
    line_starts: Vec<usize>,
}

impl PageContext {
    fn line(&self, key: &KeyText, i: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= key.source_start(i.min(key.key.len().saturating_sub(1))))
    }
}

/// What decided a finding's assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The assertion.
    pub assertion: Assertion,
    /// "trigger 'denies' (negated, negex)" or "section Family History".
    pub rule: Option<String>,
}

/// A statement cue that reaches a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    /// What the cue says.
    pub category: Category,
    /// "trigger 'stopped' (stopped, chart2fhir)".
    pub rule: String,
    /// Start of the trigger in the key.
    pub start: usize,
    /// End of the trigger in the key.
    pub end: usize,
}

/// A finding on the page as the scope rules see it: key span and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSpan {
    /// Start in the key.
    pub start: usize,
    /// End in the key.
    pub end: usize,
    /// Its kind.
    pub kind: Target,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold::term_key;

    fn rules() -> ContextRules {
        ContextRules::from_table(
            "trigger\tcategory\tdirection\tsource\n\
             no\tnegated\tforward\tnegex\n\
             denies\tnegated\tforward\tnegex\n\
             no increase\tpseudo\tnone\tnegex\n\
             but\tterminate\tnone\tnegex\n\
             ruled out\tnegated\tbackward\tnegex\n\
             mother\tfamily\tbidirectional\tgencontext\n\
             history of\thistorical\tforward\tgencontext\n\
             resolved\thistorical\trow\tchart2fhir\n\
             re:r o|rule out\tpossible\tforward\tchart2fhir\n",
        )
        .unwrap()
    }

    fn check(text: &str, target: &str) -> Assertion {
        let r = rules();
        let key = KeyText::new(text);
        let ctx = r.scan(text, &key);
        let tk = term_key(target);
        let s = key.key.find(&tk).expect("target in key");
        r.assert(&ctx, &key, s, s + tk.len()).assertion
    }

    #[test]
    fn assertion_table() {
        let cases = [
            (
                "Patient denies chest pain.",
                "chest pain",
                Assertion::Negated,
            ),
            ("No fever, chills, or cough.", "cough", Assertion::Negated),
            ("No increase in dyspnea.", "dyspnea", Assertion::Present),
            ("No fever but has cough.", "cough", Assertion::Present),
            ("No fever. Cough present.", "cough", Assertion::Present),
            (
                "Pulmonary embolism ruled out.",
                "pulmonary embolism",
                Assertion::Negated,
            ),
            (
                "Mother had breast cancer.",
                "breast cancer",
                Assertion::Family,
            ),
            ("History of asthma.", "asthma", Assertion::Historical),
            ("R/O pneumonia", "pneumonia", Assertion::Possible),
            ("Asthma\t2010\tResolved", "asthma", Assertion::Historical),
            (
                "Asthma\t2010\tActive\nEczema\tResolved",
                "asthma",
                Assertion::Present,
            ),
            ("Hypertension", "hypertension", Assertion::Present),
        ];
        for (text, target, want) in cases {
            assert_eq!(check(text, target), want, "{text:?} / {target:?}");
        }
    }
}
