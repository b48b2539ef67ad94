"""Database URLs, engines and the schema migrations run on open.

URL forms accepted (``--db`` or env BOUNCEWISE_DB):

- ``postgresql://user:pass@host:5432/db`` (also ``postgres://``): PostgreSQL through psycopg 3;
- ``sqlite:///relative/file.db``, ``sqlite:////absolute/file.db``;
- a plain path (``bounces.db``): a SQLite file;
- nothing: the default SQLite file (see default_path()).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url

ENV_DB = "BOUNCEWISE_DB"
SQLITE_BUSY_MS = 120_000  # how long a SQLite writer waits for another one (ms)
_PG_MIGRATION_LOCK = 0x626F756E  # an arbitrary advisory-lock number ("boun")


def default_path() -> Path:
    """$XDG_DATA_HOME/bouncewise/bouncewise.db (~/.local/share/bouncewise/bouncewise.db)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "bouncewise" / "bouncewise.db"


def resolve_url(url: str | None = None) -> URL:
    """The SQLAlchemy URL for ``url``, env BOUNCEWISE_DB or the default SQLite file."""
    raw = (url or os.environ.get(ENV_DB) or "").strip()
    if not raw:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return URL.create("sqlite", database=str(path))
    if "://" not in raw:
        return URL.create("sqlite", database=str(Path(raw).expanduser()))
    try:
        u = make_url(raw)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError
        raise ValueError(f"not a database URL: {exc}") from None
    name = u.drivername
    if name in ("postgres", "postgresql", "postgresql+psycopg"):
        return u.set(drivername="postgresql+psycopg")
    if name in ("sqlite", "sqlite+pysqlite"):
        return u
    raise ValueError(f"unsupported database {name!r}: use a postgresql:// URL or a SQLite file")


def shown(url: URL) -> str:
    """The URL with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun below, not by the driver
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # A writer takes the write lock at once (BEGIN IMMEDIATE): two processes that
            # both read and then write would otherwise deadlock on the upgrade of their locks.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("bw_write") else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": "bouncewise_alembic_version"}).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> bool:
    """Bring the schema to ``revision``; True when something was done. Safe when several
    processes open a new store at once: SQLite serialises them with its write lock,
    PostgreSQL with an advisory lock held for the migration's transaction."""
    from alembic import command

    if revision == "head" and current_revision(engine) == head_revision():
        return False
    with engine.connect() as conn:
        conn.execution_options(bw_write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            command.upgrade(_alembic_config(conn), revision)
    return True
