"""Writes crates/lexeme/src/tables.rs: the facts rubric-lexeme needs from spaCy and Python.

    "$(scripts/python-venv)"/bin/python scripts/make_lexeme_tables.py          # rewrite it
    "$(scripts/python-venv)"/bin/python scripts/make_lexeme_tables.py --check  # exit 1 if stale

spaCy computes a lexeme's attributes with Python `str` methods (`isalpha`, `lower`, ...),
`unicodedata.category` and a few `re` patterns, all defined on the Unicode database of the
interpreter it runs in, plus word lists from its English language data. Rust's `char`
methods and `regex` classes use other definitions and another Unicode version, so instead
of trusting them, this script asks the pinned interpreter and the pinned spaCy (the
project venv, `scripts/python-venv`) about every code point and every list, and writes
the answers as Rust tables. tests/interop/test_lexeme_spacy.py runs it again and fails if
the committed file differs.
"""

import argparse
import difflib
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crates" / "lexeme" / "src" / "tables.rs"

# Bit flags per code point; crates/lexeme/src/chars.rs names them the same way.
ALPHA = 1 << 0  # str.isalpha: category L*
DIGIT = 1 << 1  # str.isdigit: Numeric_Type Digit or Decimal
DECIMAL = 1 << 2  # re's \d: Numeric_Type Decimal
SPACE = 1 << 3  # str.isspace and re's \s
UPPER = 1 << 4  # Py_UNICODE_ISUPPER (Uppercase property)
LOWER = 1 << 5  # Py_UNICODE_ISLOWER (Lowercase property)
TITLE = 1 << 6  # Py_UNICODE_ISTITLE (category Lt)
WORD = 1 << 7  # re's \w: str.isalnum or "_"
PUNCT = 1 << 8  # unicodedata.category starts with "P" (spaCy's is_punct)
CURRENCY = 1 << 9  # unicodedata.category == "Sc" (spaCy's is_currency)
CASED = 1 << 10  # cased and not case-ignorable (str.lower's final-sigma rule)
CASE_IGNORABLE = 1 << 11  # case-ignorable (str.lower's final-sigma rule)
URL_TLD = 1 << 12  # in spaCy's ALPHA_LOWER class (the TLD of its URL pattern)

MAX = 0x110000


def char_flags(alpha_lower_re):
    word, decimal, space = re.compile(r"\w"), re.compile(r"\d"), re.compile(r"\s")
    flags = []
    for cp in range(MAX):
        c = chr(cp)
        f = 0
        f |= ALPHA if c.isalpha() else 0
        f |= DIGIT if c.isdigit() else 0
        f |= DECIMAL if decimal.fullmatch(c) else 0
        if c.isspace():
            assert space.fullmatch(c), f"U+{cp:04X}: isspace but not re \\s"
            f |= SPACE
        else:
            assert not space.fullmatch(c), f"U+{cp:04X}: re \\s but not isspace"
        f |= UPPER if c.isupper() else 0
        f |= LOWER if c.islower() else 0
        # A one-character istitle() is ISTITLE or ISUPPER; Lt and Uppercase are disjoint.
        f |= TITLE if c.istitle() and not c.isupper() else 0
        f |= WORD if word.fullmatch(c) else 0
        category = unicodedata.category(c)
        f |= PUNCT if category.startswith("P") else 0
        f |= CURRENCY if category == "Sc" else 0
        # Python does not expose Cased/Case_Ignorable; its final-sigma rule shows them.
        # "1" is neither: a sigma after "1"+c is final only if c is cased and not ignorable;
        # after "A"+c it is final if c is ignorable (skipped back to the cased "A") or cased.
        after_digit = ("1" + c + "\u03a3").lower()[-1] == "\u03c2"
        after_letter = ("A" + c + "\u03a3").lower()[-1] == "\u03c2"
        f |= CASED if after_digit else 0
        f |= CASE_IGNORABLE if after_letter and not after_digit else 0
        f |= URL_TLD if alpha_lower_re.fullmatch(c) else 0
        # CPython answers a one-character islower()/isupper() from the character's own
        # flag and longer strings by the loop crate::python implements; they agree
        # only while no character is both lower and upper (or title) case.
        assert not (f & LOWER and f & (UPPER | TITLE)), f"U+{cp:04X} is lower and upper case"
        flags.append(f)
    return flags


