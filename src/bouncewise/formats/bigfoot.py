"""Bigfoot (bigfoot.com forwarding) bounces: a Sendmail-style notice from a bigfoot.com
mailer-daemon ("Returned mail: ..."), with "----- Transcript of session follows -----"
and a delivery-status part."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Bigfoot"
PROVIDER = "bigfoot"


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return "bigfoot.com" in sender


def decode(msg: Message) -> list[Block] | None:
    blocks = p.dsn_blocks(msg, PROVIDER)
    if blocks:
        text = p.first_text(msg)
        transcript = p.labelled_text(text, "----- Transcript of session follows -----")
        p.fill_diagnosis(blocks, transcript)
    return blocks or None
