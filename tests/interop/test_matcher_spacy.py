"""rubric's token patterns against spaCy's Matcher: the same candidates.

Seeded random pattern sets use every attribute, predicate and operator of the
pattern language (nested operators, overlapping patterns, patterns sharing first
tokens). rubric runs them with `rubric annotate --overlaps all --no-aliases`, which
keeps every match of every pattern (each pattern has its own label: a record
holds one span per offsets and label); spaCy runs them with `Matcher` on `spacy.blank("en")`.

spaCy gets rubric's tokens (`Doc(vocab, words, spaces)`), so tokenization cannot
differ and every document compares. Two attributes need more than the words:
- IS_SENT_START: spaCy's blank pipeline has no sentence splitter; the Doc gets
  rubric's sentence starts (`sent_starts=`), read from rubric itself with the
  pattern `[{"IS_SENT_START": true}]`.
- NORM: on Doc(words) spaCy gives each token its lexeme's NORM, as rubric does;
  spaCy's own tokenizer would give a token made by a special case its NORM
  (`n't` in `don't` is `not`), a difference the crate README documents.

The documents: corpus/article.txt, tests/data/news-paragraphs.jsonl, and the news
development set when this machine has it. Matches are compared as (pattern, start
char, end char) sets per document; every difference is printed.
"""

import json
import random
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import PARAGRAPHS, article, news_dev_path, read_jsonl

SEEDS = [19, 1919, 20261206]
PATTERNS_PER_SET = 80
# One more set whose first tokens come from a small pool, so that a word starts
# tens of patterns at once (rubric searches a start list's patterns together).
SHARED_START_SEED = 77
SHARED_START_PATTERNS = 200
FIRST_TOKENS = [
    {"IS_TITLE": True}, {"LIKE_NUM": True}, {"IS_STOP": True}, {"IS_PUNCT": True},
    {"IS_ALPHA": True, "IS_TITLE": True}, {"IS_TITLE": True, "IS_ALPHA": True},
    {"IS_SENT_START": True}, {"SHAPE": "Xxxxx"},
]

STRING_ATTRS = ["ORTH", "TEXT", "LOWER", "NORM", "SHAPE", "PREFIX", "SUFFIX"]
BOOL_ATTRS = [
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT",
    "IS_SPACE", "IS_STOP", "IS_SENT_START", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT",
    "IS_RIGHT_PUNCT", "IS_CURRENCY", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL",
]
# Regexes that mean the same in Python's `re` and Rust's `regex` (ASCII classes,
# no look-around), searched anywhere in the value as spaCy does.
REGEXES = ["^[A-Z]", "^[a-z]+$", "[0-9]", "an", "^.{3}$", "ing$", "^[A-Z]{2,5}$", "[-.]", "x"]
OPS = [None, None, None, "!", "?", "*", "+", "1", "{2}", "{1,3}", "{2,}", "{,2}", "{0,1}"]
# Unbounded operators only on tokens that few tokens satisfy: `{"OP": "*"}` on
# `{}` or `IS_ALPHA` matches every pair of tokens of a paragraph, which is a
# correct but useless (and quadratic) set of candidates for both matchers.
UNBOUNDED = {"*", "+", "{2,}"}
COMPARISONS = ["==", "!=", ">=", "<=", ">", "<"]


def documents():
    docs = [article(), *read_jsonl(PARAGRAPHS)]
    dev = news_dev_path()
    if dev is not None:
        docs.extend(read_jsonl(dev))
    return docs


def string_value(attr, token):
    return {
        "ORTH": token.text,
        "TEXT": token.text,
        "LOWER": token.lower_,
        "NORM": token.norm_,
        "SHAPE": token.shape_,
        "PREFIX": token.prefix_,
        "SUFFIX": token.suffix_,
    }[attr]


def random_condition(rng, sample):
    """One attribute and its value or predicate dict."""
    kind = rng.random()
    if kind < 0.45:
        attr = rng.choice(STRING_ATTRS)
        how = rng.random()
        if how < 0.4:
            return attr, string_value(attr, rng.choice(sample))
        if how < 0.6:
            values = sorted({string_value(attr, rng.choice(sample)) for _ in range(rng.randint(2, 5))})
            return attr, {rng.choice(["IN", "NOT_IN"]): values}
        if how < 0.8:
            return attr, {"REGEX": rng.choice(REGEXES)}
        word = string_value(attr, rng.choice([t for t in sample if len(t.text) > 3] or sample))
        return attr, {rng.choice(["FUZZY", "FUZZY1", "FUZZY2", "FUZZY3"]): word}
    if kind < 0.75:
        return rng.choice(BOOL_ATTRS), rng.random() < 0.6
    how = rng.random()
    if how < 0.3:
        return "LENGTH", rng.randint(1, 8)
    if how < 0.5:
        return "LENGTH", {rng.choice(["IN", "NOT_IN"]): sorted(rng.sample(range(1, 10), 3))}
    ops = rng.sample(COMPARISONS, rng.randint(1, 2))
    return "LENGTH", {op: rng.randint(1, 9) for op in ops}


