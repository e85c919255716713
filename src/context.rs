//! Context: is a finding asserted about this patient, now? ConText-style trigger rules
//! (`dictionaries/context.tsv`) decide negated, possible, hypothetical, historical and family.
//!
//! A trigger's scope runs from the trigger toward the finding (forward, backward or both) and
//! ends at a hard break of the key (end of sentence, table cell, `;`), at a new line that
//! starts a new statement, at a terminating word ("but", "however"), or after a window of
//! words. A pseudo-trigger ("no increase", "gram negative") is matched like any trigger and,
//! being longer, hides the trigger inside it. Rules with direction `row` apply to every
//! finding in the same line (a table row's "Resolved" / "Inactive" status cell).

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use crate::normalize::KeyText;
use crate::normalize::fold::term_key;
use crate::tables::{self, Table, TableError};

static CONTEXT_TSV: &str = include_str!("../dictionaries/context.tsv");

/// Words a forward trigger reaches.
const FORWARD_WINDOW: usize = 20;
/// Words a backward trigger reaches.
const BACKWARD_WINDOW: usize = 14;

/// A trigger's category.
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
            _ => return None,
        })
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
    literals: AhoCorasick,
    literal_rule: Vec<usize>,
    regexes: Vec<(Regex, usize)>,
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
    /// Index of the rule.
    pub rule: usize,
}

/// A page's triggers and scope breaks, computed once per page.
#[derive(Debug, Default)]
pub struct PageContext {
    hits: Vec<Hit>,
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

/// A `re:` trigger's pattern, matched on word boundaries.
fn trigger_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("(?-u:\\b)(?:{pattern})(?-u:\\b)"))
}

impl ContextRules {
    /// The rules shipped in `dictionaries/context.tsv`.
    pub fn builtin() -> ContextRules {
        tables::shipped(Self::load())
    }

    /// Reads the shipped `context.tsv`.
    pub fn load() -> Result<ContextRules, TableError> {
        Self::from_table(CONTEXT_TSV)
    }

