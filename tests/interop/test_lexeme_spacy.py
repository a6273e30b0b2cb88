"""rubric-lexeme's lexical attributes against spaCy's, attribute by attribute.

crates/lexeme claims to compute each lexical attribute (LOWER, NORM, SHAPE, PREFIX,
SUFFIX, LENGTH, IS_*, LIKE_*) exactly as spacy.blank("en") does. Here:

- its generated tables are what scripts/make_lexeme_tables.py writes from this venv;
- every case line of crates/lexeme/src/tests.rs is what spaCy says;
- every attribute agrees with spaCy's for every token spaCy makes of corpus/article.txt,
  tests/data/news-paragraphs.jsonl and the news development set (when present), and for
  a few thousand seeded random strings built to hit the edges (other scripts' digits,
  superscripts, title-case letters, final sigmas, every space, currency sign and
  punctuation category, URLs, IP addresses, e-mail addresses, number words);
- every tokenizer exception splits into the tokens and NORMs spaCy gives it.

The crate's example `lexeme_json` prints our attributes; 100 % agreement is required.
"""

import json
import random
import re
import subprocess
import sys
import unicodedata

import pytest

from conftest import ARTICLE, PARAGRAPHS, ROOT, article, news_dev_path, read_jsonl

SCRIPT = ROOT / "scripts" / "make_lexeme_tables.py"
TABLES = ROOT / "crates" / "lexeme" / "src" / "tables.rs"
UNIT_TESTS = ROOT / "crates" / "lexeme" / "src" / "tests.rs"

STRING_ATTRS = ["lower_", "norm_", "shape_", "prefix_", "suffix_"]
FLAG_ATTRS = [
    "is_alpha", "is_ascii", "is_digit", "is_lower", "is_upper", "is_title", "is_punct",
    "is_space", "is_stop", "is_bracket", "is_quote", "is_left_punct", "is_right_punct",
    "is_currency", "like_num", "like_url", "like_email",
]
SHOWN = 40  # differences printed on failure


@pytest.fixture(scope="module")
def lexeme_json():
    """The example binary, built for this test (debug, as the rest of the suite)."""
    subprocess.run(
        ["cargo", "build", "--quiet", "--locked", "-p", "rubric-lexeme", "--example", "lexeme_json"],
        cwd=ROOT, check=True, timeout=1200,
    )
    return ROOT / "target" / "debug" / "examples" / "lexeme_json"


def ours(binary, texts):
    """Our attributes of each text, in order."""
    stdin = "".join(json.dumps(t) + "\n" for t in texts)
    result = subprocess.run(
        [str(binary)], input=stdin.encode("utf-8"), capture_output=True, timeout=600
    )
    if result.returncode != 0:
        pytest.fail(f"lexeme_json failed: {result.stderr.decode('utf-8', 'replace')}", pytrace=False)
    # Not splitlines(): it also splits at U+2028, U+0085 and the like inside strings.
    rows = [json.loads(line) for line in result.stdout.decode("utf-8").split("\n")[:-1]]
    assert len(rows) == len(texts)
    return rows


def theirs(nlp, text):
    """spaCy's attributes of the lexeme `text` (what every token with this text has,
    but for a NORM set by a tokenizer exception)."""
    lexeme = nlp.vocab[text]
    row = {name: getattr(lexeme, name) for name in STRING_ATTRS + FLAG_ATTRS}
    row["length"] = len(text)
    return row


def compare(nlp, binary, texts):
    """Every difference between spaCy and us on `texts`, as readable lines."""
    texts = list(dict.fromkeys(texts))
    differences = []
    for text, got in zip(texts, ours(binary, texts)):
        want = theirs(nlp, text)
        for name, value in want.items():
            if got[name] != value:
                differences.append(f"{name}({text!r}): spaCy {value!r}, rubric {got[name]!r}")
    return texts, differences


