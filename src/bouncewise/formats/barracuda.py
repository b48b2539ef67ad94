"""Barracuda Spam Firewall notices: "**Message you sent blocked by our bulk email filter**",
"Your message to: <addr> was blocked by our Spam Firewall", and a delivery-status part."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Barracuda"
PROVIDER = "barracuda"


def detect(msg: Message) -> bool:
    s = p.subject(msg)
    return "bulk email filter" in s or "Barracuda" in s or p.has_header(msg, "X-Barracuda-Connect")


def decode(msg: Message) -> list[Block] | None:
    blocks = p.dsn_blocks(msg, PROVIDER)
    text = p.first_text(msg)
    if not blocks:
        pairs = p.recipient_paragraphs(text, "Your message to:")
        blocks = [p.exim_block(a, d, PROVIDER) for a, d in pairs]
    stated = p.stated_reason("barracuda", text)  # the gateway says its own filter blocked it
    for b in blocks:
        b.reason = stated or b.reason
    return blocks or None
