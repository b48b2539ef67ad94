"""The classifier: weighs the evidence read from one reply and decides its reason.

The engine (engine.py) reads the facts of a text once: the phrases found (ranks in the phrase
index), a provider's code, the status and reply codes, the SMTP command, the providers that
gave the reply, the notice's verdict, a few words the context rules look for. :func:`decide`
turns those facts into evidence and weighs it:

1. **Evidence.** Every fact that speaks for a reason becomes an :class:`Evidence` item with the
   weight of its kind (data/weights.toml): a provider's own code or wording, a phrase of the
   text, a vague word, a status code with its meaning (codes.toml, or the knowledge base's
   vendor layer when that provider's server replied), a reply code, the "X-Unix" diagnostic
   type, a code outside RFC 5321 that a reference explains, a positive reply.
2. **Decision.** The heaviest item decides (ties: phrases.toml's reason order, a phrase with a
   note of its own, the longer phrase). The weights make the precedence: a specific text beats
   a generic code, a specific code beats a vague text.
3. **Context rules** (data/rules.toml) then adjust the reason where the SMTP stage, the status
   or the notice's verdict change what the evidence means (user-unknown wording after DATA is
   a filter; a refusal at connection time is a block; a failure notice whose last attempt timed
   out gave up after its retries; ...). Each rule that fires is listed.
4. **Confidence and roles.** The evidence list says what ``decided``, what ``supported`` it and
   what was ``outweighed``; every other reason that evidence spoke for lowers the confidence.

``decide`` is a function of hashable facts only and is cached: replies repeat, and so do their
facts (docs/diagnose.md, Performance).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bouncewise import reasons as _reasons
from bouncewise._data import load_toml
from bouncewise.diagnosis.tables import Phrase, tables

# statuses that name the problem beyond doubt (a text naming a reason of rules.toml
# [strong_status] yields_to still wins)
STRONG_STATUS = {"2.2": "mailboxfull", "1.7": "rejected", "1.8": "rejected"}
PRE_DATA = frozenset({"CONN", "EHLO", "HELO", "MAIL", "RCPT"})
BOUNCE_CONTEXT = "bounce"

# which field of the Diagnosis names the kind of the deciding evidence
DECIDED_BY = {
    "positive-reply": "replycode", "provider-code": "vendor", "provider-phrase": "vendor", "phrase": "text",
    "special": "text", "strong-status": "status", "x-unix": "text", "vendor-status": "vendor",
    "domain-missing": "text", "status": "status", "nonstandard-code": "replycode", "weak-phrase": "text",
    "status-generic": "status", "replycode": "replycode",
}
MAX_LISTED = 12  # candidate items listed in the evidence (one per reason and kind)


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    return load_toml("diagnosis/data/rules.toml")


@lru_cache(maxsize=1)
def weights() -> dict[str, Any]:
    return load_toml("diagnosis/data/weights.toml")


class Evidence:
    """One fact that speaks for a reason, with the weight of its kind. Read-only. (A plain
    class, not a dataclass: making dataclasses costs start-up time.)"""

    __slots__ = ("reason", "kind", "rule", "matched", "source", "weight", "phrase", "provider")

    reason: str
    kind: str  # a key of weights.toml [weights]
    rule: str
    matched: str
    source: str  # text | status | replycode | context | ...
    weight: float
    phrase: Phrase | None
    provider: str | None  # the provider whose reading this is

    def __init__(
        self, reason: str, kind: str, rule: str, matched: str, source: str, weight: float,
        phrase: Phrase | None = None, provider: str | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "reason", reason)
        setattr_(self, "kind", kind)
        setattr_(self, "rule", rule)
        setattr_(self, "matched", matched)
        setattr_(self, "source", source)
        setattr_(self, "weight", weight)
        setattr_(self, "phrase", phrase)
        setattr_(self, "provider", provider)

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Evidence(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__) + ")"

    def entry(self, role: str) -> dict[str, Any]:
        return {"rule": self.rule, "matched": self.matched, "source": self.source, "weight": self.weight, "role": role}


def _item(reason: str, kind: str, rule: str, matched: str, source: str, **kw: Any) -> Evidence:
    return Evidence(reason, kind, rule, matched, source, float(weights()["weights"][kind]), **kw)


def _phrase_item(p: Phrase, kind: str) -> Evidence:
    return _item(p.target, kind, f"{p.kind}:{p.target}@{p.source}", p.raw, "text", phrase=p, provider=p.provider)


def status_reason(status: str | None) -> str | None:
    """codes.toml's reason for an enhanced status code (exact, then X.Y.Z, then X.Y)."""
    if not status:
        return None
    t = tables()
    if status.startswith("2."):
        return "delivered"
    x = "X" + status[1:]
    return t.status_map.get(status) or t.status_map.get(x) or t.status_map.get(x[:3])