def fail_on(differences, what):
    if differences:
        shown = "\n".join(differences[:SHOWN])
        pytest.fail(f"{len(differences)} difference(s) on {what}:\n{shown}", pytrace=False)


def test_committed_tables_are_what_the_script_writes(tmp_path):
    out = tmp_path / "tables.rs"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, timeout=600)
    assert out.read_text(encoding="utf-8") == TABLES.read_text(encoding="utf-8"), (
        "crates/lexeme/src/tables.rs is stale: run scripts/make_lexeme_tables.py in the venv"
    )


def unit_test_cases():
    """(line, function, text, expected) of each `"text" => expected,` line of tests.rs."""
    def unrust(s):
        s = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m.group(1), 16)), s)
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)

    cases, function = [], None
    for number, line in enumerate(UNIT_TESTS.read_text(encoding="utf-8").splitlines(), 1):
        header = re.match(r"^(?:strings|flags)!\(\w+, (\w+):$", line)
        if header:
            function = header.group(1)
        elif line.startswith(");"):
            function = None
        elif function:
            case = re.match(r'^\s+"((?:[^"\\]|\\.)*)" => (true|false|"((?:[^"\\]|\\.)*)"),$', line)
            assert case, f"tests.rs:{number}: not a case line: {line!r}"
            expected = {"true": True, "false": False}.get(case.group(2))
            if expected is None:
                expected = unrust(case.group(3))
            cases.append((number, function, unrust(case.group(1)), expected))
    return cases


def test_unit_test_expectations_are_spacys(nlp):
    cases = unit_test_cases()
    assert len(cases) > 200, "the case lines of tests.rs were not found"
    attribute = {name: name + "_" for name in ["lower", "norm", "shape", "prefix", "suffix"]}
    wrong = []
    for number, function, text, expected in cases:
        spacy_says = getattr(nlp.vocab[text], attribute.get(function, function))
        if spacy_says != expected:
            wrong.append(f"tests.rs:{number}: {function}({text!r}) is {spacy_says!r} in spaCy, not {expected!r}")
    fail_on(wrong, "the unit tests' expectations")


def documents():
    docs = [article(), *read_jsonl(PARAGRAPHS)]
    dev = news_dev_path()
    if dev:
        docs += read_jsonl(dev)
    return docs


def test_every_corpus_token(nlp, lexeme_json):
    tokens = [t for doc in documents() for t in nlp(doc.text)]
    texts, differences = compare(nlp, lexeme_json, [t.text for t in tokens])
    assert len(texts) > 2000
    fail_on(differences, f"{len(texts)} distinct corpus tokens")
    # The token attributes are the lexeme's, but for a NORM a tokenizer exception set.
    got = dict(zip(texts, ours(lexeme_json, texts)))
    for token in tokens:
        for name in STRING_ATTRS + FLAG_ATTRS:
            if name != "norm_" and getattr(token, name) != got[token.text][name]:
                differences.append(f"{name} of token {token.text!r}: spaCy {getattr(token, name)!r}")
        if len(token) != got[token.text]["length"]:
            differences.append(f"length of token {token.text!r}: spaCy {len(token)}")
    fail_on(differences, "corpus tokens")


def test_every_tokenizer_exception(nlp, lexeme_json):
    result = subprocess.run([str(lexeme_json), "--exceptions"], capture_output=True, check=True, timeout=600)
    exceptions = [json.loads(line) for line in result.stdout.decode("utf-8").split("\n")[:-1]]
    assert len(exceptions) == len(nlp.Defaults.tokenizer_exceptions)
    differences = []
    for exception in exceptions:
        want = [[t.text, t.norm_] for t in nlp(exception["text"])]
        if exception["pieces"] != want:
            differences.append(f"{exception['text']!r}: spaCy {want}, rubric {exception['pieces']}")
    fail_on(differences, "tokenizer exceptions")


# ---- generated strings ---------------------------------------------------------------

def code_points(predicate):
    return [chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000 and predicate(chr(cp))]


