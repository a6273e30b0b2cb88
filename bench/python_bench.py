"""Benchmarks of the Python package (issue 12), run by scripts/bench-python.

  python bench/python_bench.py RUBRIC_BIN OUT_DIR

1. Annotator.pipe(threads=1) over a ~5 MB JSONL corpus (the article and the news
   paragraphs of tests/data, repeated) against `rubric annotate --threads 1` on
   the same file; the CLI's time includes reading and writing, the package's
   includes building Python dicts.
2. The rubric_ruler component against spaCy's EntityRuler in spacy.blank("en"),
   both with the same 100k-entry gazetteer: time to load it, then nlp.pipe over
   the paragraphs.
3. Loading 1M entries: rubric (TSV → Gazetteer) against EntityRuler.add_patterns
   (skipped for the EntityRuler above 1M·RULER_LIMIT, see --ruler-limit).

Synthetic entries (the default gazetteer's patterns combined with made-up
qualifiers) give the sizes; they are for timing only.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import rubric
import spacy

ROOT = Path(__file__).resolve().parents[1]


def corpus(out_dir, size):
    paragraphs = [json.loads(line)["text"] for line in
                  (ROOT / "tests" / "data" / "news-paragraphs.jsonl").read_text().splitlines()]
    texts = [(ROOT / "corpus" / "article.txt").read_text()] + paragraphs
    lines, total, i = [], 0, 0
    while total < size:
        text = texts[i % len(texts)]
        lines.append(json.dumps({"id": str(i), "text": text}, ensure_ascii=False))
        total += len(text.encode())
        i += 1
    path = out_dir / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, total


def entries(n):
    base = []
    with open(ROOT / "corpus" / "gazetteer" / "default.tsv", encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                pattern, label = line.rstrip("\n").split("\t")[:2]
                base.append((pattern, label))
    qualifiers = ["", " Group", " Holdings", " Institute", " Foundation", " Council", " Agency",
                  " Party", " Front", " University", " Bank", " Airlines", " Times", " FC"]
    out = []
    for q in range(len(qualifiers) * 1000):
        suffix = qualifiers[q % len(qualifiers)] + ("" if q < len(qualifiers) else f" {q}")
        for pattern, label in base:
            out.append((pattern + suffix, label))
            if len(out) == n:
                return out
    return out


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rubric_bin")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--corpus-mb", type=float, default=5.0)
    parser.add_argument("--ruler-limit", type=int, default=100_000,
                        help="largest gazetteer given to the EntityRuler")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    path, size = corpus(args.out_dir, int(args.corpus_mb * 1e6))
    mb = size / 1e6
    cli, _ = timed(lambda: subprocess.run(
        [args.rubric_bin, "annotate", "--threads", "1", "-o", str(args.out_dir / "cli.jsonl"),
         str(path)], check=True, capture_output=True))
    documents = [(d["text"], d["id"]) for d in map(json.loads, path.read_text().splitlines())]
    annotator = rubric.Annotator()
    py, records = timed(lambda: sum(1 for _ in annotator.pipe(documents, threads=1)))
    print(f"corpus: {mb:.1f} MB, {len(documents)} documents")
    print(f"rubric annotate --threads 1: {cli:.2f} s ({mb / cli:.1f} MB/s)")
    print(f"Annotator.pipe(threads=1):   {py:.2f} s ({mb / py:.1f} MB/s) = {cli / py:.2f}x the CLI")

    hundred_k = entries(100_000)
    tsv = args.out_dir / "100k.tsv"
    tsv.write_text("".join(f"{p}\t{l}\n" for p, l in hundred_k), encoding="utf-8")
    texts = [text for text, _ in documents[:2000]]

    ours = spacy.blank("en")
    load_ours, _ = timed(lambda: ours.add_pipe("rubric_ruler", config={"gazetteer": str(tsv)}))
    theirs = spacy.blank("en")

    def ruler():
        r = theirs.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        r.add_patterns([{"label": l, "pattern": p} for p, l in hundred_k])

    load_theirs, _ = timed(ruler)
    blank = spacy.blank("en")
    run_blank, _ = timed(lambda: sum(len(d) for d in blank.pipe(texts)))
    run_ours, _ = timed(lambda: sum(len(d.ents) for d in ours.pipe(texts)))
    run_theirs, _ = timed(lambda: sum(len(d.ents) for d in theirs.pipe(texts)))
    text_mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"100k entries, load: rubric_ruler {load_ours:.2f} s, EntityRuler {load_theirs:.2f} s")
    print(f"nlp.pipe over {len(texts)} documents ({text_mb:.1f} MB): rubric_ruler {run_ours:.2f} s, "
          f"EntityRuler {run_theirs:.2f} s = {run_theirs / run_ours:.2f}x")
    print(f"  of which spacy.blank('en') alone {run_blank:.2f} s; the components' own time: "
          f"rubric_ruler {run_ours - run_blank:.2f} s, EntityRuler {run_theirs - run_blank:.2f} s "
          f"= {(run_theirs - run_blank) / max(run_ours - run_blank, 1e-9):.1f}x")

    million = entries(1_000_000)
    tsv = args.out_dir / "1m.tsv"
    tsv.write_text("".join(f"{p}\t{l}\n" for p, l in million), encoding="utf-8")
    load_1m, gazetteer = timed(lambda: rubric.Gazetteer.from_tsv(str(tsv)))
    print(f"1M entries: rubric Gazetteer.from_tsv {load_1m:.2f} s ({len(gazetteer)} entries)")
    compiled = args.out_dir / "1m.rgz"
    gazetteer.compile(str(compiled))
    load_rgz, _ = timed(lambda: rubric.Gazetteer.load(str(compiled)))
    print(f"1M entries: rubric Gazetteer.load(.rgz) {load_rgz:.2f} s")
    if args.ruler_limit >= 1_000_000:
        nlp = spacy.blank("en")
        r = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        load_ruler_1m, _ = timed(lambda: r.add_patterns([{"label": l, "pattern": p}
                                                         for p, l in million]))
        print(f"1M entries: EntityRuler.add_patterns {load_ruler_1m:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
