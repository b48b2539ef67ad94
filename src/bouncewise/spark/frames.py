"""DataFrame functions: bouncewise's engine over Spark DataFrames, batch or streaming.

    from bouncewise.spark import parse_messages, session
    spark = session("local[2]")
    raw = spark.read.format("binaryFile").load("s3a://bounces/2026/12/*")
    records = parse_messages(raw)          # one row per record, the columns of Record

All functions run the same code as the single-process tools (bouncewise.pipeline.analyse,
bouncewise.events.records_from_json, bouncewise.diagnosis.diagnose, bouncewise.logscan.scan)
inside ``mapInArrow`` on the executors; see bouncewise.spark._worker.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from bouncewise.spark import _worker, schema

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame


def record_ddl() -> str:
    """The Spark schema (DDL) of a record row: Record's fields, in order."""
    from bouncewise.record import Record

    return schema.ddl(Record)


def _need(df: DataFrame, *names: str | None) -> None:
    missing = [n for n in names if n is not None and n not in df.columns]
    if missing:
        raise ValueError(f"no column {', '.join(map(repr, missing))} in the DataFrame (columns: {', '.join(df.columns)})")


def _inputs(df: DataFrame, col: str, path_col: str | None) -> DataFrame:
    _need(df, col, path_col)
    return df.select(col, path_col) if path_col is not None else df.select(col)


def parse_messages(df: DataFrame, col: str = "content", path_col: str | None = "path", *, limits: Any = None) -> DataFrame:
    """Raw messages -> records. ``col`` holds the bytes of a message (or of a whole mbox,
    split into its messages where the row is processed, or a .gz of either); ``path_col``
    (None: no such column) fills each record's ``file``. One row per record, with the
    fields and meanings of ``bouncewise parse --format ndjson``; a row that cannot be read
    or analysed gives one record of kind ``error`` (the task goes on). ``limits``: a
    bouncewise.messages.Limits (per message)."""
    from bouncewise.messages import Limits

    if path_col is not None and path_col not in df.columns and path_col == "path":
        path_col = None  # the default, for a table without paths
    fn = functools.partial(_worker.parse_batches, col=col, path_col=path_col, limits=limits or Limits())
    return _inputs(df, col, path_col).mapInArrow(fn, record_ddl())


def parse_events(df: DataFrame, col: str = "value", path_col: str | None = None, *, provider: str | None = None) -> DataFrame:
    """ESP event JSON (SES/SNS, SendGrid, Mailgun, Postmark; one value or NDJSON per row)
    -> records, like ``bouncewise parse --from``. ``provider`` forces the reading; without
    it the shape of each value decides."""
    from bouncewise.events import PROVIDERS

    if provider is not None and provider not in PROVIDERS:
        raise ValueError(f"unknown ESP {provider!r}; expected one of {', '.join(PROVIDERS)}")
    fn = functools.partial(_worker.event_batches, col=col, path_col=path_col, provider=provider)
    return _inputs(df, col, path_col).mapInArrow(fn, record_ddl())


def diagnose_texts(df: DataFrame, col: str = "text", *, out_col: str = "diagnosis") -> DataFrame:
    """Each row of ``df`` with one more column, ``out_col``: the diagnosis of the reply or
    log line in ``col`` (a struct with the fields of ``bouncewise diagnose --json``)."""
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    from bouncewise.diagnosis import Diagnosis

    _need(df, col)
    if out_col in df.columns:
        raise ValueError(f"the DataFrame already has a column {out_col!r}: choose another out_col")
    diag = _parse_datatype_string(f"struct<{schema.ddl(Diagnosis).replace('`', '').replace(' not null', '')}>")
    out = StructType([*df.schema.fields, StructField(out_col, diag)])
    fn = functools.partial(_worker.diagnose_batches, col=col, out_col=out_col)
    return df.mapInArrow(fn, out)


def scan_logs(df: DataFrame, col: str = "value", path_col: str | None = None, *, include_sent: bool = False) -> DataFrame:
    """MTA log text -> one row per failed delivery attempt (per success too with
    ``include_sent``), with the fields of ``bouncewise scan-log --json`` after ``file``.
    Each row of ``col`` is read on its own: one log line, or a whole log file
    (``spark.read.text(paths, wholetext=True)``), which keeps Postfix's queue-id context
    (a message that expired names its recipients in earlier lines)."""
    from bouncewise.logscan import LogRecord

    fn = functools.partial(_worker.scan_batches, col=col, path_col=path_col, include_sent=include_sent)
    return _inputs(df, col, path_col).mapInArrow(fn, "`file` string, " + schema.ddl(LogRecord))


def read_messages(spark: Any, paths: list[str], *, recursive: bool = True) -> DataFrame:
    """Spark's binaryFile source over ``paths`` (files, directories, globs; any filesystem the
    cluster reads): columns path, modificationTime, length, content."""
    reader = spark.read.format("binaryFile")
    if recursive:
        reader = reader.option("recursiveFileLookup", "true")
    return reader.load(paths)


def with_date(records: DataFrame, col: str = "date") -> DataFrame:
    """``records`` plus ``col``: the bounce's date (YYYY-MM-DD, the first ten characters of
    ``timestamp`` when they are a date), null when unknown. Output is partitioned by it."""
    from pyspark.sql import functions as F

    ts = F.col("timestamp")
    return records.withColumn(col, F.when(ts.rlike(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"), F.substring(ts, 1, 10)))
