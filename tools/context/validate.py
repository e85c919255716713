#!/usr/bin/env python3
"""Check the clinical-context data files against their formats (Python 3 standard library).

  dictionaries/context.tsv            trigger, category, direction, source
  dictionaries/sections.tsv           header, section
  tests/data/context-cases.tsv        sentence, target, expected, note
  tests/data/assertion-dev-sentences.tsv  sentence, target, expected, note, source

Checks: exact header, column count, no empty cells, allowed values, LC_ALL=C sort order of the
data lines, no duplicate (trigger, category) / header (also after normalisation), literal
triggers already normalised, `re:` rules compile and use only syntax the Rust `regex` crate
shares with Python (no look-around, no back-references) and never match the empty string,
every target occurs exactly once in its sentence, minimum row counts.

Usage: python3 tools/context/validate.py [--repo DIR]     exit 1 on any error
"""
import argparse
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from convert import CATEGORIES, DIRECTIONS, SECTIONS, SOURCES, normalize  # noqa: E402

EXPECTED = ("present", "negated", "possible", "historical", "hypothetical", "family")
RUST_UNSUPPORTED = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?P=|\\[AZ]")
MAX_SENTENCE = 300

errors = []


def err(path, lineno, msg):
    errors.append(f"{path}:{lineno}: {msg}")


def read(path, header):
    with open(path, encoding="utf-8", newline="") as fh:
        raw = fh.read()
    if "\r" in raw:
        err(path, 0, "CR characters (use LF line endings)")
    if not raw.endswith("\n"):
        err(path, 0, "missing final newline")
    lines = raw.split("\n")[:-1]
    if not lines or lines[0] != "\t".join(header):
        err(path, 1, f"header must be {header}")
    rows = []
    for i, line in enumerate(lines[1:], 2):
        cells = line.split("\t")
        if len(cells) != len(header):
            err(path, i, f"{len(cells)} columns, expected {len(header)}")
            continue
        if any(c == "" or c != c.strip() for c in cells):
            err(path, i, "empty cell or leading/trailing space")
        rows.append((i, dict(zip(header, cells)), line))
    data = [l for _, _, l in rows]
    if data != sorted(data, key=lambda s: s.encode("utf-8")):
        for (i, _, a), (_, _, b) in zip(rows, rows[1:]):
            if a.encode() > b.encode():
                err(path, i + 1, f"not sorted (LC_ALL=C): {b!r} after {a!r}")
                break
    return rows


def check_context(path):
    rows = read(path, ["trigger", "category", "direction", "source"])
    seen = set()
    counts = collections.Counter()
    for i, r, _ in rows:
        t, c, d, s = r["trigger"], r["category"], r["direction"], r["source"]
        if c not in CATEGORIES:
            err(path, i, f"bad category {c}")
        if d not in DIRECTIONS:
            err(path, i, f"bad direction {d}")
        if s not in SOURCES:
            err(path, i, f"bad source {s}")
        if (c in ("pseudo", "terminate")) != (d == "none"):
            err(path, i, "pseudo/terminate take direction none, and only they do")
        if (t, c) in seen:
            err(path, i, f"duplicate ({t}, {c})")
        seen.add((t, c))
        if t.startswith("re:"):
            rx = t[3:]
            if RUST_UNSUPPORTED.search(rx):
                err(path, i, f"regex uses syntax the Rust regex crate lacks: {rx}")
            try:
                cre = re.compile(rx)
            except re.error as e:
                err(path, i, f"regex does not compile: {e}")
                continue
            if cre.fullmatch("") or cre.search("") and cre.search("").end() == 0:
                err(path, i, "regex can match the empty string")
            if rx != rx.lower():
                err(path, i, "regex must be lowercase (it runs on normalised text)")
        else:
            if t != normalize(t):
                err(path, i, f"literal not normalised: {t!r} -> {normalize(t)!r}")
        counts[(c, d)] += 1
    return len(rows), counts


