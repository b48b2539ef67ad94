"""Writers: records -> text, one record at a time (output streams as records come).

    w = make_writer("ndjson", sys.stdout)
    for rec in records:
        w.write(rec)
    w.close()

Formats: ``ndjson`` (one JSON object per line, every Record field), ``json`` (one JSON
array, written incrementally), ``csv`` (a header row, then the CSV_COLUMNS of each
record; lists are joined with " | "), ``table`` (aligned columns for a terminal).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import fields
from functools import partial
from operator import attrgetter
from typing import Any, TextIO

from bouncewise.record import Record

FORMATS = ("ndjson", "json", "csv", "table")

CSV_COLUMNS = (
    "kind",
    "file",
    "index",
    "recipient",
    "original_recipient",
    "status",
    "replycode",
    "reason",
    "hardbounce",
    "action",
    "diagnosticcode",
    "smtpcommand",
    "rhost",
    "lhost",
    "addresser",
    "subject",
    "messageid",
    "timestamp",
    "engine",
    "feedbacktype",
    "provider",
    "retry",
    "category",
    "who_acts",
    "explanation",
    "advice",
    "confidence",
    "error",
)


class Writer:
    """Writes records to ``out``. ``render`` (a module-level function, so that worker
    processes can call it: see pipeline.analyse_all) turns one record into its text;
    ``write_rendered`` puts that text into the output with what the format needs around it."""

    render: Callable[[Record], str]

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def write(self, record: Record) -> None:
        self.write_rendered(self.render(record))

    def write_rendered(self, text: str) -> None:
        self.out.write(text)
        self.count += 1

    def close(self) -> None:
        self.out.flush()


_FIELDS = tuple(f.name for f in fields(Record))
_values = attrgetter(*_FIELDS)
# One encoder for every line (json.dumps with options builds a new one per call); no
# circularity check on the quick path: a record's values are plain data.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def ndjson_line(record: Record) -> str:
    """The record as one compact JSON object (no line break): what
    ``json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))`` gives,
    encoded from the field values directly (to_dict's copy only matters for values JSON
    cannot take, which then go through it)."""
    try:
        return _encode(dict(zip(_FIELDS, _values(record), strict=True)))
    except (TypeError, ValueError, RecursionError):
        return json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _ndjson_row(record: Record) -> str:
    return ndjson_line(record) + "\n"


def _json_item(record: Record) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False)


class NdjsonWriter(Writer):
    render = staticmethod(_ndjson_row)


class JsonWriter(Writer):
    render = staticmethod(_json_item)

    def write_rendered(self, text: str) -> None:
        self.out.write(("[\n  " if self.count == 0 else ",\n  ") + text)
        self.count += 1

    def close(self) -> None:
        self.out.write("[]\n" if self.count == 0 else "\n]\n")
        super().close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " | ".join(_cell(v) if not isinstance(v, dict) else json.dumps(v, ensure_ascii=False) for v in value)
    return str(value)


def _csv_row(record: Record) -> str:
    d = record.to_dict()
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_cell(d.get(c)) for c in CSV_COLUMNS])
    return buf.getvalue()


class CsvWriter(Writer):
    render = staticmethod(_csv_row)

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        csv.writer(out, lineterminator="\n").writerow(CSV_COLUMNS)


TABLE_COLUMNS = (("kind", 12), ("recipient", 32), ("status", 7), ("code", 4), ("reason", 15), ("hard", 4), ("engine", 10))


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table_row(cells: list[str]) -> str:
    return "  ".join(_fit(c, w).ljust(w) for c, (_, w) in zip(cells, TABLE_COLUMNS, strict=True)).rstrip()


_TABLE_STYLE = {"bounce": "31", "delayed": "33", "error": "35", "not-a-bounce": "2"}


def _table_rows(record: Record, color: bool = False) -> str:
    line = _table_row([
        record.kind,
        record.recipient or "-",
        record.status or "-",
        record.replycode or "-",
        record.reason or "-",
        "yes" if record.hardbounce else "no",
        record.engine or "-",
    ])
    style = _TABLE_STYLE.get(record.kind) if color else None
    if style:
        line = f"\x1b[{style}m{line}\x1b[0m"
    note = record.error or record.diagnosticcode
    where = f"{record.file or '<input>'}" + (f" #{record.index}" if record.index and record.index > 1 else "")
    return f"{line}\n    {where}: {_fit(' '.join((note or '').split()), 160)}\n" if note else f"{line}\n    {where}\n"


class TableWriter(Writer):
    """Aligned text columns, a row per record as it comes, then the message for each
    row (diagnostic text or error) indented under it."""

    def __init__(self, out: TextIO, *, color: bool = False) -> None:
        super().__init__(out)
        self.render = partial(_table_rows, color=color)  # type: ignore[method-assign]
        self.out.write(_table_row([name.upper() for name, _ in TABLE_COLUMNS]) + "\n")


def make_writer(fmt: str, out: TextIO, *, color: bool = False) -> Writer:
    if fmt == "ndjson":
        return NdjsonWriter(out)
    if fmt == "json":
        return JsonWriter(out)
    if fmt == "csv":
        return CsvWriter(out)
    if fmt == "table":
        return TableWriter(out, color=color)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
