"""The knowledge base's result types and the vocabulary their fields use."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("basic", "enhanced", "non-standard")
CLASSES = ("success", "intermediate", "transient", "permanent")
CATEGORIES = (
    "address",
    "mailbox",
    "mail system",
    "network and routing",
    "protocol",
    "content",
    "security and policy",
)
WHO_ACTS = ("sender", "sender's admin", "recipient", "recipient's admin", "nobody")
RETRY = ("no", "later", "after-fix")


# --------------------------------------------------------------------------- result types
@dataclass(slots=True)
class Entry:
    """What one code means. ``registered`` is False for a generic reading built from the
    code's class and subject (or digits) because no source defines the exact code."""

    code: str
    kind: str  # basic | enhanced | non-standard
    cls: str  # success | intermediate | transient | permanent
    category: str
    title: str
    summary: str
    causes: list[str] = field(default_factory=list)
    troubleshooting: list[str] = field(default_factory=list)
    who_acts: str = "sender"
    retry: str = "after-fix"
    reason: str | None = None
    related: list[str] = field(default_factory=list)
    vendor_notes: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    registered: bool = True
    vendor: str | None = None  # the vendor layer applied, if any
    source: str = ""  # "rfc" | "iana" | "reference pages" | "generic" | "vendor:<name>"
    notes: list[str] = field(default_factory=list)
    since: str | None = None  # first release that used the code (vendor layers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Reading:
    """One interpretation of a code and who holds it (for ambiguous codes there are several)."""

    code: str
    relation: str  # standard | generic | vendor | reference | dotted-reply | collapsed
    source: str  # human-readable name of who holds this reading
    title: str
    summary: str
    registered: bool
    vendor: str | None = None
    references: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Explanation:
    """The answer to ``explain(query)``: entries to show, every reading, and notes."""

    query: str
    kind: str  # code | pair | family
    codes: list[str]
    entries: list[Entry]
    readings: list[Reading] = field(default_factory=list)
    ambiguous: bool = False
    agree: bool | None = None  # for a pair: do the reply and the status code have the same class
    notes: list[str] = field(default_factory=list)
    vendor: str | None = None
    reason: str | None = None  # for a pair: the reason the two codes mean together
    reasons_agree: bool | None = None  # for a pair: same reason (None when one of them names none)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "bouncewise.explanation/1",
            "query": self.query,
            "kind": self.kind,
            "codes": list(self.codes),
            "vendor": self.vendor,
            "ambiguous": self.ambiguous,
            "agree": self.agree,
            "reason": self.reason,
            "reasons_agree": self.reasons_agree,
            "notes": list(self.notes),
            "entries": [e.to_dict() for e in self.entries],
            "readings": [r.to_dict() for r in self.readings],
        }
