"""AOL bounces from Postmaster@AOL.com ("Undeliverable: <subject>", X-AOL-* headers) or
MAILER-DAEMON@AOL.com: a delivery-status part written by AOL's outbound relay
(Diagnostic-Code: X-Outbound-Mail-Relay; ...) with Postfix-like text."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Aol"
PROVIDER = "aol"


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    return "@aol.com" in sender and ("postmaster@" in sender or "mailer-daemon@" in sender)


def decode(msg: Message) -> list[Block] | None:
    blocks = p.dsn_blocks(msg, PROVIDER)
    for b in blocks:
        # the relay's own DNS verdicts (a null MX shows up as a "malformed" MX answer)
        b.reason = b.reason or p.stated_reason("aol", b.diagnosis)
    return blocks or None
