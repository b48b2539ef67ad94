"""Which decoders to try on a message: dispatch by cheap keys, decoders imported on first use.

Most decoders recognise their own notices by a header: a sender address, a Subject, a
marker header such as ``X-Failed-Recipients``. ``GATES`` records, for each such decoder, a
condition that its ``detect()`` cannot be true without: a word in one header's value (read
exactly as ``detect()`` reads it, decoded and lowercased), a header being present at all,
or a word in the ``Received`` trace. ``candidates(msg)`` works out, from a handful of
header reads shared by all decoders, which decoders pass their gate, and returns them in
REGISTRY order together with the decoders that have no gate (the standard and generic
ones, and those that look inside attached parts). A decoder that fails its gate is not
imported and its ``detect()`` never runs; the first decoder that claims a message is the
same as when every ``detect()`` ran, because a gate is only ever a necessary condition.

tests/test_dispatch.py checks on every sample that no ``detect()`` is true where its gate
is closed. A gate must follow its decoder: widen it when ``detect()`` learns a new sign.
"""

from __future__ import annotations

import importlib
import os
from email.message import Message
from functools import cache
from types import ModuleType
from typing import Any

from bouncewise.formats import REGISTRY
from bouncewise.formats._util import header_lower

# decoder -> {header name as detect() asks for it: words one of which is in its lowercased
# value}; "@present": header names one of which is present; "@received": words one of
# which is in a Received value (lowercased). The decoder passes when any entry matches.
GATES: dict[str, dict[str, tuple[str, ...]]] = {
    "amazonworkmail": {"X-Mailer": ("amazon workmail",)},
    "receivingses": {"@present": ("x-ses-outgoing",)},
    "amazonses": {"From": ("amazonses.com", "no-reply@sns.amazonaws.com")},
    "googlegroups": {"From": ("mailer-daemon@googlemail.com",)},
    "googleworkspace": {"From": ("mailer-daemon@googlemail.com",)},
    "gsuite": {"From": ("mailer-daemon@googlemail.com",)},
    "gmail": {"From": ("mailer-daemon@googlemail.com",)},
    "yahoo": {"Subject": ("failure notice",), "@present": ("x-ymailisg",)},
    "zoho": {"From": ("mailer-daemon@mail.zoho.com",), "@present": ("x-zohomail",)},
    "sendgrid": {"From": ("sendgrid",), "Return-Path": ("sendgrid",)},
    "gmx": {"From": ("gmx.",), "@present": ("x-gmx-antispam",)},
    "einsundeins": {"From": ("kundenserver", "1and1", "ionos")},
    "mailru": {"From": ("mail.ru", "corp.mail")},
    "yandex": {"From": ("mailer-daemon@yandex.",), "@present": ("x-yandex-front",)},
    "ezweb": {"From": ("postmaster@ezweb.ne.jp", "postmaster@au.com"), "@present": ("x-spasign",)},
    "kddi": {"From": (".dion.ne.jp", "@kddi", ".kddi.")},
    "biglobe": {"From": ("biglobe.ne.jp",)},
    "verizon": {"From": ("vzwpix.com", "vtext.com")},
    "outlook": {"Subject": ("delivery status notification",)},
    "facebook": {"From": ("mailer-daemon@mx.facebook.com",)},
    "aol": {"From": ("@aol.com",)},
    "bigfoot": {"From": ("bigfoot.com",)},
    "amavis": {"From": ("content-filter at ",)},
    "barracuda": {"Subject": ("bulk email filter", "barracuda"), "@present": ("x-barracuda-connect",)},
    "mcafee": {"@present": ("x-nai-header",)},
    "messagelabs": {"From": ("messagelabs.com",), "@present": ("x-msg-ref",)},
    "mimecast": {
        "Subject": ("[postmaster] email delivery failure",),
        "@present": ("x-mc-system", "x-mimecast-originator"),
    },
    "mxlogic": {"From": (".mxlogic.net", ".mxl"), "@present": ("x-mx-bounce", "x-mxl-notehash", "x-mxl-hash")},
    "surfcontrol": {"X-Mailer": ("surfcontrol",), "@present": ("x-sef-processed",)},
    "interscanmss": {"From": ("interscan",), "Subject": ("mail could not be delivered",)},
    "office365": {"Subject": ("undeliverable",), "@present": ("x-ms-exchange-message-is-ndr",)},
    "v5sendmail": {"Subject": ("returned mail:",)},
    "postfix": {
        "Subject": (
            "undelivered mail returned to sender",
            "delayed mail (still being retried)",
            "successful mail delivery report",
            "mail delivery status report",
            "postfix smtp server: errors from",
        ),
        "From": ("mailer-daemon",),
    },
    "sendmail": {
        "Subject": (
            "returned mail:",
            "postmaster notify:",
            "warning: could not send message for past",
            "postmaster warning:",
            "return receipt",
        ),
    },
    "exim": {"From": ("mail delivery system", "mailer-daemon"), "@present": ("x-failed-recipients",)},
    "qmail": {"Subject": ("failure notice",), "@received": ("invoked for bounce",)},
    "opensmtpd": {"Subject": ("delivery status notification:",), "From": ("mailer-daemon",)},
    "exchange2003": {
        # detect() reads X-Mailer + " " + X-MimeOLE: a phrase may start in the first
        "X-Mailer": ("internet", "produced"),
        "X-MimeOLE": ("internet mail service", "produced by microsoft exchange"),
        "@present": ("x-ms-tnef-correlator", "x-ms-embedded-report"),
        "From": ("system administrator",),
        "Subject": ("undeliverable:",),
    },
    "imailserver": {"X-Mailer": ("<smtp32 v",), "Subject": ("undeliverable mail",)},
    "powermta": {"Subject": ("delivery report",)},
    "domino": {"Subject": ("delivery failure:", "delivery report:")},
    "notes": {"Subject": ("undeliverable message",)},
    "fml": {"X-MLServer": ("fml",), "@present": ("x-ml-name",)},
    "x3": {"Subject": ("delivery status notification",)},
}


