"""The format-agnostic fallback: a delivery failure notice in a layout no other decoder knows.

It runs last, after every specific decoder and the standard ones. It describes how mail
systems in general write a failure notice, not how one MTA does:

* **Claiming.** The notice must look like one by its headers (the mail system as sender:
  MAILER-DAEMON, postmaster, "Mail Delivery System" ...; a subject naming an undeliverable
  or returned message in one of many languages; an ``X-Failed-Recipients`` header; or an
  automatic message with the returned message attached) *and* by its text (a sentence
  saying that delivery failed or is delayed, or a quoted SMTP reply or status code). A
  message that only looks like one by its subject also needs a returned original or an
  SMTP code; mailing-list traffic, read receipts and feedback reports are never claimed.
* **Recipients.** Addresses in the notice's own text (the returned message is cut off)
  are taken only in a recipient's place: alone at the start of a line (``user@...``,
  ``<user@...>:``), after a label (``Recipient:``, ``RCPT TO:``, ``Empfänger:``, ``宛先:``),
  after "could not be delivered to" and the like, in a list announced by "the following
  recipients", or on a line quoting an SMTP reply. Addresses of the sender, of the mail
  system (postmaster, MAILER-DAEMON, no-reply ...) and of the returned message's author
  are never recipients. Only when the text names none and the returned message has a
  single To address is that address used (the diagnosis then says so).
* **Per recipient.** The text from a recipient's line to the next recipient's line is its
  block: the quoted server reply in it ("said: 550 5.1.1 ...", "<<< 550 ...", "smtp;550
  ...", "Remote host said: ...") is the diagnosis, with its status and reply code; the SMTP
  command comes from the wording ("after RCPT TO", ">>> RCPT TO:<...>"); the remote host
  from "host X [ip]", "while talking to X" and the like.

The reason is left to the diagnosis engine, as for every decoder. Vocabulary lives in
``formats/data/fallback.toml``. All patterns are linear and input is capped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from functools import cache

from bouncewise._data import load_toml
from bouncewise.formats import _mta
from bouncewise.formats._util import ADDR_RE, find_replycode, header, part_text
from bouncewise.record import Block

NAME = "Fallback"

MAX_TEXT = 200_000  # characters of the notice's text read
MAX_LINES = 4000  # lines of it looked at
MAX_LINE = 2000  # characters of one line
MAX_SEGMENT = 30  # lines of one recipient's block
MAX_DIAG = 1000  # characters of a diagnosis
MAX_RECIPIENTS = 200

# Evidence note put in the diagnosis when the recipient came from the returned message.
FROM_ORIGINAL_NOTE = "[recipient taken from the returned message's To header]"

_REPLY_START_RE = re.compile(r"^[\s<>:;(\[\]\"'#*|-]{0,8}([45][0-5][0-9])(?:[ \t-]|$)")
_REPLY_INSIDE_RE = re.compile(
    r"(?<![\w.:/=#+-])([45][0-5][0-9])(?=[ -][45]\.\d{1,3}\.\d{1,3}\b|[ -][A-Za-z<(\[\"'])"
)
# Failure classes only (4, 5) and its own tail rule: not the shared _util/_mta/engine patterns.
_STATUS_RE = re.compile(r"(?<![\w.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.]\d)")
_BULLET_RE = re.compile(r"^[\s>*\-•·:;|#(\[]{0,8}(?:\d{1,2}[.)]\s{0,3})?$")
_CODED_LEAD_RE = re.compile(r"^[\s<>(\[#]{0,4}[45][0-5]\d(?:[ -]{1,3}[45]\.\d{1,3}\.\d{1,3})?[\s:]{0,3}$")
_ANY_REPLY_RE = re.compile(r"(?<![0-9A-Fa-f]:)(?<![\w./=#+\[-])([45][0-5]\d)(?![\w.:]\w)")
_VERB_RE = re.compile(r"\b(MAIL FROM|RCPT TO|DATA|EHLO|HELO|LHLO)\b")
_SEPARATOR_RE = re.compile(r"^[\s\-=*_#~+.]{0,4}[\-=*_#~+]{2,}")
_HEADER_LINE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,40}):[ \t]")
_COMMAND_LINE_RE = re.compile(
    r"^(?:>>>|->|=>|out:|sent:|c:|client:|>)?\s{0,4}(MAIL FROM|RCPT TO|DATA|EHLO|HELO|LHLO|STARTTLS|AUTH)\b",
    re.I,
)
_RHOST_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bhost\s{1,3}([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})\.?\s{0,2}\["),
    re.compile(
        r"\b(?:talking to|connected to)\s{1,3}([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})", re.I
    ),
    re.compile(r"\bby\s{1,3}([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})\.?\s{1,2}\[\d"),
    re.compile(
        r"\bremote[ -](?:host|server|mta|mail server)[: ]{1,3}(?:dns;\s{0,2})?([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})",
        re.I,
    ),
    re.compile(r"<([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63}) #[45]\.\d"),
)
_LHOST_RE = re.compile(r"\bat host\s{1,3}([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})", re.I)
_TAG_RE = re.compile(r"<[^<>]{0,2000}>")
_BREAK_RE = re.compile(r"(?i)<br\s{0,5}/?>|</p>|</div>|</tr>|</li>|</h\d>")
_ATTACHED = (
    "message/rfc822",
    "message/global",
    "text/rfc822-headers",
    "message/rfc822-headers",
    "message/global-headers",
)


@dataclass(frozen=True, slots=True)
class _Vocab:
    senders: tuple[str, ...]
    system_locals: frozenset[str]
    subjects: tuple[str, ...]
    forward_prefixes: tuple[str, ...]
    subject_delay: tuple[str, ...]
    failure: tuple[str, ...]
    intro: tuple[str, ...]
    labels: tuple[str, ...]
    quotes: tuple[str, ...]
    delay: tuple[str, ...]
    permanent: tuple[str, ...]
    markers: tuple[str, ...]
    header_names: frozenset[str]
    not_labels: tuple[str, ...]
    not_words: tuple[str, ...]
    boilerplate: tuple[str, ...]
    salutations: tuple[str, ...]
    label_words: tuple[str, ...]
    reply_prefixes: tuple[str, ...]


@cache
def _vocab() -> _Vocab:
    data = load_toml("formats/data/fallback.toml")

    def low(section: str, key: str) -> tuple[str, ...]:
        return tuple(s.lower() for s in data[section][key])

    return _Vocab(
        senders=low("sender", "contains"),
        system_locals=frozenset(low("sender", "system_locals")),
        subjects=low("subject", "contains"),
        forward_prefixes=low("subject", "forward_prefixes"),
        subject_delay=low("subject", "delay"),
        failure=low("body", "failure"),
        intro=low("body", "recipient_intro"),
        labels=low("body", "recipient_labels"),
        quotes=low("body", "reply_quotes"),
        delay=low("body", "delay"),
        permanent=low("body", "permanent"),
        markers=low("body", "original_markers"),
        header_names=frozenset(low("body", "original_header_names")),
        not_labels=low("body", "not_recipient_labels"),
        not_words=low("body", "not_recipient_words"),
        boilerplate=low("body", "boilerplate"),
        salutations=low("body", "salutations"),
        label_words=low("body", "label_words"),
        reply_prefixes=low("subject", "reply_prefixes"),
    )


# ----------------------------------------------------------------------------- signals


def _sender_signal(msg: Message, v: _Vocab) -> bool:
    for name in ("From", "Sender"):  # not Return-Path: lists send from bounce@ addresses too
        value = header(msg, name).lower()[:500]
        if value and any(s in value for s in v.senders):
            return True
    return False


def _strip_forward(subject: str, v: _Vocab) -> tuple[str, bool]:
    forwarded = False
    for _ in range(4):
        s = subject.lstrip()
        hit = next((p for p in v.forward_prefixes if s.startswith(p)), None)
        if hit is None:
            break
        subject, forwarded = s[len(hit) :], True
    return subject, forwarded


def _subject_signal(subject: str, v: _Vocab) -> bool:
    return any(s in subject for s in v.subjects)


def _is_other_report(msg: Message) -> bool:
    """Feedback reports, read receipts and other reports that are not about delivery."""
    ctype = (msg.get("Content-Type") or "").lower()[:500]
    if "feedback-report" in ctype or "disposition-notification" in ctype:
        return True
    return msg.get("Disposition-Notification-To") is not None and msg.get("Original-Recipient") is not None


def _is_list_mail(msg: Message) -> bool:
    if msg.get("List-Unsubscribe") is not None or msg.get("List-Id") is not None:
        return True
    return header(msg, "Precedence").lower().strip() in ("bulk", "list")


def _auto_generated(msg: Message) -> bool:
    value = header(msg, "Auto-Submitted").lower().strip()
    return bool(value) and value != "no"


def _attached(msg: Message) -> list[Message]:
    """Top-level attached messages (parsed) of a multipart message."""
    out: list[Message] = []
    if not msg.is_multipart():
        return out
    stack = [msg]
    seen = 0
    while stack and seen < 50:
        part = stack.pop(0)
        seen += 1
        ctype = part.get_content_type()
        payload = part.get_payload()
        if part is not msg and ctype in _ATTACHED:
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                out.append(payload[0])
            elif isinstance(payload, str):
                from bouncewise.formats._mime import parse_headers_text

                text = payload[:100_000].replace("\r\n", "\n").lstrip("\n")
                out.append(parse_headers_text(text))
            continue
        if part.is_multipart() and isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
    return out


def detect(msg: Message) -> bool:
    if _is_other_report(msg):
        return False
    v = _vocab()
    if _sender_signal(msg, v) or msg.get("X-Failed-Recipients") is not None:
        return True
    subject, _ = _strip_forward(header(msg, "Subject").lower()[:500], v)
    if _subject_signal(subject, v):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    return _auto_generated(msg) and msg.is_multipart()


# ----------------------------------------------------------------------------- text


def _drop_blocks(text: str, tag: str) -> str:
    """Remove <tag ...> ... </tag> blocks (style sheets, scripts) by plain searching."""
    low = text.lower()
    out: list[str] = []
    pos = 0
    while True:
        start = low.find("<" + tag, pos)
        if start < 0:
            break
        end = low.find("</" + tag, start)
        if end < 0:
            break
        out.append(text[pos:start])
        close = low.find(">", end)
        pos = len(text) if close < 0 else close + 1
    out.append(text[pos:])
    return "".join(out)


def _strip_html(text: str) -> str:
    text = _drop_blocks(_drop_blocks(text[:MAX_TEXT], "style"), "script")
    text = _BREAK_RE.sub("\n", text)
    text = _TAG_RE.sub(" ", text)
    for a, b in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&nbsp;", " "),
        ("&quot;", '"'),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ):
        text = text.replace(a, b)
    return text


def _part_text(part: Message) -> str:
    """A text part decoded; when its declared charset does not fit the bytes but UTF-8 does
    (a notice re-encoded on its way), UTF-8 is used."""
    text = part_text(part)
    if "\ufffd" in text[:20_000]:
        try:
            raw = part.get_payload(decode=True)
        except Exception:
            raw = None
        if isinstance(raw, bytes):
            try:
                return raw[:MAX_TEXT].decode("utf-8")
            except UnicodeDecodeError:
                pass
    return text


def _notice_text(msg: Message) -> str:
    """The notice's own text: its text/plain parts (text/html when it has none), not
    descending into attached messages."""
    plain: list[str] = []
    html: list[str] = []
    stack = [msg]
    size = 0
    while stack and size < MAX_TEXT:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if part is not msg and ctype in _ATTACHED:
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack = [p for p in payload if isinstance(p, Message)] + stack
            continue
        if ctype == "text/plain" or (ctype == "text/html"):
            text = _part_text(part)
            size += len(text)
            (plain if ctype == "text/plain" else html).append(text)
        elif not msg.is_multipart():
            plain.append(_part_text(part))
    text = "\n".join(plain) if any(p.strip() for p in plain) else _strip_html("\n".join(html))
    return _mta.norm(text[:MAX_TEXT])


def _is_original_marker(low: str, v: _Vocab) -> bool:
    """A line that begins the copy of the returned message."""
    if len(low) > 160 or not any(m in low for m in v.markers):
        return False
    s = low.strip()
    if _SEPARATOR_RE.match(s):
        return True
    s = s.rstrip(" .:-=*")
    return s.endswith(
        ("follows", "below", "attached", "headers", "header", "original message")
    ) or low.strip().endswith(":")


def _header_run(lines: list[str], i: int, v: _Vocab) -> bool:
    """Lines from i on are quoted headers of a message (three header lines in a row, one of
    which only a whole message has)."""
    names = []
    for line in lines[i : i + 6]:
        m = _HEADER_LINE_RE.match(line)
        if not m:
            if line[:1] in (" ", "\t") and names:
                continue
            break
        names.append(m.group(1).lower())
    return len(names) >= 3 and any(n in v.header_names for n in names)


def _regions(lines: list[str], v: _Vocab) -> list[list[str]]:
    """The notice's text split where a copy of a message begins."""
    regions: list[list[str]] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        low = line.lower()
        if current and (
            _is_original_marker(low, v) or (_HEADER_LINE_RE.match(line) and _header_run(lines, i, v))
        ):
            regions.append(current)
            current = []
        current.append(line)
    regions.append(current)
    return regions


