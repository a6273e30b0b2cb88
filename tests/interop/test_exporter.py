"""rubric's exporter against the real tools: spaCy loads the DocBin that `rubric
convert --to spacy` writes, rubric reads the DocBin spaCy writes, and Python's
jsonschema accepts every record `rubric convert --to jsonl` writes.

The documents: the article and the news paragraphs of tests/data, plus a small text
with astral characters (emoji) and runs of white space, so that code point, UTF-16
and byte offsets all differ. Spans are test data: entity strings found in the text
at word boundaries, longest first, never overlapping.
"""

import json
import re
import subprocess
import pytest

from conftest import PARAGRAPHS, ROOT, article, read_jsonl

SCHEMA = ROOT / "schemas" / "record.schema.json"
SYMBOLS = ROOT / "crates" / "exporter" / "src" / "spacy_symbols.rs"

ENTITIES = {
    "PERSON": ["Joe Biden", "Hassan Nasrallah", "Ismail Haniyeh", "Daniel Hagari", "Zoë"],
    "ORG": ["Islamic Revolutionary Guard Corps", "IRGC", "Hezbollah", "Hamas", "UN"],
    "GPE": ["Iran", "Iraq", "US", "Israel", "Tehran", "Washington", "Baghdad", "Köln"],
    "NORP": ["Iraqi", "Iranian", "American", "Israeli"],
}
KB_IDS = {"Joe Biden": "Q6279", "Iran": "Q794"}
ASTRAL = "🦀 Zoë met Joe Biden in Köln.\n\nThen  IRGC 👍🏽 left\tIran…"


def gold_spans(text, nlp):
    """Entity strings on spaCy's token boundaries, longest first, none overlapping.

    (The news paragraphs have e.g. a soft hyphen glued to "Israeli": such a match is
    not a token, and would rightly stop `--to spacy` with --misaligned error.)"""
    doc = nlp.make_doc(text)
    names = sorted(
        ((name, label) for label, names in ENTITIES.items() for name in names),
        key=lambda item: -len(item[0]),
    )
    taken, spans = [], []
    for name, label in names:
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            if doc.char_span(start, end) is None:
                continue
            taken.append((start, end))
            spans.append((start, end, label, name))
    return sorted(spans)


def documents():
    docs = [article(), *read_jsonl(PARAGRAPHS)]
    return [(d.id, d.text) for d in docs] + [("astral", ASTRAL)]


def run(binary, *args, stdin=None):
    command = [str(binary), *map(str, args)]
    result = subprocess.run(command, input=stdin, capture_output=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {result.returncode}:\n"
            f"{result.stderr.decode('utf-8', 'replace')}",
            pytrace=False,
        )
    return result.stdout


@pytest.fixture(scope="module")
def records_file(rubric_bin, tmp_path_factory, nlp):
    """The documents as rubric records, made from doccano JSONL by `rubric convert`."""
    directory = tmp_path_factory.mktemp("exporter")
    lines = []
    for doc_id, text in documents():
        label = [[s, e, lab] for s, e, lab, _ in gold_spans(text, nlp)]
        lines.append(json.dumps({"id": doc_id, "text": text, "label": label}))
    doccano = directory / "docs.doccano.jsonl"
    doccano.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run(rubric_bin, "convert", "--from", "doccano", "--to", "jsonl", doccano)
    # doccano has no knowledge-base ids; add some the way a user would, by editing
    # the records (rubric reads them back and checks them).
    records = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    for record in records:
        for span in record["spans"]:
            if span["text"] in KB_IDS:
                span["kb_id"] = KB_IDS[span["text"]]
    path = directory / "records.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def load_records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_every_record_validates_against_the_schema(rubric_bin, records_file, tmp_path):
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for unit in ["char", "byte", "utf16"]:
        out = run(rubric_bin, "convert", records_file, "--to", "jsonl", "--offsets", unit)
        records = [json.loads(line) for line in out.decode("utf-8").splitlines()]
        assert len(records) == len(documents())
        for record in records:
            errors = [e.message for e in validator.iter_errors(record)]
            assert errors == [], f"{record['id']} ({unit}): {errors}"
            assert record["meta"]["offsets"] == unit


