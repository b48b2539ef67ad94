"""Evidence in words: what a diagnosis saw and what it points to, for people (the terminal and
the web page); the rule identifiers stay in the JSON."""

from __future__ import annotations

from typing import Any

_PHRASE_KINDS = ("phrase", "weak", "not", "special", "provider", "marker")


def evidence_words(ev: dict[str, Any]) -> str:
    """One piece of evidence in words: what was seen and what it points to, without the
    internal rule identifier (``--json`` keeps that)."""
    rule = str(ev.get("rule", ""))
    seen = " ".join(str(ev.get("matched", "")).split())
    kind, _, detail = rule.partition(":")
    detail = detail.split("@", 1)[0]  # drop where the rule lives (file and key)
    words = detail.replace("-", " ")
    if kind == "code":
        what = {"status": "the text carries the enhanced status code", "reply": "the text carries the reply code",
                "reply-ignored": "a reply code in the text was left aside:"}.get(detail, f"code {words}:")
        return f"{what} {seen}"
    if kind in _PHRASE_KINDS:
        if kind == "not":
            return f"the words '{seen}' rule out {detail}"
        if kind in ("provider", "marker"):
            return f"the words '{seen}' are {detail}'s"
        return f"the words '{seen}' point to {detail}" if detail else f"the words '{seen}'"
    if kind == "status":
        return f"the status code {seen} decides the reason"
    if kind == "replycode":
        return f"the reply code {seen} decides the reason"
    if kind == "note":
        return f"note: {seen}"
    if kind == "context":
        return f"{words}: {seen}" if seen else words
    if kind == "provider-code":
        return f"a code of {detail}: {seen}"
    if kind == "provider-context":
        return f"{detail}'s own reading of {seen}" if seen else f"{detail}'s own reading"
    if kind == "log":
        return f"a {detail} log line" + (f", state {seen}" if seen else "")
    if rule == "also-matched":
        return f"other reasons also fit: {seen.replace(',', ', ')}"
    if rule == "internal-error":
        return f"internal error: {seen}"
    if rule == "unreadable":
        return f"the text could not be read ({seen})"
    label = rule.split("@", 1)[0].replace(":", " ").replace("-", " ")
    return f"{label}: {seen}" if seen else label
