"""1&1 (IONOS, kundenserver.de) bounces: an Exim-style text from mailer-daemon@*kundenserver*
"The following address failed:" with the address on its own line and then either
"For the following reason:" and 1&1's words, or "SMTP error from remote server for TEXT
command, host: ... reason: <reply>"."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "EinsUndEins"
PROVIDER = "1and1"

_START = ("The following address failed:", "The following address(es)", "failed:")
_MARKERS = ("--- The header of the original message is following. ---",)



def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return "mailer-daemon@" in sender and ("kundenserver" in sender or "1and1" in sender or "ionos" in sender)


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), _MARKERS + p._ORIGINAL_MARKERS)
    out = []
    for addr, detail in p.recipient_paragraphs(text, _START):
        b = p.exim_block(addr, detail, PROVIDER)
        b.diagnosis = p.sweep(b.diagnosis.replace("For the following reason:", ""))
        if not b.status:
            b.reason = p.stated_reason("einsundeins", b.diagnosis) or b.reason
        out.append(b)
    return out or None
