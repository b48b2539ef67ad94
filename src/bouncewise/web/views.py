"""Turning engine dicts (``to_dict()`` output) into what the templates show.

The templates never index engine fields directly: these helpers pick the first of several
likely field names and leave anything unrecognised to a generic renderer, so a renamed or new
engine field degrades to "shown under More" instead of breaking a page.
"""

from __future__ import annotations

import re
from typing import Any

from bouncewise.diagnosis.words import evidence_words
from bouncewise.web.highlight import segments

# (label, candidate field names) in the order a code page shows them
EXPLANATION_SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("Meaning", ("meaning", "description", "text", "detail")),
    ("Typical causes", ("causes", "cause")),
    ("Troubleshooting", ("troubleshooting", "fix", "fixes", "steps", "what_to_do", "advice")),
    ("Who acts", ("who_acts", "who")),
    ("Retry", ("retry", "retry_advice")),
    ("Vendor readings", ("vendors", "vendor_readings", "readings", "vendor_notes")),
    ("Examples", ("examples", "example", "samples")),
    ("Codes in this family", ("members", "entries", "family_members", "children")),
    ("Related codes", ("related", "see_also")),
    ("Sources", ("sources", "references", "source", "refs")),
]
TITLE_KEYS = ("title", "name", "summary", "short")
CODE_KEYS = ("code", "query", "status", "replycode", "codes")
CLASS_KEYS = ("class", "cls", "klass", "severity", "class_name")
CATEGORY_KEYS = ("category", "subject", "category_name")
# shown in the header, not again under "More"
HEADER_KEYS = set(TITLE_KEYS + CODE_KEYS + CLASS_KEYS + CATEGORY_KEYS) | {
    "kind",
    "temporary",
    "permanent",
    "vendor",
    "known",
    "found",
}

# A code or a family: 550, 55x, 5xx, 5.1.1, 5.1.x, X.1.1 (no nested quantifiers).
_CODE = re.compile(r"[245][0-9xX][0-9xX]|[245xX]\.(?:[0-9]{1,3}|[xX])\.(?:[0-9]{1,3}|[xX])")
CLASS_NAMES = {"2": "Success", "4": "Temporary failure", "5": "Permanent failure"}
CLASS_WORDS = {
    "success": ("2", "Success"),
    "intermediate": ("3", "Intermediate"),
    "transient": ("4", "Temporary failure"),
    "temporary": ("4", "Temporary failure"),
    "permanent": ("5", "Permanent failure"),
}
KIND_LABELS = {"basic": "reply code", "enhanced": "enhanced status code", "non-standard": "non-standard code"}
RETRY_LABELS = {"no": "no, not as it is", "later": "yes, later", "after-fix": "after fixing the cause"}


def pick(d: dict[str, Any], keys: tuple[str, ...], default: Any = None) -> Any:
    for k in keys:
        v = d.get(k)
        if v not in (None, "", [], {}):
            return v
    return default


def is_code(value: Any) -> bool:
    return isinstance(value, str) and bool(_CODE.fullmatch(value.strip()))


def code_of(d: dict[str, Any]) -> str | None:
    v = pick(d, CODE_KEYS)
    if isinstance(v, list):
        v = " ".join(str(x) for x in v)
    return str(v) if v is not None else None


def class_digit(d: dict[str, Any]) -> str | None:
    v = pick(d, CLASS_KEYS)
    if isinstance(v, int | str) and str(v)[:1] in CLASS_NAMES:
        return str(v)[:1]
    if isinstance(v, str) and v.lower() in CLASS_WORDS:
        return CLASS_WORDS[v.lower()][0]
    code = code_of(d) or ""
    c = code.strip()[:1]
    return c if c in CLASS_NAMES else None


def class_label(d: dict[str, Any]) -> str | None:
    v = pick(d, CLASS_KEYS)
    if isinstance(v, str) and v.lower() in CLASS_WORDS:
        return CLASS_WORDS[v.lower()][1]
    if isinstance(v, str) and not v[:1].isdigit():
        return v
    c = class_digit(d)
    return CLASS_NAMES.get(c) if c else None