    /// Compiles a rule table (the text of `context.tsv`). A row it cannot read is an error
    /// naming the line.
    pub fn from_table(table: &str) -> Result<ContextRules, TableError> {
        let table = Table::parse("context.tsv", table)?;
        let rules = table.map(|r| {
            let category = Category::parse(r.get("category")?)
                .ok_or_else(|| format!("unknown category {:?}", r.get("category")))?;
            let direction = match r.get("direction")? {
                "forward" => Direction::Forward,
                "backward" => Direction::Backward,
                "bidirectional" => Direction::Bidirectional,
                "answer" => Direction::Answer,
                "row" => Direction::Row,
                "none" => Direction::None,
                other => return Err(format!("unknown direction {other:?}")),
            };
            let trigger = r.first()?;
            if let Some(re) = trigger.strip_prefix("re:") {
                trigger_regex(re).map_err(|e| format!("trigger {trigger:?}: {e}"))?;
            } else if term_key(trigger).is_empty() {
                return Err(format!("trigger {trigger:?} has no words"));
            }
            Ok(Rule {
                trigger: trigger.to_string(),
                category,
                direction,
                source: r.opt("source")?.unwrap_or("").to_string(),
            })
        })?;
        let mut patterns = Vec::new();
        let mut literal_rule = Vec::new();
        let mut regexes = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if let Some(re) = r.trigger.strip_prefix("re:") {
                let re = trigger_regex(re).expect("checked when the row was read");
                regexes.push((re, i));
            } else {
                patterns.push(term_key(&r.trigger));
                literal_rule.push(i);
            }
        }
        let literals = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| table.error(1, e.to_string()))?;
        Ok(ContextRules {
            rules,
            literals,
            literal_rule,
            regexes,
        })
    }

    /// Finds the page's triggers and scope breaks.
    pub fn scan(&self, text: &str, key: &KeyText) -> PageContext {
        let k = key.key.as_bytes();
        let at_word = |s: usize, e: usize| {
            (s == 0 || crate::normalize::is_sep(k[s - 1]))
                && (e == k.len() || crate::normalize::is_sep(k[e]))
        };
        let mut candidates: Vec<Hit> = Vec::new();
        // Overlapping search so that a match failing the word check does not hide another.
        let mut pos = 0;
        while pos < k.len() {
            let input = aho_corasick::Input::new(k).span(pos..k.len());
            let Some(m) = self.literals.find(input) else {
                break;
            };
            if at_word(m.start(), m.end()) {
                candidates.push(Hit {
                    start: m.start(),
                    end: m.end(),
                    rule: self.literal_rule[m.pattern().as_usize()],
                });
                pos = m.end();
            } else {
                pos = m.start() + 1;
            }
        }
        for (re, rule) in &self.regexes {
            for m in re.find_iter(&key.key) {
                if !m.is_empty() && at_word(m.start(), m.end()) {
                    candidates.push(Hit {
                        start: m.start(),
                        end: m.end(),
                        rule: *rule,
                    });
                }
            }
        }
        // Leftmost-longest across literals and patterns: a pseudo-trigger ("mother states",
        // "no side effects from") hides the shorter trigger inside it.
        candidates.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        let mut hits: Vec<Hit> = Vec::with_capacity(candidates.len());
        for h in candidates {
            if hits.last().is_none_or(|last| h.start >= last.end) {
                hits.push(h);
            }
        }
        let mut breaks = Vec::new();
        for i in 1..k.len().saturating_sub(1) {
            if crate::normalize::is_sep(k[i]) {
                let run = &text[key.source_end(i - 1)..key.source_start(i + 1)];
                if ends_statement(text, key.source_end(i - 1), run) {
                    breaks.push(i);
                }
            }
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        PageContext {
            hits,
            breaks,
            line_starts,
        }
    }

    /// Decides the assertion of the finding at key span `start..end`.
    pub fn assert(&self, ctx: &PageContext, key: &KeyText, start: usize, end: usize) -> Decision {
        let k = key.key.as_bytes();
        let mut found: Vec<(Assertion, usize, usize)> = Vec::new(); // (assertion, distance, rule)
        for h in &ctx.hits {
            let rule = &self.rules[h.rule];
            let assertion = match rule.category {
                Category::Negated => Assertion::Negated,
                Category::Possible => Assertion::Possible,
                Category::Historical => Assertion::Historical,
                Category::Hypothetical => Assertion::Hypothetical,
                Category::Family => Assertion::Family,
                Category::Pseudo | Category::Terminate => continue,
            };
            if h.start < end && start < h.end {
                continue; // the trigger overlaps the finding itself
            }
            if rule.direction == Direction::Row {
                if ctx.line(key, h.start) == ctx.line(key, start) {
                    found.push((assertion, usize::MAX / 2, h.rule));
                }
                continue;
            }
            let forward = matches!(
                rule.direction,
                Direction::Forward | Direction::Bidirectional
            );
            let backward = matches!(
                rule.direction,
                Direction::Backward | Direction::Bidirectional
            );
            if forward && h.end <= start {
                if let Some(d) = self.reach(ctx, k, h.end, start, FORWARD_WINDOW) {
                    found.push((assertion, d, h.rule));
                }
            } else if (forward && matches!(assertion, Assertion::Negated | Assertion::Possible)
                || rule.direction == Direction::Answer)
                && h.start >= end
                && ends_its_statement(ctx, k, h.end)
                && self.reach(ctx, k, end, h.start, 2).is_some()
            {
                // A form's answer: "Smoker: No", "Chest pain: denies", "Metformin - not
                // taking". A forward trigger with nothing after it in its statement answers
                // the label just before it.
                found.push((assertion, 0, h.rule));
            } else if backward
                && h.start >= end
                && let Some(d) = self.reach(ctx, k, end, h.start, BACKWARD_WINDOW)
            {
                found.push((assertion, d, h.rule));
            }
        }
        // Negation first ("denies family history of …" is a denial), then family (about
        // someone else), hypotheticals, uncertainty, history. Within a category, the nearest trigger explains the decision.
        found.sort_by_key(|&(a, d, _)| (priority(a), d));
        match found.first() {
            Some(&(assertion, _, rule)) => {
                let r = &self.rules[rule];
                Decision {
                    assertion,
                    rule: Some(format!(
                        "trigger '{}' ({}, {})",
                        r.trigger,
                        assertion.as_str(),
                        if r.source.is_empty() {
                            "chart2fhir"
                        } else {
                            &r.source
                        }
                    )),
                }
            }
            None => Decision {
                assertion: Assertion::Present,
                rule: None,
            },
        }
    }

    /// Words from `from` to `to` when no break or terminator lies between and the window
    /// allows; `None` otherwise.
    fn reach(
        &self,
        ctx: &PageContext,
        k: &[u8],
        from: usize,
        to: usize,
        window: usize,
    ) -> Option<usize> {
        let i = ctx.breaks.partition_point(|&b| b < from);
        if ctx.breaks.get(i).is_some_and(|&b| b < to) {
            return None;
        }
        let terminated = ctx.hits.iter().any(|h| {
            self.rules[h.rule].category == Category::Terminate && h.start >= from && h.end <= to
        });
        if terminated {
            return None;
        }
        let words = k[from..to]
            .iter()
            .filter(|&&b| b == b' ')
            .count()
            .saturating_sub(1);
        (words <= window).then_some(words)
    }
}

