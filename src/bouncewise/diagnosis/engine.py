"""The diagnosis engine: one SMTP reply (or one mail-log line) in, one Diagnosis out.

The flow: read the input (a log line's fields, the codes, the SMTP command, the host, the
recipient: reading.py), find the phrases of the text (tables.Index), tell which provider gave the
reply and which one only reported it (host, caller, the reply's own markers; a quote's wrapper),
read the few words the context rules need, and hand these facts to the classifier
(classifier.decide), which weighs the evidence and decides the reason, hard/soft, retry and
advice. See docs/diagnose.md.

Speed: the facts are read once; decide, a function of those facts only, is cached, and so is the
phrase search per word sequence (tables.Index.find); see docs/diagnose.md (Performance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bouncewise.diagnosis.classifier import (  # noqa: F401  (names the engine's users import from here)
    BOUNCE_CONTEXT,
    PRE_DATA,
    STRONG_STATUS,
)
from bouncewise.diagnosis.classifier import decide as _decide
from bouncewise.diagnosis.classifier import outcome_of as _outcome
from bouncewise.diagnosis.classifier import rules as _rules
from bouncewise.diagnosis.reading import (  # noqa: F401  (the engine's users and tests read these from here)
    _COMMAND_NEEDLES,
    _HOST_NEEDLES,
    _LOCAL_CHARS,
    _LOCAL_RUN,
    _LOG_NEEDLES,
    _PAIR_FAST,
    _STATUS_DOT,
    _STATUS_FAST,
    CODES_RE,
    HOST_RE,
    MAX_KEEP,
    MAX_MATCH,
    REPLY_RE,
    STATUS_RE,
    _caseless,
    _first,
    _is_binary,
    _missing_domain,
    _other_code,
    _retry_after,
    _rx,
    _says_permanent,
    _to_text,
    _valid_reply,
    _valid_status,
    find_codes,
    find_command,
    find_host,
    find_recipient,
    strip_codes,
)
from bouncewise.diagnosis.tables import (
    Needles,
    fold,
    tables,
    words_of,
)


@lru_cache(maxsize=1)
def _failure_code() -> re.Pattern[str]:
    """A 4xx/5xx reply code or a 4.x.x/5.x.x status anywhere in a text (a failure after a
    positive reply); compiled on first use, as only positive replies need it."""
    return re.compile(r"(?<![\w.])(?:[45][0-5][0-9](?![\w.])|[45]\.[0-9]{1,3}\.[0-9]{1,3}(?![\d]))")


def __getattr__(name: str) -> Any:
    """The reading module's patterns made on first use (reading._LAZY), under their names here too."""
    from bouncewise.diagnosis import reading

    if name in reading._LAZY:
        return reading._rx(name)
    if name == "_FAILURE_CODE":
        return _failure_code()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# reasons that report no delivery failure: a positive reply, an out-of-office reply, a complaint report
_NOT_FAILURES = frozenset({"delivered", "vacation", "feedback"})


@dataclass(slots=True)
class Diagnosis:
    """What one reply means. ``to_dict()`` gives a JSON-ready dict."""

    text: str
    replycode: str | None = None
    status: str | None = None
    decided_by: str = "none"  # text | status | replycode | vendor | none
    command: str | None = None
    recipient: str | None = None
    rhost: str | None = None
    rip: str | None = None
    provider: str | None = None
    reason: str = "onhold"
    hardbounce: bool = False
    retry: str = "later"
    retry_after: int | None = None
    category: str | None = None
    who_acts: str | None = None
    explanation: str = ""
    advice: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    confidence: float = 0.0
    kind: str = "reply"  # reply | log | unreadable
    failure: bool = True  # False for a positive reply (2xx, 3xx: "250 ok", "221 closing") or an auto-reply
    reported_by: str | None = None  # the provider whose notice quotes another server's reply

    def to_dict(self) -> dict[str, Any]:
        """The fields in order, as ``dataclasses.asdict`` gives them (own lists and dicts; the
        evidence's values are strings), written out: asdict's deep copy costs more than the
        whole diagnosis."""
        return {
            "text": self.text,
            "replycode": self.replycode,
            "status": self.status,
            "decided_by": self.decided_by,
            "command": self.command,
            "recipient": self.recipient,
            "rhost": self.rhost,
            "rip": self.rip,
            "provider": self.provider,
            "reason": self.reason,
            "hardbounce": self.hardbounce,
            "retry": self.retry,
            "retry_after": self.retry_after,
            "category": self.category,
            "who_acts": self.who_acts,
            "explanation": self.explanation,
            "advice": list(self.advice),
            "evidence": [dict(e) for e in self.evidence],
            "confidence": self.confidence,
            "kind": self.kind,
            "failure": self.failure,
            "reported_by": self.reported_by,
        }


