"""What a report is made from, and reading it: bounce messages (analysed on the fly by the
pipeline), MTA logs (``bouncewise.logscan``), NDJSON written by ``parse`` or ``scan-log``, or
the store (``--db``). Which one a path is, is told from its first bytes.
"""

from __future__ import annotations

import gzip
import importlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from bouncewise.report.aggregate import Aggregator

MESSAGES, LOG, NDJSON = "messages", "log", "ndjson"
HEAD = 64 * 1024  # bytes looked at to tell what a file is
MAX_LINE = 4 * 1024 * 1024  # longest NDJSON line read; a longer one counts as unreadable
CHUNK = 64 * 1024

# A log line starts with a date: syslog ("Dec  6 04:00:00"), ISO 8601 or Exim's.
_LOG_START = re.compile(
    rb"(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) "
)

_HEADER = re.compile(rb"[!-9;-~]{1,76}:")  # a mail header's name and colon
Progress = Callable[[int], None]  # called with a number of bytes done since the last call


class StoreUnavailable(RuntimeError):
    """``--db`` was given but this installation has no store."""


def kind_of_head(head: bytes) -> str:
    """NDJSON, log or messages, from the first bytes of an input: a JSON object with a
    ``kind`` first is NDJSON; a log date first is a log; a mail header or an mbox "From "
    line first is messages; otherwise a log date at the start of any of the first 20 lines
    (after a banner such as journalctl's) makes a log."""
    lines = [line.strip() for line in head.splitlines()[:40] if line.strip()][:20]
    if not lines:
        return MESSAGES
    first = lines[0]
    if first.startswith(b"{"):
        try:
            obj = json.loads(first)
        except ValueError:
            # a first line longer than the head is cut: a JSON object with a kind is NDJSON
            return NDJSON if b'"kind"' in first else MESSAGES
        return NDJSON if isinstance(obj, dict) and "kind" in obj else MESSAGES
    if _LOG_START.match(first):
        return LOG
    if first.startswith(b"From ") or _HEADER.match(first):
        return MESSAGES
    return LOG if any(_LOG_START.match(line) for line in lines[1:]) else MESSAGES


def _open(path: str) -> IO[bytes]:
    if path.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115


def kind_of(path: str) -> str:
    """What ``path`` holds: a directory is read as messages."""
    if os.path.isdir(path):
        return MESSAGES
    with _open(path) as fh:
        return kind_of_head(fh.read(HEAD))


def _stdin_copy() -> IO[bytes]:
    """Standard input copied to a temporary file (kept in memory while small), so that its
    first bytes can be looked at and then read again with the rest."""
    tmp = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    shutil.copyfileobj(sys.stdin.buffer, tmp, 1024 * 1024)
    tmp.seek(0)
    return tmp  # type: ignore[return-value]


