"""Courier MTA bounces ("NOTICE: mail delivery status.").

"This is a delivery status notification from host, running the Courier mail server",
then "UNDELIVERABLE MAIL" / "DELAYED MAIL" with each recipient as ``<addr>:`` followed by
the remote host, ``>>>`` (what Courier sent) and ``<<<`` (the reply) lines, and an RFC 3464
part.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "Courier"

_RCPT = re.compile(r"^<([^<>\s]{1,300}@[^<>\s]{1,300})>:\s*$")


def detect(msg: Message) -> bool:
    if _mta.header_lower(msg, "Subject").startswith("notice: mail delivery status"):
        return True
    return "=_courier_" in str(msg.get("Content-Type", "")).lower()


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    if "courier mail server" not in text[:3000].lower():
        return None
    found: list[Block] = []
    current: Block | None = None
    for line in _mta.lines_of(text):
        s = line.strip()
        m = _RCPT.match(s)
        if m:
            current = Block(recipient=m.group(1))
            found.append(current)
            continue
        if current is None:
            continue
        if s.startswith("---"):
            current = None
            continue
        if s.startswith(">>>"):
            current.command = _mta.smtp_verb(s[3:]) or current.command
        elif s.startswith("<<<"):
            current.diagnosis = (current.diagnosis + " " + s[3:].strip()).strip()
        elif s.endswith(":") and "[" in s:
            current.rhost = s.split(" ", 1)[0]
    if "delayed mail" in text.lower():
        for b in found:
            b.action = "delayed"
    blocks = _mta.merge(_mta.dsn_blocks(msg), found)
    return _mta.finish(blocks) or None
