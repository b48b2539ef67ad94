"""Google Groups refusal: a plain-text notice from Gmail's mailer-daemon saying that the
group may not exist or the sender may not post to it (in the sender's language), signed
"Google Groups" with a link to groups.google.com; the group is in X-Failed-Recipients."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "GoogleGroups"
PROVIDER = "google"

_MARKS = ("groups.google.com/support", "Google Groups")


def detect(msg: Message) -> bool:
    return "mailer-daemon@googlemail.com" in p.from_addr(msg) and p.subject(msg).startswith(
        "Delivery Status Notification"
    )


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), ("----- Original message -----",))
    if not all(m in text for m in _MARKS):
        return None
    addrs = p.failed_recipients(msg)
    if not addrs:
        return None
    diagnosis = p.sweep(text)
    blocks = []
    for a in addrs:
        # The notice states it: the group refused the post (missing, or no permission).
        b = Block(recipient=a, provider=PROVIDER, action="failed", diagnosis=diagnosis, reason="rejected")
        blocks.append(b)
    return blocks
