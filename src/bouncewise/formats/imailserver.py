"""Ipswitch IMail Server bounces ("Undeliverable Mail", X-Mailer: <SMTP32 vX>).

One short line per problem: ``Unknown user: addr``, ``Delivery failed N attempts: addr``,
``undeliverable to addr`` (followed by "Body of message generated response:" and the remote
reply), then "Original message follows."
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.formats._provider import stated_reason
from bouncewise.record import Block

NAME = "IMailServer"

_LINE = re.compile(
    r"^(Unknown user|Invalid final delivery userid|User mailbox exceeds allowed size|Delivery failed \d{1,5} attempts|"
    r"undeliverable to|Requested action not taken: mailbox unavailable|Mailbox full|"
    r"Unknown host|Host unknown|No such user|User is unknown|Account disabled)\s{0,3}:?\s{0,3}"
    r"<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?\s*$",
    re.I,
)
_END = re.compile(r"^(?:Original message follows|Original message header follows)", re.I)


def detect(msg: Message) -> bool:
    if _mta.header_lower(msg, "X-Mailer").startswith("<smtp32 v"):
        return True
    return _mta.header_lower(msg, "Subject") == "undeliverable mail" and "postmaster" in _mta.header_lower(msg, "From")


def decode(msg: Message) -> list[Block] | None:
    blocks: list[Block] = []
    response = False
    for line in _mta.lines_of(_mta.report_text(msg)):
        s = line.strip()
        if _END.match(s):
            break
        m = _LINE.match(s)
        if m:
            phrase = m.group(1)
            block = Block(recipient=m.group(2), action="failed",
                          diagnosis="" if phrase.lower() == "undeliverable to" else phrase)
            if phrase.lower().startswith("delivery failed"):
                block.reason = "expired"  # IMail's fixed wording: it gave up after N attempts
            else:  # IMail's own verdict at the start of the line ("Unknown user: addr")
                block.reason = stated_reason("imailserver", phrase)
            blocks.append(block)
            response = False
            continue
        if s.lower().startswith("body of message generated response"):
            response = True
            continue
        if response and s and blocks:
            blocks[-1].diagnosis = (blocks[-1].diagnosis + " " + s).strip()
    return _mta.finish(blocks, status_from_text=False) or None
