"""The regular expressions the generic reader shares: reply codes, status codes, separators,
quoted header lines, SMTP command lines and host names. All are linear (no nested or overlapping
unbounded quantifiers) and run on capped lines."""

from __future__ import annotations

import re

# a line starting with a failure reply, after quoting marks or a transcript's side label
# ("<<< 550", "Out: 451", "S: 550", "Server: 421")
REPLY_START_RE = re.compile(
    r"^[\s<>:;(\[\]\"'#*|-]{0,8}(?:(?:[Oo]ut|[Ss]erver|S|[Rr]eceived):[ \t]{0,4})?([45][0-5][0-9])(?:[ \t-]|$)"
)
REPLY_INSIDE_RE = re.compile(
    r"(?<![\w.:/=#+-])([45][0-5][0-9])(?=[ -][45]\.\d{1,3}\.\d{1,3}\b|[ -][A-Za-z<(\[\"'])"
)
# Failure classes only (4, 5) and its own tail rule: not the shared _util/_mta/engine patterns.
STATUS_RE = re.compile(r"(?<![\w.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.]\d)")
BULLET_RE = re.compile(r"^[\s>*\-•·:;|#(\[]{0,8}(?:\d{1,2}[.)]\s{0,3})?$")
CODED_LEAD_RE = re.compile(r"^[\s<>(\[#]{0,4}[45][0-5]\d(?:[ -]{1,3}[45]\.\d{1,3}\.\d{1,3})?[\s:]{0,3}$")
ANY_REPLY_RE = re.compile(r"(?<![0-9A-Fa-f]:)(?<![\w./=#+\[-])([45][0-5]\d)(?![\w.:]\w)")
VERB_RE = re.compile(r"\b(MAIL FROM|RCPT TO|DATA|EHLO|HELO|LHLO)\b")
SEPARATOR_RE = re.compile(r"^[\s\-=*_#~+.]{0,4}[\-=*_#~+]{2,}")
HEADER_LINE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,40}):(?:[ \t]|(?=[<\w]))")
COMMAND_LINE_RE = re.compile(
    r"^(?:>>>|->|=>|out:|in:|sent:|c:|client:|>)?\s{0,4}(MAIL FROM|RCPT TO|MAIL(?=[ \t]*$)|DATA|EHLO|HELO|LHLO|STARTTLS|AUTH|QUIT|RSET)\b",
    re.I,
)
RHOST_RES: tuple[re.Pattern[str], ...] = (
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
    # "SMTP Server <mx.example.org> rejected recipient ..."
    re.compile(r"\bserver\s{1,3}<([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})>\s{1,3}(?:rejected|refused|said|responded)", re.I),
)
LHOST_RE = re.compile(r"\bat host\s{1,3}([A-Za-z0-9][A-Za-z0-9.-]{0,250}\.[A-Za-z]{2,63})", re.I)
TAG_RE = re.compile(r"<[^<>]{0,2000}>")
BREAK_RE = re.compile(r"(?i)<br\s{0,5}/?>|</p>|</div>|</tr>|</li>|</h\d>")

ATTACHED = (
    "message/rfc822",
    "message/global",
    "text/rfc822-headers",
    "message/rfc822-headers",
    "message/global-headers",
)
