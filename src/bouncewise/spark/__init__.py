"""bouncewise on Apache Spark (the ``bouncewise[spark]`` extra).

    from bouncewise.spark import session, read_messages, parse_messages
    spark = session("local[*]")
    records = parse_messages(read_messages(spark, ["s3a://bounces/2026/12/"]))

Functions (each returns a DataFrame and runs bouncewise's own engine on the executors):

- ``parse_messages(df, col="content", path_col="path")``: raw messages -> records;
- ``parse_events(df, col, path_col=None, provider=None)``: ESP event JSON -> records;
- ``diagnose_texts(df, col)``: replies or log lines -> a ``diagnosis`` struct column;
- ``scan_logs(df, col, path_col=None)``: MTA log text -> log records;
- ``read_messages(spark, paths)``, ``with_date(records)``, ``record_ddl()``, ``session()``.

See docs/scale.md. PySpark is imported only by this package, never by the core.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "diagnose_texts",
    "parse_events",
    "parse_messages",
    "read_messages",
    "record_ddl",
    "scan_logs",
    "session",
    "with_date",
]


def __getattr__(name: str) -> Any:
    if name == "session":
        from bouncewise.spark._session import session

        return session
    if name in __all__:
        from bouncewise.spark import frames

        return getattr(frames, name)
    raise AttributeError(f"module 'bouncewise.spark' has no attribute {name!r}")
