"""Sun Java System / Oracle Communications Messaging Server (and PMDF) bounces.

Subject "Delivery Notification: Delivery has failed" (or "... has been delayed"); the text
says "This report relates to a message you sent with the following header fields:" and lists
each recipient as an indented group of ``Recipient address:``, ``Original address:``,
``Reason:``, ``Diagnostic code:`` and ``Remote system:`` lines, then an RFC 3464 part
(sometimes flattened into the text when the MIME structure is damaged).
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "MessagingServer"

_FIELD = re.compile(r"^\s{1,8}(Recipient address|Original address|Reason|Diagnostic code|Remote system):\s{0,4}(.{0,2000})$", re.I)


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    if subject.startswith("delivery notification: delivery has"):
        return True
    return "boundary_(id_" in str(msg.get("Content-Type", "")).lower()


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    if "this report relates to a message you sent" not in text[:8000].lower():
        return None
    found: list[Block] = []
    current: Block | None = None
    for line in _mta.lines_of(text):
        m = _FIELD.match(line)
        if not m:
            continue
        name, value = m.group(1).lower(), m.group(2).strip()
        if name == "recipient address":
            current = Block(recipient=_usable(value))
            found.append(current)
        elif current is None:
            continue
        elif name == "original address":
            orig = _usable(value)
            current.original_recipient = orig
            if orig and (current.recipient is None or "@" not in current.recipient):
                current.recipient = orig
        elif name == "reason":
            current.diagnosis = value
        elif name == "diagnostic code":
            current.diagnosis = _mta.dsn_value(value) or current.diagnosis
        elif name == "remote system":
            current.rhost = _mta.dsn_value(value).split(" ", 1)[0] or None
    dsn = _mta.dsn_blocks(msg) or _mta.inline_dsn_blocks(text)
    if any(b.original_recipient for b in found):
        # the text's "Original address" is the one the sender wrote: pair the DSN on it
        for b in dsn:
            for t in found:
                if t.original_recipient and (_mta.same_address(b.recipient, t.original_recipient)
                                             or _route(b.recipient)):
                    b.recipient = t.recipient
    blocks = _mta.merge(dsn, found, prefer_text=False)
    if "has been delayed" in _mta.header_lower(msg, "Subject"):
        for b in blocks:
            b.action = b.action or "delayed"
    return _mta.finish([b for b in blocks if b.recipient]) or None


def _route(addr: str | None) -> bool:
    return bool(addr and addr.startswith("@"))


def _usable(value: str) -> str | None:
    """An address as written, without a source route ("@relay:user@host" is not usable)."""
    value = value.strip().strip("<>")
    if not value or value.startswith("@"):
        return None
    return value
