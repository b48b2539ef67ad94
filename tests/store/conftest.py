"""Fixtures of the store tests: a fresh SQLite file and a fresh PostgreSQL schema.
(tests/store is a package, so this conftest and helpers.py never shadow tests/conftest.py.)"""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy", reason="the store extra is not installed (pip install -e '.[store]')")

from .helpers import pg_unavailable, pg_url, reset_pg  # noqa: E402


@pytest.fixture
def pg(request) -> str:
    url = pg_url()
    why = pg_unavailable(url)
    if why:
        pytest.skip(why)
    reset_pg(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty store URL: a SQLite file, then the test PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg")


