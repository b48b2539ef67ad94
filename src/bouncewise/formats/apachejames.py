"""Apache James bounces.

The text says "Error: <summary>", "Error message below:" (the remote reply), and
"Message details:" with indented "Subject:", "Sent date:", "MAIL FROM:" and "RCPT TO:" lines.
"""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "ApacheJames"


def detect(msg: Message) -> bool:
    if any("james smtp server" in r.lower() for r in msg.get_all("Received") or []):
        return True
    if _mta.header_lower(msg, "Subject").startswith("[bounce]"):
        return True
    # James runs on JavaMail, whose Message-IDs end in ".JavaMail.<user>@host"
    return ".javamail." in _mta.header_lower(msg, "Message-ID")


def decode(msg: Message) -> list[Block] | None:
    text = _texts(msg)
    lines = [ln.strip() for ln in _mta.lines_of(text)]
    if not any(ln.lower().startswith("message details:") for ln in lines):
        return None
    summary = ""
    reply: list[str] = []
    recipients: list[str] = []
    section = ""
    for s in lines:
        low = s.lower()
        if low.startswith("error message below:"):
            section = "reply"
            continue
        if low.startswith("message details:"):
            section = "details"
            continue
        if low.startswith("error:") and not summary:
            summary = s[6:].strip()
            continue
        if section == "reply" and s:
            reply.append(s)
        elif section == "details" and low.startswith("rcpt to:"):
            recipients.extend(a for a in [_mta.address(s)] if a)
    if not recipients:
        return None
    diag = " ".join(reply) or summary
    return _mta.finish([Block(recipient=r, diagnosis=diag, action="failed") for r in recipients]) or None


def _texts(msg: Message) -> str:
    """Every text payload, including a multipart part whose boundary could not be parsed."""
    out: list[str] = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            break
        payload = part.get_payload()
        if isinstance(payload, str) and (part.get_content_maintype() in ("text", "multipart")):
            out.append(_mta.norm(payload))
    return "\n".join(out)[: _mta.MAX_TEXT]
