"""Whether a message is a notice from a mail system: the envelope sender and From, the Subject
in many languages, the report structure, the Auto-Submitted header; and what is never a delivery
notice (feedback reports, read receipts, mailing-list traffic)."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats._util import header
from bouncewise.reader.patterns import ATTACHED
from bouncewise.reader.text import carries_event, is_pasted
from bouncewise.reader.vocab import Vocab, vocab


def sender_signal(msg: Message, v: Vocab) -> bool:
    for name in ("From", "Sender"):  # not Return-Path: lists send from bounce@ addresses too
        value = header(msg, name).lower()[:500]
        if value and any(s in value for s in v.senders):
            return True
    return False


def strip_forward(subject: str, v: Vocab) -> tuple[str, bool]:
    forwarded = False
    for _ in range(4):
        s = subject.lstrip()
        hit = next((p for p in v.forward_prefixes if s.startswith(p)), None)
        if hit is None:
            break
        subject, forwarded = s[len(hit) :], True
    return subject, forwarded


def subject_signal(subject: str, v: Vocab) -> bool:
    return any(s in subject for s in v.subjects)


def is_other_report(msg: Message) -> bool:
    """Feedback reports, read receipts and other reports that are not about delivery."""
    ctype = (msg.get("Content-Type") or "").lower()[:500]
    if "feedback-report" in ctype or "disposition-notification" in ctype:
        return True
    return msg.get("Disposition-Notification-To") is not None and msg.get("Original-Recipient") is not None


def is_list_mail(msg: Message) -> bool:
    if msg.get("List-Unsubscribe") is not None or msg.get("List-Id") is not None:
        return True
    return header(msg, "Precedence").lower().strip() in ("bulk", "list")


def auto_generated(msg: Message) -> bool:
    value = header(msg, "Auto-Submitted").lower().strip()
    return bool(value) and value != "no"


def attached_messages(msg: Message) -> list[Message]:
    """Top-level attached messages (parsed) of a multipart message."""
    out: list[Message] = []
    if not msg.is_multipart():
        return out
    stack = [msg]
    seen = 0
    while stack and seen < 50:
        part = stack.pop(0)
        seen += 1
        ctype = part.get_content_type()
        payload = part.get_payload()
        if part is not msg and ctype in ATTACHED:
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                out.append(payload[0])
            elif isinstance(payload, str):
                from bouncewise.formats._mime import parse_headers_text

                text = payload[:100_000].replace("\r\n", "\n").lstrip("\n")
                out.append(parse_headers_text(text))
            continue
        if part.is_multipart() and isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
    return out


def detect(msg: Message) -> bool:
    if is_other_report(msg):
        return False
    if is_pasted(msg) or carries_event(msg):
        return True  # a notice's text pasted without its headers, or an ESP event: the text decides
    v = vocab()
    if sender_signal(msg, v) or msg.get("X-Failed-Recipients") is not None:
        return True
    subject, _ = strip_forward(header(msg, "Subject").lower()[:500], v)
    if subject_signal(subject, v):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    # an automatic message, or any with a message attached: the text decides (notice.read)
    return msg.is_multipart() and (auto_generated(msg) or bool(attached_messages(msg)))
