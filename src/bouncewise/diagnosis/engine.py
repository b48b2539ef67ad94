"""The diagnosis engine: one SMTP reply (or one mail-log line) in, one Diagnosis out.

Order of decision (first that applies wins):

1. a provider's own code or text (when the provider is recognised from rhost, vendor or the
   text itself) → decided_by "vendor";
2. status X.2.2 (mailbox full) given by the caller;
3. phrases of the text, in the reason order of phrases.toml, with context rules for the SMTP
   stage → decided_by "text";
4. the enhanced status code (codes.toml) → "status";
5. the reply code (codes.toml) → "replycode";
6. the SMTP stage alone (refused at connection/HELO → blocked, at MAIL → rejected);
7. nothing: "undefined" when a code is known, "onhold" when not → "none", low confidence.

All matching runs on at most MAX_MATCH characters; no regex here can backtrack without bound.

Speed: _diagnose reads the facts the rules need from the text once; _decide, a function of those
facts only, is cached, and so is the phrase search per word sequence (tables.Index.find); see
docs/diagnose.md (Performance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bouncewise.diagnosis.classifier import (  # noqa: F401  (names the engine's users import from here)
    BOUNCE_CONTEXT,
    PRE_DATA,
    STRONG_STATUS,
)
from bouncewise.diagnosis.classifier import decide as _decide
from bouncewise.diagnosis.classifier import outcome_of as _outcome
from bouncewise.diagnosis.classifier import rules as _rules
from bouncewise.diagnosis.tables import (
    Needles,
    fold,
    literal_starts,
    needs_beyond_starts,
    quick_search,
    tables,
    words_of,
)
from bouncewise.loglines import parse_line

MAX_MATCH = 8192  # characters of the text that are read for matching
MAX_KEEP = 8192  # characters of the text kept in the result

# Unlike formats._mta._STATUS_RE, no word character may precede the code.
STATUS_RE = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d])(?!\.\d)")
# Speed: a pattern that starts with a plain character (not \b, not a lookbehind) lets `re` jump
# straight to the places where that character occurs, instead of trying every position. So the
# word-boundary test is written just after the first character: "5(?<!\w5)" means "\b5" (the
# character before the 5 is not a word character), and the patterns below match exactly what
# their plain forms match ("\b([245])\.\d{1,3}…", "(?<![\w.#/\[=:-])([245][0-5][0-9])…").
_STATUS_FAST = re.compile(r"([245])(?<!\w[245])\.\d{1,3}\.\d{1,3}\b")
_PAIR_FAST = re.compile(r"([245](?<!\w[245])[0-5][0-9])[ -]#?([245]\.\d{1,3}\.\d{1,3})\b")
# _STATUS_FAST's matches, each found at its "." (one character in): "\." first lets `re` jump
# to the dots, and the two look-behinds test the digit before the dot and the character
# before that digit, as "([245])(?<!\w[245])" does
_STATUS_DOT = re.compile(r"\.(?<=[245]\.)(?<!\w[245]\.)\d{1,3}\.\d{1,3}\b")
# a reply code that is a token of its own: "550 ", "550-", "550:" or at the end
REPLY_RE = re.compile(r"([245](?<![\w.#/\[=:-][245])[0-5][0-9])(?=[ \t\-:,;)\]'\"]|\.(?!\d)|$)")
# codes glued into continuation lines, removed before phrase matching
# (= "\b[245][0-5]\d[ -]#?[245]\.\d{1,3}\.\d{1,3}\b|\b[245]\.\d{1,3}\.\d{1,3}\b|\b[245][0-5]\d-")
CODES_RE = re.compile(r"[245](?<!\w[245])(?:[0-5]\d[ -]#?[245]\.\d{1,3}\.\d{1,3}\b|\.\d{1,3}\.\d{1,3}\b|[0-5]\d-)")
# CODES_RE's third kind ("550-"), found at its "-" (as _STATUS_DOT finds a status at its ".")
_DASH_CODE = re.compile(r"-(?<=[245][0-5]\d-)(?<!\w[245][0-5]\d-)")


def strip_codes(text: str) -> str:
    """``CODES_RE.sub(" ", text)``, made cheap for the usual reply: codes at the start and none
    after them. Every match of CODES_RE holds a status-shaped code (a match of _STATUS_FAST,
    found by _STATUS_DOT) or is "550-" (found by _DASH_CODE), both searched for at their
    literal "." or "-"; when the text starts with a pair ("550 5.1.1", CODES_RE's first kind)
    and neither is found after it, the pair is the only match."""
    m = _PAIR_FAST.match(text)
    if m is not None:
        e = m.end()
        if _STATUS_DOT.search(text, e + 1) is None and _DASH_CODE.search(text, e + 3) is None:
            return " " + text[e:]
    elif _STATUS_DOT.search(text) is None and _DASH_CODE.search(text) is None:
        return text
    return CODES_RE.sub(" ", text)


# "host NAME [IP]", "relay=NAME[IP]", Exim "H=NAME [IP]", "[NAME]" at the end, "Connected to IP"
# (each alternative starts with a plain character; "h(?<!\wh)ost" = "\bhost")
HOST_RE = re.compile(
    r"h(?<!\wh)ost\s([A-Za-z0-9][A-Za-z0-9.-]{0,252})\s?\[([0-9A-Fa-f.:]{2,45})\]"
    r"|r(?<!\wr)elay=([A-Za-z0-9][A-Za-z0-9.-]{0,252})\.?\s?\[([0-9A-Fa-f.:]{2,45})\]"
    r"|H(?<!\wH)=([A-Za-z0-9][A-Za-z0-9.-]{0,252})\s\[([0-9A-Fa-f.:]{2,45})\]"
    r"|\[([A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z]{2,63})\]\s*$"
    r"|C(?<!\wC)onnected to ([0-9A-Fa-f.:]{7,45})\b"
)
RCPT_RE = re.compile(r"RCPT TO:\s?<([^<>\s@]{1,200}@[^<>\s]{1,255})>", re.I)
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]"  # a character of an address's local part
ADDR_RE = re.compile(r"<?(" + _LOCAL + r"{1,128}@[A-Za-z0-9.-]{1,255}\.[A-Za-z]{2,63})>?")
_LOCAL_RUN = re.compile(_LOCAL + "*")
_LOCAL_CHARS = "".join(c for c in map(chr, range(128)) if _LOCAL_RUN.fullmatch(c))  # (the same set)
RETRY_RE = re.compile(
    r"(?:try again|retry|come back|wait)[^0-9.;]{0,24}?(\d{1,6})\s?(seconds?|secs?|s\b|minutes?|mins?|hours?|hrs?|h\b)",
    re.I,
)
LOG_HINT_RE = re.compile(r"\bto=<|\s(?:\*\*|==|=>|->)\s|\bstat=|\bstatus=")
# one of these is in every log line that parse_line reads (tested before LOG_HINT_RE)
_LOG_NEEDLES = Needles(("to=", "status=", " ** ", " == ", " => ", " -> "))
# one of these is in every text where a pattern of _COMMANDS can match (lower-cased)
_COMMAND_NEEDLES = Needles(
    ("reply to", "after", ">>>", "<<<", " to:", "from:", "helo", "talk to", "greeting", "banner")
)

_COMMANDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"in reply to end of data|after end of data|after sending message|after (?:the )?final \.|after data\b.{0,3}$|<<< .{0,20}\bdata\b", re.I), "."),
    (re.compile(r"in reply to data\b|after data\b|>>> data\b", re.I), "DATA"),
    (re.compile(r"in reply to rcpt|after (?:pipelined )?rcpt|>>> rcpt\b|\brcpt to:", re.I), "RCPT"),
    (re.compile(r"in reply to mail|after (?:pipelined )?mail\b|>>> mail\b|\bmail from:", re.I), "MAIL"),
    (re.compile(r"in reply to (?:ehlo|helo|lhlo)|after (?:ehlo|helo|lhlo)|>>> (?:ehlo|helo)\b|while performing the (?:ehlo|helo)", re.I), "EHLO"),
    (re.compile(r"in reply to (?:the )?initial|after (?:the )?initial connection|refused to talk to me|greeting|banner", re.I), "CONN"),
)


@dataclass(slots=True)
class Diagnosis:
    """What one reply means. ``to_dict()`` gives a JSON-ready dict."""

    text: str
    replycode: str | None = None
    status: str | None = None
    decided_by: str = "none"  # text | status | replycode | vendor | none
    command: str | None = None
    recipient: str | None = None
    rhost: str | None = None
    rip: str | None = None
    provider: str | None = None
    reason: str = "onhold"
    hardbounce: bool = False
    retry: str = "later"
    retry_after: int | None = None
    category: str | None = None
    who_acts: str | None = None
    explanation: str = ""
    advice: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    confidence: float = 0.0
    kind: str = "reply"  # reply | log | unreadable
    failure: bool = True  # False for a positive reply (2xx, 3xx: "250 ok", "221 closing", "354 go ahead")
    reported_by: str | None = None  # the provider whose notice quotes another server's reply

    def to_dict(self) -> dict[str, Any]:
        """The fields in order, as ``dataclasses.asdict`` gives them (own lists and dicts; the
        evidence's values are strings), written out: asdict's deep copy costs more than the
        whole diagnosis."""
        return {
            "text": self.text,
            "replycode": self.replycode,
            "status": self.status,
            "decided_by": self.decided_by,
            "command": self.command,
            "recipient": self.recipient,
            "rhost": self.rhost,
            "rip": self.rip,
            "provider": self.provider,
            "reason": self.reason,
            "hardbounce": self.hardbounce,
            "retry": self.retry,
            "retry_after": self.retry_after,
            "category": self.category,
            "who_acts": self.who_acts,
            "explanation": self.explanation,
            "advice": list(self.advice),
            "evidence": [dict(e) for e in self.evidence],
            "confidence": self.confidence,
            "kind": self.kind,
            "failure": self.failure,
            "reported_by": self.reported_by,
        }


# ----------------------------------------------------------------------------- helpers


def _valid_status(value: str | None) -> str | None:
    if not value:
        return None
    m = STATUS_RE.fullmatch(str(value).strip()[:12])
    return m.group(0) if m else None


def _valid_reply(value: Any) -> str | None:
    if value is None or value == "":
        return None
    v = str(value).strip()[:3]
    return v if len(v) == 3 and v[0] in "245" and v.isdigit() else None


def _clean(text: str, m: re.Match[str]) -> bool:
    """A fast (word-boundary) match that is not part of an IP address or version number."""
    a, b = m.start(), m.end()
    return not (a > 0 and text[a - 1] == ".") and not (text[b : b + 1] == "." and text[b + 1 : b + 2].isdigit())


def _first(rx: re.Pattern[str], text: str, pos: int = 0) -> re.Match[str] | None:
    """The first of the first 22 matches that is _clean (the matches finditer would give:
    each search starts where the previous match ended; none of these patterns matches "").
    ``pos``: where to start, when no match can start before it."""
    m = rx.search(text, pos)
    for _ in range(22):
        if m is None:
            return None
        a, b = m.span()  # (_clean, written out: this runs for every reply)
        if not (a > 0 and text[a - 1] == ".") and not (text[b : b + 1] == "." and text[b + 1 : b + 2].isdigit()):
            return m
        m = rx.search(text, b)
    return None


def find_codes(text: str) -> tuple[str | None, str | None]:
    """(replycode, status) written in a reply text, or None for each."""
    if "." in text:
        m = _PAIR_FAST.match(text)  # most replies start with their codes: the first match
        if m is not None:
            b = m.end()
            if not (text[b : b + 1] == "." and text[b + 1 : b + 2].isdigit()):
                return m.groups()  # type: ignore[return-value]
        # Where the first status-shaped code is (found fast: the pattern starts with "."). A
        # pair holds one (its status part, after " ", "-" or "#"), so no pair starts more than
        # 5 characters before it, and without one there is neither a pair nor a status.
        d = _STATUS_DOT.search(text)
        if d is None:
            s = None
        else:
            p0 = d.start() - 1  # (= _STATUS_FAST.search(text).start())
            m = _first(_PAIR_FAST, text, max(0, p0 - 5))
            if m:
                return m.groups()  # type: ignore[return-value]
            s = _first(_STATUS_FAST, text, p0)
    else:
        s = None
    r = REPLY_RE.search(text)
    return (r.group(1) if r else None), (s.group(0) if s else None)


def _caseless(rx: re.Pattern[str]) -> re.Pattern[str] | None:
    """``rx`` (IGNORECASE) without the flag, to be run on lower-cased ASCII text, where it then
    matches at the same places (and runs much faster: re cannot skip ahead under IGNORECASE).
    None when the pattern has an upper-case letter or an escape other than ``\\b \\d \\s \\w``
    (upper or lower case) or a quoted punctuation mark, i.e. when the two could differ."""
    bare = re.sub(r"\\[bBdDsSwW]|\\[^A-Za-z0-9]", "", rx.pattern)
    if "\\" in bare or re.search(r"[A-Z]|\(\?[^:=!<]|\(\?<[^=!]", bare):
        return None
    return re.compile(rx.pattern, rx.flags & ~re.IGNORECASE)


# (pattern for lower-cased ASCII text or None, its literal_needs, its literal_starts, name)
_COMMANDS_LOW = tuple(
    (fast, needs_beyond_starts(fast.pattern), literal_starts(fast.pattern), name) if fast is not None else (None, (), (), name)
    for fast, name in ((_caseless(rx), name) for rx, name in _COMMANDS)
)
_COMMANDS_BOTH = tuple((*fast, rx) for fast, (rx, _) in zip(_COMMANDS_LOW, _COMMANDS, strict=True))
_RCPT_LOW = _caseless(re.compile(RCPT_RE.pattern.replace("RCPT TO", "rcpt to"), RCPT_RE.flags))
_RETRY_LOW = _caseless(RETRY_RE)


# each alternative of HOST_RE holds one of these strings
_HOST_NEEDLES = Needles(("[", "host", "relay=", "H=", "Connected to "))


def find_command(text: str, low: str | None = None) -> str | None:
    """The SMTP command the reply answered, when the text says it (``low``: text.lower())."""
    if low is None:
        low = text.lower()
    if not _COMMAND_NEEDLES.any(low):
        return None
    if text.isascii():  # one pass of substring tests, a regex only where one can match
        for fast, needs, starts, name, rx in _COMMANDS_BOTH:
            if fast is None:
                if rx.search(text):
                    return name
            elif quick_search(fast, low, needs, starts):
                return name
        return None
    for rx, name in _COMMANDS:
        if rx.search(text):
            return name
    return None


def find_host(text: str) -> tuple[str | None, str | None]:
    if not _HOST_NEEDLES.any(text):
        return None, None
    m = HOST_RE.search(text)
    if not m:
        return None, None
    g = m.groups()
    if g[0] or g[2] or g[4]:
        host = g[0] or g[2] or g[4]
        ip = g[1] or g[3] or g[5]
        return host.rstrip(".").lower(), ip
    if g[6]:
        return g[6].lower(), None
    return None, g[7]


def find_recipient(text: str, command: str | None, low: str | None = None) -> str | None:
    """The recipient's address in a reply (``low``: text.lower())."""
    at = text.find("@")
    if at < 0:
        return None
    if low is None:
        low = text.lower()
    ascii_text = text.isascii()
    if "rcpt to" in low:
        if _RCPT_LOW is not None and ascii_text:
            m = _RCPT_LOW.search(low)
            if m:
                return text[m.start(1) : m.end(1)]
        else:
            m = RCPT_RE.search(text)
            if m:
                return m.group(1)
    if command == "MAIL" or (low.find("sender", 0, 200) >= 0 if ascii_text else "sender" in text[:200].lower()):
        return None
    start = at - 130 if at > 130 else 0
    # The window text[start : at + 320], searched in place (ADDR_RE has no anchors or
    # look-arounds, so pos/endpos act as slicing). No match can start before the run of
    # local-part characters that ends at the first "@" (less one for a "<"): start there.
    a = at - start
    if a:
        # the run of local-part characters before "@" is a - len(text[start:at].rstrip(...))
        pos = start + len(text[start:at].rstrip(_LOCAL_CHARS)) - 1  # (less one for a "<")
        m = ADDR_RE.search(text, pos if pos > start else start, at + 320)
    else:
        m = ADDR_RE.search(text, start, at + 320)
    return m.group(1).strip(".") if m else None


@lru_cache(maxsize=4096)  # the same relays come back line after line in a log
def _provider_for_host(host: str | None) -> str | None:
    if not host:
        return None
    t = tables()
    h = host.lower().strip(".")
    while h:
        pid = t.host_map.get(h)
        if pid:
            return pid
        _, _, h = h.partition(".")
    return None


@lru_cache(maxsize=1)
def _quote_needles() -> Needles:
    return Needles(_rules()["relay"]["quote_starts"])


def _quote_start(low: str) -> int:
    """Where the quoted reply begins in a lower-cased text that quotes another server's reply
    (just after the first phrase of rules.toml [relay] quote_starts), or -1."""
    needles = _quote_needles()
    if not needles.any(low):
        return -1
    best = -1
    for s in needles.strings:
        i = low.find(s)
        if i >= 0 and (best < 0 or i < best):
            best = i + len(s)
    return best


# ----------------------------------------------------------------------------- decision rules


@lru_cache(maxsize=1)
def _real_replycodes() -> frozenset[str]:
    global _REAL_REPLYCODES
    from bouncewise._data import load_toml

    _REAL_REPLYCODES = frozenset(load_toml("formats/data/replycodes.toml")["replycodes"]["codes"])
    return _REAL_REPLYCODES


_REAL_REPLYCODES: frozenset[str] | None = None  # (set by _real_replycodes)


def usable_replycode(code: str | None, status: str | None = None) -> str | None:
    """``code`` when it can stand as the reply of a record: a code servers really send
    (formats/data/replycodes.toml) whose class agrees with the enhanced status code's class.
    The one place where a reply code read from a text is validated."""
    if not code or len(code) != 3 or code not in _real_replycodes():
        return None
    if status and status[:1] in "245" and status[:1] != code[:1]:
        return None
    return code


def _provider_context_found(providers: list[str], low: str) -> tuple[str, ...]:
    """For each rule of [[provider_context]], the first of its ``contains`` strings found in the
    lower-cased text ``low`` ("" when none is, or the rule has none, or its provider is not one
    of ``providers``, in which case the rule does not apply): the only part of the text that
    _provider_context reads."""
    rules = _rules().get("provider_context", ())
    if not providers:
        return ("",) * len(rules)
    return tuple(
        next((c for c in rule["contains"] if c in low), "") if rule.get("contains") and rule["provider"] in providers else ""
        for rule in rules
    )


# ----------------------------------------------------------------------------- the engine


def diagnose(
    text: Any,
    *,
    vendor: str | None = None,
    status: str | None = None,
    replycode: str | None = None,
    command: str | None = None,
    rhost: str | None = None,
    context: str | None = None,
    action: str | None = None,
) -> Diagnosis:
    """Diagnose one reply text (or one mail-log line). Never raises for any input text.

    ``context="bounce"``: the text is a recipient's error in a bounce message (the pipeline
    passes it). Then user-unknown wording whose SMTP command is not stated counts as
    ``filtered`` unless the status says the address is unknown (see docs/diagnose.md); a bare
    reply (no context) keeps ``userunknown`` with an evidence note.
    ``action``: the notice's own verdict for the recipient ("failed", "delayed"): a delay
    notice whose reason only a generic code gave is ``expired``, and without any code
    "failed" counts as permanent for hard/soft."""
    try:
        return _diagnose(text, vendor, status, replycode, command, rhost, context, action)
    except Exception as exc:  # a bug must not lose the record
        shown = text if isinstance(text, str) else repr(text)
        return _finish(
            Diagnosis(text=shown[:MAX_KEEP], kind="unreadable", reason="onhold"),
            [{"rule": "internal-error", "matched": f"{type(exc).__name__}: {exc}"[:300], "source": "engine"}],
        )


def _to_text(text: Any) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray | memoryview):
        return bytes(text[: MAX_KEEP * 4]).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        text = str(text)
    return text


def _is_binary(sample: str) -> bool:
    if sample.isprintable() and "\ufffd" not in sample:
        return False
    bad = sum(1 for ch in sample if (ch < " " and ch not in "\t\r\n") or ch == "\ufffd")
    return bad * 10 > len(sample)


def _diagnose(
    text: Any,
    vendor: str | None,
    status: str | None,
    replycode: str | None,
    command: str | None,
    rhost: str | None,
    context: str | None = None,
    action: str | None = None,
) -> Diagnosis:
    raw = text if text.__class__ is str else _to_text(text)
    kept = raw[:MAX_KEEP]
    t = raw[:MAX_MATCH]
    evidence: list[dict[str, Any]] = []
    kind = "reply"
    rip: str | None = None
    recipient: str | None = None

    # A mail-log line: take its fields and diagnose the reply inside it.
    if _LOG_NEEDLES.any(t) and LOG_HINT_RE.search(t):
        parsed = parse_line(t)
        if parsed is not None:
            kind = "log"
            t = parsed.text or parsed.raw_status or ""
            status = status or parsed.dsn
            rhost = rhost or parsed.relay
            rip = parsed.rip
            recipient = parsed.recipient
            evidence.append({"rule": f"log:{parsed.mta}", "matched": parsed.state or "", "source": "log"})

    status = _valid_status(status) if status else None
    replycode = _valid_reply(replycode) if replycode else None
    if command:
        cmd = command.upper() or None
        if cmd == "END-OF-DATA":
            cmd = "."
    else:
        cmd = None

    found_reply, found_status = find_codes(t)
    if status is None and found_status:
        status = found_status
        evidence.append({"rule": "code:status", "matched": found_status, "source": "text"})
    if replycode is None and found_reply:
        if found_reply in (_REAL_REPLYCODES or _real_replycodes()) and not (
            status and status[0] != found_reply[0] and status[0] in "245"
        ):  # (usable_replycode, written out: found_reply has three digits)
            replycode = found_reply
            evidence.append({"rule": "code:reply", "matched": found_reply, "source": "text"})
        else:  # not a code servers send, or its class contradicts the status: not a reply code
            evidence.append({"rule": "code:reply-ignored", "matched": found_reply, "source": "text"})
    code_reason: str | None = None
    if replycode is not None and replycode[0] == "2" and (status is None or status[0] == "2"):
        code_reason = "delivered"
    elif replycode is None and status is None:
        other = _other_code(t)
        if other is not None:
            replycode, code_reason = other
            evidence.append({"rule": "code:reply", "matched": replycode, "source": "text"})
    low = t.lower()
    if cmd is None and _COMMAND_NEEDLES.any(low):  # (find_command's own first test)
        cmd = find_command(t, low)
    host, ip = find_host(t) if _HOST_NEEDLES.any(t) else (None, None)  # (find_host's first test)
    rhost = (rhost or host or None) and (rhost or host).lower().rstrip(".")
    rip = rip or ip
    if recipient is None:
        recipient = find_recipient(t, cmd, low)

    stripped = t.strip()
    # (_is_binary is False for a printable sample without U+FFFD: so is every prefix of such a t)
    if not stripped or ((not t.isprintable() or "\ufffd" in t) and _is_binary(t[:2048])):
        if not status and not replycode:
            why = "onhold" if stripped else "undefined"
            d = Diagnosis(text=kept, kind="unreadable", reason=why, rhost=rhost, rip=rip, command=cmd)
            evidence.append({"rule": "unreadable", "matched": "empty" if not stripped else "binary", "source": "text"})
            return _finish(d, evidence)

    tb = tables()
    folded = fold(t) if not t.isascii() else None
    words = words_of(strip_codes(t))
    ranks = tb.index.find_words(words, folded)

    # Providers: from rhost, vendor, and markers in the text.
    providers: list[str] = []
    p_host = _provider_for_host(rhost) if rhost else None
    if p_host:
        providers.append(p_host)
    if vendor:
        pv = tb.vendor_map.get(vendor.lower().replace(" ", "").replace("-", ""))
        if pv and pv not in providers:
            providers.append(pv)
    named = len(providers)  # (known from the host or the caller, not only from the text)
    reported_by: str | None = None
    if ranks:
        marked = _markers(ranks)
        if marked:
            # Who said it: a reply quoted by another server ("The response from the remote server
            # was: ...", "Remote Server returned '...'") names the reporter in the words before
            # the quote; only the quote's own markers say which provider gave the reply.
            quote = _quote_start(low)
            if quote > 0:
                qt = t[quote:]
                q_ranks = tb.index.find_words(words_of(strip_codes(qt)), fold(qt) if folded is not None else None)
                own = _markers(q_ranks) if q_ranks else ()
                wrapper = [pid for pid in marked if pid not in own and pid not in providers]
                marked = own
                if wrapper:
                    reported_by = wrapper[0]
                    evidence.append({"rule": "relay:reported-by", "matched": tb.providers[reported_by].name, "source": "text"})
        for pid in marked:
            if pid not in providers:
                providers.append(pid)

    # What the decision reads in the text beyond the phrases found, read here once; the
    # decision itself (_decide) sees only these facts, so it can be cached on them.
    code_hit: tuple[str, str, str] | None = None  # (provider id, reason, matched) of a provider's code
    code_providers = providers
    gate = tb.anywhere_gate  # (a test of a few characters, False for most texts)
    if tb.anywhere and (gate is None or gate(low) or not low.isascii()) and tb.maybe_anywhere(low):
        # (else none of their codes can be in the text)
        code_providers = providers + [p for p in tb.anywhere if p not in providers]
    for pid in code_providers:
        prov = tb.providers[pid]
        if prov.code_re is not None:
            m = prov.code_search(low)
            if m and m.group(1).lower() in prov.codes:
                code_hit = (pid, prov.codes[m.group(1).lower()], m.group(0))
                break
    missing = _missing_domain(t) if "does not exist" in low else None
    # (read by _decide only for a reason that a phrase found names: see _may_expire)
    gave_up = _queue_expiry().first(low) if _may_expire(ranks) else None
    lookup = _directory_lookup().first(low) if ranks else None
    x_unix = "x-unix;" in low and t.lstrip().lower().startswith("x-unix;")
    has_words = not all(map(str.isdigit, words))  # (a word that is not a number)
    verdict = action.strip().lower() if action else ""
    # the text calling the failure permanent counts only without a code and a verdict
    permanent = not (status or replycode) and verdict not in ("failed", "delayed") and _says_permanent(kept)

    (reason, decided_by, confidence, provider, special_rank, more,
     hardbounce, retry, category, who_acts, explanation, advice) = _decide(
        ranks, tuple(providers), named, code_hit, status, replycode, cmd, context, verdict,
        missing, gave_up, x_unix, _provider_context_found(providers, low) if providers else (),
        has_words, kind, vendor, permanent, code_reason,
        verdict == "failed" and _timeout_words().any(low),
        lookup,
    )  # fmt: skip
    for e in evidence:  # what the engine read (codes, the log line, a relay): facts, not evidence for a reason
        e["role"] = "fact"
    evidence.extend(map(dict.copy, more))  # (_decide's evidence dicts, each result with its own)
    if special_rank >= 0:
        retry_after = _retry_after(t, tb.index.phrases[special_rank].extra, low)
    elif "again" in low or "retry" in low or "come back" in low or "wait" in low:  # (_retry_after's test)
        retry_after = _retry_after(t, None, low)
    else:
        retry_after = None
    return Diagnosis(
        kept, replycode, status, decided_by, cmd, recipient, rhost, rip, provider, reason, hardbounce, retry,
        retry_after, category, who_acts, explanation, list(advice), evidence, confidence, kind,
        reason != "delivered", tb.providers[reported_by].name if reported_by else None,
    )


@lru_cache(maxsize=1)
def _directory_lookup() -> Needles:
    return Needles(_rules()["userunknown"]["directory_lookup"])


@lru_cache(maxsize=1)
def _timeout_words() -> Needles:
    return Needles(_rules()["gave_up"]["contains"])


@lru_cache(maxsize=1)
def _queue_expiry() -> Needles:
    return Needles(_rules()["queue_expiry"]["contains"])


@lru_cache(maxsize=4096)
def _may_expire(ranks: tuple[int, ...]) -> bool:
    """Whether the text stage can reach a reason that queue-expiry words turn into "expired":
    _decide reads those words only then. A reason decided by the text is the target of a
    phrase found, or one that the text rules give without a phrase of their own
    (_TEXT_RULE_REASONS); when neither is an override the words need not be looked for."""
    phrases = tables().index.phrases
    overrides = _rules()["queue_expiry"]["overrides"]
    if any(r in overrides for r in _TEXT_RULE_REASONS):
        return True
    return any(phrases[r].target in overrides for r in ranks)


# reasons that _decide's text stage gives without a phrase naming them ("<domain> does not
# exist" → hostunknown; _userunknown_context → filtered or userunknown)
_TEXT_RULE_REASONS = ("hostunknown", "filtered", "userunknown")


@lru_cache(maxsize=4096)
def _markers(ranks: tuple[int, ...]) -> tuple[str, ...]:
    """The providers named by marker phrases among the phrases found, in their order."""
    phrases = tables().index.phrases
    return tuple(phrases[r].target for r in ranks if phrases[r].kind == "marker")


# A code that find_codes does not take for a reply: an intermediate reply ("354 Start mail input",
# "334"), a number outside RFC 5321 that reference lists give a meaning ("SMTP Error 101", "111
# Can't open SMTP stream", GroupWise's "420 TCP Read Error"), or a seeds-style dotted rendering of
# a three-digit reply whose first digit no enhanced status code has ("1.0.1" = 101, "3.5.4" = 354).
_OTHER_CODE = re.compile(
    r"(?:^|error:?\s|,\s)(?:([13][0-5][0-9]|420)|([13])\.([0-5])\.([0-9]))(?![\w.])", re.I
)


def _other_code(text: str) -> tuple[str, str] | None:
    """(code, reason) for such a code at the start of ``text`` or after "error" or ", "; the
    reason of a positive (3xx) code is "delivered" (not a failure), else the one rules.toml's
    [nonstandard_codes] gives; None when there is no such code."""
    m = _OTHER_CODE.search(text[:300])
    if m is None:
        return None
    code = m.group(1) or (m.group(2) + m.group(3) + m.group(4))
    if code[0] == "3":
        return code, "delivered"
    reason = _rules()["nonstandard_codes"].get(code)
    return (code, str(reason)) if reason else None


_DOES_NOT_EXIST = re.compile(r"\bdoes not exist\b", re.I)
_DOMAIN_TOKEN = re.compile(r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}")


def _missing_domain(text: str) -> str | None:
    """The domain in "<domain> does not exist" (a host name right before the words, no "@")."""
    low = text[:MAX_MATCH]
    if "does not exist" not in low.lower():
        return None
    for n, m in enumerate(_DOES_NOT_EXIST.finditer(low)):
        if n > 4:
            break
        before = low[max(0, m.start() - 260) : m.start()].rstrip()
        token = before.rsplit(None, 1)[-1] if before else ""
        token = token.strip("<>[]()\"':,;").rstrip(".")
        if "@" not in token and _DOMAIN_TOKEN.fullmatch(token):
            return token.lower()
    return None


_PERMANENT = ("permanent error", "permanent failure", "permanent fatal error", "failed permanently", "permanently rejected")


def _says_permanent(text: str) -> bool:
    """The text itself calls the failure permanent (used only when no code gives the class)."""
    low = text[:2048].lower()
    return "permanent" in low and any(p in low for p in _PERMANENT)


def _retry_after(text: str, special: dict[str, Any] | None, low_text: str | None = None) -> int | None:
    """Seconds to wait that the reply names (``low_text``: text.lower())."""
    head = text[:2048]
    low = low_text[:2048] if low_text is not None and text.isascii() else head.lower()
    m = None
    if "again" in low or "retry" in low or "come back" in low or "wait" in low:
        m = _RETRY_LOW.search(low) if _RETRY_LOW is not None and head.isascii() else RETRY_RE.search(head)
    if m:
        n = int(m.group(1))
        unit = m.group(2).lower()[:1]
        return n * (3600 if unit == "h" else 60 if unit == "m" else 1)
    if special and special.get("retry_after"):
        return int(special["retry_after"])
    return None


def _finish(d: Diagnosis, evidence: list[dict[str, Any]]) -> Diagnosis:
    """Fill in what follows from the reason and codes (hard/soft, retry, category, who acts,
    explanation, advice) for a record that _decide did not build (unreadable input, an
    internal error)."""
    d.evidence = evidence
    permanent = not (d.status or d.replycode) and _says_permanent(d.text)
    d.reason, d.hardbounce, d.retry, d.category, d.who_acts, d.explanation, advice = _outcome(
        d.reason, d.status, d.replycode, d.kind, None, permanent, -1, None
    )
    d.advice = list(advice)
    return d

