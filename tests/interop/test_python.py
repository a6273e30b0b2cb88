"""The Python package (crates/python) against the rubric binary.

scripts/interop builds the wheel with the pinned maturin and installs it into the
venv, so `import rubric` here is what a user gets from `pip install`. Every result
is compared with what `rubric annotate`, `rubric tokenize` and `rubric diff` write
for the same input: the package must be the same engine, not a look-alike.

Generated documents are random mixes of the default gazetteer's own patterns
(in several casings), unknown words, punctuation, non-ASCII text, emoji and line
breaks, seeded so that a failure can be reproduced.
"""

import copy
import json
import pickle
import random
import subprocess
import threading
from collections.abc import Mapping

import pytest
import rubric

from conftest import ROOT, RULES_JSONL, article

DEFAULT_TSV = ROOT / "corpus" / "gazetteer" / "default.tsv"
FILLERS = ["the", "said", "on", "Tuesday", ",", ".", "—", "(", ")", "“", "”", "'s", "naïve",
           "Zürich-based", "🙂", "東京", "\n", "\n\n", "  ", "of", "and", "3.5", "U.S.", "-"]


def run(rubric_bin, *args, stdin=None):
    result = subprocess.run([str(rubric_bin), *map(str, args)], input=stdin,
                            capture_output=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode("utf-8")


def records_of(output):
    return [json.loads(line) for line in output.splitlines()]


def default_patterns(rng, n):
    with open(DEFAULT_TSV, encoding="utf-8") as f:
        lines = [line.split("\t")[0] for line in f if line.strip() and not line.startswith("#")]
    return rng.sample(lines, n)


def generated_documents(seed, count):
    rng = random.Random(seed)
    patterns = default_patterns(rng, 400)
    documents = []
    for i in range(count):
        words = []
        for _ in range(rng.randint(0, 40)):
            choice = rng.random()
            if choice < 0.35:
                pattern = rng.choice(patterns)
                words.append(rng.choice([pattern, pattern.upper(), pattern.lower()]))
            else:
                words.append(rng.choice(FILLERS))
        documents.append({"id": f"gen-{seed}-{i}", "text": " ".join(words)})
    return documents


@pytest.fixture(scope="module")
def default_annotator():
    return rubric.Annotator()


def test_tokenize_matches_rubric_tokenize_on_the_article(rubric_bin):
    doc = article()
    want = records_of(run(rubric_bin, "tokenize", ROOT / "corpus" / "article.txt"))[0]["tokens"]
    got = [{"text": t.text, "start": t.start, "end": t.end, "ws": t.ws}
           for t in rubric.tokenize(doc.text)]
    assert got == [{k: t[k] for k in ("text", "start", "end", "ws")} for t in want]
    # Code points: Python's own slicing gives each token's text back.
    assert all(doc.text[t.start:t.end] == t.text for t in rubric.tokenize(doc.text))


def test_spacy_tokenizer_matches_the_command_line_and_spacy(rubric_bin):
    import spacy

    text = "Lt. Dan :) would've left Tuesday.Mr. Smith #Iran2024 (see www.bbc.co.uk)."
    doc = spacy.blank("en")(text)
    got = rubric.tokenize(text, tokenizer="spacy")
    assert [(t.start, t.end, t.ws) for t in got] == [
        (t.idx, t.idx + len(t.text), bool(t.whitespace_)) for t in doc
    ]
    line = json.dumps({"id": "d", "text": text}).encode()
    output = run(rubric_bin, "tokenize", "--tokenizer", "spacy", stdin=line)
    assert [t.text for t in got] == [t["text"] for t in records_of(output)[0]["tokens"]]
    # The news rules, the default, keep the title, the hashtag and `:)`'s pieces apart.
    assert [t.text for t in rubric.tokenize(text)][:5] == ["Lt.", "Dan", ":", ")", "would"]
    annotator = rubric.Annotator(tokenizer="spacy")
    assert [t["text"] for t in annotator.annotate(text)["tokens"]] == [t.text for t in got]


def test_an_unknown_tokenizer_is_a_usage_error():
    with pytest.raises(rubric.UsageError, match="spacy"):
        rubric.tokenize("a", tokenizer="penn")
    with pytest.raises(rubric.UsageError, match="spacy"):
        rubric.Annotator(tokenizer="penn")


def test_annotate_matches_rubric_annotate_on_the_article(rubric_bin, default_annotator):
    doc = article()
    want = records_of(run(rubric_bin, "annotate", ROOT / "corpus" / "article.txt"))
    assert len(want) == 1 and want[0]["spans"], "the article should have spans"
    assert default_annotator.annotate(doc.text, id=doc.id) == want[0]


def test_record_behaves_as_the_dict_of_rubric_annotates_line(rubric_bin, default_annotator):
    doc = article()
    line = run(rubric_bin, "annotate", ROOT / "corpus" / "article.txt").rstrip("\n")
    want = json.loads(line)
    record = default_annotator.annotate(doc.text, id=doc.id)
    assert isinstance(record, rubric.Record) and isinstance(record, Mapping)
    # The JSON line itself, before and after the values are built.
    assert record.to_json() == line
    assert record == want and want == record and not record != want
    assert dict(record) == want and record.to_dict() == want and {**record} == want
    assert type(record.to_dict()) is dict
    assert list(record) == list(want) == ["id", "text", "tokens", "spans", "meta"]
    assert record.keys() == list(want.keys()) and record.items() == list(want.items())
    assert record.values() == list(want.values()) and len(record) == len(want)
    assert [list(t) for t in record["tokens"]] == [list(t) for t in want["tokens"]]
    assert [list(s) for s in record["spans"]] == [list(s) for s in want["spans"]]
    assert json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")) == line
    assert record.to_json() == line
    assert "spans" in record and "nope" not in record and 0 not in record
    assert record.get("nope") is None and record.get("nope", 7) == 7
    with pytest.raises(KeyError):
        record["nope"]
    with pytest.raises(TypeError):
        hash(record)
    assert record != {**want, "id": "other"} and record != [want] and record != line


def test_records_pickle_and_copy_as_records(default_annotator):
    record = default_annotator.annotate(article().text, id="a", explain=True)
    for copied in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record), copy.copy(record)):
        assert type(copied) is rubric.Record
        assert copied == record and copied.to_json() == record.to_json()


