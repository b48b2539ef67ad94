"""Small helpers shared by format decoders. Decoders receive an ``email.message.Message``
parsed with the lenient compat32 policy (by bouncewise.messages) and return Blocks."""

from __future__ import annotations

import binascii
import quopri
import re
from email.header import decode_header
from email.message import Message

MAX_PART_CHARS = 2_000_000  # text read from one part; the pipeline also caps the message

# Linear-time patterns only: no nested quantifiers.
ADDR_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,128}@[A-Za-z0-9.-]{1,255}\.[A-Za-z]{2,63}")
# Plain word boundaries (it also matches inside "10.5.1.1"); _mta, fallback, diagnosis.engine and
# events keep their own variants because their boundary rules differ: they are not interchangeable.
STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def header(msg: Message, name: str) -> str:
    """A header's value, RFC 2047-decoded, unfolded; '' when absent or undecodable."""
    d = msg.__dict__
    cache = d.get("_bw_headers")
    if cache is not None:
        hit = cache.get(name)
        if hit is not None:
            return hit
    text = _header(msg, name)
    if cache is None:
        if not hasattr(msg, "_changed"):  # only a bouncewise IndexedMessage drops the cache on change
            return text
        cache = d["_bw_headers"] = {}
    cache[name] = text  # keyed by the name as asked: lookups are case-insensitive anyway
    return text


def header_lower(msg: Message, name: str) -> str:
    """header(msg, name).lower(), kept per message like header()."""
    d = msg.__dict__
    cache = d.get("_bw_lower")
    if cache is not None:
        hit = cache.get(name)
        if hit is not None:
            return hit
    text = header(msg, name).lower()
    if cache is None:
        if not hasattr(msg, "_changed"):
            return text
        cache = d["_bw_lower"] = {}
    cache[name] = text
    return text


def _header(msg: Message, name: str) -> str:
    raw = msg.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):  # compat32 wraps 8-bit values in a Header object
        raw = _raw_value(msg, name) or str(raw)
    raw = undo_8bit(raw)[:MAX_HEADER_CHARS]
    text = decode_words(raw) if "=?" in raw else raw
    return " ".join(text.split())


MAX_HEADER_CHARS = 20_000  # characters of one header value kept


def decode_words(raw: str) -> str:
    """Undo RFC 2047 encoded-words; unknown charsets and broken encodings are read as
    UTF-8 with replacement characters instead of failing."""
    try:
        chunks = decode_header(raw)
    except Exception:
        return raw
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        if charset is None:
            out.append(chunk.decode("raw-unicode-escape", "replace"))
            continue
        out.append(decode_text(chunk, charset))
    return "".join(out)


def decode_text(data: bytes, charset: str | None) -> str:
    """``data`` read in ``charset``, never failing: an unknown charset, one that is no text
    encoding ("base64", "rot13") or one that cannot replace what it cannot read ("idna",
    "punycode" raise instead) falls back to UTF-8 with replacement characters."""
    try:
        return data.decode(charset or "utf-8", "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return data.decode("utf-8", "replace")


def undo_8bit(value: str) -> str:
    """Header text parsed from bytes keeps non-ASCII bytes as surrogates; read them as
    UTF-8 (the usual 8-bit header charset today), replacing what is not."""
    if not value.isascii():
        try:
            return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")
        except UnicodeError:
            return value.encode("utf-8", "replace").decode("utf-8", "replace")
    return value


def _raw_value(msg: Message, name: str) -> str | None:
    lname = name.lower()
    for k, v in msg.raw_items():
        if k.lower() == lname:
            return v if isinstance(v, str) else str(v)
    return None


def part_text(part: Message) -> str:
    """The decoded text of one non-multipart part (transfer-encoding and charset undone).
    Kept per part of a bouncewise IndexedMessage (decoders ask for the same part's text
    several times) while its payload is the same object and its headers unchanged."""
    hit = part.__dict__.get("_bw_text")
    if hit is not None and hit[0] is part._payload:
        return hit[1]
    text = _part_text(part)
    if hasattr(part, "_changed"):  # an IndexedMessage: a header change drops the cache
        part.__dict__["_bw_text"] = (part._payload, text)
    return text


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw[:MAX_PART_CHARS] if isinstance(raw, str) else ""
    payload = payload[:MAX_PART_CHARS]
    return decode_text(payload, _charset(part))


def _charset(part: Message) -> str:
    """The part's charset parameter; a broken one (RFC 2231 garbage) counts as none."""
    try:
        return part.get_content_charset() or "utf-8"
    except Exception:
        return "utf-8"


def first_address(text: str) -> str | None:
    m = ADDR_RE.search(text)
    return m.group(0).strip(".") if m else None


# -- helpers for report formats (RFC 3464 / 6533 / 5965) and returned originals ----------

ORIGINAL_TYPES = (
    "message/rfc822",
    "message/global",
    "text/rfc822-headers",
    "message/rfc822-headers",
    "message/global-headers",
    "message/partial",
)
_TYPE_PREFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,30}[ \t]{0,4};[ \t]{0,8}")
_COMMAND_RE = re.compile(
    r"\b(?:in reply to|after|while sending|during|response to|for)\s{1,4}(?:the\s{1,4})?(?:end of\s{1,4})?"
    r"(MAIL FROM|RCPT TO|DATA|HELO|EHLO|STARTTLS|AUTH|RSET|QUIT|message body|connect)\b",
    re.IGNORECASE,
)
_COMMAND_NAMES = {
    "mail from": "MAIL",
    "rcpt to": "RCPT",
    "data": "DATA",
    "helo": "HELO",
    "ehlo": "EHLO",
    "starttls": "STARTTLS",
    "auth": "AUTH",
    "rset": "RSET",
    "quit": "QUIT",
    "message body": "DATA",
    "connect": "CONN",
}
MAX_FIELD_TEXT = 200_000  # characters of a report part scanned for fields


