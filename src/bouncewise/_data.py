"""Loading the package's data files: once, on first use, from inside the package."""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_toml(relpath: str) -> dict[str, Any]:
    """Load ``bouncewise/<relpath>`` (TOML) once; callers must not mutate the result."""
    ref = resources.files("bouncewise").joinpath(relpath)
    with ref.open("rb") as fh:
        return tomllib.load(fh)


@cache
def load_json(relpath: str) -> Any:
    """Load ``bouncewise/<relpath>`` (JSON) once; callers must not mutate the result."""
    ref = resources.files("bouncewise").joinpath(relpath)
    with ref.open("rb") as fh:
        return json.load(fh)


def data_files(reldir: str, suffix: str = ".toml") -> list[str]:
    """Relative paths of the data files in a package folder, sorted (for tests and tools)."""
    base = resources.files("bouncewise").joinpath(reldir)
    return sorted(f"{reldir}/{p.name}" for p in base.iterdir() if p.name.endswith(suffix))
