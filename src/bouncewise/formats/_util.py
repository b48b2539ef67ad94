"""Small helpers shared by format decoders. Decoders receive an ``email.message.Message``
parsed with the lenient compat32 policy (by bouncewise.messages) and return Blocks."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message

MAX_PART_CHARS = 2_000_000  # text read from one part; the pipeline also caps the message

# Linear-time patterns only: no nested quantifiers.
ADDR_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,128}@[A-Za-z0-9.-]{1,255}\.[A-Za-z]{2,63}")
STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
REPLYCODE_RE = re.compile(r"\b([245][0-5][0-9])\b")


def header(msg: Message, name: str) -> str:
    """A header's value, RFC 2047-decoded, unfolded; '' when absent or undecodable."""
    raw = msg.get(name)
    if raw is None:
        return ""
    raw = str(raw)
    try:
        text = str(make_header(decode_header(raw)))
    except Exception:  # malformed encoded-words, unknown charsets
        text = raw
    return " ".join(text.split())


def part_text(part: Message) -> str:
    """The decoded text of one non-multipart part (transfer-encoding and charset undone)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw[:MAX_PART_CHARS] if isinstance(raw, str) else ""
    payload = payload[:MAX_PART_CHARS]
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # unknown charset
        return payload.decode("utf-8", errors="replace")


def text_parts(msg: Message, subtypes: tuple[str, ...] = ("plain",)) -> list[str]:
    """Decoded text of the message's text/<subtype> parts, in order (not inside attached
    messages). A non-multipart message counts as one part."""
    out: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype.startswith("text/") and ctype.split("/", 1)[1] in subtypes:
            out.append(part_text(part))
        elif not msg.is_multipart():
            out.append(part_text(part))
    return out


def body_text(msg: Message) -> str:
    """All plain-text parts joined, line endings normalised to \\n."""
    text = "\n".join(text_parts(msg))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_address(text: str) -> str | None:
    m = ADDR_RE.search(text)
    return m.group(0).strip(".") if m else None