# ----------------------------------------------------------------------------- recipients


@dataclass(slots=True)
class _Hit:
    line: int
    address: str
    strong: bool  # named in a recipient's place (else: only on a line quoting a reply)


def _has_reply(line: str) -> bool:
    if _REPLY_START_RE.match(line):
        return True
    return bool(_REPLY_INSIDE_RE.search(line) or _STATUS_RE.search(line))


def _excluded(msg: Message, original: Message | None) -> tuple[set[str], set[str]]:
    """(addresses of the mail system and of the notice's sender: never recipients,
    addresses of the original sender's side: recipients only after RCPT TO / a DSN label)."""
    system: set[str] = set()
    for name in ("From", "Sender", "Reply-To", "Errors-To"):
        system.update(a.lower() for _, a in getaddresses([header(msg, name)]) if "@" in a)
    side: set[str] = set()
    for name in ("To", "Cc"):
        side.update(a.lower() for _, a in getaddresses([header(msg, name)]) if "@" in a)
    if original is not None:
        for name in ("From", "Sender", "Reply-To", "Return-Path"):
            side.update(a.lower() for _, a in getaddresses([header(original, name)]) if "@" in a)
    return system, side


def _usable(addr: str, v: _Vocab, *, listed: bool = False) -> bool:
    """Whether an address can be a failed recipient. A mail-system address (postmaster@,
    no-reply@ ...) only when the notice lists it as a recipient; MAILER-DAEMON never."""
    local, _, domain = addr.rpartition("@")
    if not local or "." not in domain:
        return False
    lp = local.lower()
    if "daemon" in lp:
        return False
    if (lp in v.system_locals or lp.startswith("postmaster")) and not listed:
        return False
    # message identifiers, not mailboxes
    return "$" not in lp and not (len(lp) > 40 and sum(c.isdigit() for c in lp) * 2 > len(lp))


