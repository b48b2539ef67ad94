"""Amazon SES receiving (inbound) bounces: SES refused a message for a domain whose mail it
receives, and reports it from postmaster@<that domain> with "This message could not be
delivered." and a delivery-status part whose Reporting-MTA is inbound-smtp.*.amazonaws.com."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "ReceivingSES"
PROVIDER = "amazon"


def detect(msg: Message) -> bool:
    if not p.has_header(msg, "X-SES-Outgoing"):
        return False
    return p.subject(msg).startswith("Delivery Status Notification")


def decode(msg: Message) -> list[Block] | None:
    per_message, groups = p.dsn_fields(msg)
    if not groups or "inbound-smtp." not in per_message.get("reporting-mta", ""):
        return None
    return p.dsn_blocks(msg, PROVIDER) or None
