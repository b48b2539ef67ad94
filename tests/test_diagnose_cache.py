"""The diagnosis tables come from a derived cache (bouncewise._data.load_derived): the tables
read back from it diagnose exactly as the tables built from the data files, and an edited data
file (or an edited builder) makes the next process build them again."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bouncewise import _data
from bouncewise.diagnosis import tables as tables_mod

ROOT = Path(__file__).resolve().parents[1]
REPLIES = Path(__file__).parent / "fixtures" / "replies" / "replies.tsv"

# Diagnoses every reply of the table (bare, and as a bounce's failed recipient), with the
# diagnosis tables' cache in the folder given (or none: "-"). "cached" refuses to build the
# tables, so it can only have read them from the cache.
SCRIPT = r"""
import json, sys
from bouncewise import _data
from bouncewise.diagnosis import tables as tm
mode, folder, table = sys.argv[1:4]
_data.cache_dirs = lambda: [] if folder == "-" else [folder]
if mode == "cached":
    def refuse():
        raise SystemExit("the tables were built, not read from the cache")
    tm.build_plain = refuse
from bouncewise.diagnosis import diagnose
texts = [ln.split("\t", 4)[4] for ln in open(table, encoding="utf-8").read().splitlines()
         if ln.strip() and not ln.startswith("#")]
out = [diagnose(t).to_dict() for t in texts]
out += [diagnose(t, context="bounce", action="failed").to_dict() for t in texts]
print(json.dumps({"n": len(texts), "built": tm.tables.cache_info().currsize, "out": out}))
"""


def _run(mode: str, folder: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, folder, str(REPLIES)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_cached_tables_diagnose_every_reply_as_fresh_ones(tmp_path: Path) -> None:
    folder = str(tmp_path / "cache")
    fresh = _run("fresh", "-")  # no cache folder: built from the data files
    first = _run("fresh", folder)  # builds and writes the cache
    assert [p.name for p in Path(folder).iterdir() if "diagnosis-tables" in p.name]
    cached = _run("cached", folder)  # reads it (building would fail)
    assert fresh["n"] > 800
    assert cached["out"] == fresh["out"]
    assert first["out"] == fresh["out"]


def test_tables_from_cached_plain_data_equal_fresh_ones() -> None:
    plain = tables_mod.build_plain()
    again = marshal.loads(marshal.dumps(plain))  # what a later process reads
    assert again == plain
    a, b = tables_mod.from_plain(plain), tables_mod.from_plain(again)
    assert list(a.index.phrases) == list(b.index.phrases)
    assert a.index.by_word == b.index.by_word and a.index.raw == b.index.raw
    assert a.providers == b.providers and a.anywhere == b.anywhere
    assert (a.anywhere_tests, a.anywhere_chars) == (b.anywhere_tests, b.anywhere_chars)
    # the same phrase object for a rank every time (the engine compares them by identity)
    assert b.index.phrases[5] is b.index.phrases[5]
    # code patterns are compiled on first use only, to the same pattern
    coded = [pid for pid, p in b.providers.items() if p.code_pattern]
    assert coded and all(b.providers[pid]._rx is None for pid in coded)
    for pid in coded:
        rx, fresh = b.providers[pid].code_re, a.providers[pid].code_re
        assert rx is not None and fresh is not None and (rx.pattern, rx.flags) == (fresh.pattern, fresh.flags)


@pytest.fixture
def pkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the diagnosis data and builder, as the package, with its own cache folder."""
    root = tmp_path / "pkg"
    src = Path(tables_mod.__file__).parent
    shutil.copytree(src / "data", root / "diagnosis" / "data")
    for name in ("tables.py", "prefilters.py"):
        shutil.copy(src / name, root / "diagnosis" / name)
    monkeypatch.setattr(_data, "_PKG", str(root))
    monkeypatch.setattr(_data, "cache_dirs", lambda: [str(tmp_path / "cache")])
    _data.load_toml.cache_clear()
    yield root
    _data.load_toml.cache_clear()


def _load(build=tables_mod.build_plain) -> dict:
    _data.load_toml.cache_clear()  # (a new process: the TOML is read again)
    return _data.load_derived("diagnosis-tables", tables_mod.sources(), build)


def _refuse() -> dict:
    raise AssertionError("built again although nothing changed")


def test_an_edited_data_file_or_builder_invalidates_the_cache(pkg: Path) -> None:
    before = _load()
    assert _load(_refuse) == before  # unchanged sources: read from the cache

    phrases = pkg / "diagnosis" / "data" / "phrases.toml"
    text = phrases.read_text(encoding="utf-8")
    assert '"mailbox full",' in text
    phrases.write_text(text.replace('"mailbox full",', '"mailbox full", "mailbox brimming over",', 1), encoding="utf-8")
    after = _load()
    raws = [marshal.loads(row)[1] for row in after["index"]["phrases"]]
    assert "mailbox brimming over" in raws and raws != [marshal.loads(row)[1] for row in before["index"]["phrases"]]
    t = tables_mod.from_plain(after)
    padded, words = tables_mod.normalise("452 4.2.2 Mailbox brimming over")
    assert any(p.raw == "mailbox brimming over" for p in t.index.search(padded, words, None))
    assert _load(_refuse) == after

    provider = pkg / "diagnosis" / "data" / "providers" / "zzz-new.toml"
    provider.write_text('[provider]\nid = "zzz"\nname = "Zzz Mail"\nhosts = ["zzz.example"]\n', encoding="utf-8")
    added = _load()  # a new provider file is a new source
    assert added["host_map"]["zzz.example"] == "zzz"

    builder = pkg / "diagnosis" / "tables.py"
    builder.write_text(builder.read_text(encoding="utf-8") + "\n# a change to the builder\n", encoding="utf-8")
    calls: list[int] = []
    assert _load(lambda: calls.append(1) or added) == added
    assert calls == [1]  # an edited builder: built again


def test_the_build_step_names_functions_that_exist() -> None:
    import importlib

    for spec in _data.DERIVED:
        module, _, func = spec.partition(":")
        assert callable(getattr(importlib.import_module(module), func)), spec