def generated_strings(seed=20261206, count=6000):
    rng = random.Random(seed)
    category = unicodedata.category
    pools = {
        "decimal": code_points(lambda c: category(c) == "Nd"),
        "other_number": code_points(lambda c: category(c) in ("No", "Nl")),
        "upper": code_points(lambda c: category(c) == "Lu"),
        "lower": code_points(lambda c: category(c) == "Ll"),
        "title": code_points(lambda c: category(c) == "Lt"),
        "letter": code_points(lambda c: category(c) in ("Lm", "Lo")),
        "mark": code_points(lambda c: category(c).startswith("M")),
        "punct": code_points(lambda c: category(c).startswith("P")),
        "currency": code_points(lambda c: category(c) == "Sc"),
        "symbol": code_points(lambda c: category(c) in ("Sm", "Sk", "So")),
        "space": code_points(lambda c: c.isspace() or category(c) in ("Zs", "Zl", "Zp", "Cf", "Cc")),
        "unassigned": code_points(lambda c: category(c) == "Cn")[::97],
        "ascii": [chr(cp) for cp in range(0x20, 0x7F)],
        "case_special": list("İıKÅẞßΣσςΣΣǅǈǋǲᾈᾼ\u0345\u0307\u00ad'.:ª"),
    }
    from spacy.lang.en import lex_attrs as en
    from spacy.lang import lex_attrs as base
    from spacy.lang.norm_exceptions import BASE_NORMS

    words = en._num_words + en._ordinal_words + sorted(base._tlds) + list(BASE_NORMS)
    words += ["the", "n't", "n’t", "’s", "'S", "don't", "Ain't", "Mr.", "U.S."]
    quotes = list("()[]{}<>\"'`«»‘’‚‛“”„‟‹›❮❯（）") + ["''", "``", "‘‘"]
    spaces = code_points(str.isspace)
    tlds = sorted(base._tlds) + ["tech", "xn--p1ai", "рф", "中国", "Com", "a", "museum"]

    def mix(n):
        names = rng.choices(list(pools), k=n)
        return "".join(rng.choice(pools[name]) for name in names)

    def cased(word):
        return rng.choice([word, word.upper(), word.title(), word.capitalize(),
                           "".join(c.upper() if rng.random() < 0.5 else c for c in word)])

    def number():
        digits = rng.choice(pools["decimal"] + list("0123456789") * 20)
        body = "".join(rng.choice([digits, "0123456789"[rng.randrange(10)], ",", ".", "/", "²", "½"])
                       for _ in range(rng.randint(1, 7)))
        sign = rng.choice(["", "", "+", "-", "±", "~", "--"])
        suffix = rng.choice(["", "", "", "st", "nd", "rd", "th", "TH", "s"])
        return sign + body + suffix

    def host():
        labels = [rng.choice(["example", "bbc", "a", "x-y", "_x", "-a", "a-", "müller", "日本",
                              "a" * rng.randint(60, 66), "1", "ex_ample", ""])
                  for _ in range(rng.randint(1, 3))]
        return ".".join(labels + [rng.choice(tlds)])

    def ip():
        octet = lambda: rng.choice([str(rng.randint(0, 300)), "0", "255", "254", "223", "224",
                                    "1" + rng.choice(pools["decimal"]), "٣"])
        first = rng.choice(["10", "127", "169.254", "192.168", "172.16", "172.31", "172.32",
                            "172.2٣", octet(), octet()])
        parts = [first] + [octet() for _ in range(4 - first.count(".") - 1)]
        if rng.random() < 0.2:
            parts = parts[: rng.randint(1, 4)] + [octet()] * rng.randint(0, 2)
        return ".".join(parts)

    def url():
        scheme = rng.choice(["", "", "http://", "https://", "ftp://", "a+b.c://", "x://", "é://",
                             "www.", "mailto:", "1://"])
        where = host() if rng.random() < 0.7 else ip()
        port = rng.choice(["", "", ":80", ":8080", ":1", ":123456", ":", ":٣٣"])
        path = rng.choice(["", "", "/", "/a/b", "?q=1", "#x", "/a b", "/.", "\n", "/x\n", "/x\n\n", "."])
        return scheme + where + port + path

    def email():
        local = rng.choice(["a", "a.b", "a+b", "_", "é", "", "a b", "a-b"])
        domain = rng.choice(["b", "b-c", "", "é", "b.c"])
        rest = rng.choice([".c", ".", ".com", "..", ".c!", ".-", ""])
        return local + "@" + domain + rest + rng.choice(["", "", "x", "@y.z"])

    def sigma():
        parts = [rng.choice(["Α", "α", "1", ".", "'", "\u0301", "\u00ad", "ǅ", "Σ", "ς", "\u0345", " "])
                 for _ in range(rng.randint(1, 5))]
        parts.insert(rng.randrange(len(parts) + 1), "Σ")
        return "".join(parts)

    def title():
        return "".join(rng.choice(pools["title"] + pools["upper"][:50] + pools["lower"][:50]
                                  + list("'-1 ǅaA\u0301ªʰ"))
                       for _ in range(rng.randint(1, 6)))

    makers = [
        lambda: mix(1), lambda: mix(rng.randint(2, 4)), lambda: mix(rng.randint(5, 12)),
        lambda: cased(rng.choice(words)), lambda: rng.choice(["+", "-", "±", "~", ""]) + cased(rng.choice(words)),
        number, url, url, email, sigma, title,
        lambda: rng.choice(pools["punct"]) * rng.randint(1, 6),
        lambda: rng.choice(pools["currency"]) + rng.choice(["", rng.choice(pools["currency"]), "1"]),
        lambda: "".join(rng.choice(pools["space"]) for _ in range(rng.randint(1, 3))),
        lambda: "".join(rng.choice(spaces) for _ in range(rng.randint(1, 3))),
        lambda: "".join(rng.choice(pools["decimal"] + pools["other_number"]) for _ in range(rng.randint(1, 4))),
        lambda: "".join(rng.choice(quotes) for _ in range(rng.randint(1, 2))),
        lambda: rng.choice(["a", "é", "1", ".", "日"]) * rng.choice([98, 99, 100, 101]),
    ]
    out = []
    while len(out) < count:
        out.append(rng.choice(makers)())
    return out


