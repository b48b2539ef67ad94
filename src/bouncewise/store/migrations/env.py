"""Alembic environment of the store. bouncewise runs it programmatically (see
bouncewise.store.engine.upgrade), handing over an open connection in
``config.attributes["connection"]``; there is no alembic.ini."""

from __future__ import annotations

from alembic import context

from bouncewise.store.schema import METADATA

VERSION_TABLE = "bouncewise_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs `alembic` by hand
    raise RuntimeError("run the store's migrations with `bouncewise db upgrade` or bouncewise.store.open_store()")

context.configure(connection=connection, target_metadata=METADATA, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
