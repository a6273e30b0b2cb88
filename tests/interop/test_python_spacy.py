"""The `rubric_ruler` spaCy component (crates/python/python/rubric/spacy_ruler.py).

The component matches on the Doc's own tokens and resolves and merges the spans
in Rust; `reference_ruler` below does the same with spaCy's own calls
(`Doc.char_span`, `filter_spans`) from what `rubric.Annotator` finds on the text,
and both must set the same entities, candidates and counts on the article and the
news texts: with spaCy's tokens against rubric's spaCy-mode tokenizer (the same
cuts), and with coarser tokens (the text cut at single spaces) against every
candidate rubric finds that starts and ends on them.

On the article it must set the entities `rubric annotate` finds, mapped to spaCy's
tokens; where rubric's tokenizer and spaCy's (or a custom one's) disagree, spaCy's
tokens decide; `spans_key` keeps every candidate; and a config that names the
component loads, with the factory found through the package's entry point alone.
"""

import json
import subprocess
import sys

import pytest
import rubric
import spacy
from spacy.tokens import Doc
from spacy.util import filter_spans

from conftest import PARAGRAPHS, ROOT, RULES_JSONL, article, news_dev_path, read_jsonl


@pytest.fixture(scope="module")
def blank():
    return spacy.blank("en")


def test_component_sets_the_entities_rubric_annotate_finds_on_the_article(rubric_bin, blank):
    result = subprocess.run([str(rubric_bin), "annotate", ROOT / "corpus" / "article.txt"],
                            capture_output=True, timeout=600, check=True)
    record = json.loads(result.stdout)
    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler")
    doc = nlp(article().text)
    expected = filter_spans([doc.char_span(s["start"], s["end"], label=s["label"],
                                           kb_id=s.get("kb_id") or "", alignment_mode="expand")
                             for s in record["spans"]])
    got = [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents]
    assert got == [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in expected]
    assert len(got) > 50 and all(kb for *_, kb in got), "the article's entities all have ids"
    counts = doc.user_data["rubric"]
    assert counts["spans"] == len(record["spans"])
    assert counts["aligned"] + counts["expanded"] + counts["skipped"] == counts["spans"]
    assert counts["overlapping"] == len(record["spans"]) - counts["skipped"] - len(got)


