"""Generated news-like documents for the end-to-end tests (spaCy training, Spark).

Sentences come from templates whose slots are filled with entries of rubric's
default gazetteer (corpus/gazetteer/default.tsv), drawn by a seeded random
generator, so the same seed gives the same corpus on every machine. The documents
are inputs, not gold: the tests annotate them with `rubric annotate` and check what
the real tools make of rubric's output.
"""

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GAZETTEER = ROOT / "corpus" / "gazetteer" / "default.tsv"
LABELS = ("PERSON", "ORG", "GPE", "NORP")

# Each template is one sentence; a document is a few of them. Slot names are
# labels, a digit tells two slots of one label apart.
TEMPLATES = [
    "{PERSON} met officials from {ORG} in {GPE} on Tuesday.",
    "The {NORP} delegation arrived in {GPE} late on Sunday, according to {ORG}.",
    "{ORG} said in a statement that {PERSON} would travel to {GPE} next week.",
    "Speaking to reporters, {PERSON} criticized the {NORP} government's plan.",
    "Talks between {GPE} and {GPE2} stalled after {PERSON} walked out.",
    "A spokesperson for {ORG} declined to comment on the report.",
    "{PERSON} and {PERSON2} are expected to sign the agreement in {GPE}.",
    "Thousands of {NORP} workers marched through {GPE} on Friday.",
    "Officials in {GPE} confirmed that {ORG} had withdrawn its offer.",
    "In an interview, {PERSON} said {GPE} would not back down.",
    "Shares of {ORG} fell sharply after the announcement in {GPE}.",
    "The {NORP} minister told {PERSON} that the border with {GPE} would reopen.",
]


def gazetteer_entries(path=DEFAULT_GAZETTEER, labels=LABELS):
    """`{label: [pattern, ...]}` from a gazetteer TSV (pattern, label, ...)."""
    entries = {label: [] for label in labels}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            pattern, label = line.rstrip("\n").split("\t")[:2]
            if label in entries:
                entries[label].append(pattern)
    return entries


def documents(count, seed, prefix="gen", entries=None):
    """`count` documents `{"id": f"{prefix}-{n}", "text": ...}`, the same for a seed.

    Every document gets an explicit id: `rubric annotate` names documents read from
    standard input `<stdin>:<line>`, which would differ between a corpus and its
    pieces (Spark's partitions)."""
    entries = entries or gazetteer_entries()
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        sentences = []
        for template in rng.sample(TEMPLATES, rng.randint(2, 4)):
            fill = {}
            for label in LABELS:
                first, second = rng.sample(entries[label], 2)
                fill[label], fill[label + "2"] = first, second
            sentences.append(template.format(**fill))
        # Paragraph breaks now and then, as news text has them.
        separator = "\n\n" if rng.random() < 0.3 else " "
        docs.append({"id": f"{prefix}-{n}", "text": separator.join(sentences)})
    return docs
