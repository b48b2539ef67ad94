"""amavisd-new (content filter) notices: From "Content-filter at <host>", a multipart/report
whose text says "The message WAS NOT relayed to:" (a refusal further on) or that the message
was considered spam (UBE) or infected, with a delivery-status part per recipient."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Amavis"
PROVIDER = "amavis"


def detect(msg: Message) -> bool:
    return "content-filter at " in p.from_addr(msg)


def decode(msg: Message) -> list[Block] | None:
    blocks = p.dsn_blocks(msg, PROVIDER)
    if blocks:
        return blocks
    text = p.cut_original(p.first_text(msg))
    pairs = p.recipient_paragraphs(text, ("WAS NOT relayed to:", "to:"))
    return [p.exim_block(a, d, PROVIDER) for a, d in pairs] or None
