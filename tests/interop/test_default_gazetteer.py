"""The default gazetteer, corpus/gazetteer/default.tsv, against the script that makes it.

The committed file must be exactly what scripts/make_default_gazetteer.py writes from the
pinned packages (this venv) and the hand-written files under corpus/gazetteer/; if not,
run scripts/make-default-gazetteer and commit the result. The other tests check the
file's shape (what rubric-gazetteer loads) and the false-positive rules on a few names
whose fate the README promises.
"""

import importlib.util
import subprocess
import sys
import unicodedata

import pytest

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "make_default_gazetteer.py"
DEFAULT = ROOT / "corpus" / "gazetteer" / "default.tsv"
LABELS = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "EVENT", "PRODUCT", "LAW",
          "WORK_OF_ART", "LANGUAGE"}
MIN_ENTRIES, MAX_ENTRIES = 40_000, 300_000
MAX_BYTES = 20 * 1024 * 1024


def load_script():
    name = "make_default_gazetteer"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def entries():
    """(line number, pattern, label, id, priority) for every entry line."""
    rows = []
    with open(DEFAULT, encoding="utf-8", newline="") as f:
        for number, line in enumerate(f, 1):
            if line.startswith("#"):
                continue
            assert line.endswith("\n"), f"default.tsv:{number}: no final newline"
            fields = line[:-1].split("\t")
            assert len(fields) == 4, f"default.tsv:{number}: {len(fields)} fields: {line!r}"
            rows.append((number, *fields))
    return rows


@pytest.fixture(scope="module")
def by_pattern(entries):
    table = {}
    for _, pattern, label, id_, priority in entries:
        table.setdefault(pattern, {})[label] = (id_, int(priority))
    return table


def test_committed_file_is_what_the_script_writes(tmp_path):
    fresh = tmp_path / "default.tsv"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(fresh)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    if fresh.read_bytes() != DEFAULT.read_bytes():
        ours = DEFAULT.read_text(encoding="utf-8").splitlines()
        theirs = fresh.read_text(encoding="utf-8").splitlines()
        gone = sorted(set(ours) - set(theirs))[:10]
        new = sorted(set(theirs) - set(ours))[:10]
        pytest.fail(
            "corpus/gazetteer/default.tsv is stale: run scripts/make-default-gazetteer and "
            f"commit it.\nonly in the committed file: {gone}\nonly in the regenerated: {new}",
            pytrace=False,
        )


def test_header_names_the_script_and_the_pinned_sources():
    header = [line for line in DEFAULT.read_text(encoding="utf-8").splitlines()
              if line.startswith("#")]
    text = "\n".join(header)
    assert "scripts/make-default-gazetteer" in text
    for package, version in load_script().PINS.items():
        assert f"{package} {version}" in text, f"header does not name {package} {version}"


def test_every_line_is_a_valid_entry(entries):
    for number, pattern, label, id_, priority in entries:
        where = f"default.tsv:{number}"
        assert pattern.strip() == pattern and pattern, f"{where}: empty or padded pattern"
        assert "  " not in pattern, f"{where}: whitespace run in {pattern!r}"
        assert any(unicodedata.category(c)[0] in "LN" for c in pattern), \
            f"{where}: {pattern!r} has no letter or digit"
        assert unicodedata.normalize("NFC", pattern) == pattern, f"{where}: not NFC"
        assert label in LABELS, f"{where}: unknown label {label!r}"
        assert id_ and ":" in id_, f"{where}: id {id_!r} is not namespace:value"
        assert priority.lstrip("-").isdigit(), f"{where}: priority {priority!r}"


def test_sorted_and_one_line_per_pattern_and_label(entries):
    keys = [(pattern, label) for _, pattern, label, _, _ in entries]
    assert keys == sorted(keys), "entries are not sorted by (pattern, label)"
    assert len(keys) == len(set(keys)), "a (pattern, label) pair is listed twice"


def test_size_is_within_bounds(entries):
    assert MIN_ENTRIES <= len(entries) <= MAX_ENTRIES, len(entries)
    assert DEFAULT.stat().st_size <= MAX_BYTES


def test_every_label_of_the_brief_is_well_stocked(entries):
    counts = {}
    for _, _, label, _, _ in entries:
        counts[label] = counts.get(label, 0) + 1
    for label, least in [("GPE", 30_000), ("LOC", 100), ("FAC", 1_000), ("NORP", 500),
                         ("ORG", 500), ("PERSON", 700)]:
        assert counts.get(label, 0) >= least, f"{label}: {counts.get(label, 0)} < {least}"


@pytest.mark.parametrize("pattern, label, id_", [
    ("Iran", "GPE", "iso3166:IR"),                    # country, ISO 3166 id
    ("US", "GPE", "iso3166:US"),                      # curated short name shares the id
    ("Islamic Republic of Iran", "GPE", "iso3166:IR"),  # ISO official name
    ("Washington", "GPE", "geonames:4140963"),        # the capital, not the state
    ("Georgia", "GPE", "iso3166:GE"),                 # the country beats the US state
    ("Baghdad", "GPE", "geonames:98182"),             # the city beats the governorate
    ("Fallujah", "GPE", None),                        # GeoNames' "Al Fallujah", no article
    ("Baghdad International Airport", "FAC", "icao:ORBI"),
    ("Middle East", "LOC", "loc:middle-east"),
    ("Iraqis", "NORP", "demonym:IQ"),                 # plural made from the demonym
    ("Shiite", "NORP", "norp:shia"),
    ("IRGC", "ORG", "org:islamic-revolutionary-guard-corps"),
    ("U.N. Security Council", "ORG", "org:un-security-council"),  # made from "UN ..."
    ("Hassan Nasrallah", "PERSON", "person:hassan-nasrallah"),
])
def test_kept(by_pattern, pattern, label, id_):
    assert label in by_pattern.get(pattern, {}), f"{pattern!r} {label} missing"
    if id_:
        assert by_pattern[pattern][label][0] == id_


@pytest.mark.parametrize("pattern, why", [
    ("Nice", "lower-case form is a common word (city in France)"),
    ("Reading", "common word (town in England)"),
    ("Mobile", "common word (city in Alabama)"),
    ("May", "common word"),
    ("Obama", "surname of a curated person (town in Japan)"),
    ("Hassan", "given name of curated people (city in India)"),
    ("Espinosa", "Faker surname, small place"),
    ("Palin", "small place whose name is frequent in English (Palín, Guatemala)"),
    ("Batman", "deny-list"),
])
def test_dropped(by_pattern, pattern, why):
    assert pattern not in by_pattern, f"{pattern!r} should be dropped: {why}"


@pytest.mark.parametrize("line, message", [
    ("Hamas\tORG", None),
    ("Hamas | Islamic Resistance Movement\tORG\torg:hamas\t20", None),
    ("Hamas", "want names<TAB>label"),
    ("Hamas\tORG\tid\t1\textra", "want names<TAB>label"),
    ("Hamas\tGROUP", "unknown label"),
    ("Hamas | \tORG", "empty name"),
    ("Hamas\tORG\torg:hamas\thigh", "is not an integer"),
])
def test_curated_reader(tmp_path, line, message):
    path = tmp_path / "curated.tsv"
    path.write_text("# comment\n\n" + line + "\n", encoding="utf-8")
    module = load_script()
    if message is None:
        rows = module.read_curated(path)
        assert rows and all(row[1] == "ORG" and row[2] == "org:hamas" for row in rows)
    else:
        with pytest.raises(ValueError, match=message) as error:
            module.read_curated(path)
        assert f"{path}:3:" in str(error.value), "error must name file:line"
