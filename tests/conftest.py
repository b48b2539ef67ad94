"""Helpers shared by several test modules (imported as ``from conftest import ...``)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from bouncewise.formats import REGISTRY


def have(module: str, attr: str) -> bool:
    """True when ``module`` imports and defines ``attr`` (a part of the engine is in the tree)."""
    try:
        return hasattr(importlib.import_module(module), attr)
    except ImportError:
        return False


needs_knowledge = pytest.mark.skipif(
    not have("bouncewise.knowledge", "explain"), reason="knowledge base (bouncewise.knowledge) not built yet"
)
needs_diagnosis = pytest.mark.skipif(
    not have("bouncewise.diagnosis", "diagnose"),
    reason="diagnosis engine (bouncewise.diagnosis) not built yet",
)
needs_events = pytest.mark.skipif(
    not have("bouncewise.events", "records_from_json"), reason="ESP events (bouncewise.events) not built yet"
)


def first_decoder(msg) -> tuple[ModuleType, list] | tuple[None, None]:
    """What the pipeline does: the first registered decoder that detects and decodes msg."""
    for name in REGISTRY:
        mod = importlib.import_module(f"bouncewise.formats.{name}")
        if mod.detect(msg):
            blocks = mod.decode(msg)
            if blocks:
                return mod, blocks
    return None, None
