"""OpenSMTPD bounces ("Delivery status notification: error|failed|delayed|warning").

OpenSMTPD's notice opens with "This is the MAILER-DAEMON, please DO NOT REPLY to this
e-mail." and lists the recipients after "...for the following list of recipients:", one
per line as ``addr: error text``; "Below is a copy of the original message:" ends the
list. Since 6.x it also adds an RFC 3464 part (often with a generic 5.0.0 status).
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "OpenSMTPD"

_LIST = re.compile(r"following (?:list of )?recipients?:", re.I)
_END = re.compile(r"^(?:Below is a copy of the original message|Please note that this is only a temporary)", re.I)
_LINE = re.compile(r"^<?([^<>\s]{1,300}@[^<>\s:]{1,300}?)>?:\s{1,4}(.{1,2000})$")


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    if subject.startswith("delivery status notification:"):
        return True
    return any("(opensmtpd)" in r.lower() for r in msg.get_all("Received") or []) and (
        "mailer-daemon" in _mta.header_lower(msg, "From")
    )


def decode(msg: Message) -> list[Block] | None:
    subject = _mta.header_lower(msg, "Subject")
    text = _mta.report_text(msg)
    if "this is the mailer-daemon" not in text[:5000].lower():
        return None
    flat = _mta.squeeze(" ".join(_mta.lines_of(text)[:80]))
    if not _LIST.search(flat):
        return None
    found: list[Block] = []
    listing = False
    for line in _mta.lines_of(text):
        s = line.strip()
        if not listing:
            if _LIST.search(s) or s.lower().startswith(("the following list of recipients", "list of recipients:")):
                listing = True
            continue
        if _END.match(s):
            break
        m = _LINE.match(s)
        if m:
            found.append(Block(recipient=m.group(1), diagnosis=m.group(2)))
    if not found:
        # the heading wrapped: scan the whole notice for "addr: text" lines
        for line in _mta.lines_of(text):
            s = line.strip()
            if _END.match(s):
                break
            m = _LINE.match(s)
            if m:
                found.append(Block(recipient=m.group(1), diagnosis=m.group(2)))
    delayed = "delayed" in subject or "warning" in subject or "is delayed for more than" in flat.lower()
    for b in found:
        b.action = "delayed" if delayed else "failed"
    dsn = _mta.dsn_blocks(msg)
    for b in dsn:
        # OpenSMTPD fills the DSN status from its own coarse error class, not from the
        # remote reply: the code in the error text (if any) is the one that counts.
        b.status = None
    blocks = _mta.merge(dsn, found)
    return _mta.finish(blocks) or None
