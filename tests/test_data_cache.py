"""bouncewise._data: parsed and derived tables are cached per content and never stale."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bouncewise import _data


@pytest.fixture
def pkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package folder of our own with one TOML file, caches written under tmp_path."""
    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    (root / "data" / "t.toml").write_text('[meta]\nsource = "test"\n[x]\nwords = ["a", "b"]\n')
    monkeypatch.setattr(_data, "_PKG", str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BOUNCEWISE_NO_DATA_CACHE", raising=False)
    return root


def test_derived_table_is_built_once_then_read_from_its_cache(pkg: Path) -> None:
    calls: list[int] = []

    def build():
        calls.append(1)
        words = _data.parse_toml("data/t.toml")["x"]["words"]
        return {"index": {w: i for i, w in enumerate(words)}, "n": len(words)}

    first = _data.load_derived("words", ("data/t.toml",), build)
    again = _data.load_derived("words", ("data/t.toml",), build)
    assert first == again == {"index": {"a": 0, "b": 1}, "n": 2}
    assert calls == [1]
    assert any(p.name.startswith("data-derived-words.") for p in (pkg / "__pycache__").iterdir())


def test_derived_table_follows_its_sources_and_version(pkg: Path) -> None:
    def build():
        return tuple(_data.parse_toml("data/t.toml")["x"]["words"])

    assert _data.load_derived("w", ("data/t.toml",), build) == ("a", "b")
    (pkg / "data" / "t.toml").write_text('[x]\nwords = ["c"]\n')
    assert _data.load_derived("w", ("data/t.toml",), build) == ("c",)  # an edited source: rebuilt
    assert _data.load_derived("w", ("data/t.toml",), lambda: "v2", version="2") == "v2"  # a new builder


def test_derived_table_without_any_cache_folder_is_built_each_time(pkg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOUNCEWISE_NO_DATA_CACHE", "1")
    calls: list[int] = []
    for _ in range(2):
        assert _data.load_derived("w", ("data/t.toml",), lambda: calls.append(1) or [1]) == [1]
    assert calls == [1, 1]
    assert not (pkg / "__pycache__").exists()


def test_a_cache_folder_that_cannot_be_written_falls_back(pkg: Path) -> None:
    (pkg / "__pycache__").write_text("not a folder")  # the package's own cache folder is unusable
    assert _data.load_derived("w", ("data/t.toml",), lambda: {"k": [1, 2]}) == {"k": [1, 2]}
    xdg = Path(os.environ["XDG_CACHE_HOME"]) / "bouncewise"
    assert any(p.name.startswith("data-derived-w.") for p in xdg.iterdir())
    shutil.rmtree(xdg)


def test_digest_is_sha256() -> None:
    import hashlib

    assert _data._digest(b"bounce") == hashlib.sha256(b"bounce").hexdigest()


def test_derived_table_with_an_unreadable_source_is_built_and_not_cached(pkg: Path) -> None:
    calls: list[int] = []
    for _ in range(2):
        got = _data.load_derived("w", ("data/t.toml", "data/gone.py"), lambda: calls.append(1) or {"k": 1})
        assert got == {"k": 1}
    assert calls == [1, 1]
    cache = pkg / "__pycache__"
    assert not cache.exists() or not any(p.name.startswith("data-derived-w.") for p in cache.iterdir())
