"""The bounce store: every record bouncewise produces, kept in SQLite or PostgreSQL, and the
suppression decisions a policy draws from them. Needs the ``store`` extra
(``pip install 'bouncewise[store]'``); nothing here is imported by the core CLI at start-up.

    from bouncewise.store import open_store
    store = open_store("postgresql://bw@127.0.0.1/bw")   # or None: env BOUNCEWISE_DB / default file
    for rec in store.records(kinds=["bounce"]):          # dicts shaped like Record.to_dict()
        ...
    store.close()
"""

from __future__ import annotations

from bouncewise.store.core import ERRORS, IngestStats, Store, StoreError, open_store

__all__ = ["ERRORS", "IngestStats", "Store", "StoreError", "open_store"]
