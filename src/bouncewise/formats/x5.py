"""An unnamed relay ("X5" in Sisimai's catalogue) that wraps another MTA's bounce.

Its own text only says "The original message was received at ..." and
"----- The following addresses had permanent delivery errors -----" with no address; the
bounce it received (a Sendmail-style multipart/report with the delivery-status part) is
attached whole as message/rfc822.
"""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _mta

NAME = "X5"


def detect(msg: Message) -> bool:
    return "mail delivery subsystem" in _mta.header_lower(msg, "From") and msg.is_multipart()


def decode(msg: Message) -> list:
    text = _mta.report_text(msg)
    if "following addresses had permanent delivery errors" not in text[:5000].lower():
        return None
    for part in msg.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            blocks = _mta.dsn_blocks(inner)
            if blocks:
                return _mta.finish(blocks) or None
        break
    return None
