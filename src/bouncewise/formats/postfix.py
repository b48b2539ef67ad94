"""Postfix bounces ("Undelivered Mail Returned to Sender").

Postfix's bounce(8) writes a notice ("This is the mail system at host ...", often under a
"The mail system" heading) in which each failed recipient starts a paragraph
``<addr>: host mx.example[192.0.2.1] said: 550 5.1.1 ... (in reply to RCPT TO command)``
with continuation lines indented by four spaces; most installations also attach an
RFC 3464 delivery-status part (Diagnostic-Code types ``smtp`` or ``X-Postfix``).
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "Postfix"

_SUBJECTS = (
    "undelivered mail returned to sender",
    "delayed mail (still being retried)",
    "successful mail delivery report",
    "mail delivery status report",
)
# "<rcpt>: ..." or "<rcpt> (expanded from <alias>): ..."
_RCPT_LINE = re.compile(r"^ {0,3}<([^<>\s]{1,300}@[^<>\s]{1,300})>(.{0,4000})$")
_EXPANDED = re.compile(r"^ \(expanded from(?: <([^<>\s]{1,300})>\))?")
_HOST_SAID = re.compile(r"\bhost ([A-Za-z0-9._-]{1,255})\[[^\]]{1,80}\] (?:said|refused to talk to me)")
_CONNECT = re.compile(
    r"\b(?:connect to|lost connection with|conversation with|was not offered by host|size limit \d{1,15} of server)"
    r" ([A-Za-z0-9._-]{1,255})\["
)


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    if subject.startswith(_SUBJECTS) or subject.startswith("postfix smtp server: errors from"):
        return True
    sender = _mta.header_lower(msg, "From")
    if "mailer-daemon" not in sender:
        return False
    if "(mail delivery system)" in sender:
        return True
    # A localised bounce template translates From and Subject; the notice Postfix wrote
    # itself still has its own trace line "Received: by host (Postfix) id ..." (no "from").
    return any(r.lstrip().startswith("by ") and "(Postfix)" in r[:300] for r in msg.get_all("Received") or [])


def _text_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    current: Block | None = None
    for line in _mta.lines_of(text):
        m = _RCPT_LINE.match(line)
        if m:
            rest = m.group(2)
            alias = None
            e = _EXPANDED.match(rest)
            if e:
                alias = e.group(1)
                rest = rest[e.end():]
            current = Block(recipient=m.group(1), original_recipient=alias, diagnosis=rest)
            blocks.append(current)
            continue
        if current is None:
            continue
        if not line.strip():
            current = None
            continue
        if line.startswith((" ", "\t")):
            current.diagnosis += " " + line.strip()
        else:
            current = None
    for b in blocks:
        diag = _mta.squeeze(b.diagnosis)
        if b.original_recipient is None and diag.startswith("<") and ">):" in diag[:320]:
            # the alias of an "(expanded from" wrapped onto the next line
            b.original_recipient = _mta.address(diag[:320])
            diag = diag.split(">):", 1)[1].strip()
        diag = diag.lstrip(":").strip()
        b.command = _command(diag)
        if diag.startswith('unknown user: "'):
            # local(8)'s own verdict on a local part that names no user or alias: Postfix
            # gives it 5.1.1 (a bounce without a delivery-status part does not say so)
            b.status = "5.1.1"
        host = _HOST_SAID.search(diag) or _CONNECT.search(diag)
        if host:
            b.rhost = host.group(1)
        b.diagnosis = diag
    return blocks


def _command(diag: str) -> str | None:
    cmd = _mta.find_command(diag)
    if cmd:
        return cmd
    if "refused to talk to me" in diag:
        return "CONN"
    if "while performing the HELO handshake" in diag or "while performing the EHLO handshake" in diag:
        return "EHLO"
    if "while sending MAIL FROM" in diag:
        return "MAIL"
    if "while sending RCPT TO" in diag:
        return "RCPT"
    if "while sending message body" in diag or "while sending end of data" in diag:
        return "DATA"
    return None


_MARKERS = re.compile(
    r"^\s{0,30}The (?:mail system|Postfix program|[\w-]{1,40} program)\s*$"
    r"|This is the (?:mail system at host|Postfix program|(?!qmail)[\w-]{1,40} program)"
    r"|^X-Postfix-(?:Queue-ID|Sender):"
    r"|^Transcript of session follows\.",
    re.I | re.M,
)


def decode(msg: Message) -> list[Block] | None:
    if not _MARKERS.search(_mta.full_text(msg)[:200_000]) and not _has_postfix_dsn(msg):
        return None
    dsn = _mta.dsn_blocks(msg)
    text = _mta.report_text(msg)
    found = _text_blocks(text)
    if not dsn:
        # A bounce forwarded as plain text, or an unusual layout: read every text part.
        whole = _mta.full_text(msg)
        found = found or _text_blocks(whole)
        dsn = _mta.inline_dsn_blocks(whole)
        if not found and not dsn and ("In:" in whole and "Out:" in whole):
            # "Postfix SMTP server: errors from ...": the transcript the server kept
            found = _mta.transcript_blocks(_mta.lines_of(whole), ("In:",), ("Out:",))
    for b in dsn:
        if b.diagnosis:
            b.command = b.command or _command(b.diagnosis)
    blocks = _mta.merge(dsn, found)
    if not blocks:
        if "delivery report unavailable" in text.lower():
            rcpt = _mta.original_recipient(msg)
            if rcpt:
                blocks = [Block(recipient=rcpt, diagnosis="delivery report unavailable")]
    blocks = [b for b in blocks if b.recipient]
    delayed = _mta.header_lower(msg, "Subject").startswith("delayed mail")
    return _mta.finish(blocks, default_action="delayed" if delayed else "failed") or None


def _has_postfix_dsn(msg: Message) -> bool:
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list) and any(
                isinstance(p, Message) and p.get("X-Postfix-Queue-ID") for p in payload
            ):
                return True
    return False
