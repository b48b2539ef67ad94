"""Inputs -> messages: turn whatever the user gave into a stream of raw messages.

``iter_messages(source, limits)`` accepts a path (a message file, a Unix mbox, a Maildir,
a directory of message files, any of these files gzip-compressed), ``"-"`` or a binary
file object (stdin), ``bytes``/``str`` holding one message (or an mbox), an
``email.message.Message``, or a list of any of these. It yields ``RawMessage`` objects
in input order. Reading is streaming: an mbox is split line by line, so a file of
100,000 messages never sits in memory as a whole.

A message that cannot be read, or that is over a size limit, is still yielded, with
``error`` set: every input message reaches the pipeline, which turns it into a record.

Limits are checked on the raw bytes, before Python's email parser sees them
(``check_structure``), because the parser recurses on nested multiparts.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from email.message import Message
from pathlib import Path
from typing import IO, Any

from bouncewise.errors import LimitExceeded

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16


@dataclass(slots=True)
class Limits:
    """Per-message limits. Over any of them the message becomes an error record."""

    max_bytes: int = 32 * 1024 * 1024  # size of one message
    max_depth: int = 40  # nesting of multipart containers
    max_parts: int = 2000  # MIME parts in one message
    max_line: int = 1024 * 1024  # bytes in one line (headers or body)
    max_seconds: float = 10.0  # analysis time of one message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class RawMessage:
    """One message as read from the input: bytes (or an already parsed Message)."""

    file: str | None  # the path as given, "-" for stdin, None for in-memory input
    index: int  # 1-based position within its file (an mbox) or stream
    data: bytes | None = None
    message: Message | None = field(default=None, repr=False)
    error: str | None = None  # why it could not be read (size limit, I/O error)

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


# -- line endings -------------------------------------------------------------------------


def normalise_newlines(data: bytes) -> bytes:
    """CRLF and bare CR become LF (files written on Windows or classic Mac OS)."""
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


# -- structure check on raw bytes ------------------------------------------------------

_BOUNDARY_DECL = re.compile(rb'boundary[ \t]{0,8}=[ \t]{0,8}"?([^"\s;]{1,200})', re.IGNORECASE)


def check_structure(data: bytes, limits: Limits) -> None:
    """Raise LimitExceeded when the raw message is over a limit. Linear in the size."""
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"message size {len(data)} bytes is over the limit of {limits.max_bytes}")
    if len(data) > limits.max_line:
        longest = max(map(len, data.split(b"\n")))
        if longest > limits.max_line:
            raise LimitExceeded(f"a line of {longest} bytes is over the limit of {limits.max_line}")
    dashes = data.count(b"\n--")
    if dashes <= limits.max_parts and dashes <= limits.max_depth:
        return  # cannot be over either limit
    declared = _BOUNDARY_DECL.findall(data)
    if len(declared) <= limits.max_depth and dashes <= limits.max_parts:
        return
    # A careful scan: a boundary opens where it is declared and closes at its "--b--" line.
    # The number open at once bounds the nesting depth; delimiter lines count the parts.
    known = set(declared)
    open_now: list[bytes] = []
    depth = parts = 0
    pos = 0
    decl_iter = iter(_BOUNDARY_DECL.finditer(data))
    next_decl = next(decl_iter, None)
    for line in data.split(b"\n"):
        end = pos + len(line)
        while next_decl is not None and next_decl.start() < end + 1:
            open_now.append(next_decl.group(1))
            depth = max(depth, len(open_now))
            next_decl = next(decl_iter, None)
        if line.startswith(b"--"):
            token = line[2:].rstrip()
            if token.endswith(b"--") and token[:-2] in known:
                b = token[:-2]
                if b in open_now:
                    # close it (and anything opened inside it that never closed)
                    del open_now[open_now.index(b) :]
            elif token in known:
                parts += 1
        pos = end + 1
        if depth > limits.max_depth:
            raise LimitExceeded(f"MIME nesting deeper than the limit of {limits.max_depth}")
        if parts > limits.max_parts:
            raise LimitExceeded(f"more MIME parts than the limit of {limits.max_parts}")


# -- mbox ----------------------------------------------------------------------------------

_FROM_LINE = re.compile(rb"From \S{1,512}[ \t]{1,8}[^\n]{0,200}?\d{1,2}:\d\d")
_ESCAPED_FROM = re.compile(rb"^>{1,100}From ", re.MULTILINE)


def is_from_line(line: bytes) -> bool:
    """A Unix mbox separator: ``From sender date`` (the date has a time of day)."""
    return line.startswith(b"From ") and len(line) < 1024 and _FROM_LINE.match(line) is not None


def _unescape(data: bytes) -> bytes:
    """mboxrd: one '>' is removed from lines that read '>From ', '>>From ' ..."""
    if b">From " not in data:
        return data
    return _ESCAPED_FROM.sub(lambda m: m.group(0)[1:], data)


def _closes_multipart(buf: bytes, i: int) -> bool:
    """The line ending at ``buf[i]`` is a MIME closing delimiter ("--boundary--"): some mbox
    writers put the next From_ line right after it, without an empty line."""
    start = buf.rfind(b"\n", max(0, i - 200), i) + 1
    if start == 0 and i >= 200:
        return False
    line = buf[start:i].rstrip(b"\r")
    return len(line) >= 5 and line.startswith(b"--") and line.endswith(b"--") and b" " not in line


def _iter_mbox_lines(stream: IO[bytes], file: str | None, limits: Limits) -> Iterator[RawMessage]:
    """Split an mbox read in large chunks. A separator is a From_ line at the start of the
    input or after an empty line. A message over the size limit is skipped through (not
    kept in memory) and reported; memory stays within one message plus one chunk."""
    index = 0
    parts: list[bytes] = []  # the current message, in pieces
    size = 0
    problem: str | None = None
    buf = b""
    eof = False
    started = False  # past the first From_ line (or decided there is none)
    at_line_start = True  # buf[0] starts a line (after an empty one)

    def emit() -> RawMessage:
        nonlocal parts, size, problem
        if problem:
            msg = RawMessage(file, index, error=problem)
        else:
            msg = RawMessage(file, index, data=_unescape(normalise_newlines(b"".join(parts))))
        parts, size, problem = [], 0, None
        return msg

    def keep(piece: bytes) -> None:
        nonlocal size, problem, parts
        if problem or not piece:
            return
        size += len(piece)
        if size > limits.max_bytes:
            problem = f"message size over the limit of {limits.max_bytes} bytes"
            parts = []
        else:
            parts.append(piece)

    while True:
        if not eof and len(buf) < _MBOX_CHUNK:
            more = stream.read(_MBOX_CHUNK)
            if more:
                buf += more
            else:
                eof = True
        if not started:
            nl = buf.find(b"\n")
            if nl < 0 and not eof:
                if len(buf) > 4096:  # no From_ line can be this long: not an mbox header
                    started, index = True, 1
                continue
            first = buf[: nl if nl >= 0 else len(buf)]
            started = True
            index = 1
            if is_from_line(first.rstrip(b"\r")):
                buf = buf[nl + 1 :] if nl >= 0 else b""
            continue
        pos = 0
        hold = len(buf)  # where an incomplete separator line starts, if any
        while True:
            i = buf.find(b"\nFrom ", pos)
            if i < 0:
                break
            if (buf[i - 1 : i] == b"\n" or buf[i - 2 : i] == b"\n\r" or (i == 0 and at_line_start)
                    or (i == 1 and at_line_start and buf[:1] == b"\r")  # an empty CRLF line first
                    or _closes_multipart(buf, i)):
                eol = buf.find(b"\n", i + 1)
                if eol < 0 and not eof and len(buf) - i < 1100:
                    hold = i  # the candidate line is incomplete: read more first
                    break
                line = buf[i + 1 : eol if eol >= 0 else len(buf)]
                if is_from_line(line.rstrip(b"\r")):
                    keep(buf[: i + 1])
                    yield emit()
                    index += 1
                    buf = buf[eol + 1 :] if eol >= 0 else b""
                    at_line_start = True
                    pos = 0
                    continue
            pos = i + 1
        if eof:
            keep(buf)
            yield emit()
            return
        # store all but a tail that may hold the start of a separator (and the two bytes
        # before it, to see the empty line)
        cut = min(max(len(buf) - 1200, 0), max(hold - 2, 0))
        if cut > 1 and buf[cut - 1 : cut] == b"\r":
            cut -= 1  # keep a CR with its LF, so the line it ends is seen whole
        if cut:
            keep(buf[:cut])
            at_line_start = buf[cut - 1 : cut] == b"\n"
            buf = buf[cut:]


# Bytes read at a time from an mbox. Not larger: each message taken off the front of the
# buffer copies the rest of it, so a big buffer costs time per message.
_MBOX_CHUNK = 1 << 16


# -- files and streams -------------------------------------------------------------------


def _open_binary(path: Path) -> IO[bytes]:
    fh = open(path, "rb")  # noqa: SIM115 - closed by the caller
    head = fh.peek(2)[:2] if hasattr(fh, "peek") else b""
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


def _read_stream(stream: IO[bytes], file: str | None, limits: Limits) -> Iterator[RawMessage]:
    """A file or a pipe: one message, or an mbox when it starts with a From_ line. A stream
    that breaks part way (a truncated gzip, a read error) ends with an error record."""
    index = 0
    try:
        for raw in _read_stream_unchecked(stream, file, limits):
            index = raw.index
            yield raw
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        yield RawMessage(file, index + 1, error=f"cannot read: {exc.__class__.__name__}: {exc}")


def _read_stream_unchecked(stream: IO[bytes], file: str | None, limits: Limits) -> Iterator[RawMessage]:
    head = stream.read(_CHUNK) or b""
    if head[:2] == GZIP_MAGIC:
        rest = stream
        stream = gzip.GzipFile(fileobj=_Prefixed(head, rest), mode="rb")  # type: ignore[assignment]
        head = stream.read(_CHUNK) or b""
    first_line = head.split(b"\n", 1)[0]
    if b"\r" in first_line.rstrip(b"\r") and _starts_like_mail(first_line.split(b"\r", 1)[0]):
        # classic Mac (CR-only) line endings: read the whole input (bounded), then split
        data = _read_bounded(head, stream, limits.max_bytes * 4)
        if data is None:
            yield RawMessage(file, 1, error=f"input over the limit of {limits.max_bytes * 4} bytes")
            return
        data = normalise_newlines(data)
        if is_from_line(data.split(b"\n", 1)[0]):
            yield from _iter_mbox_lines(io.BytesIO(data), file, limits)
        else:
            yield _one(data, file, 1, limits)
        return
    if is_from_line(first_line.rstrip(b"\r")):
        yield from _iter_mbox_lines(io.BufferedReader(_Prefixed(head, stream), _CHUNK), file, limits)
        return
    data = _read_bounded(head, stream, limits.max_bytes)
    if data is None:
        yield RawMessage(file, 1, error=f"message size over the limit of {limits.max_bytes} bytes")
        return
    yield _one(data, file, 1, limits)


_FIELD_START = re.compile(rb"[!-9;-~]{1,76}:")


def _starts_like_mail(line: bytes) -> bool:
    """The first line of a message (a header field) or of an mbox (a From_ line)."""
    return is_from_line(line) or _FIELD_START.match(line) is not None


def _one(data: bytes, file: str | None, index: int, limits: Limits) -> RawMessage:
    if len(data) > limits.max_bytes:
        return RawMessage(file, index, error=f"message size {len(data)} bytes is over the limit of {limits.max_bytes}")
    return RawMessage(file, index, data=normalise_newlines(data))


def _read_bounded(head: bytes, stream: IO[bytes], limit: int) -> bytes | None:
    chunks = [head]
    size = len(head)
    while size <= limit:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    # over the limit: stop reading (the rest may never end: /dev/zero, an endless pipe)
    return None


class _Prefixed(io.RawIOBase):
    """A stream that first returns ``head`` then the rest of ``stream`` (for gzip on stdin)."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(b))
        n = len(data)
        b[:n] = data
        return n


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def not_regular(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` (symbolic links followed) is not a regular file or a directory, or None.
    Checked before opening: opening a FIFO blocks, and a device such as /dev/zero never ends."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # the open that follows reports the error
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, what in _SPECIAL:
        if test(mode):
            return f"not a regular file: {what}"
    return "not a regular file"


def _iter_path(path: Path, shown: str, limits: Limits) -> Iterator[RawMessage]:
    if path.is_dir():
        prefix = str(path)
        prefix = prefix if prefix.endswith(os.sep) else prefix + os.sep
        for child in _dir_files(path):
            text = str(child)  # under ``path`` (see _dir_files): its relative part is the rest
            rel = text[len(prefix) :] if text.startswith(prefix) else os.path.relpath(child, path)
            yield from _iter_path(child, os.path.join(shown, rel), limits)
        return
    special = not_regular(path)
    if special:
        yield RawMessage(shown, 1, error=f"cannot read: {special}")
        return
    try:
        with _open_binary(path) as fh:
            yield from _read_stream(fh, shown, limits)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield RawMessage(shown, 1, error=f"cannot read: {exc.__class__.__name__}: {exc}")


def _dir_files(root: Path) -> list[Path]:
    """Files of a directory, sorted. A Maildir is read from cur/ and new/ (tmp/ is
    work in progress); hidden files are skipped; other directories are walked."""
    if (root / "cur").is_dir() or (root / "new").is_dir():
        out: list[Path] = []
        for sub in ("cur", "new"):
            d = root / sub
            if d.is_dir():
                # everything but directories: a FIFO or device here becomes an error record
                out.extend(sorted(p for p in d.iterdir() if not p.is_dir() and not p.name.startswith(".")))
        return out
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if os.path.basename(dirpath) == "tmp" and os.path.isdir(os.path.join(os.path.dirname(dirpath), "cur")):
            continue
        files.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return files


def iter_messages(source: Any, limits: Limits | None = None) -> Iterator[RawMessage]:
    """Yield every message of ``source`` (see the module docstring), in order."""
    limits = limits or Limits()
    if isinstance(source, Message):
        yield RawMessage(None, 1, message=source)
    elif isinstance(source, bytes | bytearray | memoryview):
        yield from _read_stream(io.BytesIO(bytes(source)), None, limits)
    elif isinstance(source, str) and ("\n" in source or "\r" in source):
        yield from _read_stream(io.BytesIO(source.encode("utf-8", "surrogateescape")), None, limits)
    elif isinstance(source, str) and source == "-":
        yield from _read_stream(sys.stdin.buffer, "-", limits)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        shown = os.fspath(source)
        if not path.exists():
            yield RawMessage(shown, 1, error="cannot read: no such file or directory")
        else:
            yield from _iter_path(path, shown, limits)
    elif hasattr(source, "read"):
        stream = getattr(source, "buffer", source)
        yield from _read_stream(stream, getattr(source, "name", None) if isinstance(getattr(source, "name", None), str) else None, limits)
    elif isinstance(source, Iterable):
        for item in source:
            yield from iter_messages(item, limits)
    else:
        raise TypeError(f"cannot read messages from {type(source).__name__}")
