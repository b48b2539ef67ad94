"""An unnamed MTA ("X2" in Sisimai's catalogue), seen at large webmail providers.

"Message from <host>." / "Unable to deliver message to the following address(es)." and
then, as qmail does, a paragraph per recipient opening with ``<addr>:``; the original
follows "--- Original message follows.". A variant writes "Delivery failed: addr" lines
followed by "Remote host said[Response Message]: <reply>".
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "X2"

_START = re.compile(r"Unable to deliver message to the following address|Your delivery to the following address has been failed", re.I)
_END = re.compile(r"^--- ?Original message follows", re.I)
_RCPT = re.compile(r"^(?:<([^<>\s]{1,300}@[^<>\s]{1,300})>:|Delivery failed: <?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?)\s*$", re.I)
_STEP = re.compile(r"^STEP:\s{0,3}(\w{2,10})", re.I)


def detect(msg: Message) -> bool:
    sender = _mta.header_lower(msg, "From")
    subject = _mta.header_lower(msg, "Subject")
    if not ("mailer-daemon" in sender or "postmaster" in sender) and sender:
        return False
    return subject.startswith(("delivery failure", "failed delivery", "permanent delivery failure")) or not subject


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    if not _START.search(text[:5000]):
        return None
    blocks: list[Block] = []
    current: Block | None = None
    for line in _mta.lines_of(text):
        s = line.strip()
        if _END.match(s):
            break
        m = _RCPT.match(s)
        if m:
            current = Block(recipient=m.group(1) or m.group(2), action="failed")
            blocks.append(current)
            continue
        if current is None or not s:
            continue
        step = _STEP.match(s)
        if step:
            current.command = _mta.smtp_verb(step.group(1))
            continue
        current.diagnosis = (current.diagnosis + " " + s.replace("[Response Message]", "")).strip()
    return _mta.finish(blocks) or None
