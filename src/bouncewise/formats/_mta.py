"""Helpers shared by the MTA-family decoders (Postfix, Sendmail, Exim, qmail, ...).

Most MTAs write a bounce as two layers: a human-readable text that names each failed
recipient followed by the remote server's reply, and (often) an RFC 3464
message/delivery-status part. The helpers here read both layers into Blocks and merge
them, so that a family module only has to describe its own text layout.

Every pattern here is linear: no nested quantifiers, and text is capped before matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message

from bouncewise.formats._util import ADDR_RE, encoded_report_text, header, part_text  # noqa: F401 - header: decoders use _mta.header
from bouncewise.formats._util import header_lower as _header_lower
from bouncewise.record import Block

MAX_LINE = 4000  # one line of a bounce is never longer than this for our purposes
MAX_TEXT = 400_000  # text of the report layer read by a decoder
MAX_DIAG = 2000  # length of a diagnosis kept on a block

# An enhanced status code not glued to an IP address or a version number (stricter than
# _util.STATUS_RE; unlike diagnosis.engine.STATUS_RE a letter may precede it, as in "x5.1.1").
_STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d])(?!\.\d)")
# A reply code as a token of its own ("550 ", "550-", "550:" or at the end). diagnosis.engine.REPLY_RE
# also refuses a ":" before the code and accepts a quote after it, so the two are not merged.
_REPLY_RE = re.compile(r"(?<![\w.#/\[=-])([245][0-5][0-9])(?=[ \t\-:,;)\]]|\.(?!\d)|$)")
_ANGLE_ADDR_RE = re.compile(r"<([^<>\s]{1,300}@[^<>\s]{1,300})>")
_WS_RE = re.compile(r"[ \t\r\n]+")

# Phrases naming the SMTP stage at which a reply came; checked in this order.
_COMMAND_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bin reply to (?:end of )?DATA\b", re.I), "DATA"),
    (re.compile(r"\bin reply to RCPT\b", re.I), "RCPT"),
    (re.compile(r"\bin reply to MAIL\b", re.I), "MAIL"),
    (re.compile(r"\bin reply to (?:EHLO|HELO|LHLO)\b", re.I), "EHLO"),
    (re.compile(r"\bin reply to (?:the )?initial (?:connection|greeting)\b", re.I), "CONN"),
    (re.compile(r"\bafter (?:end of )?(?:the )?(?:final )?DATA\b", re.I), "DATA"),
    (re.compile(r"\bafter (?:the )?(?:pipelined )?RCPT\b", re.I), "RCPT"),
    (re.compile(r"\bafter (?:the )?(?:pipelined )?MAIL\b", re.I), "MAIL"),
    (re.compile(r"\bafter (?:EHLO|HELO|LHLO)\b", re.I), "EHLO"),
    (re.compile(r"\bafter (?:the )?initial connection\b", re.I), "CONN"),
    (re.compile(r"\bafter sending message\b", re.I), "DATA"),
)


# ---------------------------------------------------------------- small text helpers


def squeeze(text: str) -> str:
    """Collapse runs of white space to one space and strip."""
    text = text[: MAX_DIAG * 4]
    if text.isascii() and not (
        "\x0b" in text or "\x0c" in text or "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text
    ):
        # no other ASCII white space: str.split() breaks at exactly [ \t\r\n] here
        return " ".join(text.split())
    return _WS_RE.sub(" ", text).strip()


def norm(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def lines_of(text: str) -> list[str]:
    return [ln[:MAX_LINE] for ln in norm(text[:MAX_TEXT]).split("\n")]


def find_status(text: str) -> str | None:
    """The first enhanced status code in text; a specific one (not X.0.0) is preferred."""
    first = None
    for m in _STATUS_RE.finditer(text[:MAX_DIAG * 4]):
        code = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
        if first is None:
            first = code
        if not code.endswith(".0.0"):
            return code
    return first


# A reply quoted inside another: "554 4.4.7 Message expired ... <421 4.4.2 Connection timed
# out>", "5.1.0 - Unknown address error 550-'5.7.1 ... Access denied'" (a code with its status),
# or Sendmail's "554 <addr>... 550 Host unknown" (a code after the address's "... ").
_INNER_PAIR_RE = re.compile(r"(?<![\w.])([45][0-5][0-9])[ -]['\"]?([45]\.[0-9]{1,3}\.[0-9]{1,3})\b")
_INNER_AFTER_ADDR_RE = re.compile(r">?\.\.\.[ \t]{1,3}([45][0-5][0-9])[ \t]")
_LEADING_CODE_RE = re.compile(r"[ \t]{0,4}(?:[245][0-5][0-9](?:[ -][245]\.[0-9]{1,3}\.[0-9]{1,3})?|[245]\.[0-9]{1,3}\.[0-9]{1,3})\b")


def quoted_reply(text: str) -> tuple[str, str | None] | None:
    """(reply code, status or None) of a server reply that a reporting MTA quotes inside its own
    coded verdict: the text starts with the MTA's code and holds another reply later on. The
    inner one is what the remote server said. None when the text quotes no other reply."""
    head = _LEADING_CODE_RE.match(text)
    if head is None:
        return None
    lead = head.group(0).strip()
    window = text[head.end() : head.end() + MAX_DIAG]
    m = _INNER_PAIR_RE.search(window)
    if m is not None:
        inner = f"{m.group(1)} {m.group(2)}"
        return None if inner == lead else (m.group(1), m.group(2))
    m = _INNER_AFTER_ADDR_RE.search(window)
    if m is not None and not lead.startswith(m.group(1) + " ") and lead != m.group(1):
        return m.group(1), None
    return None


# Reply codes servers actually use (RFC 5321, 3463-era extensions and common practice);
# a three-digit number outside this set is more likely a count or a local code.
# (Wider than formats/data/replycodes.toml behind _provider.reply_codes(): not interchangeable.)
REPLY_CODES = frozenset(
    "211 214 220 221 235 250 251 252 253 334 354 "
    "421 422 431 432 441 442 446 447 449 450 451 452 453 454 455 458 459 "
    "500 501 502 503 504 505 510 511 512 513 521 523 524 525 530 533 534 535 538 541 "
    "550 551 552 553 554 555 556 557".split()
)


def find_replycode(text: str) -> str | None:
    """The first SMTP reply code standing as a token in text."""
    for m in _REPLY_RE.finditer(text[:MAX_DIAG * 4]):
        if m.group(1) in REPLY_CODES:
            return m.group(1)
    return None


# The word each pattern above needs ("in reply to" or "after"), for a quick pre-check; empty
# when some pattern needs neither (then every pattern is tried).
_COMMAND_WORDS: tuple[str, ...] = tuple(
    "in reply to" if "in reply to" in p.pattern else "after" for p, _ in _COMMAND_PATTERNS
) if all("in reply to" in p.pattern or "after" in p.pattern for p, _ in _COMMAND_PATTERNS) else ()


def find_command(text: str) -> str | None:
    """The SMTP command a reply answered, from the MTA's wording ("in reply to RCPT TO")."""
    text = squeeze(text)
    if _COMMAND_WORDS and text.isascii():  # each pattern needs its word (ASCII: lower() is exact)
        low = text.lower()
        has = {"in reply to": "in reply to" in low, "after": "after" in low}
        for (pattern, command), word in zip(_COMMAND_PATTERNS, _COMMAND_WORDS, strict=True):
            if has[word] and pattern.search(text):
                return command
        return None
    for pattern, command in _COMMAND_PATTERNS:
        if pattern.search(text):
            return command
    return None


