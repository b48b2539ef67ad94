"""Verizon Wireless bounces: from the MMS gateway (vzwpix.com: "Message could not be
delivered to mobile. Error: No valid recipients for this MM", the recipient in the quoted
"To:") or from the SMS gateway (vtext.com: "Error: Invalid user address", "Error message
below:" with the reply, and "RCPT TO: addr" among the message details)."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Verizon"
PROVIDER = "verizon"

_RCPT_RE = re.compile(r"^[ \t]{0,10}RCPT TO:[ \t]{0,5}<?([^ <>]{1,254}@[^ <>]{1,255})>?", re.M)
_TO_RE = re.compile(r"^[ \t]{0,10}To:[ \t]{0,5}(.{1,1000})$", re.M)



def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return "vzwpix.com" in sender or "vtext.com" in sender


def decode(msg: Message) -> list[Block] | None:
    text = p.first_text(msg)[:50000]
    m = _RCPT_RE.search(text)
    if m:  # SMS gateway notice
        recipient = p.clean_address(m.group(1))
        i = text.find("Error message below:")
        reply = ""
        if i >= 0:
            reply = next((x.strip() for x in p.lines(text[i + 20 :]) if x.strip()), "")
        head = next((x.strip() for x in p.lines(text) if x.strip().startswith("Error:")), "")
        diag = p.sweep(f"{reply} ({head})" if head else reply)
    else:  # MMS gateway notice
        i = text.find("Original Message:")
        t = _TO_RE.search(text[i:] if i >= 0 else "")
        recipient = p.clean_address(t.group(1)) if t else None
        diag = p.sweep(" ".join(x for x in p.lines(text[: i if i >= 0 else 2000]) if x.strip()))
    if not recipient:
        return None
    b = Block(recipient=recipient, provider=PROVIDER, action="failed", diagnosis=diag)
    b.replycode, b.status = p.find_replycode(diag), p.find_status(diag)
    b.reason = p.stated_reason("verizon", diag) or b.reason
    return [b]
