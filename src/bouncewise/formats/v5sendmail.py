"""Bounces from Sendmail version 5 and other pre-MIME Sendmails.

A single plain-text part: "----- Transcript of session follows -----", then the session
(``While talking to host:``, ``>>>`` commands, ``<<<`` replies) interleaved with Sendmail's
own verdict per recipient (``554 <addr>... 550 Host unknown``), then
"----- Unsent message follows -----" and the original message inline.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "V5sendmail"

_TRANSCRIPT = re.compile(r"^\s{0,8}-{3,} ?Transcript of session follows ?-{3,}", re.I)
_UNSENT = re.compile(r"^\s{0,8}-{3,} ?(?:Unsent message follows|Original message follows)", re.I)
# "554 <addr>... text"   (Sendmail's own verdict for one recipient)
_OWN = re.compile(r"^([45]\d\d) <?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?\.\.\. ?(.{0,2000})$")
# "550 host (smtp)... text"  (a verdict for a whole host)
_HOSTLINE = re.compile(r"^([245]\d\d) ([A-Za-z0-9._-]{1,255}) \([a-z0-9-]{1,20}\)\.\.\. ?(.{0,2000})$")
_TALKING = re.compile(r"^while talking to ([A-Za-z0-9._-]{1,255})\.?:", re.I)


def detect(msg: Message) -> bool:
    if msg.is_multipart():
        return False
    subject = _mta.header_lower(msg, "Subject")
    sender = _mta.header_lower(msg, "From")
    return subject.startswith("returned mail:") and (
        "mail delivery subsystem" in sender or "mailer-daemon" in sender
    )


def decode(msg: Message) -> list[Block] | None:
    text = _mta.full_text(msg)
    lines = _mta.lines_of(text)
    start = next((i for i, ln in enumerate(lines) if _TRANSCRIPT.match(ln)), None)
    if start is None:
        return None
    if any("following addresses had" in ln.lower() for ln in lines[:start + 200]):
        return None  # Sendmail 8's layout
    blocks: list[Block] = []
    by_rcpt: dict[str, Block] = {}
    command: str | None = None
    rhost: str | None = None
    pending: str | None = None  # the remote reply waiting for the verdict that follows it
    host_lines: list[str] = []
    for line in lines[start + 1:]:
        if _UNSENT.match(line):
            break
        stripped = line.strip()
        if not stripped:
            continue
        t = _TALKING.match(stripped)
        if t:
            rhost, command, pending = t.group(1), None, None
            continue
        if stripped.startswith(">>>"):
            command = _mta.smtp_verb(stripped[3:]) or command
            continue
        if stripped.startswith("<<<"):
            reply = stripped[3:].strip()
            if reply[:1] in "45":
                pending = reply
            continue
        own = _OWN.match(stripped)
        if own:
            code, rcpt, said = own.groups()
            inner = re.match(r"([245]\d\d)\b", said)
            diag = f"{pending} {said}" if pending else said
            # The remote reply's code, unless it is of the syntax class (x0z: the command
            # itself was refused), which is a detail of the session: then Sendmail's own
            # verdict for the recipient (or the code that verdict quotes) states the outcome.
            if pending and pending[1] != "0":
                replycode = pending[:3]
            else:
                replycode = inner.group(1) if inner else code
            if replycode[0] == "2":
                replycode = code
            block = by_rcpt.get(rcpt.lower())
            if block is None:
                block = Block(recipient=rcpt, diagnosis=diag, replycode=replycode,
                              command=command if pending else None, rhost=rhost if pending else None)
                by_rcpt[rcpt.lower()] = block
                blocks.append(block)
            pending = None
            continue
        host = _HOSTLINE.match(stripped)
        if host:
            if host.group(1)[0] in "45":
                host_lines.append(stripped)
            continue
    if not blocks:
        rcpt = _mta.original_recipient(msg, "\n".join(lines[start:]))
        if not rcpt or not host_lines:
            return None
        last = host_lines[-1]
        blocks.append(Block(recipient=rcpt, diagnosis=last.split("... ", 1)[-1], replycode=last[:3]))
    expired = "cannot send message for" in _mta.header_lower(msg, "Subject")
    for b in blocks:
        b.status = None  # this Sendmail wrote no enhanced status codes
        b.action = "failed"
        if expired:
            b.reason = "expired"  # Sendmail's fixed subject when the queue lifetime ran out
    return _mta.finish(blocks, status_from_text=False) or None
