"""Helpers shared by several test modules (imported as ``from conftest import ...``)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

import pytest

from bouncewise.formats import REGISTRY

ROOT = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    """The shared corpus: env BOUNCEWISE_CORPUS when set, else ../shared/corpus beside the
    repository. Tests that need it skip, naming this path, when it is absent."""
    given = os.environ.get("BOUNCEWISE_CORPUS", "").strip()
    return Path(given).expanduser().resolve() if given else ROOT.parent / "shared" / "corpus"


def shared_dir() -> Path:
    """The shared data folder (the corpus's parent: it also holds iana/ and seeds/)."""
    return corpus_dir().parent


CORPUS = corpus_dir()


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