def test_every_code_point(nlp, lexeme_json):
    """Each code point alone (every assigned one, every 7th unassigned and private-use
    one), against the functions spaCy's vocab calls to make a lexeme."""
    from spacy.attrs import IDS

    getters = {name.lower(): function for name, function in
               ((n, nlp.vocab.lex_attr_getters.get(i)) for n, i in IDS.items()) if function}
    covered = {name.rstrip("_") for name in STRING_ATTRS + FLAG_ATTRS}
    assert set(getters) - {"lang"} == covered, "spaCy's lexical attributes changed"
    texts = []
    for cp in range(0x110000):
        c = chr(cp)
        category = unicodedata.category(c)
        if category == "Cs" or (category in ("Cn", "Co") and cp % 7):
            continue
        texts.append(c)
    assert len(texts) > 150_000
    differences = []
    for text, got in zip(texts, ours(lexeme_json, texts)):
        for name in STRING_ATTRS + FLAG_ATTRS:
            want = getters[name.rstrip("_")](text)
            if got[name] != want:
                differences.append(f"{name}({text!r}, U+{ord(text):04X}): spaCy {want!r}, rubric {got[name]!r}")
        if got["length"] != 1:
            differences.append(f"length({text!r}): {got['length']}")
    fail_on(differences, f"{len(texts)} code points")


def test_generated_strings(nlp, lexeme_json):
    texts, differences = compare(nlp, lexeme_json, generated_strings())
    assert len(texts) > 4000
    fail_on(differences, f"{len(texts)} generated strings")
