"""Loading the package's data files: once, on first use, from inside the package.

Parsing TOML with tomllib (pure Python) costs a few milliseconds per file in every
process, so ``load_toml`` keeps the parsed content in a cache file (``marshal`` format),
one per data file, tagged with the SHA-256 of the TOML bytes it was made from. A cache is
used only when that hash equals the hash of the data file's current bytes, so an edited
data file is always parsed again (never a stale table). Where the cache lives:

1. the package's own ``__pycache__`` folder (next to Python's byte-code caches), when it
   can be written - a checkout, or an install made by the user running it;
2. otherwise ``$XDG_CACHE_HOME/bouncewise`` (``~/.cache/bouncewise`` by default);
3. when neither can be written (a read-only install, no home), nothing is cached and
   the TOML is parsed each time.

``BOUNCEWISE_NO_DATA_CACHE=1`` turns the cache off. ``python -m bouncewise._data``
builds the caches of every data file and the derived tables of DERIVED (e.g. at build or
install time); otherwise the first process that needs a cache writes it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

# The package folder. A plain path (importlib.resources costs milliseconds to import):
# bouncewise is always installed as files, never zipped.
_PKG = os.path.dirname(os.path.abspath(__file__))
_FORMAT = 1  # bump when the layout of a cache file changes
_TAG = f"{sys.implementation.cache_tag or 'py'}-data{_FORMAT}"


def _path(relpath: str) -> str:
    return os.path.join(_PKG, *relpath.split("/"))


def cache_dirs() -> list[str]:
    """Folders where data caches are looked for (first is preferred for writing)."""
    if os.environ.get("BOUNCEWISE_NO_DATA_CACHE", "").strip() not in ("", "0"):
        return []
    dirs = [os.path.join(_PKG, "__pycache__")]
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base or not os.path.isabs(base):
        home = os.path.expanduser("~")
        base = os.path.join(home, ".cache") if home and home != "~" else ""
    if base:
        dirs.append(os.path.join(base, "bouncewise"))
    return dirs


def _cache_name(relpath: str) -> str:
    return "data-" + relpath.replace("/", "-").replace("\\", "-") + f".{_TAG}.marshal"


def _sha256() -> Callable[..., Any]:
    try:  # the interpreter's own SHA-256 (hashlib would load OpenSSL first: milliseconds)
        from _sha256 import sha256  # type: ignore[import-not-found]  # Python 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12+
        except ImportError:
            from hashlib import sha256
    return sha256


def _digest(raw: bytes) -> str:
    return _sha256()(raw).hexdigest()


def _read_cache(relpath: str, digest: str, dirs: list[str], kind: type | None = dict) -> Any:
    """The cached content for these exact source bytes: None when there is none (or, with
    ``kind`` None, for content of any type, _MISSING)."""
    import marshal

    name = _cache_name(relpath)
    for folder in dirs:
        try:
            with open(os.path.join(folder, name), "rb") as fh:
                entry = marshal.loads(fh.read())
        except (OSError, EOFError, ValueError, TypeError):
            continue
        if (
            type(entry) is tuple
            and len(entry) == 3
            and entry[0] == _FORMAT
            and entry[1] == digest
            and (kind is None or type(entry[2]) is kind)
        ):
            return entry[2]
    return None if kind is not None else _MISSING


def _write_cache(relpath: str, digest: str, data: Any, dirs: list[str]) -> str | None:
    """Store the cache in the first folder that can take it (atomically); the path, or None."""
    import marshal

    try:
        blob = marshal.dumps((_FORMAT, digest, data))
    except ValueError:  # a value marshal cannot store (a TOML date): no cache for this file
        return None
    name = _cache_name(relpath)
    for folder in dirs:
        target = os.path.join(folder, name)
        tmp = f"{target}.{os.getpid()}.tmp"
        try:
            os.makedirs(folder, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, target)
            return target
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return None


def parse_toml(relpath: str) -> dict[str, Any]:
    """``bouncewise/<relpath>`` parsed by tomllib (no cache)."""
    import tomllib

    with open(_path(relpath), "rb") as fh:
        return tomllib.load(fh)


@cache
def load_toml(relpath: str) -> dict[str, Any]:
    """Load ``bouncewise/<relpath>`` (TOML) once; callers must not mutate the result.
    Served from a cache made from the same bytes when there is one (see above)."""
    with open(_path(relpath), "rb") as fh:
        raw = fh.read()
    dirs = cache_dirs()
    if not dirs:
        import tomllib

        return tomllib.loads(raw.decode("utf-8"))
    digest = _digest(raw)
    data = _read_cache(relpath, digest, dirs)
    if data is None:
        import tomllib

        data = tomllib.loads(raw.decode("utf-8"))
        _write_cache(relpath, digest, data, dirs)
    return data


def load_derived(name: str, sources: tuple[str, ...], build: Callable[[], Any], version: str = "1") -> Any:
    """A table derived from data files (a phrase index, a vocabulary, matcher sources):
    ``build()`` once, its result kept in a cache file beside the TOML caches, keyed by
    SHA-256 over ``name``, ``version`` and the bytes of every file in ``sources`` (paths
    relative to the package). Any change to a source file, or a new ``version`` (bump it
    when ``build`` changes), makes it build again; never a stale table. ``build`` must
    return what ``marshal`` can store (dicts, lists, tuples, sets, str, bytes, numbers,
    None, bool): turn that into objects afterwards. Not memoised here: wrap the caller in
    functools.cache. The first process that needs one writes it; ``python -m
    bouncewise._data`` builds those that DERIVED names."""
    dirs = cache_dirs()
    if not dirs:
        return build()
    h = _sha256()(f"{name}\0{version}\0".encode())
    for rel in sources:
        try:
            with open(_path(rel), "rb") as fh:
                raw = fh.read()
        except OSError:  # a source that cannot be read (e.g. an install without .py files): no cache
            return build()
        h.update(f"{rel}\0{len(raw)}\0".encode())
        h.update(raw)
    digest = h.hexdigest()
    key = f"derived/{name}"
    data = _read_cache(key, digest, dirs, kind=None)
    if data is _MISSING:
        data = build()
        _write_cache(key, digest, data, dirs)
    return data


_MISSING = object()


@cache
def load_json(relpath: str) -> Any:
    """Load ``bouncewise/<relpath>`` (JSON) once; callers must not mutate the result."""
    with open(_path(relpath), "rb") as fh:
        return json.load(fh)


def data_files(reldir: str, suffix: str = ".toml") -> list[str]:
    """Relative paths of the data files in a package folder, sorted (for tests and tools)."""
    return sorted(f"{reldir}/{name}" for name in os.listdir(_path(reldir)) if name.endswith(suffix))


def all_toml_files() -> list[str]:
    """Every TOML data file of the package (relative paths, sorted)."""
    out: list[str] = []
    for root, dirs, files in os.walk(_PKG):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        rel = os.path.relpath(root, _PKG).replace(os.sep, "/")
        out.extend(name if rel == "." else f"{rel}/{name}" for name in files if name.endswith(".toml"))
    return sorted(out)


def build_caches() -> list[str]:
    """Write the cache of every TOML data file (build or install time); the paths written."""
    written: list[str] = []
    dirs = cache_dirs()
    for rel in all_toml_files():
        with open(_path(rel), "rb") as fh:
            raw = fh.read()
        digest = _digest(raw)
        if _read_cache(rel, digest, dirs) is not None:
            continue
        import tomllib

        target = _write_cache(rel, digest, tomllib.loads(raw.decode("utf-8")), dirs)
        if target:
            written.append(target)
    return written


# The functions that load (and so, when missing or stale, build) the derived tables, as
# "module:function": what ``python -m bouncewise._data`` calls after the TOML caches.
DERIVED = (
    "bouncewise.diagnosis.tables:tables",
    "bouncewise.diagnosis.reading:_commands_low",
)


def build_derived() -> None:
    """Load every derived table of DERIVED once (building and storing those not cached)."""
    import importlib

    for spec in DERIVED:
        module, _, func = spec.partition(":")
        getattr(importlib.import_module(module), func)()


if __name__ == "__main__":  # pragma: no cover - a build step
    for path in build_caches():
        print(path)
    build_derived()
