"""MXLogic (McAfee SaaS e-mail protection) bounces from MAILER-DAEMON@*.mxlogic.net or
*.mxl*: Exim-style "A message that you have sent could not be delivered to one or more
recipients. This is a permanent error. The following address failed:" then
"<addr>: reply" lines; X-MX-Bounce / X-MXL-NoteHash headers."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "MXLogic"
PROVIDER = "mxlogic"

_START = ("The following address failed:", "This is a permanent error.")
_MARKERS = ("Included is a copy of the message header:",)


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    if p.has_header(msg, "X-MX-Bounce", "X-MXL-NoteHash", "X-MXL-Hash"):
        return True
    return "mailer-daemon@" in sender and (".mxlogic.net" in sender or ".mxl" in sender)


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), _MARKERS + p._ORIGINAL_MARKERS)
    out = [p.exim_block(a, d, PROVIDER) for a, d in p.recipient_paragraphs(text, _START)]
    return out or None
