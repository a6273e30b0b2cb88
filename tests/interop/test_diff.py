"""`rubric diff` against nervaluate 1.x and seqeval, through the real binary.

nervaluate: on the article (gold from a list of entity strings, prediction a
perturbed copy) and on a few hundred random gold/prediction pairs with overlaps,
nesting, one-character spans, shifted boundaries and label confusions, every count
and figure of `rubric diff --format json` (overall, per label, per document, all four
schemas) must equal nervaluate's exactly. rubric's spans are half-open; nervaluate's
`end` is inclusive, so a span [start, end) is given to it as end - 1. Both sides get
the spans in the same order, sorted by (start, end, label), as rubric sorts them.

seqeval: on random IOB2 CoNLL files (stray I- tags included), `strict` read with
`--from conll` must give seqeval's entity-level precision, recall and F1, micro and
per label. seqeval computes F1 with numpy in another order of operations, so figures
are compared to 1e-12; the counts (support) exactly.
"""

import json
import random
import subprocess

import pytest
from nervaluate import Evaluator

from conftest import article

SCHEMAS = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
FIELDS = ["correct", "incorrect", "partial", "missed", "spurious", "possible", "actual",
          "precision", "recall", "f1"]


def tokenize(rubric_bin, texts):
    """rubric's tokens (char offsets) for each text, via `rubric tokenize`."""
    lines = "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    result = subprocess.run([str(rubric_bin), "tokenize"], input=lines.encode(),
                            capture_output=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line)["tokens"] for line in result.stdout.decode().splitlines()]


def make_records(rubric_bin, documents):
    """rubric records (JSON Lines text) for [(id, text, [(start, end, label), ...])],
    offsets in code points."""
    all_tokens = tokenize(rubric_bin, [text for _, text, _ in documents])
    lines = []
    for (doc_id, text, spans), tokens in zip(documents, all_tokens):
        record_tokens = [{"text": t["text"], "start": t["start"], "end": t["end"], "id": i,
                          "ws": t["ws"]} for i, t in enumerate(tokens)]
        record_spans = []
        for start, end, label in sorted(set(spans)):
            overlapped = [i for i, t in enumerate(tokens) if t["start"] < end and start < t["end"]]
            record_spans.append({"start": start, "end": end, "token_start": overlapped[0],
                                 "token_end": overlapped[-1], "label": label,
                                 "text": text[start:end]})
        lines.append(json.dumps({"id": doc_id, "text": text, "tokens": record_tokens,
                                 "spans": record_spans, "meta": {"offsets": "char"}}))
    return "".join(line + "\n" for line in lines)


