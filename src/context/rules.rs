//! Loading the trigger tables into automata: one per layer (assertions; statement cues).

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use super::{Category, ContextRules, Direction, Hit, Rule, Target};
use crate::normalize::KeyText;
use crate::normalize::fold::term_key;
use crate::tables::{self, Table, TableError};

static CONTEXT_TSV: &str = include_str!("../../dictionaries/context.tsv");

/// A `re:` trigger's pattern, matched on word boundaries.
fn trigger_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("(?-u:\\b)(?:{pattern})(?-u:\\b)"))
}

/// The statement cues shipped in `dictionaries/`.
static CUES_TSV: &str = include_str!("../../dictionaries/statement-cues.tsv");

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
}

/// One automaton over the triggers of one layer.
pub(super) struct Layer {
    literals: AhoCorasick,
    /// Per pattern (literals first, then regexes): the rules it triggers.
    pub(super) pattern_rules: Vec<Vec<usize>>,
    /// Regexes and their pattern index.
    regexes: Vec<(Regex, usize)>,
}

impl Layer {
    pub(super) fn build(rules: &[Rule], keep: impl Fn(&Rule) -> bool) -> Result<Layer, String> {
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
    pub(super) fn hits(&self, key: &KeyText) -> Vec<Hit> {
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