def strip_type(value: str) -> str:
    """'rfc822; user@example.org' -> 'user@example.org'; 'smtp; 550 ...' -> '550 ...'."""
    return _TYPE_PREFIX_RE.sub("", value.strip(), count=1).strip()


def clean_address(value: str) -> str | None:
    """An address from a field value such as 'rfc822; <User@Example.org>'."""
    value = strip_type(value)
    if value.startswith("@") and ":" in value[:300]:
        value = value.split(":", 1)[1]  # a source route: @relay.example:user@host
    found = first_address(value[:2000])
    if found:
        return found
    value = value.strip("<> \t")
    return value or None


def smtp_command(text: str) -> str | None:
    """The SMTP command a reply answered, when the text says it ('... in reply to RCPT TO')."""
    m = _COMMAND_RE.search(text[:5000])
    return _COMMAND_NAMES.get(m.group(1).lower()) if m else None


def parse_fields(text: str) -> list[list[tuple[str, str]]]:
    """Split 'Name: value' field groups separated by empty lines (as in a delivery-status
    body); continuation lines are unfolded. Lines that are not fields are ignored."""
    groups: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in text[:MAX_FIELD_TEXT].split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            if current:
                groups.append(current)
                current = []
            continue
        if line[0] in " \t":
            if current:
                name, value = current[-1]
                current[-1] = (name, value + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if sep and name and len(name) <= 40 and " " not in name:
            current.append((name.lower(), value.strip()))
    if current:
        groups.append(current)
    return groups


def original_message(msg: Message) -> Message | None:
    """The headers of the returned original message (a message/rfc822 or
    text/rfc822-headers part), parsed; None when the bounce does not include them."""
    from bouncewise.formats._mime import parse_headers_text

    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in ORIGINAL_TYPES:
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
        if isinstance(payload, str):
            text = part_text(part)
            return parse_headers_text(text.replace("\r\n", "\n")[:MAX_FIELD_TEXT].lstrip("\n"))
    return None


def parts(msg: Message, *, into_attached: bool = False) -> list[Message]:
    """The message's non-multipart parts in order; attached messages (message/rfc822 ...)
    are returned as one part and not entered unless ``into_attached``."""
    out: list[Message] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        ctype = part.get_content_type()
        payload = part.get_payload()
        if part.is_multipart() and (into_attached or ctype in ("multipart/report",) or not ctype.startswith("message/")):
            if isinstance(payload, list):
                stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
            continue
        out.append(part)
    return out


def encoded_report_text(part: Message) -> str | None:
    """The text of a message/* report part sent base64 or quoted-printable encoded (RFC 3464
    allows any transfer encoding; some MTAs encode the fields with the notice), else None.
    Python's parser splits such a body into header groups before decoding, so the groups are
    put back together as they came and then decoded."""
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte not in ("base64", "quoted-printable"):
        return None
    payload = part.get_payload()
    if not isinstance(payload, list):
        return None  # a string payload: part_text() decodes it
    chunks: list[str] = []
    for block in payload:
        if not isinstance(block, Message):
            continue
        head = "\n".join(f"{k}: {v}" for k, v in block.raw_items())
        body = block.get_payload()
        body = body if isinstance(body, str) else ""
        chunks.append(head + "\n" + body if head and body else head or body)
    raw = "\n\n".join(chunks)[:MAX_PART_CHARS].encode("ascii", "replace")
    try:
        data = binascii.a2b_base64(raw) if cte == "base64" else quopri.decodestring(raw)
    except (binascii.Error, ValueError):
        return None
    return decode_text(data, _charset(part)).replace("\r\n", "\n")


def report_part_text(part: Message) -> str:
    """The text of a message/* report part (delivery-status, global-delivery-status,
    feedback-report). Python's parser turns such a body into one or more Message objects
    (header groups); this puts the groups, and any body text after them, back together."""
    encoded = encoded_report_text(part)
    if encoded is not None:
        return encoded
    payload = part.get_payload()
    if not isinstance(payload, list):
        return part_text(part).replace("\r\n", "\n")
    groups: list[str] = []
    for block in payload:
        if not isinstance(block, Message):
            continue
        text = "\n".join(f"{k}: {undo_8bit(v if isinstance(v, str) else str(v))}" for k, v in block.raw_items())
        rest = block.get_payload()
        if isinstance(rest, str) and rest.strip():
            # decode=True gives the bytes back; get_payload() alone would turn 8-bit text into "?"
            raw = block.get_payload(decode=True)
            if isinstance(raw, bytes):
                text += "\n\n" + raw[:MAX_FIELD_TEXT].decode("utf-8", "replace")
            else:
                text += "\n\n" + undo_8bit(rest[:MAX_FIELD_TEXT])
        elif isinstance(rest, list):
            text += "\n\n" + report_part_text(block)
        groups.append(text)
    return "\n\n".join(groups).replace("\r\n", "\n")


def known_replycodes() -> frozenset[str]:
    """The SMTP reply codes servers really send (formats/data/replycodes.toml)."""
    global _KNOWN_REPLYCODES
    if _KNOWN_REPLYCODES is None:
        from bouncewise._data import load_toml

        _KNOWN_REPLYCODES = frozenset(load_toml("formats/data/replycodes.toml")["replycodes"]["codes"])
    return _KNOWN_REPLYCODES


_KNOWN_REPLYCODES: frozenset[str] | None = None
_REPLY_LEAD_RE = re.compile(r"^[\s<>:;(\[\]\"'-]{0,8}([245][0-5][0-9])(?:[ -]|$)")
_REPLY_ANY_RE = re.compile(r"(?<![\d.:/=#-])([245][0-5][0-9])(?=[ -][245]\.\d{1,3}\.\d{1,3}|[ -][A-Za-z<(\[]|$)")


def find_replycode(text: str, status: str | None = None) -> str | None:
    """The SMTP reply code in a diagnostic text ('550 5.1.1 ...', '<<< 421 ...'): a known
    code, at the start or followed by a status code or words; None when its class
    disagrees with ``status`` (the status decides, the number was something else)."""
    text = text[:5000]
    found = None
    m = _REPLY_LEAD_RE.match(text)
    if m and m.group(1) in known_replycodes():
        found = m.group(1)
    else:
        for m in _REPLY_ANY_RE.finditer(text):
            if m.group(1) in known_replycodes():
                found = m.group(1)
                break
    if found and status and status[0] in "45" and found[0] in "45" and found[0] != status[0]:
        return None
    return found


def choose_status(field: str | None, text: str) -> str | None:
    """The status code to report: the one in the remote server's reply (``text``) when it
    is of the same class as the reporting MTA's Status field, or the field is absent or
    generic (X.0.0); else the field."""
    m = STATUS_RE.search(text[:5000]) if text else None
    in_text = m.group(0) if m else None
    if not field:
        return in_text
    if in_text and in_text != field and in_text[0] == field[0]:
        return in_text
    return field
