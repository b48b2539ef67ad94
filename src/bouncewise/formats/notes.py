"""Lotus Notes (SMTP MTA) bounces ("Undeliverable message").

"------- Failure Reasons --------" followed by the reason text and the recipient on its own
line, then "------- Returned Message --------" and the original message.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.formats._provider import stated_reason
from bouncewise.record import Block

NAME = "Notes"

_START = re.compile(r"^-{5,}\s{0,3}Failure Reasons\s{0,3}-{3,}", re.I)
_END = re.compile(r"^-{5,}\s{0,3}Returned Message\s{0,3}-{3,}", re.I)
_ADDR = re.compile(r"^<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?$")


def detect(msg: Message) -> bool:
    return _mta.header_lower(msg, "Subject").startswith("undeliverable message")


def decode(msg: Message) -> list[Block] | None:
    reading = False
    blocks: list[Block] = []
    reason: list[str] = []
    for line in _mta.lines_of(_mta.report_text(msg)):
        s = line.strip()
        if _START.match(s):
            reading = True
            continue
        if not reading:
            continue
        if _END.match(s):
            break
        m = _ADDR.match(s)
        if m:
            blocks.append(Block(recipient=m.group(1), action="failed"))
        elif s:
            reason.append(s)
    if not blocks:
        return None
    for b in blocks:
        b.diagnosis = " ".join(reason)
    blocks = _mta.finish(blocks, status_from_text=False)
    for b in blocks:  # Notes' own address-book lookup says the address does not exist
        b.reason = b.reason or stated_reason("notes", b.diagnosis)
    return blocks or None
