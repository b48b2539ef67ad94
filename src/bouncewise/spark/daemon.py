"""PySpark's Python daemon, with bouncewise's tables loaded before it forks its workers.

Set as ``spark.python.daemon.module`` by bouncewise.spark.session: each executor's daemon
loads the format decoders, phrase tables and knowledge base once, and every Python worker
it forks starts with them (shared copy-on-write) instead of loading its own.
"""

from __future__ import annotations

if __name__ == "__main__":
    try:
        from bouncewise.spark._worker import ensure_warm

        ensure_warm()
    except Exception:  # pragma: no cover - the workers then load the tables themselves
        pass
    from pyspark.daemon import manager

    manager()
