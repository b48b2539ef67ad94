"""bouncewise: why an email was not delivered, and what to do about it.

The public API is small and imported lazily, so ``import bouncewise`` stays fast:

    bouncewise.explain("5.1.1")            -> Explanation (knowledge base)
    bouncewise.diagnose("550 5.1.1 ...")   -> Diagnosis (one reply or log line)
    bouncewise.parse(path_or_bytes)        -> iterator of Record (bounce messages)
    bouncewise.codes(query=None, ...)      -> list of knowledge-base entries

Every result object has ``to_dict()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "explain", "diagnose", "parse", "codes", "REASONS"]

_LAZY = {
    "explain": ("bouncewise.knowledge", "explain"),
    "codes": ("bouncewise.knowledge", "codes"),
    "diagnose": ("bouncewise.diagnosis", "diagnose"),
    "parse": ("bouncewise.pipeline", "parse"),
    "REASONS": ("bouncewise.reasons", "REASONS"),
}

if TYPE_CHECKING:  # pragma: no cover
    from bouncewise.diagnosis import diagnose
    from bouncewise.knowledge import codes, explain
    from bouncewise.pipeline import parse
    from bouncewise.reasons import REASONS


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'bouncewise' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
