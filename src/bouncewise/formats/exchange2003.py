"""Microsoft Exchange Server 5.5 / 2000 / 2003 non-delivery reports.

The notice reads "Your message ... did not reach the following recipient(s):", then one line
per recipient ``addr on <date>`` followed by indented lines: a sentence ("The recipient name
is not recognized") and an Exchange component code such as
``MSEXCH:IMS:org:site:server 0 (000C05A6) Unknown Recipient``.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.formats._provider import stated_reason
from bouncewise.record import Block

NAME = "Exchange2003"

_START = re.compile(r"did not reach the following recipient\(?s?\)?", re.I)
_RCPT = re.compile(r"^\s{0,2}<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>? on .{5,80}$")
_END = re.compile(r"^(?:-{3,}|_{3,}|Original message|Received: |From: )", re.I)


def detect(msg: Message) -> bool:
    mailer = _mta.header_lower(msg, "X-Mailer") + " " + _mta.header_lower(msg, "X-MimeOLE")
    if "internet mail service" in mailer or "produced by microsoft exchange" in mailer:
        return True
    if msg.get("X-MS-TNEF-Correlator") is not None or msg.get("X-MS-Embedded-Report") is not None:
        return True
    sender = _mta.header_lower(msg, "From")
    subject = _mta.header_lower(msg, "Subject")
    return "system administrator" in sender or subject.startswith("undeliverable:")


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    lines = _mta.lines_of(text)
    start = None
    for i, line in enumerate(lines[:200]):
        if _START.search(line):
            start = i + 1
            break
    if start is None:
        return None
    blocks: list[Block] = []
    current: Block | None = None
    for line in lines[start:]:
        m = _RCPT.match(line)
        if m:
            current = Block(recipient=m.group(1), action="failed")
            blocks.append(current)
            continue
        if current is None:
            continue
        if _END.match(line.strip()) and not line.startswith((" ", "\t")):
            break
        if line.strip():
            current.diagnosis += " " + line.strip()
    for b in blocks:
        b.diagnosis = _mta.squeeze(b.diagnosis)
    blocks = _mta.finish(blocks, status_from_text=False)
    for b in blocks:  # Exchange's own verdict on the recipient (its directory lookup)
        b.reason = b.reason or stated_reason("exchange2003", b.diagnosis)
    return blocks or None
