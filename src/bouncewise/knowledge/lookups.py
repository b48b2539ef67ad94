"""Building the entry for one exact code: the standard reading (registered or generic), a
vendor layer on top, and ``lookup``."""

from __future__ import annotations

from typing import Any

from bouncewise.knowledge.entries import Entry
from bouncewise.knowledge.forms import (
    _BASIC_RE,
    _IANA_REF,
    MAX_QUERY,
    _basic_grammar,
    _enh_parts,
    _normal_enh,
)
from bouncewise.knowledge.sources import _files, _iana, _layer_entry, _layer_names, _layers, _resolve_vendor


# --------------------------------------------------------------------------- entry building
def _cls_of_digit(d: str) -> str:
    return {"2": "success", "3": "intermediate", "4": "transient", "5": "permanent"}.get(d, "transient")


def _opt_reason(value: Any) -> str | None:
    return value or None


def _entry_from(code: str, kind: str, cls: str, data: dict[str, Any], **extra: Any) -> Entry:
    defaults = _class_defaults(cls)
    e = Entry(
        code=code,
        kind=kind,
        cls=data.get("cls", cls),
        category=data.get("category", extra.pop("category", "mail system")),
        title=data.get("title", extra.pop("title", code)),
        summary=data.get("summary", ""),
        causes=list(data.get("causes", [])),
        troubleshooting=list(data.get("troubleshooting", [])),
        who_acts=data.get("who_acts", defaults["who_acts"]),
        retry=data.get("retry", defaults["retry"]),
        reason=_opt_reason(data.get("reason")),
        related=list(data.get("related", [])),
        vendor_notes=dict(data.get("vendor_notes", {})),
        references=list(data.get("references", [])),
        examples=list(data.get("examples", [])),
        notes=list(data.get("notes", [])),
        since=data.get("since"),
    )
    for k, v in extra.items():
        setattr(e, k, v)
    return e


def _class_defaults(cls: str) -> dict[str, str]:
    return {
        "success": {"who_acts": "nobody", "retry": "no"},
        "intermediate": {"who_acts": "nobody", "retry": "no"},
        "transient": {"who_acts": "nobody", "retry": "later"},
        "permanent": {"who_acts": "sender", "retry": "after-fix"},
    }[cls]

def _standard_enhanced(c: int, s: int, d: int) -> Entry:
    code = f"{c}.{s}.{d}"
    tpl = f"X.{s}.{d}"
    reg = _iana(tpl)
    gen = _files()["generic.toml"]
    if reg is None:
        return _generic_enhanced(c, s, d)
    base = dict(_files()["enhanced.toml"]["codes"].get(tpl, {}))
    over = base.pop(f"class{c}", {})
    for k in ("class2", "class4", "class5"):
        base.pop(k, None)
    data = {**base, **over}
    cls = _cls_of_digit(str(c))
    subject = gen["subjects"].get(str(s), {})
    if c == 2:
        # A success never inherits the failure reading of its subject: no causes of failure,
        # no steps to fix it, nobody to act and nothing to retry.
        data = {
            "summary": over.get("summary") or f"A success report with the detail '{reg['title']}': the "
            "server accepted the command or the message. Nothing failed.",
            "causes": list(over.get("causes", [])),
            "troubleshooting": list(over.get("troubleshooting", ["Nothing to do."])),
            "related": list(over.get("related", base.get("related", []))),
            "who_acts": "nobody",
            "retry": "no",
            "reason": "delivered",
        }
    elif c == 4:
        if "retry" not in over:
            data["retry"] = "later"
        if "troubleshooting" not in over:
            # the class's own first steps, then the subject's (which are about the cause)
            steps = list(gen["classes"]["4"].get("troubleshooting", []))
            data["troubleshooting"] = steps + [t for t in data.get("troubleshooting", []) if t not in steps]
    if "examples" not in over:
        data["examples"] = _same_class(base.get("examples", []), c)
    e = _entry_from(
        code,
        "enhanced",
        cls,
        data,
        category=subject.get("category", "mail system"),
        title=reg["title"],
        source="iana",
        registered=True,
    )
    refs = list(reg["references"]) + [_IANA_REF]
    e.references = refs + [r for r in e.references if r not in refs]
    if c not in reg["classes"]:
        allowed = "/".join(str(x) for x in reg["classes"])
        e.notes.append(
            f"IANA's registry gives {tpl} for class {allowed} only ({reg['class_basis']}); "
            f"{code} uses it outside that, so read it as the {cls} form of the same problem."
        )
    if reg.get("deprecated"):
        e.notes.append(f"{tpl} is deprecated in the registry" + (
            f"; use {reg['duplicate_of']}." if reg.get("duplicate_of") else "."))
    return e


