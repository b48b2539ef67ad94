"""The web layer's only door into the engine. Everything returned is plain ``to_dict()``
output, so field changes in the engine's dataclasses do not break the web layer.

No web-stack imports here: this module is plain Python and is unit-tested on its own.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from bouncewise.errors import BouncewiseError, InputError, InvalidCode

__all__ = [
    "EngineMissing",
    "InvalidCode",
    "InputError",
    "NotFound",
    "explain",
    "codes",
    "diagnose",
    "diagnose_many",
    "parse_message",
    "parse_events",
    "split_replies",
    "analyse_paste",
    "looks_like_message",
]

MAX_PASTE_ITEMS = 200


class EngineMissing(BouncewiseError):
    """A part of the engine this request needs is not in this installation."""


class NotFound(BouncewiseError, LookupError):
    """The knowledge base has nothing for this code."""


def _function(module: str, name: str) -> Callable[..., Any]:
    try:
        mod = importlib.import_module(module)
        return getattr(mod, name)
    except (ImportError, AttributeError) as exc:
        raise EngineMissing(f"{module}.{name} is not available in this installation") from exc


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()


# ---------------------------------------------------------------- knowledge base


@lru_cache(maxsize=2048)
def _explain_cached(query: str, vendor: str | None) -> str:
    # Cached as JSON text: callers get a fresh dict each time and cannot spoil the cache.
    fn = _function("bouncewise.knowledge", "explain")
    try:
        result = fn(query, vendor=vendor)
    except InvalidCode:
        raise
    except ValueError as exc:  # an unknown vendor
        raise InputError(str(exc)) from None
    except LookupError as exc:
        raise NotFound(str(exc) or f"no entry for {query!r}") from exc
    if result is None:
        raise NotFound(f"no entry for {query!r}")
    return json.dumps(_as_dict(result), ensure_ascii=False, separators=(",", ":"))


def explain(query: str, vendor: str | None = None) -> dict[str, Any]:
    """``bouncewise.explain(query, vendor)`` as a dict; InvalidCode for a malformed code,
    NotFound when the knowledge base has nothing to say."""
    return json.loads(_explain_cached(*_explain_key(query, vendor)))


def explain_json(query: str, vendor: str | None = None) -> bytes:
    """The same as JSON bytes, ready to send (cached: the knowledge base does not change)."""
    return _explain_bytes(*_explain_key(query, vendor))


@lru_cache(maxsize=2048)
def _explain_bytes(query: str, vendor: str | None) -> bytes:
    return _explain_cached(query, vendor).encode()


def _explain_key(query: str, vendor: str | None) -> tuple[str, str | None]:
    query = query.strip()[:200]
    if not query:
        raise InvalidCode("empty code")
    return query, (vendor or "").strip().lower()[:64] or None


def codes(
    query: str | None = None,
    cls: str | None = None,
    category: str | None = None,
    vendor: str | None = None,
) -> list[dict[str, Any]]:
    """Knowledge-base entries. A query that is itself a code, pair or family puts that
    explanation's entries first (so "5.1.x" or "550 5.7.1" find their codes), then the
    word matches. Cached (the knowledge base does not change while the server runs): the
    dicts are shared, callers must not change them."""
    query = (query or "").strip()[:200] or None
    return list(_codes_cached(query, cls or None, (category or "").strip()[:64] or None, vendor or None))


@lru_cache(maxsize=512)
def _codes_cached(
    query: str | None, cls: str | None, category: str | None, vendor: str | None
) -> tuple[dict[str, Any], ...]:
    fn = _function("bouncewise.knowledge", "codes")
    try:
        entries = [_as_dict(e) for e in fn(query=query, cls=cls, category=category, vendor=vendor)]
    except InvalidCode:
        raise
    except ValueError as exc:  # an unknown class or vendor
        raise InputError(str(exc)) from None
    if query and _CODELIKE.match(query) and not category:
        try:
            exact = explain(query, vendor)["entries"]
        except (InvalidCode, NotFound, InputError, KeyError, TypeError):
            exact = []
        if cls:
            exact = [e for e in exact if str(e.get("code", ""))[:1] == cls[:1]]
        if exact:
            first = {e.get("code") for e in exact}
            entries = exact + [e for e in entries if e.get("code") not in first]
    return tuple(entries)


def categories() -> list[str]:
    """The categories the entries use, sorted (empty when the knowledge base is missing)."""
    try:
        entries = codes()
    except EngineMissing:
        return []
    return sorted({str(e["category"]) for e in entries if e.get("category")})


_CODELIKE = re.compile(r"[0-9xX]")


def vendors() -> list[str]:
    """Vendor names the knowledge base accepts as ``vendor=`` (empty when it has none)."""
    try:
        return list(_function("bouncewise.knowledge", "vendors")())
    except EngineMissing:
        return []


# ---------------------------------------------------------------- diagnosis


def diagnose(text: str, *, max_text: int = 20_000, **hints: Any) -> dict[str, Any]:
    """One reply or log line. ``hints``: vendor, status, replycode, command, rhost (None skipped)."""
    fn = _function("bouncewise.diagnosis", "diagnose")
    kwargs = {k: v for k, v in hints.items() if v not in (None, "")}
    return _as_dict(fn(text[:max_text], **kwargs))


def diagnose_many(texts: list[str], *, max_text: int = 20_000, **hints: Any) -> list[dict[str, Any]]:
    return [diagnose(t, max_text=max_text, **hints) for t in texts]


# ---------------------------------------------------------------- messages and events


def parse_message(data: bytes) -> list[dict[str, Any]]:
    """A raw bounce message (or an mbox of them) -> its records."""
    fn = _function("bouncewise.pipeline", "parse")
    # include="all": success notices, auto-replies and complaints are shown as such.
    return [_as_dict(r) for r in fn(data, include="all")]


def parse_events(data: bytes, provider: str | None = None) -> list[dict[str, Any]]:
    """ESP webhook event JSON -> records. InputError for JSON that is not an event."""
    fn = _function("bouncewise.events", "records_from_json")
    try:
        records = fn(data, None, provider or None)
    except InputError:
        raise
    except ValueError as exc:  # an unknown provider name
        raise InputError(str(exc)) from None
    return [_as_dict(r) for r in records]


def load_json(data: bytes) -> Any:
    """JSON from a request body: ValueError when it is not JSON, InputError when it is nested
    too deeply or holds a lone surrogate (see bouncewise.events.load_json)."""
    return _function("bouncewise.events", "load_json")(data)


def looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip()
    return head[:1] in (b"{", b"[")


# A header line: a field name then a colon (RFC 5322 field names are printable ASCII).
_HEADER = re.compile(r"[!-9;-~]{1,76}:")
_MESSAGE_HEADERS = (
    "received:",
    "return-path:",
    "from:",
    "to:",
    "subject:",
    "date:",
    "message-id:",
    "content-type:",
    "mime-version:",
    "delivered-to:",
    "x-failed-recipients:",
)


def looks_like_message(text: str) -> bool:
    """True for a whole email (headers at the top) or an mbox, as opposed to a reply/log line."""
    head = text.lstrip("\r\n")[:8192]
    if head.startswith("From "):
        return True
    lines = head.splitlines()[:60]
    if not lines or not _HEADER.match(lines[0]):
        return False
    known = sum(1 for line in lines if line.lower().startswith(_MESSAGE_HEADERS))
    return known >= 2


_REPLY_START = re.compile(r"([245][0-9][0-9])([ -])")
_LOG_START = re.compile(r"(?:[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:)")


def split_replies(text: str, limit: int = MAX_PASTE_ITEMS) -> list[str]:
    """Pasted text -> one string per reply or log line.

    A line starting with a reply code or a log timestamp starts a new item, except that the
    lines of one multi-line SMTP reply ("550-...", "550-...", "550 ...") stay together; any
    other line (wrapped text, indented continuation) belongs to the item before it.
    """
    items: list[list[str]] = []
    open_multiline: str | None = None  # the code of a multi-line reply still going on
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            open_multiline = None
            continue
        reply = _REPLY_START.match(line)
        starts_new = False
        if reply:
            code, sep = reply.group(1), reply.group(2)
            starts_new = open_multiline != code
            open_multiline = code if sep == "-" else None
        elif _LOG_START.match(line):
            starts_new, open_multiline = True, None
        if starts_new or not items:
            if len(items) >= limit:
                break
            items.append([line.strip()])
        else:
            items[-1].append(line.strip())
    return [" ".join(parts) for parts in items]


_NOTICE_KINDS = ("bounce", "delayed", "delivered", "vacation")


def analyse_paste(text: str, *, vendor: str | None = None, max_text: int = 20_000) -> dict[str, Any]:
    """What the "paste your error" box does: a whole message is parsed (one result per
    recipient), JSON is read as ESP events, anything else is split into replies/log lines
    and each is diagnosed. Returns {"mode", "results": [{"text", "diagnosis"|"record"}]}."""
    stripped = text.strip()
    if not stripped:
        return {"mode": "empty", "results": []}
    data = stripped.encode("utf-8", "surrogateescape")
    if looks_like_json(data):
        try:
            json.loads(data)
        except ValueError:
            pass
        else:
            records = parse_events(data)
            return {"mode": "events", "results": [_record_result(r) for r in records]}
    if looks_like_message(stripped):
        records = parse_message(data)
        return {"mode": "message", "results": [_record_result(r) for r in records]}
    # a notice's body pasted without its headers: read whole when the reader takes it for one
    records = parse_message(data)
    if any(r.get("kind") in _NOTICE_KINDS for r in records):
        return {"mode": "message", "results": [_record_result(r) for r in records]}
    results = []
    for item in split_replies(stripped):
        d = diagnose(item, vendor=vendor, max_text=max_text)
        results.append({"kind": "reply", "text": item, "data": d})
    return {"mode": "replies", "results": results}


def _record_result(record: dict[str, Any]) -> dict[str, Any]:
    text = record.get("diagnosticcode") or record.get("text") or ""
    return {"kind": "record", "text": text, "data": record}
