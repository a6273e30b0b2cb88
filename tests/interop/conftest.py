"""Shared fixtures of the interop suite: the rubric binary, the texts, and the report.

Run through scripts/interop, which builds the binary and passes its path in
$RUBRIC_BIN. Without it every test fails: a suite that silently tests nothing, or
tests a stale binary found somewhere, is worse than one that stops.
"""

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "corpus" / "article.txt"
PARAGRAPHS = ROOT / "tests" / "data" / "news-paragraphs.jsonl"
DIFF_FILE = ROOT / "target" / "interop" / "tokenizer-diff.txt"
# The development set lives beside the repository (shared/ next to its checkout).
NEWS_DEV_DEFAULT = ROOT.parent / "shared" / "news" / "dev.jsonl"

# Two named rules and an unnamed token pattern (not a rule: it always runs), for
# the `rules` options of the Annotator and the spaCy component.
RULES_JSONL = (
    '{"name": "person:title", "label": "PERSON", "pattern": '
    '[{"LOWER": "president", "IN_SPAN": false}, {"IS_TITLE": true}]}\n'
    '{"name": "org:agency", "label": "ORG", "pattern": '
    '[{"IS_TITLE": true, "OP": "+"}, {"LOWER": "agency"}]}\n'
    '{"label": "GPE", "pattern": [{"LOWER": "erbil"}]}\n'
)


@dataclass
class Document:
    id: str
    text: str


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [Document(r["id"], r["text"]) for r in records]


def article():
    # Bytes, then UTF-8, with nothing stripped: rubric reads the file verbatim, and
    # offsets only agree if both sides see the same text.
    return Document(ARTICLE.stem, ARTICLE.read_bytes().decode("utf-8"))


def news_dev_path():
    """The news development set, if this machine has it (CI may not)."""
    configured = os.environ.get("RUBRIC_NEWS_DEV")
    path = Path(configured) if configured else NEWS_DEV_DEFAULT
    return path if path.is_file() else None


def run_rubric(binary, inputs, documents, offsets="char", tokenizer="news"):
    """Runs `rubric tokenize --tokenizer TOKENIZER` on `inputs`, which must hold exactly
    `documents`, in order.

    Fails the test, with rubric's stderr, on a non-zero exit, on output that is not
    one JSON record per document, or on records for other documents.
    """
    command = [
        str(binary), "tokenize", "--offsets", offsets, "--tokenizer", tokenizer, *map(str, inputs)
    ]
    result = subprocess.run(command, capture_output=True, timeout=600)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {result.returncode}:\n{stderr}", pytrace=False
        )
    try:
        records = [json.loads(line) for line in result.stdout.decode("utf-8").split("\n")[:-1]]
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        pytest.fail(
            f"{' '.join(command)} wrote output that is not JSON Lines: {err}", pytrace=False
        )
    got = [r.get("id") for r in records]
    want = [d.id for d in documents]
    if got != want:
        pytest.fail(
            f"{' '.join(command)}: records for {got}, expected {want}\n{stderr}", pytrace=False
        )
    for record in records:
        if record.get("offsets") != offsets:
            pytest.fail(
                f"record {record['id']} has offsets {record.get('offsets')!r}", pytrace=False
            )
    return records


@dataclass
class Section:
    """One comparison, for the terminal summary and the diff file."""

    title: str
    matched: int
    total: int
    differences: list = field(default_factory=list)

    @property
    def share(self):
        return self.matched / self.total if self.total else 1.0

    def figure(self):
        return (
            f"{self.title}: {self.share:.3%} of spaCy's tokens found in rubric's "
            f"({self.matched}/{self.total}), {len(self.differences)} difference(s)"
        )


class Report:
    def __init__(self):
        self.sections = []


_REPORT = pytest.StashKey[Report]()


@pytest.fixture(scope="session")
def rubric_bin():
    binary = os.environ.get("RUBRIC_BIN")
    if not binary:
        pytest.fail("RUBRIC_BIN is not set: run the suite with scripts/interop", pytrace=False)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"RUBRIC_BIN={binary} is not an executable file", pytrace=False)
    return Path(binary)


@pytest.fixture(scope="session")
def nlp():
    import spacy

    return spacy.blank("en")


@pytest.fixture(scope="session")
def report(pytestconfig):
    """Collects the comparisons; at the end writes them to DIFF_FILE."""
    collected = Report()
    pytestconfig.stash[_REPORT] = collected
    yield collected
    DIFF_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(DIFF_FILE, "w", encoding="utf-8") as f:
        f.write("rubric tokenize --offsets char vs spacy.blank('en'): where they differ\n")
        f.write("(see tests/interop/test_tokenizer_spacy.py)\n\n")
        for section in collected.sections:
            f.write(f"== {section.figure()}\n\n")
            for difference in section.differences:
                f.write(difference + "\n\n")


def pytest_terminal_summary(terminalreporter, config):
    collected = config.stash.get(_REPORT, None)
    if collected is None or not collected.sections:
        return
    terminalreporter.section("tokenizer agreement with spaCy")
    for section in collected.sections:
        terminalreporter.write_line(section.figure())
    terminalreporter.write_line(f"every difference: {DIFF_FILE.relative_to(ROOT)}")
