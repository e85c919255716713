//! Scopes: which triggers of a page reach a finding, and what they say of it.

use super::{
    Assertion, BACKWARD_WINDOW, Category, ContextRules, Cue, Decision, Direction, FORWARD_WINDOW,
    Hit, PageContext, Rule, Target, TargetSpan,
};
use crate::normalize::KeyText;

impl ContextRules {
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
