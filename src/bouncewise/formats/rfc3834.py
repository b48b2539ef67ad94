"""RFC 3834 automatic replies (out-of-office / vacation messages).

An auto-reply says so in its headers (Auto-Submitted: auto-replied, X-Autoreply,
Precedence: auto_reply ...) or in a conventional subject ("Automatic reply:", "Out of
Office", "Auto:" ...). A delivery failure notice can carry the same header, so messages
from MAILER-DAEMON/postmaster or reports are left to the bounce decoders. The recipient
is the person who is away: the auto-reply's sender.
"""

from __future__ import annotations

from email.message import Message
from email.utils import parseaddr
from functools import cache

from bouncewise._data import load_toml
from bouncewise.formats._util import first_address, header
from bouncewise.record import Block

NAME = "RFC3834"


@cache
def _phrases() -> dict[str, list[str]]:
    return load_toml("formats/data/autoreply.toml")["autoreply"]


def detect(msg: Message) -> bool:
    if msg.get_content_type() == "multipart/report":
        return False
    p = _phrases()
    sender = header(msg, "From").lower()
    if any(s in sender for s in p["not_from"]):
        return False
    subject = header(msg, "Subject").lower()[:500]
    if any(w in subject for w in p["bounce_subject"]) or any(w in subject for w in p["challenge_subject"]):
        return False
    auto = header(msg, "Auto-Submitted").lower()
    if auto.startswith("auto-replied"):
        return True
    for name in p["headers"]:
        if msg.get(name) is not None:
            return True
    prec = header(msg, "Precedence").lower()
    if prec in ("auto_reply", "auto-reply"):
        return True
    return any(subject.startswith(s) for s in p["subject_prefix"]) or any(s in subject for s in p["subject_contains"])


def decode(msg: Message) -> list[Block] | None:
    from bouncewise.reader.text import notice_text

    low = notice_text(msg)[:5000].lower()
    if any(w in low for w in _phrases()["challenge_body"]):
        return None  # a challenge-response request, not an auto-reply
    _, addr = parseaddr(header(msg, "From"))
    recipient = addr if "@" in addr else first_address(header(msg, "Return-Path") or header(msg, "Reply-To"))
    if not recipient:
        return None
    subject = header(msg, "Subject")
    return [Block(recipient=recipient, diagnosis=subject[:500], reason="vacation")]
