"""Label Studio's own client against rubric's Label Studio files, through the real
binary.

label-studio-sdk's `Converter` (the code behind Label Studio's export formats)
reads the annotations-shaped task list that `rubric convert --to
label-studio-annotations` writes, and writes CoNLL 2003 and JSON-MIN from it: every
span rubric wrote must come out with its label, on the same text. rubric then reads
back what that JSON-MIN holds, and a hand-checked export in Label Studio's
documented shape (tests/data/label_studio_export.json), with `convert --from
label-studio`; and an annotator's spans read from that export score exactly as
nervaluate scores them against rubric's own annotation of the same texts.

The documents: the article, the news paragraphs of tests/data, and a text with
astral characters, where code point and UTF-16 offsets differ (Label Studio's are
code points).

Needs the CLI wiring of the label-studio format (`--to label-studio`,
`--to label-studio-annotations`, `--from label-studio` with `--annotator`).
"""

import json
import subprocess

import pytest
from label_studio_sdk.converter import Converter
from nltk.tokenize import TreebankWordTokenizer

from conftest import ARTICLE, PARAGRAPHS, ROOT

EXPORT = ROOT / "tests" / "data" / "label_studio_export.json"
ASTRAL = "🦀 Zoë met Joe Biden in Köln.\n\nThen the IRGC 👍🏽 left Iran… for Baghdad."

SCHEMAS = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
FIELDS = ["correct", "incorrect", "partial", "missed", "spurious", "possible", "actual",
          "precision", "recall", "f1"]


def run(binary, *args, check=True):
    command = [str(binary), *map(str, args)]
    result = subprocess.run(command, capture_output=True, timeout=600)
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {result.returncode}:\n"
            f"{result.stderr.decode('utf-8', 'replace')}",
            pytrace=False,
        )
    return result


def read_records(data):
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def span_set(record):
    """(start, end, label, text) of a record's spans, offsets in code points."""
    assert record["meta"]["offsets"] == "char"
    return sorted((s["start"], s["end"], s["label"], s["text"]) for s in record["spans"])


def label_config(labels):
    """The labeling configuration of an NER project with these labels: what the
    Converter reads to know the text field and the <Labels> control."""
    choices = "".join(f'<Label value="{label}"/>' for label in sorted(labels))
    return (f'<View><Labels name="label" toName="text">{choices}</Labels>'
            f'<Text name="text" value="$text"/></View>')


@pytest.fixture(scope="module")
def annotated(rubric_bin, tmp_path_factory):
    """rubric's records of the documents, and the same as a Label Studio export."""
    directory = tmp_path_factory.mktemp("label_studio")
    astral = directory / "astral.jsonl"
    astral.write_text(json.dumps({"id": "astral", "text": ASTRAL}) + "\n", encoding="utf-8")
    records_path = directory / "records.jsonl"
    run(rubric_bin, "annotate", ARTICLE, PARAGRAPHS, astral, "-o", records_path)
    export = directory / "export.json"
    run(rubric_bin, "convert", records_path, "--to", "label-studio-annotations", "-o", export)
    records = read_records(records_path.read_bytes())
    assert len(records) == 15 and sum(len(r["spans"]) for r in records) > 100
    return directory, records, export


def test_the_export_is_label_studios_shape(annotated):
    _, records, export = annotated
    tasks = json.loads(export.read_text(encoding="utf-8"))
    assert [t["data"]["doc_id"] for t in tasks] == [r["id"] for r in records]
    for task, record in zip(tasks, records):
        assert task["data"]["text"] == record["text"]
        (annotation,) = task["annotations"]
        spans = sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0],
                        r["value"]["text"]) for r in annotation["result"])
        assert spans == span_set(record)
        for result in annotation["result"]:
            value = result["value"]
            # Python slices code points, as Label Studio's offsets count them.
            assert task["data"]["text"][value["start"]:value["end"]] == value["text"]
            assert (result["from_name"], result["to_name"], result["type"]) == (
                "label", "text", "labels")


def test_converter_conll_keeps_every_span(annotated):
    directory, records, export = annotated
    labels = {s["label"] for r in records for s in r["spans"]}
    converter = Converter(config=label_config(labels), project_dir=str(directory))
    out = directory / "conll"
    converter.convert_to_conll2003(str(export), str(out), is_dir=False)
    lines = (out / "result.conll").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "-DOCSTART- -X- O"
    documents, current = [], []
    for line in lines[1:]:
        if line:
            token, _, _, tag = line.rsplit(" ", 3)
            current.append((token, tag))
        elif current:
            documents.append(current)
            current = []
    assert len(documents) == len(records)
    checked = 0
    for record, rows in zip(records, documents):
        text = record["text"]
        # The converter's tokens are NLTK's Treebank tokens of the text; their
        # offsets tell where each tagged token is.
        offsets = list(TreebankWordTokenizer().span_tokenize(text))
        assert [text[s:e] for s, e in offsets] == [token for token, _ in rows]
        chunks = []
        for (start, end), (_, tag) in zip(offsets, rows):
            if tag.startswith("B-") or (tag.startswith("I-") and not chunks):
                chunks.append([start, end, tag[2:]])
            elif tag.startswith("I-"):
                assert chunks[-1][2] == tag[2:], f"{record['id']}: {tag} after {chunks[-1]}"
                chunks[-1][1] = end
        spans = span_set(record)
        assert len(chunks) == len(spans), f"{record['id']}: {chunks} for {spans}"
        for (start, end, label, span_text), (chunk_start, chunk_end, chunk_label) in zip(
                spans, sorted(chunks)):
            # A span inside a Treebank token ("Iran" in "Iran’s") tags the whole token.
            assert chunk_label == label
            assert chunk_start <= start and end <= chunk_end, (record["id"], span_text)
            assert span_text in text[chunk_start:chunk_end]
            checked += 1
    assert checked == sum(len(r["spans"]) for r in records)