_KNOWLEDGE: Any = None


@lru_cache(maxsize=4096)
def knowledge(code: str, vendor: str | None) -> Any:
    """bouncewise.knowledge.lookup, guarded: None while the knowledge base is missing."""
    global _KNOWLEDGE
    if _KNOWLEDGE is None:
        try:
            from bouncewise.knowledge import lookup

            _KNOWLEDGE = lookup
        except Exception:
            _KNOWLEDGE = False
    if not _KNOWLEDGE:
        return None
    try:
        return _KNOWLEDGE(code, vendor)
    except Exception:
        return None


@lru_cache(maxsize=1024)
def vendor_status_reason(status: str, pid: str) -> str | None:
    """The reason the provider ``pid`` gives the status ``status`` (the knowledge base's vendor
    layer) when it differs from the standard reading, else None."""
    own = knowledge(status, pid)
    if own is None or not getattr(own, "vendor", None):
        return None
    base = knowledge(status, None)
    r = getattr(own, "reason", None)
    if r and (base is None or getattr(base, "reason", None) != r):
        return str(r)
    return None


def _order(reason: str) -> int:
    return tables().order.get(reason, 99)


def _rank_key(e: Evidence) -> tuple[Any, ...]:
    """Heaviest first; then the reason order, a special phrase, the longer phrase."""
    raw = e.phrase.raw if e.phrase is not None else ""
    return (-e.weight, _order(e.reason), e.kind != "special", -len(raw))


def gather(
    hits: list[Phrase],
    providers: tuple[str, ...],
    named: int,
    code_hit: tuple[str, str, str] | None,
    status: str | None,
    replycode: str | None,
    cmd: str | None,
    missing: str | None,
    x_unix: bool,
    code_reason: str | None,
) -> list[Evidence]:
    """Every piece of evidence the facts give, in no particular order."""
    tb = tables()
    out: list[Evidence] = []
    if code_reason == "delivered":
        out.append(_item("delivered", "positive-reply", "replycode:positive", replycode or "", "replycode"))
    if code_hit is not None:
        pid, reason, matched = code_hit
        out.append(_item(reason, "provider-code", f"provider-code:{pid}", matched, "text", provider=pid))
    for h in hits:
        if h.kind != "provider" or h.provider not in providers:
            continue
        if h.host_only and h.provider not in providers[:named]:
            continue  # a reading that holds only for replies from the provider's own servers
        if h.status and not (status or "").startswith(h.status):
            continue
        out.append(_phrase_item(h, "provider-phrase"))
    if status and status[2:] in STRONG_STATUS and not any(
        h.kind in ("phrase", "special") and h.target in rules()["strong_status"]["yields_to"] for h in hits
    ):
        out.append(_item(STRONG_STATUS[status[2:]], "strong-status", f"status:X.{status[2:]}", status, "status"))
    excluded = {h.target for h in hits if h.kind == "not"}
    strong = [h for h in hits if h.kind in ("phrase", "special") and h.target not in excluded]
    if cmd in PRE_DATA:  # content is only seen after DATA
        strong = [h for h in strong if h.target not in ("spamdetected", "virusdetected")] or strong
    out += [_phrase_item(h, h.kind) for h in strong]
    status_says = status_reason(status) if status and status[2:] != "0.0" else None
    nonstandard = code_reason if code_reason and code_reason != "delivered" else None
    weak = [h for h in hits if h.kind == "weak" and h.target not in excluded]
    if not (status_says or nonstandard):  # a vague word counts only where no code has a meaning
        out += [_phrase_item(h, "weak-phrase") for h in weak]
    if x_unix and not strong and not (weak and not status_says and not nonstandard):
        out.append(_item("mailererror", "x-unix", "diagnostic-type:x-unix", "X-Unix", "text"))
    if status and providers:
        vr = vendor_status_reason(status, providers[0])
        if vr:
            out.append(_item(vr, "vendor-status", f"vendor-status:{providers[0]}", status, "status", provider=providers[0]))
    if nonstandard:
        out.append(_item(nonstandard, "nonstandard-code", "replycode:nonstandard", replycode or "", "replycode"))
    if status:
        sr = status_reason(status)
        if sr:
            kind = "status-generic" if status[2:] in ("0.0", "7.1") else "status"
            out.append(_item(sr, kind, f"status:{status}", status, "status"))
    if replycode and replycode in tb.reply_map:
        out.append(_item(tb.reply_map[replycode], "replycode", f"replycode:{replycode}", replycode, "replycode"))
    if missing:
        out.append(_item("hostunknown", "domain-missing", "text:domain-does-not-exist", missing, "text"))
    return out


