"""What runs on the executors: functions over Arrow batches, for ``DataFrame.mapInArrow``.

They import pyarrow and bouncewise's engine, never pyspark, and are module-level functions
(bound to their options with functools.partial) so that Spark pickles them by reference:
the executors import this module from the installed package.

The engine's tables (format decoders, phrase tables, the knowledge base) are loaded once per
Python worker process by ``ensure_warm`` (and once per executor, before the workers fork,
when the session uses ``bouncewise.spark.daemon`` as its Python daemon module); PySpark
reuses its Python workers from task to task, so no task pays for them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from bouncewise.spark import schema

_STATE = {"warm": False}


def ensure_warm() -> None:
    """Load the pipeline's tables, once per process."""
    if not _STATE["warm"]:
        from bouncewise.pipeline import warm

        warm()
        _STATE["warm"] = True


def _error(cls: type, **fields: Any) -> dict[str, Any]:
    from bouncewise.record import ERROR

    return cls(kind=ERROR, **fields).to_dict()


def _column(batch: pa.RecordBatch, name: str | None) -> list[Any]:
    if name is None:
        return [None] * batch.num_rows
    return batch.column(batch.schema.get_field_index(name)).to_pylist()


def _as_bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return bytes(value)


# -- bounce messages ----------------------------------------------------------------------


def message_records(data: bytes | None, path: str | None, limits: Any) -> list[dict[str, Any]]:
    """The records (as dicts) of one input value: a message, or an mbox (split here, with
    bouncewise.messages), gzip-compressed or not. Never raises; never returns nothing."""
    from bouncewise.messages import iter_messages
    from bouncewise.pipeline import analyse
    from bouncewise.record import Record

    if data is None:
        return [_error(Record, file=path, index=1, error="cannot read: no content (null)")]
    out: list[dict[str, Any]] = []
    index = 0
    try:
        for raw in iter_messages(data, limits):
            raw.file = path
            index = raw.index
            out.extend(r.to_dict() for r in analyse(raw, limits))
    except Exception as exc:  # an input the reader cannot take: one error record, go on
        out.append(_error(Record, file=path, index=index + 1, error=f"{exc.__class__.__name__}: {exc}"[:500]))
    return out


def parse_batches(batches: Iterator[pa.RecordBatch], col: str, path_col: str | None, limits: Any) -> Iterator[pa.RecordBatch]:
    from bouncewise.deadline import alarm_scope
    from bouncewise.record import Record

    ensure_warm()
    with alarm_scope():  # one SIGALRM handler for the per-message time limit of the whole task
        for batch in batches:
            rows: list[dict[str, Any]] = []
            for data, path in zip(_column(batch, col), _column(batch, path_col), strict=True):
                rows.extend(message_records(_as_bytes(data), path, limits))
            yield schema.batch(Record, rows)


# -- ESP events ---------------------------------------------------------------------------


def event_batches(batches: Iterator[pa.RecordBatch], col: str, path_col: str | None, provider: str | None) -> Iterator[pa.RecordBatch]:
    from bouncewise.events import records_from_json
    from bouncewise.record import Record

    ensure_warm()
    for batch in batches:
        rows: list[dict[str, Any]] = []
        for data, path in zip(_column(batch, col), _column(batch, path_col), strict=True):
            try:
                if data is None:
                    raise ValueError("no content (null)")
                rows.extend(r.to_dict() for r in records_from_json(_as_bytes(data), origin=path, provider=provider))
            except Exception as exc:  # not JSON, over a limit: one error record
                rows.append(_error(Record, file=path, index=1, error=f"{exc.__class__.__name__}: {exc}"[:500]))
        yield schema.batch(Record, rows)


# -- replies and log lines ----------------------------------------------------------------


def diagnose_batches(batches: Iterator[pa.RecordBatch], col: str, out_col: str) -> Iterator[pa.RecordBatch]:
    """Each row as it came, plus ``out_col``: the Diagnosis of its text (a struct)."""
    from bouncewise.diagnosis import Diagnosis, diagnose

    ensure_warm()
    struct = pa.struct([pa.field(f.name, f.type, nullable=f.nullable) for f in schema.arrow_schema(Diagnosis)])
    for batch in batches:
        rows = []
        for text in _column(batch, col):
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            try:
                rows.append(diagnose(text or "").to_dict())
            except Exception as exc:  # never a failed task for one odd text
                rows.append(Diagnosis(text=(text or "")[:2000], kind="error", explanation=f"{exc.__class__.__name__}: {exc}"[:500]).to_dict())
        diag = schema.batch(Diagnosis, rows)
        arrays = list(batch.columns) + [pa.StructArray.from_arrays(diag.columns, fields=list(struct))]
        yield pa.RecordBatch.from_arrays(arrays, schema=batch.schema.append(pa.field(out_col, struct)))


def scan_batches(batches: Iterator[pa.RecordBatch], col: str, path_col: str | None, include_sent: bool) -> Iterator[pa.RecordBatch]:
    """One row per log record of each input value (a log line, or many lines: a whole file
    read with ``wholetext``), with ``file`` from ``path_col``."""
    from bouncewise.logscan import LogRecord, scan

    for batch in batches:
        rows: list[dict[str, Any]] = []
        for text, path in zip(_column(batch, col), _column(batch, path_col), strict=True):
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            try:
                for rec in scan((text or "").splitlines(), include_sent=include_sent):
                    rows.append({"file": path, **rec.to_dict()})
            except Exception as exc:
                rows.append({"file": path, "line": 0, "mta": "", "state": None, "timestamp": None, "queue_id": None,
                             "recipient": None, "domain": None, "rhost": None, "rip": None, "status": None,
                             "replycode": None, "reason": None, "hardbounce": False, "retry": None, "provider": None,
                             "command": None, "text": f"{exc.__class__.__name__}: {exc}"[:500], "kind": "error"})
        yield scan_batch(LogRecord, rows)


def scan_batch(cls: type, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    base = schema.batch(cls, rows)
    files = pa.array([r.get("file") for r in rows], type=pa.string())
    return pa.RecordBatch.from_arrays([files, *base.columns], schema=scan_schema(cls))


def scan_schema(cls: type) -> pa.Schema:
    return pa.schema([pa.field("file", pa.string()), *schema.arrow_schema(cls)])
