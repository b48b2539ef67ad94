"""The name of the software that wrote a notice, from its headers (reader/data/engines.toml):
the ``engine`` of the records the generic reader gives for families it reads without a decoder."""

from __future__ import annotations

from email.message import Message
from functools import cache
from typing import Any

from bouncewise._data import load_toml
from bouncewise.formats._util import header


@cache
def _table() -> tuple[tuple[str, tuple[dict[str, Any], ...]], ...]:
    data = load_toml("reader/data/engines.toml")
    return tuple((e["name"], tuple(e["tests"])) for e in data["engine"])


def _holds(msg: Message, test: dict[str, Any], subject: str, sender: str) -> bool:
    if "subject_starts" in test and not subject.startswith(tuple(s.lower() for s in test["subject_starts"])):
        return False
    if "subject_is" in test and subject not in {s.lower() for s in test["subject_is"]}:
        return False
    if "from_has" in test and not any(s.lower() in sender for s in test["from_has"]):
        return False
    if "has_header" in test and not any(msg.get(h) is not None for h in test["has_header"]):
        return False
    if test.get("multipart") and not msg.is_multipart():
        return False
    if "body_has" in test:
        from bouncewise.reader.text import notice_text

        head = notice_text(msg)[:2000].lower()
        if not any(s.lower() in head for s in test["body_has"]):
            return False
    for name, needles in test.get("header_has", {}).items():
        values = " ".join(str(v) for v in (msg.get_all(name) or []))[:20_000].lower()
        if not any(s.lower() in values for s in needles):
            return False
    return True


def engine_of(msg: Message) -> str | None:
    """The engine name of the first family whose signature the message's headers carry."""
    subject = header(msg, "Subject").lower().strip()[:500]
    sender = header(msg, "From").lower()[:500]
    for name, tests in _table():
        if any(_holds(msg, t, subject, sender) for t in tests):
            return name
    return None