# kinds of evidence that come from the words of the reply (or a provider's own reading of them)
_READ_FROM_TEXT = frozenset(
    {"provider-code", "provider-phrase", "strong-status", "phrase", "special", "weak-phrase", "domain-missing"}
)


def _choose(items: list[Evidence]) -> Evidence | None:
    """The deciding item of ``items`` (sorted heaviest first). "<domain> does not exist" is no
    reason of its own: it corrects user-unknown wording (the domain, not a mailbox, is missing)
    when no provider, no status that names the problem and no clear phrase of another reason
    spoke, and it stands in for a missing phrase."""
    rest = [e for e in items if e.kind != "domain-missing"]
    missing = next((e for e in items if e.kind == "domain-missing"), None)
    if missing is None:
        return rest[0] if rest else None
    if any(e.kind in ("positive-reply", "provider-code", "provider-phrase", "strong-status") for e in rest):
        return rest[0]
    strong = [e for e in rest if e.kind in ("phrase", "special")]
    if strong:
        clear = strong[0].reason != "userunknown" or all(e.reason == "userunknown" for e in strong)
        return strong[0] if clear else missing
    weak = [e for e in rest if e.kind == "weak-phrase"]
    if weak and weak[0].reason != "userunknown":
        return weak[0]
    return missing


def _userunknown_context(
    status: str | None,
    cmd: str | None,
    context: str | None,
    strong: list[Phrase],
    notes: list[dict[str, Any]],
    replycode: str | None = None,
    lookup: str | None = None,
) -> str:
    """What user-unknown wording means at this SMTP stage and with this status and reply code
    (``lookup``: the text's statement that the address is not in the system's directory)."""
    rule = rules()["userunknown"]
    moved = replycode in rule.get("moved_replycodes", ()) and (
        not status or "X" + status[1:] in rule.get("moved_statuses", ())
    )
    if moved:
        notes.append({"rule": "context:userunknown-user-not-local", "matched": status or replycode or "", "source": "context"})
        return "hasmoved"
    said = status_reason(status)
    if said in rule["status_confirms"]:
        other = sorted({h.target for h in strong if h.target in rule["stronger_than_status"]}, key=_order)
        if other:
            notes.append({"rule": "context:text-names-other-reason", "matched": other[0], "source": "context"})
            return other[0]
        return "userunknown"
    if cmd in rule["address_commands"]:
        return "userunknown"
    if lookup:
        notes.append({"rule": "context:directory-lookup", "matched": lookup, "source": "context"})
        return "userunknown"
    if status and "X" + status[1:] in rule["status_filtered"]:
        notes.append({"rule": "context:userunknown-with-mailbox-status", "matched": status, "source": "context"})
        return "filtered"
    if cmd in rule["pre_data_commands"]:
        return "userunknown"
    if cmd in rule["after_data_commands"]:
        notes.append({"rule": "context:userunknown-after-data", "matched": cmd, "source": "context"})
        return "filtered"
    if context == BOUNCE_CONTEXT:
        notes.append({"rule": "context:userunknown-stage-unknown", "matched": status or "no status", "source": "context"})
        return "filtered"
    notes.append({
        "rule": "note:stage-unknown",
        "matched": "in a bounce without the SMTP command this would count as filtered",
        "source": "context",
    })
    return "userunknown"


def _provider_context(
    reason: str, providers: tuple[str, ...], status: str | None, cmd: str | None, found: tuple[str, ...],
    notes: list[dict[str, Any]],
) -> str:
    """A provider's rule that depends on the SMTP stage or the reply's exact shape (``found``:
    what the engine read in the text for each rule of rules.toml [[provider_context]])."""
    for n, rule in enumerate(rules().get("provider_context", ())):
        if rule["provider"] not in providers or reason not in rule.get("when_reason", (reason,)):
            continue
        if rule.get("commands") and cmd not in rule["commands"]:
            continue
        if rule.get("statuses") and (status or "none") not in rule["statuses"]:
            continue
        hit = ""
        if rule.get("contains"):
            hit = found[n]
            if not hit:
                continue
        notes.append({"rule": f"provider-context:{rule['provider']}", "matched": hit or cmd or status or "", "source": "context"})
        return str(rule["reason"])
    return reason


