"""Microsoft's complaint reports (JMRP, the Junk Mail Reporting Program of Outlook.com /
Hotmail): a user pressed "junk" on a message, and the provider returns that message to the
sender's registered address.

Unlike an RFC 5965 ARF report, a JMRP report carries no machine-readable feedback part: it
is a multipart message with the complained-about message attached as message/rfc822, and
the provider adds an ``X-HmXmrOriginalRecipient`` header to that copy naming the mailbox of
the user who complained. Every such report is an abuse complaint, so the decoder states the
reason ("feedback") and the feedback type ("abuse") itself. Sisimai reads this variant with
its ARF decoder; the engine name follows it.
"""

from __future__ import annotations

from email.message import Message
from email.utils import getaddresses

from bouncewise.formats._util import first_address, header
from bouncewise.record import Block

NAME = "ARF"

_MARK = "X-HmXmrOriginalRecipient"
_ATTACHED = ("message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers")


def _attached(msg: Message) -> list[Message]:
    """The top-level attached messages (or header blocks) of a multipart message."""
    if not msg.is_multipart():
        return []
    out: list[Message] = []
    payload = msg.get_payload()
    if not isinstance(payload, list):
        return out
    for part in payload[:20]:
        if not isinstance(part, Message) or part.get_content_type() not in _ATTACHED:
            continue
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            out.append(inner[0])
        elif isinstance(inner, str):
            from bouncewise.formats._mime import parse_headers_text

            out.append(
                parse_headers_text(inner[:100_000].replace("\r\n", "\n").lstrip("\n"))
            )
    return out


def detect(msg: Message) -> bool:
    if msg.get(_MARK) is not None:
        return True
    return any(inner.get(_MARK) is not None for inner in _attached(msg))


def decode(msg: Message) -> list[Block] | None:
    value = header(msg, _MARK)
    source = msg
    if not value:
        for inner in _attached(msg):
            value = header(inner, _MARK)
            if value:
                source = inner
                break
    recipient = first_address(value[:2000]) if value else None
    if recipient is None:
        # the marker header without an address: the attached copy's single To, if any
        found = [a for _, a in getaddresses([header(source, "To")]) if "@" in a]
        if len(found) != 1:
            return None
        recipient = found[0]
    subject = header(msg, "Subject")[:300]
    diagnosis = "feedback-type: abuse (Microsoft JMRP complaint)" + (
        f"; subject: {subject}" if subject else ""
    )
    return [Block(recipient=recipient, diagnosis=diagnosis, reason="feedback", feedbacktype="abuse")]
