"""Token patterns: rubric against spaCy's EntityRuler with the same 1,000 patterns.

    bench/token_patterns.sh            # builds rubric (release), runs this, prints a table
    python bench/token_patterns.py RUBRIC [--append RESULTS.md]
                                       # bench/run.sh appends it to bench/RESULTS.md
    bench/token_patterns.sh --instructions
                                       # the same two runs counted in instructions
                                       # (valgrind's cachegrind), not timed: the
                                       # stable figure to steer by on a shared
                                       # host; the target is judged on wall time

In one run, on ~5 MB of news-like text (the news development set and the article,
repeated, as JSON Lines):
- `rubric annotate` with the default gazetteer alone (the baseline), then with the
  1,000 token patterns added (`-g patterns.jsonl`): whole process, wall clock, on one
  thread (`-j 1`, pinned to CPU 0 with taskset when it is there) and on every core;
  the two runs alternate, twenty-five rounds, and each keeps its best time, so that a
  slow moment of a shared machine does not fall on one side only; beside the
  cost from the best times, the median over the rounds of each round's own
  cost (its run with the patterns against the default run just before it),
  which a slow stretch spanning several runs moves less. The target counts as
  met only when both are within it. Each run writes a new output file (the
  previous run's is removed first, untimed);
- spaCy's EntityRuler with the same patterns on `spacy.blank("en")` (`nlp.pipe`,
  one process), on a prefix of the same documents (it runs at a few hundredths of
  a MB/s; the prefix is sized to take about a minute), as MB/s.

The patterns (seed 19) mix a literal first token (LOWER, ORTH, an IN list) taken
from the text's words with attribute tests (IS_TITLE, LIKE_NUM, SHAPE, LENGTH
comparisons, FUZZY, REGEX) and operators; one in ten starts with a token that has
no literal (tried at every token).
"""

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 5.0
SPACY_SECONDS = 60.0


def documents():
    texts = []
    dev = Path(os.environ.get("RUBRIC_NEWS_DEV", ROOT.parent / "shared" / "news" / "dev.jsonl"))
    if dev.is_file():
        with open(dev, encoding="utf-8") as f:
            texts.extend(json.loads(line)["text"] for line in f if line.strip())
    texts.append((ROOT / "corpus" / "article.txt").read_text(encoding="utf-8"))
    docs = []
    size = 0
    while size < TARGET_MB * 1e6:
        for text in texts:
            docs.append({"id": f"d{len(docs)}", "text": text})
            size += len(text.encode("utf-8"))
    return docs, size


def patterns(words, count=1000, seed=19):
    rng = random.Random(seed)
    out = []
    for number in range(count):
        word = rng.choice(words)
        kind = rng.random()
        if kind < 0.1:
            first = rng.choice([
                {"IS_TITLE": True},
                {"LIKE_NUM": True},
                {"TEXT": {"REGEX": "^[A-Z]{3,}$"}, "LENGTH": {">": 3}},
            ])
        elif kind < 0.5:
            first = {"LOWER": word.lower()}
        elif kind < 0.8:
            first = {"ORTH": word}
        else:
            first = {"LOWER": {"IN": [word.lower(), rng.choice(words).lower()]}}
        rest = rng.choice([
            [{"IS_TITLE": True, "OP": "+"}],
            [{"IS_PUNCT": True, "OP": "?"}, {"LIKE_NUM": True}],
            [{"LOWER": {"FUZZY": rng.choice(words).lower()}}],
            [{"IS_STOP": True, "OP": "*"}, {"SHAPE": "Xxxxx"}],
            [{"LENGTH": {">=": 2, "<=": 6}, "OP": "{1,3}"}],
        ])
        out.append({"label": f"L{number % 7}", "id": f"p{number}", "pattern": [first, *rest]})
    return out


ROUNDS = 25


def timed(command):
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr.decode()}")
    return elapsed, result.stdout


def instructions(command):
    """The instructions `command`'s whole process executes (cachegrind's `I refs`;
    no cache simulation: a run takes some fifteen times its own time)."""
    if not shutil.which("valgrind"):
        sys.exit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *command],
        capture_output=True, text=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != 0 or not found:
        sys.exit(f"{' '.join(command)} under valgrind failed:\n{result.stderr}")
    return int(found.group(1).replace(",", ""))


def annotate(rubric, tmp, threads):
    """`rubric annotate` of the bench text with the default gazetteer, on `threads`
    threads (the runs with the patterns add `-g patterns.jsonl`)."""
    return [rubric, "annotate", "-q", "-j", threads, str(tmp / "docs.jsonl"), "-o", str(tmp / "out.jsonl")]


