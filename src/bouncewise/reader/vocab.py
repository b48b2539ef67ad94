"""Limits and the reader's vocabulary (reader/data/*.toml), loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bouncewise._data import load_toml

MAX_TEXT = 200_000  # characters of the notice's text read
MAX_LINES = 4000  # lines of it looked at
MAX_LINE = 2000  # characters of one line
MAX_SEGMENT = 30  # lines of one recipient's block
MAX_DIAG = 1000  # characters of a diagnosis
MAX_RECIPIENTS = 200

# Evidence note put in the diagnosis when the recipient came from the returned message.
FROM_ORIGINAL_NOTE = "[recipient taken from the returned message's To header]"


@dataclass(frozen=True, slots=True)
class Vocab:
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
    stages: tuple[tuple[str, str], ...]
    not_label_ends: tuple[str, ...]


DATA_FILES = ("signals", "recipients", "replies", "boundary")


@cache
def vocab() -> Vocab:
    data: dict = {}
    for name in DATA_FILES:
        data.update(load_toml(f"reader/data/{name}.toml"))

    def low(section: str, key: str) -> tuple[str, ...]:
        return tuple(s.lower() for s in data[section][key])

    return Vocab(
        senders=low("sender", "contains"),
        system_locals=frozenset(low("sender", "system_locals")),
        subjects=low("subject", "contains"),
        forward_prefixes=low("subject", "forward_prefixes"),
        subject_delay=low("subject", "delay"),
        failure=low("replies", "failure"),
        intro=low("recipients", "recipient_intro"),
        labels=low("recipients", "recipient_labels"),
        quotes=low("replies", "reply_quotes"),
        delay=low("replies", "delay"),
        permanent=low("replies", "permanent"),
        markers=low("boundary", "original_markers"),
        header_names=frozenset(low("boundary", "original_header_names")),
        not_labels=low("recipients", "not_recipient_labels"),
        not_words=low("recipients", "not_recipient_words"),
        boilerplate=low("replies", "boilerplate"),
        salutations=low("recipients", "salutations"),
        label_words=low("recipients", "label_words"),
        reply_prefixes=low("subject", "reply_prefixes"),
        stages=tuple((p.lower(), c) for p, c in data["replies"]["stages"]),
        # the not-recipient labels that end with a colon, as a line's text before an address
        not_label_ends=tuple(p.lower() for p in data["recipients"]["not_recipient_labels"] if p.endswith(":")),
    )
