"""Marking the evidence of a diagnosis in the text it came from.

Evidence items carry the phrase they matched ({"rule", "matched", "source"}); this finds each
phrase in the text (plain substring search, case-insensitive, no regex) and cuts the text into
segments the template renders, marked segments as <mark>. Escaping is left to the template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 50_000
MAX_EVIDENCE = 50
MAX_OCCURRENCES = 20  # marks per phrase


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    rule: str | None = None  # set for a marked segment: the rule whose evidence it is

    @property
    def marked(self) -> bool:
        return self.rule is not None


def _needle(part: str, folded: bool) -> str:
    needle = part.lower() if folded else part
    return needle if len(needle) == len(part) else part


def _spans(text: str, evidence: Iterable[dict[str, Any]]) -> list[tuple[int, int, str]]:
    # str.lower() may change a string's length (e.g. "İ"); then fall back to exact search.
    lowered = text.lower()
    folded = len(lowered) == len(text)
    haystack = lowered if folded else text
    spans: list[tuple[int, int, str]] = []
    for item in list(evidence)[:MAX_EVIDENCE]:
        if not isinstance(item, dict):
            continue
        phrase = item.get("matched")
        if not isinstance(phrase, str):
            continue
        rule = str(item.get("rule") or item.get("source") or "evidence")
        parts = [p.strip() for p in phrase.replace("...", "\u2026").split("\u2026")]
        parts = [p for p in parts if len(p) >= 2 or (len(parts) == 1 and p)]
        if len(parts) == 1:
            # one phrase: mark every occurrence
            needle = _needle(parts[0], folded)
            start = haystack.find(needle)
            found = 0
            while start != -1 and found < MAX_OCCURRENCES:
                found += 1
                spans.append((start, start + len(needle), rule))
                start = haystack.find(needle, start + len(needle))
        else:
            # "user … unknown": a phrase matched in parts, in this order; mark each part
            pos = 0
            for part in parts:
                needle = _needle(part, folded)
                start = haystack.find(needle, pos)
                if start == -1:
                    break
                spans.append((start, start + len(needle), rule))
                pos = start + len(needle)
    return spans


def segments(text: str, evidence: Iterable[dict[str, Any]] | None) -> list[Segment]:
    """``text`` cut into plain and marked segments; overlapping matches are merged, the
    first rule naming the merged span."""
    text = text[:MAX_TEXT]
    spans = sorted(_spans(text, evidence or []))
    merged: list[list[Any]] = []
    for start, end, rule in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, rule])
    out: list[Segment] = []
    pos = 0
    for start, end, rule in merged:
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], rule))
        pos = end
    if pos < len(text) or not out:
        out.append(Segment(text[pos:]))
    return out
