"""Gmail's own plain-text bounce (the older Google notice, before Google switched to
multipart/report): "Delivery to the following recipient failed permanently:" followed by
the indented address and "Technical details of permanent/temporary failure". Google adds
"(state N)" to a remote server's reply: the SMTP state its client was in."""

from __future__ import annotations

import re
from email.message import Message

from bouncewise.formats import _provider as p
from bouncewise.record import Block

NAME = "Gmail"
PROVIDER = "google"

_START = ("Delivery to the following recipient", "Delivery to the following recipients")
_MARKERS = ("----- Original message -----", "----- Message header follows -----")
_STATE_RE = re.compile(r"\(state ([0-9]{1,2})\)")
_RHOST_RE = re.compile(r" by ([A-Za-z0-9][A-Za-z0-9.-]{0,250})\. \[([0-9A-Fa-f:.]{2,45})\]")
_ADDR_LINE_RE = re.compile(r"^[ \t]{1,20}<?([^ \t<>]{1,254}@[^ \t<>]{1,255})>?[ \t]*$")



def detect(msg: Message) -> bool:
    return "mailer-daemon@googlemail.com" in p.from_addr(msg) and p.subject(msg).startswith(
        "Delivery Status Notification"
    )


def _specific(status: str | None) -> bool:
    """A status whose subject and detail are both given (5.1.1, not 5.7.0 or 5.0.0)."""
    return bool(status) and "0" not in status.split(".")[1:]


def decode(msg: Message) -> list[Block] | None:
    text = p.cut_original(p.first_text(msg), _MARKERS)
    if not any(s in text for s in _START):
        return None
    delayed = "has been delayed" in text
    recipients: list[str] = []
    details: list[str] = []
    reading = False
    for line in p.lines(text):
        if not reading:
            reading = line.startswith(_START)
            continue
        m = _ADDR_LINE_RE.match(line)
        if m and "@" in m.group(1) and not details:
            addr = p.clean_address(m.group(1))
            if addr:
                recipients.append(addr)
            continue
        if line.strip():
            details.append(line.strip())
    if not recipients:
        return None
    diagnosis = p.sweep(" ".join(details))
    reply_text = diagnosis
    for cue in ("The error that the other server returned was:", "The response was:"):
        i = diagnosis.find(cue)
        if i >= 0:
            reply_text = diagnosis[i + len(cue) :].strip()
            break
    blocks = []
    for addr in recipients:
        # The remote server's own reply, without Google's explanation around it.
        text = reply_text if reply_text is not diagnosis and reply_text else diagnosis
        b = Block(recipient=addr, diagnosis=text, provider=PROVIDER, action="delayed" if delayed else "failed")
        b.status = p.find_status(reply_text)
        b.replycode = p.find_replycode(reply_text) if reply_text is not diagnosis else p.find_replycode(diagnosis)
        m = _RHOST_RE.search(diagnosis)
        if m:
            b.rhost = m.group(1) if re.search(r"[A-Za-z]$", m.group(1)) else m.group(2)
        state = _STATE_RE.search(diagnosis)
        states = p.table("gmail_states")
        if state and state.group(1) in states:
            b.command, reason = states[state.group(1)]
            if reason and not _specific(b.status):
                b.reason = reason
        elif not _specific(b.status):
            b.reason = p.stated_reason("gmail", diagnosis)
            if b.reason is None:
                if delayed and reply_text is diagnosis and not b.status and not b.replycode:
                    # A delay notice without any detail: Google is still retrying.
                    b.reason = "expired"
        blocks.append(b)
    return blocks
