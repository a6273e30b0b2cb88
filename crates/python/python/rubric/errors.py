"""rubric's exceptions: every error rubric raises is a :class:`RubricError`.

Each carries what the command line reports: ``kind`` (what went wrong, e.g.
``missing_label``), ``location`` (``file:line`` or ``<patterns>:N`` when the error
is tied to an input, else ``None``) and ``message`` (the full message, which says
what to do next).
"""

from __future__ import annotations

from typing import Optional


class RubricError(Exception):
    """Base class of every rubric error."""

    def __init__(self, kind: str, location: Optional[str], message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.location = location
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, location={self.location!r}, message={self.message!r})"


class GazetteerError(RubricError):
    """A gazetteer could not be read, built or written."""


class RecordError(RubricError):
    """A record or span is malformed (bad offsets, bad label, bad JSON)."""


class DiffError(RubricError):
    """Two sets of records could not be compared."""


class UsageError(RubricError, ValueError):
    """An argument has a value rubric does not accept."""


class AlignmentError(RubricError):
    """A span does not align with spaCy's tokens and ``misaligned="error"``."""
