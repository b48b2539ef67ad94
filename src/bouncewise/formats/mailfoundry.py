"""MailFoundry gateway bounces ("Message delivery has failed").

"Unable to deliver message to: <addr>", "Delivery failed for the following reason:" and the
remote reply as "Server host[ip] failed with: 550 ...".
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "MailFoundry"

_RCPT = re.compile(r"^Unable to deliver message to: <?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?$", re.I)


def detect(msg: Message) -> bool:
    return _mta.header_lower(msg, "Subject") == "message delivery has failed" and (
        "mailer-daemon" in _mta.header_lower(msg, "From")
    )


def decode(msg: Message) -> list[Block] | None:
    blocks: list[Block] = []
    reading = False
    for line in _mta.lines_of(_mta.report_text(msg)):
        s = line.strip()
        m = _RCPT.match(s)
        if m:
            blocks.append(Block(recipient=m.group(1), action="failed"))
            continue
        if s.lower().startswith("delivery failed for the following reason"):
            reading = True
            continue
        if reading and blocks:
            if not s or s.lower().startswith("this has been a permanent failure"):
                if blocks[-1].diagnosis:
                    reading = False
                continue
            blocks[-1].diagnosis = (blocks[-1].diagnosis + " " + s).strip()
            host = re.match(r"^Server ([A-Za-z0-9._-]{1,255})\[", s)
            if host:
                blocks[-1].rhost = host.group(1)
    return _mta.finish(blocks) or None