def random_token(rng, sample):
    spec = {}
    if rng.random() < 0.12:
        pass  # {}: any token
    else:
        for _ in range(1 if rng.random() < 0.75 else 2):
            attr, value = random_condition(rng, sample)
            spec[attr] = value
    op = rng.choice(OPS)
    if op in UNBOUNDED and not selective(spec):
        op = rng.choice(["?", "{1,3}", "{,2}", None])
    if op is not None:
        spec["OP"] = op
    return spec


def selective(spec):
    """Whether the token needs an exact string, or one of a few."""
    for attr, value in spec.items():
        if attr in STRING_ATTRS and attr not in ("SHAPE", "PREFIX", "SUFFIX"):
            if isinstance(value, str) or (isinstance(value, dict) and "IN" in value):
                return True
    return False


def can_match_empty(pattern):
    return all(t.get("OP") in ("?", "*", "{,2}", "{0,1}") for t in pattern)


def is_phrase(pattern):
    """What rubric sends to its phrase automaton instead (not compared here)."""
    return all(
        len(t) == 1 and next(iter(t)) in ("ORTH", "TEXT", "LOWER") and isinstance(next(iter(t.values())), str)
        for t in pattern
    )


def random_patterns(rng, sample):
    patterns = []
    while len(patterns) < PATTERNS_PER_SET:
        if patterns and rng.random() < 0.2:
            # Overlapping patterns: a variant of an earlier one sharing its start.
            base = rng.choice(patterns)
            pattern = [dict(t) for t in base[: rng.randint(1, len(base))]]
            pattern.append(random_token(rng, sample))
        else:
            pattern = [random_token(rng, sample) for _ in range(rng.randint(1, 4))]
        if can_match_empty(pattern) or is_phrase(pattern):
            continue
        patterns.append(pattern)
    return patterns


def shared_start_patterns(rng, sample):
    """Patterns whose first tokens come from a small pool (flags, and the
    sample's most frequent lower forms), with the generator's tokens after them:
    most start lists hold many patterns, with `!`, `?` and `{1,2}` on some first
    tokens and every operator after."""
    counts = {}
    for token in sample:
        if token.is_alpha:
            counts[token.lower_] = counts.get(token.lower_, 0) + 1
    frequent = sorted(counts, key=lambda word: (-counts[word], word))[:6]
    pool = FIRST_TOKENS + [{"LOWER": word} for word in frequent]
    patterns = []
    while len(patterns) < SHARED_START_PATTERNS:
        first = dict(rng.choice(pool))
        if rng.random() < 0.15:
            first["OP"] = rng.choice(["!", "?", "{1,2}"])
        pattern = [first] + [random_token(rng, sample) for _ in range(rng.randint(0, 3))]
        if can_match_empty(pattern) or is_phrase(pattern):
            continue
        patterns.append(pattern)
    return patterns


def run(binary, args):
    result = subprocess.run([str(binary), *args], capture_output=True, timeout=900)
    if result.returncode != 0:
        pytest.fail(
            f"rubric {' '.join(args)} exited with {result.returncode}:\n"
            + result.stderr.decode("utf-8", "replace"),
            pytrace=False,
        )
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines() if line]


def rubric_matches(binary, workdir, docs, patterns):
    pattern_file = workdir / "patterns.jsonl"
    with open(pattern_file, "w", encoding="utf-8") as f:
        for number, pattern in enumerate(patterns):
            f.write(json.dumps({"label": f"p{number}", "pattern": pattern}) + "\n")
        f.write(json.dumps({"label": "sent", "pattern": [{"IS_SENT_START": True}]}) + "\n")
    records = run(
        binary,
        ["annotate", "-q", "--no-default-gazetteer", "--overlaps", "all", "--no-aliases",
         "--offsets", "char", "-g", str(pattern_file), str(workdir / "docs.jsonl")],
    )
    assert [r["id"] for r in records] == [d.id for d in docs]
    found = {}
    for record in records:
        found[record["id"]] = {(s["label"], s["start"], s["end"]) for s in record["spans"]}
    return found


def spacy_doc(nlp, tokens, sentence_starts):
    from spacy.tokens import Doc

    words = [t["text"] for t in tokens]
    spaces = [t["ws"] for t in tokens]
    starts = [t["start"] in sentence_starts for t in tokens]
    return Doc(nlp.vocab, words=words, spaces=spaces, sent_starts=starts)


