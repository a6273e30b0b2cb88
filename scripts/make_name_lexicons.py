#!/usr/bin/env python3
"""Builds the generated word lists of the default name rules from pinned open data.

    scripts/make-name-lexicons            # rewrite the generated files
    scripts/make-name-lexicons --check    # regenerate to memory, exit 1 if a file is stale

Writes, under corpus/gazetteer/lexicons/:
- first_names.txt: given names in Latin script from every Faker locale (Faker's
  person providers), lower-cased, that are not also common English words; a word
  from the hand-written title, organization, place or calendar lists is never a
  given name.
- first_names_common_words.txt: the given names that are also common English
  words (`will`, `mark`, `hope`, `grant`): spaCy's English unigram probabilities
  (spacy-lookups-data `en_lexeme_prob`) say the lower-case word is more frequent
  than the capitalized one. The rules use them only where a capital cannot come
  from the start of a sentence.
- first_names_places.txt: the given names that are also one-word places,
  nationalities or facilities of the default gazetteer (`florence`, `jordan`,
  `london`): the rules take them for a given name only before a known surname.
- surnames.txt: surnames in Latin script from every Faker locale, lower-cased.
- english_words.txt: lower-case English words more frequent than about one in a
  million words (spaCy's `en_lexeme_prob` above -14): a capitalized word that is
  one of them (`Zoo`, `Threat`) is not taken for an unknown surname.
- not_name_words.txt: the union of the hand-written lists (titles, organization
  heads, place heads, calendar words), the words a rule never takes for part of a
  person's name.

The output is a pure function of the pinned packages (checked: another version is an
error) and of the hand-written lists beside the generated ones.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEXICONS = ROOT / "corpus" / "gazetteer" / "lexicons"
PINS = {"Faker": "40.54.0", "spacy-lookups-data": "1.0.5"}
HAND_WRITTEN = [
    "person_titles.txt", "org_heads.txt", "fac_heads.txt", "loc_heads.txt", "calendar_words.txt",
    "name_modifiers.txt", "institution_words.txt",
]
DEFAULT_GAZETTEER = ROOT / "corpus" / "gazetteer" / "default.tsv"
# Labels of the default gazetteer whose one-word names, when also a given name, need a
# known surname after them (`Florence Pugh`, not `London Zoo`).
PLACE_LABELS = {"GPE", "LOC", "NORP", "FAC"}
# A Latin-script name: a capital, then letters, apostrophes or hyphens.
LATIN_NAME = re.compile(r"[A-Z][A-Za-z\u00c0-\u024f'-]+")
# A lower-case word counts as common English when spaCy's unigram log-probability of
# its lower-case form is above this (about one in three million words) and above
# that of its capitalized form.
COMMON_WORD_LOG_PROB = -15.0
# english_words.txt: lower-case words above this log-probability (about 19,500 words).
ENGLISH_WORD_LOG_PROB = -14.0
ENGLISH_WORD = re.compile(r"[a-z][a-z'-]*")


def check_pins() -> None:
    for package, version in PINS.items():
        have = importlib.metadata.version(package)
        if have != version:
            sys.exit(f"make_name_lexicons: {package} {have} installed, {version} pinned")


def read_list(name: str) -> set[str]:
    words = set()
    for line in (LEXICONS / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line)
    return words


def default_place_words() -> set[str]:
    """One-word place, nationality and facility names of the default gazetteer."""
    words = set()
    for line in DEFAULT_GAZETTEER.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        pattern, label = line.split("\t")[:2]
        if label in PLACE_LABELS and " " not in pattern:
            words.add(pattern.lower())
    return words


def faker_surnames() -> set[str]:
    import faker.providers.person as person

    names = set()
    for module in sorted(m.name for m in pkgutil.iter_modules(person.__path__)):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module}"), "Provider", None)
        value = vars(provider).get("last_names") if provider else None
        if isinstance(value, (tuple, list, dict)):
            names.update(n.lower() for n in value if isinstance(n, str) and LATIN_NAME.fullmatch(n))
    return names


def faker_first_names() -> set[str]:
    import faker.providers.person as person

    names = set()
    for module in sorted(m.name for m in pkgutil.iter_modules(person.__path__)):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module}"), "Provider", None)
        for attr in ("first_names", "first_names_male", "first_names_female",
                     "first_names_nonbinary"):
            value = vars(provider).get(attr) if provider else None
            if isinstance(value, (tuple, list, dict)):
                names.update(n for n in value if isinstance(n, str) and LATIN_NAME.fullmatch(n))
    return names


def build() -> dict[str, str]:
    check_pins()
    import gzip
    import json

    import spacy_lookups_data

    table = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(table, "rt", encoding="utf-8") as f:
        prob = json.load(f)
    english = sorted(w for w, p in prob.items() if p > ENGLISH_WORD_LOG_PROB and ENGLISH_WORD.fullmatch(w))
    oov = -30.0
    never = set()
    for name in HAND_WRITTEN:
        never |= read_list(name)
    places = default_place_words()
    first, common, place_names = set(), set(), set()
    for name in faker_first_names():
        lower = name.lower()
        if lower in never or lower.rstrip(".") in never or len(lower) < 2:
            continue
        lower_prob = prob.get(lower, oov)
        if lower_prob > COMMON_WORD_LOG_PROB and lower_prob > prob.get(name, oov):
            common.add(lower)
        elif lower in places:
            place_names.add(lower)
        else:
            first.add(lower)
    surnames = {s for s in faker_surnames() if s not in never and len(s) > 1}
    versions = ", ".join(f"{p} {v}" for p, v in PINS.items())
    head = "# Generated by scripts/make_name_lexicons.py from {}; do not edit.\n"
    return {
        "first_names.txt": head.format(versions) + "".join(f"{w}\n" for w in sorted(first)),
        "first_names_common_words.txt":
            head.format(versions) + "".join(f"{w}\n" for w in sorted(common)),
        "first_names_places.txt":
            head.format(versions) + "".join(f"{w}\n" for w in sorted(place_names)),
        "surnames.txt": head.format(versions) + "".join(f"{w}\n" for w in sorted(surnames)),
        "english_words.txt": head.format(versions) + "".join(f"{w}\n" for w in english),
        "not_name_words.txt": head.format(", ".join(HAND_WRITTEN))
            + "".join(f"{w}\n" for w in sorted(never)),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for name, content in build().items():
        path = LEXICONS / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(name)
        else:
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}: {content.count(chr(10)) - 1} words")
    if stale:
        print("stale: " + ", ".join(stale) + " (run scripts/make-name-lexicons)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
