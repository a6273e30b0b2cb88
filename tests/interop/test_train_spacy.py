"""rubric's training data, trained on by the real trainer.

The README's walkthrough "From raw text to a trained spaCy pipeline", run line by
line on the article and a few hundred generated documents (tests/interop/templated.py:
templates filled with entries of the default gazetteer, fixed seed): `rubric
annotate` on folders of `.txt` files, `rubric convert --to spacy` into train and dev
DocBins, `spacy init config` and `spacy train`, a blank English NER pipeline trained
for a few hundred steps on CPU. The bar for the model is low
on purpose (it finds some of the dev entities): the point is that the data path is
real, not the model's quality. The same records exported with `--to hf` must be
well-formed Hugging Face token classification data.
"""

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import ARTICLE, ROOT
import templated

SEED = 8
GENERATED = 400
DEV = 80
# Enough for a blank pipeline to pick up the templates' contexts in well under a
# minute on two cores; not enough to make it good.
MAX_STEPS = 200
EVAL_FREQUENCY = 100


def run(*command, **kwargs):
    command = [str(part) for part in command]
    result = subprocess.run(command, capture_output=True, timeout=600, **kwargs)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {result.returncode}:\n"
            f"{result.stdout.decode('utf-8', 'replace')[-4000:]}\n"
            f"{result.stderr.decode('utf-8', 'replace')[-4000:]}",
            pytrace=False,
        )
    return result


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def walkthrough_commands():
    """The command lines of the README's walkthrough: the `sh` block after the heading
    "## From raw text to a trained spaCy pipeline", without comments."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## From raw text to a trained spaCy pipeline")[1]
    block = section.split("```sh\n")[1].split("```")[0]
    lines = [line.split(" #")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


@pytest.fixture(scope="module")
def walkthrough(rubric_bin, tmp_path_factory):
    """Runs the README's walkthrough as written, in a directory holding the article
    and the generated documents as `.txt` files (`articles/train/`, `articles/dev/`),
    with `rubric` and `python` (this venv's) first on PATH. `spacy train` gets the
    step budget of a test on top. Returns the directory and the training log."""
    directory = tmp_path_factory.mktemp("walkthrough")
    docs = templated.documents(GENERATED, SEED)
    for name, rows in (("train", docs[DEV:]), ("dev", docs[:DEV])):
        folder = directory / "articles" / name
        folder.mkdir(parents=True)
        for row in rows:
            (folder / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")
    # The article trains too: real news next to the templates.
    (directory / "articles" / "train" / ARTICLE.name).write_bytes(ARTICLE.read_bytes())

    bin_dir = directory / "bin"
    bin_dir.mkdir()
    (bin_dir / "rubric").symlink_to(rubric_bin)
    # The venv's bin directory, not a link to its python: a venv is found from
    # where its interpreter is called.
    path = [str(bin_dir), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    env = {
        **os.environ,
        "PATH": os.pathsep.join(path),
        "PYTHONWARNINGS": "always",
    }
    log = None
    for command in walkthrough_commands():
        if " spacy train " in command:
            command += (f" --training.max_steps {MAX_STEPS}"
                        f" --training.eval_frequency {EVAL_FREQUENCY} --system.seed {SEED}")
        result = run("sh", "-c", command, cwd=directory, env=env)
        if " spacy train " in command:
            log = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert log is not None, "the README's walkthrough runs `spacy train`"
    return directory, log


@pytest.fixture(scope="module")
def data(walkthrough):
    """`{"train": {...}, "dev": {...}}`: the paths of rubric's records and DocBin."""
    directory, _ = walkthrough
    return {
        name: {"records": directory / f"{name}.jsonl", "spacy": directory / f"{name}.spacy"}
        for name in ("train", "dev")
    }


def spans_of(record):
    return [(s["start"], s["end"], s["label"]) for s in record["spans"]]


def test_the_corpus_has_entities_of_every_generated_label(data):
    for name in ("train", "dev"):
        records = read_jsonl(data[name]["records"])
        labels = {s["label"] for r in records for s in r["spans"]}
        assert set(templated.LABELS) <= labels, f"{name}: {sorted(labels)}"
    train_ids = [r["id"] for r in read_jsonl(data["train"]["records"])]
    assert train_ids[0] == ARTICLE.stem and len(train_ids) == GENERATED - DEV + 1


def test_entities_align_with_the_trainers_own_tokenizer(data, nlp):
    """spaCy's trainer warns (W030) and ignores an entity whose offsets do not fall on
    its tokens when it tokenizes the text itself (JSON training data, `spacy
    convert`). rubric's DocBin carries rubric's tokens, so check both: the DocBin's
    entities are rubric's spans exactly, and spaCy's own tokenizer cuts every span
    on its boundaries too, without a warning."""
    from spacy.tokens import DocBin
    from spacy.training import offsets_to_biluo_tags

    misaligned = []
    total = 0
    for name in ("train", "dev"):
        records = read_jsonl(data[name]["records"])
        docs = list(DocBin().from_disk(data[name]["spacy"]).get_docs(nlp.vocab))
        assert [d.user_data.get("id") for d in docs] == [r["id"] for r in records]
        for doc, record in zip(docs, records):
            assert doc.text == record["text"]
            assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == spans_of(record)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                tags = offsets_to_biluo_tags(nlp.make_doc(record["text"]), spans_of(record))
            total += len(record["spans"])
            if "-" in tags or caught:
                bad = [s["text"] for s in record["spans"]
                       if nlp.make_doc(record["text"]).char_span(s["start"], s["end"]) is None]
                misaligned.append(f"{record['id']}: {bad} {[str(w.message)[:80] for w in caught]}")
    assert total > 1000
    assert misaligned == [], "\n".join(misaligned)


@pytest.fixture(scope="module")
def trained(walkthrough):
    """The pipeline `spacy train` wrote, and its log."""
    directory, log = walkthrough
    return directory / "model", log


def test_spacy_train_runs_without_alignment_warnings(trained):
    model, log = trained
    # spaCy's warnings carry a code ("[W030] Some entities could not be aligned...");
    # none is expected, the alignment ones least of all.
    codes = re.findall(r"\[W\d{3}\]", log)
    assert codes == [], f"spacy train warned {codes}:\n{log[-4000:]}"
    assert "misaligned" not in log.lower() and "⚠" not in log, log[-4000:]
    assert "Saved pipeline to output directory" in log, log[-4000:]
    assert (model / "model-last" / "ner").is_dir()


def test_the_trained_pipeline_finds_dev_entities(data, trained):
    import spacy

    model, _ = trained
    nlp = spacy.load(model / "model-last")
    records = read_jsonl(data["dev"]["records"])
    gold = found = 0
    for record, doc in zip(records, nlp.pipe(r["text"] for r in records)):
        want = set(spans_of(record))
        got = {(e.start_char, e.end_char, e.label_) for e in doc.ents}
        gold += len(want)
        found += len(want & got)
    # A low bar (200 steps on these templates find over 90%): a model that learned
    # nothing from the data finds next to none.
    assert found >= 0.3 * gold, f"found {found} of {gold} dev entities"


def test_the_hugging_face_export_is_consistent(rubric_bin, data, tmp_path):
    """Every tag id indexes the label list, every token list has a tag list of its
    length, and the IOB2 tags give back rubric's spans, token for token."""
    out = tmp_path / "train.hf.jsonl"
    run(rubric_bin, "convert", data["train"]["records"], "--to", "hf", "-o", out)
    labels = json.loads((tmp_path / "train.hf.labels.json").read_text(encoding="utf-8"))
    assert labels[0] == "O" and len(labels) == len(set(labels))
    assert sorted(labels[1:]) == sorted(
        f"{p}-{label}" for label in {l[2:] for l in labels[1:]} for p in "BI"
    )
    rows = read_jsonl(out)
    records = read_jsonl(data["train"]["records"])
    assert [row["id"] for row in rows] == [r["id"] for r in records]
    for row, record in zip(rows, records):
        assert len(row["tokens"]) == len(row["ner_tags"]), row["id"]
        assert all(isinstance(t, int) and 0 <= t < len(labels) for t in row["ner_tags"])
        # White-space tokens are not written: the rest are rubric's tokens in order.
        tokens = [t for t in record["tokens"] if t["text"].strip()]
        assert row["tokens"] == [t["text"] for t in tokens]
        tags = [labels[t] for t in row["ner_tags"]]
        assert decode_iob2(tags, row["id"]) == [
            (index_of(tokens, s["start"]), index_of(tokens, s["end"], end=True) + 1, s["label"])
            for s in record["spans"]
        ]


def index_of(tokens, offset, end=False):
    key = "end" if end else "start"
    return next(i for i, t in enumerate(tokens) if t[key] == offset)


def decode_iob2(tags, doc_id):
    """`(first token, end token, label)` of each entity in an IOB2 tag list."""
    spans = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-"):
            spans.append([i, i + 1, tag[2:]])
        elif tag.startswith("I-"):
            assert spans and spans[-1][1] == i and spans[-1][2] == tag[2:], (doc_id, i, tags)
            spans[-1][1] = i + 1
        else:
            assert tag == "O", (doc_id, tag)
    return [tuple(s) for s in spans]