@lru_cache(maxsize=4096)  # replies repeat; only these facts of a text matter here
def decide(
    ranks: tuple[int, ...],
    providers: tuple[str, ...],
    named: int,
    code_hit: tuple[str, str, str] | None,
    status: str | None,
    replycode: str | None,
    cmd: str | None,
    context: str | None,
    verdict: str,
    missing: str | None,
    gave_up: str | None,
    x_unix: bool,
    context_found: tuple[str, ...],
    has_words: bool,
    kind: str,
    vendor: str | None,
    permanent: bool,
    code_reason: str | None = None,
    timed_out: bool = False,
    lookup: str | None = None,
) -> tuple[Any, ...]:
    """The decision from the facts of one text, and what follows from it: (reason, decided_by,
    confidence, provider name, rank of the "special" phrase that decided or -1, evidence as a
    tuple of dicts that the caller copies, then hardbounce, retry, category, who_acts,
    explanation, advice). ``providers[:named]`` are the providers known from the host or the
    caller (rules marked from_host need one of them); the others come from the reply's own
    markers. A function of its arguments only."""
    tb = tables()
    phrases = tb.index.phrases
    hits = [phrases[r] for r in ranks]
    rw = weights()["rules"]
    conf_cfg = weights()["confidence"]
    if code_reason == "delivered" and verdict in ("failed", "delayed"):
        code_reason = None  # a notice that calls the recipient failed is a failure all the same
    replied = providers
    if code_reason == "delivered":
        hits, code_hit, providers = [], None, ()  # a positive reply: its words do not matter

    items = gather(hits, providers, named, code_hit, status, replycode, cmd, missing, x_unix, code_reason)
    items.sort(key=_rank_key)
    decided = _choose(items)
    reason = decided.reason if decided else None
    decided_by = DECIDED_BY[decided.kind] if decided else "none"
    confidence = decided.weight if decided else 0.0
    provider = decided.provider if decided is not None and decided.provider else (replied[0] if replied else None)
    special = decided.phrase if decided is not None and decided.kind == "special" else None

    notes: list[dict[str, Any]] = []  # the context rules that fired, in order
    overruled: Evidence | None = None

    def overrule(new: str, rule: str, matched: str, weight: float, by: str | None = None) -> None:
        nonlocal reason, decided_by, confidence, overruled
        if decided is not None and overruled is None and new != reason:
            overruled = decided
        reason, confidence = new, weight
        if by is not None:
            decided_by = by
        notes.append({"rule": rule, "matched": matched, "source": "context", "weight": weight, "role": "decided"})

    text_decided = decided is not None and decided_by == "text" and decided.kind != "x-unix"
    if text_decided:
        if reason == "userunknown":
            strong = [e.phrase for e in items if e.kind in ("phrase", "special") and e.phrase is not None]
            said: list[dict[str, Any]] = []
            ruled = _userunknown_context(status, cmd, context, strong, said, replycode, lookup)
            for s in said:
                s.update(weight=rw["userunknown-context"], role="decided" if ruled != "userunknown" else "note")
            if ruled != reason:
                if decided is not None:
                    overruled = decided
                reason = ruled
            notes += said
        if reason in rules()["queue_expiry"]["overrides"] and gave_up:
            overrule("expired", "text:queue-expired", gave_up, rw["queue-expired"])
    if reason is not None and decided_by == "text" and providers:
        said = []
        ruled = _provider_context(reason, providers, status, cmd, context_found, said)
        if ruled != reason:
            s = said[-1]
            overrule(ruled, s["rule"], s["matched"], rw["provider-context"], "vendor")

    gave = rules()["gave_up"]
    if (
        reason in gave["reasons"] and verdict == "failed" and timed_out
        and decided is not None and decided.kind in _READ_FROM_TEXT
        and (status or "4")[0] == "4" and (replycode or "4")[0] == "4"
    ):
        # a permanent failure notice for a temporary cause: the retry period ran out
        overrule("expired", "context:failed-after-retries", status or "failed", rw["failed-after-retries"])

    # the SMTP stage (rules.toml [stage])
    cls = (status or replycode or "")[:1]
    vague = reason is None or (decided_by == "status" and reason in ("securityerror", "systemerror"))
    stage = rules()["stage"]
    if cmd == "MAIL" and cls == "5" and vague:
        overrule("rejected", "context:refused-at-MAIL", "MAIL", rw["refused-at-stage"], decided_by if reason else "none")
    if cmd in stage["connection_commands"] and cls in ("4", "5") and (vague or reason in stage["blocked_at_connection"]):
        overrule("blocked", f"context:refused-at-{cmd}", cmd, rw["refused-at-stage"], decided_by if reason else "none")
    if cmd in stage["sender_commands"] and cls == "5" and reason in stage["sender_address_reasons"]:
        # an address refused in reply to MAIL FROM is the sender's, not the recipient's
        overrule("rejected", "context:address-refused-at-MAIL", cmd, min(confidence or 0.6, 0.7))
    if verdict == "delayed" and (
        reason is None or (decided_by in ("status", "none") and reason in rules()["delayed"]["vague_reasons"])
    ):
        # a delay notice that says no more than a generic code: the message is waiting out its retries
        overrule("expired", "context:delay-notice", "delayed", rw["delay-notice"])

    if reason is None:
        # Nothing decided: "onhold" when there is text but no code with a meaning, else "undefined".
        meaningful = bool(status and status[2:] != "0.0")
        reason = "onhold" if (has_words and not meaningful) else "undefined"
        confidence = float(conf_cfg[reason])

    # the evidence list: what decided, what supported it, what was outweighed
    listed: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    opposing: set[str] = set()
    for e in items:
        key = (e.reason, e.kind)
        if key in seen:
            continue
        seen.add(key)
        if e is decided and overruled is None:
            role = "decided"
        elif e.reason == reason:
            role = "supported"
        else:
            role = "outweighed"
            if e.weight >= conf_cfg["min_conflict_weight"]:
                opposing.add(e.reason)
        if len(listed) < MAX_LISTED or role == "decided":
            listed.append(e.entry(role))
    if opposing:
        confidence -= min(conf_cfg["conflict_penalty"] * len(opposing), conf_cfg["max_penalty"])
    evidence = listed + notes

    special_rank = -1 if special is None else next(r for r in ranks if phrases[r] is special)
    action = verdict if verdict in ("failed", "delayed") else None
    reason, *outcome = outcome_of(
        reason, status, replycode, kind, action, permanent, special_rank, vendor or (providers[0] if providers else None)
    )
    return (
        reason,
        decided_by,
        round(max(0.05, min(confidence, 1.0)), 2),
        tb.providers[provider].name if provider else None,
        special_rank,
        tuple(evidence),  # (the caller gives each result copies of these dicts)
        *outcome,
    )