def smtp_verb(text: str) -> str | None:
    """The command named at the start of a client line (">>> RCPT To:<...>")."""
    word = text.strip().split(" ", 1)[0].split(":", 1)[0].upper()
    if word in ("HELO", "EHLO", "LHLO"):
        return "EHLO" if word != "HELO" else "HELO"
    if word in ("MAIL", "RCPT", "DATA", "QUIT", "STARTTLS", "AUTH"):
        return word
    if word == ".":
        return "DATA"
    return None


def address(text: str) -> str | None:
    """An e-mail address in text: one in <angle brackets> first, else any."""
    text = text[:MAX_LINE]
    m = _ANGLE_ADDR_RE.search(text)
    if m:
        cand = m.group(1).strip().strip(".")
        if "@" in cand:
            return cand
    m = ADDR_RE.search(text)
    return m.group(0).strip(".") if m else None


def dsn_value(value: str) -> str:
    """The part of a DSN field after its type ("rfc822; a@b" -> "a@b")."""
    value = squeeze(value)
    if ";" in value:
        kind, rest = value.split(";", 1)
        if " " not in kind.strip():
            value = rest.strip()
    return value


def clean_recipient(value: str) -> str | None:
    value = dsn_value(value).strip().strip("<>").strip()
    if not value or value.startswith("@") or value.endswith("@"):
        return None
    if "@" not in value:
        return value if value and " " not in value and "/" not in value else None
    return value


