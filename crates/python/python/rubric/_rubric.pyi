"""Type stubs of the extension module; the public API is re-exported by ``rubric``."""

from os import PathLike
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

StrPath = Union[str, PathLike[str]]

class Token:
    """A token: its text, code-point offsets (``text[start:end] == token.text``),
    kind (``word``, ``number``, ``punctuation``, ``symbol``, ``space``, ...) and
    whether a single space follows it (spaCy's ``whitespace_``)."""

    @property
    def text(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def ws(self) -> bool: ...

def tokenize(text: str) -> List[Token]:
    """Splits ``text`` into tokens as ``rubric tokenize`` does; offsets in code points."""

class Gazetteer:
    """A gazetteer: entries and their automaton, shared by every annotator that uses it."""

    @staticmethod
    def from_tsv(path: StrPath) -> Gazetteer:
        """Reads ``pattern<TAB>label[<TAB>id[<TAB>priority[<TAB>case]]]`` lines.
        Raises :class:`rubric.GazetteerError` naming the file and line of a bad one."""
    @staticmethod
    def from_patterns(patterns: Iterable[Dict[str, Any]]) -> Gazetteer:
        """Builds a gazetteer from spaCy EntityRuler pattern dicts; errors are located
        at ``<patterns>:N``, N the 1-based position in ``patterns``."""
    @staticmethod
    def load(path: StrPath) -> Gazetteer:
        """Reads a compiled (``.rgz``), TSV (``.tsv``) or patterns (``.jsonl``) file."""
    @staticmethod
    def default() -> Gazetteer:
        """The gazetteer built into rubric (``corpus/gazetteer/default.tsv``)."""
    def compile(self, path: StrPath) -> None:
        """Writes the compiled form, which :meth:`load` reads back in milliseconds."""
    def stats(self) -> Dict[str, Any]:
        """``entries``, ``patterns``, ``ids``, ``labels`` (entries per label),
        ``diacritics`` and ``automaton_bytes``: ``rubric gazetteer stats``' figures."""
    def __len__(self) -> int: ...

GazetteerArg = Union[None, Gazetteer, StrPath, Sequence[Union[Gazetteer, StrPath]]]

class Annotator:
    """Tokenizes and matches texts; see :class:`rubric.Annotator`."""

    def __init__(
        self,
        gazetteer: GazetteerArg = None,
        overlaps: str = "longest",
        aliases: bool = True,
        labels: Optional[List[str]] = None,
    ) -> None: ...
    def annotate(self, text: str, id: Optional[str] = None, explain: bool = False) -> Dict[str, Any]:
        """The record of ``text``: exactly the JSON object ``rubric annotate`` writes
        (``id``, ``text``, ``tokens``, ``spans``, ``meta``), offsets in code points.
        ``id`` defaults to ``"0"``. With ``explain``, ``meta.explain`` lists every
        dropped candidate, why, and what beat it."""
    def _spans(
        self, text: str, candidates: bool = False
    ) -> Tuple[List[Tuple[int, int, str, Optional[str]]], List[Tuple[int, int, str, Optional[str]]]]: ...
    def _annotate_batch(
        self, documents: List[Tuple[str, str]], threads: int, explain: bool = False
    ) -> List[Dict[str, Any]]: ...

def _diff(
    gold_jsonl: str,
    pred_jsonl: str,
    gold_name: str,
    pred_name: str,
    allow_missing: bool = False,
    min_overlap: float = 1.0,
) -> Dict[str, Any]: ...