def test_record_values_are_built_once_and_changes_show(default_annotator):
    record = default_annotator.annotate("Iran and Iraq.", id="d")
    untouched = default_annotator.annotate("Iran and Iraq.", id="d")
    assert record["tokens"] is record["tokens"] and record["spans"] is record["spans"]
    record["spans"][0]["label"] = "NORP"
    assert record["spans"][0]["label"] == "NORP" and record.to_dict()["spans"][0]["label"] == "NORP"
    assert json.loads(record.to_json())["spans"][0]["label"] == "NORP"
    assert record != untouched and untouched["spans"][0]["label"] == "GPE"


def test_explain_matches_rubric_annotate_explain(rubric_bin, default_annotator):
    doc = article()
    want = records_of(run(rubric_bin, "annotate", "--explain", ROOT / "corpus" / "article.txt"))
    assert want[0]["meta"]["explain"], "the article should have dropped candidates"
    assert default_annotator.annotate(doc.text, id=doc.id, explain=True) == want[0]


# (annotator options, the same for the command line)
OPTIONS = [
    ({}, []),
    ({"overlaps": "all"}, ["--overlaps", "all"]),
    ({"overlaps": "priority"}, ["--overlaps", "priority"]),
    ({"aliases": False}, ["--no-aliases"]),
    ({"labels": ["PERSON", "ORG"]}, ["--labels", "PERSON,ORG"]),
]


@pytest.mark.parametrize("kwargs,flags", OPTIONS, ids=[" ".join(f) or "defaults" for _, f in OPTIONS])
def test_pipe_matches_rubric_annotate_on_generated_documents(rubric_bin, tmp_path, kwargs, flags):
    documents = generated_documents(seed=len(flags) * 7 + len(kwargs), count=150)
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    want = records_of(run(rubric_bin, "annotate", *flags, path))
    assert sum(len(r["spans"]) for r in want) > 10, "the generated documents should have spans"
    annotator = rubric.Annotator(**kwargs)
    got = list(annotator.pipe(((d["text"], d["id"]) for d in documents), threads=3, batch_size=16))
    assert got == want


RULES_TEXT = "President Obama met the Food Standards Agency in Erbil."