def runs(flags):
    """(first code point, flags) for each run of code points with equal flags."""
    out = []
    for cp, f in enumerate(flags):
        if not out or out[-1][1] != f:
            out.append((cp, f))
    return out


def lower_map():
    """Every non-ASCII code point whose str.lower() is not itself."""
    out = []
    for cp in range(0x80, MAX):
        c = chr(cp)
        if 0xD800 <= cp < 0xE000:
            continue
        low = c.lower()
        if low != c:
            out.append((cp, low))
    return out


def rust_str(s):
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif 0x20 <= ord(c) < 0x7F:
            out.append(c)
        else:
            out.append(f"\\u{{{ord(c):x}}}")
    return '"' + "".join(out) + '"'


def tuple_consts(function):
    """The tuple literals in a spaCy function (its bracket and quote lists)."""
    return [c for c in function.__code__.co_consts if isinstance(c, tuple)]


def spacy_facts():
    import spacy
    from spacy.lang import lex_attrs as base
    from spacy.lang.en import lex_attrs as en
    from spacy.lang.tokenizer_exceptions import URL_PATTERN
    from spacy.lang.char_classes import ALPHA_LOWER
    from spacy.lang.norm_exceptions import BASE_NORMS
    from spacy.attrs import NORM, ORTH

    nlp = spacy.blank("en")
    facts = {"version": spacy.__version__}
    facts["stop_words"] = sorted(nlp.Defaults.stop_words)
    facts["num_words"] = sorted(en._num_words)
    facts["ordinal_words"] = sorted(en._ordinal_words)
    facts["tlds"] = sorted(base._tlds)
    (facts["brackets"],) = tuple_consts(base.is_bracket)
    (facts["quotes"],) = tuple_consts(base.is_quote)
    (facts["left_punct"],) = tuple_consts(base.is_left_punct)
    (facts["right_punct"],) = tuple_consts(base.is_right_punct)
    facts["url_pattern"] = URL_PATTERN
    facts["alpha_lower"] = re.compile("[" + ALPHA_LOWER + "]")

    # NORM. spacy.blank("en") puts no lexeme_norm table in its vocab's lookups, not even
    # after nlp.initialize() (its config names no [initialize.lookups]; a pipeline's
    # config may load spacy-lookups-data's), so a lexeme's NORM is BASE_NORMS, else
    # lower. The tokenizer's special cases set a token's NORM on top.
    assert not nlp.vocab.lookups.has_table("lexeme_norm"), "blank('en') now loads lexeme_norm"
    initialized = spacy.blank("en")
    initialized.initialize()
    assert not initialized.vocab.lookups.has_table("lexeme_norm"), "initialize() now loads lexeme_norm"
    norms = dict(BASE_NORMS)
    exceptions = []
    for key, pieces in nlp.Defaults.tokenizer_exceptions.items():
        assert set().union(*pieces) <= {ORTH, NORM}, f"{key!r}: attributes other than ORTH/NORM"
        assert "".join(p[ORTH] for p in pieces) == key, f"{key!r}: pieces do not spell it"
        exceptions.append((key, [(p[ORTH], p.get(NORM)) for p in pieces]))
    facts["base_norms"] = sorted(norms.items())
    facts["exceptions"] = sorted(exceptions)
    return facts


