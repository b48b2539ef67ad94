"""Records in, figures out: one pass over record dicts (``Record.to_dict()`` shape, or the
``LogRecord`` shape of ``scan-log``) that keeps counters only, then ``finish()`` turns them
into a JSON-ready report dict that the HTML and Markdown renderers draw from.

Everything kept grows with the number of *distinct* values (reasons, providers, domains,
hours, reply texts, hard-bounced addresses), each capped, never with the number of records.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from bouncewise import reasons as _reasons

FAILURE_KINDS = ("bounce", "delayed")
# Who has to act, as reasons.toml names them, with the words the report shows.
WHO_LABELS = {
    "recipient": "the recipient",
    "sender": "the sender",
    "sender's admin": "the sender's mail admin",
    "recipient's admin": "the remote (recipient's) mail admin",
    "nobody": "nobody as a rule (it passes on its own), but the advice helps",
}
# who_acts values for which the fix depends on the receiver: such actions are grouped per provider
# ("nobody": a passing condition such as rate limiting, which still asks the sender to adapt to that receiver)
PER_PROVIDER = frozenset({"sender", "sender's admin", "nobody"})
UNKNOWN = "(not identified)"
NO_DATE = "(no date)"

MAX_DISTINCT = 50_000  # distinct providers / domains / reply texts per reason kept; the rest is "(other)"
MAX_TEXT = 300  # characters of a reply text kept for grouping and display
SAMPLES = 50  # records kept per action, shown behind its link
TOP_GROUPS = 20
TOP_REPLIES = 5
MAX_ACTIONS = 6
SPIKE_MIN = 5
OUTLIERS = 0.005  # share of dated failures, at each end, that may fall outside the time chart

# Addresses inside a reply text, masked so that one reply to many recipients is one group.
_ADDR_RE = re.compile(r"<?[^\s<>@\"'(),;:]{1,64}@[A-Za-z0-9.-]{1,255}>?")
_SPACE_RE = re.compile(r"\s+")
_SYSLOG_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


@cache
def reason_title(name: str | None) -> str:
    if not name:
        return "no reason given"
    try:
        return _reasons.get(name).title
    except KeyError:
        return name


@cache
def reason_who(name: str | None) -> str | None:
    try:
        return _reasons.get(name).who_acts if name else None
    except KeyError:
        return None


@cache
def _per_address(name: str) -> bool:
    """True for a reason that is always a hard bounce: its fix (drop the address) does not
    depend on the receiver, so its records make one action whatever the provider."""
    try:
        return _reasons.get(name).hardbounce == "yes"
    except KeyError:
        return False


def normalise(d: dict[str, Any]) -> dict[str, Any]:
    """A record dict in the Record shape. ``scan-log`` records (kind "log") are mapped: a
    bounced or expired attempt is a bounce, a deferred one delayed, a sent one delivered."""
    if d.get("kind") != "log":
        return d
    state = d.get("state")
    kind = {"bounced": "bounce", "expired": "bounce", "deferred": "delayed", "sent": "delivered"}.get(state or "", "bounce")
    return {
        "kind": kind,
        "file": d.get("file"),
        "index": d.get("line"),
        "message_key": ("queue", d.get("file"), d.get("queue_id")) if d.get("queue_id") else None,
        "recipient": d.get("recipient"),
        "status": d.get("status"),
        "replycode": d.get("replycode"),
        "reason": d.get("reason"),
        "hardbounce": bool(d.get("hardbounce")),
        "diagnosticcode": d.get("text"),
        "smtpcommand": d.get("command"),
        "rhost": d.get("rhost"),
        "timestamp": d.get("timestamp"),
        "provider": d.get("provider"),
        "retry": d.get("retry"),
        "who_acts": None,
        "advice": [],
    }


def parse_time(value: Any, year: int) -> datetime | None:
    """A timestamp as the engine writes it (ISO 8601, with or without offset), an Exim log
    date ("2026-12-06 04:00:00 +0000") or a syslog date without a year ("Dec  6 04:00:00",
    read in ``year``); in UTC. None when it cannot be read."""
    if isinstance(value, datetime):  # a store may give datetimes rather than ISO text
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()[:40]
    try:
        if text[:1].isdigit():
            if len(text) > 20 and text[-6:-5] == " " and text[-5:-4] in "+-":
                text = text[:-6] + text[-5:]
            dt = datetime.fromisoformat(text)
        else:
            mon = _SYSLOG_MONTHS.get(text[:3])
            if mon is None:
                return None
            day, clock = text[3:].split(None, 1)
            hh, mm, ss = clock[:8].split(":")
            dt = datetime(year, mon, int(day), int(hh), int(mm), int(ss[:2]), tzinfo=UTC)
    except (ValueError, TypeError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def reply_key(text: Any) -> str:
    """A reply text as it is grouped: addresses masked, white space folded, capped."""
    if not isinstance(text, str) or not text.strip():
        return ""
    text = _SPACE_RE.sub(" ", text[: MAX_TEXT * 4]).strip()
    return _ADDR_RE.sub("<address>", text)[:MAX_TEXT]


def _domain(addr: Any) -> str | None:
    if not isinstance(addr, str) or "@" not in addr:
        return None
    return addr.rsplit("@", 1)[1].strip("<> ").lower()[:255] or None


def _bump(counters: dict[str, Counter[str]], key: str, reason: str) -> None:
    c = counters.get(key)
    if c is None:
        if len(counters) >= MAX_DISTINCT:
            key = "(other)"
            c = counters.setdefault(key, Counter())
        else:
            c = counters[key] = Counter()
    c[reason] += 1


@dataclass
class _Action:
    reason: str
    provider: str | None
    count: int = 0
    hard: int = 0
    advice: Counter[str] = field(default_factory=Counter)
    rhosts: Counter[str] = field(default_factory=Counter)
    replies: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Aggregator:
    """Feed it record dicts with ``add``; ``finish`` gives the report dict."""

    max_addresses: int = 10_000
    year: int = field(default_factory=lambda: datetime.now(UTC).year)
    records: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    messages: int = 0  # messages told by their (file, position): a record of a new one follows another's
    last_message: Any = None
    queue_ids: set[Any] = field(default_factory=set)  # log records: a message is a queue id
    errors: Counter[str] = field(default_factory=Counter)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    reason_kinds: dict[str, Counter[str]] = field(default_factory=dict)
    hard: Counter[str] = field(default_factory=Counter)
    who: Counter[str] = field(default_factory=Counter)
    providers: dict[str, Counter[str]] = field(default_factory=dict)
    provider_names: dict[str, Counter[str]] = field(default_factory=dict)
    domains: dict[str, Counter[str]] = field(default_factory=dict)
    hours: Counter[tuple[int, str]] = field(default_factory=Counter)
    undated: int = 0
    replies: dict[str, Counter[str]] = field(default_factory=dict)
    reply_hosts: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    actions: dict[tuple[str, str | None], _Action] = field(default_factory=dict)
    addresses: dict[str, list[Any]] = field(default_factory=dict)  # address -> [reason, last date, count]

    # -- feeding ---------------------------------------------------------------------

    def add_input(self, name: str, kind: str, error: str | None = None) -> None:
        self.inputs.append({"name": name, "kind": kind, "error": error})
        if error:
            self.errors["unreadable inputs"] += 1

    def add_bad_line(self, n: int = 1) -> None:
        self.errors["unreadable lines"] += n

    def add(self, d: dict[str, Any]) -> None:
        d = normalise(d)
        kind = d.get("kind") or "error"
        self.records += 1
        self.kinds[kind] += 1
        # The records of one message come one after another (parse, the pipeline, a store read
        # in order); those of one queue id in a log do not, so these are kept as a set.
        qkey = d.get("message_key")
        if qkey is not None:
            self.queue_ids.add(qkey)
        else:
            key = (d.get("file"), d.get("index")) if d.get("index") is not None else None
            if key is None or key != self.last_message:
                self.messages += 1
            self.last_message = key
        if kind == "error":
            self.errors["error records"] += 1
        if kind not in FAILURE_KINDS:
            return
        reason = d.get("reason") or "undefined"
        self.reasons[reason] += 1
        rk = self.reason_kinds.get(reason)
        if rk is None:
            rk = self.reason_kinds[reason] = Counter()
        rk[kind] += 1
        hard = bool(d.get("hardbounce")) and kind == "bounce"
        if hard:
            self.hard[reason] += 1
        who = d.get("who_acts") or reason_who(reason) or "nobody"
        self.who[who] += 1
        prov_raw = d.get("provider") or ""
        prov = prov_raw.strip().lower()[:64] or UNKNOWN
        _bump(self.providers, prov, reason)
        if prov_raw and prov in self.providers:
            self.provider_names.setdefault(prov, Counter())[prov_raw.strip()[:64]] += 1
        rcpt = d.get("recipient")
        _bump(self.domains, _domain(rcpt) or UNKNOWN, reason)
        dt = parse_time(d.get("timestamp"), self.year)
        if dt is None:
            self.undated += 1
        else:
            self.hours[(int(dt.timestamp()) // 3600, reason)] += 1
        text = reply_key(d.get("diagnosticcode"))
        rhost = (d.get("rhost") or "").strip().lower()[:255]
        if text:
            rc = self.replies.setdefault(reason, Counter())
            if text in rc or len(rc) < MAX_DISTINCT:
                rc[text] += 1
                if rhost:
                    hc = self.reply_hosts.setdefault((reason, text), Counter())
                    if rhost in hc or len(hc) < 100:
                        hc[rhost] += 1
        akey = (reason, prov if who in PER_PROVIDER and not _per_address(reason) else None)
        act = self.actions.get(akey)
        if act is None:
            act = self.actions[akey] = _Action(reason, akey[1])
        act.count += 1
        act.hard += hard
        advice = d.get("advice")
        if isinstance(advice, list) and advice and isinstance(advice[0], str):
            act.advice[advice[0][:400]] += 1
        elif isinstance(advice, str) and advice.strip():
            act.advice[advice.strip()[:400]] += 1
        if rhost and (rhost in act.rhosts or len(act.rhosts) < 1000):
            act.rhosts[rhost] += 1
        if text and (text in act.replies or len(act.replies) < 1000):
            act.replies[text] += 1
        if len(act.samples) < SAMPLES:
            act.samples.append({
                "recipient": rcpt, "timestamp": dt.strftime("%Y-%m-%d %H:%M") if dt else None,
                "status": d.get("status") or d.get("replycode"), "rhost": rhost or None,
                "reply": text or None, "file": d.get("file"), "index": d.get("index"),
            })
        if hard and isinstance(rcpt, str) and "@" in rcpt:
            addr = rcpt.strip().strip("<>").lower()[:320]
            stamp = dt.strftime("%Y-%m-%d") if dt else ""
            entry = self.addresses.get(addr)
            if entry is None:
                self.addresses[addr] = [reason, stamp, 1]
            else:
                entry[2] += 1
                if stamp > entry[1]:
                    entry[0], entry[1] = reason, stamp

    # -- results ---------------------------------------------------------------------

    def finish(self, *, generated: datetime | None = None) -> dict[str, Any]:
        failures = sum(self.reasons.values())
        hard_total = sum(self.hard.values())
        order = [r for r, _ in self.reasons.most_common()]
        reasons = []
        for name, n in self.reasons.most_common():
            rk = self.reason_kinds.get(name, Counter())
            reasons.append({
                "reason": name, "title": reason_title(name), "count": n, "hard": self.hard[name],
                "bounce": rk["bounce"], "delayed": rk["delayed"],
                "who_acts": reason_who(name) or "nobody",
                "share": _share(n, failures),
            })
        addresses = sorted(self.addresses.items())
        return {
            "generated": (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
            "inputs": self.inputs,
            "totals": {
                "messages": self.messages + len(self.queue_ids),
                "records": self.records,
                "kinds": dict(self.kinds.most_common()),
                "failures": failures,
                "hard": hard_total,
                "soft": failures - hard_total,
                "errors": dict(self.errors.most_common()),
                "addresses": len(self.addresses),
            },
            "reasons": reasons,
            "reason_order": order,
            "hard_soft": [
                {"label": "hard (the address will not work)", "key": "hard", "count": hard_total},
                {"label": "soft (may work later or after a fix)", "key": "soft", "count": failures - hard_total},
            ],
            "who_acts": [
                {"who": w, "label": WHO_LABELS.get(w, w), "count": n, "share": _share(n, failures)}
                for w, n in self.who.most_common()
            ],
            "providers": self._groups(self.providers, self.provider_names),
            "domains": self._groups(self.domains, {}),
            "timeline": self._timeline(),
            "replies": self._replies(order),
            "actions": self._actions(failures),
            "remove": {
                "count": len(addresses),
                "shown": min(len(addresses), self.max_addresses),
                "rows": [[a, r, s, c] for a, (r, s, c) in addresses[: self.max_addresses]],
            },
        }

    def _groups(self, groups: dict[str, Counter[str]], names: dict[str, Counter[str]]) -> dict[str, Any]:
        totals = Counter({k: sum(c.values()) for k, c in groups.items()})
        rows = []
        for key, n in totals.most_common(TOP_GROUPS):
            label = names[key].most_common(1)[0][0] if key in names else key
            rows.append({"name": label, "count": n, "mix": dict(groups[key].most_common())})
        return {"distinct": len(groups), "rows": rows, "rest": sum(totals.values()) - sum(r["count"] for r in rows)}

    def _timeline(self) -> dict[str, Any]:
        if not self.hours:
            return {"unit": None, "rows": [], "undated": self.undated, "outside": 0, "spikes": []}
        first, last = self._period()
        outside = sum(n for (h, _), n in self.hours.items() if h < first or h > last)
        span_h = last - first + 1
        unit = "hour" if span_h <= 72 else "day" if span_h <= 24 * 120 else "week" if span_h <= 24 * 7 * 150 else "month"
        buckets: dict[str, Counter[str]] = {}
        for (h, reason), n in self.hours.items():
            if h < first or h > last:
                continue
            label = _bucket(h, unit)
            buckets.setdefault(label, Counter())[reason] += n
        labels = _all_buckets(first, last, unit) if unit != "month" or span_h < 24 * 366 * 40 else sorted(buckets)
        rows = [{"bucket": b, "count": sum(buckets.get(b, Counter()).values()), "mix": dict(buckets.get(b, Counter()))}
                for b in labels]
        counts = sorted(r["count"] for r in rows if r["count"])
        median = counts[len(counts) // 2] if counts else 0
        mad = sorted(abs(c - median) for c in counts)[len(counts) // 2] if counts else 0
        # a spike: far above the usual bucket - beyond the median by four median absolute
        # deviations and by half the median - and at least SPIKE_MIN failures
        limit = max(SPIKE_MIN, median + max(4 * mad, median / 2))
        spikes = [
            {"bucket": r["bucket"], "count": r["count"], "times_median": round(r["count"] / median, 1) if median else None}
            for r in rows if r["count"] >= limit
        ]
        spikes.sort(key=lambda s: -s["count"])
        return {
            "unit": unit, "rows": rows, "undated": self.undated, "median": median, "spikes": spikes[:10],
            "outside": outside, "first": _bucket(first, "hour"), "last": _bucket(last, "hour"),
        }

    def _period(self) -> tuple[int, int]:
        """The first and last hour drawn: all of them, but for dates far before or after the
        core that holds all but OUTLIERS of the dated failures at each end (a wrong clock or a
        broken Date header would otherwise stretch the axis over years)."""
        per_hour: Counter[int] = Counter()
        for (h, _), n in self.hours.items():
            per_hour[h] += n
        hours = sorted(per_hour)
        allowed = int(sum(per_hour.values()) * OUTLIERS)
        lo, dropped = 0, 0
        while lo < len(hours) - 1 and dropped + per_hour[hours[lo]] <= allowed:
            dropped += per_hour[hours[lo]]
            lo += 1
        hi, dropped = len(hours) - 1, 0
        while hi > lo and dropped + per_hour[hours[hi]] <= allowed:
            dropped += per_hour[hours[hi]]
            hi -= 1
        # only dates far from that core are left out: within half its span (a day at least) they stay
        margin = max(24, (hours[hi] - hours[lo]) // 2)
        first = min(h for h in hours if h >= hours[lo] - margin)
        last = max(h for h in hours if h <= hours[hi] + margin)
        return first, last

    def _replies(self, order: list[str]) -> list[dict[str, Any]]:
        out = []
        for reason in order:
            rc = self.replies.get(reason)
            if not rc:
                continue
            top = []
            for text, n in rc.most_common(TOP_REPLIES):
                hosts = self.reply_hosts.get((reason, text), Counter())
                top.append({"text": text, "count": n, "rhosts": [h for h, _ in hosts.most_common(3)],
                            "more_hosts": max(0, len(hosts) - 3)})
            out.append({"reason": reason, "title": reason_title(reason), "count": self.reasons[reason],
                        "distinct": len(rc), "top": top})
        return out

    def _actions(self, failures: int) -> list[dict[str, Any]]:
        ranked = sorted(self.actions.values(), key=lambda a: (-a.count, a.reason, a.provider or ""))
        out: list[dict[str, Any]] = []
        for a in ranked:
            who = reason_who(a.reason) or "nobody"
            if a.reason in ("delivered", "vacation", "feedback"):
                continue
            if len(out) >= MAX_ACTIONS:
                break
            i = len(out) + 1
            top_reply = a.replies.most_common(1)[0][0] if a.replies else ""
            advice = a.advice.most_common(1)[0][0] if a.advice else _advice_for(a.reason, top_reply)
            name = self.provider_names[a.provider].most_common(1)[0][0] if a.provider in self.provider_names else a.provider
            if name == UNKNOWN:
                name = "receivers not identified"
            out.append({
                "id": f"act-{i}", "reason": a.reason, "title": reason_title(a.reason), "provider": name,
                "count": a.count, "hard": a.hard, "share": _share(a.count, failures), "who_acts": who,
                "who_label": WHO_LABELS.get(who, who), "advice": advice,
                "remove": a.hard == a.count and a.hard > 0,
                "rhosts": [[h, n] for h, n in a.rhosts.most_common(5)], "more_rhosts": max(0, len(a.rhosts) - 5),
                "top_reply": top_reply, "samples": a.samples,
            })
        return out


def _share(n: int, total: int) -> float:
    return round(100.0 * n / total, 1) if total else 0.0


def _advice_for(reason: str, reply: str) -> str:
    """Advice when the records carry none (``scan-log`` output): the diagnosis engine's
    first advice for the group's most common reply, else the reason's own summary."""
    if reply:
        try:
            from bouncewise.diagnosis import diagnose

            d = diagnose(reply)
            if d.reason == reason and d.advice:
                return d.advice[0]
        except Exception:  # the report never fails for want of advice
            pass
    try:
        return _reasons.get(reason).summary
    except KeyError:
        return ""


def _bucket(hour: int, unit: str) -> str:
    dt = datetime.fromtimestamp(hour * 3600, UTC)
    if unit == "hour":
        return dt.strftime("%Y-%m-%d %H:00")
    if unit == "day":
        return dt.strftime("%Y-%m-%d")
    if unit == "week":
        monday = dt - timedelta(days=dt.weekday())
        return monday.strftime("%Y-%m-%d")
    return dt.strftime("%Y-%m")


def _all_buckets(first: int, last: int, unit: str) -> list[str]:
    """Every bucket from the first to the last (empty ones too, so gaps show as gaps)."""
    out: list[str] = []
    if unit == "month":
        a = datetime.fromtimestamp(first * 3600, UTC)
        b = datetime.fromtimestamp(last * 3600, UTC)
        y, m = a.year, a.month
        while (y, m) <= (b.year, b.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    step = {"hour": 1, "day": 24, "week": 24 * 7}[unit]
    h = first
    seen = set()
    while h <= last + step:
        label = _bucket(h, unit)
        if label not in seen:
            seen.add(label)
            out.append(label)
        h += step
    last_label = _bucket(last, unit)
    return out[: out.index(last_label) + 1] if last_label in out else out