# (annotator options, the same for the command line, the spans' texts)
RULE_OPTIONS = [
    ({}, [], ["Obama", "Food Standards Agency", "Erbil"]),
    ({"rules": "all"}, [], ["Obama", "Food Standards Agency", "Erbil"]),
    ({"rules": "none"}, ["--no-rules"], ["Erbil"]),
    ({"rules": ["person:"]}, ["--rules", "person:"], ["Obama", "Erbil"]),
    ({"no_rules": ["person:title"]}, ["--no-rules=person:title"], ["Food Standards Agency", "Erbil"]),
]


@pytest.mark.parametrize("kwargs,flags,texts", RULE_OPTIONS, ids=[str(o[0]) for o in RULE_OPTIONS])
def test_rules_choose_the_named_rules_as_rubric_annotate_does(rubric_bin, tmp_path, kwargs, flags,
                                                              texts):
    patterns = gazetteer_file(tmp_path, "rules.jsonl", RULES_JSONL)
    doc = tmp_path / "doc.txt"
    doc.write_text(RULES_TEXT, encoding="utf-8")
    want = records_of(run(rubric_bin, "annotate", "--no-default-gazetteer", "-g", patterns,
                          *flags, doc))
    got = rubric.Annotator(patterns, **kwargs).annotate(RULES_TEXT, id="doc")
    assert [span["text"] for span in got["spans"]] == texts
    assert got == want[0]


def test_custom_gazetteers_match_rubric_annotate_with_g(rubric_bin, tmp_path):
    tsv = tmp_path / "people.tsv"
    tsv.write_text("Ada Lovelace\tPERSON\tQ7259\nAnalytical Engine\tPRODUCT\n", encoding="utf-8")
    patterns = tmp_path / "orgs.jsonl"
    patterns.write_text('{"label": "ORG", "pattern": "Royal Society", "id": "Q123885"}\n',
                        encoding="utf-8")
    text = "Ada Lovelace wrote on the Analytical Engine for the Royal Society. Lovelace died."
    doc = tmp_path / "doc.txt"
    doc.write_text(text, encoding="utf-8")
    want = records_of(run(rubric_bin, "annotate", "--no-default-gazetteer", "-g", tsv,
                          "-g", patterns, doc))[0]
    got = rubric.Annotator([str(tsv), rubric.Gazetteer.load(str(patterns))]).annotate(text, id="doc")
    assert got == want
    assert [s["text"] for s in got["spans"]] == [
        "Ada Lovelace", "Analytical Engine", "Royal Society", "Lovelace"]


def test_pipe_with_threads_keeps_input_order(default_annotator):
    documents = generated_documents(seed=99, count=400)
    texts = [d["text"] for d in documents]
    one = list(default_annotator.pipe(texts, threads=1, batch_size=1000))
    many = list(default_annotator.pipe(texts, threads=4, batch_size=37))
    assert [r["id"] for r in many] == [str(i) for i in range(len(texts))]
    assert [r["text"] for r in many] == texts
    assert many == one


def test_pipe_is_lazy_and_releases_the_gil(default_annotator):
    # The first batch comes out before the input is exhausted...
    taken = []

    def texts():
        for i in range(100):
            taken.append(i)
            yield f"Iran and Iraq {i}"

    first = next(default_annotator.pipe(texts(), threads=2, batch_size=10))
    assert first["id"] == "0" and len(taken) <= 11
    # ...and another Python thread runs while a long batch is annotated.
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    # Enough work for a release build to take a good fraction of a second.
    big = [article().text] * 400
    thread = threading.Thread(target=ticker)
    thread.start()
    before = len(ticks)
    records = list(default_annotator.pipe(big, threads=1, batch_size=400))
    during = len(ticks) - before
    stop.set()
    thread.join()
    assert len(records) == 400 and during > 10


def test_gazetteer_constructors_compile_and_stats(tmp_path):
    tsv = tmp_path / "g.tsv"
    tsv.write_text("Tehran\tGPE\tQ3616\nIran\tGPE\tQ794\nIRGC\tORG\n", encoding="utf-8")
    from_tsv = rubric.Gazetteer.from_tsv(str(tsv))
    from_patterns = rubric.Gazetteer.from_patterns([
        {"label": "GPE", "pattern": "Tehran", "id": "Q3616"},
        {"label": "GPE", "pattern": "Iran", "id": "Q794"},
        {"label": "ORG", "pattern": [{"LOWER": "irgc"}]},
    ])
    compiled = tmp_path / "g.rgz"
    from_tsv.compile(str(compiled))
    loaded = rubric.Gazetteer.load(str(compiled))
    stats = from_tsv.stats()
    assert stats["entries"] == 3 and stats["labels"] == {"GPE": 2, "ORG": 1}
    assert loaded.stats() == stats and len(loaded) == 3
    text = "Iran’s IRGC met in Tehran."
    spans = [[(s["text"], s["label"], s.get("kb_id")) for s in
              rubric.Annotator(g).annotate(text)["spans"]] for g in (from_tsv, from_patterns, loaded)]
    assert spans[0] == [("Iran", "GPE", "Q794"), ("IRGC", "ORG", None), ("Tehran", "GPE", "Q3616")]
    assert spans[1] == spans[0] and spans[2] == spans[0]
    assert rubric.Gazetteer.default().stats()["entries"] > 10000


