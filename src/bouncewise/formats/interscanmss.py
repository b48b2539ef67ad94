"""Trend Micro InterScan Messaging Security Suite notices ("Mail could not be delivered",
"Message from InterScan Messaging Security Suite"): "Unable to deliver message to <addr>
(and other recipients in the same domain)." InterScan writes this sentence when the
receiving domain refused the recipient, so the notice itself states the address failed."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "InterScanMSS"
PROVIDER = "trendmicro"

_RE = re.compile(r"Unable to deliver message to <([^ <>]{1,254}@[^ <>]{1,255})>")
_SENT_RE = re.compile(r"^Sent <<< ([A-Z]{4})[ A-Za-z]{0,6}:[ \t]{0,3}<?([^ <>]{1,254}@[^ <>]{1,255})>?")
_RECEIVED_RE = re.compile(r"^Received >>> (.{1,2000})$")


def detect(msg: Message) -> bool:
    return "interscan" in p.from_addr(msg) or p.subject(msg) == "Mail could not be delivered"


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg))
    if "InterScan" not in text and "interscan" not in p.from_addr(msg):
        return None
    blocks: list[Block] = []
    for line in p.lines(text):
        sent = _SENT_RE.match(line.strip())
        if sent and p.clean_address(sent.group(2)):
            # A transcript: "Sent <<< RCPT TO:<addr>" then "Received >>> <reply>".
            blocks.append(Block(recipient=p.clean_address(sent.group(2)), provider=PROVIDER,
                                action="failed", command=sent.group(1)))
            continue
        got = _RECEIVED_RE.match(line.strip())
        if got and blocks and not blocks[-1].diagnosis:
            blocks[-1].diagnosis = p.sweep(got.group(1))
            p.refine_codes(blocks[-1])
            continue
        m = _RE.search(line)
        if m and p.clean_address(m.group(1)):
            b = Block(recipient=p.clean_address(m.group(1)), provider=PROVIDER, action="failed",
                      diagnosis=p.sweep(line.replace("Reason:", "")))
            b.reason = "userunknown"
            blocks.append(b)
    return blocks or None