# ----------------------------------------------------------------------------- helpers
























@lru_cache(maxsize=4096)  # the same relays come back line after line in a log
def _provider_for_host(host: str | None) -> str | None:
    if not host:
        return None
    t = tables()
    h = host.lower().strip(".")
    while h:
        pid = t.host_map.get(h)
        if pid:
            return pid
        _, _, h = h.partition(".")
    return None


@lru_cache(maxsize=1)
def _quote_needles() -> Needles:
    return Needles(_rules()["relay"]["quote_starts"])


def _quote_start(low: str) -> int:
    """Where the quoted reply begins in a lower-cased text that quotes another server's reply
    (just after the first phrase of rules.toml [relay] quote_starts), or -1."""
    needles = _quote_needles()
    if not needles.any(low):
        return -1
    best = -1
    for s in needles.strings:
        i = low.find(s)
        if i >= 0 and (best < 0 or i < best):
            best = i + len(s)
    return best


# ----------------------------------------------------------------------------- decision rules


@lru_cache(maxsize=1)
def _real_replycodes() -> frozenset[str]:
    global _REAL_REPLYCODES
    from bouncewise._data import load_toml

    _REAL_REPLYCODES = frozenset(load_toml("formats/data/replycodes.toml")["replycodes"]["codes"])
    return _REAL_REPLYCODES


_REAL_REPLYCODES: frozenset[str] | None = None  # (set by _real_replycodes)


def usable_replycode(code: str | None, status: str | None = None) -> str | None:
    """``code`` when it can stand as the reply of a record: a code servers really send
    (formats/data/replycodes.toml) whose class agrees with the enhanced status code's class.
    The one place where a reply code read from a text is validated."""
    if not code or len(code) != 3 or code not in _real_replycodes():
        return None
    if status and status[:1] in "245" and status[:1] != code[:1]:
        return None
    return code


@lru_cache(maxsize=1)
def _context_providers() -> frozenset[str]:
    """The providers that rules.toml [[provider_context]] has rules for."""
    return frozenset(rule["provider"] for rule in _rules().get("provider_context", ()))


def _provider_context_found(providers: list[str], low: str) -> tuple[str, ...]:
    """For each rule of [[provider_context]], the first of its ``contains`` strings found in the
    lower-cased text ``low`` ("" when none is, or the rule has none, or its provider is not one
    of ``providers``, in which case the rule does not apply): the only part of the text that
    _provider_context reads."""
    rules = _rules().get("provider_context", ())
    if not providers or _context_providers().isdisjoint(providers):
        return ("",) * len(rules)
    return tuple(
        next((c for c in rule["contains"] if c in low), "") if rule.get("contains") and rule["provider"] in providers else ""
        for rule in rules
    )


# ----------------------------------------------------------------------------- the engine


def diagnose(
    text: Any,
    *,
    vendor: str | None = None,
    status: str | None = None,
    replycode: str | None = None,
    command: str | None = None,
    rhost: str | None = None,
    context: str | None = None,
    action: str | None = None,
) -> Diagnosis:
    """Diagnose one reply text (or one mail-log line). Never raises for any input text.

    ``context="bounce"``: the text is a recipient's error in a bounce message (the pipeline
    passes it). Then user-unknown wording whose SMTP command is not stated counts as
    ``filtered`` unless the status says the address is unknown (see docs/diagnose.md); a bare
    reply (no context) keeps ``userunknown`` with an evidence note.
    ``action``: the notice's own verdict for the recipient ("failed", "delayed"): a delay
    notice whose reason only a generic code gave is ``expired``, and without any code
    "failed" counts as permanent for hard/soft."""
    try:
        return _diagnose(text, vendor, status, replycode, command, rhost, context, action)
    except Exception as exc:  # a bug must not lose the record
        shown = text if isinstance(text, str) else repr(text)
        return _finish(
            Diagnosis(text=shown[:MAX_KEEP], kind="unreadable", reason="onhold"),
            [{"rule": "internal-error", "matched": f"{type(exc).__name__}: {exc}"[:300], "source": "engine"}],
        )






