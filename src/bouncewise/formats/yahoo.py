"""Yahoo! Mail bounces ("Failure Notice"): plain text "Sorry, we were unable to deliver your
message to the following address." then "<addr>:" and the remote reply, often with
"Remote host said:" and the SMTP stage in brackets ([RCPT_TO], [MAIL_FROM], [DATA]), then
"--- Below this line is a copy of the message."."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Yahoo"
PROVIDER = "yahoo"

_START = "Sorry, we were unable to deliver your message to the following address"
_ADDR_RE = re.compile(r"^<([^ <>]{1,254}@[^ <>]{1,255})>:?[ \t]*$")
_STAGE_RE = re.compile(r"\[(RCPT_TO|MAIL_FROM|DATA|CONNECT|HELO|EHLO)\]")
_STAGES = {"RCPT_TO": "RCPT", "MAIL_FROM": "MAIL", "DATA": "DATA", "CONNECT": "CONN", "HELO": "HELO", "EHLO": "EHLO"}


def detect(msg: Message) -> bool:
    return p.subject(msg) == "Failure Notice" or p.has_header(msg, "X-YMailISG")


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), ("--- Below this line is a copy of the message.",))
    i = text.find(_START)
    if i < 0:
        return None
    blocks: list[Block] = []
    current: Block | None = None
    parts: list[str] = []

    def close() -> None:
        if current is not None:
            current.diagnosis = p.sweep(" ".join(parts))
            blocks.append(current)

    for line in p.lines(text[i:])[1:]:
        m = _ADDR_RE.match(line.strip())
        if m:
            close()
            current, parts = Block(recipient=p.clean_address(m.group(1)), provider=PROVIDER, action="failed"), []
            continue
        if current is not None and line.strip():
            parts.append(line.strip())
    close()
    for b in blocks:
        stage = _STAGE_RE.search(b.diagnosis)
        if stage:
            b.command = _STAGES[stage.group(1)]
        reply = b.diagnosis
        if reply.startswith("Remote host said:"):
            reply = reply[len("Remote host said:") :].strip()
        b.replycode = p.find_replycode(reply)
        b.status = p.find_status(reply)
    return [b for b in blocks if b.recipient] or None