def test_candidates_identical_to_spacy_matcher(rubric_bin, nlp, capsys):
    from spacy.matcher import Matcher

    docs = documents()
    compared = 0
    total_matches = 0
    differences = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with open(workdir / "docs.jsonl", "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"id": d.id, "text": d.text}) + "\n")
        token_records = run(rubric_bin, ["tokenize", "-q", "--offsets", "char", str(workdir / "docs.jsonl")])
        tokens_of = {r["id"]: r["tokens"] for r in token_records}
        # Values for the patterns come from the documents' own tokens.
        sample_doc = doc_from_words(nlp, tokens_of[docs[0].id])
        sample = [t for t in sample_doc if not t.is_space]
        pattern_sets = [(seed, random_patterns) for seed in SEEDS]
        pattern_sets.append((SHARED_START_SEED, shared_start_patterns))
        for seed, generate in pattern_sets:
            rng = random.Random(seed)
            patterns = generate(rng, sample)
            ours = rubric_matches(rubric_bin, workdir, docs, patterns)
            # validate=False, as the EntityRuler builds it: the Matcher's schema lacks
            # PREFIX and SUFFIX, which matching itself supports.
            matcher = Matcher(nlp.vocab, validate=False)
            for number, pattern in enumerate(patterns):
                matcher.add(f"p{number}", [pattern])
            for d in docs:
                text = d.text
                tokens = tokens_of[d.id]
                mine = ours[d.id]
                sentence_starts = {start for key, start, _ in mine if key == "sent"}
                mine = {m for m in mine if m[0] != "sent"}
                doc = spacy_doc(nlp, tokens, sentence_starts)
                assert doc.text == text, f"{d.id}: rubric's tokens do not rebuild the text"
                theirs = set()
                for key, start, end in matcher(doc):
                    span = doc[start:end]
                    theirs.add((nlp.vocab.strings[key], span.start_char, span.end_char))
                compared += 1
                total_matches += len(theirs)
                for key, start, end in sorted(theirs - mine):
                    number = int(key[1:])
                    differences.append(
                        f"seed {seed}, {d.id}: spaCy only: {key} {text[start:end]!r} "
                        f"({start}-{end}) pattern {json.dumps(patterns[number])}"
                    )
                for key, start, end in sorted(mine - theirs):
                    number = int(key[1:])
                    differences.append(
                        f"seed {seed}, {d.id}: rubric only: {key} {text[start:end]!r} "
                        f"({start}-{end}) pattern {json.dumps(patterns[number])}"
                    )
    with capsys.disabled():
        print(
            f"\nmatcher vs spaCy: {compared} document comparisons ({len(docs)} documents x "
            f"{len(SEEDS)} pattern sets of {PATTERNS_PER_SET} and one of {SHARED_START_PATTERNS} "
            f"sharing first tokens), {total_matches} spaCy matches, "
            f"{len(differences)} difference(s)"
        )
    # A comparison that finds nothing compares nothing.
    assert total_matches > 1000
    assert not differences, "\n".join(differences[:50])


def doc_from_words(nlp, tokens):
    from spacy.tokens import Doc

    return Doc(nlp.vocab, words=[t["text"] for t in tokens], spaces=[t["ws"] for t in tokens])


def test_python_from_patterns_and_rubric_ruler_take_token_patterns(tmp_path):
    """rubric.Gazetteer.from_patterns goes through the same builder as `-g`, and
    rubric_ruler matches token patterns (on the Doc's own tokens)."""
    import rubric
    import spacy

    patterns = [
        {"lexicon": "titles", "words": ["mr", "mrs"]},
        {"label": "PERSON", "name": "titled", "pattern": [
            {"LOWER": {"IN_LEXICON": "titles"}, "IN_SPAN": False},
            {"IS_TITLE": True, "OP": "+"},
        ]},
        {"label": "QUANTITY", "pattern": [{"LIKE_NUM": True}, {"LOWER": {"IN": ["km", "miles"]}}]},
    ]
    gazetteer = rubric.Gazetteer.from_patterns(patterns)
    record = rubric.Annotator(gazetteer, aliases=False).annotate("Mr John Smith walked 5 km.")
    spans = [(s["text"], s["label"], s["source"]) for s in record["spans"]]
    assert spans == [
        ("John Smith", "PERSON", "<patterns>:2#titled"),
        ("5 km", "QUANTITY", "<patterns>:3"),
    ]
    rules = tmp_path / "rules.jsonl"
    rules.write_text("".join(json.dumps(p) + "\n" for p in patterns), encoding="utf-8")
    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"gazetteer": str(rules), "aliases": False})
    doc = nlp("Mrs Ebadi walked 12 miles.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Ebadi", "PERSON"), ("12 miles", "QUANTITY")]
