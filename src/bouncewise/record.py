"""The data that flows between the stages: what a format decoder finds (Block) and what
bouncewise reports (Record). Field names follow Sisimai's where one exists."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Record kinds
BOUNCE = "bounce"
DELAYED = "delayed"
DELIVERED = "delivered"
VACATION = "vacation"
FEEDBACK = "feedback"
NOT_A_BOUNCE = "not-a-bounce"
ERROR = "error"
KINDS = (BOUNCE, DELAYED, DELIVERED, VACATION, FEEDBACK, NOT_A_BOUNCE, ERROR)


@dataclass(slots=True)
class Block:
    """One recipient as a format decoder found it: facts from the message, no judgement.

    Decoders fill what the message says; the pipeline runs the diagnosis engine over
    ``diagnosis`` (plus status/replycode/command/provider) to decide the reason.
    ``reason`` is set by a decoder only when the *format itself* says it (an ARF report is
    "feedback", an auto-reply is "vacation", a success DSN is "delivered", a format that
    states "expired"/"suspend" in a fixed field of its own).
    """

    recipient: str | None = None
    original_recipient: str | None = None
    action: str | None = None  # failed | delayed | delivered | relayed | expanded
    status: str | None = None  # enhanced status code "5.1.1"
    replycode: str | None = None  # "550"
    diagnosis: str = ""  # the diagnostic text (Diagnostic-Code or the MTA's own words)
    command: str | None = None  # CONN | EHLO | HELO | MAIL | RCPT | DATA | "."
    rhost: str | None = None  # remote MTA (the host that refused)
    lhost: str | None = None  # reporting MTA
    last_attempt: str | None = None
    will_retry_until: str | None = None
    feedbacktype: str | None = None
    reason: str | None = None  # only when the format itself states it (see above)
    provider: str | None = None  # receiving provider when the format knows it


@dataclass(slots=True)
class Record:
    """One output record: a recipient of a bounce, or a note about a whole message."""

    kind: str
    file: str | None = None  # where the message came from (path)
    index: int | None = None  # the message's position in an mbox / stream (1-based)
    recipient: str | None = None
    original_recipient: str | None = None
    status: str | None = None  # Sisimai: deliverystatus
    replycode: str | None = None
    reason: str | None = None
    hardbounce: bool = False
    action: str | None = None
    diagnosticcode: str | None = None
    smtpcommand: str | None = None
    rhost: str | None = None
    lhost: str | None = None
    addresser: str | None = None  # the original sender
    subject: str | None = None
    messageid: str | None = None  # the original message's Message-ID
    timestamp: str | None = None  # date of the bounce (ISO 8601)
    engine: str | None = None  # Sisimai: decodedby; the format that decoded it
    feedbacktype: str | None = None
    provider: str | None = None
    retry: str | None = None
    category: str | None = None
    who_acts: str | None = None
    explanation: str | None = None
    advice: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None
    error: str | None = None  # for kind == "error" / "not-a-bounce": why

    def to_dict(self) -> dict[str, Any]:
        # What dataclasses.asdict gives, built directly for the usual JSON-ready values
        # (asdict deep-copies field by field and is the slowest step of writing a record).
        out: dict[str, Any] = {}
        for name in _RECORD_FIELDS:
            value = getattr(self, name)
            if type(value) is list:
                value = _plain_copy(value)
                if value is None:
                    return asdict(self)
            elif type(value) not in _ATOMS:
                return asdict(self)
            out[name] = value
        return out


_ATOMS = frozenset({str, int, float, bool, type(None)})
_RECORD_FIELDS = tuple(f.name for f in fields(Record))


def _plain_copy(value: Any) -> Any:
    """A copy of a list or dict of plain values (nested lists and dicts too); None when
    something else is inside (the caller then leaves it to dataclasses.asdict)."""
    t = type(value)
    if t in _ATOMS:
        return value
    if t is list:
        out = []
        for v in value:
            c = _plain_copy(v)
            if c is None and v is not None:
                return None
            out.append(c)
        return out
    if t is dict:
        copy = {}
        for k, v in value.items():
            c = _plain_copy(v)
            if (c is None and v is not None) or type(k) not in _ATOMS:
                return None
            copy[k] = c
        return copy
    return None
