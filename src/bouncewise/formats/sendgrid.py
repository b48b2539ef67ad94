"""SendGrid bounces: a multipart/report "from SendGrid" (Return-Path apps@sendgrid.net),
whose text names each recipient as "local:id:<addr> : ip : mx:[ip] : reply ... in RCPT TO"
and whose delivery-status part carries X-SendGrid-* fields and a bare Diagnostic-Code."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.formats._util import header
from bouncewise.record import Block

NAME = "SendGrid"
PROVIDER = "sendgrid"

_COMMAND_RE = re.compile(r"\bin (RCPT TO|MAIL FROM|DATA|HELO|EHLO)\b")


def detect(msg: Message) -> bool:
    return "sendgrid" in header(msg, "Return-Path").lower() or "sendgrid" in p.from_addr(msg)


def decode(msg: Message) -> list[Block] | None:
    text = p.first_text(msg)
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        return None
    for b in blocks:
        for line in p.lines(text[:20000]):
            if b.recipient and b.recipient in line and " : " in line:
                m = _COMMAND_RE.search(line)
                if m:
                    b.command = m.group(1).split(" ")[0]
                pieces = line.split(" : ")
                if len(pieces) >= 3 and not b.rhost:
                    b.rhost = pieces[2].split(":")[0].strip() or None
                break
    return blocks
