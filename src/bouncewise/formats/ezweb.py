"""au by KDDI (EZweb) bounces: "Mail System Error - Returned Mail" from Postmaster@ezweb.ne.jp
or Postmaster@au.com, a Japanese preamble and English lines: "The user(s) account is
disabled.", "Your message was not delivered within N days and N hours.", "Each of the
following recipients was rejected by a remote mail server." with "Recipient: <addr>",
">>> RCPT TO:<addr>" and "<<< 550 ...". The X-SPASIGN: NG header marks mail that au's
own spam filter refused."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.formats._util import header
from bouncewise.record import Block

NAME = "EZweb"
PROVIDER = "au"

_ADDR_ONLY_RE = re.compile(r"^<([^ <>]{1,254}@[^ <>]{1,255})>:?[ \t]*(.{0,2000})$")
_RECIPIENT_RE = re.compile(r"^[ \t]{0,10}Recipient: <([^ <>]{1,254}@[^ <>]{1,255})>")
_SENT_RE = re.compile(r"^[ \t]{0,10}>>>[ \t]{0,3}([A-Z]{4})")
_RECEIVED_RE = re.compile(r"^[ \t]{0,10}<<<[ \t]{0,3}(.{1,2000})$")


def detect(msg: Message) -> bool:
    sender = p.from_addr(msg)
    if "postmaster@ezweb.ne.jp" in sender or "postmaster@au.com" in sender:
        return True
    return p.subject(msg) == "Mail System Error - Returned Mail" and p.has_header(msg, "X-SPASIGN")


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), ("-" * 50,) + p._ORIGINAL_MARKERS)
    blocks: list[Block] = []
    notes: list[str] = []
    details: dict[int, list[str]] = {}
    for line in p.lines(text):
        stripped = line.strip()
        if not stripped or not stripped.isascii():
            continue
        m = _ADDR_ONLY_RE.match(stripped) or _RECIPIENT_RE.match(line)
        if m:
            addr = p.clean_address(m.group(1))
            if addr and addr not in [b.recipient for b in blocks]:
                blocks.append(Block(recipient=addr, provider=PROVIDER, action="failed"))
                details[len(blocks) - 1] = [m.group(2)] if m.re is _ADDR_ONLY_RE and m.group(2) else []
            continue
        s = _SENT_RE.match(line)
        if s and blocks:
            blocks[-1].command = s.group(1) if s.group(1) != "MAIL" else "MAIL"
            continue
        r = _RECEIVED_RE.match(line)
        if r and blocks:
            details[len(blocks) - 1].append(r.group(1))
            continue
        if not blocks or p.stated_reason("ezweb", stripped):
            notes.append(stripped)
    if not blocks:
        return None
    _, groups = p.dsn_fields(msg)
    status_of = {p.clean_address(g.get("final-recipient")): g for g in groups}
    filtered = header(msg, "X-SPASIGN").upper() == "NG"
    for i, b in enumerate(blocks):
        reply = p.sweep(" ".join(details.get(i, [])))
        own = [n for n in notes if p.stated_reason("ezweb", n)]
        b.diagnosis = p.sweep(" ".join([*own, reply])) or p.sweep(" ".join(notes))
        fields = status_of.get(b.recipient)
        if fields:
            b.status = p.find_status(fields.get("status", ""))
        b.replycode = p.find_replycode(reply)
        if not b.status:
            found = p.find_status(reply)
            b.status = found
        if filtered:
            b.reason = "filtered"  # au's spam filter refused it (X-SPASIGN: NG)
            continue
        b.reason = p.stated_reason("ezweb", " ".join(notes))
    return blocks
