"""The notice's own text: its text/plain parts (text/html turned into lines when it has none),
never the attached returned message."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _mta
from bouncewise.formats._util import part_text
from bouncewise.reader.patterns import ATTACHED, BREAK_RE, TAG_RE
from bouncewise.reader.vocab import MAX_TEXT


def drop_blocks(text: str, tag: str) -> str:
    """Remove <tag ...> ... </tag> blocks (style sheets, scripts) by plain searching."""
    low = text.lower()
    out: list[str] = []
    pos = 0
    while True:
        start = low.find("<" + tag, pos)
        if start < 0:
            break
        end = low.find("</" + tag, start)
        if end < 0:
            break
        out.append(text[pos:start])
        close = low.find(">", end)
        pos = len(text) if close < 0 else close + 1
    out.append(text[pos:])
    return "".join(out)


def strip_html(text: str) -> str:
    text = drop_blocks(drop_blocks(text[:MAX_TEXT], "style"), "script")
    text = BREAK_RE.sub("\n", text)
    text = TAG_RE.sub(" ", text)
    for a, b in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&nbsp;", " "),
        ("&quot;", '"'),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ):
        text = text.replace(a, b)
    return text


def part_text_utf8(part: Message) -> str:
    """A text part decoded; when its declared charset does not fit the bytes but UTF-8 does
    (a notice re-encoded on its way), UTF-8 is used."""
    text = part_text(part)
    if "\ufffd" in text[:20_000]:
        try:
            raw = part.get_payload(decode=True)
        except Exception:
            raw = None
        if isinstance(raw, bytes):
            try:
                return raw[:MAX_TEXT].decode("utf-8")
            except UnicodeDecodeError:
                pass
    return text


def notice_text(msg: Message) -> str:
    """The notice's own text: its text/plain parts (text/html when it has none), not
    descending into attached messages."""
    plain: list[str] = []
    html: list[str] = []
    stack = [msg]
    size = 0
    while stack and size < MAX_TEXT:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if part is not msg and ctype in ATTACHED:
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack = [p for p in payload if isinstance(p, Message)] + stack
            continue
        if ctype == "text/plain" or (ctype == "text/html"):
            text = part_text_utf8(part)
            size += len(text)
            (plain if ctype == "text/plain" else html).append(text)
        elif ctype.startswith("multipart/"):
            # a multipart whose boundary could not be read (a header folded without
            # indentation): its raw text still holds the notice's parts
            plain.append(_unparsed_parts(part_text_utf8(part)))
        elif not msg.is_multipart():
            plain.append(part_text_utf8(part))
    text = "\n".join(plain) if any(p.strip() for p in plain) else strip_html("\n".join(html))
    return _mta.norm(text[:MAX_TEXT])


def _unparsed_parts(raw: str) -> str:
    """The text of a multipart body that was not split into parts: boundary lines, the part
    headers after each and a leading "boundary=" parameter line dropped."""
    out: list[str] = []
    in_headers = False
    for line in raw[:MAX_TEXT].split("\n"):
        s = line.strip()
        if s.startswith("--") and len(s) > 8 and " " not in s:
            in_headers = True  # a boundary line: part headers follow, up to an empty line
            continue
        if in_headers:
            in_headers = bool(s)
            continue
        if not out and s.lower().startswith("boundary="):
            continue
        out.append(line)
    return "\n".join(out)


# Headers that every message handed on by a mail system has at least one of; a "message"
# with none of them is text pasted from a mail client (or a file holding only a notice's body).
_MESSAGE_HEADERS = (
    "From", "Date", "Received", "Message-ID", "Subject", "To", "Return-Path", "Content-Type",
    "MIME-Version", "Sender", "Delivered-To",
)


def is_pasted(msg: Message) -> bool:
    """A text without a message's headers: what a help-desk user copies out of a mail client."""
    return not any(msg.get(name) is not None for name in _MESSAGE_HEADERS)


def pasted_text(msg: Message) -> str:
    """The whole pasted text: any "Name: value" lines the message parser took for headers
    ("Error: Invalid user address") come back in front of the body."""
    head = "\n".join(f"{name}: {value}" for name, value in msg.items()[:50])
    body = msg.get_payload()
    body = part_text_utf8(msg) if isinstance(body, str) else ""
    return _mta.norm((head + "\n\n" + body if head else body)[:MAX_TEXT])


def carries_event(msg: Message) -> bool:
    """A single-part message whose body is a JSON object: an ESP event e-mailed to a
    subscriber (an SES notification through SNS), read with bouncewise.events."""
    if msg.is_multipart() or not msg.get_content_type().startswith(("text/", "application/json")):
        return False
    payload = msg.get_payload()
    return isinstance(payload, str) and payload[:200].lstrip().startswith("{")