@pytest.mark.parametrize("tokenizer", ["news", "spacy"])
def test_no_span_is_misaligned_whatever_the_tokenizer_option(blank, tokenizer):
    """The component matches on spaCy's own tokens, so on the news paragraphs and
    the article no span needs the misaligned policy, even with `tokenizer` (an
    option kept for old configs) naming rubric's news tokenizer."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"tokenizer": tokenizer, "misaligned": "error"})
    documents = [article(), *read_jsonl(PARAGRAPHS)]
    spans = 0
    for doc in nlp.pipe(d.text for d in documents):
        counts = doc.user_data["rubric"]
        assert counts["aligned"] == counts["spans"], counts
        assert counts["expanded"] == counts["contracted"] == counts["skipped"] == 0, counts
        spans += counts["spans"]
    assert spans > 50


def custom_doc(nlp):
    # A tokenizer that keeps "Iran is" together, as a custom spaCy tokenizer may:
    # rubric's own tokenizer would find "Iran", which ends inside that token.
    return Doc(nlp.vocab, words=["Iran is", "near", "Iraq", "."], spaces=[True, True, False, False])


@pytest.mark.parametrize("policy", ["expand", "contract", "drop", "skip", "error"])
def test_a_name_inside_a_longer_token_is_not_matched_under_any_policy(blank, policy):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("rubric_ruler", config={"misaligned": policy})
    doc = ruler(custom_doc(nlp))
    assert [(e.text, e.label_) for e in doc.ents] == [("Iraq", "GPE")]
    assert {k: v for k, v in doc.user_data["rubric"].items() if v} == {"spans": 1, "aligned": 1}
    # rubric's own tokenizer cuts "Iran" off, so the Annotator does find it.
    found = [s["text"] for s in rubric.Annotator().annotate(doc.text)["spans"]]
    assert found == ["Iran", "Iraq"]


def test_where_the_tokenizers_disagree_the_span_lands_on_spacys_tokens(tmp_path):
    """A name spaCy cuts out but rubric's news tokenizer keeps inside a longer
    token (a hashtag) is found by the component, on spaCy's tokens, and not by
    `Annotator.annotate`; a name rubric cuts out but spaCy keeps inside a token
    is found by `annotate` and not by the component."""
    tsv = tmp_path / "g.tsv"
    tsv.write_text("Tehran\tGPE\tQ3616\nDO\tORG\n", encoding="utf-8")
    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"gazetteer": str(tsv), "spans_key": "rubric"})
    annotator = rubric.Annotator(str(tsv))

    text = "Protests spread to #Tehran on Friday."
    assert [t.text for t in rubric.tokenize(text)][3] == "#Tehran"
    doc = nlp(text)
    assert [t.text for t in doc][3:5] == ["#", "Tehran"]
    assert [(e.start, e.end, e.text, e.label_, e.kb_id_) for e in doc.ents] == \
        [(4, 5, "Tehran", "GPE", "Q3616")]
    assert [(s.start, s.end) for s in doc.spans["rubric"]] == [(4, 5)]
    assert annotator.annotate(text)["spans"] == []

    text = "WE DON'T KNOW"
    assert [t.text for t in rubric.tokenize(text)] == ["WE", "DO", "N'T", "KNOW"]
    doc = nlp(text)
    assert [t.text for t in doc] == ["WE", "DON'T", "KNOW"]
    assert list(doc.ents) == [] and list(doc.spans["rubric"]) == []
    assert [(s["text"], s["label"]) for s in annotator.annotate(text)["spans"]] == [("DO", "ORG")]


def test_spans_key_holds_every_candidate_and_ents_the_resolved_ones(tmp_path):
    tsv = tmp_path / "places.tsv"
    tsv.write_text("New York\tGPE\tQ1384\nNew York City\tGPE\tQ60\nYork\tGPE\tQ42462\n"
                   "New York Times\tORG\tQ9684\n", encoding="utf-8")
    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"gazetteer": str(tsv), "spans_key": "rubric"})
    doc = nlp("She left New York City for the New York Times.")
    assert [(e.text, e.kb_id_) for e in doc.ents] == [("New York City", "Q60"),
                                                      ("New York Times", "Q9684")]
    candidates = sorted((s.text, s.label_, s.kb_id_) for s in doc.spans["rubric"])
    assert candidates == sorted([
        ("New York City", "GPE", "Q60"), ("New York", "GPE", "Q1384"), ("York", "GPE", "Q42462"),
        ("New York Times", "ORG", "Q9684"), ("New York", "GPE", "Q1384"), ("York", "GPE", "Q42462"),
    ])


# (overwrite_ents, the entities set, how many of rubric's were left out)
OVERWRITE = [
    (False, [("New York", "CITY"), ("Times", "GPE")], 1),
    (True, [("New York Times", "ORG"), ("Times", "GPE")], 0),
]


@pytest.mark.parametrize("overwrite,ents,left_out", OVERWRITE, ids=["keep", "overwrite"])
def test_earlier_entities_are_kept_unless_overwrite_ents(tmp_path, overwrite, ents, left_out):
    tsv = tmp_path / "orgs.tsv"
    tsv.write_text("New York Times\tORG\nTimes\tGPE\n", encoding="utf-8")
    nlp = spacy.blank("en")
    earlier = nlp.add_pipe("entity_ruler")
    earlier.add_patterns([{"label": "CITY", "pattern": "New York"}])
    nlp.add_pipe("rubric_ruler", config={"gazetteer": str(tsv), "overwrite_ents": overwrite})
    doc = nlp("The New York Times. Times")
    assert [(e.text, e.label_) for e in doc.ents] == ents
    assert doc.user_data["rubric"]["overlapping"] == left_out


def test_an_unknown_misaligned_policy_names_the_one_spelling(blank):
    nlp = spacy.blank("en")
    with pytest.raises(rubric.UsageError) as info:
        nlp.add_pipe("rubric_ruler", config={"misaligned": "omit"})
    assert "use one of expand, contract, drop, error (skip is the old name of drop)" in \
        info.value.message


def test_bad_configuration_is_a_usage_error(blank):
    nlp = spacy.blank("en")
    with pytest.raises(rubric.UsageError):
        nlp.add_pipe("rubric_ruler", config={"misaligned": "stretch"})
    with pytest.raises(rubric.UsageError):
        nlp.add_pipe("rubric_ruler", name="r2", config={"overlaps": "widest"})


CONFIG = """
[nlp]
lang = "en"
pipeline = ["rubric_ruler"]

