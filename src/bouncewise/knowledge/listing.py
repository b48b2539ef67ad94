"""``codes``: listing and searching the knowledge base."""

from __future__ import annotations

from typing import Any

from bouncewise.knowledge.entries import CLASSES, Entry
from bouncewise.knowledge.forms import _BASIC_RE, _RANGE_KEY_RE, _TEMPLATE_RE, _enh_parts
from bouncewise.knowledge.lookups import _apply_layer, _generic_enhanced, _standard, lookup
from bouncewise.knowledge.sources import _check_vendor, _files, _layers

# --------------------------------------------------------------------------- listing
_CLS_ALIASES = {"2": "success", "3": "intermediate", "4": "transient", "5": "permanent"}


def codes(
    query: str | None = None,
    cls: str | None = None,
    category: str | None = None,
    vendor: str | None = None,
) -> list[Entry]:
    """List the knowledge base: every basic and non-standard reply code and every registered
    enhanced code (in each class where it is valid), filtered by class ("5" or "permanent"),
    category (a word such as "security") and keywords (all must appear). With ``vendor``, the
    vendor's own entries are listed instead."""
    v = _check_vendor(vendor)
    want_cls = None
    if cls:
        want_cls = _CLS_ALIASES.get(str(cls).strip().lower(), str(cls).strip().lower())
        if want_cls not in CLASSES:
            raise ValueError(f"unknown class {cls!r}; use 2, 3, 4, 5 or one of {', '.join(CLASSES)}")
    entries: list[Entry] = []
    if v is not None:
        for key, data in _vendor_items(v):
            base = _standard(key) if (_enh_parts(key) or _BASIC_RE.fullmatch(key)) else None
            if base is None:
                base = _placeholder(key)
            entries.append(_apply_layer(base, v, key, data))
    else:
        f = _files()
        for code in sorted(f["basic.toml"]["codes"]) + sorted(f["nonstandard.toml"]["codes"]):
            e = lookup(code)
            if e is not None:
                entries.append(e)
        enh: list[str] = []
        for tpl, reg in f["iana.json"]["codes"].items():
            _x, s, d = tpl.split(".")
            enh.extend(f"{c}.{s}.{d}" for c in reg["classes"])
        enh.sort(key=lambda k: tuple(int(x) for x in k.split(".")))
        entries.extend(e for e in (lookup(k) for k in enh) if e is not None)
    words = [w.lower() for w in (query or "").split()][:16]
    out = []
    for e in entries:
        if want_cls and e.cls != want_cls:
            continue
        if category and category.strip().lower() not in e.category:
            continue
        if words:
            hay = " ".join([e.code, e.title, e.summary, e.category, e.reason or "", *e.causes]).lower()
            if not all(w in hay for w in words):
                continue
        out.append(e)
    return out


def _vendor_items(v: str) -> list[tuple[str, dict[str, Any]]]:
    lay = _layers()[v]
    items = list(lay["exact"].items()) + list(lay["templates"].items()) + [(r[4], r[5]) for r in lay["ranges"]]
    return sorted(items, key=lambda kv: kv[0])


def _placeholder(key: str) -> Entry:
    """A base for a vendor key that is a template ("X.7.27") or a range ("5.7.606-649")."""
    m = _RANGE_KEY_RE.fullmatch(key)
    if m:
        rep = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
    else:
        t = _TEMPLATE_RE.fullmatch(key)
        rep = f"5.{t.group(1)}.{t.group(2)}" if t else "5.0.0"
    base = _standard(rep) or _generic_enhanced(5, 0, 0)
    base.code = key
    base.notes = []
    return base
