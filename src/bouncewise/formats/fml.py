"""fml (a Japanese mailing-list manager) error notices to a poster.

fml's notices come from the list's "-admin" address with an X-MLServer header naming fml:
"You are not a member of this mailing list <list@host>." (the post was refused) or
"Duplicated Message-ID in <list@host>." (a loop guard). The list address stands in for
the recipient.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "FML"

_NOTICES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"not a member of this mailing list <([^<>\s]{1,300}@[^<>\s]{1,300})>", re.I), "rejected"),
    (re.compile(r"Duplicated Message-ID in <([^<>\s]{1,300}@[^<>\s]{1,300})>", re.I), "systemerror"),
)


def detect(msg: Message) -> bool:
    return "fml" in _mta.header_lower(msg, "X-MLServer") or (
        msg.get("X-ML-Name") is not None and "-admin@" in _mta.header_lower(msg, "From")
    )


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    for pattern, _kind in _NOTICES:
        m = pattern.search(text[:20000])
        if m:
            line = next((ln.strip() for ln in _mta.lines_of(text) if m.group(1) in ln), m.group(0))
            # fml's notices are fixed sentences that name the cause themselves
            return [Block(recipient=m.group(1), diagnosis=line, action="failed", reason=_kind)]
    return None
