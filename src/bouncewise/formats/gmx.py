"""GMX (and web.de, mail.com: United Internet) bounces from MAILER-DAEMON@*.gmx.*: an
Exim-style text, "This message was created automatically by mail delivery software.", each
failed address quoted ("addr": or <addr>) with "SMTP error from remote server after RCPT
command:", "host: mx", the reply, or "Reason:" and GMX's own words."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "GMX"
PROVIDER = "gmx"

_START = ("The following address failed:", "failed:", "its recipients. This is a permanent error.")
_MARKERS = ("--- The header of the original message is following. ---",)


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return ("mailer-daemon@" in sender and ("@gmx." in sender or ".gmx." in sender)) or p.has_header(msg, "X-GMX-Antispam")


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), _MARKERS + p._ORIGINAL_MARKERS)
    out = [p.exim_block(a, d, PROVIDER) for a, d in p.recipient_paragraphs(text, _START)]
    return out or None
