"""DragonFly Mail Agent (dma) bounces ("Mail delivery failed").

dma writes "This is the DragonFly Mail Agent vX at host.", then
"There was an error delivering your mail to <addr>.", a line telling what went wrong
("mx.example [192.0.2.1] did not like our RCPT TO:" followed by the remote reply, or
"DNS lookup failure: ..."), and then "Original message follows." or
"Message headers follow." before the original message.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "DragonFly"

_START = re.compile(r"^This is the DragonFly Mail Agent\b", re.I)
_RCPT = re.compile(r"^There was an error delivering your mail to <([^<>\s]{1,300}@[^<>\s]{1,300})>\.?", re.I)
_END = re.compile(r"^(?:Original message follows|Message headers follow)\.?", re.I)
_DID_NOT_LIKE = re.compile(r"^([A-Za-z0-9._-]{1,255}) \[[0-9A-Fa-f.:]{2,64}\] did not like our (.{1,40}?):?$")
_STAGE = (("rcpt", "RCPT"), ("mail", "MAIL"), ("data", "DATA"), ("ehlo", "EHLO"), ("helo", "HELO"),
          ("starttls", "STARTTLS"), ("auth", "AUTH"), ("banner", "CONN"), ("greeting", "CONN"))


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    sender = _mta.header_lower(msg, "From")
    if subject.startswith("mail delivery failed") and "mailer-daemon" in sender:
        return True
    return any("dragonfly mail agent" in r.lower() for r in msg.get_all("Received") or [])


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    lines = _mta.lines_of(text)
    start = next((i for i, ln in enumerate(lines[:200]) if _START.match(ln.strip())), None)
    if start is None:
        return None
    blocks: list[Block] = []
    current: Block | None = None
    for line in lines[start + 1:]:
        s = line.strip()
        if _END.match(s):
            break
        m = _RCPT.match(s)
        if m:
            current = Block(recipient=m.group(1), action="failed")
            blocks.append(current)
            continue
        if current is None or not s:
            continue
        d = _DID_NOT_LIKE.match(s)
        if d:
            current.rhost = d.group(1)
            stage = d.group(2).lower()
            current.command = next((c for key, c in _STAGE if key in stage), None)
            continue
        current.diagnosis = (current.diagnosis + " " + s).strip()
    return _mta.finish(blocks) or None
