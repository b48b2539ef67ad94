"""Reading one reply text: the facts the classifier weighs, with no judgement.

The codes (reply code and enhanced status, `find_codes`), the SMTP command the reply answered
(`find_command`), the remote host (`find_host`), the recipient (`find_recipient`), a code outside
RFC 5321 that a reference explains (`_other_code`), "<domain> does not exist" (`_missing_domain`),
the seconds to wait a reply names (`_retry_after`). All matching runs on at most MAX_MATCH
characters; no regex here can backtrack without bound.

Speed: most patterns start with a plain character so that `re` can jump to its occurrences; a
pattern compiled for lower-cased ASCII text runs without IGNORECASE (`_caseless`); substring
tests (`Needles`) skip a regex that cannot match (docs/diagnose.md, Performance).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bouncewise.diagnosis.classifier import rules as _rules
from bouncewise.diagnosis.prefilters import Needles, literal_starts, needs_beyond_starts, quick_search

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


_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]"  # a character of an address's local part


ADDR_RE = re.compile(r"<?(" + _LOCAL + r"{1,128}@[A-Za-z0-9.-]{1,255}\.[A-Za-z]{2,63})>?")


_LOCAL_RUN = re.compile(_LOCAL + "*")


_LOCAL_CHARS = "".join(c for c in map(chr, range(128)) if _LOCAL_RUN.fullmatch(c))  # (the same set)


# one of these is in every log line that parse_line reads (tested before LOG_HINT_RE)
_LOG_NEEDLES = Needles(("to=", "status=", " ** ", " == ", " => ", " -> "))


# one of these is in every text where a pattern of _COMMANDS can match (lower-cased)
_COMMAND_NEEDLES = Needles(
    ("reply to", "after", ">>>", "<<<", " to:", "from:", "helo", "talk to", "greeting", "banner")
)


# The SMTP commands a reply names (tried in this order; IGNORECASE)
_COMMAND_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"in reply to end of data|after end of data|after sending message|after (?:the )?final \.|after data\b.{0,3}$|<<< .{0,20}\bdata\b", "."),
    (r"in reply to data\b|after data\b|>>> data\b", "DATA"),
    (r"in reply to rcpt|after (?:pipelined )?rcpt|>>> rcpt\b|\brcpt to:", "RCPT"),
    (r"in reply to mail|after (?:pipelined )?mail\b|>>> mail\b|\bmail from:", "MAIL"),
    (r"in reply to (?:ehlo|helo|lhlo)|after (?:ehlo|helo|lhlo)|>>> (?:ehlo|helo)\b|while performing the (?:ehlo|helo)", "EHLO"),
    (r"in reply to (?:the )?initial|after (?:the )?initial connection|refused to talk to me|greeting|banner", "CONN"),
)


def _command_prefilters() -> list[tuple[bool, tuple[tuple[str, ...], ...], tuple[str, ...]]]:
    """For each of _COMMAND_PATTERNS: (whether it can run without IGNORECASE on lower-cased
    ASCII text, its literal_needs beyond its starts, its literal_starts): plain data, kept in
    the derived cache (reading them from the patterns' parsed form costs milliseconds)."""
    rows: list[tuple[bool, tuple[tuple[str, ...], ...], tuple[str, ...]]] = []
    for pattern, _ in _COMMAND_PATTERNS:
        fast = _caseless(re.compile(pattern, re.I))
        rows.append((True, needs_beyond_starts(pattern), literal_starts(pattern)) if fast is not None else (False, (), ()))
    return rows


def _commands_low() -> tuple[tuple[re.Pattern[str] | None, tuple[tuple[str, ...], ...], tuple[str, ...], str], ...]:
    """(pattern for lower-cased ASCII text or None, its literal_needs, its literal_starts, name)
    for each command pattern."""
    from bouncewise._data import load_derived

    rows = load_derived("diagnosis-commands", ("diagnosis/reading.py", "diagnosis/prefilters.py"), _command_prefilters)
    return tuple(
        (re.compile(pattern), tuple(needs), tuple(starts), name) if safe else (None, (), (), name)
        for (pattern, name), (safe, needs, starts) in zip(_COMMAND_PATTERNS, rows, strict=True)
    )


# Patterns that only some texts need (a log line, a command named in the text, a wait time, a
# code outside RFC 5321, "<domain> does not exist", "RCPT TO:<...>"): compiled on first use by
# _rx(name); the module's attribute of that name gives the same object.
_LAZY: dict[str, Callable[[], Any]] = {
    "RCPT_RE": lambda: re.compile(r"RCPT TO:\s?<([^<>\s@]{1,200}@[^<>\s]{1,255})>", re.I),
    "_RCPT_LOW": lambda: _caseless(re.compile(_rx("RCPT_RE").pattern.replace("RCPT TO", "rcpt to"), re.I)),
    "RETRY_RE": lambda: re.compile(
        r"(?:try again|retry|come back|wait)[^0-9.;]{0,24}?(\d{1,6})\s?(seconds?|secs?|s\b|minutes?|mins?|hours?|hrs?|h\b)",
        re.I,
    ),
    "_RETRY_LOW": lambda: _caseless(_rx("RETRY_RE")),
    "LOG_HINT_RE": lambda: re.compile(r"\bto=<|\s(?:\*\*|==|=>|->)\s|\bstat=|\bstatus="),
    "_COMMANDS": lambda: tuple((re.compile(pattern, re.I), name) for pattern, name in _COMMAND_PATTERNS),
    "_COMMANDS_LOW": _commands_low,
    "_COMMANDS_BOTH": lambda: tuple(
        (*fast, rx) for fast, (rx, _) in zip(_rx("_COMMANDS_LOW"), _rx("_COMMANDS"), strict=True)
    ),
    # A code that find_codes does not take for a reply: an intermediate reply ("354 Start mail
    # input", "334"), a number outside RFC 5321 that reference lists give a meaning ("SMTP Error
    # 101", "111 Can't open SMTP stream", GroupWise's "420 TCP Read Error"), or a seeds-style
    # dotted rendering of a three-digit reply whose first digit no enhanced status code has
    # ("1.0.1" = 101, "3.5.4" = 354).
    "_OTHER_CODE": lambda: re.compile(
        r"(?:^|error:?\s|,\s)(?:([13][0-5][0-9]|420)|([13])\.([0-5])\.([0-9]))(?![\w.])", re.I
    ),
    "_DOES_NOT_EXIST": lambda: re.compile(r"\bdoes not exist\b", re.I),
    "_DOMAIN_TOKEN": lambda: re.compile(r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}"),
}
_MADE: dict[str, Any] = {}


def _rx(name: str) -> Any:
    """The lazily made pattern (or table of patterns) ``name`` of _LAZY. (Where a text often
    needs one, ``_MADE.get(name) or _rx(name)`` saves the function call.)"""
    try:
        return _MADE[name]
    except KeyError:
        value = _MADE[name] = _LAZY[name]()
        return value


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _rx(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


# each alternative of HOST_RE holds one of these strings
_HOST_NEEDLES = Needles(("[", "host", "relay=", "H=", "Connected to "))


def find_command(text: str, low: str | None = None) -> str | None:
    """The SMTP command the reply answered, when the text says it (``low``: text.lower())."""
    if low is None:
        low = text.lower()
    if not _COMMAND_NEEDLES.any(low):
        return None
    if text.isascii():  # one pass of substring tests, a regex only where one can match
        for fast, needs, starts, name, rx in _MADE.get("_COMMANDS_BOTH") or _rx("_COMMANDS_BOTH"):
            if fast is None:
                if rx.search(text):
                    return name
            elif quick_search(fast, low, needs, starts):
                return name
        return None
    for rx, name in _rx("_COMMANDS"):
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
        rcpt_low = _MADE.get("_RCPT_LOW") or _rx("_RCPT_LOW")
        if rcpt_low is not None and ascii_text:
            m = rcpt_low.search(low)
            if m:
                return text[m.start(1) : m.end(1)]
        else:
            m = _rx("RCPT_RE").search(text)
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


# A code that find_codes does not take for a reply: an intermediate reply ("354 Start mail input",
# "334"), a number outside RFC 5321 that reference lists give a meaning ("SMTP Error 101", "111
# Can't open SMTP stream", GroupWise's "420 TCP Read Error"), or a seeds-style dotted rendering of
# a three-digit reply whose first digit no enhanced status code has ("1.0.1" = 101, "3.5.4" = 354).
def _other_code(text: str) -> tuple[str, str] | None:
    """(code, reason) for such a code at the start of ``text`` or after "error" or ", "; the
    reason of a positive (3xx) code is "delivered" (not a failure), else the one rules.toml's
    [nonstandard_codes] gives; None when there is no such code."""
    m = (_MADE.get("_OTHER_CODE") or _rx("_OTHER_CODE")).search(text[:300])
    if m is None:
        return None
    code = m.group(1) or (m.group(2) + m.group(3) + m.group(4))
    if code[0] == "3":
        return code, "delivered"
    reason = _rules()["nonstandard_codes"].get(code)
    return (code, str(reason)) if reason else None


def _missing_domain(text: str) -> str | None:
    """The domain in "<domain> does not exist" (a host name right before the words, no "@")."""
    low = text[:MAX_MATCH]
    if "does not exist" not in low.lower():
        return None
    for n, m in enumerate(_rx("_DOES_NOT_EXIST").finditer(low)):
        if n > 4:
            break
        before = low[max(0, m.start() - 260) : m.start()].rstrip()
        token = before.rsplit(None, 1)[-1] if before else ""
        token = token.strip("<>[]()\"':,;").rstrip(".")
        if "@" not in token and _rx("_DOMAIN_TOKEN").fullmatch(token):
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
        retry_low = _MADE.get("_RETRY_LOW") or _rx("_RETRY_LOW")
        m = retry_low.search(low) if retry_low is not None and head.isascii() else _rx("RETRY_RE").search(head)
    if m:
        n = int(m.group(1))
        unit = m.group(2).lower()[:1]
        return n * (3600 if unit == "h" else 60 if unit == "m" else 1)
    if special and special.get("retry_after"):
        return int(special["retry_after"])
    return None