def _same_class(examples: list[str], c: int) -> list[str]:
    """The examples that show a code of class ``c`` (a "550 5.2.1 ..." line does not illustrate 4.2.1)."""
    return [x for x in examples if not x[:1].isdigit() or x[:1] == str(c)]


def _generic_enhanced(c: int, s: int, d: int) -> Entry:
    gen = _files()["generic.toml"]
    code = f"{c}.{s}.{d}"
    klass = gen["classes"][str(c)]
    subj = gen["subjects"].get(str(s))
    cls = klass["cls"]
    if subj is None:
        title = f"Unregistered code with an undefined subject ({klass['title'].lower()})"
        subj_text = f"Subject {s} is not one RFC 3463 defines (0 to 7), so only the class is meaningful."
        category, who, reason = "mail system", "sender's admin", "undefined"
    else:
        title = f"Unregistered code: {subj['title'].lower()} problem ({klass['title'].lower()})"
        if c == 2:
            title = f"Unregistered code: {subj['title'].lower()} ({klass['title'].lower()})"
        subj_text = f"Subject {s} ({subj['title']}): {subj['summary']}"
        category, who = subj["category"], subj["who_acts"]
        reason = subj.get(f"reason{c}", "undefined")
    if c == 2:
        who, reason = "nobody", "delivered"
    elif c == 4 and who in ("sender",):
        who = "nobody"
    summary = (
        f"{code} is not in IANA's registry of enhanced status codes, so only its parts carry a "
        f"standard meaning. Class {c} ({klass['title']}): {klass['summary']} {subj_text} The detail "
        f"number {d} is the sending server's own choice: the text that came with the code says more."
    )
    related = [f"{c}.{s}.0"] if subj is not None and _iana(f"X.{s}.0") and c in _iana(f"X.{s}.0")["classes"] else []
    return Entry(
        code=code,
        kind="enhanced",
        cls=cls,
        category=category,
        title=title,
        summary=summary,
        causes=[],
        troubleshooting=[
            "Read the text that came with the code: the server that sent it chose its meaning.",
            "Look the exact code up in the documentation of the provider that sent it.",
        ]
        + (["Wait for the retries: the sending server tries again on its own."] if c == 4 else []),
        who_acts=who,
        retry=klass["retry"],
        reason=reason,
        related=related,
        references=["RFC 3463 section 3"],
        registered=False,
        source="generic",
        notes=[f"{code} is not registered: this is a generic reading from its class and subject."],
    )


def _basic_entry(code: str) -> Entry | None:
    f = _files()
    if code in f["basic.toml"]["codes"]:
        data = f["basic.toml"]["codes"][code]
        return _entry_from(code, "basic", _cls_of_digit(code[0]), data, source="rfc", registered=True)
    if code in f["nonstandard.toml"]["codes"]:
        data = f["nonstandard.toml"]["codes"][code]
        return _entry_from(code, "non-standard", _cls_of_digit(code[0]), data,
                           source="reference pages", registered=True)
    if _basic_grammar(code):
        return _generic_basic(code)
    return None