def _find_hits(lines: list[str], v: _Vocab, system: set[str], side: set[str]) -> list[_Hit]:
    hits: list[_Hit] = []
    list_left = 0  # lines of an announced recipient list still to come
    listed = False  # an address of the announced list has been seen
    previous = ""  # the last non-empty line (a sentence may run on to an address's line)
    for i, raw in enumerate(lines):
        line = raw[:MAX_LINE]
        low = line.lower()
        stripped = low.strip()
        if not stripped:
            continue
        before_line, previous = previous, stripped
        if any(stripped.startswith(p) for p in v.not_labels) and not stripped.startswith(
            ("x-failed-recipients", "x-actual-recipient")
        ):
            list_left = max(0, list_left - 1)
            continue
        matches = list(ADDR_RE.finditer(line))
        announced = list_left > 0
        if not matches:
            if any(p in stripped for p in v.intro) and (stripped.endswith(":") or len(stripped) < 120):
                list_left, listed = 4, False
            elif list_left:
                list_left = 0 if listed else list_left - 1  # the list has ended
            continue
        reply_line = _has_reply(line) or any(p in low for p in v.failure)
        for n, m in enumerate(matches):
            addr = m.group(0).strip(".")
            start = m.start()
            if start > 0 and line[start - 1] in "/=":
                continue  # inside a URL or a parameter
            before = low[max(0, start - 40) : start]
            lead = low[:start].rstrip(" \t<\"'([")
            rcpt_to = (
                "rcpt to" in before[-14:] or "final-recipient" in before or "original-recipient" in before
            )
            at_start = n == 0 and bool(_BULLET_RE.match(lead))
            if at_start:  # what precedes it is the end of the previous line
                before = (before_line[-30:] + " " + before).lower()
            labelled = rcpt_to or any(lead.endswith(lbl.rstrip()) for lbl in v.labels)
            # "550 <user@...>... User unknown": a reply naming the address it is about
            coded = n == 0 and bool(_CODED_LEAD_RE.match(lead))
            # "... could not be delivered to user@..." in any wording of the failure
            told = any(p in lead for p in v.intro) or (
                lead.endswith((" to", " to:")) and any(f in lead for f in v.failure)
            )
            strong = at_start or labelled or coded or told or announced
            if not strong and not reply_line:
                continue
            if not rcpt_to and any(w in before[-30:] for w in v.not_words):
                continue
            after = low[m.end() : m.end() + 12].lstrip(" >")
            if after.startswith(v.salutations):
                continue  # "user@example.org 様": the notice greets its reader
            key = addr.lower()
            if key in system or not _usable(addr, v, listed=labelled or announced):
                continue
            if key in side and not (labelled or announced or (at_start and reply_line)):
                continue  # the original sender, unless named in a recipient's place
            if announced:
                listed = True
            hits.append(_Hit(i, addr, strong))
        if announced:
            list_left -= 1
    if any(h.strong for h in hits):
        strong = {h.address.lower() for h in hits if h.strong}
        hits = [h for h in hits if h.address.lower() in strong]
    return hits


