"""Google's current bounce (Gmail and Google Workspace, formerly G Suite): a multipart/report
whose text part opens with a starred title such as "** Address not found **", explains in
Google's words, then quotes the remote server after "The response was:" or "The response
from the remote server was:"; the delivery-status part often carries only 4.0.0/5.0.0."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "GSuite"
PROVIDER = "google"

_TITLE_RE = re.compile(r"^\*\* [^*\n]{1,100} \*\*[ \t]*$", re.M)
_RESPONSE_CUES = ("The response from the remote server was:", "The response was:")
_TO_RE = re.compile(r"(?:wasn't delivered to|delivering your message to) <?([^ <>]{1,254}@[^ <>]{1,255}?)>?(?: |\.|,|$)")


def detect(msg: Message) -> bool:
    return "mailer-daemon@googlemail.com" in p.from_addr(msg) and p.subject(msg).startswith(
        "Delivery Status Notification"
    )


def response_text(text: str) -> str:
    """What follows "The response was:" up to the end of that paragraph group."""
    for cue in _RESPONSE_CUES:
        i = text.find(cue)
        if i < 0:
            continue
        rest = text[i + len(cue) :]
        out: list[str] = []
        blank = 0
        for line in p.lines(rest):
            if not line.strip():
                blank += 1
                if out and blank > 1:
                    break
                continue
            blank = 0
            if line.startswith(("--", "Content-Type:")):
                break
            out.append(line.strip())
        return p.sweep(" ".join(out))
    return ""


def decode(msg: Message) -> list[Block] | None:
    text = p.first_text(msg)
    if not _TITLE_RE.search(text[:5000]):
        return None
    response = response_text(text)
    blocks = p.dsn_blocks(msg, PROVIDER)
    if not blocks:
        addrs = p.failed_recipients(msg)
        if not addrs:
            m = _TO_RE.search(text[:5000])
            if m and p.clean_address(m.group(1)):
                addrs = [p.clean_address(m.group(1))]
        blocks = [Block(recipient=a, provider=PROVIDER, action="failed") for a in addrs]
    if not blocks:
        return None
    for b in blocks:
        if response:
            if not b.diagnosis or b.diagnosis.isdigit():
                b.diagnosis = response
            status = p.find_status(response)
            if status and not status.endswith(".0.0") and (not b.status or b.status.endswith(".0.0")):
                b.status = status
            reply = p.find_replycode(response)
            if reply and not reply.endswith("00") and (not b.replycode or b.replycode.endswith("00")):
                b.replycode = reply
            if (status or reply) and len(response) > len(b.diagnosis):
                b.diagnosis = response
        if not b.diagnosis:
            b.diagnosis = p.sweep(text[:2000])
        p.refine_codes(b)
        b.reason = p.stated_reason("gsuite", b.diagnosis) or p.stated_reason("gsuite", text[:5000])
    return blocks