def input_bytes(path: str) -> int | None:
    """Size of an input on disk (a directory: its files), None when not known (stdin)."""
    if path == "-":
        return None
    if os.path.isdir(path):
        total = 0
        for dirpath, _dirs, files in os.walk(path):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(dirpath, f))
                except OSError:
                    pass
        return total
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def read_into(agg: Aggregator, path: str, *, limits: Any = None, jobs: int = 1, progress: Progress | None = None) -> str:
    """Add the records of one input ('-': standard input) to ``agg``; returns the kind of
    input it was. An input that cannot be read is counted (an error), never raised."""
    stdin: IO[bytes] | None = None
    try:
        if path == "-":
            stdin = _stdin_copy()
            kind = kind_of_head(stdin.read(HEAD))
            stdin.seek(0)
        else:
            kind = kind_of(path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        agg.add_input(path, "unreadable", f"{type(exc).__name__}: {exc}")
        return "unreadable"
    try:
        if kind == NDJSON:
            _read_ndjson(agg, stdin or path, progress)
        elif kind == LOG:
            _read_log(agg, stdin or path, path, progress)
        else:
            _read_messages(agg, stdin or path, limits, jobs, progress)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        agg.add_input(path, kind, f"{type(exc).__name__}: {exc}")
        return kind
    finally:
        if stdin is not None:
            stdin.close()
    agg.add_input(path, kind)
    return kind


def _lines(source: str | IO[bytes], progress: Progress | None) -> Iterator[bytes]:
    """The lines of an input (binary, capped at MAX_LINE: a longer one becomes one NUL byte,
    an unreadable line); ``progress`` is told of the bytes read, every 256 KiB."""
    fh = _open(source) if isinstance(source, str) else source
    raw = getattr(fh, "fileobj", None) if isinstance(fh, gzip.GzipFile) else fh
    last = 0
    try:
        while True:
            line = fh.readline(CHUNK)  # (a small cap: readline allocates what it may return)
            if not line:
                break
            if len(line) == CHUNK and not line.endswith(b"\n"):
                line = _rest_of_line(fh, line)
            yield line
            if progress is not None and raw is not None and hasattr(raw, "tell"):
                try:
                    pos = raw.tell()
                except (OSError, ValueError):
                    continue
                if pos - last >= 256 * 1024:
                    progress(pos - last)
                    last = pos
    finally:
        if isinstance(source, str):
            fh.close()


def _rest_of_line(fh: IO[bytes], head: bytes) -> bytes:
    """A line longer than CHUNK, read on; past MAX_LINE its rest is skipped and it becomes
    one NUL byte (an unreadable line)."""
    parts, total = [head], len(head)
    while True:
        more = fh.readline(CHUNK)
        if not more:
            break
        total += len(more)
        if total > MAX_LINE:
            while more and not more.endswith(b"\n"):
                more = fh.readline(CHUNK)
            return b"\x00"
        parts.append(more)
        if more.endswith(b"\n"):
            break
    return b"".join(parts)


def _read_ndjson(agg: Aggregator, path: str | IO[bytes], progress: Progress | None) -> None:
    loads = json.loads
    for line in _lines(path, progress):
        line = line.strip()
        if not line:
            continue
        try:
            obj = loads(line)
        except ValueError:
            agg.add_bad_line()
            continue
        if not isinstance(obj, dict):
            agg.add_bad_line()
            continue
        agg.add(obj)


def _read_log(agg: Aggregator, source: str | IO[bytes], name: str, progress: Progress | None) -> None:
    from bouncewise.logscan import scan

    for rec in scan(_lines(source, progress)):
        d = rec.to_dict()
        d["file"] = name
        agg.add(d)


def _read_messages(agg: Aggregator, path: str | IO[bytes], limits: Any, jobs: int, progress: Progress | None) -> None:
    from bouncewise.pipeline import analyse_all

    sizes: dict[str, int] = {}
    current: str | None = None
    for records in analyse_all(path, limits, jobs=jobs):
        for rec in records:
            agg.add(rec.to_dict())
        if progress is not None and records:
            f = records[0].file
            if f != current:
                if current is not None:
                    progress(_size(current, sizes))
                current = f
    if progress is not None and current is not None:
        progress(_size(current, sizes))


def _size(name: str, cache: dict[str, int]) -> int:
    if name not in cache:
        try:
            cache[name] = os.path.getsize(name)
        except OSError:
            cache[name] = 0
    return cache[name]


# -- the store ----------------------------------------------------------------------------


def open_store_records(url: str, kinds: Any = None) -> Iterator[dict[str, Any]]:
    """Record dicts from the store at ``url``, through ``bouncewise.store.open_store``; raises
    StoreUnavailable when this installation has no store."""
    try:
        store = importlib.import_module("bouncewise.store")
    except ImportError:
        store = None
    opener = getattr(store, "open_store", None) if store is not None else None
    if opener is None:
        raise StoreUnavailable("the store is not available in this installation (bouncewise.store.open_store is missing)")
    return iter(opener(url).records(kinds=kinds))


def read_store(agg: Aggregator, url: str, progress: Progress | None = None) -> None:
    shown = _hide_password(url)
    n = 0
    for d in open_store_records(url):
        agg.add(dict(d))
        n += 1
        if progress is not None and n % 1000 == 0:
            progress(1000)
    agg.add_input(shown, "store")


def _hide_password(url: str) -> str:
    """The URL as shown in a report: no password."""
    return re.sub(r"(//[^/:@]{0,200}:)[^/@]{0,200}@", r"\1***@", url, count=1)