# ----------------------------------------------------------------------------- diagnosis


def _reply_in(seg: list[str], v: _Vocab) -> str | None:
    """The remote server's reply quoted in a recipient's block, with its continuation lines."""
    best: tuple[int, str] | None = None  # (rank, text): a reply with a code beats one without
    for i, raw in enumerate(seg):
        line = raw.strip()
        if not line:
            continue
        low = line.lower()
        text = None
        rank = 0
        m = _REPLY_START_RE.match(line)
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
                    rank = 2 if _has_reply(rest) else 1
            if text is None:
                m2 = _REPLY_INSIDE_RE.search(line)
                if m2:
                    text, rank = line[m2.start(1) :], 2
        if text is None:
            continue
        # continuation: multi-line replies ("550-...", "550 ...") and wrapped lines
        code = text[:3] if text[:3].isdigit() else None
        for nxt in seg[i + 1 : i + 8]:
            s = nxt.strip()
            if not s or _SEPARATOR_RE.match(s) or _COMMAND_LINE_RE.match(s):
                break
            if code and s[:3] == code and s[3:4] in (" ", "-"):
                text += " " + s
                continue
            if nxt[:1] in (" ", "\t") and not _has_reply(s) and len(text) < MAX_DIAG and not ADDR_RE.match(s):
                text += " " + s
                continue
            break
        if best is None or rank > best[0]:
            best = (rank, text)
            if rank == 2:
                break
    return best[1] if best else None


