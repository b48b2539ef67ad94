"""The facts of one MTA log line (Postfix, Exim, Sendmail), with no judgement: who, when, which
relay, which status code and which reply. ``parse_line(line)`` reads one line; both the log
scanner (:mod:`bouncewise.logscan`, which diagnoses the attempts) and the diagnosis engine
(which reads a log line given to ``diagnose``) use it, so neither imports the other.

Lines are capped at MAX_LINE characters; every pattern is linear and starts with a plain
character (``t(?<!\\wt)o=`` is ``\\bto=``), so ``re`` jumps to the places where it occurs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 16_384

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
