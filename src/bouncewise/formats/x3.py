"""An unnamed MTA ("X3" in Sisimai's catalogue): "Delivery status notification".

Framed by rows of "=": "This is an automatically generated Delivery Status Notification.",
"Delivery to the following recipients failed permanently:" with ``* addr`` lines, and
"Technical details:" with lines like ``SMTP:RCPT host 192.0.2.1: 553 5.3.0 ...``.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "X3"

_RCPT = re.compile(r"^\*\s{1,4}<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?\s*$")
_DETAIL = re.compile(r"^SMTP:([A-Z]{4}) host ([^:\s]{1,255}): (.{1,2000})$")


def detect(msg: Message) -> bool:
    return _mta.header_lower(msg, "Subject") == "delivery status notification" and (
        "mail delivery system" in _mta.header_lower(msg, "From"))


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    if "this is an automatically generated delivery status notification" not in text[:5000].lower():
        return None
    blocks: list[Block] = []
    details: list[tuple[str, str, str]] = []
    for line in _mta.lines_of(text):
        s = line.strip()
        m = _RCPT.match(s)
        if m:
            blocks.append(Block(recipient=m.group(1), action="failed"))
            continue
        d = _DETAIL.match(s)
        if d:
            details.append(d.groups())
    for b in blocks:
        mine = [d for d in details if b.recipient and b.recipient.lower() in d[2].lower()] or details
        if mine:
            verb, host, reply = mine[0]
            b.command, b.rhost, b.diagnosis = _mta.smtp_verb(verb), host, reply
    return _mta.finish(blocks) or None
