"""Helpers shared by the provider and security-gateway decoders (issue #5, part B).

Most providers either wrap an RFC 3464 delivery-status part in their own words, or write a
plain-text notice of their own. This module reads both kinds of facts in a forgiving way:

- ``dsn_fields(msg)``: the per-message and per-recipient fields of every
  message/delivery-status part (tolerating ``Field : value``, ``rfc/822;`` and other
  provider quirks);
- ``dsn_blocks(msg)``: those fields turned into Blocks;
- ``refine_codes(block)``: the reply code and a more precise status taken from the
  diagnostic text when the structured fields lack them;
- small text utilities (cutting the returned original message off, sweeping whitespace).

Every pattern here is linear-time: no nested quantifiers, inputs are capped before matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message
from functools import cache

from bouncewise._data import load_toml
from bouncewise.formats._util import ADDR_RE, STATUS_RE, encoded_report_text, header, header_lower, part_text
from bouncewise.record import Block

MAX_TEXT = 200_000  # characters of a notice we look at
MAX_DIAG = 4_000  # characters of one diagnostic text we keep

_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,60})[ \t]{0,5}:[ \t]{0,10}(.*)$")
_TYPE_PREFIX_RE = re.compile(r"^[ \t]{0,5}[A-Za-z][A-Za-z0-9/_-]{0,20}[ \t]{0,3};[ \t]{0,10}")
_REPLY_START_RE = re.compile(r"^[ \t'\"(#<\[]{0,3}([245][0-5][0-9])(?:[ \t:-]|$)")
_REPLY_BEFORE_STATUS_RE = re.compile(r"\b([245][0-5][0-9])[ \t:-]{1,3}['\"#]?[245]\.[0-9]{1,3}\.[0-9]{1,3}\b")
_SPACES_RE = re.compile(r"[ \t\r\n]+")

# Lines that start the returned original message in provider notices.
_ORIGINAL_MARKERS = (
    "----- original message -----",
    "----- message header follows -----",
    "--- below this line is a copy of the message.",
    "--- the header of the original message is following. ---",
    "------ this is a copy of the message, including all the headers. ------",
    "------ this is a copy of the message's headers. ------",
    "original message headers:",
    "included is a copy of the message header:",
    "original message:",
    "content-type: message/rfc822",
    "content-type: text/rfc822-headers",
)


def sweep(text: str) -> str:
    """Whitespace runs to one space, trimmed, capped at MAX_DIAG characters."""
    text = text[: MAX_DIAG * 2]
    if text.isascii() and not (
        "\x0b" in text or "\x0c" in text or "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text
    ):
        # no other ASCII white space: str.split() breaks at exactly [ \t\r\n] here
        return " ".join(text.split())[:MAX_DIAG]
    return _SPACES_RE.sub(" ", text).strip()[:MAX_DIAG]


def cut_original(text: str, markers: Iterable[str] = _ORIGINAL_MARKERS) -> str:
    """The notice before the returned original message (first marker line, case-insensitive)."""
    text = text[:MAX_TEXT]
    lower = text.lower()
    end = len(text)
    for marker in markers:
        i = lower.find(marker.lower())
        if i >= 0 and i < end:
            end = i
    return text[:end]


def clean_address(value: str | None) -> str | None:
    """The e-mail address inside a field value (``rfc822; <a@b>``, ``"a@b":`` ...)."""
    if not value:
        return None
    m = ADDR_RE.search(value[:1000])
    if not m:
        return None
    addr = m.group(0).strip(".'\"")
    return addr or None


def strip_type(value: str) -> str:
    """``smtp; 550 ...`` -> ``550 ...`` (the type of a DSN field value removed)."""
    return _TYPE_PREFIX_RE.sub("", value, count=1).strip()


def find_status(text: str) -> str | None:
    m = STATUS_RE.search(text[:MAX_DIAG])
    return ".".join(m.groups()) if m else None


@cache
def reply_codes() -> frozenset[str]:
    """Reply codes SMTP defines (formats/data/replycodes.toml); other numbers are not replies."""
    return frozenset(load_toml("formats/data/replycodes.toml")["replycodes"]["codes"])


@cache
def _providers() -> dict:
    return load_toml("formats/data/providers.toml")


def own_words(family: str) -> tuple[tuple[str, str], ...]:
    """(phrase, reason) pairs: a provider's own fixed sentences (formats/data/providers.toml)."""
    return tuple(_providers().get("words", {}).get(family, {}).items())


