"""``rubric_ruler``: rubric's gazetteer matcher as a spaCy pipeline component.

A drop-in for spaCy's EntityRuler::

    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"gazetteer": "people.tsv", "spans_key": "rubric"})

It matches on the ``Doc``'s own tokens, as the EntityRuler does: an entry (or a
token pattern, in spaCy's Matcher language) matches only where it starts at a
spaCy token's start and ends at a token's end, so every span lands exactly on
spaCy's tokens. Where rubric's own tokenizer would cut the text differently
(``rubric.tokenize``; its differences from spaCy's are listed in
crates/tokenizer/README.md: a hashtag such as ``#Tehran`` is one token there and
``#`` ``Tehran`` in ``spacy.blank("en")``), the component follows spaCy's
tokens, so ``rubric annotate`` on the same text may find a span the component
cannot (a name inside a longer spaCy token) or miss one it finds. A custom
tokenizer's tokens are followed just the same.

``doc.ents`` gets the resolved spans (with ``ent_kb_id_`` from the entry's
id), next to an earlier component's entities: theirs win where they overlap,
unless ``overwrite_ents`` (as the EntityRuler's option); with ``spans_key``
set, ``doc.spans[spans_key]`` gets every candidate, overlapping ones included.
What happened is counted in ``doc.user_data["rubric"]``: ``spans`` found,
``aligned`` (all of them), ``overlapping`` (left out of ``doc.ents`` for an
overlap); no span is dropped silently. ``misaligned`` and ``tokenizer`` are
still accepted, for configs written for the versions that re-tokenized the
text, but no longer change anything: no span can be misaligned (``expanded``,
``contracted`` and ``skipped`` stay 0). The component is registered through the
``spacy_factories`` entry point, so ``spacy train`` configs can name it.

The work is done in Rust (``rubric._rubric._Ruler``): the text is rebuilt from
the tokens' string ids (``Doc.to_array``) as ``Doc.text`` would build it, with
each token's byte range as it is written, the matcher runs on those tokens,
the spans are resolved by ``spacy.util.filter_spans``' rules, and the entities
come back as the columns ``Doc.set_ents`` would write, for ``Doc.from_array``.
``nlp.pipe`` hands the component batches (:meth:`RubricRuler.pipe`), matched
with the GIL released.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Optional, Union

import numpy
from spacy.attrs import ENT_ID, ENT_IOB, ENT_KB_ID, ENT_TYPE, ORTH, SPACY
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from . import Annotator, _rubric
from .errors import UsageError

MISALIGNED = ("expand", "contract", "drop", "error")

#: Old names still accepted: ``skip`` was ``drop`` before the CLI's, the
#: exporter's and this component's spellings became one.
MISALIGNED_ALIASES = {"skip": "drop"}

#: The keys of ``doc.user_data["rubric"]``.
COUNTS = ("spans", "aligned", "expanded", "contracted", "skipped", "overlapping")

#: What ``Doc.to_array`` gives the Rust side: each token's string id and
#: trailing space (the text and the tokens' offsets are rebuilt from the
#: strings), and the entity ids that ``Doc.set_ents`` leaves as they are outside
#: entities.
TOKEN_ATTRS = [ORTH, SPACY, ENT_KB_ID, ENT_ID]

#: What the Rust side gives ``Doc.from_array``: the columns ``Doc.set_ents``
#: would write for the entities, ``ENT_KB_ID`` and ``ENT_ID`` only where a
#: token's value changes (``from_array`` costs about as much per column as all
#: the component's other Python); indexed by the Rust side's ``which``.
ENT_ATTRS = [
    [ENT_IOB, ENT_TYPE],
    [ENT_IOB, ENT_TYPE, ENT_KB_ID],
    [ENT_IOB, ENT_TYPE, ENT_ID],
    [ENT_IOB, ENT_TYPE, ENT_KB_ID, ENT_ID],
]


class RubricRuler:
    """The component: call it on a ``Doc``, or give :meth:`pipe` a stream of them
    (``nlp.pipe`` does), which matches each batch with the GIL released."""

    def __init__(
        self,
        nlp: Language,
        name: str = "rubric_ruler",
        *,
        gazetteer: Optional[Any] = None,
        overlaps: str = "longest",
        aliases: bool = True,
        labels: Optional[List[str]] = None,
        spans_key: Optional[str] = None,
        misaligned: str = "expand",
        overwrite_ents: bool = False,
        tokenizer: str = "news",
        rules: Union[None, str, List[str]] = None,
        no_rules: Optional[List[str]] = None,
    ) -> None:
        if misaligned not in MISALIGNED and misaligned not in MISALIGNED_ALIASES:
            raise UsageError(
                "usage",
                None,
                f"misaligned={misaligned!r}: use one of {', '.join(MISALIGNED)} "
                "(skip is the old name of drop)",
            )
        self.name = name
        self.spans_key = spans_key
        # `misaligned` and `tokenizer` stay valid for configs written for the
        # versions that re-tokenized the text (the Annotator still checks the
        # tokenizer's name); matching on the Doc's own tokens, neither changes
        # what the component finds.
        self.misaligned = misaligned
        self.overwrite_ents = overwrite_ents
        self.annotator = Annotator(
            gazetteer,
            overlaps=overlaps,
            aliases=aliases,
            labels=labels,
            tokenizer=tokenizer,
            rules=rules,
            no_rules=no_rules,
        )
        # Matching on the Doc's tokens, resolving the spans (filter_spans'
        # rules) and merging them with earlier entities all happen in Rust;
        # Python moves arrays between it and the Docs.
        self._ruler = _rubric._Ruler(self.annotator, overwrite_ents, spans_key is not None)

    def __call__(self, doc: Doc) -> Doc:
        self._annotate([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Annotates ``stream`` ``batch_size`` documents at a time, in order."""
        for docs in minibatch(stream, size=batch_size):
            self._annotate(docs)
            yield from docs

    def _annotate(self, docs: List[Doc]) -> None:
        tokens = [doc.to_array(TOKEN_ATTRS).tobytes() for doc in docs]
        # The Rust side rebuilds each Doc's text and tokens from the tokens'
        # strings (what Doc.text does, without a Token object per token); it
        # asks only for the strings it has not seen.
        unknown = self._ruler._unknown(tokens)
        if unknown:
            self._ruler._learn([(key, _string(docs, key)) for key in unknown])
        existing = [doc.ents for doc in docs]
        outcomes = self._ruler._process_batch(
            [(doc_tokens, _entities(ents)) for doc_tokens, ents in zip(tokens, existing)]
        )
        for doc, outcome in zip(docs, outcomes):
            self._set(doc, outcome)

    def _set(self, doc: Doc, outcome: tuple) -> None:
        columns, which, strings, candidates, counts = outcome
        # The entities as Doc.set_ents would set them, without a Span object
        # each; their labels and ids must be in the vocab for label_ and kb_id_.
        store = doc.vocab.strings
        for string in strings:
            store.add(string)
        attrs = ENT_ATTRS[which]
        doc.from_array(attrs, numpy.frombuffer(columns, dtype=numpy.uint64).reshape(-1, len(attrs)))
        if candidates is not None:
            doc.spans[self.spans_key] = [Span(doc, start, end, label=label, kb_id=kb_id)
                                         for start, end, label, kb_id in candidates]
        doc.user_data["rubric"] = counts