def _diagnose(
    text: Any,
    vendor: str | None,
    status: str | None,
    replycode: str | None,
    command: str | None,
    rhost: str | None,
    context: str | None = None,
    action: str | None = None,
) -> Diagnosis:
    raw = text if text.__class__ is str else _to_text(text)
    kept = raw[:MAX_KEEP]
    t = raw[:MAX_MATCH]
    evidence: list[dict[str, Any]] = []
    kind = "reply"
    rip: str | None = None
    recipient: str | None = None

    # A mail-log line: take its fields and diagnose the reply inside it.
    if _LOG_NEEDLES.any(t) and _rx("LOG_HINT_RE").search(t):
        from bouncewise.loglines import parse_line  # (only log lines need it)

        parsed = parse_line(t)
        if parsed is not None:
            kind = "log"
            t = parsed.text or parsed.raw_status or ""
            status = status or parsed.dsn
            rhost = rhost or parsed.relay
            rip = parsed.rip
            recipient = parsed.recipient
            evidence.append({"rule": f"log:{parsed.mta}", "matched": parsed.state or "", "source": "log", "role": "fact"})

    status = _valid_status(status) if status else None
    replycode = _valid_reply(replycode) if replycode else None
    if command:
        cmd = command.upper() or None
        if cmd == "END-OF-DATA":
            cmd = "."
    else:
        cmd = None

    found_reply, found_status = find_codes(t)
    if status is None and found_status:
        status = found_status
        evidence.append({"rule": "code:status", "matched": found_status, "source": "text", "role": "fact"})
    if replycode is None and found_reply:
        if found_reply in (_REAL_REPLYCODES or _real_replycodes()) and not (
            status and status[0] != found_reply[0] and status[0] in "245"
        ):  # (usable_replycode, written out: found_reply has three digits)
            replycode = found_reply
            evidence.append({"rule": "code:reply", "matched": found_reply, "source": "text", "role": "fact"})
        else:  # not a code servers send, or its class contradicts the status: not a reply code
            evidence.append({"rule": "code:reply-ignored", "matched": found_reply, "source": "text", "role": "fact"})
    code_reason: str | None = None
    if replycode is not None and replycode[0] == "2" and (status is None or status[0] == "2"):
        # a positive reply, unless a failure code follows it (a transcript: "250 Sender ok ... 550 ...")
        code_reason = None if _failure_code().search(t) else "delivered"
    elif replycode is None and status is None:
        other = _other_code(t)
        if other is not None:
            replycode, code_reason = other
            evidence.append({"rule": "code:reply", "matched": replycode, "source": "text", "role": "fact"})
    low = t.lower()
    if cmd is None and _COMMAND_NEEDLES.any(low):  # (find_command's own first test)
        cmd = find_command(t, low)
    host, ip = find_host(t) if _HOST_NEEDLES.any(t) else (None, None)  # (find_host's first test)
    rhost = (rhost or host or None) and (rhost or host).lower().rstrip(".")
    rip = rip or ip
    if recipient is None:
        recipient = find_recipient(t, cmd, low)

    stripped = t.strip()
    # (_is_binary is False for a printable sample without U+FFFD: so is every prefix of such a t)
    if not stripped or ((not t.isprintable() or "\ufffd" in t) and _is_binary(t[:2048])):
        if not status and not replycode:
            why = "onhold" if stripped else "undefined"
            d = Diagnosis(text=kept, kind="unreadable", reason=why, rhost=rhost, rip=rip, command=cmd)
            evidence.append({"rule": "unreadable", "matched": "empty" if not stripped else "binary", "source": "text", "role": "fact"})
            return _finish(d, evidence)

    tb = tables()
    folded = fold(t) if not t.isascii() else None
    words = words_of(strip_codes(t))
    ranks = tb.index.find_words(words, folded)

    # Providers: from rhost, vendor, and markers in the text.
    providers: list[str] = []
    p_host = _provider_for_host(rhost) if rhost else None
    if p_host:
        providers.append(p_host)
    if vendor:
        pv = tb.vendor_map.get(vendor.lower().replace(" ", "").replace("-", ""))
        if pv and pv not in providers:
            providers.append(pv)
    named = len(providers)  # (known from the host or the caller, not only from the text)
    reported_by: str | None = None
    if ranks:
        marked = _markers(ranks)
        if marked:
            # Who said it: a reply quoted by another server ("The response from the remote server
            # was: ...", "Remote Server returned '...'") names the reporter in the words before
            # the quote; only the quote's own markers say which provider gave the reply.
            quote = _quote_start(low)
            if quote > 0:
                qt = t[quote:]
                q_ranks = tb.index.find_words(words_of(strip_codes(qt)), fold(qt) if folded is not None else None)
                own = _markers(q_ranks) if q_ranks else ()
                wrapper = [pid for pid in marked if pid not in own and pid not in providers]
                marked = own
                if wrapper:
                    reported_by = wrapper[0]
                    evidence.append({"rule": "relay:reported-by", "matched": tb.providers[reported_by].name, "source": "text", "role": "fact"})
        for pid in marked:
            if pid not in providers:
                providers.append(pid)

    # What the decision reads in the text beyond the phrases found, read here once; the
    # decision itself (_decide) sees only these facts, so it can be cached on them.
    code_hit: tuple[str, str, str] | None = None  # (provider id, reason, matched) of a provider's code
    code_providers = providers
    gate = tb.anywhere_gate  # (a test of a few characters, False for most texts)
    if tb.anywhere and (gate is None or gate(low) or not low.isascii()) and tb.maybe_anywhere(low):
        # (else none of their codes can be in the text)
        code_providers = providers + [p for p in tb.anywhere if p not in providers]
    for pid in code_providers:
        prov = tb.providers[pid]
        if prov.code_pattern is not None:
            m = prov.code_search(low)
            if m and m.group(1).lower() in prov.codes:
                code_hit = (pid, prov.codes[m.group(1).lower()], m.group(0))
                break
    missing = _missing_domain(t) if "does not exist" in low else None
    # (read by _decide only for a reason that a phrase found names: see _may_expire)
    gave_up = _queue_expiry().first(low) if _may_expire(ranks) else None
    lookup = _directory_lookup().first(low) if ranks else None
    x_unix = "x-unix;" in low and t.lstrip().lower().startswith("x-unix;")
    has_words = not all(map(str.isdigit, words))  # (a word that is not a number)
    verdict = action.strip().lower() if action else ""
    # the text calling the failure permanent counts only without a code and a verdict
    permanent = not (status or replycode) and verdict not in ("failed", "delayed") and _says_permanent(kept)

    (reason, decided_by, confidence, provider, special_rank, more,
     hardbounce, retry, category, who_acts, explanation, advice) = _decide(
        ranks, tuple(providers), named, code_hit, status, replycode, cmd, context, verdict,
        missing, gave_up, x_unix, _provider_context_found(providers, low) if providers else (),
        has_words, kind, vendor, permanent, code_reason,
        verdict == "failed" and _timeout_words().any(low),
        lookup,
    )  # fmt: skip
    # (what the engine read above has the role "fact": the codes, the log line, a relay; then
    # _decide's evidence dicts, each result with its own copies)
    evidence.extend(map(dict.copy, more))
    if special_rank >= 0:
        retry_after = _retry_after(t, tb.index.phrases[special_rank].extra, low)
    elif "again" in low or "retry" in low or "come back" in low or "wait" in low:  # (_retry_after's test)
        retry_after = _retry_after(t, None, low)
    else:
        retry_after = None
    return Diagnosis(
        kept, replycode, status, decided_by, cmd, recipient, rhost, rip, provider, reason, hardbounce, retry,
        retry_after, category, who_acts, explanation, list(advice), evidence, confidence, kind,
        reason not in _NOT_FAILURES, tb.providers[reported_by].name if reported_by else None,
    )