def category_of(d: dict[str, Any]) -> str | None:
    v = pick(d, CATEGORY_KEYS)
    if isinstance(v, dict):
        v = pick(v, ("name", "title"))
    return str(v) if v is not None else None


def title_of(d: dict[str, Any]) -> str | None:
    v = pick(d, TITLE_KEYS)
    return str(v) if isinstance(v, str | int) else None


def entry_summary(d: dict[str, Any]) -> dict[str, Any]:
    """A list row: code, title, class, category, one line of meaning."""
    meaning = pick(d, ("summary", "meaning", "description", "text"))
    if not isinstance(meaning, str):
        meaning = None
    title = title_of(d)
    if meaning == title:
        meaning = None
    return {
        "code": code_of(d),
        "title": title,
        "class": class_digit(d),
        "class_label": class_label(d),
        "category": category_of(d),
        "meaning": meaning,
    }


def explanation_view(d: dict[str, Any]) -> dict[str, Any]:
    used: set[str] = set(HEADER_KEYS)
    sections = []
    for label, keys in EXPLANATION_SECTIONS:
        for k in keys:
            v = d.get(k)
            if v not in (None, "", [], {}):
                sections.append({"label": label, "key": k, "value": v})
                used.add(k)
                break
        used.update(keys)
    more = [
        {"label": k.replace("_", " ").capitalize(), "key": k, "value": v}
        for k, v in d.items()
        if k not in used and v not in (None, "", [], {})
    ]
    return {
        "code": code_of(d),
        "title": title_of(d),
        "class": class_digit(d),
        "class_label": class_label(d),
        "category": category_of(d),
        "sections": sections,
        "more": more,
    }


ENTRY_KEYS_SHOWN = {
    "code", "kind", "cls", "class", "category", "title", "summary", "causes", "troubleshooting",
    "who_acts", "retry", "reason", "related", "vendor_notes", "references", "examples",
    "registered", "vendor", "source", "notes", "since",
}  # fmt: skip


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v] if v else []
    if isinstance(v, list):
        return [x for x in v if isinstance(x, str) and x]
    return []


