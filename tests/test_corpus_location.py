"""Where the tests look for the shared corpus: env BOUNCEWISE_CORPUS, else ../shared/corpus
beside the repository."""

from __future__ import annotations

from pathlib import Path

import conftest


def test_default_is_beside_the_repository(monkeypatch) -> None:
    monkeypatch.delenv("BOUNCEWISE_CORPUS", raising=False)
    root = Path(conftest.__file__).resolve().parents[1]
    assert conftest.corpus_dir() == root.parent / "shared" / "corpus"
    assert conftest.shared_dir() == root.parent / "shared"


def test_environment_variable_wins(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOUNCEWISE_CORPUS", str(tmp_path / "corpus"))
    assert conftest.corpus_dir() == tmp_path / "corpus"
    assert conftest.shared_dir() == tmp_path
