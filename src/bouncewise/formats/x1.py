"""An unnamed MTA ("X1" in Sisimai's catalogue) that writes Sendmail-like notices.

From "Mail Deliver(y) System" with subjects such as "Returned Mail: User unknown" or
"Warning--Could not send mail for past N hours"; the text says
"---The following addresses had delivery errors---" and then ``addr [reason]`` per line.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "X1"

_HEAD = re.compile(r"^-{3,}\s{0,2}The following addresses had delivery errors\s{0,2}-{3,}", re.I)
_LINE = re.compile(r"^<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>? \[(.{1,500})\]\s*$")


def detect(msg: Message) -> bool:
    sender = _mta.header_lower(msg, "From")
    subject = _mta.header_lower(msg, "Subject")
    return ('"mail deliver system"' in sender or "mail deliver system" in sender
            or "mail delivery system" in sender) and subject.startswith(
        ("returned mail:", "warning--could not send mail", "mail delivery failure"))


def decode(msg: Message) -> list[Block] | None:
    reading = False
    blocks: list[Block] = []
    warning = _mta.header_lower(msg, "Subject").startswith("warning")
    for line in _mta.lines_of(_mta.report_text(msg)):
        s = line.strip()
        if _HEAD.match(s):
            reading = True
            continue
        if not reading:
            continue
        m = _LINE.match(s)
        if m:
            blocks.append(Block(recipient=m.group(1), diagnosis=m.group(2),
                                action="delayed" if warning else "failed"))
        elif s and blocks:
            break
    return _mta.finish(blocks) or None
