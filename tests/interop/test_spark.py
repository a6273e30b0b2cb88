"""examples/spark/annotate.py on a local Spark gives what one `rubric annotate` gives.

~20,000 generated documents (tests/interop/templated.py, fixed seed; some with
names only a gazetteer of the test's own knows, shipped to the executors compiled)
go through the example job with `spark-submit --master local[2]` over several
partitions, and through a single `rubric annotate` process. The records must be the
same, document for document, byte for byte, none missing and none twice. A corpus
with one broken line must fail the job with rubric's message and no `_SUCCESS`.

Needs Java 17 or later (JAVA_HOME, or `java` on PATH) and PySpark from the pinned venv.
"""

import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT
import templated

JOB = ROOT / "examples" / "spark" / "annotate.py"
DOCUMENTS = 20_000
PARTITIONS = 8
SEED = 20
# Made-up company names, under a label the default gazetteer does not have, so a span
# with it can only come from the gazetteer the job ships.
EXTRA = ["Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys", "Wingtip Labs"]
EXTRA_LABEL = "COMPANY"


@pytest.fixture(scope="module")
def java_home():
    configured = os.environ.get("JAVA_HOME")
    if configured and (Path(configured) / "bin" / "java").is_file():
        return configured
    java = shutil.which("java")
    if java is None:
        pytest.fail(
            "Spark needs Java 17 or later: set JAVA_HOME or put `java` on PATH "
            "(Debian: apt-get install openjdk-17-jre-headless)",
            pytrace=False,
        )
    # /usr/bin/java is a chain of links to <JAVA_HOME>/bin/java.
    return str(Path(java).resolve().parents[1])


def spark_submit(java_home, *args):
    """Runs the example job as a user would, on a local Spark with two cores."""
    command = [
        str(Path(sys.executable).parent / "spark-submit"),
        "--master", "local[2]",
        "--conf", "spark.ui.enabled=false",
        str(JOB), *map(str, args),
    ]
    env = {
        **os.environ,
        "JAVA_HOME": java_home,
        # Executors run the venv's Python, the one that has PySpark's pinned version.
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    return subprocess.run(command, capture_output=True, env=env, timeout=600)


def output_of(result):
    # spark-submit runs the job's Python with its standard error sent to standard
    # output, and logs Spark's own lines to standard error.
    return (result.stdout + result.stderr).decode("utf-8", "replace")


def run(*command):
    command = [str(part) for part in command]
    result = subprocess.run(command, capture_output=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {result.returncode}:\n"
            f"{result.stderr.decode('utf-8', 'replace')}",
            pytrace=False,
        )
    return result


def corpus():
    docs = templated.documents(DOCUMENTS, SEED, prefix="spark")
    rng = random.Random(SEED)
    for doc in docs:
        if rng.random() < 0.3:
            doc["text"] += f" {rng.choice(EXTRA)} reported record sales in the quarter."
    return docs


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, rubric_bin):
    """The corpus as JSON Lines (raw UTF-8, as users' files are) and the compiled
    gazetteer of the test's own names."""
    directory = tmp_path_factory.mktemp("spark")
    with open(directory / "docs.jsonl", "w", encoding="utf-8") as f:
        for doc in corpus():
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    tsv = directory / "companies.tsv"
    tsv.write_text("".join(f"{name}\t{EXTRA_LABEL}\n" for name in EXTRA), encoding="utf-8")
    run(rubric_bin, "gazetteer", "compile", tsv, "-o", directory / "companies.rgz")
    return directory


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def ids_of(lines):
    return [json.loads(line)["id"] for line in lines]


def test_spark_output_equals_single_process_output(rubric_bin, java_home, workdir):
    docs = workdir / "docs.jsonl"
    gazetteer = workdir / "companies.rgz"
    single = workdir / "single.jsonl"
    run(rubric_bin, "annotate", docs, "-g", gazetteer, "--quiet", "-o", single)
    expected = read_lines(single)

    out = workdir / "out"
    result = spark_submit(
        java_home, docs, out, "--rubric", rubric_bin, "-g", gazetteer,
        "--partitions", PARTITIONS,
    )
    log = output_of(result)
    assert result.returncode == 0, log[-6000:]
    assert (out / "_SUCCESS").is_file()
    parts = sorted(out.glob("part-*"))
    assert len(parts) >= PARTITIONS, "the corpus was split into several partitions"
    sizes = [len(read_lines(part)) for part in parts]
    assert sum(size > 0 for size in sizes) >= PARTITIONS, sizes

    got = [line for part in parts for line in read_lines(part)]
    want_ids = [doc["id"] for doc in map(json.loads, read_lines(docs))]
    counts = Counter(ids_of(got))
    assert [i for i, n in counts.items() if n > 1] == [], "documents written twice"
    assert sorted(set(want_ids) - set(counts)) == [], "documents missing"
    assert len(got) == len(expected) == DOCUMENTS

    by_id = dict(zip(ids_of(expected), expected))
    differ = [i for i, line in zip(ids_of(got), got) if by_id[i] != line]
    assert differ == [], f"{len(differ)} records differ from single-process rubric, e.g. {differ[:5]}"
    # Partitions are consecutive pieces of the input, written in order.
    assert got == expected

    labels = Counter(s["label"] for line in got for s in json.loads(line)["spans"])
    assert labels[EXTRA_LABEL] > 1000, f"the shipped gazetteer matched: {labels}"
    assert all(labels[label] > 1000 for label in templated.LABELS), labels


def test_a_broken_line_fails_the_job_with_rubrics_message(rubric_bin, java_home, workdir):
    docs = workdir / "broken.jsonl"
    lines = read_lines(workdir / "docs.jsonl")[:2000]
    lines[1234] = lines[1234][:-1]  # the closing brace
    docs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = workdir / "broken-out"
    # One partition: rubric's line number is then the corpus's.
    result = spark_submit(java_home, docs, out, "--rubric", rubric_bin, "--partitions", 1)
    log = output_of(result)
    assert result.returncode != 0, log[-4000:]
    # Spark logs the whole trace (and, under spark-submit, its shutdown after it);
    # the job's own last word is one line with rubric's message.
    said = [line for line in log.splitlines() if line.startswith("annotate.py: the job failed")]
    assert len(said) == 1, log[-6000:]
    assert "nothing was written" in said[0] and "exited with 2" in said[0], said[0]
    assert "<stdin>:1235:" in said[0] and "malformed JSON" in said[0], said[0]
    assert not out.exists(), sorted(out.rglob("*"))
