"""The bounce-analysis pipeline: input -> messages -> decoder -> records.

    for record in bouncewise.parse("bounces/"):
        print(record.recipient, record.reason, record.hardbounce)

Every input message yields at least one record (before the ``include`` filter): bounce or
delayed records (one per recipient), delivered / vacation / feedback records, one
``not-a-bounce`` record for a message no format claims, or one ``error`` record for a
message that could not be read or analysed (over a limit, broken beyond repair). A failure
never stops the batch and never escapes ``parse()``.

The parts live beside it: bouncewise.messages (input -> raw messages, limits),
bouncewise.message_view (the parsed message the decoders read), bouncewise.formats (the
decoders, and _dispatch: which of them to try), bouncewise.deadline (the time limit of one
message) and bouncewise.jobs (batches over a pool of processes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from email.message import Message
from functools import cache
from typing import Any, NamedTuple

from bouncewise.deadline import Timeout as _Timeout  # noqa: F401 - the name this module used to hold
from bouncewise.deadline import alarm_scope, deadline
from bouncewise.errors import LimitExceeded
from bouncewise.message_view import IndexedMessage  # noqa: F401 - importable from here too
from bouncewise.messages import Limits, RawMessage, check_structure, iter_messages
from bouncewise.record import (
    BOUNCE,
    DELAYED,
    DELIVERED,
    ERROR,
    FEEDBACK,
    NOT_A_BOUNCE,
    VACATION,
    Block,
    Record,
)

# Kinds that are not failures. All are output by default, so that every message yields a
# record; ``include`` narrows them (see ``resolve_include``).
OPTIONAL_KINDS = (DELIVERED, VACATION, FEEDBACK)
DEFAULT_INCLUDE = frozenset(OPTIONAL_KINDS)
_KIND_OF_REASON = {"delivered": DELIVERED, "vacation": VACATION, "feedback": FEEDBACK}


def resolve_include(include: str | Iterable[str] | None) -> frozenset[str]:
    """The optional kinds to output. None or "all" -> all of them; "none" -> none;
    else names from OPTIONAL_KINDS, as an iterable or a comma-separated string.
    Bounce, delayed, not-a-bounce and error records are always output."""
    if include is None:
        return DEFAULT_INCLUDE
    if isinstance(include, str):
        include = [s for s in include.replace(" ", ",").split(",") if s]
    names = {s.strip().lower() for s in include}
    if "all" in names:
        return frozenset(OPTIONAL_KINDS)
    names.discard("none")
    unknown = names - set(OPTIONAL_KINDS)
    if unknown:
        raise ValueError(f"unknown kind(s) for include: {', '.join(sorted(unknown))} (choose from {', '.join(OPTIONAL_KINDS)}, all, none)")
    return frozenset(names)


def wanted(record: Record, include: frozenset[str]) -> bool:
    return record.kind not in OPTIONAL_KINDS or record.kind in include


def parse(source: Any, *, limits: Limits | None = None, include: str | Iterable[str] | None = None) -> Iterator[Record]:
    """Analyse every message of ``source`` (path, directory, Maildir, mbox, .gz, "-",
    bytes, str, email.message.Message, binary stream, or a list of these) and yield
    Records in input order. ``include``: optional kinds to output (see resolve_include)."""
    limits = limits or Limits()
    inc = resolve_include(include)
    with alarm_scope():
        for raw in iter_messages(source, limits):
            for record in analyse(raw, limits):
                if wanted(record, inc):
                    yield record


# -- one message -----------------------------------------------------------------------


def analyse(raw: RawMessage, limits: Limits | None = None) -> list[Record]:
    """All records of one raw message (never raises, never returns an empty list)."""
    limits = limits or Limits()
    if raw.error:
        return [Record(kind=ERROR, file=raw.file, index=raw.index, error=raw.error)]
    try:
        with deadline(limits.max_seconds):
            records = _analyse(raw, limits)
    except LimitExceeded as exc:
        return [Record(kind=ERROR, file=raw.file, index=raw.index, error=f"limit: {exc}")]
    except RecursionError:
        return [Record(kind=ERROR, file=raw.file, index=raw.index, error="limit: structure too deeply nested")]
    except MemoryError:
        return [Record(kind=ERROR, file=raw.file, index=raw.index, error="limit: out of memory")]
    except Exception as exc:  # a bug or a message broken beyond repair: report, go on
        return [Record(kind=ERROR, file=raw.file, index=raw.index, error=f"{exc.__class__.__name__}: {exc}"[:500])]
    return records or [Record(kind=NOT_A_BOUNCE, file=raw.file, index=raw.index, error="no records")]


def _parse_bytes(data: bytes) -> Message:
    """The message tree, as email.parser.BytesParser(policy=compat32) builds it (by the
    faster equivalent parser in formats/_mime.py; see bouncewise.message_view)."""
    from bouncewise.message_view import parse_bytes

    return parse_bytes(data)


@cache
def decoders() -> tuple[Any, ...]:
    """The format decoder modules, in REGISTRY order (``BOUNCEWISE_FORMATS`` may restrict
    them; a module that fails to import is left out, so one broken decoder cannot stop the
    others). Analysis itself imports a decoder only when a message may be its own
    (formats/_dispatch.py); this imports them all."""
    from bouncewise.formats._dispatch import chosen_names, module

    return tuple(m for m in map(module, chosen_names()) if m is not None)


_DECODERS = decoders


def _analyse(raw: RawMessage, limits: Limits) -> list[Record]:
    from bouncewise.formats._dispatch import candidates, module

    if raw.message is not None:
        msg = raw.message
    else:
        data = raw.data or b""
        if not data.strip():
            return [Record(kind=NOT_A_BOUNCE, file=raw.file, index=raw.index, error="empty message")]
        check_structure(data, limits)
        msg = _parse_bytes(data)
    failure: Exception | None = None
    if decoders is _DECODERS:  # the usual case: only the decoders that may claim this message
        mods: Iterable[Any] = (m for m in map(module, candidates(msg)) if m is not None)
    else:  # decoders() replaced (a test, an embedding program): every one it names
        mods = decoders()
    for mod in mods:
        try:
            if not mod.detect(msg):
                continue
            blocks = mod.decode(msg)
        except LimitExceeded:
            raise
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:  # one decoder's bug: try the next one
            failure = failure or exc
            continue
        if blocks:
            # a generic decoder may name the software that wrote the notice (formats/__init__)
            namer = getattr(mod, "engine", None)
            return _records(raw, msg, blocks, (namer(msg) if namer is not None else None) or mod.NAME)
    if failure is not None:
        raise failure
    return [_not_a_bounce(raw, msg)]


def _not_a_bounce(raw: RawMessage, msg: Message) -> Record:
    from bouncewise.formats._util import header

    return Record(
        kind=NOT_A_BOUNCE,
        file=raw.file,
        index=raw.index,
        subject=header(msg, "Subject")[:500] or None,
        messageid=_msgid(header(msg, "Message-ID")),
        timestamp=_iso_date(header(msg, "Date")),
        error="no bounce format recognised",
    )


# -- records ---------------------------------------------------------------------------


def _msgid(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    return value.strip("<>").strip()[:500] or None


def _iso_date(value: str) -> str | None:
    if not value:
        return None
    value = value[:200]
    m = _PLAIN_DATE_RE.match(value)
    if m is not None:  # the usual RFC 5322 form: what parsedate_to_datetime gives, sooner
        import datetime

        day, month, year, hh, mm, ss, sign, tzh, tzm = m.groups()
        offset = int(tzh) * 3600 + int(tzm) * 60
        try:
            if offset == 0 and sign == "-":  # -0000: a time in UTC, its zone unknown
                return datetime.datetime(int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss)).isoformat()
            tz = datetime.timezone(datetime.timedelta(seconds=-offset if sign == "-" else offset))
            return datetime.datetime(int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss), tzinfo=tz).isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# "Mon, 2 Mar 2026 10:00:00 +0100" (anything after the zone is a comment); other forms go
# to the email package's parser.
_PLAIN_DATE_RE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]\d{3}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)(?:$| )"
)
# A bare address, or a display name of plain words before it (other forms: the email package).
_PLAIN_ADDR_RE = re.compile(
    r"(?:[A-Za-z0-9_-]{1,64}(?: [A-Za-z0-9_-]{1,64}){0,8} )?<([A-Za-z0-9_+-]{1,64}(?:\.[A-Za-z0-9_+-]{1,64}){0,8}"
    r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8})>"
    r"|([A-Za-z0-9_+-]{1,64}(?:\.[A-Za-z0-9_+-]{1,64}){0,8}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8})"
)


def _address(value: str) -> str | None:
    value = value[:2000]
    m = _PLAIN_ADDR_RE.fullmatch(value)
    if m is not None:
        return m.group(1) or m.group(2)
    from email.utils import parseaddr

    _, addr = parseaddr(value)
    return addr or None


@cache
def _diagnoser() -> Callable[..., Any] | None:
    try:
        from bouncewise.diagnosis import diagnose
    except ImportError:
        return None
    return diagnose


def _reason_info(name: str | None) -> Any:
    if not name:
        return None
    from bouncewise import reasons

    try:
        return reasons.get(name)
    except KeyError:
        return None


def _records(raw: RawMessage, msg: Message, blocks: list[Block], engine: str) -> list[Record]:
    from bouncewise.formats._util import header, original_message

    original = original_message(msg)
    addresser = subject = messageid = None
    if original is not None:
        addresser = _address(header(original, "From"))
        subject = header(original, "Subject")[:500] or None
        messageid = _msgid(header(original, "Message-ID"))
    timestamp = _iso_date(header(msg, "Date"))
    out: list[Record] = []
    for b in blocks:
        rec = record_from_block(
            b, file=raw.file, index=raw.index, engine=engine,
            addresser=addresser, subject=subject, messageid=messageid, timestamp=timestamp,
        )
        if rec.kind == VACATION and not rec.addresser:
            rec.addresser = _address(header(msg, "To"))
        out.append(rec)
    return out


def record_from_block(
    b: Block,
    *,
    file: str | None,
    index: int | None,
    engine: str,
    addresser: str | None = None,
    subject: str | None = None,
    messageid: str | None = None,
    timestamp: str | None = None,
) -> Record:
    """One Record from a decoder's Block: the diagnosis engine decides the reason from the
    block's text and codes (in bounce context), unless the format itself stated it.
    Bounce messages and ESP events both go through here, so they are judged alike."""
    from bouncewise import reasons

    rec = Record(
        kind=BOUNCE,
        file=file,
        index=index,
        recipient=b.recipient,
        original_recipient=b.original_recipient,
        status=b.status,
        replycode=b.replycode,
        action=b.action,
        diagnosticcode=b.diagnosis or None,
        smtpcommand=b.command,
        rhost=b.rhost,
        lhost=b.lhost,
        addresser=addresser,
        subject=subject,
        messageid=messageid,
        timestamp=timestamp,
        engine=engine,
        feedbacktype=b.feedbacktype,
        provider=b.provider,
    )
    diagnose = _diagnoser()
    diag = None
    success = b.action in ("delivered", "relayed", "expanded") or (b.status or "").startswith("2.")
    if diagnose is not None and not success and b.reason not in ("delivered", "vacation", "feedback"):
        try:
            diag = diagnose(
                b.diagnosis or "",
                status=b.status,
                replycode=b.replycode,
                command=b.command,
                rhost=b.rhost,
                vendor=b.provider,
                context="bounce",
                action=b.action,
            )
        except Exception:  # a failing diagnosis must not lose the recipient
            diag = None
    if diag is not None:
        rec.reason = diag.reason
        rec.hardbounce = bool(diag.hardbounce)
        rec.status = rec.status or diag.status
        rec.replycode = rec.replycode or diag.replycode
        rec.smtpcommand = rec.smtpcommand or diag.command
        rec.provider = rec.provider or diag.provider
        rec.retry = diag.retry
        rec.category = diag.category
        rec.who_acts = diag.who_acts
        rec.explanation = diag.explanation
        rec.advice = list(diag.advice or [])
        rec.evidence = [dict(e) if isinstance(e, dict) else _as_dict(e) for e in (diag.evidence or [])]
        rec.confidence = diag.confidence
    reason = b.reason
    if not reason and success:
        reason = "delivered"  # a success notice, whatever decoder read it
    if reason:
        rec.reason = reason
        rec.hardbounce = reasons.is_hardbounce(reason, rec.status, rec.replycode, action=b.action)
    rec.kind = _KIND_OF_REASON.get(rec.reason or "", BOUNCE)
    if rec.kind == BOUNCE and b.action == "delayed":
        rec.kind = DELAYED
        rec.hardbounce = False
        if not rec.reason or rec.reason == "undefined":
            rec.reason = "expired"
    if rec.kind == BOUNCE and not rec.reason:
        rec.reason = "undefined"
    info = _reason_info(rec.reason)
    if info is not None:
        if rec.explanation is None or reason:
            rec.explanation = info.summary
        rec.retry = rec.retry if (rec.retry and not reason) else info.retry
        rec.category = rec.category if (rec.category and not reason) else info.category
        rec.who_acts = rec.who_acts if (rec.who_acts and not reason) else info.who_acts
    if rec.kind == DELAYED:
        rec.retry = "later"
    return rec


def _as_dict(obj: Any) -> dict[str, Any]:
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {"value": str(obj)}


# -- batches and a process pool ---------------------------------------------------------


class Rendered(NamedTuple):
    """One record as output text (``render_all``), with the facts a run's summary counts.
    ``text`` is None for a record that ``include`` leaves out."""

    kind: str
    reason: str | None
    text: str | None


def _analyse_batch(batch: list[RawMessage], limits: Limits) -> list[list[Record]]:
    with alarm_scope():
        return [analyse(raw, limits) for raw in batch]


def _render_batch(
    batch: list[RawMessage], limits: Limits, render: Callable[[Record], str], include: frozenset[str]
) -> list[list[Rendered]]:
    with alarm_scope():
        return [
            [Rendered(r.kind, r.reason, render(r) if wanted(r, include) else None) for r in analyse(raw, limits)]
            for raw in batch
        ]


def analyse_all(source: Any, limits: Limits | None = None, *, jobs: int | None = 1, batch_size: int = 128) -> Iterator[list[Record]]:
    """Per input message, its list of records (unfiltered), in input order. With
    ``jobs`` > 1 a process pool analyses batches of messages (up to ``batch_size``
    messages or 4 MiB each); at most a few batches per worker are in flight, so memory
    stays flat however long the input is. ``jobs`` None: automatic, one process for a
    short input, the usable cores for a long one (bouncewise.jobs.run)."""
    from bouncewise.jobs import run as run_jobs

    limits = limits or Limits()
    yield from run_jobs(source, limits, jobs, batch_size, _analyse_batch, ())


def render_all(
    source: Any,
    render: Callable[[Record], str],
    limits: Limits | None = None,
    *,
    include: str | Iterable[str] | None = None,
    jobs: int | None = 1,
    batch_size: int = 128,
) -> Iterator[list[Rendered]]:
    """Like analyse_all, but each record comes as its output text, ``render(record)``
    (None for a record ``include`` leaves out), made where the record was made: with
    ``jobs`` > 1 the workers send back text, not records, which keeps the parent's share
    of the work small. ``render`` must be picklable (a module-level function or a
    functools.partial of one), as bouncewise.writers' renderers are."""
    from bouncewise.jobs import run as run_jobs

    limits = limits or Limits()
    yield from run_jobs(source, limits, jobs, batch_size, _render_batch, (render, resolve_include(include)))


# A small delivery status notification: analysing it loads what the first messages of a run
# would load lazily (decoders, data tables, the diagnosis engine and knowledge base).
_WARM_SAMPLE = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 2 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; jo@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown

--b
Content-Type: text/rfc822-headers

From: sender@example.com
To: jo@example.org
Subject: hello
Message-ID: <warm@example.com>

--b--
"""


def warm() -> None:
    """Load now what analysing the first messages would load (see _WARM_SAMPLE)."""
    decoders()
    analyse(RawMessage(file=None, index=1, data=_WARM_SAMPLE))