def _own_words(seg: list[str], v: _Vocab) -> str:
    """The notice's own account in a block: its lines less boilerplate and separators."""
    kept: list[str] = []
    for raw in seg:
        s = raw.strip()
        if not s or _SEPARATOR_RE.match(s) and len(s.strip("-=*_#~+ ")) == 0:
            continue
        low = s.lower()
        if any(b in low for b in v.boilerplate):
            continue
        kept.append(s.strip("-=*_#~ "))
        if sum(len(k) for k in kept) > MAX_DIAG:
            break
    return " ".join(k for k in kept if k)


def _command(seg: list[str]) -> str | None:
    text = " ".join(s.strip() for s in seg)
    found = _mta.find_command(text)
    if found:
        return found
    last = None
    for raw in seg:
        m = _COMMAND_LINE_RE.match(raw.strip())
        if m:
            word = m.group(1).upper().split(" ")[0]
            last = {"LHLO": "EHLO"}.get(word, word)
        elif _REPLY_START_RE.match(raw.strip()):
            if last:
                return last
            # "... did not like our RCPT TO:" / "the DATA command": a verb written in capitals
            # (as the protocol spells it) before the reply names the stage it answered
            words = _VERB_RE.findall(" ".join(s.strip() for s in seg[: seg.index(raw)]))
            if words:
                word = words[-1].split(" ")[0]
                return {"LHLO": "EHLO"}.get(word, word)
            return None
    return None