def header_lower(msg: Message, name: str) -> str:
    return _header_lower(msg, name)


# ---------------------------------------------------------------- message layers


def report_text(msg: Message, stop: Iterable[str] = ()) -> str:
    """The human-readable layer: text parts before the attached original message, joined.

    For a single-part bounce, the text is cut at the first line starting with one of the
    ``stop`` markers (where the MTA quotes the original message inline).
    """
    out: list[str] = []
    size = 0
    if msg.is_multipart():
        for part in _walk_outer(msg):
            ctype = part.get_content_type()
            if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
                break
            if ctype in ("text/plain", "text/html", "message/delivery-status") or (
                ctype.startswith("text/") and ctype != "text/rfc822-headers"
            ):
                if ctype == "message/delivery-status":
                    continue
                text = part_text(part)
                if ctype == "text/html":
                    text = _strip_html(text)
                out.append(text)
                size += len(text)
                if size > MAX_TEXT:
                    break
    else:
        text = part_text(msg)
        if msg.get_content_type() == "text/html":
            text = _strip_html(text)
        out.append(text)
    text = norm("\n".join(out))[:MAX_TEXT]
    markers = tuple(stop)
    if markers:
        kept: list[str] = []
        for line in text.split("\n"):
            if line.lstrip().startswith(markers):
                break
            kept.append(line)
        text = "\n".join(kept)
    return text


def full_text(msg: Message) -> str:
    """All text parts (including any inline copy of the original), normalised."""
    out: list[str] = []
    for part in _walk_outer(msg):
        ctype = part.get_content_type()
        if ctype.startswith("text/") and not part.is_multipart():
            text = part_text(part)
            out.append(_strip_html(text) if ctype == "text/html" else text)
    if not msg.is_multipart() and not out:
        out.append(part_text(msg))
    return norm("\n".join(out))[:MAX_TEXT]


def _walk_outer(msg: Message) -> Iterable[Message]:
    """Parts of the bounce itself, not descending into an attached message."""
    stack = [msg]
    while stack:
        part = stack.pop(0)
        if part.get_content_type() == "message/rfc822" and part is not msg:
            yield part
            continue
        if part.is_multipart():
            if part.get_content_type() == "message/delivery-status":
                yield part
                continue
            payload = part.get_payload()
            if isinstance(payload, list):
                stack = list(payload) + stack
            continue
        yield part


_TAG_RE = re.compile(r"<[^<>]{0,2000}>")


