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
    text = p.cut_original(p.first_text(msg))
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        pairs = p.recipient_paragraphs(text, ("WAS NOT relayed to:", "to:"))
        blocks = [p.exim_block(a, d, PROVIDER) for a, d in pairs]
    # amavis lists the header defects it found ("Duplicate header field: ..."): its own verdict
    stated = p.stated_reason("amavis", text[:20000])
    for b in blocks:
        b.reason = b.reason or stated
    return blocks or None
