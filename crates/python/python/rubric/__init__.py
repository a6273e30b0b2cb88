"""rubric: turn raw text into span-annotated NER training data, and compare
annotations — the same engine as the ``rubric`` command line, in process.

>>> import rubric
>>> annotator = rubric.Annotator()                  # the built-in gazetteer
>>> record = annotator.annotate("Iraqi militias attacked Erbil.", id="d1")
>>> [(s["text"], s["label"]) for s in record["spans"]]   # doctest: +SKIP
[('Iraqi', 'NORP'), ('Erbil', 'GPE')]

Records are :class:`Record` objects: read-only mappings with exactly the keys and
values of the JSON line ``rubric annotate`` writes, whose values are built on
first access (``record == json.loads(line)`` holds; ``record.to_dict()`` and
``record.to_json()`` give a dict and the line itself).

Offsets are Unicode code points (Python ``str`` indices) everywhere, and every
record's ``meta.offsets`` says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from itertools import islice
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from . import _rubric
from ._rubric import Gazetteer, Record, Token, tokenize
from .errors import (
    AlignmentError,
    DiffError,
    GazetteerError,
    RecordError,
    RubricError,
    UsageError,
)

__all__ = [
    "Annotator",
    "Gazetteer",
    "Record",
    "Token",
    "tokenize",
    "diff",
    "convert",
    "RubricError",
    "GazetteerError",
    "RecordError",
    "DiffError",
    "UsageError",
    "AlignmentError",
]

Document = Union[str, Tuple[str, str]]

# A Record is a read-only mapping: isinstance(record, Mapping) says so.
Mapping.register(Record)


class Annotator(_rubric.Annotator):
    """Tokenizes and matches documents against gazetteers.

    ``gazetteer``: ``None`` for the built-in one, or a :class:`Gazetteer`, a
    path (``.tsv``, ``.jsonl`` spaCy patterns, ``.rgz`` compiled) or a list of
    them. ``overlaps``: ``"longest"``, ``"priority"`` or ``"all"``. ``aliases``:
    derive document aliases (a later last name, an acronym in parentheses).
    ``labels``: keep only spans with these labels (a label no gazetteer has is a
    :class:`UsageError` listing the labels they have). ``tokenizer``: ``"news"``
    (rubric's rules) or ``"spacy"`` (spaCy 3.8's English tokenizer exactly, so
    every span boundary is a token boundary of spaCy's ``Doc``). ``rules``: which
    named token patterns (rules) run: ``None`` or ``"all"`` every one, ``"none"``
    none, or a list of rule names and prefixes ending in ``:`` or ``*``
    (``["person:"]``) for only those; ``no_rules``: a list of them for every rule
    but those (not with ``rules``). A selector that names no rule is a
    :class:`UsageError` listing the rules. Unnamed token patterns always run.
    ``tokens``: ``False`` for records without tokens (no ``tokens`` key, spans
    without ``token_start``/``token_end``; the same spans and offsets).
    The options are those of ``rubric annotate`` (``--rules``, ``--no-rules``,
    ``--no-tokens``), built by the same Rust builder.
    """

    def pipe(
        self,
        texts: Iterable[Document],
        threads: Optional[int] = None,
        batch_size: int = 256,
        explain: bool = False,
    ) -> Iterator[Record]:
        """Yields one :class:`Record` per text, in input order.

        Each item is a text or a ``(text, id)`` pair; a text alone gets its
        0-based position in ``texts`` as id. Texts are taken ``batch_size`` at a
        time and annotated on ``threads`` threads (default: every CPU) with the
        GIL released.
        """
        if batch_size < 1:
            raise UsageError("usage", None, f"batch_size must be at least 1, not {batch_size}")
        if threads is None:
            threads = os.cpu_count() or 1
        if threads < 1:
            raise UsageError("usage", None, f"threads must be at least 1, not {threads}")
        position = 0
        items = iter(texts)
        while True:
            batch: List[Tuple[str, str]] = []
            for item in islice(items, batch_size):
                if isinstance(item, str):
                    batch.append((item, str(position)))
                else:
                    text, doc_id = item
                    batch.append((text, str(doc_id)))
                position += 1
            if not batch:
                return
            yield from self._annotate_batch(batch, threads, explain)


def _json_line(record: Union[Record, Mapping]) -> str:
    if isinstance(record, Record):
        return record.to_json() + "\n"
    return json.dumps(record, ensure_ascii=False) + "\n"


def diff(
    gold_records: Iterable[Union[Record, Dict[str, Any]]],
    pred_records: Iterable[Union[Record, Dict[str, Any]]],
    *,
    gold_name: str = "gold",
    pred_name: str = "pred",
    allow_missing: bool = False,
    min_overlap: float = 1.0,
) -> Dict[str, Any]:
    """Compares predicted records with gold ones.

    Records are :class:`Record` objects (what :meth:`Annotator.annotate` and
    :meth:`Annotator.pipe` return) or dicts in the JSONL record shape
    (``json.loads`` of a line ``rubric annotate`` wrote). The result
    has the structure of ``rubric diff --format json``: the four nervaluate
    schemas overall, per label and per document, and each document's
    disagreements. ``gold_name``/``pred_name`` name the inputs in the report
    and in error locations.
    """
    gold = "".join(_json_line(record) for record in gold_records)
    pred = "".join(_json_line(record) for record in pred_records)
    return _rubric._diff(gold, pred, gold_name, pred_name, allow_missing, min_overlap)


def convert(
    records: Iterable[Union[Record, Dict[str, Any]]],
    to: str,
    *,
    misaligned: str = "error",
    offsets: str = "char",
    doccano_layout: str = "label",
    name: str = "<records>",
) -> Dict[str, bytes]:
    """Writes records in another format, as ``rubric convert --to`` does.

    ``to`` is any name ``rubric convert --to`` takes (``conll``, ``iob1``,
    ``bioes``, ``bilou``, ``doccano``, ``hf``, ``spacy``, ``brat``, ``jsonl``):
    both list the exporter's format registry, so a format added there is here
    too. Records are :class:`Record` objects or dicts in the JSONL record shape.
    The result maps file names to their bytes: ``""`` is the output itself
    (what ``rubric convert`` writes to standard output or ``-o``), and the
    other keys the files beside it (``labels.json`` for ``hf``, which the
    command line names ``<stem>.labels.json``) or, for ``brat``, the files in
    the output directory (``<id>.txt``, ``<id>.ann``). ``misaligned``
    (``error``, ``expand``, ``contract``, ``drop``), ``offsets`` (``jsonl``
    only) and ``doccano_layout`` (``label`` or ``entities``) are the command
    line's options; ``name`` names the records in error locations.
    """
    jsonl = "".join(_json_line(record) for record in records)
    return _rubric._convert(jsonl, to, name, misaligned, offsets, doccano_layout)
