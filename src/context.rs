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

/// One automaton over the triggers of one layer.
struct Layer {
    literals: AhoCorasick,
    /// Per pattern (literals first, then regexes): the rules it triggers.
    pattern_rules: Vec<Vec<usize>>,
    /// Regexes and their pattern index.
    regexes: Vec<(Regex, usize)>,
}

impl Layer {
    fn build(rules: &[Rule], keep: impl Fn(&Rule) -> bool) -> Result<Layer, String> {
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_rules: Vec<Vec<usize>> = Vec::new();
        let mut by_key: std::collections::HashMap<String, usize> = Default::default();
        let mut regex_rules = Vec::new();
        for (i, r) in rules.iter().enumerate().filter(|(_, r)| keep(r)) {
            if let Some(re) = r.trigger.strip_prefix("re:") {
                let re = trigger_regex(re).expect("checked when the row was read");
                regex_rules.push((re, i));
            } else {
                let key = term_key(&r.trigger);
                if key.is_empty() {
                    return Err(format!("context rule {:?} has no words", r.trigger));
                }
                match by_key.get(&key) {
                    Some(&p) => pattern_rules[p].push(i),
                    None => {
                        by_key.insert(key.clone(), patterns.len());
                        patterns.push(key);
                        pattern_rules.push(vec![i]);
                    }
                }
            }
        }
        let literals = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| e.to_string())?;
        let mut regexes = Vec::new();
        for (re, rule) in regex_rules {
            regexes.push((re, pattern_rules.len()));
            pattern_rules.push(vec![rule]);
        }
        Ok(Layer {
            literals,
            pattern_rules,
            regexes,
        })
    }

    /// The layer's triggers in a key, leftmost-longest.
    fn hits(&self, key: &KeyText) -> Vec<Hit> {
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
                    pattern: m.pattern().as_usize(),
                });
                pos = m.end();
            } else {
                pos = m.start() + 1;
            }
        }
        for (re, pattern) in &self.regexes {
            for m in re.find_iter(&key.key) {
                if !m.is_empty() && at_word(m.start(), m.end()) {
                    candidates.push(Hit {
                        start: m.start(),
                        end: m.end(),
                        pattern: *pattern,
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
        hits
    }
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

/// A `re:` trigger's pattern, matched on word boundaries.
fn trigger_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("(?-u:\\b)(?:{pattern})(?-u:\\b)"))
}

/// The statement cues shipped in `dictionaries/`.
static CUES_TSV: &str = include_str!("../dictionaries/statement-cues.tsv");

impl ContextRules {
    /// The rules shipped in `dictionaries/context.tsv` and `dictionaries/statement-cues.tsv`.
    pub fn builtin() -> ContextRules {
        tables::shipped(Self::load())
    }

    /// Reads the shipped `context.tsv` and `statement-cues.tsv`.
    pub fn load() -> Result<ContextRules, TableError> {
        Self::from_tables(&[
            ("context.tsv", CONTEXT_TSV),
            ("statement-cues.tsv", CUES_TSV),
        ])
    }

    /// Compiles one rule table (the text of a `context.tsv`).
    pub fn from_table(table: &str) -> Result<ContextRules, TableError> {
        Self::from_tables(&[("context.tsv", table)])
    }

    /// Compiles rule tables (file name, text). Columns are named by each table's header:
    /// `trigger`, `category`, `direction` (required), `source`, `targets` (comma list of
    /// condition / medication / allergy), `max_targets`, `max_scope` (optional); others
    /// (`why`) are notes. A row it cannot read is an error naming the table and line.
    pub fn from_tables(tables: &[(&str, &str)]) -> Result<ContextRules, TableError> {
        let mut rules = Vec::new();
        for &(name, text) in tables {
            let table = Table::parse(name, text)?;
            let optional = |r: &tables::Row<'_>, column: &str| -> Result<Option<String>, String> {
                if table.has_column(column) {
                    Ok(r.opt(column)?.map(str::to_string))
                } else {
                    Ok(None)
                }
            };
            rules.extend(table.map(|r| {
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
                let mut targets = Vec::new();
                for t in optional(r, "targets")?.unwrap_or_default().split(',') {
                    let t = t.trim();
                    if !t.is_empty() {
                        targets
                            .push(Target::parse(t).ok_or_else(|| format!("unknown target {t:?}"))?);
                    }
                }
                let number = |column: &str| -> Result<Option<usize>, String> {
                    optional(r, column)?
                        .map(|v| {
                            v.parse()
                                .map_err(|_| format!("{column} must be a number, not {v:?}"))
                        })
                        .transpose()
                };
                Ok(Rule {
                    trigger: trigger.to_string(),
                    category,
                    direction,
                    source: optional(r, "source")?.unwrap_or_default(),
                    targets,
                    max_targets: number("max_targets")?,
                    max_scope: number("max_scope")?,
                })
            })?);
        }
        let build = |cues: bool| {
            Layer::build(&rules, |r| r.category.is_cue() == cues).map_err(|e| TableError {
                file: tables.first().map_or("context.tsv", |t| t.0).to_string(),
                line: 1,
                detail: e,
            })
        };
        let layers = [build(false)?, build(true)?];
        Ok(ContextRules { rules, layers })
    }

    /// Finds the page's triggers and scope breaks.
    pub fn scan(&self, text: &str, key: &KeyText) -> PageContext {
        let k = key.key.as_bytes();
        let hits = [self.layers[0].hits(key), self.layers[1].hits(key)];
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

    /// Every (hit, rule) pair of the page whose rule passes `keep`.
    fn hit_rules<'a>(
        &'a self,
        ctx: &'a PageContext,
        cue_layer: bool,
        keep: impl Fn(&Rule) -> bool + Copy + 'a,
    ) -> impl Iterator<Item = (&'a Hit, usize)> + 'a {
        let layer = usize::from(cue_layer);
        ctx.hits[layer].iter().flat_map(move |h| {
            self.layers[layer].pattern_rules[h.pattern]
                .iter()
                .copied()
                .filter(move |&r| keep(&self.rules[r]))
                .map(move |r| (h, r))
        })
    }

    /// Words from trigger `h` of `rule` to the finding at `start..end`, when its scope
    /// reaches it: direction, statement breaks, terminators, window, and the nearer findings
    /// it may not pass (`max_targets`). `None` when it does not reach.
    #[allow(clippy::too_many_arguments)]
    fn reaches(
        &self,
        ctx: &PageContext,
        key: &KeyText,
        h: &Hit,
        rule: &Rule,
        start: usize,
        end: usize,
        others: &[TargetSpan],
    ) -> Option<usize> {
        let k = key.key.as_bytes();
        let forward_rule = matches!(
            rule.direction,
            Direction::Forward | Direction::Bidirectional
        );
        if h.start < start && h.end > start && h.end < end && forward_rule {
            // "No history of" over the term "History of stroke": the trigger's last words are
            // the finding's first.
            return Some(0);
        }
        if h.start < end && start < h.end {
            return None; // the trigger overlaps the finding itself
        }
        if rule.direction == Direction::Row {
            return (ctx.line(key, h.start) == ctx.line(key, start)).then_some(usize::MAX / 2);
        }
        let forward = matches!(
            rule.direction,
            Direction::Forward | Direction::Bidirectional
        );
        let backward = matches!(
            rule.direction,
            Direction::Backward | Direction::Bidirectional
        );
        let window = |w: usize| rule.max_scope.map_or(w, |m| m.min(w));
        // Findings of the rule's kinds strictly between the trigger and this one.
        let between = |from: usize, to: usize| {
            others
                .iter()
                .filter(|o| rule.targets.is_empty() || rule.targets.contains(&o.kind))
                .filter(|o| o.start >= from && o.end <= to && !(o.start == start && o.end == end))
                .count()
        };
        let within_targets =
            |from: usize, to: usize| rule.max_targets.is_none_or(|m| between(from, to) < m);
        let assertion = rule.category.assertion();
        if forward && h.end <= start {
            let d = self.reach(ctx, k, h.end, start, window(FORWARD_WINDOW))?;
            return within_targets(h.end, start).then_some(d);
        }
        if (forward && matches!(assertion, Some(Assertion::Negated | Assertion::Possible))
            || rule.direction == Direction::Answer)
            && h.start >= end
            && ends_its_statement(ctx, k, h.end)
            && self.reach(ctx, k, end, h.start, 2).is_some()
        {
            // A form's answer: "Smoker: No", "Chest pain: denies", "Metformin - not
            // taking". A forward trigger with nothing after it in its statement answers
            // the label just before it.
            return Some(0);
        }
        if backward && h.start >= end {
            let d = self.reach(ctx, k, end, h.start, window(BACKWARD_WINDOW))?;
            return within_targets(end, h.start).then_some(d);
        }
        None
    }

    /// Decides the assertion of the finding at key span `start..end`.
    pub fn assert(&self, ctx: &PageContext, key: &KeyText, start: usize, end: usize) -> Decision {
        self.assert_target(ctx, key, start, end, None, &[])
    }

    /// Decides the assertion of a finding of kind `kind` at key span `start..end`, with the
    /// page's other findings (`others`) for the rules that may modify only the nearest.
    pub fn assert_target(
        &self,
        ctx: &PageContext,
        key: &KeyText,
        start: usize,
        end: usize,
        kind: Option<Target>,
        others: &[TargetSpan],
    ) -> Decision {
        let mut found: Vec<(Assertion, usize, usize)> = Vec::new(); // (assertion, distance, rule)
        let applies = |r: &Rule| {
            r.category.assertion().is_some()
                && (r.targets.is_empty() || kind.is_none_or(|k| r.targets.contains(&k)))
        };
        for (h, ri) in self.hit_rules(ctx, false, applies) {
            let rule = &self.rules[ri];
            if let Some(d) = self.reaches(ctx, key, h, rule, start, end, others) {
                found.push((rule.category.assertion().expect("assertion rule"), d, ri));
            }
        }
        // Negation first ("denies family history of …" is a denial), then family (about
        // someone else), hypotheticals, uncertainty, history. Within a category, the nearest trigger explains the decision.
        found.sort_by_key(|&(a, d, _)| (priority(a), d));
        match found.first() {
            Some(&(assertion, _, rule)) => Decision {
                assertion,
                rule: Some(self.describe(rule)),
            },
            None => Decision {
                assertion: Assertion::Present,
                rule: None,
            },
        }
    }

    /// The nearest statement cue of one of `categories` that reaches the finding of kind
    /// `kind` at key span `start..end` (ties: the earlier category in `categories`).
    #[allow(clippy::too_many_arguments)]
    pub fn cue(
        &self,
        ctx: &PageContext,
        key: &KeyText,
        start: usize,
        end: usize,
        kind: Target,
        others: &[TargetSpan],
        categories: &[Category],
    ) -> Option<Cue> {
        let applies = |r: &Rule| {
            categories.contains(&r.category) && (r.targets.is_empty() || r.targets.contains(&kind))
        };
        self.hit_rules(ctx, true, applies)
            .filter_map(|(h, ri)| {
                let rule = &self.rules[ri];
                let d = self.reaches(ctx, key, h, rule, start, end, others)?;
                let rank = categories.iter().position(|c| *c == rule.category);
                Some((d, rank, h, ri))
            })
            .min_by_key(|&(d, rank, h, _)| (d, rank, h.start))
            .map(|(_, _, h, ri)| Cue {
                category: self.rules[ri].category,
                rule: self.describe(ri),
                start: h.start,
                end: h.end,
            })
    }

    /// The rule of a trigger of `category` that opens the finding at key span `start..end`
    /// itself ("History of DVT" is a term whose first words are a historical trigger).
    /// Returns the rule and the key offset where the trigger ends.
    pub fn opens(
        &self,
        ctx: &PageContext,
        start: usize,
        end: usize,
        category: Category,
    ) -> Option<(String, usize)> {
        self.hit_rules(ctx, false, |r| r.category == category)
            .find(|(h, _)| h.start == start && h.end < end)
            .map(|(h, r)| (self.describe(r), h.end))
    }

    /// True when no statement break lies between key offsets `a` and `b` (in either order).
    pub fn same_statement(&self, ctx: &PageContext, a: usize, b: usize) -> bool {
        let (from, to) = (a.min(b), a.max(b));
        let i = ctx.breaks.partition_point(|&x| x < from);
        ctx.breaks.get(i).is_none_or(|&x| x >= to)
    }

    /// "trigger 'denies' (negated, negex)".
    fn describe(&self, rule: usize) -> String {
        let r = &self.rules[rule];
        format!(
            "trigger '{}' ({}, {})",
            r.trigger,
            r.category.as_str(),
            if r.source.is_empty() {
                "chart2fhir"
            } else {
                &r.source
            }
        )
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
        let terminated = self
            .hit_rules(ctx, false, |r| r.category == Category::Terminate)
            .any(|(h, _)| h.start >= from && h.end <= to);
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
