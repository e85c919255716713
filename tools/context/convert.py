#!/usr/bin/env python3
"""Build dictionaries/context.tsv and dictionaries/sections.tsv from the raw ConText rule sets.

Inputs (raw, never read at run time by chart2fhir):
  VOCAB/medspacy-context-rules-en.tsv      medspaCy 1.3.1 context rules (MIT)
  VOCAB/medspacy-section-patterns-en.tsv   medspaCy 1.3.1 section patterns (MIT)
  VOCAB/negex-triggers.tsv                 NegEx triggers, chapmanbe/negex (Apache-2.0)
  VOCAB/genConText_*_triggers.txt          genConText triggers, chapmanbe/negex (Apache-2.0)
  VOCAB/pycontextnlp-lexical-kb.tsv        pyConTextNLP lexical KB, chapmanbe/pyConTextNLP (Apache-2.0)
Curated data next to this script (the decisions, each with a reason):
  curated-context.tsv    category/direction decisions for conflicting triggers + chart wordings
  excluded-context.tsv   source triggers that are dropped
  medspacy-section-map.tsv, curated-sections.tsv, excluded-sections.tsv

Usage:
  python3 tools/context/convert.py [--vocab DIR] [--out DIR] [--report]

The script fails (exit 1) when two sources disagree on a trigger and no curated row decides it,
so every conflict is resolved on purpose. Python 3 standard library only.
"""
import argparse
import collections
import csv
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_VOCAB = "/work/shared/vocab/context"

# Kinds of finding a rule may be limited to (medspaCy's allowed_types).
TARGETS = ("condition", "medication", "allergy")
CATEGORIES = ("negated", "possible", "historical", "hypothetical", "family", "pseudo", "terminate")
DIRECTIONS = ("forward", "backward", "bidirectional", "answer", "none")
SOURCES = ("medspacy", "negex", "gencontext", "pycontextnlp", "chart2fhir")  # attribution priority
SECTIONS = (
    "allergies", "medications", "medications_discontinued", "medications_administered",
    "medications_discharge", "problems", "problems_resolved", "past_medical_history",
    "diagnoses_discharge", "diagnoses_admission", "diagnoses_encounter", "family_history",
    "social_history", "assessment_plan", "plan", "results", "vitals", "immunizations",
    "procedures", "surgical_history", "encounters", "reason_for_referral", "hospital_course",
    "instructions", "functional_status", "mental_status", "goals", "health_concerns", "devices",
    "care_team", "chief_complaint", "history_present_illness", "review_of_systems",
    "physical_exam", "payers", "advance_directives", "demographics", "other", "administrative",
)
# Pattern expansions with more alternatives than this become one `re:` rule instead of literals.
MAX_LITERALS_PER_PATTERN = 16

APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc"
# spaCy splits "doesn't" into "does" + "n't"; normalisation turns it into "doesnt".
CONTRACTION_STEMS = {"can": "cant", "will": "wont", "do": "dont", "ca": "cant", "wo": "wont"}
# "n't" with no preceding token in a pattern: the contracted auxiliaries a note may use.
# "can't" is left out on purpose: "can't tolerate X" is an intolerance, not a negation.
BARE_CONTRACTIONS = ("arent", "couldnt", "didnt", "doesnt", "dont", "hadnt", "hasnt", "havent",
                     "isnt", "shouldnt", "wasnt", "werent", "wont", "wouldnt")
# before a participle ("isn't ruled out", "hasn't been ruled out", "isn't significant")
BE_HAVE_CONTRACTIONS = ("arent", "hadnt", "hasnt", "havent", "isnt", "wasnt", "werent")


def normalize(text):
    """The engine's normalisation: lowercase, apostrophes deleted, other punctuation -> space,
    whitespace collapsed."""
    out = []
    for ch in text.lower():
        if ch in APOSTROPHES:
            continue
        if ch.isalnum() or ch.isspace():
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).split())


