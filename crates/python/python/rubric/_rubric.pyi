"""Type stubs of the extension module; the public API is re-exported by ``rubric``."""

from os import PathLike
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

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

def tokenize(text: str, tokenizer: str = "news") -> List[Token]:
    """Splits ``text`` into tokens as ``rubric tokenize --tokenizer`` does; offsets in code
    points. ``tokenizer``: ``"news"`` (rubric's rules) or ``"spacy"`` (spaCy 3.8's English
    tokenizer exactly); anything else raises :class:`rubric.UsageError`."""

class Gazetteer:
    """A gazetteer: entries and their automaton, shared by every annotator that uses it."""

    @staticmethod
    def from_tsv(path: StrPath) -> Gazetteer:
        """Reads ``pattern<TAB>label[<TAB>id[<TAB>priority[<TAB>case]]]`` lines.
        Raises :class:`rubric.GazetteerError` naming the file and line of a bad one."""
    @staticmethod
    def from_patterns(patterns: Iterable[Dict[str, Any]]) -> Gazetteer:
        """Builds a gazetteer from spaCy EntityRuler pattern dicts, phrase and token
        patterns (spaCy's Matcher language, with rubric's lexicons, ``IN_SPAN`` and
        ``name``; see the rubric-gazetteer README); errors are located at
        ``<patterns>:N``, N the 1-based position in ``patterns``. A lexicon given by
        ``path`` is read relative to the working directory; ``words`` needs none."""
    @staticmethod
    def load(path: StrPath) -> Gazetteer:
        """Reads a compiled (``.rgz``), TSV (``.tsv``) or patterns (``.jsonl``) file."""
    @staticmethod
    def default() -> Gazetteer:
        """The gazetteer built into rubric (``corpus/gazetteer/default.tsv``)."""
    def compile(self, path: StrPath) -> None:
        """Writes the compiled form, which :meth:`load` reads back in milliseconds."""
    def stats(self) -> Dict[str, Any]:
        """``entries``, ``patterns``, ``ids``, ``labels`` (entries and token patterns
        per label), ``diacritics`` and ``automaton_bytes``, plus ``token_patterns``
        and ``lexicons`` when there are any: ``rubric gazetteer stats``' figures."""
    def __len__(self) -> int: ...

class Record:
    """One annotated document: a read-only mapping with exactly the keys and values
    of the JSON object ``rubric annotate`` writes, in its order (``id``, ``text``,
    ``tokens``, ``spans``, ``meta``; offsets in code points).

    Values are built on first access and kept: ``record["tokens"]`` makes the
    tokens' dicts the first time and returns the same list after that, so a
    caller that reads only the spans never pays for them. It compares equal to
    the dict ``json.loads`` makes of the line (either way round), and
    ``dict(record)``, ``{**record}`` and :meth:`to_dict` give that dict.
    ``json.dumps`` only takes real dicts: use :meth:`to_json` or
    :meth:`to_dict`. Changes made to a value (``record["spans"][0]["label"] =
    ...``) are what the record shows, :meth:`to_json` and :meth:`to_dict`
    included. Unhashable, as a dict; pickles (and copies) as its JSON line."""

    def __getitem__(self, key: str) -> Any: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def __contains__(self, key: object) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def keys(self) -> List[str]:
        """``["id", "text", "tokens", "spans", "meta"]`` (a list, not a view)."""
    def values(self) -> List[Any]:
        """The values in the keys' order (a list, not a view)."""
    def items(self) -> List[Tuple[str, Any]]:
        """``(key, value)`` pairs in the keys' order (a list, not a view)."""
    def to_dict(self) -> Dict[str, Any]:
        """A plain dict with the same keys and values (not copies), as ``dict(record)``."""
    def to_json(self) -> str:
        """The JSON line ``rubric annotate`` writes for this record, without its newline."""
    def __eq__(self, other: object) -> bool: ...

def _record_from_json(line: str) -> Record: ...

GazetteerArg = Union[None, Gazetteer, StrPath, Sequence[Union[Gazetteer, StrPath]]]

class Annotator:
    """Tokenizes and matches texts; see :class:`rubric.Annotator`."""

    def __init__(
        self,
        gazetteer: GazetteerArg = None,
        overlaps: str = "longest",
        aliases: bool = True,
        labels: Optional[List[str]] = None,
        tokenizer: str = "news",
        rules: Union[None, str, Sequence[str]] = None,
        no_rules: Optional[List[str]] = None,
        tokens: bool = True,
    ) -> None: ...
    def annotate(self, text: str, id: Optional[str] = None, explain: bool = False) -> Record:
        """The record of ``text``: a :class:`Record` with exactly the keys and values of
        the JSON object ``rubric annotate`` writes (``id``, ``text``, ``tokens``,
        ``spans``, ``meta``), offsets in code points.
        ``id`` defaults to ``"0"``. With ``explain``, ``meta.explain`` lists every
        dropped candidate, why, and what beat it."""
    def _annotate_batch(
        self, documents: List[Tuple[str, str]], threads: int, explain: bool = False
    ) -> List[Record]: ...

SpanRow = Tuple[int, int, str, str]
Existing = Tuple[int, int, str, str, int]
Outcome = Tuple[bytes, int, List[str], Optional[List[SpanRow]], Dict[str, int]]

class _Ruler:
    """The Rust half of ``rubric_ruler``: rebuilds a ``Doc``'s text and tokens from
    its tokens' string ids, matches the annotator's gazetteers on those tokens,
    resolves the spans (``filter_spans``' rules), merges them with the ``Doc``'s
    entities (``overwrite_ents``) and returns the entity columns ``Doc.set_ents``
    would write."""

    def __init__(self, annotator: Annotator, overwrite_ents: bool, with_candidates: bool) -> None: ...
    def _unknown(self, tokens: List[bytes]) -> List[int]:
        """The string ids in ``tokens`` (one
        ``Doc.to_array([ORTH, SPACY, ENT_KB_ID, ENT_ID]).tobytes()`` per
        document) not learnt yet, each once."""
    def _learn(self, pairs: List[Tuple[int, str]]) -> None:
        """Learns ``(id, string)`` pairs from a vocab's ``StringStore``; raises
        :class:`rubric.UsageError` if an id is not its string's."""
    def _process_batch(self, documents: List[Tuple[bytes, List[Existing]]]) -> List[Outcome]:
        """For each ``(tokens, existing)`` (``existing``: the ``Doc``'s entities as
        ``(start, end, label_, kb_id_, id)``), in order, without the GIL: the
        ``[ENT_IOB, ENT_TYPE]`` columns for ``Doc.from_array`` (``uint64``), then
        ``ENT_KB_ID`` and ``ENT_ID`` where a token's value changes, which of those
        two follow (0 neither, 1 ``ENT_KB_ID``, 2 ``ENT_ID``, 3 both), the strings they use, the candidates
        ``(start, end, label, kb_id)`` in tokens (``with_candidates``, else
        ``None``) and the counts for
        ``doc.user_data["rubric"]``."""

def _convert(
    records_jsonl: str,
    to: str,
    name: str,
    misaligned: str,
    offsets: str,
    doccano_layout: str,
) -> Dict[str, bytes]: ...

def _diff(
    gold_jsonl: str,
    pred_jsonl: str,
    gold_name: str,
    pred_name: str,
    allow_missing: bool = False,
    min_overlap: float = 1.0,
) -> Dict[str, Any]: ...