[components]

[components.rubric_ruler]
factory = "rubric_ruler"
gazetteer = null
overlaps = "longest"
spans_key = "rubric"
misaligned = "expand"
"""


def test_a_config_that_uses_the_component_loads(tmp_path):
    config = spacy.util.load_config_from_str(CONFIG)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    assert nlp.pipe_names == ["rubric_ruler"]
    doc = nlp("Iraqi militias attacked Erbil.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Iraqi", "NORP"), ("Erbil", "GPE")]
    # Saved and loaded back, as `spacy train` does with its output.
    nlp.to_disk(tmp_path / "model")
    again = spacy.load(tmp_path / "model")
    assert [(e.text, e.label_) for e in again("Iraqi militias attacked Erbil.").ents] == \
        [("Iraqi", "NORP"), ("Erbil", "GPE")]


def test_the_factory_is_found_through_the_entry_point_without_importing_rubric():
    code = (
        # No `import rubric`: spaCy imports it through the spacy_factories entry point.
        "import spacy\n"
        "nlp = spacy.blank('en')\n"
        "nlp.add_pipe('rubric_ruler')\n"
        "print([(e.text, e.label_) for e in nlp('Protests in Tehran.').ents])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "[('Tehran', 'GPE')]"


COUNT_KEYS = ("spans", "aligned", "expanded", "contracted", "skipped", "overlapping")


def reference_ruler(doc, record, overwrite, spans_key):
    """What rubric_ruler must do, with spaCy's own calls: `record` is
    `Annotator.annotate(doc.text, explain=True)` from a tokenizer that cuts the
    text wherever the Doc's tokens do, its spans the kept ones and `meta.explain`
    the dropped candidates. Those that do not start and end on the Doc's tokens
    cannot be found on them: they are left out, and how many is returned with the
    rest (the component has no count for them)."""
    unaligned = 0

    def place(spans):
        nonlocal unaligned
        out = []
        for start, end, label, kb_id in spans:
            aligned = doc.char_span(start, end, label=label, kb_id=kb_id or "")
            if aligned is None:
                unaligned += 1
            else:
                out.append(aligned)
        return out

    key = lambda s: (s["start"], s["end"], s["label"], s.get("kb_id"))
    kept = [key(s) for s in record["spans"]]
    dropped = [key(d["candidate"]) for d in record["meta"]["explain"]]
    ents = place(kept)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts["spans"] = counts["aligned"] = len(ents)
    resolved = filter_spans(ents)
    counts["overlapping"] = len(ents) - len(resolved)
    existing = list(doc.ents)
    first, second = (resolved, existing) if overwrite else (existing, resolved)
    taken, final = set(), []
    for span in first + second:
        tokens = range(span.start, span.end)
        if any(token in taken for token in tokens):
            if span not in existing:
                counts["overlapping"] += 1
            continue
        taken.update(tokens)
        final.append(span)
    candidates = None
    if spans_key:
        unique = sorted(set(kept) | set(dropped), key=lambda c: (*c[:3], c[3] or ""))
        candidates = place(unique)
    doc.ents = sorted(final, key=lambda span: span.start)
    return doc.ents, candidates, counts, unaligned


def spans_of(spans):
    return [(s.start, s.end, s.label_, s.kb_id_) for s in spans]


def token_entities(doc):
    return [(t.ent_iob, t.ent_type_, t.ent_kb_id_, t.ent_id_) for t in doc]


def whitespace_doc(nlp, text):
    """`text` cut at single spaces only: "Iran’s" and "(IRGC)" stay whole, so
    many of rubric's spans end inside a token."""
    words = text.split(" ")
    spaces = [True] * (len(words) - 1) + [False]
    keep = [(w, s) for w, s in zip(words, spaces) if w]
    if not keep:
        return nlp.make_doc(text)
    doc = Doc(nlp.vocab, words=[w for w, _ in keep], spaces=[s for _, s in keep])
    return doc if doc.text == text else nlp.make_doc(text)


