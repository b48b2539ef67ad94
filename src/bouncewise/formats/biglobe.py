"""BIGLOBE bounces from postmaster@*biglobe.ne.jp: "----- The following addresses had
delivery problems -----", the addresses, "----- Non-delivered information -----" and
BIGLOBE's own explanation."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Biglobe"
PROVIDER = "biglobe"

_START = "----- The following addresses had delivery problems -----"
_INFO = "----- Non-delivered information -----"



def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return "biglobe.ne.jp" in sender and ("postmaster@" in sender or "mailer-daemon@" in sender)


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg))
    i = text.find(_START)
    if i < 0:
        return None
    head, _, info = text[i + len(_START) :].partition(_INFO)
    diag = p.sweep("\n".join(x for x in p.lines(info) if x.strip() and not x.startswith("--"))[:3000])
    blocks = []
    for line in p.lines(head):
        addr = p.clean_address(line) if "@" in line else None
        if not addr:
            continue
        b = Block(recipient=addr, provider=PROVIDER, action="failed", diagnosis=diag)
        b.status, b.replycode = p.find_status(diag), p.find_replycode(diag)
        b.reason = p.stated_reason("biglobe", diag) or b.reason
        blocks.append(b)
    return blocks or None
