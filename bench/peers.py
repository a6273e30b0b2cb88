"""One Python matcher on one gazetteer and one corpus, for bench/run.sh.

  python bench/peers.py TOOL GAZETTEER.tsv CORPUS.jsonl

TOOL is one of: phrasematcher, entityruler, flashtext, pyahocorasick. Each run is
its own process, so that its peak RSS (measured outside, by /usr/bin/time) is its
own. Prints one JSON object: the time to build the matcher from the gazetteer's
patterns (`build_s`), to read the corpus (`read_s`, not part of the scan), to scan
every document (`scan_s`), the bytes of text and the spans found.

Each tool is used as its documentation shows, case-insensitive:
- spaCy `PhraseMatcher(vocab, attr="LOWER")` on `spacy.blank("en")`: the scan
  tokenizes each document (`nlp.make_doc`) and calls the matcher, which returns
  every match, overlapping ones included.
- spaCy `EntityRuler` (`phrase_matcher_attr="LOWER"`, phrase patterns) added to
  `spacy.blank("en")`: the scan is `nlp.pipe`, the spans `doc.ents`
  (non-overlapping, longest first).
- FlashText `KeywordProcessor(case_sensitive=False)`: `extract_keywords` per
  document (longest match, ASCII letters, digits and `_` are word characters).
- pyahocorasick: an `Automaton` of the lower-cased patterns, `iter_long`
  (leftmost-longest) over the lower-cased text, and a word-boundary check in
  Python (no letter or digit on either side).
"""

from __future__ import annotations

import json
import sys
import time


def read_gazetteer(path: str) -> list[tuple[str, str]]:
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            pattern, label = line.rstrip("\n").split("\t")[:2]
            entries.append((pattern, label))
    return entries


def read_texts(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def phrasematcher(entries):
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    by_label: dict[str, list[str]] = {}
    for pattern, label in entries:
        by_label.setdefault(label, []).append(pattern)
    for label, patterns in by_label.items():
        # make_doc is what the matcher needs for attr="LOWER" (no pipeline runs).
        matcher.add(label, list(nlp.tokenizer.pipe(patterns)))

    def scan(texts):
        return sum(len(matcher(nlp.make_doc(text))) for text in texts)

    return scan


def entityruler(entries):
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns([{"label": label, "pattern": pattern} for pattern, label in entries])

    def scan(texts):
        return sum(len(doc.ents) for doc in nlp.pipe(texts))

    return scan


def flashtext(entries):
    from flashtext import KeywordProcessor

    processor = KeywordProcessor(case_sensitive=False)
    for pattern, label in entries:
        processor.add_keyword(pattern, label)

    def scan(texts):
        return sum(len(processor.extract_keywords(text)) for text in texts)

    return scan


def pyahocorasick(entries):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for pattern, label in entries:
        key = pattern.lower()
        automaton.add_word(key, (len(key), label))
    automaton.make_automaton()

    def scan(texts):
        spans = 0
        for text in texts:
            lowered = text.lower()
            size = len(lowered)
            for end, (length, _label) in automaton.iter_long(lowered):
                start = end - length + 1
                if start > 0 and lowered[start - 1].isalnum():
                    continue
                if end + 1 < size and lowered[end + 1].isalnum():
                    continue
                spans += 1
        return spans

    return scan


TOOLS = {
    "phrasematcher": phrasematcher,
    "entityruler": entityruler,
    "flashtext": flashtext,
    "pyahocorasick": pyahocorasick,
}


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in TOOLS:
        sys.exit(f"usage: peers.py {{{','.join(TOOLS)}}} GAZETTEER.tsv CORPUS.jsonl")
    tool, gazetteer, corpus = sys.argv[1:]
    entries = read_gazetteer(gazetteer)

    started = time.perf_counter()
    scan = TOOLS[tool](entries)
    build = time.perf_counter() - started

    started = time.perf_counter()
    texts = read_texts(corpus)
    read = time.perf_counter() - started

    started = time.perf_counter()
    spans = scan(texts)
    elapsed = time.perf_counter() - started

    print(json.dumps({
        "patterns": len(entries),
        "documents": len(texts),
        "text_bytes": sum(len(text.encode("utf-8")) for text in texts),
        "build_s": build,
        "read_s": read,
        "scan_s": elapsed,
        "spans": spans,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
