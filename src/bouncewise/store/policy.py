"""Suppression policy: a small TOML file (policy.toml here holds the defaults) and the
function that turns one address's history into its decisions.

``decide(rows, policy, since=None)`` reads the address's records in time order:

- a hard bounce suppresses at once (list "bounce", rule "hard");
- soft bounces suppress once ``soft.threshold`` of them fall within ``soft.window_days``
  (list "bounce", rule "soft"); a delivery clears the count and lifts a soft suppression;
- a complaint suppresses at once on its own list ("complaint");
- failures whose reason is in ``sender_side.reasons`` never count against the recipient;
- records before ``since`` (the address's last unsuppress) are not read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ENV_POLICY = "BOUNCEWISE_POLICY"
DEFAULT_FILE = Path(__file__).with_name("policy.toml")


@dataclass(frozen=True, slots=True)
class Policy:
    hard_suppress: bool = True
    hard_extra_reasons: frozenset[str] = frozenset()
    soft_threshold: int = 3
    soft_window_days: float = 15
    soft_reset_on_delivery: bool = True
    soft_count_delays: bool = False
    complaint_suppress: bool = True
    complaint_feedback_types: frozenset[str] = frozenset()
    sender_side: frozenset[str] = frozenset()
    source: str = "defaults"

    @property
    def digest(self) -> str:
        """A short fingerprint of the settings (stored with each decision)."""
        data = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in self.to_dict().items() if k != "source"}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {f: (sorted(getattr(self, f)) if isinstance(getattr(self, f), frozenset) else getattr(self, f))
                for f in self.__dataclass_fields__}


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """The policy in ``path``, env BOUNCEWISE_POLICY, or the packaged defaults; a key the
    file leaves out keeps its default. ValueError for a file that is not a valid policy
    (unknown sections and keys included, so typos are caught)."""
    from bouncewise import reasons

    chosen = path or os.environ.get(ENV_POLICY) or DEFAULT_FILE
    data = _read(DEFAULT_FILE)
    if Path(chosen) != DEFAULT_FILE:  # a key the file leaves out keeps its default
        for section, body in _read(chosen).items():
            if isinstance(body, dict) and isinstance(data.get(section), dict):
                data[section] = {**data[section], **body}
            else:
                data[section] = body
    allowed = {
        "meta": None,
        "hard": {"suppress", "extra_reasons"},
        "soft": {"threshold", "window_days", "reset_on_delivery", "count_delays"},
        "complaint": {"suppress", "feedback_types"},
        "sender_side": {"reasons"},
    }
    for section, body in data.items():
        if section not in allowed:
            raise ValueError(f"policy {chosen}: unknown section [{section}]")
        keys = allowed[section]
        if keys is not None and isinstance(body, dict):
            extra = set(body) - keys
            if extra:
                raise ValueError(f"policy {chosen}: unknown key(s) in [{section}]: {', '.join(sorted(extra))}")
    hard, soft = data.get("hard", {}), data.get("soft", {})
    complaint, sender = data.get("complaint", {}), data.get("sender_side", {})
    known = set(reasons.names())
    for label, names in (("hard.extra_reasons", hard.get("extra_reasons", [])), ("sender_side.reasons", sender.get("reasons", []))):
        unknown = set(names) - known
        if unknown:
            raise ValueError(f"policy {chosen}: {label}: unknown reason(s) {', '.join(sorted(unknown))}")
    both = set(hard.get("extra_reasons", [])) & set(sender.get("reasons", []))
    if both:
        raise ValueError(f"policy {chosen}: {', '.join(sorted(both))} both in hard.extra_reasons and sender_side.reasons")
    threshold = soft.get("threshold", 3)
    window = soft.get("window_days", 15)
    if not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"policy {chosen}: soft.threshold must be a whole number >= 1")
    if not isinstance(window, int | float) or window <= 0:
        raise ValueError(f"policy {chosen}: soft.window_days must be a number > 0")
    return Policy(
        hard_suppress=bool(hard.get("suppress", True)),
        hard_extra_reasons=frozenset(hard.get("extra_reasons", [])),
        soft_threshold=threshold,
        soft_window_days=float(window),
        soft_reset_on_delivery=bool(soft.get("reset_on_delivery", True)),
        soft_count_delays=bool(soft.get("count_delays", False)),
        complaint_suppress=bool(complaint.get("suppress", True)),
        complaint_feedback_types=frozenset(str(t).lower() for t in complaint.get("feedback_types", [])),
        sender_side=frozenset(sender.get("reasons", [])),
        source=str(chosen),
    )


def _read(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"policy {path}: {exc}") from None


@dataclass(slots=True)
class Decision:
    """One suppression of one address on one list ("bounce" or "complaint")."""

    address: str
    list: str
    rule: str  # hard | soft | complaint | extra
    reason: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    evidence: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address, "list": self.list, "rule": self.rule, "reason": self.reason,
            "count": self.count, "first_seen": self.first_seen.isoformat(), "last_seen": self.last_seen.isoformat(),
            "evidence": list(self.evidence),
        }


def decide(address: str, rows: list[dict[str, Any]], policy: Policy, since: datetime | None = None) -> list[Decision]:
    """Decisions for one address from its records (dicts with id, kind, reason, hardbounce,
    feedbacktype, occurred_at), read in (occurred_at, id) order."""
    window = timedelta(days=policy.soft_window_days)
    bounce: Decision | None = None
    complaint: Decision | None = None
    soft: list[tuple[datetime, int, str | None]] = []
    for row in sorted(rows, key=lambda r: (r["occurred_at"], r["id"])):
        when: datetime = row["occurred_at"]
        if since is not None and when <= since:
            continue
        kind, reason = row["kind"], row.get("reason")
        if kind == "delivered":
            if policy.soft_reset_on_delivery:
                soft.clear()
                if bounce is not None and bounce.rule == "soft":
                    bounce = None
            continue
        if kind == "feedback":
            ftype = (row.get("feedbacktype") or "").lower()
            if policy.complaint_suppress and ftype in policy.complaint_feedback_types:
                if complaint is None:
                    complaint = Decision(address, "complaint", "complaint", "feedback", 0, when, when, [])
                complaint.count += 1
                complaint.last_seen = when
                complaint.evidence.append(row["id"])
            continue
        if kind not in ("bounce", "delayed") or reason in policy.sender_side:
            continue
        if kind == "bounce" and ((row.get("hardbounce") and policy.hard_suppress) or reason in policy.hard_extra_reasons):
            rule = "hard" if row.get("hardbounce") else "extra"
            if bounce is None or bounce.rule == "soft":
                bounce = Decision(address, "bounce", rule, reason, 0, when, when, [])
            bounce.count += 1
            bounce.last_seen = when
            bounce.evidence.append(row["id"])
            continue
        if kind == "delayed" and not policy.soft_count_delays:
            continue
        if bounce is not None and bounce.rule != "soft":
            continue  # already suppressed for good
        soft.append((when, row["id"], reason))
        soft = [s for s in soft if when - s[0] <= window]
        if bounce is not None:  # suppressed by soft bounces already: more evidence
            bounce.count += 1
            bounce.last_seen = when
            bounce.evidence.append(row["id"])
        elif len(soft) >= policy.soft_threshold:
            bounce = Decision(address, "bounce", "soft", soft[-1][2], len(soft), soft[0][0], when, [s[1] for s in soft])
    return [d for d in (bounce, complaint) if d is not None]