def table(name: str) -> dict:
    """Another table of formats/data/providers.toml (gmail_states, facebook_codes)."""
    return _providers().get(name, {})


@cache
def _anywhere() -> tuple[tuple[str, str], ...]:
    words = _providers().get("words", {})
    return tuple(pair for fam in _providers().get("anywhere", {}).get("families", ()) for pair in words.get(fam, {}).items())


def stated_anywhere(text: str) -> str | None:
    """The reason a system's own fixed sentence in ``text`` states, for the families whose
    sentences are distinctive wherever they appear (providers.toml [anywhere])."""
    for phrase, reason in _anywhere():
        if phrase in text:
            return reason
    return None


def stated_reason(family: str, text: str) -> str | None:
    """The reason the provider's own wording in ``text`` states, if any."""
    for phrase, reason in own_words(family):
        if phrase in text:
            return reason
    return None


def find_replycode(text: str) -> str | None:
    """An SMTP reply code at the start of the text, or one written right before a status."""
    text = text[:MAX_DIAG]
    m = _REPLY_START_RE.match(text)
    if m and m.group(1) in reply_codes():
        return m.group(1)
    m = _REPLY_BEFORE_STATUS_RE.search(text)
    return m.group(1) if m and m.group(1) in reply_codes() else None


def _plain(status: str | None) -> bool:
    """True for a missing or unspecific status (X.0.0)."""
    return not status or status.endswith(".0.0")


def refine_codes(block: Block, text: str | None = None) -> Block:
    """Fill ``replycode`` and sharpen ``status`` from the diagnostic text (or ``text``)."""
    source = block.diagnosis if text is None else text
    if not source:
        return block
    if not block.replycode:
        block.replycode = find_replycode(source)
    found = find_status(source)
    if found and _plain(block.status) and not found.endswith(".0.0"):
        if not block.status or block.status[0] == found[0] or block.status[0] == "5":
            block.status = found
    elif found and not block.status:
        block.status = found
    if block.replycode and block.status and block.replycode[0] != block.status[0]:
        # A reply code of another class than the status is a quoted number, not the reply.
        if block.status[0] in "45" and block.replycode[0] in "2":
            block.replycode = None
    return block


# ---------------------------------------------------------------------------------------
# message/delivery-status parsing


def _ds_text(part: Message) -> str:
    encoded = encoded_report_text(part)
    if encoded is not None:
        return encoded
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks = []
        for sub in payload:
            if isinstance(sub, Message):
                chunks.append("\n".join(f"{k}: {v}" for k, v in sub.items()))
                body = sub.get_payload()
                if isinstance(body, str) and body.strip():
                    # A blank line inside a field group makes the parser read the rest of
                    # the group as a body: keep it as continuation of the same group.
                    chunks[-1] += "\n" + body
        return "\n\n".join(chunks)
    return part_text(part)


def parse_field_groups(text: str) -> list[dict[str, str]]:
    """Blank-line separated groups of ``Field: value`` lines (continuations joined)."""
    groups: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for raw in text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip():
            if current:
                groups.append(current)
            current, last = {}, None
            continue
        if raw[:1] in " \t" and last:
            current[last] = current[last] + " " + raw.strip()
            continue
        m = _FIELD_RE.match(raw)
        if not m:
            last = None
            continue
        name = m.group(1).lower()
        if name in current:  # a second recipient without a blank line between
            if name in ("final-recipient", "original-recipient") and "action" in current:
                groups.append(current)
                current = {}
        current[name] = m.group(2).strip()
        last = name
    if current:
        groups.append(current)
    return groups