def rubric_diff(rubric_bin, tmp_path, gold, pred, *extra, suffix=".jsonl"):
    gold_path = tmp_path / f"gold{suffix}"
    pred_path = tmp_path / f"pred{suffix}"
    gold_path.write_text(gold, encoding="utf-8")
    pred_path.write_text(pred, encoding="utf-8")
    command = [str(rubric_bin), "diff", str(gold_path), str(pred_path), "--format", "json", *extra]
    result = subprocess.run(command, capture_output=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def nervaluate_docs(documents):
    return [[{"label": label, "start": start, "end": end - 1}
             for start, end, label in sorted(set(spans))] for _, _, spans in documents]


def assert_counts_equal(ours, theirs, where):
    for field in FIELDS:
        assert ours[field] == getattr(theirs, field), (
            f"{where}: {field} is {ours[field]}, nervaluate says {getattr(theirs, field)}")


def compare_with_nervaluate(rubric_bin, tmp_path, gold_docs, pred_docs):
    report = rubric_diff(rubric_bin, tmp_path, make_records(rubric_bin, gold_docs),
                         make_records(rubric_bin, pred_docs))
    true, pred = nervaluate_docs(gold_docs), nervaluate_docs(pred_docs)
    tags = sorted({e["label"] for doc in true + pred for e in doc})
    results = Evaluator(true, pred, tags=tags, loader="dict").evaluate()
    for ours, theirs in SCHEMAS.items():
        assert_counts_equal(report["overall"][ours], results["overall"][theirs], f"overall {ours}")
    assert sorted(report["labels"]) == sorted(results["entities"])
    for label, scores in report["labels"].items():
        for ours, theirs in SCHEMAS.items():
            assert_counts_equal(scores[ours], results["entities"][label][theirs], f"{label} {ours}")
    for index, document in enumerate(report["documents"]):
        one = Evaluator([true[index]], [pred[index]], tags=tags, loader="dict").evaluate()
        for ours, theirs in SCHEMAS.items():
            assert_counts_equal(document["overall"][ours], one["overall"][theirs],
                                f"document {document['id']} {ours}")
    return report


ENTITIES = [("Iraqi", "NORP"), ("Iranian", "NORP"), ("Iraq", "GPE"), ("Iran", "GPE"),
            ("US", "GPE"), ("Israel", "GPE"), ("Tehran", "GPE"), ("Washington", "GPE"),
            ("Kurdistan Region", "GPE"), ("Joe Biden", "PERSON"), ("Hezbollah", "ORG"),
            ("Hamas", "ORG"), ("IRGC", "ORG"),
            ("Coordination Committee of the Iraqi Resistance", "ORG")]


def whole_word_spans(text):
    spans = []
    for entity, label in ENTITIES:
        start = text.find(entity)
        while start >= 0:
            end = start + len(entity)
            if not (start > 0 and text[start - 1].isalnum()) and not (end < len(text) and text[end].isalnum()):
                spans.append((start, end, label))
            start = text.find(entity, start + 1)
    return spans


def test_article_equals_nervaluate(rubric_bin, tmp_path):
    doc = article()
    gold = whole_word_spans(doc.text)
    rng = random.Random(7)
    pred = []
    for start, end, label in gold:
        roll = rng.random()
        if roll < 0.1:
            continue  # missed
        if roll < 0.2:
            label = "ORG" if label != "ORG" else "GPE"  # wrong label
        elif roll < 0.3:
            end = max(start + 1, end - 2)  # wrong boundary
        pred.append((start, end, label))
    # Spurious spans, some overlapping gold ones.
    for _ in range(6):
        start = rng.randrange(len(doc.text) - 20)
        pred.append((start, start + rng.randrange(1, 20), rng.choice(["GPE", "ORG", "PERSON"])))
    pred = [(s, e, l) for s, e, l in pred if doc.text[s:e].strip()]
    report = compare_with_nervaluate(rubric_bin, tmp_path, [(doc.id, doc.text, gold)],
                                     [(doc.id, doc.text, pred)])
    assert report["overall"]["strict"]["incorrect"] > 0
    assert report["overall"]["strict"]["missed"] > 0


LABELS = ["PER", "ORG", "LOC", "GPE"]
ALPHABET = "abcdefghé𝔸ü"  # no spaces: every span covers a token; 𝔸 is astral


def random_pair(rng, length):
    gold = set()
    for _ in range(rng.randrange(0, 9)):
        start = rng.randrange(length)
        end = min(length, start + rng.choice([1, 1, 2, 3, 5, 8, 13, 30]))
        gold.add((start, end, rng.choice(LABELS)))
    pred = set()
    for start, end, label in sorted(gold):
        roll = rng.random()
        if roll < 0.15:
            continue
        if roll < 0.35:
            label = rng.choice(LABELS)
        if 0.3 < roll < 0.6:
            start = min(max(0, start + rng.randrange(-3, 4)), length - 1)
            end = min(length, max(start + 1, end + rng.randrange(-3, 4)))
        pred.add((start, end, label))
        if rng.random() < 0.1:  # the same span with a second label
            pred.add((start, end, rng.choice(LABELS)))
    for _ in range(rng.randrange(0, 4)):
        start = rng.randrange(length)
        pred.add((start, min(length, start + rng.randrange(1, 12)), rng.choice(LABELS)))
    return sorted(gold), sorted(pred)


def test_random_pairs_equal_nervaluate(rubric_bin, tmp_path):
    rng = random.Random(20130901)
    gold_docs, pred_docs = [], []
    for index in range(300):
        length = rng.randrange(20, 120)
        text = "".join(rng.choice(ALPHABET) for _ in range(length))
        gold, pred = random_pair(rng, length)
        gold_docs.append((f"r{index}", text, gold))
        pred_docs.append((f"r{index}", text, pred))
    report = compare_with_nervaluate(rubric_bin, tmp_path, gold_docs, pred_docs)
    # The random pairs do exercise every outcome.
    for field in ["correct", "incorrect", "missed", "spurious"]:
        assert report["overall"]["strict"][field] > 0, field
    assert report["overall"]["partial"]["partial"] > 0


def random_tags(rng, n):
    tags = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.5:
            tags.append("O")
        elif roll < 0.75:
            tags.append("B-" + rng.choice(["PER", "ORG", "LOC"]))
        else:
            tags.append("I-" + rng.choice(["PER", "ORG", "LOC"]))  # stray I- included
    return tags


def conll(sentences, tags):
    out = ["-DOCSTART- O", ""]
    for words, sentence_tags in zip(sentences, tags):
        out += [f"{w} {t}" for w, t in zip(words, sentence_tags)]
        out.append("")
    return "\n".join(out) + "\n"


def test_strict_on_conll_equals_seqeval(rubric_bin, tmp_path):
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    rng = random.Random(2003)
    sentences = [[f"w{i}" for i in range(rng.randrange(1, 25))] for _ in range(200)]
    y_true = [random_tags(rng, len(s)) for s in sentences]
    y_pred = []
    for tags in y_true:
        pred = [t if rng.random() < 0.8 else random_tags(rng, 1)[0] for t in tags]
        y_pred.append(pred)
    report = rubric_diff(rubric_bin, tmp_path, conll(sentences, y_true), conll(sentences, y_pred),
                         "--from", "conll", suffix=".conll")
    strict = report["overall"]["strict"]
    assert strict["precision"] == pytest.approx(precision_score(y_true, y_pred), abs=1e-12)
    assert strict["recall"] == pytest.approx(recall_score(y_true, y_pred), abs=1e-12)
    assert strict["f1"] == pytest.approx(f1_score(y_true, y_pred), abs=1e-12)
    per_label = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    for label in ["PER", "ORG", "LOC"]:
        ours = report["labels"][label]["strict"]
        assert ours["possible"] == per_label[label]["support"], label
        assert ours["precision"] == pytest.approx(per_label[label]["precision"], abs=1e-12), label
        assert ours["recall"] == pytest.approx(per_label[label]["recall"], abs=1e-12), label
        assert ours["f1"] == pytest.approx(per_label[label]["f1-score"], abs=1e-12), label


def iob(tokens, spans):
    """IOB2 labels of the non-space tokens under flat (non-overlapping) spans."""
    labels = []
    for token in tokens:
        covering = [s for s in spans if s[0] < token["end"] and token["start"] < s[1]]
        if not covering:
            labels.append("O")
        else:
            start, _, label = covering[0]
            labels.append(("B-" if token["start"] <= start else "I-") + label)
    return labels


def test_kappa_equals_scikit_learn(rubric_bin, tmp_path):
    from sklearn.metrics import cohen_kappa_score

    doc = article()
    spans = whole_word_spans(doc.text)
    # Flat spans only: IOB cannot hold nesting, and then the labelling is unambiguous.
    flat = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    rng = random.Random(11)
    versions = [flat]
    for _ in range(2):
        version = []
        for start, end, label in flat:
            roll = rng.random()
            if roll < 0.15:
                continue
            version.append((start, end, rng.choice(["GPE", "ORG"]) if roll < 0.3 else label))
        versions.append(version)
    paths = []
    for index, version in enumerate(versions):
        path = tmp_path / f"annotator{index}.jsonl"
        path.write_text(make_records(rubric_bin, [(doc.id, doc.text, version)]), encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run([str(rubric_bin), "diff", *paths, "--kappa", "--format", "json"],
                            capture_output=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    tokens = [t for t in tokenize(rubric_bin, [doc.text])[0] if t["kind"] != "space"]
    labels = [iob(tokens, sorted(version)) for version in versions]
    for i in range(3):
        for j in range(3):
            if i != j:
                want = cohen_kappa_score(labels[i], labels[j])
                assert report["kappa"][i][j] == pytest.approx(want, abs=1e-12), (i, j)