def test_converter_json_min_keeps_every_span_and_rubric_reads_it_back(rubric_bin, annotated):
    directory, records, export = annotated
    labels = {s["label"] for r in records for s in r["spans"]}
    converter = Converter(config=label_config(labels), project_dir=str(directory))
    out = directory / "json_min"
    converter.convert_to_json_min(str(export), str(out), is_dir=False)
    items = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert [item["doc_id"] for item in items] == [r["id"] for r in records]
    for item, record in zip(items, records):
        assert item["text"] == record["text"]
        spans = sorted((v["start"], v["end"], v["labels"][0], v["text"])
                       for v in item.get("label", []))
        assert spans == span_set(record)
    result = run(rubric_bin, "convert", "--from", "label-studio", out / "result.json",
                 "--to", "jsonl")
    back = read_records(result.stdout)
    assert [r["id"] for r in back] == [r["id"] for r in records]
    assert [r["text"] for r in back] == [r["text"] for r in records]
    assert [span_set(r) for r in back] == [span_set(r) for r in records]


def export_spans(annotator):
    """What the hand-checked export holds for one annotator (its `completed_by` id or
    e-mail), read with Python's json: {task id: [(start, end, label, text)]}."""
    tasks = json.loads(EXPORT.read_text(encoding="utf-8"))
    spans = {}
    for task in tasks:
        for annotation in task["annotations"]:
            who = annotation["completed_by"]
            who = who["email"] if isinstance(who, dict) else str(who)
            if who != annotator or annotation["was_cancelled"]:
                continue
            spans[str(task["id"])] = sorted(
                (r["value"]["start"], r["value"]["end"], label, r["value"]["text"])
                for r in annotation["result"] if r["type"] == "labels"
                for label in r["value"]["labels"])
    return spans


def test_rubric_reads_the_documented_export(rubric_bin):
    # Checked by eye: Bea's regions of tasks 1 and 2, offsets in code points.
    bea = export_spans("bea@example.com")
    assert bea == {
        "1": [(0, 4, "GPE", "Iran"), (7, 11, "ORG", "IRGC"), (31, 38, "LOC", "Baghdad")],
        "2": [(4, 9, "PERSON", "Smith"), (17, 31, "ORG", "United Nations"),
              (41, 45, "GPE", "Kyiv")],
    }
    for annotator in ["1", "bea@example.com"]:
        result = run(rubric_bin, "convert", "--from", "label-studio", EXPORT, "--to", "jsonl",
                     "--annotator", annotator)
        back = read_records(result.stdout)
        assert {r["id"]: span_set(r) for r in back} == export_spans(annotator)
    # Two annotators and no choice: an error that names them, not a guess.
    result = run(rubric_bin, "convert", "--from", "label-studio", EXPORT, "--to", "jsonl",
                 check=False)
    assert result.returncode != 0
    stderr = result.stderr.decode()
    assert '"1", "bea@example.com"' in stderr, stderr


def test_an_annotator_scored_against_rubric_equals_nervaluate(rubric_bin, tmp_path):
    from nervaluate import Evaluator

    result = run(rubric_bin, "convert", "--from", "label-studio", EXPORT, "--to", "jsonl",
                 "--annotator", "bea@example.com")
    gold_path = tmp_path / "gold.jsonl"
    gold_path.write_bytes(result.stdout)
    gold = read_records(result.stdout)
    documents = tmp_path / "documents.jsonl"
    documents.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n"
                                 for r in gold), encoding="utf-8")
    pred_path = tmp_path / "rubric.jsonl"
    run(rubric_bin, "annotate", documents, "-o", pred_path)
    pred = read_records(pred_path.read_bytes())
    report = json.loads(run(rubric_bin, "diff", gold_path, pred_path, "--format", "json").stdout)

    def spans(records):
        return [[{"label": label, "start": start, "end": end - 1}
                 for start, end, label, _ in span_set(r)] for r in records]

    true, predicted = spans(gold), spans(pred)
    tags = sorted({e["label"] for doc in true + predicted for e in doc})
    theirs = Evaluator(true, predicted, tags=tags, loader="dict").evaluate()["overall"]
    for ours_name, theirs_name in SCHEMAS.items():
        for field in FIELDS:
            assert report["overall"][ours_name][field] == getattr(theirs[theirs_name], field), (
                ours_name, field)
    # Bea and rubric disagree somewhere (Baghdad is LOC to her), so the comparison
    # is not of a set with itself.
    assert report["overall"]["strict"]["correct"] < report["overall"]["strict"]["possible"]
