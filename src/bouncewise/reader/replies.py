"""Per recipient: the reply the remote server gave (with its continuation lines), the notice's
own words when it quotes none, the status and reply codes, the SMTP command and the remote host."""

from __future__ import annotations

from bouncewise.formats import _mta
from bouncewise.formats._util import ADDR_RE, find_replycode
from bouncewise.reader.patterns import (
    ANY_REPLY_RE,
    COMMAND_LINE_RE,
    REPLY_INSIDE_RE,
    REPLY_START_RE,
    RHOST_RES,
    SEPARATOR_RE,
    STATUS_RE,
    VERB_RE,
)
from bouncewise.reader.vocab import MAX_DIAG, Vocab
from bouncewise.record import Block


def has_reply(line: str) -> bool:
    if REPLY_START_RE.match(line):
        return True
    return bool(REPLY_INSIDE_RE.search(line) or STATUS_RE.search(line))


def reply_in(seg: list[str], v: Vocab) -> str | None:
    """The remote server's reply quoted in a recipient's block, with its continuation lines."""
    best: tuple[int, str] | None = None  # (rank, text): a reply with a code beats one without
    for i, raw in enumerate(seg):
        line = raw.strip()
        if not line:
            continue
        low = line.lower()
        text = None
        rank = 0
        m = REPLY_START_RE.match(line)
        if m:
            text, rank = line[m.start(1) :], 2
        else:
            q = next((q for q in v.quotes if q in low), None)
            if q is not None:
                rest = line[low.index(q) + len(q) :].strip(" \t:")
                if not rest:  # the reply is on the next non-empty line
                    rest = next((s.strip() for s in seg[i + 1 : i + 3] if s.strip()), "")
                if rest:
                    text = rest
                    rank = 2 if has_reply(rest) else 1
            if text is None:
                m2 = REPLY_INSIDE_RE.search(line)
                if m2:
                    text, rank = line[m2.start(1) :], 2
        if text is None:
            continue
        # continuation: multi-line replies ("550-...", "550 ...") and wrapped lines
        code = text[:3] if text[:3].isdigit() else None
        for nxt in seg[i + 1 : i + 8]:
            s = nxt.strip()
            if not s or SEPARATOR_RE.match(s) or COMMAND_LINE_RE.match(s):
                break
            if code and s[:3] == code and s[3:4] in (" ", "-"):
                text += " " + s
                continue
            if nxt[:1] in (" ", "\t") and not has_reply(s) and len(text) < MAX_DIAG and not ADDR_RE.match(s):
                text += " " + s
                continue
            if rank == 1 and len(text) < MAX_DIAG and not ADDR_RE.match(s) and not any(b in s.lower() for b in v.boilerplate):
                # the notice's reason in its own words (no code): the rest of its paragraph,
                # where a system often adds the technical detail ("Host or domain name not found")
                text += " " + s
                continue
            break
        if best is None or rank > best[0]:
            best = (rank, text)
            if rank == 2:
                break
    return best[1] if best else None


def own_words(seg: list[str], v: Vocab) -> str:
    """The notice's own account in a block: its lines less boilerplate and separators."""
    kept: list[str] = []
    for raw in seg:
        s = raw.strip()
        if not s or SEPARATOR_RE.match(s) and len(s.strip("-=*_#~+ ")) == 0:
            continue
        low = s.lower()
        cut = min((low.find(b) for b in v.boilerplate if b in low), default=-1)
        if cut >= 0:
            # boilerplate ("Learn more at ...", "please contact ...") after the line's own
            # words: keep what comes before it, when that says something
            s = s[:cut].rstrip(" .,;:-")
            if len(s) < 20:
                continue
        kept.append(s.strip("-=*_#~ "))
        if sum(len(k) for k in kept) > MAX_DIAG:
            break
    return " ".join(k for k in kept if k)


