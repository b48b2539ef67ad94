"""m-FILTER (Digital Arts) bounces ("failure notice", X-Mailer: m-FILTER).

The Japanese notice names the recipient on a line of its own, then
``-------server message`` (the remote reply), ``-------SMTP command`` (the command it
answered) and ``-------original message``.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "mFILTER"

_SECTION = re.compile(r"^-{5,}\s{0,3}(server message|SMTP command|original message)\s*$", re.I)
_BARE_ADDR = re.compile(r"^<?([^<>\s]{1,300}@[^<>\s]{1,300}?)>?$")


def detect(msg: Message) -> bool:
    return "m-filter" in _mta.header_lower(msg, "X-Mailer")


def decode(msg: Message) -> list[Block] | None:
    blocks: list[Block] = []
    section = ""
    for line in _mta.lines_of(_mta.report_text(msg)):
        s = line.strip()
        m = _SECTION.match(s)
        if m:
            section = m.group(1).lower()
            if section == "original message":
                break
            continue
        if not s:
            continue
        if section == "":
            a = _BARE_ADDR.match(s)
            if a:
                blocks.append(Block(recipient=a.group(1), action="failed"))
        elif section == "server message" and blocks:
            for b in blocks:
                b.diagnosis = (b.diagnosis + " " + s).strip()
        elif section == "smtp command" and blocks:
            verb = _mta.smtp_verb(s)
            for b in blocks:
                b.command = b.command or verb
    return _mta.finish(blocks) or None
