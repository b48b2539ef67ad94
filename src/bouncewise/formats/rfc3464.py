"""RFC 3464 delivery status notifications (and RFC 6533's message/global-delivery-status).

A DSN is a multipart/report whose second part holds machine-readable fields: one group
for the whole message (Reporting-MTA, Arrival-Date ...) and one group per recipient
(Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code ...). Many MTAs label
that part wrongly (text/plain, application/octet-stream) or put the fields in a
single-part message; the decoder looks for the fields wherever they are, outside the
returned original message.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats._mta import quoted_reply, same_address
from bouncewise.formats._provider import stated_anywhere
from bouncewise.formats._util import (
    STATUS_RE,
    choose_status,
    clean_address,
    find_replycode,
    header,
    parse_fields,
    part_text,
    parts,
    report_part_text,
    smtp_command,
    strip_type,
)
from bouncewise.record import Block

NAME = "RFC3464"

_DS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_RECIPIENT_FIELDS = ("final-recipient", "original-recipient", "x-actual-recipient")
_RECIPIENT_ORDER = ("final-recipient", "x-actual-recipient", "original-recipient")
_FIELD_HINT = re.compile(r"^(?:final-recipient|original-recipient)[ \t]{0,4}:", re.IGNORECASE | re.MULTILINE)
_REPLY_AT_START = re.compile(r"^\s{0,4}([245][0-5][0-9])(?:[ -]|$)")
_REPLY_STATUS = re.compile(r"(?<![\w.])[245][0-5][0-9][ -]['\"(]?([245]\.[0-9]{1,3}\.[0-9]{1,3})\b")
_ACTIONS = {
    "failed": "failed",
    "failure": "failed",
    "fail": "failed",
    "delayed": "delayed",
    "deferred": "delayed",
    "delivered": "delivered",
    "relayed": "relayed",
    "expanded": "expanded",
}
_SUCCESS = ("delivered", "relayed", "expanded")
MAX_DIAG = 4000  # characters of diagnostic text kept


def engine(msg: Message) -> str | None:
    """The name of the software that wrote the report, when its headers tell (else NAME)."""
    from bouncewise.reader.engines import engine_of

    return engine_of(msg)


def detect(msg: Message) -> bool:
    ctype = msg.get_content_type()
    if ctype.startswith("multipart/") or ctype in _DS_TYPES:
        return True
    # single-part messages carrying the fields in their body (mislabelled reports)
    return ctype.startswith("text/") and _looks_like_bounce_headers(msg)


def _looks_like_bounce_headers(msg: Message) -> bool:
    sender = header(msg, "From").lower()
    subject = header(msg, "Subject").lower()
    return (
        "mailer-daemon" in sender
        or "postmaster" in sender
        or any(w in subject for w in ("deliver", "undeliver", "returned", "failure", "notification", "bounce"))
        or msg.get("X-Failed-Recipients") is not None
    )


def report_texts(msg: Message) -> tuple[list[str], list[str]]:
    """(texts of the parts holding DSN fields, human-readable texts) outside the original."""
    fields: list[str] = []
    human: list[str] = []
    for part in parts(msg):
        ctype = part.get_content_type()
        if ctype in _DS_TYPES:
            fields.append(report_part_text(part))
        elif ctype.startswith("text/") and ctype not in ("text/rfc822-headers", "text/html"):
            text = part_text(part).replace("\r\n", "\n")
            m = _FIELD_HINT.search(text)
            if m:
                # mislabelled: the fields start at the first field group holding a recipient
                start = text.rfind("\n\n", 0, m.start())
                head = text[: max(start, 0)]
                fields.append(text[max(start, 0) :])
                if head.strip():
                    human.append(head)
            else:
                human.append(text)
        elif ctype == "application/octet-stream" or ctype.startswith("message/delivery"):
            text = part_text(part).replace("\r\n", "\n")
            if _FIELD_HINT.search(text):
                fields.append(text)
    return fields, human


def _split_recipients(groups: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """Field groups with one recipient each: a group in which a Final-Recipient field comes
    again (the report left out the empty lines between recipients) is split before it."""
    out: list[list[tuple[str, str]]] = []
    for group in groups:
        current: list[tuple[str, str]] = []
        for name, value in group:
            if name == "final-recipient" and any(n == "final-recipient" for n, _ in current):
                out.append(current)
                current = []
            current.append((name, value))
        out.append(current)
    return out


def _status(value: str) -> str | None:
    m = STATUS_RE.search(value)
    return m.group(0) if m else None


def blocks_from_fields(texts: list[str]) -> tuple[list[Block], dict[str, str]]:
    """Blocks from DSN field texts, plus the per-message fields (lower-case names)."""
    per_message: dict[str, str] = {}
    blocks: list[Block] = []
    for text in texts:
        for group in _split_recipients(parse_fields(text)):
            names = {n for n, _ in group}
            if not names.intersection(_RECIPIENT_FIELDS):
                for n, v in group:
                    per_message.setdefault(n, v)
                continue
            f: dict[str, str] = {}
            for n, v in group:
                f.setdefault(n, v)
            # a group may also carry per-message fields (no empty line between them)
            for n in ("reporting-mta", "received-from-mta", "arrival-date"):
                if n in f:
                    per_message.setdefault(n, f[n])
            # an address with a domain: a Final-Recipient of another type ("LOCAL;hugo") gives
            # way to the rfc822 address of Original-Recipient
            named = [a for a in (clean_address(f[n]) for n in _RECIPIENT_ORDER if f.get(n)) if a]
            recipient = next((a for a in named if proper_address(a)), named[0] if named else None)
            if not recipient:
                continue
            orig = f.get("original-recipient")
            action_raw = f.get("action", "").strip().lower().split(" ", 1)[0].strip("();")
            action = _ACTIONS.get(action_raw, action_raw or None)
            diag_raw = " ".join(f.get("diagnostic-code", "").split())
            diag = strip_type(diag_raw)[:MAX_DIAG]
            status = choose_status(_status(f.get("status", "")), diag)
            # the host name only, without the server's comment ("mx.example.org (TCP|...)")
            rhost = (strip_type(f.get("remote-mta", "")).split(None, 1) or [""])[0].rstrip(".") or None
            block = Block(
                recipient=recipient,
                original_recipient=clean_address(orig) if orig else None,
                action=action,
                status=status,
                replycode=find_replycode(diag, status) if diag else None,
                diagnosis=diag,
                command=smtp_command(diag) if diag else None,
                rhost=rhost.strip("[]") if rhost else None,
                last_attempt=f.get("last-attempt-date") or None,
                will_retry_until=f.get("will-retry-until") or None,
            )
            if action in _SUCCESS or (status or "").startswith("2."):
                block.reason = "delivered"
            blocks.append(block)
    lhost = strip_type(per_message.get("reporting-mta", "")) or None
    for b in blocks:
        b.lhost = lhost
    return blocks, per_message


def proper_address(value: str | None) -> bool:
    """An address with a local part and a domain of at least two labels, not a source route
    ("@mx.example.org", "@relay:user@host")."""
    if not value:
        return False
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain and ":" not in value)


def _human_diagnosis(human: list[str], block: Block) -> str:
    """When a recipient group has no Diagnostic-Code, take the lines of the human-readable
    part that mention the recipient or an SMTP reply."""
    lines: list[str] = []
    rcpt = (block.recipient or "").lower()
    for text in human:
        for line in text[:100_000].split("\n"):
            s = line.strip()
            if not s or len(s) > 1000:
                continue
            if s.startswith("<<<"):
                s = s[3:].strip()  # a server reply in a session transcript
                if s:
                    lines.append(s)
                continue
            low = s.lower()
            if (rcpt and rcpt in low and len(s) > len(rcpt) + 8) or _REPLY_AT_START.match(s) or STATUS_RE.search(s):
                lines.append(s)
            if len(lines) >= 5:
                break
    return " ".join(lines)[:MAX_DIAG]


def decode(msg: Message) -> list[Block] | None:
    fields, human = report_texts(msg)
    if not fields:
        return None
    blocks, _ = blocks_from_fields(fields)
    if not blocks:
        return None
    partners = _text_partners(msg, blocks)
    for b, partner in zip(blocks, partners, strict=True):
        if partner is not None:
            # what the notice's human-readable text adds (read by the generic reader): the
            # address when the field holds none, the SMTP command, the remote host, and the
            # recipient's own lines when the report gives no Diagnostic-Code
            if not proper_address(b.recipient) and proper_address(partner.recipient):
                b.recipient = partner.recipient  # a source route or a bare "@host" in the field
            b.command = b.command or partner.command
            b.rhost = b.rhost or partner.rhost
            if b.diagnosis.isdigit() and partner.diagnosis:
                b.diagnosis = ""  # a bare exit status ("X-Unix; 75"): the text says what failed
        if not b.diagnosis:
            b.diagnosis = (partner.diagnosis if partner is not None else "") or _human_diagnosis(human, b)
            if b.diagnosis:
                if not b.status or b.status.endswith(".0.0"):
                    # a generic Status field: the notice's words may say more, and the code
                    # in a quoted server reply ("550-'5.1.1 ...") more than the MTA's own
                    quoted = _REPLY_STATUS.search(b.diagnosis)
                    b.status = choose_status(b.status, quoted.group(1) if quoted else b.diagnosis)
                b.replycode = b.replycode or find_replycode(b.diagnosis, b.status)
                b.command = b.command or smtp_command(b.diagnosis)
        inner = quoted_reply(b.diagnosis) if b.diagnosis else None
        if inner is not None:  # the remote server's reply quoted inside the MTA's own verdict
            b.replycode = inner[0]
            b.status = inner[1] or b.status
        if not b.reason and b.diagnosis:  # a system's own sentence that states the reason
            b.reason = stated_anywhere(b.diagnosis)
    if len(blocks) == 1 and not blocks[0].reason and human:
        # ... or in the notice's own text, when it is about this one recipient
        blocks[0].reason = stated_anywhere("\n".join(human)[:20_000])
    return blocks


def _text_partners(msg: Message, blocks: list[Block]) -> list[Block | None]:
    """For each recipient of the report, the block the generic reader finds for it in the
    notice's text (paired by address, or the only one with the only one), when the report's
    fields leave something out."""
    if all(b.command and b.rhost and b.diagnosis and not b.diagnosis.isdigit() and proper_address(b.recipient) for b in blocks):
        return [None] * len(blocks)
    from bouncewise.reader import text_blocks

    text = text_blocks(msg)
    out: list[Block | None] = []
    for b in blocks:
        partner = next((t for t in text if same_address(t.recipient, b.recipient)), None)
        if partner is None and len(blocks) == 1 and len(text) == 1:
            partner = text[0]
        out.append(partner)
    return out