def command_of(seg: list[str], v: Vocab) -> str | None:
    """The SMTP command a recipient's reply answered, as the notice words it."""
    text = " ".join(s.strip() for s in seg)
    found = _mta.find_command(text)
    if found:
        return found
    low = text.lower()
    for phrase, command in v.stages:
        if phrase in low:
            return command
    last = None
    session = False  # a transcript's "... while talking to host:" opened a session
    for raw in seg:
        m = COMMAND_LINE_RE.match(raw.strip())
        if m:
            word = m.group(1).upper().split(" ")[0]
            last = {"LHLO": "EHLO"}.get(word, word)
        elif "while talking to" in raw.lower():
            session, last = True, None
        elif REPLY_START_RE.match(raw.strip()):
            if last:
                return last
            if session:
                return "CONN"  # the server's error came before any command: its greeting
            # "... did not like our RCPT TO:" / "the DATA command": a verb written in capitals
            # (as the protocol spells it) before the reply names the stage it answered
            words = VERB_RE.findall(" ".join(s.strip() for s in seg[: seg.index(raw)]))
            if words:
                word = words[-1].split(" ")[0]
                return {"LHLO": "EHLO"}.get(word, word)
            return None
    return None


def rhost_of(text: str) -> str | None:
    text = text[:20_000]
    for rx in RHOST_RES:
        m = rx.search(text)
        if m:
            return m.group(1).rstrip(".").lower()
    return None


def status_of(diag: str, seg_text: str) -> str | None:
    for text in (diag, seg_text):
        first = None
        for m in STATUS_RE.finditer(text[:8000]):
            code = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
            first = first or code
            if not code.endswith(".0.0"):
                return code
        if first:
            return first
    return None


def finish(blocks: list[Block]) -> list[Block]:
    """Codes from each diagnosis, the command from its wording, duplicates dropped."""
    out: list[Block] = []
    seen: set[str] = set()
    for b in blocks:
        b.recipient = (b.recipient or "").strip().strip("<>").strip().rstrip(".,;:") or None
        found = status_of(b.diagnosis, "")
        if found and (not b.status or (not found.endswith(".0.0") and found[0] == b.status[0])):
            b.status = found  # the server's own code is more exact than the notice's
        if b.diagnosis.endswith(("]", ")")) and b.diagnosis.count(b.diagnosis[-1]) > b.diagnosis.count(
            "[" if b.diagnosis[-1] == "]" else "("
        ):
            b.diagnosis = b.diagnosis[:-1].rstrip()  # the close of a bracket the reply was quoted in
        inner = _mta.quoted_reply(b.diagnosis)
        if inner is not None:  # the remote server's reply inside the reporting MTA's verdict
            b.replycode = inner[0]
            b.status = inner[1] or (b.status if b.status and b.status[0] == inner[0][0] else None)
        if not b.replycode:
            b.replycode = find_replycode(b.diagnosis, b.status) or any_replycode(b.diagnosis, b.status)
        if b.replycode and b.status and b.replycode[0] != b.status[0]:
            b.replycode = None  # the two disagree on the class: the status decides
        b.command = b.command or _mta.find_command(b.diagnosis)
        if b.status and b.status[0] == "5" and b.action == "delayed":
            b.action = "failed"
        key = (b.recipient or "").lower() + "|" + b.diagnosis
        if key in seen:
            continue
        seen.add(key)
        out.append(b)
    return out


def any_replycode(text: str, status: str | None) -> str | None:
    """A reply code standing anywhere in a diagnosis ("ERROR_CODE :550"), of the status's
    class when there is one; not a piece of an IPv6 address or a number."""
    for m in ANY_REPLY_RE.finditer(text[:4000]):
        code = m.group(1)
        if code in _mta.REPLY_CODES and (not status or status[0] == code[0]):
            return code
    return None


def failure_lines(lines: list[str], v: Vocab) -> list[str]:
    return [ln for ln in lines if any(p in ln.lower() for p in v.failure) or has_reply(ln)]
