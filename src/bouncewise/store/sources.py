"""Inputs of ``bouncewise ingest`` as units: one bounce message, one ESP event record or one
log-line record, each with the key that makes storing it idempotent.

The records come from the engine itself (bouncewise.pipeline.analyse, bouncewise.logscan.scan,
bouncewise.events.records_from_json); nothing here decides a reason.

Keys (see docs/store.md):

- a message: ``m:`` + SHA-256 of its Message-ID header and its body (the bytes after the
  header). A Message-ID alone does not identify a notice (MTAs reuse them: the Sisimai corpus
  holds 18 different notices with one ID); the same notice delivered twice, with different
  Received headers, keeps its key. A message without a Message-ID: the hash of all its bytes.
- an ESP event record: ``e:`` + SHA-256 of the facts the event states (recipient, action,
  diagnostic text, hosts, sender, subject, Message-ID, time, provider, feedback type; not the
  diagnosis, which a newer bouncewise may make differently, nor the file name and position)
  and its occurrence number among equal records of one input.
- a log record: ``l:`` + SHA-256 of the MTA, time, host queue id, recipient, state and text.
- an input that cannot be read: ``x:`` + SHA-256 of its name and the error.

Each record's key is its unit's key plus its position in the unit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bouncewise.messages import Limits, RawMessage, normalise_newlines
from bouncewise.record import BOUNCE, DELAYED, DELIVERED, ERROR, Record

KINDS_OF_INPUT = ("auto", "mail", "log", "ses", "sendgrid", "mailgun", "postmark", "events")
_MSGID_RE = re.compile(rb"^message-id:[ \t]*([^\n]{0,998})", re.IGNORECASE | re.MULTILINE)


@dataclass(slots=True)
class Unit:
    key: str  # the unit's key; records are key:0, key:1, ...
    records: list[Record]
    size: int = 0  # input bytes it stands for (progress)
    raw: bytes | None = None  # the message, kept only with --keep-raw


def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
        h.update(b"\0")
    return h.hexdigest()


def message_key(raw: RawMessage) -> str:
    if raw.data is None:
        return "x:" + _sha(str(raw.file).encode("utf-8", "replace"), str(raw.index).encode(), (raw.error or "").encode())
    # trailing blank lines differ between an .eml file and the same message in an mbox
    data = normalise_newlines(raw.data).rstrip(b"\n")
    end = data.find(b"\n\n")
    head, body = (data[:end], data[end + 2 :]) if end >= 0 else (data, b"")
    m = _MSGID_RE.search(head)
    mid = m.group(1).strip() if m else b""
    if not mid:
        return "m:" + _sha(data)
    return "m:" + _sha(mid, body)


def _mail_batch(batch: list[RawMessage], limits: Limits, keep_raw: bool) -> list[Unit]:
    from bouncewise.pipeline import analyse

    return [Unit(message_key(raw), analyse(raw, limits), raw.size, raw.data if keep_raw else None) for raw in batch]


def mail_units(source: Any, limits: Limits, *, jobs: int = 1, keep_raw: bool = False) -> Iterator[Unit]:
    """Units of the messages of ``source`` (path, directory, Maildir, mbox, .gz, "-"),
    analysed by bouncewise.pipeline (in ``jobs`` processes, in input order)."""
    from bouncewise.jobs import run

    yield from run(source, limits, jobs, 64, _mail_batch, (keep_raw,))


# -- ESP events ---------------------------------------------------------------------------

# The facts of an event record: what the event itself says, never what the diagnosis adds
# (a newer bouncewise may judge the same event differently; its key must not change).
_EVENT_FACTS = ("kind", "recipient", "original_recipient", "action", "diagnosticcode", "rhost", "lhost", "addresser",
                "subject", "messageid", "timestamp", "engine", "feedbacktype", "error")


def record_content_key(prefix: str, record: Record, seen: Counter[str]) -> str:
    facts = [getattr(record, name) for name in _EVENT_FACTS]
    if record.kind in ("bounce", "delayed"):
        facts[0] = "failure"  # bounce or delayed is a judgement too
    digest = _sha(json.dumps(facts, default=str).encode())
    seen[digest] += 1
    return f"{prefix}:{digest}#{seen[digest]}"


def event_units_from_bytes(data: bytes, origin: str | None, provider: str | None) -> Iterator[Unit]:
    """One unit per record of ESP event JSON (one value, an array or NDJSON)."""
    from bouncewise.errors import BouncewiseError
    from bouncewise.events import records_from_json

    try:
        records = records_from_json(data, origin=origin, provider=provider)
    except (ValueError, BouncewiseError) as exc:
        err = f"{type(exc).__name__}: {exc}"[:500]
        yield Unit("x:" + _sha(data, err.encode()), [Record(kind=ERROR, file=origin, index=1, error=err)], len(data))
        return
    seen: Counter[str] = Counter()
    share = len(data) // max(1, len(records))
    for rec in records:
        yield Unit(record_content_key("e", rec, seen), [rec], share)


def event_units(path: str, provider: str | None, limits: Limits) -> Iterator[Unit]:
    from bouncewise.events import MAX_JSON_BYTES

    cap = min(limits.max_bytes, MAX_JSON_BYTES)
    try:
        if path == "-":
            data = sys.stdin.buffer.read(cap + 1)
        else:
            with open(path, "rb") as fh:
                data = fh.read(cap + 1)
    except OSError as exc:
        err = f"cannot read: {type(exc).__name__}: {exc}"
        yield Unit("x:" + _sha(path.encode("utf-8", "replace"), err.encode()), [Record(kind=ERROR, file=path, index=1, error=err)])
        return
    if len(data) > cap:
        err = f"limit: larger than {cap} bytes"
        yield Unit("x:" + _sha(path.encode("utf-8", "replace"), err.encode()), [Record(kind=ERROR, file=path, index=1, error=err)], len(data))
        return
    yield from event_units_from_bytes(data, path, None if provider in (None, "events") else provider)


# -- MTA logs -----------------------------------------------------------------------------

_LOG_KIND = {"bounced": BOUNCE, "expired": BOUNCE, "deferred": DELAYED, "sent": DELIVERED}
_LOG_ACTION = {"bounced": "failed", "expired": "failed", "deferred": "delayed", "sent": "delivered"}


def record_from_log(r: Any, file: str | None) -> Record:
    """A Record from a bouncewise.logscan.LogRecord (the same diagnosis, Record's shape)."""
    from bouncewise import reasons

    try:
        info = reasons.get(r.reason) if r.reason else None
    except KeyError:
        info = None
    return Record(
        kind=_LOG_KIND.get(r.state or "", BOUNCE), file=file, index=r.line, recipient=r.recipient,
        status=r.status, replycode=r.replycode, reason=r.reason, hardbounce=bool(r.hardbounce),
        action=_LOG_ACTION.get(r.state or ""), diagnosticcode=r.text or None, smtpcommand=r.command,
        rhost=r.rhost, timestamp=r.timestamp, engine=f"log:{r.mta}", provider=r.provider, retry=r.retry,
        category=info.category if info else None, who_acts=info.who_acts if info else None,
        explanation=r.explanation, evidence=[dict(e) for e in r.evidence], confidence=r.confidence,
    )


class _Counted:
    """Lines of a text stream, counting the characters read (progress)."""

    def __init__(self, fh: Any) -> None:
        self.fh, self.read = fh, 0

    def __iter__(self) -> Iterator[str]:
        for line in self.fh:
            self.read += len(line)
            yield line


def log_units(path: str) -> Iterator[Unit]:
    """One unit per delivery attempt bouncewise.logscan.scan finds (successes included)."""
    from bouncewise.logscan import open_log, scan

    try:
        fh = open_log(path)
    except OSError as exc:
        err = f"cannot read: {type(exc).__name__}: {exc}"
        yield Unit("x:" + _sha(path.encode("utf-8", "replace"), err.encode()), [Record(kind=ERROR, file=path, index=1, error=err)])
        return
    with fh:
        lines = _Counted(fh)
        done = 0
        for r in scan(lines, include_sent=True):
            key = "l:" + _sha(*(str(v or "").encode("utf-8", "replace") for v in (r.mta, r.timestamp, r.queue_id, r.recipient, r.state, r.text)))
            yield Unit(key, [record_from_log(r, path)], lines.read - done)
            done = lines.read


# -- which reader -------------------------------------------------------------------------


def detect(path: str) -> str:
    """"events" for JSON, "log" for an MTA log, else "mail" (a directory is always mail)."""
    from bouncewise.logscan import parse_line

    if path == "-" or os.path.isdir(path):
        return "mail"
    p = Path(path)
    name = p.name.lower().removesuffix(".gz")
    if name.endswith((".json", ".ndjson", ".jsonl")):
        return "events"
    try:
        if p.suffix == ".gz":
            import gzip

            with gzip.open(p, "rb") as fh:
                head = fh.read(16384)
        else:
            with open(p, "rb") as fh:
                head = fh.read(16384)
    except (OSError, EOFError):
        return "mail"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "events"
    lines = [ln for ln in head.decode("utf-8", "replace").splitlines()[:20] if ln.strip()]
    if lines and sum(1 for ln in lines if parse_line(ln) is not None or _syslogish(ln)) * 2 > len(lines):
        return "log"
    return "mail"


_SYSLOG_RE = re.compile(r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)\S{0,40} \S{1,255} [\w/.-]{1,64}\[\d{1,10}\]:")


def _syslogish(line: str) -> bool:
    return _SYSLOG_RE.match(line[:400]) is not None


def input_size(paths: list[str]) -> int | None:
    """Bytes of the input when known (regular, uncompressed files and directories of them)."""
    total = 0
    for path in paths:
        if path == "-":
            return None
        p = Path(path)
        if p.is_file():
            if p.suffix == ".gz":
                return None
            total += p.stat().st_size
        elif p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for f in filenames:
                    if f.startswith(".") or f.endswith(".gz"):
                        if f.endswith(".gz"):
                            return None
                        continue
                    try:
                        total += os.stat(os.path.join(dirpath, f)).st_size
                    except OSError:
                        pass
        else:
            return None
    return total