def news_texts():
    texts = [article().text] + [d.text for d in read_jsonl(PARAGRAPHS)]
    dev = news_dev_path()
    if dev is not None:
        texts += [d.text for d in read_jsonl(dev)]
    return texts


# (overwrite_ents, spans_key, tokenization, misaligned policy: accepted, unused)
CASES = [(overwrite, key, tokens, policy)
         for overwrite, key in ((False, None), (True, "rubric"))
         for tokens in ("spacy", "whitespace")
         for policy in ("expand", "error")]

# What the reference Annotator gets: rubric's spaCy-mode tokenizer cuts the text
# as spacy.blank("en") does, so every option can be compared. Cut at single
# spaces, the Doc's tokens are coarser than rubric's news tokens (every space
# cuts both), so the candidates found on them are the Annotator's that start and
# end on them, as long as nothing depends on which others exist: every candidate
# kept (overlaps "all"), no aliases, no rules (token patterns see the tokens).
OPTIONS = {
    "spacy": ({"tokenizer": "spacy"}, {}),
    "whitespace": ({"overlaps": "all", "aliases": False, "rules": "none"},
                   {"overlaps": "all", "aliases": False, "rules": "none"}),
}


@pytest.mark.parametrize("overwrite,spans_key,tokens,policy", CASES,
                         ids=["-".join(map(str, c)) for c in CASES])
def test_component_does_what_spacys_own_calls_do(overwrite, spans_key, tokens, policy):
    nlp = spacy.blank("en")
    # An earlier component's entities, some of them where rubric finds its own.
    earlier = nlp.add_pipe("entity_ruler")
    earlier.add_patterns([{"label": "CITY", "pattern": "Tehran"},
                          {"label": "PLACE", "pattern": [{"LOWER": "iran"}]},
                          {"label": "ORG_X", "pattern": "United States", "id": "us"}])
    reference_options, component_options = OPTIONS[tokens]
    ruler = nlp.add_pipe("rubric_ruler", config={"misaligned": policy, "spans_key": spans_key,
                                                 "overwrite_ents": overwrite,
                                                 **component_options})
    annotator = rubric.Annotator(**reference_options)
    texts = news_texts()
    make = nlp.make_doc if tokens == "spacy" else (lambda text: whitespace_doc(nlp, text))
    left_out = found = 0
    for text in texts:
        want_doc, got_doc = earlier(make(text)), earlier(make(text))
        record = annotator.annotate(want_doc.text, explain=True)
        ents, candidates, counts, unaligned = reference_ruler(want_doc, record, overwrite,
                                                              spans_key)
        ruler(got_doc)
        assert spans_of(got_doc.ents) == spans_of(ents), text[:80]
        assert token_entities(got_doc) == token_entities(want_doc), text[:80]
        assert got_doc.user_data["rubric"] == counts, text[:80]
        if spans_key:
            assert spans_of(got_doc.spans[spans_key]) == spans_of(candidates), text[:80]
        left_out += unaligned
        found += counts["spans"]
    assert found > 500
    # The reference cuts as spaCy does; the whitespace tokens must leave out many
    # of the spans rubric's own tokens allow (names before commas, in brackets).
    if tokens == "spacy":
        assert left_out == 0
    else:
        assert left_out > 20


