"""Amazon WorkMail bounces (X-Mailer: Amazon WorkMail, sent through SES): a text notice
"An error occurred while trying to deliver the mail to the following recipients:" and a
"Technical report:" holding delivery-status fields as plain text."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.formats._util import header
from bouncewise.formats.amazonses import apply_inner_reply
from bouncewise.record import Block

NAME = "AmazonWorkMail"
PROVIDER = "amazon"


def detect(msg: Message) -> bool:
    return header(msg, "X-Mailer").startswith("Amazon WorkMail")


def decode(msg: Message) -> list[Block] | None:
    per_message, groups = p.dsn_fields(msg)
    if not groups:
        text = p.first_text(msg)
        i = text.find("Technical report:")
        if i < 0:
            return None
        groups = []
        for group in p.parse_field_groups(text[i + len("Technical report:") :]):
            if "final-recipient" in group or "original-recipient" in group:
                groups.append(group)
            else:
                for k, v in group.items():
                    per_message.setdefault(k, v)
        # WorkMail writes all fields in one group: split it where a recipient starts.
    blocks = []
    for g in groups:
        b = p.block_from_fields(g, per_message)
        if b is None:
            continue
        b.provider = PROVIDER
        p.refine_codes(b)
        apply_inner_reply(b)
        blocks.append(b)
    return blocks or None
