"""SurfControl E-mail Filter (X-Mailer: SurfControl E-mail Filter, X-SEF-* headers) notices:
"Your message could not be sent. A transcript of the attempts to send the message follows."
with "Addressed To: <addr>", "<addr>: [ip], <reply>", and a delivery-status part."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.formats._util import header
from bouncewise.record import Block

NAME = "SurfControl"
PROVIDER = "surfcontrol"

_LINE_RE = re.compile(r"^([^ <>]{1,254}@[^ <>:]{1,255}): \[([0-9A-Fa-f:.]{2,45})\], (.{1,2000})$")


def detect(msg: Message) -> bool:
    return header(msg, "X-Mailer").startswith("SurfControl") or p.has_header(msg, "X-SEF-Processed")


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg))
    replies = {}
    for line in p.lines(text):
        m = _LINE_RE.match(line.strip())
        if m and p.clean_address(m.group(1)):
            replies[p.clean_address(m.group(1))] = (m.group(2), p.sweep(m.group(3)))
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        blocks = [Block(recipient=a, provider=PROVIDER, action="failed", diagnosis=d) for a, (_, d) in replies.items()]
    for b in blocks:
        if b.recipient in replies:
            b.rhost = b.rhost or replies[b.recipient][0]
            if not b.diagnosis:
                b.diagnosis = replies[b.recipient][1]
        p.refine_codes(b)
    return blocks or None
