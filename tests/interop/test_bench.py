"""Keeps bench/run.sh's harness honest, on data small enough for the suite: the
generator is deterministic and counts what it plants, and the runners of
bench/peers.py report what the tools find.

The corpus's sentences are tests/data's news paragraphs, in which no generated
entry occurs by chance, so a case-insensitive whole-word matcher must find exactly
the planted occurrences: pyahocorasick and FlashText both do. That proves the
generator's counts and the runners together; a runner that dropped or doubled
matches, or a generator that miscounted, would fail it.
"""

import json
import re
import subprocess
import sys

import pytest

from conftest import PARAGRAPHS, ROOT

GENERATE = ROOT / "bench" / "generate.py"
PEERS = ROOT / "bench" / "peers.py"


def generate(out_dir):
    subprocess.run(
        [sys.executable, str(GENERATE), str(out_dir), "--gazetteers", "1000,3000",
         "--corpora", "0.05", "--plant-from", "3000", "--news", str(PARAGRAPHS)],
        check=True, capture_output=True)
    return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bench")
    return out_dir, generate(out_dir)


def test_the_generator_gives_the_same_bytes_twice(generated, tmp_path):
    first_dir, _ = generated
    generate(tmp_path)
    names = sorted(p.name for p in first_dir.iterdir())
    assert names == ["corpus-0.05mb.jsonl", "gazetteer-1k.tsv", "gazetteer-3k.tsv", "manifest.json"]
    for name in names:
        assert (first_dir / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_the_manifest_describes_the_files(generated):
    out_dir, manifest = generated
    small = (out_dir / "gazetteer-1k.tsv").read_text(encoding="utf-8").splitlines()[1:]
    large = (out_dir / "gazetteer-3k.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(small) == 1000 and len(large) == 3000
    assert large[:1000] == small  # nested
    assert len({line.split("\t")[0].casefold() for line in large}) == 3000  # distinct

    corpus = manifest["corpora"]["0.05mb"]
    texts = [json.loads(line)["text"] for line in
             (out_dir / "corpus-0.05mb.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(texts) == corpus["documents"]
    assert sum(len(t.encode("utf-8")) for t in texts) == corpus["text_bytes"]
    planted = corpus["planted"]
    assert sum(planted["by_case"].values()) == planted["occurrences"] > 100
    assert sum(planted["by_form"].values()) == planted["occurrences"]
    assert planted["in_gazetteer"]["3k"]["occurrences"] == planted["occurrences"]
    assert 0 < planted["in_gazetteer"]["1k"]["occurrences"] < planted["occurrences"]
    joined = "\n".join(texts)
    assert "’s" in joined
    assert re.search(r"\w-(backed|based|led|owned|run)\b", joined)


@pytest.mark.parametrize("tool", ["pyahocorasick", "flashtext"])
@pytest.mark.parametrize("gazetteer", ["1k", "3k"])
def test_a_case_insensitive_matcher_finds_exactly_the_planted_occurrences(generated, tool, gazetteer):
    out_dir, manifest = generated
    done = subprocess.run(
        [sys.executable, str(PEERS), tool, str(out_dir / f"gazetteer-{gazetteer}.tsv"),
         str(out_dir / "corpus-0.05mb.jsonl")], check=True, capture_output=True, text=True)
    report = json.loads(done.stdout)
    planted = manifest["corpora"]["0.05mb"]["planted"]["in_gazetteer"][gazetteer]
    assert report["spans"] == planted["occurrences"]
    assert report["text_bytes"] == manifest["corpora"]["0.05mb"]["text_bytes"]
