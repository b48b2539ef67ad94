"""Bounce formats: an explicit, ordered registry of decoders.

Each decoder is a module in this package with:

    NAME: str                         # format family, as Sisimai's "engine" names it
    def detect(msg: Message) -> bool  # cheap: headers only (From, Subject, X-Mailer, Content-Type)
    def decode(msg: Message) -> list[Block] | None   # None or [] = "not mine after all"

The pipeline tries the decoders in REGISTRY order; the first whose detect() is true and
whose decode() returns blocks wins. Add a new format by writing its module, adding it here
at the right place (more specific before more generic), and adding a test with a sample
the project wrote itself.
"""

from __future__ import annotations

# Order matters: specific formats first, generic fallbacks (rfc3464, rfc3834, plain text) last.
REGISTRY: list[str] = [
    "arf",
    "rfc3464",
    "rfc3834",
]
