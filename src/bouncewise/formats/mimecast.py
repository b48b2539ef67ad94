"""Mimecast notices ("[Postmaster] Email Delivery Failure", X-MC-System or X-Mimecast-*
headers): the address after "-- ", "The problem appears to be : -- <summary>",
"Additional information follows : -- <reply>", sometimes a delivery-status part written
as "Field : value" with "rfc/822;" address types."""

from __future__ import annotations

from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Mimecast"
PROVIDER = "mimecast"


def detect(msg: Message) -> bool:
    return p.has_header(msg, "X-MC-System", "X-Mimecast-Originator") or p.subject(msg).startswith(
        "[Postmaster] Email Delivery Failure"
    )


def _after_dashes(text: str, label: str) -> str:
    i = text.find(label)
    if i < 0:
        return ""
    for line in p.lines(text[i + len(label) : i + len(label) + 3000]):
        if line.strip().startswith("--"):
            return p.sweep(line.strip()[2:])
    return ""


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg))
    extra = _after_dashes(text, "Additional information follows")
    summary = _after_dashes(text, "The problem appears to be")
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        addrs = []
        for line in p.lines(text[:5000]):
            s = line.strip()
            if s.startswith("--") and "@" in s and p.clean_address(s) and s.count(" ") <= 2:
                addrs.append(p.clean_address(s))
        blocks = [Block(recipient=a, provider=PROVIDER, action="failed") for a in addrs if a]
    for b in blocks:
        detail = extra or b.diagnosis
        b.diagnosis = p.sweep(f"{detail} ({summary})" if summary and detail else (detail or summary))
        p.refine_codes(b)
    return blocks or None