def _strip_html(text: str) -> str:
    text = re.sub(r"(?i)<br\s{0,5}/?>|</p>|</div>|</tr>", "\n", text[:MAX_TEXT])
    text = _TAG_RE.sub("", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", " ").replace("&amp;", "&")


def original_headers(msg: Message) -> str:
    """Headers of the original message, when attached as message/rfc822 or text/rfc822-headers."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                inner = payload[0]
                return "\n".join(f"{k}: {v}" for k, v in inner.items())[:MAX_TEXT]
            if isinstance(payload, str):
                return norm(payload)[:MAX_TEXT]
        if ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            return norm(part_text(part))[:MAX_TEXT]
    return ""


def original_recipient(msg: Message, inline: str = "") -> str | None:
    """The To: address of the original message (attached, or quoted inline in ``inline``)."""
    text = original_headers(msg) or inline
    for line in lines_of(text):
        if line[:3].lower() == "to:":
            return address(line)
    return None


# ---------------------------------------------------------------- RFC 3464 layer


_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,60})[ \t]{0,5}:[ \t]{0,20}(.*)$")
_DSN_FIELDS = {
    "final-recipient", "original-recipient", "action", "status", "diagnostic-code",
    "remote-mta", "reporting-mta", "last-attempt-date", "will-retry-until",
    "x-actual-recipient", "received-from-mta", "arrival-date", "x-postfix-sender",
    "x-original-message-id", "original-envelope-id", "x-postfix-queue-id",
}


def _dsn_texts(msg: Message) -> list[str]:
    # _provider._ds_text also keeps a group's stray body lines; the MTA decoders never have.
    texts: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in ("message/delivery-status", "message/global-delivery-status", "text/delivery-status"):
            continue
        payload = part.get_payload()
        encoded = encoded_report_text(part)
        if encoded is not None:
            texts.append(encoded)
        elif isinstance(payload, list):
            chunks = []
            for sub in payload:
                if isinstance(sub, Message):
                    chunks.append("\n".join(f"{k}: {v}" for k, v in sub.items()))
            texts.append("\n\n".join(chunks))
        else:
            texts.append(part_text(part))
    return texts


def parse_dsn_fields(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Per-message fields and one dict per recipient from DSN-style text.

    A new recipient group starts at each Final-Recipient (or at an Original-Recipient that
    is not followed by a Final-Recipient in the same group).
    """
    permsg: dict[str, str] = {}
    groups: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    last_key: str | None = None
    for line in lines_of(text):
        if not line.strip():
            last_key = None
            continue
        if line[:1] in (" ", "\t") and last_key is not None:
            target = current if current is not None and last_key in current else permsg
            target[last_key] = target.get(last_key, "") + " " + line.strip()
            continue
        m = _FIELD_RE.match(line)
        if not m:
            last_key = None
            continue
        key, value = m.group(1).lower(), m.group(2).strip()
        if key not in _DSN_FIELDS:
            last_key = None
            continue
        if key in ("final-recipient", "original-recipient"):
            if current is None or key in current or "action" in current or "status" in current:
                current = {}
                groups.append(current)
            current[key] = value
        elif key in ("reporting-mta", "received-from-mta", "arrival-date", "x-postfix-sender",
                     "original-envelope-id", "x-postfix-queue-id") and current is None:
            permsg[key] = value
        elif current is not None:
            if key in current and key in ("action", "status"):
                # a second group without a recipient field of its own
                current = {}
                groups.append(current)
            current[key] = value
        else:
            permsg[key] = value
        last_key = key
    return permsg, groups


def dsn_blocks(msg: Message) -> list[Block]:
    """Blocks from the message/delivery-status part(s); [] when there is none."""
    blocks: list[Block] = []
    for text in _dsn_texts(msg):
        permsg, groups = parse_dsn_fields(text)
        lhost = dsn_value(permsg.get("reporting-mta", "")) or None
        for g in groups:
            rcpt = clean_recipient(g.get("final-recipient", "")) or clean_recipient(
                g.get("original-recipient", "")
            )
            if rcpt and "@" not in rcpt and "@" in (clean_recipient(g.get("original-recipient", "")) or ""):
                rcpt = clean_recipient(g.get("original-recipient", ""))  # "Final-Recipient: LOCAL;user"
            orig = clean_recipient(g.get("original-recipient", "")) if "original-recipient" in g else None
            if rcpt is None and "status" not in g and "action" not in g:
                continue
            status_m = _STATUS_RE.search(g.get("status", ""))
            diag = dsn_value(g.get("diagnostic-code", "")) if g.get("diagnostic-code") else ""
            # the host name only: "dns; mx.example.org (TCP|192.0.2.1|25) (banner)" -> mx.example.org
            rhost = (dsn_value(g.get("remote-mta", "")).split(None, 1) or [""])[0].rstrip(".") or None
            blocks.append(
                Block(
                    recipient=rcpt,
                    original_recipient=orig,
                    action=(g.get("action", "").strip().lower().split(" ", 1)[0] or None),
                    status=(f"{status_m.group(1)}.{status_m.group(2)}.{status_m.group(3)}"
                            if status_m else None),
                    diagnosis=squeeze(diag),
                    rhost=rhost,
                    lhost=lhost,
                    last_attempt=g.get("last-attempt-date") or None,
                    will_retry_until=g.get("will-retry-until") or None,
                )
            )
    return blocks


# ---------------------------------------------------------------- merging and finishing


def same_address(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip("<>").lower() == b.strip("<>").lower())


def merge(dsn: list[Block], text: list[Block], *, prefer_text: bool = True) -> list[Block]:
    """Merge what the DSN part says with what the human-readable text says.

    The DSN gives the recipient list and status; the text often holds the fuller remote
    reply and the SMTP command. Recipients are paired by address (or, with one of each,
    by position). Text-only recipients are kept when the DSN lists none.
    """
    if not dsn:
        return text
    if not text:
        return dsn
    used: set[int] = set()
    for block in dsn:
        partner = None
        for i, t in enumerate(text):
            if i not in used and same_address(block.recipient, t.recipient):
                partner = t
                used.add(i)
                break
        if partner is None and len(dsn) == 1 and len(text) >= 1:
            partner = text[0]
            used.add(0)
        if partner is None:
            # fall back to a recipient-less text block (one shared error message)
            partner = next((t for t in text if t.recipient is None), None)
        if partner is None:
            continue
        _absorb(block, partner, prefer_text)
    return dsn


def _absorb(block: Block, t: Block, prefer_text: bool) -> None:
    if block.recipient is None or "@" not in (block.recipient or ""):
        if t.recipient:
            block.recipient = t.recipient
    tdiag = t.diagnosis
    if tdiag:
        if not block.diagnosis or block.diagnosis.isdigit():
            block.diagnosis = tdiag
        elif prefer_text and len(tdiag) > len(block.diagnosis) and (
            find_status(tdiag) or find_replycode(tdiag) or block.diagnosis in tdiag
        ):
            # the text quotes the remote reply, or tells more around the same words
            # ("Command died with status 1: ... Command output: <the DSN's text>")
            block.diagnosis = tdiag
    if t.status and (not block.status or block.status.endswith(".0.0")) and not t.status.endswith(".0.0"):
        block.status = t.status
    elif t.status and not block.status:
        block.status = t.status
    if t.replycode and not block.replycode:
        block.replycode = t.replycode
    block.command = block.command or t.command
    block.rhost = block.rhost or t.rhost
    block.lhost = block.lhost or t.lhost
    block.reason = block.reason or t.reason
    block.action = block.action or t.action


def finish(blocks: list[Block], *, command: str | None = None, default_action: str | None = None,
           status_from_text: bool = True) -> list[Block]:
    """Tidy blocks: squeeze text, find codes in the diagnosis, drop duplicates."""
    out: list[Block] = []
    seen: set[str] = set()
    for b in blocks:
        b.diagnosis = squeeze(b.diagnosis)[:MAX_DIAG]
        if b.recipient:
            b.recipient = b.recipient.strip().strip("<>").strip().rstrip(".,;:")
        if status_from_text:
            found = find_status(b.diagnosis)
            if found and (not b.status or (not found.endswith(".0.0") and found[0] == b.status[0])):
                # the code the remote server gave is more exact than the one the MTA chose
                b.status = found
        if not b.replycode:
            b.replycode = find_replycode(b.diagnosis)
        if b.replycode and b.status and b.replycode[0] != b.status[0]:
            b.replycode = None  # the two disagree on the class: trust the status
        if not b.command:
            b.command = find_command(b.diagnosis) or command
        if b.status and b.action is None and b.status[0] == "5":
            b.action = "failed"
        if not b.action:
            b.action = default_action
        key = (b.recipient or "").lower() + "|" + b.diagnosis
        if key in seen:
            continue
        seen.add(key)
        out.append(b)
    return out


def inline_dsn_blocks(text: str) -> list[Block]:
    """Blocks from DSN fields written inside a text part (a forwarded or flattened DSN)."""
    if "final-recipient" not in text[:MAX_TEXT].lower():
        return []
    permsg, groups = parse_dsn_fields(text)
    out: list[Block] = []
    for g in groups:
        rcpt = clean_recipient(g.get("final-recipient", "")) or clean_recipient(g.get("original-recipient", ""))
        if not rcpt:
            continue
        sm = _STATUS_RE.search(g.get("status", ""))
        out.append(Block(
            recipient=rcpt,
            action=(g.get("action", "").strip().lower().split(" ", 1)[0] or None),
            status=f"{sm.group(1)}.{sm.group(2)}.{sm.group(3)}" if sm else None,
            diagnosis=squeeze(dsn_value(g.get("diagnostic-code", ""))),
            rhost=dsn_value(g.get("remote-mta", "")) or None,
            lhost=dsn_value(permsg.get("reporting-mta", "")) or None,
        ))
    return out


def transcript_blocks(lines: list[str], client: tuple[str, ...], server: tuple[str, ...]) -> list[Block]:
    """Blocks from an SMTP session transcript: the last error reply from the server, with the
    client command it answered and the recipients named in RCPT TO commands.

    ``client``/``server`` are the line prefixes marking each side (">>>"/"<<<", "In:"/"Out:").
    """
    recipients: list[str] = []
    command: str | None = None
    error: str | None = None
    error_cmd: str | None = None
    last_side = ""
    for raw in lines:
        line = raw.strip()
        if line.startswith(client):
            rest = line[len(next(p for p in client if line.startswith(p))):].strip()
            verb = smtp_verb(rest)
            last_side = "client"
            if verb:
                command = verb
                if verb == "RCPT":
                    a = address(rest)
                    if a:
                        recipients.append(a)
            continue
        if line.startswith(server):
            rest = line[len(next(p for p in server if line.startswith(p))):].strip()
            last_side = "server"
            code = rest[:3]
            if code.isdigit() and code[0] in "45":
                if error is not None and error_cmd == command and error.startswith(code):
                    error += " " + rest
                else:
                    error, error_cmd = rest, command
            continue
        if last_side == "client" and raw[:1] in (" ", "\t") and command == "MAIL":
            continue
    if error is None:
        return []
    if not recipients:
        return [Block(diagnosis=error, command=error_cmd)]
    return [Block(recipient=r, diagnosis=error, command=error_cmd) for r in recipients]


def unquote(text: str) -> str:
    """Undo one level of "> " quoting when most non-empty lines carry it (a forwarded bounce)."""
    lines = text.split("\n")
    body = [ln for ln in lines if ln.strip()]
    if not body or sum(1 for ln in body if ln.startswith(">")) * 2 < len(body):
        return text
    out = []
    for ln in lines:
        if ln.startswith(">"):
            ln = ln[1:]
            if ln.startswith(" "):
                ln = ln[1:]
        out.append(ln)
    return "\n".join(out)