def read_tsv(path, fields, optional=()):
    """Rows of a tab-separated file as dicts; `optional` columns may follow `fields`."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if not len(fields) <= len(parts) <= len(fields) + len(optional):
                sys.exit(f"{path}:{lineno}: expected {len(fields)} columns, got {len(parts)}")
            row = dict.fromkeys(optional, "")
            row.update(zip(list(fields) + list(optional), parts))
            rows.append(dict(row, _where=f"{os.path.basename(path)}:{lineno}"))
    return rows


# ----------------------------------------------------------------------------- token patterns

def expand_pattern(pattern, direction):
    """Expand a spaCy token pattern (LOWER / IN / OP '?') into normalised literal strings.

    "n't" after a token is glued to it ("does" + "n't" -> "doesnt"). A pattern that starts with
    "n't" has no auxiliary to glue to: the bare "not" rule gets every contracted auxiliary; a
    backward rule ("n't ruled out") gets the be/have ones; a longer forward rule ("n't associated
    with") gets none, because the bare contraction rule already negates forward from "isnt"."""
    bare = BARE_CONTRACTIONS
    if any(t.get("OP") != "?" for t in pattern[1:]):
        bare = BE_HAVE_CONTRACTIONS if direction == "backward" else ()
    seqs = [[]]
    for tok in pattern:
        low = tok["LOWER"]
        alts = list(low["IN"]) if isinstance(low, dict) else [low]
        optional = tok.get("OP") == "?"
        if set(tok) - {"LOWER", "OP"} or (tok.get("OP") not in (None, "?")):
            raise ValueError(f"unsupported token pattern {tok}")
        new = []
        for seq in seqs:
            if optional:
                new.append(list(seq))
            for alt in alts:
                alt = alt.lower()
                if alt in ("n't", "nt"):
                    if seq:
                        prev = seq[-1]
                        joined = CONTRACTION_STEMS.get(prev, prev + "nt")
                        new.append(seq[:-1] + [joined])
                    else:
                        for c in bare:
                            new.append([c])
                elif alt in ("'s", "'"):
                    # possessive: "mother's" -> "mothers"; "parents'" / "parents's" -> "parents"
                    if seq:
                        if alt == "'s" and not seq[-1].endswith("s"):
                            new.append(seq[:-1] + [seq[-1] + "s"])
                        else:
                            new.append(list(seq))
                else:
                    new.append(seq + [alt])
        seqs = new
    out = set()
    for seq in seqs:
        # keep contracted auxiliaries grammatical: "hasnt been ruled out", "isnt ruled out"
        if len(seq) > 1 and seq[0] in ("hasnt", "havent", "hadnt") and seq[1] != "been":
            continue
        if len(seq) > 1 and seq[0] in ("isnt", "wasnt", "arent", "werent") and seq[1] == "been":
            continue
        s = normalize(" ".join(seq))
        if s:
            out.add(s)
    return out


def words_regex(strings):
    """A regex (Rust `regex` / Python `re` common syntax) that fully matches exactly `strings`
    (each a space-separated word sequence). Built from a word trie whose identical sub-tries are
    shared, so it reads like the pattern it came from. Alternatives are ordered longest first
    because the Rust regex crate is leftmost-first."""
    END = object()
    root = {}
    for s in strings:
        node = root
        for w in s.split(" "):
            node = node.setdefault(w, {})
        node[END] = True

    memo = {}

    def emit(node):
        key = id(node)
        if key in memo:
            return memo[key]
        groups = collections.OrderedDict()
        for w in sorted((k for k in node if k is not END), key=lambda x: (-len(x), x)):
            child = node[w]
            sub = emit(child)
            term = END in child
            groups.setdefault((sub, term), []).append(w)
        alts = []
        for (sub, term), ws in groups.items():
            wre = re.escape(ws[0]) if len(ws) == 1 else "(?:" + "|".join(re.escape(w) for w in ws) + ")"
            if not sub:
                alts.append(wre)
            elif term:
                alts.append(f"{wre}(?: {sub})?")
            else:
                alts.append(f"{wre} {sub}")
        res = alts[0] if len(alts) == 1 else ("(?:" + "|".join(alts) + ")" if alts else "")
        memo[key] = res
        return res

    rx = emit(root)
    if rx.startswith("(?:") and rx.endswith(")") and _balanced_outer(rx):
        rx = rx[3:-1]
    return rx


def _balanced_outer(rx):
    depth = 0
    for i, ch in enumerate(rx):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(rx) - 1:
                return False
    return True


# ----------------------------------------------------------------------------- sources

Rule = collections.namedtuple("Rule", "trigger category direction source origin")


def load_medspacy(vocab):
    rules, groups = [], []
    catmap = {"NEGATED_EXISTENCE": "negated", "POSSIBLE_EXISTENCE": "possible",
              "HISTORICAL": "historical", "HYPOTHETICAL": "hypothetical", "FAMILY": "family",
              "PSEUDO": "pseudo"}
    with open(os.path.join(vocab, "medspacy-context-rules-en.tsv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            direction = row["direction"].lower()
            if direction == "terminate":
                category, direction = "terminate", "none"
            else:
                category = catmap[row["category"]]
                if category == "pseudo":
                    direction = "none"
            origin = f"medspacy:{row['literal']}"
            if row["has_token_pattern"] == "1":
                strings = expand_pattern(json.loads(row["pattern_json"]), direction)
                # A trailing "for"/"against" makes a rule-out phrase point forward
                # ("is to be ruled out for PE"), as NegEx's PREP list has it.
                fwd = {s for s in strings if direction == "backward" and re.search(r" (for|against)$", s)}
                if fwd:
                    groups.append((strings - fwd, category, direction, origin))
                    groups.append((fwd, category, "forward", origin + " (+for)"))
                else:
                    groups.append((strings, category, direction, origin))
            else:
                rules.append(Rule(normalize(row["literal"]), category, direction, "medspacy", origin))
    return rules, groups


def load_negex(vocab):
    tagmap = {"PREN": ("negated", "forward"), "POST": ("negated", "backward"),
              "PREP": ("possible", "forward"), "POSP": ("possible", "backward"),
              "CONJ": ("terminate", "none"), "PSEU": ("pseudo", "none")}
    rules = []
    with open(os.path.join(vocab, "negex-triggers.tsv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if ":" in row["tag"]:
                continue  # genConText rows copied into this file; read from the genConText files
            category, direction = tagmap[row["tag"]]
            rules.append(Rule(normalize(row["phrase"]), category, direction, "negex",
                              f"negex:{row['tag']}:{row['phrase']}"))
    return rules


def load_gencontext(vocab):
    files = {"experiencer": "family", "history": "historical", "hypothetical": "hypothetical"}
    rules = []
    for kind, cat in files.items():
        path = os.path.join(vocab, f"genConText_{kind}_triggers.txt")
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                m = re.match(r"^(.*?)\s+\[(\w+)\]\s*$", line.rstrip("\n"))
                if not m:
                    continue
                phrase, tag = m.groups()
                if tag in ("PREN", "ONEW"):
                    category, direction = cat, "forward"
                elif tag == "POST":
                    category, direction = cat, "backward"
                elif tag == "CONJ":
                    category, direction = "terminate", "none"
                elif tag == "PSEU":
                    category, direction = "pseudo", "none"
                else:
                    raise ValueError(f"{path}: unknown tag {tag}")
                rules.append(Rule(normalize(phrase), category, direction, "gencontext",
                                  f"gencontext:{kind}:{tag}:{phrase}"))
    return rules


def load_pycontext(vocab):
    catmap = {"DEFINITE_NEGATED_EXISTENCE": "negated", "PROBABLE_NEGATED_EXISTENCE": "negated",
              "AMBIVALENT_EXISTENCE": "possible", "PROBABLE_EXISTENCE": "possible",
              "INDICATION": "possible", "HISTORICAL": "historical", "HYPOTHETICAL": "hypothetical",
              "FUTURE": "hypothetical", "PSEUDONEG": "pseudo", "CONJ": "terminate",
              # present is the default assertion: these two categories carry no flag here
              "DEFINITE_EXISTENCE": None, "ACUTE": None}
    dirmap = {"forward": "forward", "backward": "backward", "backwards": "backward",
              "bidirectional": "bidirectional", "terminate": "none"}
    rules, dropped = [], []
    with open(os.path.join(vocab, "pycontextnlp-lexical-kb.tsv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            category = catmap[row["type"]]
            direction = "none" if category in ("pseudo", "terminate") else dirmap[row["direction"]]
            lex = row["lex"]
            # a few lexical forms are themselves little patterns: "(no|nothing) convincing"
            parts = [[lex]]
            if "(" in lex:
                parts = []
                for piece in re.split(r"(\([^)]*\))", lex):
                    if piece.startswith("("):
                        parts.append(piece[1:-1].split("|"))
                    elif piece:
                        parts.append([piece])
            combos = [""]
            for alts in parts:
                combos = [c + a for c in combos for a in alts]
            for c in combos:
                trig = normalize(c)
                if category is None:
                    dropped.append(trig)
                    continue
                rules.append(Rule(trig, category, direction, "pycontextnlp",
                                  f"pycontextnlp:{row['type']}:{lex}"))
    return rules, dropped


# ----------------------------------------------------------------------------- build

def build_context(vocab, report):
    excluded = read_tsv(os.path.join(HERE, "excluded-context.tsv"), ["trigger", "source", "reason"])
    curated = read_tsv(os.path.join(HERE, "curated-context.tsv"),
                       ["trigger", "category", "direction", "reason"], ["targets", "max_targets"])
    excl = collections.defaultdict(set)
    for r in excluded:
        if r["trigger"] != normalize(r["trigger"]):
            sys.exit(f"{r['_where']}: excluded trigger not normalised: {r['trigger']!r}")
        excl[r["trigger"]].add(r["source"])

    def is_excluded(trigger, source):
        s = excl.get(trigger)
        return bool(s) and ("*" in s or source in s)

    cur = collections.defaultdict(list)
    for r in curated:
        t = r["trigger"]
        if not t.startswith("re:") and t != normalize(t):
            sys.exit(f"{r['_where']}: curated trigger not normalised: {t!r} (-> {normalize(t)!r})")
        if r["category"] not in CATEGORIES or r["direction"] not in DIRECTIONS:
            sys.exit(f"{r['_where']}: bad category/direction")
        if (r["category"] in ("pseudo", "terminate")) != (r["direction"] == "none"):
            sys.exit(f"{r['_where']}: pseudo/terminate need direction none (and only they)")
        if any(x not in TARGETS for x in filter(None, r["targets"].split(","))):
            sys.exit(f"{r['_where']}: targets must be among {TARGETS}")
        if r["max_targets"] and not r["max_targets"].isdigit():
            sys.exit(f"{r['_where']}: max_targets must be a number")
        if any(c["category"] == r["category"] for c in cur[t]):
            sys.exit(f"{r['_where']}: duplicate curated ({t}, {r['category']})")
        cur[t].append(r)

    ms_rules, ms_groups = load_medspacy(vocab)
    ng_rules = load_negex(vocab)
    gc_rules = load_gencontext(vocab)
    py_rules, py_dropped = load_pycontext(vocab)

    stats = collections.Counter()
    literal_rules = []
    for r in ms_rules + ng_rules + gc_rules + py_rules:
        stats[f"read:{r.source}"] += 1
        if is_excluded(r.trigger, r.source):
            stats[f"excluded:{r.source}"] += 1
            continue
        literal_rules.append(r)

    regex_rows = []
    pattern_log = []
    for strings, category, direction, origin in ms_groups:
        total = len(strings)
        keep = set()
        for s in strings:
            if is_excluded(s, "medspacy"):
                stats["excluded:medspacy-expansion"] += 1
                continue
            keep.add(s)
        # single words (the family pattern) read better as a list of literals
        if len(keep) <= MAX_LITERALS_PER_PATTERN or all(" " not in s for s in keep):
            for s in sorted(keep):
                literal_rules.append(Rule(s, category, direction, "medspacy", origin))
            pattern_log.append((origin, total, len(keep), "literals", ""))
        else:
            # expansions that a curated row decides are taken out of the regex (the literal wins)
            in_rx = {s for s in keep if s not in cur}
            for s in sorted(keep - in_rx):
                literal_rules.append(Rule(s, category, direction, "medspacy", origin))
            rx = words_regex(in_rx)
            for s in in_rx:
                assert re.fullmatch(rx, s), (rx, s)
            for s in keep - in_rx:
                if re.fullmatch(rx, s):
                    sys.exit(f"regex for {origin} still matches curated {s!r}: {rx}")
            regex_rows.append(Rule("re:" + rx, category, direction, "medspacy", origin))
            pattern_log.append((origin, total, len(keep), "regex", rx))

    # group source literals by trigger
    by_trigger = collections.defaultdict(list)
    for r in literal_rules:
        if not r.trigger:
            continue
        by_trigger[r.trigger].append(r)

    final = {}  # (trigger, category) -> (direction, source, note)
    conflicts = []
    decided = []
    for trig, rs in by_trigger.items():
        cats = {(r.category, r.direction) for r in rs}
        if trig in cur:
            continue  # decided below
        if len(cats) > 1:
            conflicts.append((trig, sorted(cats), sorted({r.source for r in rs})))
            continue
        (category, direction), = cats
        src = min((r.source for r in rs), key=SOURCES.index)
        final[(trig, category)] = (direction, src, "", "", "")
    for trig, rows in cur.items():
        srcs = by_trigger.get(trig, [])
        for row in rows:
            agreeing = [r.source for r in srcs if r.category == row["category"]]
            src = min(agreeing, key=SOURCES.index) if agreeing else "chart2fhir"
            final[(trig, row["category"])] = (row["direction"], src, row["reason"],
                                              row["targets"], row["max_targets"])
            others = sorted({(r.category, r.direction, r.source) for r in srcs
                             if (r.category, r.direction) != (row["category"], row["direction"])})
            if others:
                decided.append((trig, row["category"], row["direction"], others, row["reason"]))
    if conflicts:
        for c in sorted(conflicts):
            print("UNRESOLVED CONFLICT:", c, file=sys.stderr)
        sys.exit(f"{len(conflicts)} unresolved source conflicts: add rows to curated-context.tsv")

    for rx in regex_rows:
        final[(rx.trigger, rx.category)] = (rx.direction, rx.source, "", "", "")

    # a regex must not silently re-decide a literal with a different category/direction
    literals = {t: v for (t, c), v in final.items() if not t.startswith("re:")}
    lit_cats = collections.defaultdict(set)
    for (t, c), (d, *_) in final.items():
        if not t.startswith("re:"):
            lit_cats[t].add((c, d))
    for (t, c), (d, *_) in final.items():
        if not t.startswith("re:"):
            continue
        rx = re.compile(t[3:])
        for lt in literals:
            if rx.fullmatch(lt) and (c, d) not in lit_cats[lt]:
                sys.exit(f"regex {t} ({c},{d}) fully matches literal {lt!r} {sorted(lit_cats[lt])}")

    lines = sorted(f"{t}\t{c}\t{d}\t{s}\t{g}\t{m}" for (t, c), (d, s, n, g, m) in final.items())
    return lines, dict(stats=stats, decided=decided, pattern_log=pattern_log,
                       py_dropped=sorted(set(py_dropped)), excluded=excluded)


def build_sections(vocab):
    catmap = {r["medspacy_category"]: r["section"]
              for r in read_tsv(os.path.join(HERE, "medspacy-section-map.tsv"),
                                ["medspacy_category", "section"])}
    excluded = {normalize(r["header"]): r["reason"]
                for r in read_tsv(os.path.join(HERE, "excluded-sections.tsv"), ["header", "reason"])}
    curated = read_tsv(os.path.join(HERE, "curated-sections.tsv"), ["header", "section", "reason"],
                       ["form"])
    out = {}  # normalised -> (written, section)
    for r in curated:
        if r["section"] not in SECTIONS:
            sys.exit(f"{r['_where']}: unknown section {r['section']}")
        n = normalize(r["header"])
        if n in out:
            sys.exit(f"{r['_where']}: duplicate header after normalisation: {r['header']!r} ~ {out[n][0]!r}")
        if n in excluded and r["form"] != "alone":
            sys.exit(f"{r['_where']}: header is also excluded: {r['header']!r}")
        if r["form"] not in ("", "alone"):
            sys.exit(f"{r['_where']}: form must be empty or alone")
        out[n] = (r["header"], r["section"], r["form"])
    stats = collections.Counter()
    with open(os.path.join(vocab, "medspacy-section-patterns-en.tsv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            stats["medspacy"] += 1
            lit = row["literal"].strip().rstrip(":").strip()
            n = normalize(lit)
            if n in excluded:
                stats["medspacy-excluded"] += 1
                continue
            if n in out:
                stats["medspacy-covered"] += 1
                continue
            sec = catmap[row["category"]]
            out[n] = (lit, sec, "")
            stats["medspacy-added"] += 1
    lines = sorted(f"{w}\t{s}\t{f}" for w, s, f in out.values())
    return lines, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", default=DEFAULT_VOCAB)
    ap.add_argument("--out", default=os.path.join(REPO, "dictionaries"))
    ap.add_argument("--report", action="store_true", help="print decisions and counts")
    args = ap.parse_args()

    ctx_lines, info = build_context(args.vocab, args.report)
    sec_lines, sec_stats = build_sections(args.vocab)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "context.tsv"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("trigger\tcategory\tdirection\tsource\ttargets\tmax_targets\n")
        for line in ctx_lines:
            fh.write(line + "\n")
    with open(os.path.join(args.out, "sections.tsv"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write("header\tsection\tform\n")
        for line in sec_lines:
            fh.write(line + "\n")

    counts = collections.Counter()
    for line in ctx_lines:
        t, c, d, s, *_ = line.split("\t")
        counts[(c, d)] += 1
        counts[("source", s)] += 1
        counts[("kind", "regex" if t.startswith("re:") else "literal")] += 1
    print(f"context.tsv: {len(ctx_lines)} rules; sections.tsv: {len(sec_lines)} headers")
    if args.report:
        print("\n# rules per category/direction")
        for (c, d), n in sorted(counts.items()):
            if c not in ("source", "kind"):
                print(f"{c}\t{d}\t{n}")
        print("\n# rules per source")
        for (c, d), n in sorted(counts.items()):
            if c == "source":
                print(f"{d}\t{n}")
        print("\n# literal / regex")
        for (c, d), n in sorted(counts.items()):
            if c == "kind":
                print(f"{d}\t{n}")
        print("\n# source rows read / excluded")
        for k, v in sorted(info["stats"].items()):
            print(f"{k}\t{v}")
        print("\n# medspaCy token patterns")
        for origin, total, kept, how, rx in info["pattern_log"]:
            print(f"{origin}\t{total} expansions\t{kept} kept\t{how}\t{rx}")
        print("\n# decisions overriding a source (trigger, chosen, overridden)")
        for trig, cat, d, others, reason in sorted(info["decided"]):
            print(f"{trig}\t{cat}/{d}\t{'; '.join(f'{c}/{dd} ({s})' for c, dd, s in others)}\t{reason}")
        print("\n# sections")
        for k, v in sorted(sec_stats.items()):
            print(f"{k}\t{v}")


if __name__ == "__main__":
    main()