def _generic_basic(code: str) -> Entry:
    gen = _files()["generic.toml"]
    first = gen["reply_first"][code[0]]
    second = gen["reply_second"][code[1]]
    cls = first["cls"]
    defaults = _class_defaults(cls)
    summary = (
        f"{code} is not a reply code that RFC 5321 or its extensions define, though its digits are "
        f"well formed. First digit {code[0]} ({first['title']}): {first['summary']} Second digit "
        f"{code[1]} ({second['title']}): {second['summary']} The rest is the server's own: read the "
        "text that came with it."
    )
    return Entry(
        code=code,
        kind="non-standard",
        cls=cls,
        category=second["category"],
        title=f"Unregistered reply code ({first['title'].lower()}, {second['title'].lower()})",
        summary=summary,
        troubleshooting=["Read the text that came with the code.", "Look for an enhanced status code (such as 5.1.1) next to it."],
        who_acts=defaults["who_acts"],
        retry=defaults["retry"],
        reason=None if cls in ("success", "intermediate") else "undefined",
        references=["RFC 5321 section 4.2.1"],
        registered=False,
        source="generic",
        notes=[f"{code} is not registered: this is a generic reading from its digits."],
    )


def _standard(code: str) -> Entry | None:
    """The entry for an exact code without any vendor layer (None if the code is malformed)."""
    parts = _enh_parts(code)
    if parts is not None:
        if parts[0] not in (2, 4, 5):
            return None
        return _standard_enhanced(*parts)
    if _BASIC_RE.fullmatch(code):
        return _basic_entry(code)
    return None


def _layer_notes(code: str, skip: str | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in _layer_names():
        if name == skip:
            continue
        hit = _layer_entry(name, code)
        if hit:
            out[name] = hit[1]["title"]
    return out


def _apply_layer(base: Entry, layer: str, key: str, data: dict[str, Any]) -> Entry:
    meta = _layers()[layer]["meta"]
    e = Entry(**base.to_dict())
    for name in ("title", "summary", "who_acts", "retry", "category", "since"):
        if name in data:
            setattr(e, name, data[name])
    if "reason" in data:
        e.reason = _opt_reason(data["reason"])
    if "causes" in data:
        e.causes = list(data["causes"])
    if "troubleshooting" in data:
        e.troubleshooting = list(data["troubleshooting"])
    e.examples = list(data.get("examples", [])) + [x for x in base.examples if x not in data.get("examples", [])]
    related = list(data.get("related", []))
    e.related = related + [r for r in base.related if r not in related and r != base.code]
    e.references = [f"{meta['display']}: {meta['source']}"] + list(data.get("references", [])) + base.references
    e.vendor = layer
    e.source = f"vendor:{layer}"
    e.registered = True
    if key != base.code:
        e.notes.append(f"{meta['display']} uses {key} for this; {base.code} falls under it.")
    if base.title != e.title:
        std = "not registered" if not base.registered else base.title
        e.notes.append(f"Standard meaning of {base.code}: {std}.")
    if data.get("replies"):
        e.notes.append(f"{meta['display']} sends it with reply code {' or '.join(data['replies'])}.")
    return e


def lookup(code: str, vendor: str | None = None) -> Entry | None:
    """The entry for one exact code ("550", "5.1.1"), with the vendor layer applied when given.

    Returns None when the string is not a well-formed code. An unregistered but well-formed
    code gets a generic entry with ``registered=False``. A vendor name that is not known
    (see ``vendors()``; aliases such as "google" or "outlook" work) is ignored.
    """
    v = _resolve_vendor(vendor)
    q = code.strip() if isinstance(code, str) else ""
    if len(q) > MAX_QUERY:
        return None
    q = q.lstrip("#")
    norm = _normal_enh(q) if "." in q else q
    if norm is None:
        return None
    base = _standard(norm)
    if base is None:
        return None
    if v is not None:
        hit = _layer_entry(v, norm)
        if hit:
            out = _apply_layer(base, v, hit[0], hit[1])
            out.vendor_notes.update(_layer_notes(norm, skip=v))
            out.related = [r for r in out.related if r != norm]
            return out
    base.vendor_notes.update(_layer_notes(norm))
    base.related = [r for r in base.related if r != norm]
    return base
