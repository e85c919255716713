#!/usr/bin/env python3
"""A deliberately simple ConText, used only to exercise dictionaries/context.tsv against the
labelled tables and to list the cases a naive engine gets wrong. It is NOT chart2fhir's engine.

Algorithm (one sentence at a time):
  1. split the sentence into clauses at . ; ! ? (not inside numbers) - sentence boundaries;
  2. normalise each clause (lowercase, apostrophes deleted, other punctuation -> space);
  3. find every trigger (literals on word boundaries, `re:` rules via regex, whole words only);
     keep the leftmost-longest non-overlapping matches; pseudo matches are then dropped
     (they only exist to swallow the triggers they contain);
  4. scope: forward from the trigger to the clause end or the first terminate match;
     backward from the trigger to the clause start or the last terminate match before it;
  5. a target covered by several triggers gets the first of
     negated > family > hypothetical > possible > historical; none -> present.

Usage:
  python3 tools/context/baseline.py [TSV ...]     (default: both tests/data tables)
  prints a confusion table and every disagreement; exit status 0 always.
"""
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from convert import normalize  # noqa: E402

PRIORITY = ("negated", "family", "hypothetical", "possible", "historical")


def load_rules(path=os.path.join(REPO, "dictionaries", "context.tsv")):
    lits, rxs = {}, []
    with open(path, encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            t, c, d, s = line.rstrip("\n").split("\t")
            if t.startswith("re:"):
                rxs.append((re.compile(t[3:]), c, d, t))
            else:
                lits.setdefault(tuple(t.split(" ")), []).append((c, d, t))
    return lits, rxs


def clauses(sentence):
    # sentence boundaries: . ; ! ? followed by space/end, not a decimal point
    parts = re.split(r"[;!?]|\.(?=\s|$)", sentence)
    return [p for p in parts if p.strip()]


def find_triggers(words, lits, rxs):
    text = " ".join(words)
    # char offset -> word index
    starts, pos = {}, 0
    ends = {}
    for i, w in enumerate(words):
        starts[pos] = i
        ends[pos + len(w)] = i + 1
        pos += len(w) + 1
    found = []
    maxlen = max((len(k) for k in lits), default=1)
    for i in range(len(words)):
        for n in range(1, min(maxlen, len(words) - i) + 1):
            key = tuple(words[i:i + n])
            for c, d, t in lits.get(key, ()):
                found.append((i, i + n, c, d, t))
    for rx, c, d, t in rxs:
        for m in rx.finditer(text):
            if m.start() in starts and m.end() in ends and m.end() > m.start():
                found.append((starts[m.start()], ends[m.end()], c, d, t))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0]), PRIORITY.index(f[2]) if f[2] in PRIORITY else 9))
    chosen, last_end = [], 0
    for f in found:
        if f[0] >= last_end:
            chosen.append(f)
            last_end = f[1]
    return [f for f in chosen if f[2] != "pseudo"]


def assert_target(sentence, target, rules):
    lits, rxs = rules
    ntarget = normalize(target).split(" ")
    for clause in clauses(sentence):
        if target not in clause:
            continue
        words = normalize(clause).split(" ")
        # locate the target's words in the clause
        at = None
        for i in range(len(words) - len(ntarget) + 1):
            if words[i:i + len(ntarget)] == ntarget:
                at = (i, i + len(ntarget))
                break
        if at is None:
            return "present", []
        trig = find_triggers(words, lits, rxs)
        terms = [f for f in trig if f[2] == "terminate"]
        hits = []
        for s, e, c, d, t in trig:
            if c == "terminate":
                continue
            if s < at[1] and at[0] < e:
                continue  # the trigger overlaps the target itself
            if d in ("forward", "bidirectional") and at[0] >= e:
                stop = min([ts for ts, te, *_ in terms if ts >= e] + [len(words)])
                if at[0] < stop:
                    hits.append((c, t))
            if d in ("backward", "bidirectional") and at[1] <= s:
                start = max([te for ts, te, *_ in terms if te <= s] + [0])
                if at[1] > start:
                    hits.append((c, t))
        for cat in PRIORITY:
            if any(c == cat for c, t in hits):
                return cat, hits
        return "present", hits
    return "present", []


def main(paths):
    rules = load_rules()
    for path in paths:
        conf = collections.Counter()
        wrong = []
        with open(path, encoding="utf-8") as fh:
            header = next(fh).rstrip("\n").split("\t")
            for line in fh:
                row = dict(zip(header, line.rstrip("\n").split("\t")))
                got, hits = assert_target(row["sentence"], row["target"], rules)
                conf[(row["expected"], got)] += 1
                if got != row["expected"]:
                    wrong.append((row, got, hits))
        total = sum(conf.values())
        ok = sum(v for (e, g), v in conf.items() if e == g)
        print(f"== {os.path.relpath(path, REPO)}: {ok}/{total} agree with the naive baseline")
        labels = ("present",) + PRIORITY
        print("expected \\ got\t" + "\t".join(l[:5] for l in labels))
        for e in labels:
            print(f"{e:14s}\t" + "\t".join(str(conf[(e, g)]) for g in labels))
        for e in ("negated", "historical", "family", "possible", "hypothetical"):
            tp = conf[(e, e)]
            fp = sum(v for (x, g), v in conf.items() if g == e and x != e)
            fn = sum(v for (x, g), v in conf.items() if x == e and g != e)
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            print(f"  {e:12s} precision {p:.2f} recall {r:.2f} (tp {tp}, fp {fp}, fn {fn})")
        for row, got, hits in wrong:
            extra = f"\t{row['source']}" if "source" in row else ""
            print(f"  MISS expected {row['expected']:12s} got {got:12s} | {row['sentence']} "
                  f"[{row['target']}] {[t for c, t in hits]} -- {row['note']}{extra}")


if __name__ == "__main__":
    main(sys.argv[1:] or [os.path.join(REPO, "tests", "data", "context-cases.tsv"),
                          os.path.join(REPO, "tests", "data", "assertion-dev-sentences.tsv")])
