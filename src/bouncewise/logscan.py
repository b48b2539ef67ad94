"""Reading MTA logs (Postfix, Exim, Sendmail): one record per delivery attempt of a recipient.

``parse_line(line)`` reads the facts of one log line (no judgement); ``scan(lines)`` diagnoses
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
import re
import sys
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

MAX_LINE = 16_384
MAX_QUEUE = 100_000  # queue ids remembered to name the recipients of a Postfix "expired" line
CACHE_SIZE = 1024  # diagnoses remembered by scan, keyed on (reply text, status, relay)

_TS = r"(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
POSTFIX_RE = re.compile(
    _TS + r" (?P<host>\S{1,255}) (?P<prog>postfix[\w/.-]{0,64}|[\w.-]{0,64}/(?:smtp|lmtp|local|virtual|pipe|qmgr|error|discard)|lmtp|smtp)\[\d{1,10}\]: (?P<qid>[0-9A-Za-z]{5,32}): (?P<rest>.*)$"
)
SENDMAIL_RE = re.compile(
    _TS + r" (?P<host>\S{1,255}) (?P<prog>sendmail|sm-mta|sm-msp-queue)\[\d{1,10}\]: (?P<qid>[0-9A-Za-z]{6,32}): (?P<rest>.*)$"
)
EXIM_RE = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})?)(?: \[\d{1,10}\])? (?P<qid>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (?P<flag>\*\*|==|=>|->|\*>) (?P<rest>.*)$"
)
# "x(?<!\wx)" = "\bx" written after the first character (see the module's docstring)
_TO_RE = re.compile(r"t(?<!\wt)o=<([^<>]{0,320})>")
_TO_BARE_RE = re.compile(r"t(?<!\wt)o=([^\s,]{1,320})")
_RELAY_RE = re.compile(r"r(?<!\wr)elay=([^\s,\[]{1,255})\s?\[([0-9A-Fa-f.:]{2,45})\](?::\d{1,5})?")
_RELAY_NAME_RE = re.compile(r"r(?<!\wr)elay=([^\s,\[]{1,255})")
_DSN_RE = re.compile(r"d(?<!\wd)sn=([245]\.\d{1,3}\.\d{1,3})")
_PF_STATUS_RE = re.compile(r"s(?<!\ws)tatus=(bounced|deferred|sent|expired|undeliverable|deliverable)\b ?(?:\((.*)\))?")
_PF_STATES = {"undeliverable": "bounced", "deliverable": "sent"}
_SM_STAT_RE = re.compile(r"s(?<!\ws)tat=(.*)$")
_EXIM_ADDR_RE = re.compile(r"([^\s<>]{1,320}@[^\s<>:]{1,255}|[^\s<>:]{1,320})(?: <([^<>\s]{1,320})>)?")
_EXIM_H_RE = re.compile(r"H(?<!\wH)=([^\s\[]{1,255})(?: \[([0-9A-Fa-f.:]{2,45})\])?")


@dataclass(slots=True)
class LogLine:
    """The facts of one log line."""

    mta: str  # postfix | exim | sendmail
    state: str | None  # bounced | deferred | expired | sent
    timestamp: str | None = None
    host: str | None = None
    queue_id: str | None = None
    recipient: str | None = None
    relay: str | None = None
    rip: str | None = None
    dsn: str | None = None
    text: str = ""  # the reply or the MTA's own words
    raw_status: str | None = None


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


def _postfix(m: re.Match[str]) -> LogLine | None:
    rest = m.group("rest")
    st = _PF_STATUS_RE.search(rest)
    if not st:
        return None
    state = st.group(1)
    state = _PF_STATES.get(state, state)
    to = _TO_RE.search(rest)
    relay = _RELAY_RE.search(rest)
    rname = relay.group(1) if relay else None
    if rname is None:
        rn = _RELAY_NAME_RE.search(rest)
        rname = rn.group(1) if rn else None
    dsn = _DSN_RE.search(rest)
    text = st.group(2) or ""
    if state == "expired" and not text:
        text = "message expired: " + rest[st.end() :].strip(" ,")
    return LogLine(
        mta="postfix",
        state=state,
        timestamp=m.group("ts"),
        host=m.group("host"),
        queue_id=m.group("qid"),
        recipient=to.group(1) if to else None,
        relay=None if rname in (None, "none", "local") else rname,
        rip=relay.group(2) if relay else None,
        dsn=dsn.group(1) if dsn else None,
        text=text,
    )


def _sendmail(m: re.Match[str]) -> LogLine | None:
    rest = m.group("rest")
    st = _SM_STAT_RE.search(rest)
    to = _TO_RE.search(rest) or _TO_BARE_RE.search(rest)
    if not st or not to:
        return None
    stat = st.group(1).strip()
    dsn = _DSN_RE.search(rest)
    code = dsn.group(1) if dsn else None
    low = stat.lower()
    if low.startswith("sent"):
        state = "sent"
    elif low.startswith("deferred") or (code or "").startswith("4"):
        state = "deferred"
    else:
        state = "bounced"
    relay = _RELAY_RE.search(rest)
    rname = relay.group(1).rstrip(".") if relay else None
    if rname is None:
        rn = _RELAY_NAME_RE.search(rest)
        rname = rn.group(1).rstrip(".,") if rn else None
    text = stat[9:].strip() if low.startswith("deferred:") else stat
    return LogLine(
        mta="sendmail",
        state=state,
        timestamp=m.group("ts"),
        host=m.group("host"),
        queue_id=m.group("qid"),
        recipient=to.group(1).strip("<>"),
        relay=rname,
        rip=relay.group(2) if relay else None,
        dsn=code,
        text=text,
    )


def _exim(m: re.Match[str]) -> LogLine | None:
    flag = m.group("flag")
    rest = m.group("rest")
    state = {"**": "bounced", "==": "deferred", "=>": "sent", "->": "sent", "*>": "sent"}[flag]
    am = _EXIM_ADDR_RE.match(rest)
    recipient = am.group(1) if am else None
    if recipient and "@" not in recipient:
        recipient = am.group(2) if am and am.group(2) else recipient
    h = _EXIM_H_RE.search(rest)
    text = ""
    if state != "sent":
        i = rest.find(": ")
        text = rest[i + 2 :] if i >= 0 else rest
        if " defer (" in rest[: max(i, 0)]:
            text = rest[rest.find(" defer (") + 1 :] if i < 0 else text
    low = rest.lower()
    if "retry timeout exceeded" in low or "retry time not reached for any host after a long failure period" in low:
        state = "expired"
    return LogLine(
        mta="exim",
        state=state,
        timestamp=m.group("ts"),
        queue_id=m.group("qid"),
        recipient=recipient,
        relay=h.group(1).lower() if h else None,
        rip=h.group(2) if h else None,
        text=text,
    )


def parse_line(line: str) -> LogLine | None:
    """The facts of one Postfix, Exim or Sendmail delivery line; None for any other line."""
    line = line[:MAX_LINE].rstrip("\r\n")
    if "postfix" in line or "/smtp[" in line or "/lmtp[" in line:
        m = POSTFIX_RE.match(line)
        if m:
            return _postfix(m)
    if "stat=" in line:
        m = SENDMAIL_RE.match(line)
        if m:
            return _sendmail(m)
    if line[:2] == "20":
        m = EXIM_RE.match(line)
        if m:
            return _exim(m)
    return None


def _only_sent(line: str) -> bool:
    """True when parse_line(line) is None or a "sent" line, told without a regex: the line has
    one "status=", followed by "sent" or "deliverable", no Sendmail "stat=" and does not start
    with "20" (an Exim or ISO-dated line). Postfix is then the only parser that could read it,
    and its state comes from that one "status=" (or it has none)."""
    i = line.find("status=")
    return (
        i >= 0
        and line.startswith(("sent", "deliverable"), i + 7)
        and line.find("status=", i + 7) < 0
        and "stat=" not in line
        and line[:2] != "20"
    )


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