def entry_view(e: dict[str, Any], readings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One knowledge-base entry (``Entry.to_dict()``) for a code page."""
    code = code_of(e)
    own = {(str(e.get("title") or "")).lower(), (str(e.get("summary") or "")).lower()}
    others = []
    seen_vendors = set()
    for r in readings or []:
        if not isinstance(r, dict) or (r.get("code") and r.get("code") != code):
            continue
        if str(r.get("summary") or "").lower() in own and str(r.get("title") or "").lower() in own:
            continue
        others.append(
            {
                "source": r.get("source") or r.get("vendor") or r.get("relation"),
                "relation": r.get("relation"),
                "vendor": r.get("vendor"),
                "title": r.get("title"),
                "summary": r.get("summary"),
            }
        )
        if r.get("vendor"):
            seen_vendors.add(r["vendor"])
    notes = e.get("vendor_notes")
    vendor_notes = (
        [(k, v) for k, v in notes.items() if k not in seen_vendors and isinstance(v, str)]
        if isinstance(notes, dict)
        else []
    )
    reason = e.get("reason") if isinstance(e.get("reason"), str) else None
    retry = e.get("retry") if isinstance(e.get("retry"), str) else None
    return {
        "code": code,
        "title": title_of(e),
        "summary": e.get("summary") if isinstance(e.get("summary"), str) else None,
        "class": class_digit(e),
        "class_label": class_label(e),
        "category": category_of(e),
        "kind": e.get("kind"),
        "kind_label": KIND_LABELS.get(str(e.get("kind")), e.get("kind")),
        "registered": e.get("registered", True),
        "who_acts": e.get("who_acts"),
        "retry": retry,
        "retry_label": RETRY_LABELS.get(retry or "", retry),
        "reason": reason,
        "reason_title": _reason_title(reason),
        "causes": _strings(e.get("causes")),
        "troubleshooting": _strings(e.get("troubleshooting")),
        "examples": _strings(e.get("examples")),
        "related": _strings(e.get("related")),
        "references": _strings(e.get("references")),
        "notes": _strings(e.get("notes")),
        "since": e.get("since"),
        "vendor": e.get("vendor"),
        "readings": others,
        "vendor_notes": vendor_notes,
        "more": [
            {"label": k.replace("_", " ").capitalize(), "key": k, "value": v}
            for k, v in e.items()
            if k not in ENTRY_KEYS_SHOWN and v not in (None, "", [], {})
        ],
    }


def code_page_view(d: dict[str, Any], query: str) -> dict[str, Any]:
    """``Explanation.to_dict()`` -> the code page. An explanation without ``entries`` (an
    engine of another shape) falls back to the generic view."""
    entries = [e for e in d.get("entries") or [] if isinstance(e, dict)]
    readings = [r for r in d.get("readings") or [] if isinstance(r, dict)]
    kind = d.get("kind") or "code"
    codes = _strings(d.get("codes"))
    heading = " ".join(codes) or str(d.get("query") or query)
    view: dict[str, Any] = {
        "query": d.get("query") or query,
        "heading": heading,
        "kind": kind,
        "notes": _strings(d.get("notes")),
        "ambiguous": bool(d.get("ambiguous")),
        "agree": d.get("agree"),
        "vendor": d.get("vendor"),
        "entries": [],
        "family": [],
        "generic": None,
    }
    if not entries:
        view["generic"] = explanation_view(d)
        view["title"] = view["generic"]["title"]
        view["class"] = view["generic"]["class"]
        return view
    if kind == "family":
        view["family"] = [entry_summary(e) for e in entries]
        view["title"] = f"{len(entries)} code{'s' if len(entries) != 1 else ''} in this family"
        first = heading.strip()[:1]
        view["class"] = first if first in CLASS_NAMES else None
        return view
    view["entries"] = [entry_view(e, readings) for e in entries]
    first = view["entries"][0]
    # a pair ("550 5.7.1"): the enhanced code, the more specific of the two, names the page
    view["title"] = view["entries"][-1]["title"]
    view["class"] = first["class"]
    return view


def result_view(item: dict[str, Any]) -> dict[str, Any]:
    """One result of the paste box (a diagnosis or a record) -> what the page shows."""
    data: dict[str, Any] = item.get("data") or {}
    text: str = item.get("text") or ""
    evidence = data.get("evidence") or []
    if not isinstance(evidence, list):
        evidence = []
    advice = data.get("advice") or []
    if isinstance(advice, str):
        advice = [advice]
    status = data.get("status")
    replycode = data.get("replycode")
    return {
        "kind": data.get("kind") or item.get("kind"),
        "recipient": data.get("recipient"),
        "reason": data.get("reason"),
        "reason_title": _reason_title(data.get("reason")),
        "hardbounce": data.get("hardbounce"),
        "retry": data.get("retry"),
        "retry_after": data.get("retry_after"),
        "who_acts": data.get("who_acts"),
        "category": data.get("category"),
        "explanation": data.get("explanation"),
        "advice": [a for a in advice if isinstance(a, str)],
        "status": status,
        "replycode": replycode,
        "codes": [c for c in (replycode, status) if c],
        "rhost": data.get("rhost"),
        "provider": data.get("provider"),
        "command": data.get("command") or data.get("smtpcommand"),
        "confidence": data.get("confidence"),
        "error": data.get("error"),
        "decided_by": data.get("decided_by"),
        "engine": data.get("engine"),
        "evidence": [{**e, "words": evidence_words(e)} for e in evidence if isinstance(e, dict)],
        "segments": segments(text, evidence),
        "text": text,
        "data": data,
    }


def _reason_title(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    from bouncewise import reasons

    try:
        return reasons.get(name).title
    except KeyError:
        return None