@lru_cache(maxsize=1)
def _directory_lookup() -> Needles:
    return Needles(_rules()["userunknown"]["directory_lookup"])


@lru_cache(maxsize=1)
def _timeout_words() -> Needles:
    return Needles(_rules()["gave_up"]["contains"])


@lru_cache(maxsize=1)
def _queue_expiry() -> Needles:
    return Needles(_rules()["queue_expiry"]["contains"])


@lru_cache(maxsize=4096)
def _may_expire(ranks: tuple[int, ...]) -> bool:
    """Whether the text stage can reach a reason that queue-expiry words turn into "expired":
    _decide reads those words only then. A reason decided by the text is the target of a
    phrase found, or one that the text rules give without a phrase of their own
    (_TEXT_RULE_REASONS); when neither is an override the words need not be looked for."""
    phrases = tables().index.phrases
    overrides = _rules()["queue_expiry"]["overrides"]
    if any(r in overrides for r in _TEXT_RULE_REASONS):
        return True
    return any(phrases[r].target in overrides for r in ranks)


# reasons that _decide's text stage gives without a phrase naming them ("<domain> does not
# exist" → hostunknown; _userunknown_context → filtered or userunknown)
_TEXT_RULE_REASONS = ("hostunknown", "filtered", "userunknown")


@lru_cache(maxsize=4096)
def _markers(ranks: tuple[int, ...]) -> tuple[str, ...]:
    """The providers named by marker phrases among the phrases found, in their order."""
    phrases = tables().index.phrases
    return tuple(phrases[r].target for r in ranks if phrases[r].kind == "marker")
















def _finish(d: Diagnosis, evidence: list[dict[str, Any]]) -> Diagnosis:
    """Fill in what follows from the reason and codes (hard/soft, retry, category, who acts,
    explanation, advice) for a record that _decide did not build (unreadable input, an
    internal error)."""
    d.evidence = evidence
    permanent = not (d.status or d.replycode) and _says_permanent(d.text)
    d.reason, d.hardbounce, d.retry, d.category, d.who_acts, d.explanation, advice = _outcome(
        d.reason, d.status, d.replycode, d.kind, None, permanent, -1, None
    )
    d.advice = list(advice)
    return d

