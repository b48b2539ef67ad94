"""Symantec Email Security.cloud (MessageLabs) notices from MAILER-DAEMON@messagelabs.com
(X-Msg-Ref): "I was unable to deliver your message to the following addresses:", the
addresses, "Reason: <remote reply>", and a delivery-status part (status often 5.0.0)."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "MessageLabs"
PROVIDER = "messagelabs"


def detect(msg: Message) -> bool:
    return "messagelabs.com" in p.from_addr(msg) or p.has_header(msg, "X-Msg-Ref")


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg))
    reason = p.labelled_text(text, "Reason:")
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        pairs = p.recipient_paragraphs(text, "to the following addresses:")
        blocks = [Block(recipient=a, provider=PROVIDER, action="failed") for a, _ in pairs]
    p.fill_diagnosis(blocks, reason)
    for b in blocks:
        p.refine_codes(b)
        # the gateway's notice states the recipient was refused as unknown
        b.reason = b.reason or p.stated_reason("messagelabs", b.diagnosis)
    return blocks or None