def check_sections(path):
    rows = read(path, ["header", "section"])
    seen = {}
    for i, r, _ in rows:
        if r["section"] not in SECTIONS:
            err(path, i, f"bad section {r['section']}")
        n = normalize(r["header"])
        if not n:
            err(path, i, "header normalises to nothing")
        if n in seen:
            err(path, i, f"duplicate header after normalisation: {r['header']!r} ~ {seen[n]!r}")
        seen[n] = r["header"]
    return len(rows)


def check_cases(path, with_source, minimum, corpus_dirs):
    header = ["sentence", "target", "expected", "note"] + (["source"] if with_source else [])
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")[:-1]
    if not lines or lines[0] != "\t".join(header):
        err(path, 1, f"header must be {header}")
    n = 0
    counts = collections.Counter()
    seen = set()
    for i, line in enumerate(lines[1:], 2):
        cells = line.split("\t")
        if len(cells) != len(header):
            err(path, i, f"{len(cells)} columns, expected {len(header)}")
            continue
        r = dict(zip(header, cells))
        n += 1
        if any(c == "" for c in cells):
            err(path, i, "empty cell")
        if r["expected"] not in EXPECTED:
            err(path, i, f"bad expected {r['expected']}")
        if r["sentence"].count(r["target"]) != 1:
            err(path, i, f"target {r['target']!r} occurs {r['sentence'].count(r['target'])} times")
        if r["sentence"].lower().count(r["target"].lower()) != 1:
            err(path, i, f"target {r['target']!r} is ambiguous case-insensitively")
        if len(r["sentence"]) > MAX_SENTENCE:
            err(path, i, f"sentence longer than {MAX_SENTENCE} characters")
        if (r["sentence"], r["target"]) in seen:
            err(path, i, "duplicate (sentence, target)")
        seen.add((r["sentence"], r["target"]))
        if with_source:
            m = re.fullmatch(r"(dev-\d{3})\.(pdf|txt)", r["source"])
            if not m:
                err(path, i, f"bad source {r['source']}")
            elif corpus_dirs:
                text_dir, docs_dir = corpus_dirs
                f = (os.path.join(text_dir, m.group(1) + ".txt") if m.group(2) == "pdf"
                     else os.path.join(docs_dir, m.group(1) + ".txt"))
                if os.path.exists(f):
                    with open(f, encoding="utf-8", errors="replace") as fh:
                        body = fh.read().replace("\f", "\n")
                    lines_ = {l.replace("\t", " | ").strip() for l in body.split("\n")}
                    if r["sentence"] not in lines_:
                        err(path, i, f"sentence is not a line of {r['source']}")
        counts[r["expected"]] += 1
    if n < minimum:
        err(path, 0, f"{n} rows, need at least {minimum}")
    return n, counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--corpus-text", default="/tmp/corpus-text",
                    help="extracted text of the dev packets, to check that dev sentences are real lines")
    ap.add_argument("--corpus-docs", default="/work/shared/corpus/dev/docs")
    a = ap.parse_args()
    corpus = (a.corpus_text, a.corpus_docs) if os.path.isdir(a.corpus_text) else None
    ctx = os.path.join(a.repo, "dictionaries", "context.tsv")
    sec = os.path.join(a.repo, "dictionaries", "sections.tsv")
    cases = os.path.join(a.repo, "tests", "data", "context-cases.tsv")
    dev = os.path.join(a.repo, "tests", "data", "assertion-dev-sentences.tsv")
    n_ctx, ctx_counts = check_context(ctx)
    n_sec = check_sections(sec)
    n_cases, case_counts = check_cases(cases, False, 200, None)
    n_dev, dev_counts = check_cases(dev, True, 250, corpus)
    print(f"context.tsv {n_ctx} rules; sections.tsv {n_sec} headers; "
          f"context-cases {n_cases} {dict(case_counts)}; dev sentences {n_dev} {dict(dev_counts)}")
    if errors:
        print("\n".join(errors))
        print(f"{len(errors)} error(s)")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