def dsn_fields(msg: Message) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(per-message fields, per-recipient field groups) of the delivery-status parts."""
    per_message: dict[str, str] = {}
    recipients: list[dict[str, str]] = []
    for part in msg.walk():
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        for group in parse_field_groups(_ds_text(part)):
            if "final-recipient" in group or "original-recipient" in group:
                recipients.append(group)
            else:
                for k, v in group.items():
                    per_message.setdefault(k, v)
    return per_message, recipients


def block_from_fields(fields: dict[str, str], per_message: dict[str, str] | None = None) -> Block | None:
    per_message = per_message or {}
    recipient = clean_address(fields.get("final-recipient")) or clean_address(fields.get("original-recipient"))
    if not recipient:
        return None
    status = find_status(fields.get("status", ""))
    diagnosis = sweep(strip_type(fields.get("diagnostic-code", "")))
    rhost = strip_type(fields.get("remote-mta", "")).split(" ")[0].rstrip(".") or None
    lhost = strip_type(fields.get("reporting-mta", per_message.get("reporting-mta", ""))).split(" ")[0] or None
    action = (fields.get("action") or "").strip().lower().split(" ")[0] or None
    return Block(
        recipient=recipient,
        original_recipient=clean_address(fields.get("original-recipient")),
        action=action,
        status=status,
        diagnosis=diagnosis,
        rhost=rhost,
        lhost=lhost,
        last_attempt=fields.get("last-attempt-date") or None,
        will_retry_until=fields.get("will-retry-until") or None,
    )


def dsn_blocks(msg: Message, provider: str | None = None) -> list[Block]:
    """Blocks from the message's delivery-status parts, codes refined from the text."""
    per_message, groups = dsn_fields(msg)
    out: list[Block] = []
    for fields in groups:
        block = block_from_fields(fields, per_message)
        if block is None:
            continue
        block.provider = provider
        refine_codes(block)
        out.append(block)
    return out


# ---------------------------------------------------------------------------------------
# header helpers


def from_addr(msg: Message) -> str:
    return header_lower(msg, "From")


def subject(msg: Message) -> str:
    return header(msg, "Subject")


def has_header(msg: Message, *names: str) -> bool:
    return any(msg.get(n) is not None for n in names)


