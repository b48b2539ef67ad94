"""KDDI au one net (dion.ne.jp) bounces from no-reply@*.dion.ne.jp: a Japanese preamble and
"Your mail sent on: <date> Could not be delivered to: <addr> As their mailbox is full."
(or "Due to the following SMTP relay error", "As the remote domain doesnt exist")."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "KDDI"
PROVIDER = "kddi"

_TO_RE = re.compile(r"Could not be delivered to:[ \t]{0,10}<?([^ <>]{1,254}@[^ <>]{1,255})>?")



def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return ".dion.ne.jp" in sender or "@kddi" in sender or ".kddi." in sender


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg))
    blocks = []
    lines = p.lines(text)
    for i, line in enumerate(lines):
        m = _TO_RE.search(line)
        if not m or not p.clean_address(m.group(1)):
            continue
        following = [x.strip() for x in lines[i + 1 : i + 6] if x.strip() and x.strip().isascii()]
        diag = p.sweep(" ".join(following[:3]))
        b = Block(recipient=p.clean_address(m.group(1)), provider=PROVIDER, action="failed", diagnosis=diag)
        b.status, b.replycode = p.find_status(diag), p.find_replycode(diag)
        b.reason = p.stated_reason("kddi", diag) or b.reason
        blocks.append(b)
    return blocks or None
