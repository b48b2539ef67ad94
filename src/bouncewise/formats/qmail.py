"""qmail (and netqmail, notqmail) bounces ("failure notice").

qmail-send writes "Hi. This is the qmail-send program at host." and, for each recipient, a
paragraph that starts with ``<addr>:`` followed by qmail's own account of what happened
("192.0.2.1 does not like recipient.", "Connected to ... but sender was rejected.") and
"Remote host said: <reply>". Its own errors end with a status in the form "(#5.1.1)".
The original message follows "--- Below this line is a copy of the message."
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _mta
from bouncewise.record import Block

NAME = "qmail"

_MARKERS = re.compile(
    r"This is the qmail(?:-send)? program"
    r"|I'm afraid I wasn't able to deliver your message to the following addresses"
    r"|I was unable to deliver your message to the following addresses"
    r"|I'm not going to try again; this message has been in the queue too long",
    re.I,
)
_COPY = re.compile(
    r"^--- ?(?:(?:Below this line is|Enclosed is|Attached is) (?:a )?copy of the message"
    r"|Enclosed are the original headers of the message|Below this line is the top of the message)",
    re.I,
)
_RCPT = re.compile(r"^<([^<>\s]{1,300}@[^<>\s]{1,300})>:\s{0,4}(.{0,2000})$")

# qmail's own sentences and the stage of the SMTP session they describe.
_STAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"but (?:greeting|connection) failed|greeting was rejected", re.I), "CONN"),
    (re.compile(r"but my name was rejected", re.I), "EHLO"),
    (re.compile(r"but sender was rejected", re.I), "MAIL"),
    (re.compile(r"does not like recipient", re.I), "RCPT"),
    (re.compile(r"failed on DATA command|failed after I sent the message", re.I), "DATA"),
)
# qmail-send's own closing sentences: they say that it gave up, not why delivery failed.
_BOILERPLATE = re.compile(
    r"I'm not going to try again; this message has been in the queue too long\.?"
    r"|Giving up on [0-9A-Fa-f.:]{3,64}\.?",
)
_HOST = re.compile(r"^(?:Connected to )?([0-9A-Fa-f.:]{3,64}|[A-Za-z0-9._-]{1,255}) (?:does not like|failed|but )")


def detect(msg: Message) -> bool:
    subject = _mta.header_lower(msg, "Subject")
    if subject == "failure notice" or subject.startswith("failure notice"):
        return True
    return any("invoked for bounce" in r for r in msg.get_all("Received") or [])


def decode(msg: Message) -> list[Block] | None:
    text = _mta.report_text(msg)
    if not _MARKERS.search(text[:20000]):
        return None
    blocks: list[Block] = []
    current: Block | None = None
    for line in _mta.lines_of(text):
        if _COPY.match(line.strip()):
            break
        m = _RCPT.match(line.strip())
        if m:
            current = Block(recipient=m.group(1), diagnosis=m.group(2))
            blocks.append(current)
            continue
        if current is not None and line.strip():
            current.diagnosis += "\n" + line.strip()
    if not blocks:
        return None
    for b in blocks:
        raw = b.diagnosis
        for pattern, stage in _STAGES:
            if pattern.search(raw):
                b.command = stage
                break
        host = _HOST.match(raw.strip())
        if host and b.command:
            b.rhost = host.group(1)
        b.diagnosis = _mta.squeeze(_BOILERPLATE.sub(" ", raw))
        b.action = "failed"  # qmail-send writes no delay notices: a bounce is final
    return _mta.finish(blocks) or None