def _rhost(text: str) -> str | None:
    text = text[:20_000]
    for rx in _RHOST_RES:
        m = rx.search(text)
        if m:
            return m.group(1).rstrip(".").lower()
    return None


def _status_of(diag: str, seg_text: str) -> str | None:
    for text in (diag, seg_text):
        first = None
        for m in _STATUS_RE.finditer(text[:8000]):
            code = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
            first = first or code
            if not code.endswith(".0.0"):
                return code
        if first:
            return first
    return None


def _is_delay(subject: str, text: str, status: str | None, v: _Vocab) -> bool:
    if status and status.startswith("5"):
        return False
    low = text.lower()
    if any(p in low for p in v.permanent):
        return False
    return any(w in subject for w in v.subject_delay) or any(p in low for p in v.delay)


# ----------------------------------------------------------------------------- decode


def decode(msg: Message) -> list[Block] | None:
    return _decode(msg, depth=0)


def _decode(msg: Message, depth: int) -> list[Block] | None:
    if _is_other_report(msg):
        return None
    v = _vocab()
    subject_raw = header(msg, "Subject")[:500]
    subject, forwarded = _strip_forward(subject_raw.lower(), v)
    sender_sig = _sender_signal(msg, v)
    subject_sig = _subject_signal(subject, v)
    xfailed = [a for _, a in getaddresses([header(msg, "X-Failed-Recipients")]) if "@" in a][:MAX_RECIPIENTS]
    attached = _attached(msg)
    original = attached[0] if attached else None
    auto = _auto_generated(msg)
    if not (
        sender_sig
        or subject_sig
        or xfailed
        or (auto and original is not None)
        or msg.get_content_type() == "multipart/report"
    ):
        return None
    if _is_list_mail(msg) and not (sender_sig or xfailed):
        return None
    if subject.lstrip().startswith(v.reply_prefixes) and not (sender_sig or xfailed):
        return None  # a person's reply about a failure, not the notice itself

    text = _mta.unquote(_notice_text(msg))
    lines = [ln[:MAX_LINE] for ln in text.split("\n")[:MAX_LINES]]
    regions = _regions(lines, v)
    if original is None and len(regions) > 1:
        original = _inline_original(regions[1])
    system, side = _excluded(msg, original)

    dsn = _mta.dsn_blocks(msg) + _mta.inline_dsn_blocks(text)
    hits: list[_Hit] = []
    body = regions[0]
    usable_regions = regions if (forwarded or depth) else regions[:1]
    for region in usable_regions:
        found = _find_hits(region, v, system, side)
        if found:
            hits, body = found, region
            break
    body_low = "\n".join(body).lower()
    failure_sig = any(p in body_low for p in v.failure)
    reply_sig = any(_has_reply(ln) for ln in body[:400])
    cut = len(regions) > 1

    # Claiming: the headers and the text must both say "failure notice". When both the
    # sender and the subject do, a recipient named in a recipient's place is enough.
    says_failure = failure_sig or reply_sig or bool(xfailed or dsn)
    if sender_sig and subject_sig:
        claimed = says_failure or any(h.strong for h in hits)
    elif xfailed or dsn:
        claimed = True
    elif sender_sig:  # failure words alone are not enough: a code, or the message returned
        claimed = says_failure and (reply_sig or original is not None or cut)
    elif subject_sig:
        claimed = says_failure and (original is not None or reply_sig or cut)
    else:  # an automatic message with a returned message attached
        claimed = auto and original is not None and failure_sig and reply_sig
    if not claimed:
        return _from_attached(msg, attached, depth)

    blocks = _blocks(body, hits, v)
    for addr in xfailed:  # the MTA's own list of failed recipients
        if not any(_mta.same_address(addr, b.recipient) for b in blocks):
            blocks.append(Block(recipient=addr))
    if dsn:
        blocks = _mta.merge([b for b in dsn if b.recipient], blocks)
    if not blocks:
        inner = _from_attached(msg, attached, depth)
        if inner:
            return inner
        one = _single_original_to(original, system)
        if one is None or not (sender_sig or subject_sig) or not says_failure:
            return None
        diag = _reply_in(body, v) or _own_words(_failure_lines(body, v), v)
        blocks = [Block(recipient=one, diagnosis=(diag + " " + FROM_ORIGINAL_NOTE).strip())]

    preamble = body[: hits[0].line] if hits else body
    shared = _reply_in(body, v) if len({b.recipient for b in blocks}) > 1 else None
    lhost_m = _LHOST_RE.search("\n".join(preamble)[:5000])
    preamble_rhost = _rhost("\n".join(preamble))
    for b in blocks:
        if not b.diagnosis:
            b.diagnosis = shared or _own_words(_failure_lines(preamble, v), v) or _own_words(body[:12], v)
        if b.rhost is None:
            b.rhost = preamble_rhost
        if b.lhost is None and lhost_m:
            b.lhost = lhost_m.group(1).rstrip(".").lower()
        b.diagnosis = _mta.squeeze(b.diagnosis)[:MAX_DIAG]
        if b.status is None:
            b.status = _status_of(b.diagnosis, "")
        if b.action is None:
            b.action = "delayed" if _is_delay(subject, body_low, b.status, v) else "failed"
    blocks = _finish(blocks)
    for b in blocks:
        if b.action == "delayed" and not b.replycode and b.reason is None:
            # a delay notice in the mail system's own words, with no server reply: it says
            # only that delivery has not happened yet
            b.reason = "expired"
    return blocks or None


