"""Outlook.com / Hotmail (Windows Live) bounces from postmaster@*hotmail*, *outlook*, *msn*
or *live* domains: "This is an automatically generated Delivery Status Notification.",
"Delivery to the following recipients failed." (or "has been delayed."), the indented
addresses, and a delivery-status part; X-Message-Delivery / X-Message-Info headers."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Outlook"
PROVIDER = "microsoft"

_DOMAINS = ("hotmail.", "outlook.", "msn.com", "live.com")


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    if not p.subject(msg).startswith("Delivery Status Notification"):
        return False
    return ("postmaster@" in sender and any(d in sender for d in _DOMAINS)) or p.has_header(
        msg, "X-Message-Delivery"
    )


def decode(msg: Message) -> list[Block] | None:
    text = p.first_text(msg)
    if "Delivery to the following recipients" not in text[:5000]:
        return None
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        pairs = p.recipient_paragraphs(text, "Delivery to the following recipients")
        blocks = [Block(recipient=a, provider=PROVIDER, action="failed") for a, _ in pairs]
    delayed = "has been delayed" in text[:5000]
    for b in blocks:
        if delayed and not b.action:
            b.action = "delayed"
    return blocks or None