def test_diff_matches_rubric_diff_json(rubric_bin, tmp_path):
    documents = generated_documents(seed=5, count=60)
    gold = list(rubric.Annotator(overlaps="priority").pipe([(d["text"], d["id"]) for d in documents]))
    pred = list(rubric.Annotator(aliases=False, labels=["GPE", "ORG", "PERSON"]).pipe(
        [(d["text"], d["id"]) for d in documents]))
    gold_path, pred_path = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    for path, records in ((gold_path, gold), (pred_path, pred)):
        path.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    want = json.loads(run(rubric_bin, "diff", "--format", "json", gold_path, pred_path))
    got = rubric.diff(gold, pred, gold_name=str(gold_path), pred_name=str(pred_path))
    assert got == want
    assert got["overall"]["strict"]["missed"] > 0, "the two annotators should disagree"


CONVERSIONS = [("conll", []), ("bioes", []), ("iob1", []), ("doccano", []),
               ("doccano", ["--doccano-layout", "entities"]), ("jsonl", ["--offsets", "utf16"]),
               ("hf", []), ("spacy", []), ("brat", [])]


@pytest.mark.parametrize("to,flags", CONVERSIONS, ids=[f"{t}{''.join(f)}" for t, f in CONVERSIONS])
def test_convert_writes_what_rubric_convert_writes(rubric_bin, tmp_path, to, flags):
    documents = generated_documents(seed=7, count=40)
    records = list(rubric.Annotator().pipe([(d["text"], d["id"]) for d in documents]))
    assert sum(len(r["spans"]) for r in records) > 20, "the documents should have spans"
    path = tmp_path / "records.jsonl"
    path.write_text("".join(r.to_json() + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    run(rubric_bin, "convert", "--to", to, *flags, "-o", out, path)
    # The command line's files, named as rubric.convert names them.
    if out.is_dir():
        want = {f.name: f.read_bytes() for f in sorted(out.iterdir())}
    else:
        want = {"": out.read_bytes()}
        labels = tmp_path / "out.labels.json"
        if labels.exists():
            want["labels.json"] = labels.read_bytes()
    options = dict(zip(["offsets" if f == "--offsets" else "doccano_layout" for f in flags[::2]],
                       flags[1::2]))
    got = rubric.convert(records, to, **options)
    if to == "brat":
        # No output stream: a directory of files.
        assert got.pop("") == b""
    assert got == want


def test_convert_names_the_registrys_formats_when_one_is_unknown():
    with pytest.raises(rubric.UsageError) as info:
        rubric.convert([], "csv")
    assert "conll, iob2, iob1, bioes, bilou, brat, doccano, hf, spacy" in info.value.message


def gazetteer_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def record(doc_id):
    return rubric.Annotator().annotate("Iran and Iraq.", id=doc_id)


def with_span_end(record, end):
    record["spans"][0]["end"] = end
    return record


# (what to call, the exception class, its kind (None: any), a piece of its location
# (None: it has none), a piece of its message)
ERRORS = [
    ("missing file", lambda d: rubric.Gazetteer.from_tsv(str(d / "nope.tsv")),
     rubric.GazetteerError, "read", "nope.tsv", "no such file"),
    ("no label", lambda d: rubric.Gazetteer.from_tsv(gazetteer_file(d, "a.tsv", "Iran\tGPE\nIraq\n")),
     rubric.GazetteerError, "missing_label", "a.tsv:2", "label"),
    ("bad label", lambda d: rubric.Gazetteer.load(gazetteer_file(d, "b.tsv", "Iran\tG P E\n")),
     rubric.GazetteerError, "bad_label", "b.tsv:1", "G P E"),
    ("pattern without label", lambda d: rubric.Gazetteer.from_patterns([{"pattern": "Iran"}]),
     rubric.GazetteerError, None, "<patterns>:1", "label"),
    ("not compiled", lambda d: rubric.Gazetteer.load(gazetteer_file(d, "c.rgz", "Iran\tGPE\n")),
     rubric.GazetteerError, None, "c.rgz", "compile"),
    ("unknown extension", lambda d: rubric.Annotator(gazetteer_file(d, "d.xml", "<x/>")),
     rubric.GazetteerError, "unknown_format", "d.xml", "xml"),
    ("compile to a missing folder", lambda d: rubric.Gazetteer.default().compile(str(d / "no" / "g.rgz")),
     rubric.GazetteerError, "write", "g.rgz", "g.rgz"),
    ("bad overlap policy", lambda d: rubric.Annotator(overlaps="widest"),
     rubric.UsageError, "usage", None, "longest, priority or all"),
    ("no gazetteer", lambda d: rubric.Annotator([]),
     rubric.UsageError, "usage", None, "no gazetteer"),
    ("unknown label", lambda d: rubric.Annotator(labels=["PERSON", "person"]),
     rubric.UsageError, "usage", None, 'did you mean "PERSON"'),
    ("unknown rule", lambda d: rubric.Annotator(rules=["persn:"]),
     rubric.UsageError, "usage", None, '"persn:" names no rule'),
    ("unknown rule to leave out", lambda d: rubric.Annotator(no_rules=["person:first-last", "x"]),
     rubric.UsageError, "usage", None, '"person:first-last"'),
    ("rules and no_rules", lambda d: rubric.Annotator(rules="none", no_rules=["person:"]),
     rubric.UsageError, "usage", None, "together"),
    ("no threads", lambda d: list(rubric.Annotator().pipe(["x"], threads=0)),
     rubric.UsageError, "usage", None, "threads"),
    ("span text mismatch", lambda d: rubric.diff([with_span_end(record("a"), 9)], [record("a")]),
     rubric.RecordError, "span_text_mismatch", "gold:1:", "[0, 9)"),
    ("span out of range", lambda d: rubric.diff([record("a")], [with_span_end(record("a"), 99)]),
     rubric.RecordError, None, "pred:1:", "99"),
    ("not a record", lambda d: rubric.diff([record("a")], [{"id": "a", "tokens": []}]),
     rubric.RecordError, "missing_field", "pred:1:1", "text"),
    ("unpaired documents", lambda d: rubric.diff([record("a")], [record("b")]),
     rubric.DiffError, None, None, "allow"),
]


@pytest.mark.parametrize("call,cls,kind,location,message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_errors_are_rubric_errors_with_kind_location_and_message(
        tmp_path, call, cls, kind, location, message):
    with pytest.raises(cls) as info:
        call(tmp_path)
    err = info.value
    assert isinstance(err, rubric.RubricError)
    if kind is not None:
        assert err.kind == kind
    assert isinstance(err.kind, str) and err.kind
    if location is None:
        assert err.location is None
    else:
        assert err.location is not None and location in err.location, err.location
    assert message.lower() in err.message.lower(), err.message
    assert str(err) == err.message


def test_gazetteer_error_says_what_the_command_line_says(rubric_bin, tmp_path):
    path = gazetteer_file(tmp_path, "people.tsv", "Ada Lovelace\tPERSON\nCharles Babbage\n")
    result = subprocess.run([str(rubric_bin), "annotate", "--no-default-gazetteer", "-g", path],
                            input=b"Ada", capture_output=True, timeout=60, check=False)
    assert result.returncode != 0
    with pytest.raises(rubric.GazetteerError) as info:
        rubric.Annotator(path)
    assert info.value.message in result.stderr.decode()
    assert info.value.location == f"{path}:2"


def test_bad_inputs_raise_type_errors_not_panics(default_annotator):
    with pytest.raises(TypeError):
        default_annotator.annotate(b"bytes are not text")
    with pytest.raises(TypeError):
        rubric.tokenize(None)
    with pytest.raises(TypeError):
        rubric.Annotator(gazetteer=42)
    with pytest.raises((TypeError, ValueError)):
        list(default_annotator.pipe([("text without id",)]))
    # Lone surrogates cannot be UTF-8: a clear error, not a crash.
    with pytest.raises(UnicodeEncodeError):
        default_annotator.annotate("Iran \udc80")
