"""HCL/IBM Lotus Domino bounces ("DELIVERY FAILURE: ...").

"Your message ... was not delivered to:" followed by the indented recipient(s) and
"because:" followed by the indented reason; newer versions add an RFC 3464 part whose
Diagnostic-Code type is X-Notes.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.formats._provider import stated_reason
from bouncewise.record import Block

NAME = "Domino"


def detect(msg: Message) -> bool:
    return _mta.header_lower(msg, "Subject").startswith(("delivery failure:", "delivery report:"))


_ADDR = re.compile(r"^<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?$")


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    lines = _mta.lines_of(text)
    if not any(ln.strip().lower().startswith("was not delivered to") for ln in lines[:100]):
        return None
    found: list[Block] = []
    section = ""
    reason: list[str] = []
    for line in lines:
        s = line.strip()
        low = s.lower()
        if low.startswith("was not delivered to"):
            section = "rcpt"
            continue
        if low.startswith("because:"):
            section = "reason"
            continue
        if section == "rcpt" and s:
            m = _ADDR.match(s)
            if m:
                found.append(Block(recipient=m.group(1), action="failed"))
            continue
        if section == "reason":
            if not s:
                if reason:
                    section = ""
                continue
            reason.append(s)
    for b in found:
        b.diagnosis = " ".join(reason)
    blocks = _mta.merge(_mta.dsn_blocks(msg), found)
    if not blocks and reason:
        subject = _mta.header(msg, "Subject")
        rcpt = _mta.address(subject) or _mta.original_recipient(msg)
        if rcpt:
            blocks = [Block(recipient=rcpt, diagnosis=" ".join(reason), action="failed")]
    blocks = _mta.finish(blocks)
    for b in blocks:  # Domino's own directory lookup says the address does not exist
        b.reason = b.reason or stated_reason("domino", b.diagnosis)
    return blocks or None
