"""Reading MTA logs (Postfix, Exim, Sendmail): one record per delivery attempt of a recipient.

``parse_line(line)`` (from :mod:`bouncewise.loglines`) reads the facts of one log line (no
judgement); ``scan(lines)`` diagnoses
each failed (and, on request, successful) attempt with :func:`bouncewise.diagnosis.diagnose`.
Lines are capped at MAX_LINE characters; every pattern is linear.

Speed: lines that cannot give a record are dropped by substring tests before any regex;
patterns start with a plain character (``t(?<!\\wt)o=`` is ``\\bto=``), so ``re`` jumps to the
places where that character occurs; ``scan`` keeps the diagnoses of the last CACHE_SIZE
distinct replies (same text, status and relay give the same diagnosis).
"""

from __future__ import annotations

import gzip
import io
import sys
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# The facts of a line come from bouncewise.loglines (which the diagnosis engine uses too, so
# logscan -> diagnosis -> loglines has no circle); these names stay importable from here.
from bouncewise.loglines import MAX_LINE, LogLine, _only_sent, parse_line

__all__ = ["MAX_LINE", "LogLine", "LogRecord", "Summary", "open_log", "parse_line", "scan"]

MAX_QUEUE = 100_000  # queue ids remembered to name the recipients of a Postfix "expired" line
CACHE_SIZE = 1024  # diagnoses remembered by scan, keyed on (reply text, status, relay)


@dataclass(slots=True)
class LogRecord:
    """One delivery attempt of one recipient, with its diagnosis."""

    line: int
    mta: str
    state: str | None
    timestamp: str | None
    queue_id: str | None
    recipient: str | None
    domain: str | None
    rhost: str | None
    rip: str | None
    status: str | None
    replycode: str | None
    reason: str | None
    hardbounce: bool
    retry: str | None
    provider: str | None
    command: str | None
    text: str
    decided_by: str | None = None
    confidence: float | None = None
    explanation: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "log"

    def to_dict(self) -> dict[str, Any]:
        """The fields in order, as ``dataclasses.asdict`` gives them (own evidence dicts, whose
        values are strings), written out: asdict's deep copy is slow."""
        return {
            "line": self.line,
            "mta": self.mta,
            "state": self.state,
            "timestamp": self.timestamp,
            "queue_id": self.queue_id,
            "recipient": self.recipient,
            "domain": self.domain,
            "rhost": self.rhost,
            "rip": self.rip,
            "status": self.status,
            "replycode": self.replycode,
            "reason": self.reason,
            "hardbounce": self.hardbounce,
            "retry": self.retry,
            "provider": self.provider,
            "command": self.command,
            "text": self.text,
            "decided_by": self.decided_by,
            "confidence": self.confidence,
            "explanation": self.explanation,
            "evidence": [dict(e) for e in self.evidence],
            "kind": self.kind,
        }


def _domain(addr: str | None) -> str | None:
    if not addr or "@" not in addr:
        return None
    return addr.rsplit("@", 1)[1].lower().rstrip(">")


_BYTES = (bytes, bytearray)


