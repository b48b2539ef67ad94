"""Zoho Mail bounces (mailer-daemon@mail.zoho.com, X-ZohoMail): one line per recipient,
"addr Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <addr>... reply", or in a delay
notice "[Status: Error, Address: <addr>, ResponseCode 421, , Host not reachable.]"."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Zoho"
PROVIDER = "zoho"

_LINE_RE = re.compile(r"^([^ \t<>]{1,254}@[^ \t<>,]{1,255}) [^,]{0,80}, ERROR_CODE :([0-9]{0,3}), ERROR_CODE :(.{0,2000})$")
_DELAY_RE = re.compile(r"^\[Status: [^,]{0,40}, Address: <([^ <>]{1,254}@[^ <>]{1,255})>, ResponseCode ([0-9]{0,3}), ([^\]]{0,2000})\]")
_MARKERS = ("Received:from ", "Received: from ", "----- Transcript of session follows -----")



def detect(msg: Message) -> bool:
    return "mailer-daemon@mail.zoho.com" in p.from_addr(msg) or p.has_header(msg, "X-ZohoMail")


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), _MARKERS)
    delayed = "THIS IS A WARNING MESSAGE ONLY" in text
    blocks = []
    for line in p.lines(text):
        line = line.strip()
        m = _LINE_RE.match(line)
        if m:
            diag = m.group(3).strip(" ,")
            b = Block(recipient=p.clean_address(m.group(1)), replycode=m.group(2) or None, diagnosis=p.sweep(diag))
        else:
            m = _DELAY_RE.match(line)
            if not m:
                continue
            b = Block(recipient=p.clean_address(m.group(1)), replycode=m.group(2) or None)
            b.diagnosis = p.sweep(m.group(3).strip(" ,"))
        b.provider = PROVIDER
        b.action = "delayed" if delayed else "failed"
        b.status = p.find_status(b.diagnosis)
        if b.replycode and b.replycode not in b.diagnosis:
            b.diagnosis = p.sweep(f"{b.replycode} {b.diagnosis}")
        if not b.status:
            b.reason = p.stated_reason("zoho", b.diagnosis) or b.reason
        if b.recipient:
            blocks.append(b)
    return blocks or None