/// True when nothing but a statement break (or the end of the page) follows key offset `at`.
fn ends_its_statement(ctx: &PageContext, k: &[u8], at: usize) -> bool {
    if at >= k.len() {
        return true;
    }
    ctx.breaks.binary_search(&at).is_ok()
}

fn priority(a: Assertion) -> u8 {
    match a {
        Assertion::Negated => 0,
        Assertion::Family => 1,
        Assertion::Hypothetical => 2,
        Assertion::Possible => 3,
        Assertion::Historical => 4,
        Assertion::Present => 5,
    }
}

/// Does the run of separators `run` (starting at page offset `at`) end a statement? A
/// sentence end (`.` `!` `?` `;`), a blank line, or a line break before a line that starts
/// like a new statement (a capital, a digit, a bullet) after a line that did not end
/// mid-phrase (`,` `-` `:` `/`). Table cells (tabs, `|`) and colons do not end a statement:
/// a table row is one.
fn ends_statement(text: &str, at: usize, run: &str) -> bool {
    let bytes = text.as_bytes();
    for (i, c) in run.char_indices() {
        if matches!(c, '!' | '?' | ';') {
            return true;
        }
        if c == '.' && !crate::normalize::is_abbreviation_dot(bytes, at + i) {
            let next = text[at + i + 1..].chars().next();
            if next.is_none_or(char::is_whitespace) {
                return true;
            }
        }
    }
    let newlines = run.matches('\n').count();
    if newlines >= 2 {
        return true;
    }
    if newlines == 1 {
        let before = run[..run.find('\n').unwrap_or(0)].trim();
        if before.ends_with([',', '-', ':', '/']) {
            return false;
        }
        let line_before = text[..at].rsplit('\n').next().unwrap_or("").trim_end();
        if line_before.ends_with([',', '-', ':', '/'])
            || line_before.to_ascii_lowercase().ends_with(" of")
        {
            return false;
        }
        let after = run[run.rfind('\n').unwrap_or(0) + 1..].trim_start();
        let next = after
            .chars()
            .next()
            .or_else(|| text[at + run.len()..].chars().next());
        return next.is_some_and(|c| {
            c.is_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '*' | '\u{2022}')
        });
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

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