def render():
    facts = spacy_facts()
    flags = char_flags(facts["alpha_lower"])
    flag_runs = runs(flags)
    lines = [
        "// @generated by scripts/make_lexeme_tables.py from the pinned spaCy "
        f"{facts['version']} and Python {sys.version.split()[0]}",
        f"// (Unicode {unicodedata.unidata_version}). Do not edit: run scripts/make_lexeme_tables.py.",
        "",
        "use crate::ExceptionPiece as P;",
        "",
        "/// The Unicode version of the Python that spaCy runs in.",
        f'pub(crate) const UNICODE_VERSION: &str = "{unicodedata.unidata_version}";',
        "/// The spaCy version these tables come from.",
        f"pub(crate) const SPACY_VERSION: &str = {rust_str(facts['version'])};",
        "",
        "/// Flags of every ASCII character (index = code point).",
        "pub(crate) static ASCII_FLAGS: [u16; 128] = [",
    ]
    for start in range(0, 128, 8):
        lines.append("    " + " ".join(f"0x{f:04x}," for f in flags[start : start + 8]))
    lines += [
        "];",
        "",
        "/// (first code point, flags) of each run of code points with equal flags, sorted.",
        "pub(crate) static FLAG_RUNS: &[(u32, u16)] = &[",
    ]
    for cp, f in flag_runs:
        lines.append(f"    (0x{cp:x}, 0x{f:04x}),")
    lines += [
        "];",
        "",
        "/// str.lower() of every non-ASCII code point it changes, sorted by code point.",
        "pub(crate) static LOWER_MAP: &[(u32, &str)] = &[",
    ]
    for cp, low in lower_map():
        lines.append(f"    (0x{cp:x}, {rust_str(low)}),")
    lines += ["];", ""]

    def str_list(name, doc, items):
        lines.append(f"/// {doc}")
        lines.append(f"pub(crate) static {name}: &[&str] = &[")
        for item in sorted(items):
            lines.append(f"    {rust_str(item)},")
        lines.append("];")
        lines.append("")

    str_list("STOP_WORDS", "English STOP_WORDS (spacy.blank(\"en\").Defaults.stop_words), sorted.", facts["stop_words"])
    str_list("NUM_WORDS", "English number words (spacy.lang.en.lex_attrs._num_words), sorted.", facts["num_words"])
    str_list("ORDINAL_WORDS", "English ordinal words (spacy.lang.en.lex_attrs._ordinal_words), sorted.", facts["ordinal_words"])
    str_list("TLDS", "like_url's top-level domains (spacy.lang.lex_attrs._tlds), sorted.", facts["tlds"])
    str_list("BRACKETS", "is_bracket's strings, sorted.", facts["brackets"])
    str_list("QUOTES", "is_quote's strings, sorted.", facts["quotes"])
    str_list("LEFT_PUNCT", "is_left_punct's strings, sorted.", facts["left_punct"])
    str_list("RIGHT_PUNCT", "is_right_punct's strings, sorted.", facts["right_punct"])

    lines.append("/// BASE_NORMS (spacy.lang.norm_exceptions): a lexeme's NORM before lower(), sorted.")
    lines.append("pub(crate) static BASE_NORMS: &[(&str, &str)] = &[")
    for orth, norm in facts["base_norms"]:
        lines.append(f"    ({rust_str(orth)}, {rust_str(norm)}),")
    lines += ["];", ""]

    lines.append("/// English tokenizer exceptions (spacy.blank(\"en\").Defaults.tokenizer_exceptions):")
    lines.append("/// the string, then each token's ORTH and the NORM the exception sets, sorted.")
    lines.append("pub(crate) static EXCEPTIONS: &[(&str, &[P])] = &[")
    for key, pieces in facts["exceptions"]:
        rendered = ", ".join(
            f"P {{ orth: {rust_str(o)}, norm: {'None' if n is None else 'Some(' + rust_str(n) + ')'} }}"
            for o, n in pieces
        )
        lines.append(f"    ({rust_str(key)}, &[{rendered}]),")
    lines += ["];", ""]

    lines.append("/// spaCy's URL_PATTERN, which crate::url implements; kept here so a change shows.")
    lines.append("#[allow(dead_code)]")
    lines.append(f"pub(crate) const SPACY_URL_PATTERN: &str = {rust_str(facts['url_pattern'])};")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default: %(default)s)")
    args = parser.parse_args()
    text = render()
    if args.check:
        old = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if old != text:
            sys.stdout.writelines(
                list(difflib.unified_diff(old.splitlines(True), text.splitlines(True), "committed", "generated"))[:80]
            )
            print(f"{OUT.relative_to(ROOT)} is stale: run scripts/make_lexeme_tables.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
