"""Active!hunter (a Japanese mail filter) bounces ("FAILURE NOTICE :").

Sendmail-like: "----- The following addresses had permanent fatal errors -----" with each
recipient written as ``>>> addr <addr>``, then "----- Transcript of session follows -----"
with the reply.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "Activehunter"

_RCPT = re.compile(r"^>>> ?\S{0,300}\s{0,3}<([^<>\s]{1,300}@[^<>\s]{1,300})>")


def detect(msg: Message) -> bool:
    if "active!hunter" in str(msg.get("Content-Type", "")).lower():
        return True
    return _mta.header_lower(msg, "Subject").startswith("failure notice :")


def decode(msg: Message) -> list[Block] | None:
    blocks: list[Block] = []
    transcript = False
    for line in _mta.lines_of(_mta.report_text(msg)):
        s = line.strip()
        if "transcript of session follows" in s.lower():
            transcript = True
            continue
        m = _RCPT.match(s)
        if m and not transcript:
            blocks.append(Block(recipient=m.group(1), action="failed"))
            continue
        if transcript and s and blocks and s[:1].isdigit():
            for b in blocks:
                b.diagnosis = (b.diagnosis + " " + s).strip()
    return _mta.finish(blocks) or None
