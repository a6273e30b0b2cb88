"""Benchmarks of the Python package (issue 12), run by scripts/bench-python.

  python bench/python_bench.py RUBRIC_BIN OUT_DIR

1. Annotator.pipe(threads=1) over a ~5 MB JSONL corpus (the article and the news
   paragraphs of tests/data, repeated) against `rubric annotate --threads 1` on
   the same file (which reads the JSONL and writes every record's JSON line).
   The package's records build their values on first access, so it is timed
   three ways: records only, reading every record's spans, and building every
   record's full dict (`to_dict()` with its token dicts, the old contract).
2. The rubric_ruler component against spaCy's EntityRuler in spacy.blank("en"),
   both with the same 100k-entry gazetteer: time to load it; nlp.pipe over 2000
   documents end to end; the components' own time (documents made beforehand by
   each pipeline's own nlp.make_doc, only the component timed: called per
   document and, for rubric_ruler, through its pipe(), which is what nlp.pipe
   calls), with the same 1k and 100k phrase patterns; spaCy's tokenizer
   (make_doc) in each pipeline; and where rubric_ruler's own time goes.
3. Loading 1M entries: rubric (TSV → Gazetteer, compiled .rgz) against
   EntityRuler.add_patterns (run once, and only with --ruler-limit 1000000: it
   takes about a minute).

Every figure but the 1M EntityRuler load is the best of --repeat runs (default
3; at least 5 for the components' own time, which is CPU time: those calls run
in this process on one thread, and on a shared machine wall time mostly
measures the other jobs), and ratios compare figures from the same run.

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
import rubric.spacy_ruler
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


def best(work, repeat, setup=None, clock=time.perf_counter):
    """The best time of `repeat` runs of `work(setup())` (setup not timed)."""
    times = []
    for _ in range(repeat):
        argument = setup() if setup is not None else None
        start = clock()
        work(argument)
        times.append(clock() - start)
    return min(times)


def cpu_best(work, repeat, setup=None):
    """As `best`, in the process's CPU time, for work done in this process on one
    thread (the components' own calls): on a machine shared with other jobs, wall
    time mostly measures them. At least 5 runs."""
    return best(work, max(repeat, 5), setup, clock=time.process_time)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rubric_bin")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--corpus-mb", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ruler-limit", type=int, default=100_000,
                        help="largest gazetteer given to the EntityRuler")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    repeat = args.repeat

    path, size = corpus(args.out_dir, int(args.corpus_mb * 1e6))
    mb = size / 1e6
    cli = best(lambda _: subprocess.run(
        [args.rubric_bin, "annotate", "--threads", "1", "-o", str(args.out_dir / "cli.jsonl"),
         str(path)], check=True, capture_output=True), repeat)
    documents = [(d["text"], d["id"]) for d in map(json.loads, path.read_text().splitlines())]
    annotator = rubric.Annotator()
    pipe = lambda: annotator.pipe(documents, threads=1)
    lazy = best(lambda _: sum(1 for _ in pipe()), repeat)
    spans = best(lambda _: sum(len(r["spans"]) for r in pipe()), repeat)
    full = best(lambda _: sum(len(r.to_dict()["tokens"]) for r in pipe()), repeat)
    print(f"corpus: {mb:.1f} MB, {len(documents)} documents; best of {repeat}")
    print(f"rubric annotate --threads 1:            {cli:.2f} s ({mb / cli:.1f} MB/s)")
    for name, t in (("Annotator.pipe(threads=1), records:", lazy),
                    ("  + every record's spans read:", spans),
                    ("  + every record's full dict built:", full)):
        print(f"{name:40s}{t:.2f} s ({mb / t:.1f} MB/s) = {cli / t:.2f}x the CLI")

    hundred_k = entries(100_000)
    tsv = args.out_dir / "100k.tsv"
    tsv.write_text("".join(f"{p}\t{l}\n" for p, l in hundred_k), encoding="utf-8")
    texts = [text for text, _ in documents[:2000]]
    text_mb = sum(len(t.encode()) for t in texts) / 1e6

    def ours_pipeline():
        nlp = spacy.blank("en")
        nlp.add_pipe("rubric_ruler", config={"gazetteer": str(tsv)})
        return nlp

    def theirs_pipeline():
        nlp = spacy.blank("en")
        r = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        r.add_patterns([{"label": l, "pattern": p} for p, l in hundred_k])
        return nlp

    load_ours = best(lambda _: ours_pipeline(), repeat)
    load_theirs = best(lambda _: theirs_pipeline(), repeat)
    ours, theirs, blank = ours_pipeline(), theirs_pipeline(), spacy.blank("en")
    print(f"100k entries, load: rubric_ruler {load_ours:.2f} s, EntityRuler {load_theirs:.2f} s "
          f"= {load_theirs / load_ours:.0f}x")

    run = {name: best(lambda _: sum(len(d.ents) for d in nlp.pipe(texts)), repeat)
           for name, nlp in (("blank", blank), ("ours", ours), ("theirs", theirs))}
    found = {name: sum(len(d.ents) for d in nlp.pipe(texts[:200]))
             for name, nlp in (("ours", ours), ("theirs", theirs))}
    print(f"nlp.pipe over {len(texts)} documents ({text_mb:.1f} MB), end to end: "
          f"rubric_ruler {run['ours']:.2f} s, EntityRuler {run['theirs']:.2f} s "
          f"= {run['theirs'] / run['ours']:.2f}x; spacy.blank('en') alone {run['blank']:.2f} s "
          f"(entities in the first 200: {found['ours']} and {found['theirs']})")
    print(f"  beyond the blank pipeline: rubric_ruler {run['ours'] - run['blank']:.2f} s, "
          f"EntityRuler {run['theirs'] - run['blank']:.2f} s = "
          f"{(run['theirs'] - run['blank']) / max(run['ours'] - run['blank'], 1e-9):.2f}x")

    make = {name: best(lambda _: [nlp.make_doc(t) for t in texts], repeat)
            for name, nlp in (("blank", blank), ("ours", ours), ("theirs", theirs))}
    print(f"  spaCy's tokenizer (make_doc) in each pipeline: blank {make['blank']:.2f} s, "
          f"rubric_ruler's {make['ours']:.2f} s, EntityRuler's {make['theirs']:.2f} s "
          f"(its vocab holds the patterns' {len(theirs.vocab)} lexemes)")

    # Is it the vocab? A blank pipeline whose tokenizer has seen the patterns.
    seen = spacy.blank("en")
    for pattern, _ in hundred_k:
        seen.make_doc(pattern)
    make_seen = best(lambda _: [seen.make_doc(t) for t in texts], repeat)
    print(f"  and in a blank pipeline that has tokenized the 100k patterns (no EntityRuler): "
          f"{make_seen:.2f} s ({len(seen.vocab)} lexemes)")

    ruler, entity_ruler = ours.get_pipe("rubric_ruler"), theirs.get_pipe("entity_ruler")
    our_docs = lambda: [ours.make_doc(t) for t in texts]
    their_docs = lambda: [theirs.make_doc(t) for t in texts]
    own_ours = cpu_best(lambda docs: [ruler(d) for d in docs], repeat, our_docs)
    own_pipe = cpu_best(lambda docs: list(ruler.pipe(docs)), repeat, our_docs)
    own_theirs = cpu_best(lambda docs: [entity_ruler(d) for d in docs], repeat, their_docs)
    print(f"components' own time (CPU, Doc made beforehand), 100k patterns: EntityRuler "
          f"{own_theirs:.3f} s; rubric_ruler per doc {own_ours:.3f} s = "
          f"{own_theirs / own_ours:.2f}x, its pipe() {own_pipe:.3f} s = "
          f"{own_theirs / own_pipe:.2f}x")

    # The same with 1k of the 100k patterns, each pipeline new: first those the
    # EntityRuler finds in the texts, then the first others, so that the small
    # dictionary finds entities too (the first 1000 alone find none).
    occurring = {ent.text.lower() for doc in theirs.pipe(texts) for ent in doc.ents}
    thousand = [e for e in hundred_k if e[0].lower() in occurring][:1000]
    thousand += [e for e in hundred_k if e[0].lower() not in occurring][:1000 - len(thousand)]
    small_tsv = args.out_dir / "1k.tsv"
    small_tsv.write_text("".join(f"{p}\t{l}\n" for p, l in thousand), encoding="utf-8")
    small_ours = spacy.blank("en")
    small_ruler = small_ours.add_pipe("rubric_ruler", config={"gazetteer": str(small_tsv)})
    small_theirs = spacy.blank("en")
    small_entity_ruler = small_theirs.add_pipe("entity_ruler",
                                               config={"phrase_matcher_attr": "LOWER"})
    small_entity_ruler.add_patterns([{"label": l, "pattern": p} for p, l in thousand])
    small_our_docs = lambda: [small_ours.make_doc(t) for t in texts]
    small_their_docs = lambda: [small_theirs.make_doc(t) for t in texts]
    small_pipe = cpu_best(lambda docs: list(small_ruler.pipe(docs)), repeat, small_our_docs)
    small_theirs_time = cpu_best(lambda docs: [small_entity_ruler(d) for d in docs], repeat,
                                 small_their_docs)
    small_found = (sum(len(d.ents) for d in small_ruler.pipe(small_our_docs()[:200])),
                   sum(len(small_entity_ruler(d).ents) for d in small_their_docs()[:200]))
    print(f"components' own time (CPU, Doc made beforehand), 1k patterns: EntityRuler "
          f"{small_theirs_time:.3f} s; rubric_ruler's pipe() {small_pipe:.3f} s = "
          f"{small_theirs_time / small_pipe:.2f}x (entities in the first 200: "
          f"{small_found[0]} and {small_found[1]})")

    attrs = rubric.spacy_ruler.TOKEN_ATTRS
    text_part = cpu_best(lambda docs: [d.text for d in docs], repeat, our_docs)
    array_part = cpu_best(lambda docs: [d.to_array(attrs).tobytes() for d in docs], repeat,
                          our_docs)
    inputs = lambda: [(d.to_array(attrs).tobytes(), []) for d in our_docs()]
    rust_part = cpu_best(lambda batch: ruler._ruler._process_batch(batch), repeat, inputs)
    hundred_k_annotator = rubric.Annotator(str(tsv))
    annotate_part = cpu_best(lambda _: [hundred_k_annotator.annotate(t) for t in texts], repeat)
    print(f"  rubric_ruler's own time, 100k patterns: Doc.to_array {array_part:.3f} s, Rust "
          f"(rebuild the text and tokens, match on them, resolve) {rust_part:.3f} s, the rest "
          f"(doc.ents, StringStore.add, Doc.from_array, batching) "
          f"{own_pipe - array_part - rust_part:.3f} s; for scale: Annotator(the 100k).annotate "
          f"on the same texts (rubric's own tokenizer, matching, records) "
          f"{annotate_part:.3f} s, Doc.text {text_part:.3f} s")

    million = entries(1_000_000)
    tsv = args.out_dir / "1m.tsv"
    tsv.write_text("".join(f"{p}\t{l}\n" for p, l in million), encoding="utf-8")
    load_1m = best(lambda _: rubric.Gazetteer.from_tsv(str(tsv)), repeat)
    gazetteer = rubric.Gazetteer.from_tsv(str(tsv))
    print(f"1M entries: rubric Gazetteer.from_tsv {load_1m:.2f} s ({len(gazetteer)} entries)")
    compiled = args.out_dir / "1m.rgz"
    gazetteer.compile(str(compiled))
    load_rgz = best(lambda _: rubric.Gazetteer.load(str(compiled)), repeat)
    print(f"1M entries: rubric Gazetteer.load(.rgz) {load_rgz:.2f} s")
    if args.ruler_limit >= 1_000_000:
        nlp = spacy.blank("en")
        r = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        load_ruler_1m, _ = timed(lambda: r.add_patterns([{"label": l, "pattern": p}
                                                         for p, l in million]))
        print(f"1M entries: EntityRuler.add_patterns {load_ruler_1m:.2f} s (one run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