def _string(docs: List[Doc], key: int) -> str:
    """The string with id ``key`` from the vocab of the first of ``docs`` that
    has it (a batch may mix vocabs; ids are the same in every vocab)."""
    for doc in docs:
        try:
            return doc.vocab.strings[key]
        except KeyError:
            continue
    raise KeyError(key)


def _entities(ents: tuple) -> list:
    """A Doc's entities as the Rust side compares them with its own."""
    return [(e.start, e.end, e.label_, e.kb_id_, e.id) for e in ents]


@Language.factory(
    "rubric_ruler",
    default_config={
        "gazetteer": None,
        "overlaps": "longest",
        "aliases": True,
        "labels": None,
        "spans_key": None,
        "misaligned": "expand",
        "overwrite_ents": False,
        "tokenizer": "news",
        "rules": None,
        "no_rules": None,
    },
)
def make_rubric_ruler(
    nlp: Language,
    name: str,
    gazetteer: Optional[Union[str, List[str]]],
    overlaps: str,
    aliases: bool,
    labels: Optional[List[str]],
    spans_key: Optional[str],
    misaligned: str,
    overwrite_ents: bool,
    tokenizer: str,
    rules: Union[None, str, List[str]],
    no_rules: Optional[List[str]],
) -> RubricRuler:
    """spaCy's factory for ``rubric_ruler``; ``gazetteer`` is a path (``.tsv``,
    ``.jsonl`` patterns, ``.rgz``), a list of them, or ``None`` for the built-in
    gazetteer."""
    return RubricRuler(
        nlp,
        name,
        gazetteer=gazetteer,
        overlaps=overlaps,
        aliases=aliases,
        labels=labels,
        spans_key=spans_key,
        misaligned=misaligned,
        overwrite_ents=overwrite_ents,
        tokenizer=tokenizer,
        rules=rules,
        no_rules=no_rules,
    )
