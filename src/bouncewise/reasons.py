"""The bounce-reason vocabulary (Sisimai's 34 names) and the hard/soft rule."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bouncewise._data import load_toml


@dataclass(frozen=True, slots=True)
class Reason:
    name: str
    title: str
    summary: str
    category: str
    hardbounce: str  # "yes" | "no" | "if-permanent"
    retry: str  # "no" | "later" | "after-fix"
    who_acts: str
    esp_class: str

    def to_dict(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


@cache
def _reasons() -> dict[str, Reason]:
    raw = load_toml("reasons.toml")["reasons"]
    return {name: Reason(name=name, **fields) for name, fields in raw.items()}


def get(name: str) -> Reason:
    """The Reason for a name; KeyError for a name outside the vocabulary."""
    return _reasons()[name]


def names() -> list[str]:
    return sorted(_reasons())


def is_hardbounce(
    reason: str | None, status: str | None = None, replycode: str | None = None, *, action: str | None = None
) -> bool:
    """Sisimai's rule: hard only for reasons meaning the address can never work.

    For reasons that are hard only when permanent ("if-permanent"), the class of the status
    (or else the reply code) decides; when the notice gives neither, its own verdict does:
    ``action="failed"`` (a permanent failure notice) counts as class 5, "delayed" as 4."""
    if not reason or reason not in _reasons():
        return False
    rule = _reasons()[reason].hardbounce
    if rule == "yes":
        return True
    if rule == "if-permanent":
        cls = (status or replycode or "")[:1]
        if not cls:
            cls = {"failed": "5", "delayed": "4"}.get((action or "").strip().lower(), "")
        return cls == "5"
    return False


class _Names:
    """``bouncewise.REASONS``: the reason names, loaded on first use."""

    def __iter__(self):
        return iter(names())

    def __len__(self) -> int:
        return len(_reasons())

    def __contains__(self, name: object) -> bool:
        return name in _reasons()

    def __repr__(self) -> str:
        return f"REASONS({names()!r})"


REASONS = _Names()
