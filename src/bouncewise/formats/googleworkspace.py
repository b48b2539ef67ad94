"""Google Workspace notice that Gmail could not send at all through the sender's own
"Send mail as" SMTP server: a starred "** Message not delivered **" title, Google's
explanation and the response of the sender's server, and an empty delivery-status part.
The failure is on the sending side, so every recipient of the original message failed."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.formats import gsuite
from bouncewise.formats._util import ADDR_RE
from bouncewise.record import Block

NAME = "GoogleWorkspace"
PROVIDER = "google"

_MARKS = ("'Send mail as'", "CustomFromDenied")


def detect(msg: Message) -> bool:
    return gsuite.detect(msg)


def _original_to(msg: Message) -> list[str]:
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                value = str(inner.get("To") or "")
            else:
                text = p.part_text(part) if not isinstance(payload, list) else ""
                value = ""
                for line in p.lines(text):
                    if line.lower().startswith("to:"):
                        value = line[3:]
                        break
            return [m.group(0) for m in ADDR_RE.finditer(value[:5000])][:100]
    return []


def decode(msg: Message) -> list[Block] | None:
    text = p.first_text(msg)
    if not any(m in text[:5000] for m in _MARKS):
        return None
    _, groups = p.dsn_fields(msg)
    if groups:  # a per-recipient report: the ordinary Google notice
        return None
    addrs = _original_to(msg) or p.failed_recipients(msg)
    if not addrs:
        return None
    response = gsuite.response_text(text)
    head = p.sweep(p.cut_original(text)[:3000])
    blocks = []
    for a in addrs:
        b = Block(recipient=a, provider=PROVIDER, action="failed", diagnosis=head)
        if response:
            b.status = p.find_status(response)
            b.replycode = p.find_replycode(response)
        # Google states the cause: its own client was refused by the sender's server.
        b.reason = "rejected"
        blocks.append(b)
    return blocks