class _Plan:
    """The gates of the chosen decoders, turned around: from each cheap key to the
    decoders it lets through."""

    def __init__(self, names: list[str]) -> None:
        self.names = tuple(names)
        self.always = frozenset(n for n in names if n not in GATES)
        words: dict[str, dict[str, set[str]]] = {}
        present: dict[str, set[str]] = {}
        received: dict[str, set[str]] = {}
        for name in names:
            for key, needles in GATES.get(name, {}).items():
                if key == "@present":
                    for h in needles:
                        present.setdefault(h, set()).add(name)
                elif key == "@received":
                    for w in needles:
                        received.setdefault(w, set()).add(name)
                else:
                    per = words.setdefault(key, {})
                    for w in needles:
                        per.setdefault(w, set()).add(name)
        self.words = tuple((key, tuple((w, frozenset(d)) for w, d in per.items())) for key, per in words.items())
        self.present = tuple((h, frozenset(d)) for h, d in present.items())
        self.received = tuple((w, frozenset(d)) for w, d in received.items())
        self.received_all = frozenset().union(*(d for _, d in self.received)) if self.received else frozenset()

    def candidates(self, msg: Message) -> list[str]:
        if len(self.always) == len(self.names):
            return list(self.names)
        hit: set[str] = set(self.always)
        for key, pairs in self.words:
            value = header_lower(msg, key)
            if value:
                for word, names in pairs:
                    if word in value:
                        hit.update(names)
        # one pass over the header list: the names present, and the Received values
        present: set[str] = set()
        trace: list[str] = []
        odd = False  # a Received value detect() would get as a Header object (8-bit bytes)
        for k, v in getattr(msg, "_headers", ()):
            key = k.lower()
            present.add(key)
            if key == "received":
                if type(v) is str and v.isascii():
                    trace.append(v)
                else:
                    odd = True
        for name, names in self.present:
            if name in present:
                hit.update(names)
        if self.received:
            if odd:  # let detect() see it for itself
                hit.update(self.received_all)
            elif trace:
                text = "\n".join(trace).lower()
                for word, names in self.received:
                    if word in text:
                        hit.update(names)
        return [n for n in self.names if n in hit]


@cache
def _plan(only: str) -> _Plan:
    names = list(REGISTRY)
    if only:
        chosen = {n.strip().lower() for n in only.split(",")}
        names = [n for n in names if n.lower() in chosen]
    return _Plan(names)


def chosen_names() -> tuple[str, ...]:
    """The decoders in use, in REGISTRY order (``BOUNCEWISE_FORMATS`` may restrict them,
    e.g. "arf,rfc3464,rfc3834": a debugging aid)."""
    return _plan(os.environ.get("BOUNCEWISE_FORMATS", "").strip()).names


def candidates(msg: Message) -> list[str]:
    """The decoders that may claim ``msg``, in REGISTRY order (see the module's doc)."""
    return _plan(os.environ.get("BOUNCEWISE_FORMATS", "").strip()).candidates(msg)


_MODULES: dict[str, Any] = {}


def module(name: str) -> ModuleType | None:
    """The decoder module ``name``, imported on first use (None when it fails to import:
    one broken decoder cannot stop the others)."""
    try:
        return _MODULES[name]
    except KeyError:
        pass
    try:
        mod: ModuleType | None = importlib.import_module(f"bouncewise.formats.{name}")
    except Exception:  # pragma: no cover - a decoder being written
        mod = None
    _MODULES[name] = mod
    return mod
