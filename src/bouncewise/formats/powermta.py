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
    return _mta.finish(blocks) or None