def test_pipe_sets_what_calling_the_component_sets():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("rubric_ruler", config={"spans_key": "rubric"})
    texts = news_texts()
    one_by_one = [ruler(nlp.make_doc(text)) for text in texts]
    piped = list(ruler.pipe((nlp.make_doc(text) for text in texts), batch_size=7))
    assert [d.text for d in piped] == texts
    for got, want in zip(piped, one_by_one):
        assert spans_of(got.ents) == spans_of(want.ents)
        assert spans_of(got.spans["rubric"]) == spans_of(want.spans["rubric"])
        assert got.user_data["rubric"] == want.user_data["rubric"]
    # nlp.pipe hands the component batches.
    through_nlp = list(nlp.pipe(texts, batch_size=5))
    assert [spans_of(d.ents) for d in through_nlp] == [spans_of(d.ents) for d in one_by_one]


def test_nlp_pipe_on_two_processes_sets_what_one_sets():
    """spaCy sends the pipeline to its worker processes (n_process) and the Docs
    back; the component must come out the same."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"spans_key": "rubric"})
    texts = news_texts()[:60]
    result = lambda doc: (spans_of(doc.ents), spans_of(doc.spans["rubric"]),
                          doc.user_data["rubric"])
    one = [result(doc) for doc in nlp.pipe(texts)]
    two = [result(doc) for doc in nlp.pipe(texts, n_process=2, batch_size=8)]
    assert two == one
    assert sum(len(ents) for ents, _, _ in one) > 50


def test_bad_token_offsets_are_a_usage_error():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("rubric_ruler")
    with pytest.raises(rubric.UsageError, match="to_array"):
        ruler._ruler._process_batch([(b"\x00" * 5, [])])
    with pytest.raises(rubric.UsageError, match="to_array"):
        ruler._ruler._unknown([b"\x00" * 33])
    # A string must come with its own id.
    with pytest.raises(rubric.UsageError, match="string id"):
        ruler._ruler._learn([(nlp.vocab.strings["Iran"], "Iraq")])


def test_docs_from_other_vocabs_and_many_new_words():
    # Strings are learnt by id from whichever vocab a Doc has; texts full of
    # words never seen before still come out right.
    first, second = spacy.blank("en"), spacy.blank("en")
    ruler = first.add_pipe("rubric_ruler")
    texts = [f"Protests in Tehran{i} and Tehran, word{i}x{i} near Iraq." for i in range(300)]
    docs = list(ruler.pipe((second.make_doc(t) for t in texts), batch_size=64))
    assert all(d.text == t for d, t in zip(docs, texts))
    assert all([e.text for e in d.ents] == ["Tehran", "Iraq"] for d in docs)
    # One batch, two vocabs, each with words the other never saw.
    mixed = [first.make_doc("Zzfirstonly met in Iraq."), second.make_doc("Zzsecondonly left Iran.")]
    assert [[e.text for e in d.ents] for d in ruler.pipe(mixed)] == [["Iraq"], ["Iran"]]


@pytest.mark.parametrize("config,ents", [
    ({}, ["Obama", "Food Standards Agency", "Erbil"]),
    ({"rules": "none"}, ["Erbil"]),
    ({"rules": ["org:"]}, ["Food Standards Agency", "Erbil"]),
    ({"no_rules": ["org:*"]}, ["Obama", "Erbil"]),
], ids=["all", "none", "only", "except"])
def test_the_rules_key_chooses_the_named_rules_as_the_annotator_does(tmp_path, config, ents):
    patterns = tmp_path / "rules.jsonl"
    patterns.write_text(RULES_JSONL, encoding="utf-8")
    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"gazetteer": str(patterns), **config})
    doc = nlp("President Obama met the Food Standards Agency in Erbil.")
    assert [e.text for e in doc.ents] == ents


def test_a_rule_the_gazetteers_lack_is_a_usage_error():
    nlp = spacy.blank("en")
    with pytest.raises(rubric.UsageError, match="persn:"):
        nlp.add_pipe("rubric_ruler", config={"rules": ["persn:"]})
