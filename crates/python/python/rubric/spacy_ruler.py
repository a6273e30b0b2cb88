"""``rubric_ruler``: rubric's gazetteer matcher as a spaCy pipeline component.

A drop-in for spaCy's EntityRuler::

    nlp = spacy.blank("en")
    nlp.add_pipe("rubric_ruler", config={"gazetteer": "people.tsv", "spans_key": "rubric"})

It matches on ``doc.text`` with rubric's own tokenizer and maps each span to
spaCy's tokens. A span whose edges fall inside a spaCy token follows
``misaligned``: ``expand`` (default) or ``contract`` it to token boundaries,
``skip`` it, or raise :class:`rubric.AlignmentError`. Whatever happens is
counted in ``doc.user_data["rubric"]``; no span is dropped silently.

``doc.ents`` gets the resolved spans (with ``ent_kb_id_`` from the entry's
id), next to an earlier component's entities: theirs win where they overlap,
unless ``overwrite_ents`` (as the EntityRuler's option); with ``spans_key`` set, ``doc.spans[spans_key]`` gets every candidate,
overlapping ones included. The component is registered through the
``spacy_factories`` entry point, so ``spacy train`` configs can name it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import Annotator
from .errors import AlignmentError, UsageError

MISALIGNED = ("expand", "contract", "skip", "error")

#: The keys of ``doc.user_data["rubric"]``.
COUNTS = ("spans", "aligned", "expanded", "contracted", "skipped", "overlapping")


class RubricRuler:
    """The component: call it on a ``Doc``."""

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
    ) -> None:
        if misaligned not in MISALIGNED:
            raise UsageError(
                "usage",
                None,
                f"misaligned={misaligned!r}: use one of {', '.join(MISALIGNED)}",
            )
        self.name = name
        self.spans_key = spans_key
        self.misaligned = misaligned
        self.overwrite_ents = overwrite_ents
        self.annotator = Annotator(gazetteer, overlaps=overlaps, aliases=aliases, labels=labels)

    def __call__(self, doc: Doc) -> Doc:
        spans, dropped = self.annotator._spans(doc.text, self.spans_key is not None)
        counts = {key: 0 for key in COUNTS}
        ents = self._spans(doc, spans, counts)
        resolved = filter_spans(ents)
        # Expanding two neighbouring spans to spaCy's tokens can make them
        # overlap, and an earlier component's entities may already hold the
        # tokens; doc.ents cannot hold both, so each of ours left out is counted.
        counts["overlapping"] = len(ents) - len(resolved)
        existing = list(doc.ents)
        first, second = (resolved, existing) if self.overwrite_ents else (existing, resolved)
        taken = set()
        kept = []
        for span in first + second:
            tokens = range(span.start, span.end)
            if any(token in taken for token in tokens):
                if span not in existing:
                    counts["overlapping"] += 1
                continue
            taken.update(tokens)
            kept.append(span)
        doc.ents = sorted(kept, key=lambda span: span.start)
        if self.spans_key is not None:
            # The same candidate can be dropped more than once (beaten by two
            # winners); spans_key gets each once.
            candidates = sorted(set(spans) | set(dropped))
            doc.spans[self.spans_key] = self._spans(doc, candidates, {key: 0 for key in COUNTS})
        doc.user_data["rubric"] = counts
        return doc

    def _spans(self, doc: Doc, spans: List[Tuple[int, int, str, Optional[str]]],
               counts: Dict[str, int]) -> List[Span]:
        out = []
        for start, end, label, kb_id in spans:
            counts["spans"] += 1
            kb_id = kb_id or ""
            aligned = doc.char_span(start, end, label=label, kb_id=kb_id)
            if aligned is not None:
                counts["aligned"] += 1
                out.append(aligned)
                continue
            if self.misaligned == "error":
                raise AlignmentError(
                    "misaligned",
                    f"{start}..{end}",
                    f"span {doc.text[start:end]!r} ({label}) at {start}..{end} does not start "
                    "and end on spaCy token boundaries — use misaligned='expand', 'contract' "
                    "or 'skip'",
                )
            if self.misaligned == "skip":
                counts["skipped"] += 1
                continue
            adjusted = doc.char_span(
                start, end, label=label, kb_id=kb_id, alignment_mode=self.misaligned
            )
            if adjusted is None or len(adjusted) == 0:
                # Contracting a span that lies inside one spaCy token leaves nothing.
                counts["skipped"] += 1
                continue
            counts["expanded" if self.misaligned == "expand" else "contracted"] += 1
            out.append(adjusted)
        return out


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
    )
