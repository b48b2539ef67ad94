"""Facebook bounces ("Sorry, your message could not be delivered" from
mailer-daemon@mx.facebook.com): "This message was created automatically by Facebook." and a
delivery-status part whose reply carries Facebook's own response code (RCP-P1, POL-P2 ...),
listed at postmaster.facebook.com/response_codes; the code states the cause."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Facebook"
PROVIDER = "facebook"

_CODE_RE = re.compile(r"\b([A-Z]{3}-[A-Z][0-9])\b")


def detect(msg: Message) -> bool:
    return "mailer-daemon@mx.facebook.com" in p.from_addr(msg)


def decode(msg: Message) -> list[Block] | None:
    blocks = p.dsn_blocks(msg, PROVIDER)
    codes = p.table("facebook_codes")
    for b in blocks:
        m = _CODE_RE.search(b.diagnosis)
        if m and m.group(1) in codes:
            b.reason = codes[m.group(1)]
        elif m and m.group(1).startswith("INT-T"):
            b.reason = "systemerror"  # Facebook's own temporary internal trouble
    return blocks or None
