"""Mail.ru bounces (mailer-daemon@*.mail.ru, X-Failed-Recipients): the same Exim report in
Russian and then in English ("**********************" between), each address indented on
its own line and the remote reply ("SMTP error from remote mail server after RCPT TO:...:
host mx [ip]: 550 ...") indented under it."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "MailRu"
PROVIDER = "mailru"

_START = ("The following address(es) failed:", "failed:")
_MARKERS = ("------ This is a copy of the message",)


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return "mailer-daemon@" in sender and ("mail.ru" in sender or "corp.mail" in sender)


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), _MARKERS + p._ORIGINAL_MARKERS)
    pairs = p.recipient_paragraphs(text, _START)
    if not pairs:
        # The Russian half only: the addresses follow the first line that ends with a colon.
        pairs = p.recipient_paragraphs(text, ":")
    out = [p.exim_block(a, d, PROVIDER) for a, d in pairs]
    return out or None
