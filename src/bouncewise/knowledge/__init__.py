"""The SMTP code knowledge base: what a reply code or enhanced status code means.

Public API (stable; other layers code against it)::

    lookup(code, vendor=None) -> Entry | None      # one exact code: "550", "5.1.1"
    explain(query, vendor=None) -> Explanation     # a code, a pair "550 5.1.1", a family "5.1.x"
    codes(query=None, cls=None, category=None, vendor=None) -> list[Entry]
    vendors() -> list[str]
    validate() -> list[str]                        # problems found in the data (empty = fine)

The work is done in the modules beside this one: ``entries`` (result types and vocabulary),
``forms`` (what a code looks like), ``sources`` (the data files and vendor layers),
``lookups`` (one code's entry), ``explaining`` (codes, pairs, families), ``listing``
(``codes``) and ``checks`` (``validate``). Where the data comes from and how to extend it:
docs/knowledge.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bouncewise.knowledge.entries import (
    CATEGORIES,
    CLASSES,
    KINDS,
    RETRY,
    WHO_ACTS,
    Entry,
    Explanation,
    Reading,
)
from bouncewise.knowledge.forms import MAX_QUERY, VALID_FORMS
from bouncewise.knowledge.lookups import lookup
from bouncewise.knowledge.sources import vendors

if TYPE_CHECKING:  # pragma: no cover
    from bouncewise.knowledge.explaining import explain
    from bouncewise.knowledge.listing import codes

# imported on first use: the diagnosis engine needs only lookup()
_LAZY = {"explain": "bouncewise.knowledge.explaining", "codes": "bouncewise.knowledge.listing"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value

__all__ = [
    "Entry",
    "Reading",
    "Explanation",
    "lookup",
    "explain",
    "codes",
    "vendors",
    "validate",
    "KINDS",
    "CLASSES",
    "CATEGORIES",
    "WHO_ACTS",
    "RETRY",
    "MAX_QUERY",
    "VALID_FORMS",
]


def validate() -> list[str]:
    """Check every data file against the schema; returns a list of problems (empty when fine)."""
    from bouncewise.knowledge.checks import validate as _validate

    return _validate()
