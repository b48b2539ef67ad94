"""McAfee e-mail gateway (X-NAI-Header) notices: "Delivery Status", a text listing
"<addr>   (reply)" under "--- The following addresses had delivery problems ---", and a
delivery-status part that names recipients by "Original-Recipient: <addr>" only."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "McAfee"
PROVIDER = "mcafee"

_LINE_RE = re.compile(r"^<([^ <>]{1,254}@[^ <>]{1,255})>[ \t]{1,20}\((.{1,2000})\)[ \t]*$")


def detect(msg: Message) -> bool:
    return p.has_header(msg, "X-NAI-Header")


def decode(msg: Message) -> list[Block] | None:
    blocks = p.dsn_blocks(msg, PROVIDER)
    text = p.cut_original(p.first_text(msg))
    found = {}
    for line in p.lines(text):
        m = _LINE_RE.match(line.strip())
        if m and p.clean_address(m.group(1)):
            found[p.clean_address(m.group(1))] = p.sweep(m.group(2))
    if not blocks:
        blocks = [Block(recipient=a, provider=PROVIDER, action="failed", diagnosis=d) for a, d in found.items()]
        for b in blocks:
            p.refine_codes(b)
    return blocks or None
