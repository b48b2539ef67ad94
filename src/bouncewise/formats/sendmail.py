"""Sendmail (8.x) bounces ("Returned mail: see transcript for details").

Sendmail writes "----- The following addresses had permanent fatal errors -----" with each
recipient on a line of its own, optionally followed by ``(reason: <reply>)``, then
"----- Transcript of session follows -----" where ``>>>`` lines are what it sent and
``<<<`` lines what the remote host answered ("... while talking to host.:" names it), and
usually an RFC 3464 delivery-status part.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "Sendmail"

_SUBJECTS = (
    "returned mail:",
    "postmaster notify:",
    "warning: could not send message for past",
    "postmaster warning:",
    "return receipt",
)
_MARKERS = re.compile(
    r"-{3,} ?(?:The following addresses? had|Transcript of session follows)"
    r"|^The original message was received at ",
    re.I | re.M,
)
_TALKING = re.compile(r"^\.\.\. while talking to ([A-Za-z0-9._-]{1,255})\.?:", re.I)
_REASON = re.compile(r"^\s{0,12}\(reason: (.{1,2000})\)\s*$")
_ADDR_ONLY = re.compile(r"^\s{0,3}<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?\s*$")
_HEAD_FATAL = re.compile(r"-{3,} ?The following addresses? (?:had|has) (permanent fatal errors|transient non-fatal errors)", re.I)
_HEAD_TRANSCRIPT = re.compile(r"-{3,} ?Transcript of session follows", re.I)
_STOP = re.compile(r"-{3,} ?(?:Original message|Message header|Unsent message|Returned message)", re.I)
_ADDR_DOTS = re.compile(r"<([^<>\s]{1,300})>\.\.\. ?(.{0,2000})$")


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    sender = _mta.header_lower(msg, "From")
    if "mail delivery subsystem" in sender and subject.startswith(_SUBJECTS):
        return True
    if subject.startswith(("returned mail: see transcript for details",
                           "postmaster notify: see transcript for details")):
        return True
    if subject.startswith("warning: could not send message for past"):
        return True
    # a bounce forwarded by a person: "Fwd: Returned mail: see transcript for details"
    return bool(re.match(r"^(?:fwd?|fw):\s{0,3}returned mail: see transcript", subject))


def parse_text(text: str) -> list[Block]:
    """Recipients and transcript facts from Sendmail's human-readable notice."""
    lines = _mta.lines_of(text)
    listed: list[Block] = []
    transient = False
    section = ""
    rhost: str | None = None
    command: str | None = None
    by_rcpt: dict[str, Block] = {}
    last_error: tuple[str, str | None, str | None] | None = None
    own_errors: list[str] = []
    for line in lines:
        if _STOP.search(line):
            break
        head = _HEAD_FATAL.search(line)
        if head:
            section = "addresses"
            transient = "transient" in head.group(1).lower()
            continue
        if _HEAD_TRANSCRIPT.search(line):
            section = "transcript"
            continue
        if section == "addresses":
            m = _ADDR_ONLY.match(line)
            if m:
                b = Block(recipient=m.group(1).strip("<>"), action="delayed" if transient else None)
                listed.append(b)
                by_rcpt[b.recipient.lower()] = b
                continue
            r = _REASON.match(line)
            if r and listed:
                listed[-1].diagnosis = r.group(1)
            continue
        if section == "transcript":
            t = _TALKING.match(line.strip())
            if t:
                rhost = t.group(1)
                command = None
                continue
            stripped = line.strip()
            if stripped.startswith(">>>"):
                command = _mta.smtp_verb(stripped[3:]) or command
                continue
            reply = stripped[3:].strip() if stripped.startswith("<<<") else stripped
            code = reply[:3]
            if code.isdigit() and code[0] in "45" and not stripped.startswith("<<<"):
                own_errors.append(reply)
            if not (code.isdigit() and code[0] in "45"):
                m = _ADDR_DOTS.search(stripped)
                if m and m.group(1).lower() in by_rcpt:
                    b = by_rcpt[m.group(1).lower()]
                    if not b.diagnosis:
                        b.diagnosis = m.group(2)
                elif m and "@" in m.group(1) and stripped.startswith("<"):
                    # "<addr>... Deferred: ...": a recipient the notice lists nowhere else
                    # (Sendmail's delay warnings have no address section)
                    b = Block(recipient=m.group(1), diagnosis=m.group(2))
                    listed.append(b)
                    by_rcpt[m.group(1).lower()] = b
                continue
            rcpt = _mta.address(reply)
            if stripped.startswith("<<<") and command != "QUIT" and code[0] in "45":
                last_error = (reply, command or "CONN", rhost)
            target = by_rcpt.get(rcpt.lower()) if rcpt else None
            if target is not None and stripped.startswith("<<<") and target.command is None:
                target.command = command or "CONN"
                target.rhost = rhost
                if not target.diagnosis:
                    target.diagnosis = reply
    if last_error is not None:
        for b in listed:
            if b.command is None:
                b.command = last_error[1]
                b.rhost = b.rhost or last_error[2]
                if not b.diagnosis:
                    b.diagnosis = last_error[0]
    if own_errors:
        for b in listed:
            if not b.diagnosis or b.diagnosis.isdigit():
                mine = [e for e in own_errors if b.recipient and b.recipient.lower() in e.lower()]
                b.diagnosis = (mine or own_errors)[-1]
    if not listed and last_error is not None:
        listed.append(Block(diagnosis=last_error[0], command=last_error[1], rhost=last_error[2]))
    elif not listed and own_errors:
        listed.append(Block(diagnosis=own_errors[-1]))
    if not any(b.diagnosis for b in listed):
        # "Message could not be delivered for N days" and the like: the notice itself
        tail = [ln.strip() for ln in lines if ln.strip().lower().startswith(("message could not be delivered",
                                                                                "message will be deleted"))]
        for b in listed:
            b.diagnosis = " ".join(tail)
    return listed


def decode(msg: Message) -> list[Block] | None:
    dsn = _mta.dsn_blocks(msg)
    text = _mta.report_text(msg)
    if not _MARKERS.search(_mta.unquote(_mta.full_text(msg))[:50000]):
        return None  # not Sendmail's wording: leave it to the generic RFC 3464 decoder
    found = parse_text(text)
    if not dsn:
        whole = _mta.unquote(_mta.full_text(msg))
        dsn = _mta.inline_dsn_blocks(whole)
        if not found:
            found = parse_text(whole)
    blocks = _mta.merge(dsn, found, prefer_text=False)
    if not blocks:
        return None
    for b in blocks:
        if not b.recipient:
            b.recipient = _mta.original_recipient(msg)
    blocks = [b for b in blocks if b.recipient]
    warning = _mta.header_lower(msg, "Subject").startswith("warning:")
    return _mta.finish(blocks, default_action="delayed" if warning else "failed") or None
