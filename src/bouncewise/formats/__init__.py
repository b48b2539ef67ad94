"""Bounce formats: an explicit, ordered registry of decoders.

Each decoder is a module in this package with:

    NAME: str                         # format family, as Sisimai's "engine" names it
    def detect(msg: Message) -> bool  # cheap: headers only (From, Subject, X-Mailer, Content-Type)
    def decode(msg: Message) -> list[Block] | None   # None or [] = "not mine after all"
    def engine(msg: Message) -> str | None           # optional (generic decoders): the name of
                                                     # the software that wrote the notice

The pipeline tries the decoders in REGISTRY order; the first whose detect() is true and
whose decode() returns blocks wins. Add a new format by writing its module, adding it here
at the right place (more specific before more generic), and adding a test with a sample
the project wrote itself. Decoders are imported on first use, and only those whose gate in
_dispatch.GATES lets a message through are tried on it (a decoder without a gate is tried
on every message): when detect() learns a new sign, widen its gate.
"""

from __future__ import annotations

# Order matters: specific formats first, generic fallbacks (rfc3464, rfc3834, plain text) last.
REGISTRY: list[str] = [
    "arf",
    "jmrp",  # Microsoft JMRP complaints: an attached copy marked X-HmXmrOriginalRecipient
    # providers and security gateways (issue #5 part B): specific headers first
    "amazonworkmail",
    "receivingses",
    "amazonses",
    "googlegroups",
    "googleworkspace",
    "gsuite",
    "gmail",
    "yahoo",
    "zoho",
    "sendgrid",
    "gmx",
    "einsundeins",
    "mailru",
    "yandex",
    "ezweb",
    "kddi",
    "biglobe",
    "verizon",
    "outlook",
    "facebook",
    "aol",
    "bigfoot",
    "amavis",
    "barracuda",
    "mcafee",
    "messagelabs",
    "mimecast",
    "mxlogic",
    "surfcontrol",
    "interscanmss",
    "office365",
    # MTA families (issue #5 part A): each decoder checks its own marker lines in decode()
    "v5sendmail",
    "postfix",
    "sendmail",
    "exim",
    "qmail",
    "opensmtpd",
    "exchange2003",
    "imailserver",
    "powermta",
    "domino",
    "notes",
    "fml",
    "x3",
    "rfc3464",
    "rfc3834",
    "fallback",  # any other failure notice, read by general signals (keep last)
]
