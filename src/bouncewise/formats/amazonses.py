"""Amazon SES bounces to the sender: a multipart/report from MAILER-DAEMON@*.amazonses.com
("An error occurred while trying to deliver the mail to the following recipients:" or the
older "The following message to <addr> was undeliverable."), or an SES notification (JSON)
that Amazon SNS delivered by e-mail ("AWS Notification Message").

SES wraps the remote server's reply in its own: "5.1.0 - Unknown address error
550-'5.7.1 ...'" or "554 4.4.7 Message expired: ... <421 4.4.2 Connection timed out>";
the inner reply is the one that says what happened."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "AmazonSES"
PROVIDER = "amazon"

_INNER_ANGLE_RE = re.compile(r"<([245][0-5][0-9]) ([245]\.[0-9]{1,3}\.[0-9]{1,3})[ >]")
_INNER_QUOTED_RE = re.compile(r"\b([245][0-5][0-9])[ -]'([245]\.[0-9]{1,3}\.[0-9]{1,3})\b")
_EXPIRED = "Message expired: unable to deliver in"
_TEXT_MARKS = (
    "An error occurred while trying to deliver the mail to the following recipients:",
    "was undeliverable.",
)


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    if "amazonses.com" in sender:
        return True
    return "no-reply@sns.amazonaws.com" in sender and p.has_header(msg, "x-amz-sns-message-id")


def apply_inner_reply(block: Block) -> Block:
    """Replace SES's own codes with the remote server's, when SES quotes them."""
    diag = block.diagnosis[: p.MAX_DIAG]
    m = _INNER_ANGLE_RE.search(diag) or _INNER_QUOTED_RE.search(diag)
    if m:
        block.replycode, block.status = m.group(1), m.group(2)
        if m.re is _INNER_QUOTED_RE:
            # "5.1.0 - Unknown address error 550-'5.7.1 ... Access denied'": SES's own
            # label is a guess; the quoted remote reply is what to diagnose.
            inner = diag[m.start() :].replace("-'", " ", 1)
            block.diagnosis = p.sweep(inner.split("'", 1)[0])
    if _EXPIRED in diag:
        block.reason = "expired"  # SES's own fixed wording: it gave up retrying
    return block


def _from_notification(msg: Message) -> list[Block] | None:
    from bouncewise import events

    return events.blocks_from_text(p.first_text(msg)) or None


def decode(msg: Message) -> list[Block] | None:
    if "sns.amazonaws.com" in p.from_addr(msg):
        return _from_notification(msg)
    per_message, groups = p.dsn_fields(msg)
    text = p.first_text(msg)
    if not groups or not any(m in text[:3000] for m in _TEXT_MARKS):
        return None
    blocks = p.dsn_blocks(msg, PROVIDER)
    for b in blocks:
        apply_inner_reply(b)
    return blocks or None