def test_tokenize_output_is_a_records_tokens(rubric_bin, tmp_path):
    """`rubric tokenize`'s tokens, placed into a record as they are, make a record
    that jsonschema and `rubric validate` both accept, in every offset unit."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    docs = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in documents())
    for unit in ["char", "byte", "utf16"]:
        out = run(rubric_bin, "tokenize", "--offsets", unit, stdin=docs.encode("utf-8"))
        texts = dict(documents())
        records = []
        for line in out.decode("utf-8").splitlines():
            tokenized = json.loads(line)
            assert all("kind" in t and "id" in t for t in tokenized["tokens"])
            record = {
                "id": tokenized["id"],
                "text": texts[tokenized["id"]],
                "tokens": tokenized["tokens"],
                "spans": [],
                "meta": {"offsets": tokenized["offsets"]},
            }
            errors = [e.message for e in validator.iter_errors(record)]
            assert errors == [], f"{record['id']} ({unit}): {errors}"
            records.append(record)
        assert len(records) == len(documents())
        path = tmp_path / f"tokens-{unit}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        run(rubric_bin, "validate", path)


def slice_in(text, unit, start, end):
    """`text[start:end]` with offsets counted in `unit`, decoded independently."""
    if unit == "char":
        return text[start:end]
    if unit == "byte":
        return text.encode("utf-8")[start:end].decode("utf-8")
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


@pytest.mark.parametrize("unit", ["char", "byte", "utf16"])
def test_offsets_slice_the_text_as_python_counts(rubric_bin, records_file, unit):
    out = run(rubric_bin, "convert", records_file, "--to", "jsonl", "--offsets", unit)
    records = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    gold = dict(documents())
    for record in records:
        text = record["text"]
        assert text == gold[record["id"]]
        for token in record["tokens"]:
            assert slice_in(text, unit, token["start"], token["end"]) == token["text"]
        for span in record["spans"]:
            assert slice_in(text, unit, span["start"], span["end"]) == span["text"]
        rebuilt = "".join(t["text"] + (" " if t["ws"] else "") for t in record["tokens"])
        assert rebuilt == text
    astral = next(r for r in records if r["id"] == "astral")
    iran = next(s for s in astral["spans"] if s["text"] == "Iran")
    want = {"char": 49, "byte": 60, "utf16": 52}
    assert iran["start"] == want[unit], "an emoji is 1 code point, 2 UTF-16 units, 4 bytes"


def test_spacy_loads_the_docbin_rubric_writes(rubric_bin, records_file, tmp_path, nlp):
    from spacy.tokens import DocBin

    path = tmp_path / "docs.spacy"
    run(rubric_bin, "convert", records_file, "--to", "spacy", "-o", path)
    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    records = load_records(records_file)
    assert len(docs) == len(records)
    total_ents = 0
    for doc, record in zip(docs, records):
        assert doc.user_data.get("id") == record["id"]
        assert doc.text == record["text"]
        assert [t.text for t in doc] == [t["text"] for t in record["tokens"]]
        assert [bool(t.whitespace_) for t in doc] == [t["ws"] for t in record["tokens"]]
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        spans = [(s["start"], s["end"], s["label"]) for s in record["spans"]]
        assert ents == spans, record["id"]
        total_ents += len(ents)
        kb_ids = [(e.start_char, e.kb_id_) for e in doc.ents]
        assert kb_ids == [(s["start"], s.get("kb_id", "")) for s in record["spans"]]
        # Sentences: every one starts where a rubric sentence starts, none inside
        # an entity.
        for ent in doc.ents:
            assert all(not t.is_sent_start for t in ent[1:])
    assert total_ents > 0


def test_spacy_doc_ents_carry_kb_ids(rubric_bin, records_file, tmp_path, nlp):
    from spacy.tokens import DocBin

    path = tmp_path / "docs.spacy"
    run(rubric_bin, "convert", records_file, "--to", "spacy", "-o", path)
    doc = next(DocBin().from_disk(path).get_docs(nlp.vocab))
    kb = sorted({(e.text, e.kb_id_) for e in doc.ents if e.kb_id_})
    assert kb == [("Iran", "Q794"), ("Joe Biden", "Q6279")]


def test_rubric_reads_the_docbin_spacy_writes(rubric_bin, tmp_path, nlp):
    from spacy.tokens import DocBin, Span

    bin_ = DocBin(store_user_data=True)
    for doc_id, text in documents()[:3] + [("astral", ASTRAL)]:
        doc = nlp.make_doc(text)
        ents = []
        for start, end, label, name in gold_spans(text, nlp):
            span = doc.char_span(start, end, label=label, kb_id=KB_IDS.get(name, ""))
            assert span is not None, f"{name} is not on spaCy's token boundaries"
            ents.append(span)
        doc.ents = ents
        doc.user_data["id"] = doc_id
        bin_.add(doc)
    path = tmp_path / "spacy.spacy"
    bin_.to_disk(path)
    out = run(rubric_bin, "convert", "--from", "spacy", path, "--to", "jsonl")
    records = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    assert [r["id"] for r in records] == [d.user_data["id"] for d in docs]
    for record, doc in zip(records, docs):
        assert record["text"] == doc.text
        assert [t["text"] for t in record["tokens"]] == [t.text for t in doc]
        spans = [(s["start"], s["end"], s["label"], s.get("kb_id", "")) for s in record["spans"]]
        ents = [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents]
        assert spans == ents


def test_symbol_table_matches_the_pinned_spacy():
    """crates/exporter/src/spacy_symbols.rs is generated from spacy.symbols.IDS
    (scripts/gen-spacy-symbols); a spaCy upgrade that changes it fails here."""
    from spacy.symbols import IDS

    table = dict(
        (name, int(value))
        for name, value in re.findall(r'\("((?:[^"\\]|\\.)*)", (\d+)\)', SYMBOLS.read_text())
    )
    assert table == dict(IDS)
