"""Records as users have them, scored by `rubric diff` and checked against nervaluate.

A Prodigy `ner_manual` export (tests/data/prodigy/ner_manual.jsonl, hand-written from
Prodigy 1.x's documented task format: no id, `_input_hash`, `answer`, a disabled
token, spans without `text`) and span-only JSON Lines (tests/data/span-only.jsonl:
text and spans only, as nervaluate, GLiNER and most scripts write them) are each
diffed against what `rubric annotate` makes of the same file. Every count of
`rubric diff --format json` (overall, per label, per document, four schemas) must
equal nervaluate's on the same spans, paired as rubric says it paired them
(`_input_hash`, line), with Prodigy's `reject`/`ignore` lines left out on both sides.

`rubric annotate --no-tokens` records (and the Python package's `tokens=False`) are
checked against schemas/record.schema.json with the jsonschema package, and against
`rubric annotate` with tokens: the same spans.
"""

import json
import subprocess

import jsonschema
from nervaluate import Evaluator

from conftest import ROOT, article, news_dev_path
from test_diff import SCHEMAS, assert_counts_equal

DATA = ROOT / "tests" / "data"
PRODIGY = DATA / "prodigy" / "ner_manual.jsonl"
SPAN_ONLY = DATA / "span-only.jsonl"
SCHEMA = ROOT / "schemas" / "record.schema.json"


def run(rubric_bin, *args):
    result = subprocess.run([str(rubric_bin), *map(str, args)], capture_output=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode("utf-8")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def entities(record):
    """nervaluate's entities for a record's spans (offsets in code points), with
    `end` inclusive, sorted as rubric sorts spans."""
    spans = sorted((s["start"], s["end"], s["label"]) for s in record["spans"])
    return [{"label": label, "start": start, "end": end - 1} for start, end, label in spans]


def check_against_nervaluate(report, gold_records, pred_records):
    """`report` (rubric diff's JSON) against nervaluate on the records, paired in
    the report's document order."""
    true = [entities(r) for r in gold_records]
    pred = [entities(r) for r in pred_records]
    tags = sorted({e["label"] for doc in true + pred for e in doc})
    results = Evaluator(true, pred, tags=tags, loader="dict").evaluate()
    for ours, theirs in SCHEMAS.items():
        assert_counts_equal(report["overall"][ours], results["overall"][theirs], f"overall {ours}")
    for label, scores in report["labels"].items():
        for ours, theirs in SCHEMAS.items():
            assert_counts_equal(scores[ours], results["entities"][label][theirs], f"{label} {ours}")
    assert len(report["documents"]) == len(true)
    for index, document in enumerate(report["documents"]):
        one = Evaluator([true[index]], [pred[index]], tags=tags, loader="dict").evaluate()
        for ours, theirs in SCHEMAS.items():
            assert_counts_equal(document["overall"][ours], one["overall"][theirs],
                                f"document {document['id']} {ours}")
    assert report["overall"]["strict"]["possible"] > 0 and report["overall"]["strict"]["actual"] > 0


def test_prodigy_export_against_rubric_equals_nervaluate(rubric_bin, tmp_path):
    pred_path = tmp_path / "pred.jsonl"
    run(rubric_bin, "annotate", "-q", PRODIGY, "-o", pred_path)
    report = json.loads(run(rubric_bin, "diff", "--format", "json", PRODIGY, pred_path))
    assert report["paired_by"] == "_input_hash"
    # rubric's records keep the input's `answer` (in meta), so both sides leave
    # the same lines out.
    assert report["skipped"][str(PRODIGY)] == {"ignore": 1, "reject": 1}
    gold = [r for r in read_jsonl(PRODIGY) if r["answer"] == "accept"]
    by_hash = {r["meta"]["_input_hash"]: r for r in read_jsonl(pred_path)}
    pred = [by_hash[r["_input_hash"]] for r in gold]
    assert [d["id"] for d in report["documents"]] == [f"_input_hash {r['_input_hash']}" for r in gold]
    check_against_nervaluate(report, gold, pred)


def test_span_only_lines_against_rubric_without_tokens_equal_nervaluate(rubric_bin, tmp_path):
    pred_path = tmp_path / "pred.jsonl"
    run(rubric_bin, "annotate", "-q", "--no-tokens", SPAN_ONLY, "-o", pred_path)
    report = json.loads(run(rubric_bin, "diff", "--format", "json", SPAN_ONLY, pred_path))
    assert report["paired_by"] == "line"
    gold, pred = read_jsonl(SPAN_ONLY), read_jsonl(pred_path)
    assert all("tokens" not in r for r in gold + pred)
    assert [d["id"] for d in report["documents"]] == [f"line {n}" for n in range(1, len(gold) + 1)]
    check_against_nervaluate(report, gold, pred)


def test_no_tokens_records_validate_and_keep_the_spans(rubric_bin, tmp_path):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    inputs = [ROOT / "corpus" / "article.txt"]
    if news_dev_path() is not None:
        inputs.append(news_dev_path())
    for path in inputs:
        for unit in ["char", "byte", "utf16"]:
            with_tokens = [json.loads(line) for line in
                           run(rubric_bin, "annotate", "-q", "--offsets", unit, path).splitlines()]
            without = [json.loads(line) for line in
                       run(rubric_bin, "annotate", "-q", "--no-tokens", "--offsets", unit,
                           path).splitlines()]
            assert len(with_tokens) == len(without) > 0
            for full, bare in zip(with_tokens, without):
                errors = [e.message for e in validator.iter_errors(bare)]
                assert errors == [], f"{bare['id']} ({unit}): {errors}"
                assert "tokens" not in bare
                assert list(bare) == ["id", "text", "spans", "meta"]
                stripped = [{k: v for k, v in s.items() if k not in ("token_start", "token_end")}
                            for s in full["spans"]]
                assert bare["spans"] == stripped


def test_python_tokens_false_is_annotate_no_tokens(rubric_bin):
    import rubric

    doc = article()
    line = run(rubric_bin, "annotate", "--no-tokens", ROOT / "corpus" / "article.txt").rstrip("\n")
    record = rubric.Annotator(tokens=False).annotate(doc.text, id=doc.id)
    assert record.to_json() == line
    assert record == json.loads(line)
    assert list(record) == ["id", "text", "spans", "meta"] and "tokens" not in record
    assert record.get("tokens") is None and len(record) == 4
