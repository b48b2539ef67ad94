"""Trustwave Secure Email Gateway (formerly MailMarshal SMTP) bounces.

Subject 'Undeliverable Mail: "<original subject>"'. The text: "Your message:" (the original
From/Subject), "Could not be delivered because of" followed by the reply, then
"The following recipients were affected:" with each address indented by four spaces, and
an "Additional Information" block (Sender-MTA, Remote-MTA, Reporting-MTA in <angle brackets>).
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "MailMarshalSMTP"

_RCPT = re.compile(r"^ {2,8}<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?\s*$")
_FIELD = re.compile(r"^(Remote-MTA|Reporting-MTA|Sender-MTA):\s{1,30}<([^<>]{1,300})>", re.I)


def detect(msg: Message) -> bool:
    return _mta.header(msg, "Subject").lower().startswith('undeliverable mail: "')


def decode(msg: Message) -> list[Block] | None:
    lines = _mta.lines_of(_mta.report_text(msg))
    if not any(ln.strip() == "Your message:" for ln in lines[:100]):
        return None
    reply: list[str] = []
    recipients: list[str] = []
    section = ""
    rhost = lhost = None
    for line in lines:
        s = line.strip()
        if s.lower().startswith("could not be delivered because of"):
            section = "reply"
            continue
        if s.lower().startswith("the following recipients were affected"):
            section = "rcpts"
            continue
        f = _FIELD.match(s)
        if f:
            name = f.group(1).lower()
            if name == "remote-mta":
                rhost = f.group(2)
            elif name == "reporting-mta":
                lhost = f.group(2)
            continue
        if section == "reply" and s:
            reply.append(s)
        elif section == "rcpts":
            m = _RCPT.match(line)
            if m:
                recipients.append(m.group(1))
            elif s:
                section = ""
    diag = " ".join(reply)
    blocks = [Block(recipient=r, diagnosis=diag, rhost=rhost, lhost=lhost, action="failed") for r in recipients]
    return _mta.finish(blocks) or None
