"""Microsoft 365 (Exchange Online) non-delivery reports: "Undeliverable: <subject>" from
postmaster@<tenant> or "Microsoft Outlook" <postmaster@outlook.com>, marked by the
X-MS-Exchange-Message-Is-Ndr header. The text explains in Microsoft's words and ends with
"Diagnostic information for administrators:", "Generating server:", the recipient and
"Remote Server returned '<reply>'"; a delivery-status part usually follows."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Office365"
PROVIDER = "microsoft"

_RETURNED_RE = re.compile(r"Remote Server returned '(.{1,2000}?)'[ \t]*$", re.M)
_HASHED_RE = re.compile(r"^[ \t]{0,10}#([245][0-9]{2} [245]\.[0-9]{1,3}\.[0-9]{1,3} .{1,2000}?)(?:##.{0,200})?$", re.M)
_GEN = "Generating server:"


def detect(msg: Message) -> bool:
    if p.has_header(msg, "X-MS-Exchange-Message-Is-Ndr"):
        return True
    sender = p.from_addr(msg)
    return p.subject(msg).startswith("Undeliverable") and (".onmicrosoft.com" in sender or "postmaster@outlook.com" in sender)


def _admin_section(text: str) -> tuple[list[str], str]:
    """Recipients and the remote reply from the "Diagnostic information" section."""
    i = text.find(_GEN)
    if i < 0:
        return [], ""
    section = p.cut_original(text[i : i + 20000], ("Original message headers:",))
    addrs = []
    for line in p.lines(section)[1:]:
        s = line.strip()
        if "@" in s and " " not in s and p.clean_address(s):
            addrs.append(p.clean_address(s))
    m = _RETURNED_RE.search(section) or _HASHED_RE.search(section)
    return [a for a in addrs if a], (p.sweep(m.group(1)) if m else "")


def decode(msg: Message) -> list[Block] | None:
    text = p.first_text(msg)
    addrs, reply = _admin_section(text)
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        blocks = [Block(recipient=a, provider=PROVIDER, action="failed") for a in dict.fromkeys(addrs)]
    for b in blocks:
        if reply and (not b.diagnosis or len(reply) > len(b.diagnosis)):
            b.diagnosis = reply
        p.refine_codes(b)
    return blocks or None
