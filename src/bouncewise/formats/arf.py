"""RFC 5965 Abuse Reporting Format (ARF) feedback reports, including RFC 6591
authentication-failure reports: a multipart/report (report-type=feedback-report) whose
message/feedback-report part names the feedback type and, often, the recipients."""

from __future__ import annotations

from email.message import Message
from email.utils import getaddresses

from bouncewise.formats._util import (
    clean_address,
    header,
    original_message,
    parse_fields,
    part_text,
    parts,
    report_part_text,
    strip_type,
)
from bouncewise.record import Block

NAME = "ARF"

_RCPT_FIELDS = ("original-rcpt-to", "removal-recipient")


def detect(msg: Message) -> bool:
    ctype = (msg.get("Content-Type") or "").lower()
    return "feedback-report" in ctype or (
        msg.get_content_type() == "multipart/report" and "report-type" not in ctype
    ) or _unsubscribe_request(msg)


def _unsubscribe_request(msg: Message) -> bool:
    """Apple Mail's one-click unsubscribe: a plain message the recipient's mail program
    sends to the List-Unsubscribe address, marked ``X-Apple-Unsubscribe: true``. It is the
    recipient's opt-out, i.e. feedback, even though it also carries Auto-Submitted."""
    return header(msg, "X-Apple-Unsubscribe").strip().lower() == "true"


def _report_text(msg: Message) -> str | None:
    for part in parts(msg):
        ctype = part.get_content_type()
        if ctype == "message/feedback-report":
            return report_part_text(part)
    # mislabelled: a text part holding the fields
    for part in parts(msg):
        if part.get_content_type().startswith("text/"):
            text = part_text(part).replace("\r\n", "\n")
            if "feedback-type:" in text[:20000].lower():
                return text
    return None


def decode(msg: Message) -> list[Block] | None:
    text = _report_text(msg)
    if text is None:
        if _unsubscribe_request(msg):
            sender = clean_address(header(msg, "From"))
            subject = header(msg, "Subject")[:200]
            return [Block(recipient=sender, diagnosis=f"unsubscribe request: {subject}".strip(),
                          feedbacktype="opt-out", reason="feedback")]
        return None
    fields: dict[str, list[str]] = {}
    for group in parse_fields(text):
        for name, value in group:
            fields.setdefault(name, []).append(value)
    ftype_values = fields.get("feedback-type")
    if not ftype_values:
        return None
    ftype = ftype_values[0].strip().lower().split()[0] if ftype_values[0].strip() else "other"
    recipients: list[str] = []
    for name in _RCPT_FIELDS:
        for value in fields.get(name, []):
            addr = clean_address(value)
            if addr and addr.lower() not in (r.lower() for r in recipients):
                recipients.append(addr)
    if not recipients:
        original = original_message(msg)
        if original is not None:
            for _, addr in getaddresses([header(original, "To")]):
                if "@" in addr:
                    recipients.append(addr)
    lhost = strip_type((fields.get("reporting-mta") or [""])[0]) or None
    diag = " ".join(
        f"{n}: {fields[n][0]}" for n in ("feedback-type", "user-agent", "source-ip", "reported-domain") if n in fields
    )
    return [
        Block(
            recipient=r,
            diagnosis=diag,
            lhost=lhost,
            feedbacktype=ftype,
            reason="feedback",
            last_attempt=(fields.get("arrival-date") or [None])[0],
        )
        for r in (recipients or [None])  # type: ignore[list-item]
    ]