def _finish(blocks: list[Block]) -> list[Block]:
    """Codes from each diagnosis, the command from its wording, duplicates dropped."""
    out: list[Block] = []
    seen: set[str] = set()
    for b in blocks:
        b.recipient = (b.recipient or "").strip().strip("<>").strip().rstrip(".,;:") or None
        found = _status_of(b.diagnosis, "")
        if found and (not b.status or (not found.endswith(".0.0") and found[0] == b.status[0])):
            b.status = found  # the server's own code is more exact than the notice's
        if not b.replycode:
            b.replycode = find_replycode(b.diagnosis, b.status) or _any_replycode(b.diagnosis, b.status)
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


def _any_replycode(text: str, status: str | None) -> str | None:
    """A reply code standing anywhere in a diagnosis ("ERROR_CODE :550"), of the status's
    class when there is one; not a piece of an IPv6 address or a number."""
    for m in _ANY_REPLY_RE.finditer(text[:4000]):
        code = m.group(1)
        if code in _mta.REPLY_CODES and (not status or status[0] == code[0]):
            return code
    return None


def _inline_original(region: list[str]) -> Message | None:
    """The headers of a returned message quoted inline after the notice."""
    from bouncewise.formats._mime import parse_headers_text

    lines = region[:200]
    start = 0
    while start < len(lines) and not _HEADER_LINE_RE.match(lines[start]):
        start += 1
        if start > 5:
            return None
    text = "\n".join(lines[start:])
    parsed = parse_headers_text(text)
    return parsed if len(parsed.keys()) >= 2 else None


def _failure_lines(lines: list[str], v: _Vocab) -> list[str]:
    return [ln for ln in lines if any(p in ln.lower() for p in v.failure) or _has_reply(ln)]


def _single_original_to(original: Message | None, system: set[str]) -> str | None:
    if original is None:
        return None
    found = [a for _, a in getaddresses([header(original, "To")]) if "@" in a]
    if len(found) != 1 or found[0].lower() in system:
        return None
    return found[0]


