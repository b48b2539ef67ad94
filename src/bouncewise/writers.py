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


# (name, width): a width of 0 is fitted to the room the others leave (recipient, reason, engine)
TABLE_COLUMNS = (("kind", 12), ("recipient", 0), ("status", 7), ("code", 4), ("reason", 0), ("hard", 4), ("engine", 0))
_GAP = 2
_REASON = (11, 15)  # the longest reason names fit in 15; below 11 most would wrap
_FLEX_MIN = {"recipient": 12, "engine": 8}
_FLEX_SHARE = {"recipient": 0.6, "engine": 0.4}
DEFAULT_TABLE_WIDTH = 100
MIN_TABLE_WIDTH = 70  # narrower terminals get lines this long (wrapped by the terminal)


def table_widths(width: int) -> tuple[int, ...]:
    """The columns' widths for a table ``width`` characters wide: the fixed ones as they are,
    the reason column up to 15, the recipient and engine columns sharing the rest (never
    below a readable minimum)."""
    fixed = sum(w for _, w in TABLE_COLUMNS) + _GAP * (len(TABLE_COLUMNS) - 1)
    room = max(0, width - fixed)
    reason = max(_REASON[0], min(_REASON[1], room - sum(_FLEX_MIN.values())))
    room -= reason
    out = []
    for name, w in TABLE_COLUMNS:
        if w:
            out.append(w)
        elif name == "reason":
            out.append(reason)
        else:
            out.append(max(_FLEX_MIN[name], int(room * _FLEX_SHARE[name])))
    return tuple(out)