def scan(lines: Iterable[str | bytes], *, include_sent: bool = False) -> Iterator[LogRecord]:
    """One LogRecord per failed delivery attempt (and per success with include_sent)."""
    from bouncewise.diagnosis import diagnose

    # postfix qid -> deferred recipients; tuples of strings, which the garbage collector stops
    # tracking (a busy log keeps up to MAX_QUEUE of them alive)
    pending: OrderedDict[str, tuple[str, ...]] = OrderedDict()
    cache: OrderedDict[tuple[str, str | None, str | None], Any] = OrderedDict()  # (text, status, relay) -> Diagnosis
    for n, raw in enumerate(lines, 1):
        line = raw if raw.__class__ is str else raw.decode("utf-8", "replace") if isinstance(raw, _BYTES) else raw
        if "to=" not in line and "status=expired" not in line and " ** " not in line and " == " not in line and (
            not include_sent or (" => " not in line and " -> " not in line)
        ):
            continue
        if not include_sent and _only_sent(line):
            continue
        p = parse_line(line)
        if p is None or p.state is None:
            continue
        if p.state == "sent" and not include_sent:
            continue
        recipients: list[str | None] = [p.recipient]
        if p.mta == "postfix" and p.queue_id:
            if p.state == "deferred" and p.recipient:
                lst = pending.get(p.queue_id, ())
                if p.recipient not in lst and len(lst) < 1000:
                    lst += (p.recipient,)
                pending[p.queue_id] = lst
                pending.move_to_end(p.queue_id)
                if len(pending) > MAX_QUEUE:
                    pending.popitem(last=False)
            elif p.state in ("sent", "bounced") and p.recipient and p.queue_id in pending:
                lst = pending[p.queue_id]
                if p.recipient in lst:  # (each recipient is in it once)
                    pending[p.queue_id] = tuple(r for r in lst if r != p.recipient)
            elif p.state == "expired" and p.recipient is None:
                recipients = list(pending.pop(p.queue_id, ())) or [None]
        if p.state == "sent":
            for rcpt in recipients:
                yield LogRecord(
                    line=n, mta=p.mta, state="sent", timestamp=p.timestamp, queue_id=p.queue_id,
                    recipient=rcpt, domain=_domain(rcpt), rhost=p.relay, rip=p.rip, status=p.dsn,
                    replycode=None, reason="delivered", hardbounce=False, retry="no", provider=None,
                    command=None, text=p.text[:2000], decided_by="log", confidence=1.0,
                )
            continue
        status = p.dsn
        if p.state == "expired" and not status:
            status = "4.4.7"
        key = (p.text or p.state or "", status, p.relay)
        d = cache.get(key)
        if d is None:
            d = diagnose(key[0], status=status, rhost=p.relay)
            cache[key] = d
            if len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        reason = d.reason
        if p.state == "expired" and reason in ("undefined", "onhold", "networkerror", "systemerror"):
            reason = "expired"
        for rcpt in recipients:
            yield LogRecord(
                line=n, mta=p.mta, state=p.state, timestamp=p.timestamp, queue_id=p.queue_id,
                recipient=rcpt or d.recipient, domain=_domain(rcpt or d.recipient), rhost=d.rhost or p.relay,
                rip=p.rip or d.rip, status=d.status, replycode=d.replycode, reason=reason,
                hardbounce=d.hardbounce and p.state == "bounced", retry=d.retry, provider=d.provider,
                command=d.command, text=(p.text or "")[:2000], decided_by=d.decided_by,
                confidence=d.confidence, explanation=d.explanation, evidence=[dict(e) for e in d.evidence],
            )


@dataclass(slots=True)
class Summary:
    """Counts over the records of a scan."""

    records: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    by_domain: Counter[str] = field(default_factory=Counter)
    by_provider: Counter[str] = field(default_factory=Counter)

    def add(self, r: LogRecord) -> None:
        self.records += 1
        self.by_state[r.state or "?"] += 1
        self.by_reason[r.reason or "?"] += 1
        self.by_domain[r.domain or "?"] += 1
        self.by_provider[r.provider or "other"] += 1

    def to_dict(self, top: int = 20) -> dict[str, Any]:
        return {
            "records": self.records,
            "by_state": dict(self.by_state.most_common()),
            "by_reason": dict(self.by_reason.most_common()),
            "by_domain": dict(self.by_domain.most_common(top)),
            "by_provider": dict(self.by_provider.most_common(top)),
        }


def open_log(path: str | Path) -> TextIO:
    """Open a log file ('-' for stdin, .gz transparently) as text, undecodable bytes replaced."""
    if str(path) == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    p = Path(path)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", errors="replace")
    return open(p, encoding="utf-8", errors="replace")  # noqa: SIM115