def first_text(msg: Message, subtypes: tuple[str, ...] = ("plain",)) -> str:
    """The first text part (not inside an attached message), line endings normalised."""
    for part in _walk_top(msg):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype.startswith("text/") and ctype.split("/", 1)[1] in subtypes:
            return part_text(part).replace("\r\n", "\n").replace("\r", "\n")
        if not msg.is_multipart():
            return part_text(part).replace("\r\n", "\n").replace("\r", "\n")
    # A broken MIME structure (a multipart part whose boundary could not be read) leaves
    # the text inside a "multipart/*" part kept as a string: read that instead.
    for part in _walk_top(msg):
        if not part.is_multipart() and part.get_content_maintype() == "multipart":
            raw = part.get_payload()
            if isinstance(raw, str) and raw.strip():
                return raw[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")
    return ""


def _walk_top(msg: Message):
    """Like msg.walk() but without descending into attached messages."""
    yield msg
    if msg.is_multipart():
        for sub in msg.get_payload():
            if not isinstance(sub, Message):
                continue
            if sub.get_content_type() in ("message/rfc822", "message/delivery-status", "text/rfc822-headers"):
                yield sub
                continue
            yield from _walk_top(sub)


def lines(text: str) -> list[str]:
    return text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n").split("\n")


def failed_recipients(msg: Message) -> list[str]:
    """Addresses from X-Failed-Recipients (comma separated)."""
    value = header(msg, "X-Failed-Recipients")
    out = []
    for piece in value.split(",")[:100]:
        addr = clean_address(piece)
        if addr and addr not in out:
            out.append(addr)
    return out


# ---------------------------------------------------------------------------------------
# notices written by Exim-like software ("This message was created automatically by mail
# delivery software."), as GMX, 1&1, Mail.ru and MXLogic send them

_RCPT_LINE_RE = re.compile(r"^[ \t]{0,8}[\"<]?([^ \t\"<>]{1,254}@[^ \t\"<>:]{1,255})[\">]?:?(?:[ \t]+(.{0,2000}))?$")
_HOST_REPLY_RE = re.compile(
    r"\bhost:?[ \t]{1,3}([A-Za-z0-9][A-Za-z0-9.-]{0,250})(?:[ \t]{1,3}[\[(][0-9A-Fa-f:.]{2,45}[\])])?:?[ \t]{1,3}([245][0-5][0-9])\b"
)
_HOST_RE = re.compile(r"\bhost:?[ \t]{1,3}([A-Za-z0-9][A-Za-z0-9.-]{0,250}[A-Za-z0-9])")
_AFTER_RE = re.compile(r"\b(?:after|for) (RCPT|MAIL|DATA|end of data|TEXT|HELO|EHLO|initial connection)", re.I)
_COMMANDS = {"rcpt": "RCPT", "mail": "MAIL", "data": "DATA", "end of data": "DATA", "text": "DATA",
             "helo": "HELO", "ehlo": "EHLO", "initial connection": "CONN"}


def recipient_paragraphs(text: str, start: str | tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(address, following lines) for each address line after the first ``start`` line.

    An address line holds only an address (quoted, bracketed, with a trailing colon) or an
    address followed by ``: text``; the lines after it, up to the next address line,
    describe that recipient. A recipient named twice (a notice in two languages) is kept once.
    """
    starts = (start,) if isinstance(start, str) else start
    body = lines(text)
    begin = next((i for i, line in enumerate(body) if any(s in line for s in starts)), None)
    if begin is None:
        return []
    out: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    current: list[str] | None = None
    for line in body[begin + 1 :]:
        m = _RCPT_LINE_RE.match(line) if "@" in line[:600] else None
        if m and clean_address(m.group(1)):
            addr = clean_address(m.group(1)) or ""
            if addr.lower() in seen:
                current = None
                continue
            seen.add(addr.lower())
            current = [m.group(2)] if m.group(2) else []
            out.append((addr, current))
            continue
        if current is not None and line.strip():
            current.append(line.strip())
    return out


def exim_block(addr: str, detail: list[str], provider: str | None) -> Block:
    """A Block from the lines describing one recipient in an Exim-style notice."""
    text = sweep(" ".join(detail))
    b = Block(recipient=addr, provider=provider, action="failed", diagnosis=text)
    m = _HOST_REPLY_RE.search(text)
    if m:
        b.rhost, b.replycode = m.group(1), m.group(2)
    else:
        h = _HOST_RE.search(text)
        if h:
            b.rhost = h.group(1)
    c = _AFTER_RE.search(text)
    if c:
        b.command = _COMMANDS.get(c.group(1).lower())
    refine_codes(b)
    return b


def labelled_text(text: str, label: str) -> str:
    """The text after ``label`` up to the next blank line (joined, swept)."""
    i = text.find(label)
    if i < 0:
        return ""
    out: list[str] = []
    for line in lines(text[i + len(label) : i + len(label) + 5000]):
        if not line.strip():
            if out:
                break
            continue
        out.append(line.strip())
    return sweep(" ".join(out))


def fill_diagnosis(blocks: list[Block], text: str) -> list[Block]:
    """Give blocks without (or with a shorter) diagnostic text the notice's own ``text``."""
    if not text:
        return blocks
    for b in blocks:
        if not b.diagnosis or (len(text) > len(b.diagnosis) and b.diagnosis in text):
            b.diagnosis = text
            refine_codes(b)
    return blocks