def _from_attached(msg: Message, attached: list[Message], depth: int) -> list[Block] | None:
    """A notice forwarded as an attachment: read the attached notice itself."""
    if depth > 0:
        return None
    v = _vocab()
    for inner in attached[:3]:
        if not inner.get_payload():
            continue
        subject, _ = _strip_forward(header(inner, "Subject").lower()[:500], v)
        if _sender_signal(inner, v) or _subject_signal(subject, v):
            found = _decode(inner, depth + 1)
            if found:
                return found
    return None


def _blocks(body: list[str], hits: list[_Hit], v: _Vocab) -> list[Block]:
    """One block per recipient: the lines from each of its mentions to the next mention of
    another recipient."""
    order: list[str] = []
    segments: dict[str, list[str]] = {}
    for n, hit in enumerate(hits):
        key = hit.address.lower()
        if key not in segments:
            if len(order) >= MAX_RECIPIENTS:
                continue
            order.append(key)
            segments[key] = []
        end = len(body)
        for later in hits[n + 1 :]:
            if later.address.lower() != key and later.line > hit.line:
                end = later.line
                break
        if later_same := [h for h in hits[n + 1 :] if h.address.lower() == key and h.line < end]:
            end = min(end, later_same[0].line)  # the next mention continues the block
        seg = body[hit.line : min(end, hit.line + MAX_SEGMENT)]
        for j, line in enumerate(seg[1:], 1):  # a separator line closes the block
            if _SEPARATOR_RE.match(line.strip()) and not line.strip(" -=*_#~+.\t"):
                seg = seg[:j]
                break
        segments[key].extend(seg)
    names = {h.address.lower(): h.address for h in hits}
    blocks: list[Block] = []
    for key in order:
        seg = segments[key]
        seg_text = "\n".join(seg)
        reply = _reply_in(seg, v)
        diag = reply if reply else _own_words(_drop_addresses_only(seg, v), v)
        blocks.append(
            Block(
                recipient=names[key],
                diagnosis=diag,
                status=_status_of(reply or "", seg_text),
                command=_command(seg),
                rhost=_rhost(seg_text),
            )
        )
    # a recipient listed without words of its own: the words just above it (a reason
    # written before the address), else the next block's reply
    first_line = {}
    for h in hits:
        first_line.setdefault(h.address.lower(), h.line)
    taken = {h.line for h in hits}
    for i, b in enumerate(blocks):
        if not b.diagnosis or b.diagnosis.strip().lower() == (b.recipient or "").lower():
            b.diagnosis = _words_above(body, first_line[(b.recipient or "").lower()], taken, v)
            if b.diagnosis:
                b.status = b.status or _status_of(b.diagnosis, "")
                continue
            donor = next((d for d in blocks[i + 1 :] if d.diagnosis), None)
            if donor is not None:
                b.diagnosis, b.status = donor.diagnosis, b.status or donor.status
                b.command, b.rhost = b.command or donor.command, b.rhost or donor.rhost
    return blocks


def _words_above(body: list[str], line: int, taken: set[int], v: _Vocab) -> str:
    """The paragraph right above a recipient's line, when it is not an announcement of the
    list, a separator or another recipient's line."""
    kept: list[str] = []
    i = line - 1
    while i >= 0 and not body[i].strip():
        i -= 1
    while i >= 0 and len(kept) < 4:
        s = body[i].strip()
        low = s.lower()
        if not s or i in taken or _SEPARATOR_RE.match(s) or any(p in low for p in v.intro):
            break
        if not any(b in low for b in v.boilerplate):
            kept.append(s)
        i -= 1
    return " ".join(reversed(kept))


def _drop_addresses_only(seg: list[str], v: _Vocab) -> list[str]:
    """A block's lines less those that hold nothing but an address, or a label and an
    address ("target address: user@..."): they name the recipient, not the failure."""
    out = []
    for line in seg:
        line = line[:MAX_LINE]
        rest = ADDR_RE.sub("", line).strip(" \t<>:;,.\"'()[]-")
        if not rest:
            continue
        low = rest.lower()
        if (
            len(rest) < 30
            and ADDR_RE.search(line)
            and not _has_reply(line)
            and not any(p in low for p in v.failure)
            and any(w in low for w in v.label_words)
        ):
            continue
        out.append(line)
    return out