def _entry_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value][:6]
    except TypeError:
        return []


def outcome_of(
    reason: str,
    status: str | None,
    replycode: str | None,
    kind: str,
    verdict: str | None,
    permanent: bool,
    special_rank: int,
    vendor: str | None,
) -> tuple[str, bool, str, str | None, str | None, str, tuple[str, ...]]:
    """(reason, hardbounce, retry, category, who_acts, explanation, advice) for a decided reason
    (``verdict``: "failed", "delayed" or None; ``permanent``: the text calls the failure
    permanent, read only without codes and verdict; ``vendor``: whose reading of the code to
    explain, the caller's or the provider that replied)."""
    special = tables().index.phrases[special_rank].extra if special_rank >= 0 else None
    try:
        r = _reasons.get(reason)
    except KeyError:
        reason = "undefined"
        r = _reasons.get("undefined")
    cls = (status or replycode or "")[:1]
    if permanent:
        verdict = "failed"
    hardbounce = _reasons.is_hardbounce(reason, status, replycode, action=verdict)
    if cls == "4":
        hardbounce = False
    retry = r.retry
    if cls == "4" and retry == "no" and reason not in ("delivered", "vacation", "feedback"):
        retry = "later"
    if reason in ("undefined", "onhold") and cls == "5":
        retry = "after-fix"
    if special and special.get("retry"):
        retry = special["retry"]
    who_acts = r.who_acts
    code = status or replycode
    entry = knowledge(code, vendor) if code else None
    parts = [r.summary]
    if special and special.get("explanation"):
        parts = [special["explanation"]]
    elif entry is not None:
        summary = getattr(entry, "summary", None)
        if summary and getattr(entry, "reason", None) == reason:
            parts = [summary]  # the code says the same as the reason, more precisely
        elif summary:
            parts.append(f"The code {code} on its own means: {summary}")
    if kind == "unreadable":
        parts = ["The input could not be read as a reply: it is empty or not text."]
    advice: list[str] = []
    if special and special.get("advice"):
        advice = list(special["advice"])
    elif entry is not None and reason in ("undefined", "onhold"):
        advice = _entry_list(getattr(entry, "troubleshooting", None))
    if not advice:
        try:
            advice = list(tables().advice.get(reason, []))
        except Exception:  # data files missing or broken: the record still goes out
            advice = []
    if entry is not None and reason in ("undefined", "onhold"):
        who = getattr(entry, "who_acts", None)
        if who:
            who_acts = str(who)
    return reason, hardbounce, retry, r.category, who_acts, " ".join(parts), tuple(advice)
