"""An unnamed MTA ("X6" in Sisimai's catalogue): "There was an error sending your mail".

"We had trouble delivering your message. Full details follow:", "N error(s):", then one
sentence per error: "SMTP Server <host> rejected recipient <addr> (Error following RCPT
command). It responded as follows: [550 ...]" or "The following recipients returned
permanent errors: addr. Reason: SMTP Server <ip> refused to accept your message (DATA),
with the following error message: [554 ...]".
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "X6"

_REJECTED = re.compile(r"SMTP Server <([^<>\s]{1,255})> rejected recipient <([^<>\s]{1,300}@[^<>\s]{1,300})> \(Error following ([A-Z]{4}) command\)\.? It responded as follows: \[(.{1,2000}?)\]?$")
_PERMANENT = re.compile(r"recipients returned permanent errors: <?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?\.? Reason: SMTP Server <([^<>\s]{1,255})> refused to accept your message \(([A-Z]{4})\),? with the following error(?: message)?: \[(.{1,2000}?)\]?$")


def detect(msg: Message) -> bool:
    return _mta.header_lower(msg, "Subject").startswith("there was an error sending your mail")


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    if "we had trouble delivering your message" not in text[:3000].lower():
        return None
    blocks: list[Block] = []
    for line in _mta.lines_of(text):
        s = line.strip()
        m = _REJECTED.search(s)
        if m:
            host, rcpt, verb, reply = m.groups()
            blocks.append(Block(recipient=rcpt, rhost=host, command=_mta.smtp_verb(verb), diagnosis=reply))
            continue
        m = _PERMANENT.search(s)
        if m:
            rcpt, host, verb, reply = m.groups()
            blocks.append(Block(recipient=rcpt, rhost=host, command=_mta.smtp_verb(verb), diagnosis=reply))
    for b in blocks:
        b.action = "failed"
    return _mta.finish(blocks) or None