def count_instructions(rubric, tmp, mb, rules):
    base = annotate(rubric, tmp, "1")
    default = instructions(base)
    with_rules = instructions(base + ["-g", str(tmp / "patterns.jsonl")])
    print("\n".join([
        f"text: {mb:.1f} MB; patterns: {len(rules)} (seed 19); rubric annotate -j 1, whole process",
        "",
        "| run | instructions |",
        "| --- | ---: |",
        f"| default gazetteer | {default / 1e9:.3f} G |",
        f"| default + 1,000 token patterns | {with_rules / 1e9:.3f} G |",
        "",
        f"- the patterns' cost in instructions: {(with_rules - default) / 1e9:.3f} G, "
        f"**{(with_rules / default - 1) * 100:.1f} %** (the target, <= 30 %, is judged on wall time)",
    ]))


def main():
    rubric = sys.argv[1]
    append = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--append" else None
    count = "--instructions" in sys.argv[2:]

    docs, size = documents()
    words = sorted({w for d in docs[:40] for w in d["text"].split() if w.isalpha() and len(w) > 2})
    rules = patterns(words)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with open(tmp / "docs.jsonl", "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
        with open(tmp / "patterns.jsonl", "w", encoding="utf-8") as f:
            for p in rules:
                f.write(json.dumps(p) + "\n")
        if count:
            count_instructions(rubric, tmp, size / 1e6, rules)
            return
        runs = {}
        round_costs = []
        pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
        for threads in ("1", str(os.cpu_count() or 1)):
            base = annotate(rubric, tmp, threads)
            if threads == "1":
                base = pin + base
            with_rules = base + ["-g", str(tmp / "patterns.jsonl")]
            names = (f"default gazetteer, -j {threads}", f"default + 1,000 token patterns, -j {threads}")
            for _ in range(ROUNDS):
                pair = []
                for name, command in zip(names, (base, with_rules)):
                    # Each run writes a new file, as scripts/bench-annotate's do:
                    # replacing the previous run's output would free its pages
                    # and blocks inside the timed run (a cost of repeating runs
                    # into one file, not of annotating; bench/README.md).
                    (tmp / "out.jsonl").unlink(missing_ok=True)
                    seconds = timed(command)[0]
                    runs[name] = min(runs.get(name, seconds), seconds)
                    pair.append(seconds)
                if threads == "1":
                    round_costs.append((pair[1] / pair[0] - 1) * 100)
        with open(tmp / "out.jsonl", encoding="utf-8") as f:
            spans = sum(len(json.loads(line)["spans"]) for line in f)

    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(rules)
    spacy_bytes = 0
    start = time.perf_counter()
    for doc in nlp.pipe(d["text"] for d in docs):
        spacy_bytes += len(doc.text.encode("utf-8"))
        if time.perf_counter() - start > SPACY_SECONDS:
            break
    spacy_seconds = time.perf_counter() - start
    spacy_rate = spacy_bytes / 1e6 / spacy_seconds

    mb = size / 1e6
    one = runs["default + 1,000 token patterns, -j 1"]
    base_one = runs["default gazetteer, -j 1"]
    ratio = mb / one / spacy_rate
    cost = (one / base_one - 1) * 100
    median_cost = statistics.median(round_costs)
    pinned = ", -j 1 pinned to CPU 0" if shutil.which("taskset") else ""
    lines = [
        f"text: {len(docs)} documents, {mb:.1f} MB; patterns: {len(rules)} (seed 19); "
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        f"rubric spans with the patterns (-j max run): {spans}",
        "",
        f"rubric: best of {ROUNDS} alternating runs each{pinned}",
        "",
        "| run | wall (s) | MB/s |",
        "| --- | --- | --- |",
        *(f"| rubric annotate, {name} | {seconds:.2f} | {mb / seconds:.2f} |" for name, seconds in runs.items()),
        f"| spaCy EntityRuler, blank('en'), {spacy_bytes / 1e6:.2f} MB prefix | {spacy_seconds:.1f} | {spacy_rate:.3f} |",
        "",
        f"- rubric (-j 1, default + patterns) / EntityRuler: **{ratio:.0f}x** "
        f"(target >= 100x: {'met' if ratio >= 100 else 'missed'})",
        f"- cost of the patterns over annotate with the default gazetteer (-j 1): **{cost:.0f} %** "
        f"from the best times, **{median_cost:.0f} %** the median of the {ROUNDS} rounds' own "
        f"(each round: {', '.join(f'{c:.0f}' for c in round_costs)}) "
        f"(target <= 30 %, both: {'met' if max(cost, median_cost) <= 30 else 'missed'})",
    ]
    print("\n".join(lines))
    if append:
        with open(append, "a", encoding="utf-8") as f:
            f.write("\n## Token patterns (issue 19): 1,000 mixed patterns against spaCy's EntityRuler\n\n")
            f.write("`bench/token_patterns.py`, in the same `bench/run.sh` run; see "
                    "`crates/gazetteer/README.md` (Token patterns, Measured).\n\n")
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