def _wrap_cell(text: str, width: int) -> list[str]:
    """A cell's text on as many lines as it needs (never cut off): at spaces, else at @ . - _
    (addresses, host names), else hard."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        cut = rest.rfind(" ", 1, width + 1)
        if cut <= 0:
            cut = max(rest.rfind(c, 1, width) for c in "@.-_")
            cut = cut if cut > 0 else width  # break before the separator
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" ")
    if rest:
        lines.append(rest)
    return lines


def _table_row(cells: list[str], widths: tuple[int, ...]) -> str:
    wrapped = [_wrap_cell(c, w) for c, w in zip(cells, widths, strict=True)]
    height = max(len(x) for x in wrapped)
    out = []
    for i in range(height):
        parts = [(x[i] if i < len(x) else "").ljust(w) for x, w in zip(wrapped, widths, strict=True)]
        out.append((" " * _GAP).join(parts).rstrip())
    return "\n".join(out)


_TABLE_STYLE = {"bounce": "31", "delayed": "33", "error": "35", "not-a-bounce": "2"}


def _table_rows(record: Record, color: bool = False, width: int = DEFAULT_TABLE_WIDTH) -> str:
    widths = table_widths(width)
    block = _table_row([
        record.kind,
        record.recipient or "-",
        record.status or "-",
        record.replycode or "-",
        record.reason or "-",
        "yes" if record.hardbounce else "no",
        record.engine or "-",
    ], widths)
    style = _TABLE_STYLE.get(record.kind) if color else None
    if style:
        block = "\n".join(f"\x1b[{style}m{line}\x1b[0m" for line in block.split("\n"))
    note = " ".join((record.error or record.diagnosticcode or "").split())
    where = f"{record.file or '<input>'}" + (f" #{record.index}" if record.index and record.index > 1 else "")
    text = f"{where}: {note}" if note else where
    if len(note) > 2000:  # a note is a hint, not the whole text: --format ndjson has it all
        text = text[: len(where) + 2000] + "…"
    lines = _wrap_cell(text, max(20, width - 4))
    return block + "\n" + "".join(f"    {line}\n" for line in lines)


class TableWriter(Writer):
    """Aligned text columns fitted to ``width`` (a terminal's), a row per record as it comes,
    long cells wrapped onto more lines rather than cut, then the message for each row
    (diagnostic text or error) indented under it."""

    def __init__(self, out: TextIO, *, color: bool = False, width: int = DEFAULT_TABLE_WIDTH) -> None:
        super().__init__(out)
        width = max(MIN_TABLE_WIDTH, width)
        self.render = partial(_table_rows, color=color, width=width)  # type: ignore[method-assign]
        self.out.write(_table_row([name.upper() for name, _ in TABLE_COLUMNS], table_widths(width)) + "\n")


# -- facts for a run's summary ---------------------------------------------------------


class RenderedText(str):
    """A record's output text that also carries the facts a summary counts beyond kind and
    reason (the provider and the recipient's domain). A str, so writers write it as it is;
    it pickles with its facts, so worker processes can send it back."""

    provider: str | None
    domain: str | None

    def __reduce__(self) -> tuple[Any, ...]:  # compact: workers send many of these
        return (_rendered_text, (str(self), self.provider, self.domain))


def _rendered_text(text: str, provider: str | None, domain: str | None) -> RenderedText:
    out = RenderedText(text)
    out.provider = provider
    out.domain = domain
    return out


def render_with_facts(render: Callable[[Record], str], record: Record) -> RenderedText:
    """``render(record)`` with the record's provider and recipient domain attached."""
    rcpt = record.recipient or ""
    domain = (rcpt.rpartition("@")[2].lower() or None) if "@" in rcpt else None
    return _rendered_text(render(record), record.provider, domain)


class Tally:
    """Counts over a run: messages read and not read, records by kind, reason (failures),
    provider and recipient domain, and the records ``--include`` left out."""

    def __init__(self) -> None:
        from collections import Counter

        self.messages = 0
        self.unreadable = 0
        self.records = 0
        self.kinds: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.providers: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()
        self.filtered: Counter[str] = Counter()

    def add_message(self, records: list[Any]) -> None:
        """One input message (or event file): read, unless one of its records is an error."""
        if any(r.kind == "error" for r in records):
            self.unreadable += 1
        else:
            self.messages += 1

    def add_record(self, kind: str, reason: str | None, provider: str | None, domain: str | None) -> None:
        self.records += 1
        self.kinds[kind] += 1
        if kind in ("bounce", "delayed"):
            self.reasons[reason or "-"] += 1
            self.providers[provider or "other"] += 1
            if domain:
                self.domains[domain] += 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def print_summary(tally: Tally, stream: TextIO, *, written: int | None = None, full: bool = False,
                  top: int = 10, prog: str = "bouncewise parse") -> None:
    """The run's summary on ``stream``: a line of totals, then small tables by kind, by reason
    and by provider of the failures (and by recipient domain when ``full``)."""
    head = f"{prog}: {_plural(tally.messages, 'message')} read"
    if tally.unreadable:
        head += f", {tally.unreadable} could not be read (error records)"
    if written is not None:
        head += f"; {_plural(written, 'record')} written"
    else:
        head += f"; {_plural(tally.records, 'record')}"
    if tally.filtered:
        head += f" ({sum(tally.filtered.values())} not output: see --include)"
    sections = [("kind", "records", tally.kinds, None), ("reason", "failures", tally.reasons, None if full else top),
                ("provider", "failures", tally.providers, top)]
    if full:
        sections.append(("domain", "failures", tally.domains, top))
    sections.append(("not output", "records", tally.filtered, None))
    print_tables(stream, head, sections)


def print_tables(stream: TextIO, head: str, sections: list[tuple[str, str, Any, int | None]]) -> None:
    """A line, then one small two-column table per (name, unit, Counter, top) section that
    has counts, set side by side or one under another as the terminal's width allows (rich;
    80 columns when ``stream`` is not a terminal, unless COLUMNS says otherwise)."""
    from rich.columns import Columns
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, highlight=False, soft_wrap=False)
    console.print(head)
    tables = []
    for name, unit, counts, limit in sections:
        if not counts:
            continue
        t = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
        t.add_column(name, overflow="fold")
        t.add_column(unit, justify="right")
        items = counts.most_common(limit)
        for key, n in items:
            t.add_row(key, str(n))
        rest = sum(counts.values()) - sum(n for _, n in items)
        if rest:
            t.add_row("(others)", str(rest))
        tables.append(t)
    if tables:
        console.print(Columns(tables, padding=(1, 4)))


def make_writer(fmt: str, out: TextIO, *, color: bool = False, width: int = DEFAULT_TABLE_WIDTH) -> Writer:
    if fmt == "ndjson":
        return NdjsonWriter(out)
    if fmt == "json":
        return JsonWriter(out)
    if fmt == "csv":
        return CsvWriter(out)
    if fmt == "table":
        return TableWriter(out, color=color, width=width)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
