"""PowerMTA bounces ("Delivery report").

"Hello, this is the mail server on host." then one line per recipient
``<addr> delivery failed; will not continue trying``, an RFC 3464 part with PowerMTA's
X-PowerMTA-* fields and the original headers.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "PowerMTA"

_LINE = re.compile(r"^<([^<>\s]{1,300}@[^<>\s]{1,300})>\s{1,4}(delivery .{1,200})$", re.I)


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    return subject == "delivery report" or subject.startswith("delivery report")


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    if "this is the mail server on" not in text[:3000].lower():
        return None
    found = []
    for line in _mta.lines_of(text):
        m = _LINE.match(line.strip())
        if m:
            found.append(Block(recipient=m.group(1), diagnosis=m.group(2),
                               action="delayed" if "will continue" in m.group(2) and "not continue" not in m.group(2)
                               else "failed"))
    blocks = _mta.merge(_mta.dsn_blocks(msg), found, prefer_text=False)
    blocks = _mta.finish(blocks)
    _state_reasons(msg, blocks)
    return blocks or None


_FIELD = re.compile(r"^(Final-Recipient|Status|X-PowerMTA-BounceCategory):\s{0,8}(.{1,300})$", re.I | re.M)


def _state_reasons(msg: Message, blocks: list[Block]) -> None:
    """PowerMTA's own verdict per recipient: the Status comment ("5.2.1 (mailbox disabled,
    not accepting messages)") when it names the mailbox's state, else the bounce category."""
    from bouncewise.formats._provider import stated_reason

    verdicts: dict[str, str] = {}
    rcpt = ""
    comment = ""
    for text in _mta._dsn_texts(msg):
        for m in _FIELD.finditer(text[:200_000]):
            name, value = m.group(1).lower(), m.group(2).strip()
            if name == "final-recipient":
                rcpt, comment = (_mta.clean_recipient(value) or "").lower(), ""
            elif name == "status":
                comment = value.partition("(")[2].rstrip(") ").lower()
            elif rcpt:
                said = stated_reason("powermta_status", comment) if comment else None
                said = said or stated_reason("powermta_category", value.lower())
                if said:
                    verdicts[rcpt] = said
    for b in blocks:
        said = verdicts.get((b.recipient or "").lower())
        if said and not b.reason and b.action != "delayed":
            b.reason = said
