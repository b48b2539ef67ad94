"""The SMTP code knowledge base: what a reply code or enhanced status code means.

Public API (stable; other layers code against it)::

    lookup(code, vendor=None) -> Entry | None      # one exact code: "550", "5.1.1"
    explain(query, vendor=None) -> Explanation     # a code, a pair "550 5.1.1", a family "5.1.x"
    codes(query=None, cls=None, category=None, vendor=None) -> list[Entry]
    vendors() -> list[str]
    validate() -> list[str]                        # problems found in the data (empty = fine)

Where the data comes from and how to extend it: docs/knowledge.md.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from bouncewise.errors import InvalidCode
from bouncewise.knowledge import _store

__all__ = [
    "Entry",
    "Reading",
    "Explanation",
    "lookup",
    "explain",
    "codes",
    "vendors",
    "validate",
    "KINDS",
    "CLASSES",
    "CATEGORIES",
    "WHO_ACTS",
    "RETRY",
]

KINDS = ("basic", "enhanced", "non-standard")
CLASSES = ("success", "intermediate", "transient", "permanent")
CATEGORIES = (
    "address",
    "mailbox",
    "mail system",
    "network and routing",
    "protocol",
    "content",
    "security and policy",
)
WHO_ACTS = ("sender", "sender's admin", "recipient", "recipient's admin", "nobody")
RETRY = ("no", "later", "after-fix")

VALID_FORMS = (
    "a three-digit reply code such as 550, an enhanced status code such as 5.1.1 "
    "(class 2, 4 or 5), a pair such as '550 5.1.1', or a family such as 5.1.x or X.1.1"
)
MAX_QUERY = 64

_IANA_REF = "IANA SMTP Enhanced Status Codes registry"

# Anchored patterns over at most MAX_QUERY characters, no nested quantifiers.
_ENH_RE = re.compile(r"#?([0-9])\.([0-9]{1,3})\.([0-9]{1,3})")
_BASIC_RE = re.compile(r"([0-9])([0-9])([0-9])")
_FAMILY_RE = re.compile(r"([245xX*])\.([0-9]{1,3}|[xX*])\.([0-9]{1,3}|[xX*])")
_BASIC_FAMILY_RE = re.compile(r"([2-5])([0-9xX])([xX])")
_PAIR_RE = re.compile(r"([0-9]{3})[ ,;/-]{1,3}(#?[0-9]\.[0-9]{1,3}\.[0-9]{1,3})")
_RANGE_KEY_RE = re.compile(r"([245])\.([0-9]{1,3})\.([0-9]{1,3})-([0-9]{1,3})")
_TEMPLATE_RE = re.compile(r"X\.([0-9]{1,3})\.([0-9]{1,3})")


# --------------------------------------------------------------------------- result types
@dataclass(slots=True)
class Entry:
    """What one code means. ``registered`` is False for a generic reading built from the
    code's class and subject (or digits) because no source defines the exact code."""

    code: str
    kind: str  # basic | enhanced | non-standard
    cls: str  # success | intermediate | transient | permanent
    category: str
    title: str
    summary: str
    causes: list[str] = field(default_factory=list)
    troubleshooting: list[str] = field(default_factory=list)
    who_acts: str = "sender"
    retry: str = "after-fix"
    reason: str | None = None
    related: list[str] = field(default_factory=list)
    vendor_notes: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    registered: bool = True
    vendor: str | None = None  # the vendor layer applied, if any
    source: str = ""  # "rfc" | "iana" | "reference pages" | "generic" | "vendor:<name>"
    notes: list[str] = field(default_factory=list)
    since: str | None = None  # first release that used the code (vendor layers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Reading:
    """One interpretation of a code and who holds it (for ambiguous codes there are several)."""

    code: str
    relation: str  # standard | generic | vendor | reference | dotted-reply | collapsed
    source: str  # human-readable name of who holds this reading
    title: str
    summary: str
    registered: bool
    vendor: str | None = None
    references: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Explanation:
    """The answer to ``explain(query)``: entries to show, every reading, and notes."""

    query: str
    kind: str  # code | pair | family
    codes: list[str]
    entries: list[Entry]
    readings: list[Reading] = field(default_factory=list)
    ambiguous: bool = False
    agree: bool | None = None  # for a pair: do the reply and the status code fit together
    notes: list[str] = field(default_factory=list)
    vendor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "bouncewise.explanation/1",
            "query": self.query,
            "kind": self.kind,
            "codes": list(self.codes),
            "vendor": self.vendor,
            "ambiguous": self.ambiguous,
            "agree": self.agree,
            "notes": list(self.notes),
            "entries": [e.to_dict() for e in self.entries],
            "readings": [r.to_dict() for r in self.readings],
        }


# --------------------------------------------------------------------------- data access
def _files() -> dict[str, Any]:
    return _store.files()


@cache
def _layers() -> dict[str, dict[str, Any]]:
    """Layer name -> {"meta", "exact", "templates", "ranges"} for vendor_*.toml and refpages.toml."""
    out: dict[str, dict[str, Any]] = {}
    for name, data in _files().items():
        if not (name.startswith("vendor_") or name == "refpages.toml"):
            continue
        meta = data["meta"]
        exact: dict[str, dict[str, Any]] = {}
        templates: dict[str, dict[str, Any]] = {}
        ranges: list[tuple[str, int, int, int, str, dict[str, Any]]] = []
        for key, value in data.get("codes", {}).items():
            m = _RANGE_KEY_RE.fullmatch(key)
            if m:
                ranges.append((m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)), key, value))
            elif _TEMPLATE_RE.fullmatch(key):
                templates[key] = value
            else:
                exact[key] = value
        out[meta["vendor"]] = {"meta": meta, "exact": exact, "templates": templates, "ranges": ranges}
    return out


def vendors() -> list[str]:
    """Names accepted as ``vendor=`` (lower-case keys such as "microsoft", "gmail")."""
    return sorted(k for k, v in _layers().items() if v["meta"].get("layer") == "vendor")


def _layer_names() -> list[str]:
    return sorted(_layers())


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, lay in _layers().items():
        out[name] = name
        for alias in lay["meta"].get("aliases", []):
            out.setdefault(alias, name)
    return out


def _resolve_vendor(vendor: str | None) -> str | None:
    """A vendor name or alias ("google" -> "gmail") as a layer name; None when unknown."""
    if not vendor:
        return None
    key = vendor.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
    return _aliases().get(key)


def _check_vendor(vendor: str | None) -> str | None:
    if vendor is None:
        return None
    v = _resolve_vendor(vendor)
    if v is None:
        raise ValueError(f"unknown vendor {vendor!r}; known: {', '.join(vendors())}")
    return v


def _layer_entry(layer: str, code: str) -> tuple[str, dict[str, Any]] | None:
    """The (key, data) a layer holds for a code: exact key, then template X.Y.Z, then range."""
    lay = _layers()[layer]
    if code in lay["exact"]:
        return code, lay["exact"][code]
    m = _ENH_RE.fullmatch(code)
    if not m:
        return None
    c, s, d = m.group(1), int(m.group(2)), int(m.group(3))
    tpl = f"X.{s}.{d}"
    if tpl in lay["templates"]:
        return tpl, lay["templates"][tpl]
    for rc, rs, lo, hi, key, value in lay["ranges"]:
        if rc == c and rs == s and lo <= d <= hi:
            return key, value
    return None


# --------------------------------------------------------------------------- code parsing
def _enh_parts(code: str) -> tuple[int, int, int] | None:
    m = _ENH_RE.fullmatch(code)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def _clean(query: str) -> str:
    if not isinstance(query, str):
        raise InvalidCode(f"not a code: {query!r}; expected {VALID_FORMS}")
    q = query.strip()
    if len(q) > MAX_QUERY:
        raise InvalidCode(f"too long to be a code ({len(q)} characters); expected {VALID_FORMS}")
    return q


def _normal_enh(code: str) -> str | None:
    parts = _enh_parts(code)
    if parts is None or parts[0] not in (2, 4, 5):
        return None
    return "{}.{}.{}".format(*parts)


def _basic_known(code: str) -> dict[str, Any] | None:
    f = _files()
    return f["basic.toml"]["codes"].get(code) or f["nonstandard.toml"]["codes"].get(code)


def _basic_grammar(code: str) -> bool:
    """RFC 5321 reply grammar: first digit 2-5, second 0-5, third 0-9."""
    return len(code) == 3 and code.isdigit() and code[0] in "2345" and code[1] in "012345"


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


def _iana(tpl: str) -> dict[str, Any] | None:
    return _files()["iana.json"]["codes"].get(tpl)


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
    if c == 2 and not over:
        data = {
            "summary": f"A success report with the detail '{reg['title']}': the server accepted the "
            "command or the message. Nothing failed.",
            "causes": [],
            "troubleshooting": ["Nothing to do."],
            "related": base.get("related", []),
        }
    if c == 2:
        data.setdefault("who_acts", "nobody")
        data.setdefault("retry", "no")
        data.setdefault("reason", "delivered")
    elif c == 4 and "retry" not in over:
        data["retry"] = "later"
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


# --------------------------------------------------------------------------- explain
def _reading(e: Entry, relation: str, source: str) -> Reading:
    return Reading(code=e.code, relation=relation, source=source, title=e.title, summary=e.summary,
                   registered=e.registered, vendor=e.vendor, references=list(e.references))


def _source_label(e: Entry) -> str:
    return {
        "iana": "IANA registry (" + ", ".join(r for r in e.references if r.startswith(("RFC", "draft"))) + ")",
        "rfc": ", ".join(r for r in e.references if r.startswith("RFC")) or "RFC 5321",
        "reference pages": "SMTP reference pages (non-standard code)",
        "generic": "generic reading (not registered)",
    }.get(e.source, e.source)


def _layer_readings(code: str, first: str | None) -> list[Reading]:
    out: list[Reading] = []
    base = _standard(code)
    if base is None:
        return out
    names = _layer_names()
    if first in names:
        names = [first] + [n for n in names if n != first]
    for name in names:
        hit = _layer_entry(name, code)
        if not hit:
            continue
        e = _apply_layer(base, name, hit[0], hit[1])
        meta = _layers()[name]["meta"]
        rel = "reference" if meta.get("layer") == "reference" else "vendor"
        out.append(_reading(e, rel, meta["display"]))
    return out


def _explain_enhanced(code: str, vendor: str | None) -> tuple[Entry, list[Reading], list[str]]:
    c, s, d = _enh_parts(code)  # type: ignore[misc]
    std = _standard_enhanced(c, s, d)
    readings: list[Reading] = []
    layer_r = _layer_readings(code, vendor)
    if vendor and layer_r and layer_r[0].vendor == vendor:
        readings.append(layer_r.pop(0))
    readings.append(_reading(std, "standard" if std.registered else "generic", _source_label(std)))
    readings.extend(layer_r)
    notes = list(std.notes)
    if s < 10 and d < 10:
        digits = f"{c}{s}{d}"
        data = _basic_known(digits)
        if data and data.get("dotted_alias"):
            be = _basic_entry(digits)
            assert be is not None
            r = _reading(be, "dotted-reply", "SMTP reference pages that write three-digit replies with dots")
            r.title = f"the {digits} reply written with dots: {be.title}"
            readings.append(r)
            notes.append(
                f"Some reference pages write the three-digit reply {digits} as '{code}'; "
                f"that is a different thing from the enhanced status code {code}."
            )
    entry = lookup(code, vendor)
    assert entry is not None
    return entry, readings, notes


def _explain_basic(code: str, vendor: str | None) -> tuple[Entry, list[Reading], list[str]]:
    notes: list[str] = []
    readings: list[Reading] = []
    data = _basic_known(code)
    own = _basic_entry(code)
    is_rfc = code in _files()["basic.toml"]["codes"]
    collapsed = None
    if code[0] in "245":
        collapsed = (data or {}).get("collapsed_of") or (None if is_rfc else f"{code[0]}.{code[1]}.{code[2]}")
    layer_r = _layer_readings(code, vendor)
    if vendor and layer_r and layer_r[0].vendor == vendor:
        readings.append(layer_r.pop(0))
    if own is not None:
        readings.append(_reading(own, "standard" if own.registered and is_rfc else
                                 ("reference" if own.registered else "generic"), _source_label(own)))
    readings.extend(layer_r)
    primary: Entry | None = lookup(code, vendor) if own is not None else None
    if not is_rfc:
        if _basic_grammar(code):
            notes.append(
                f"{code} is not a reply code any RFC defines; its digits are well formed "
                f"(first digit {code[0]}, second digit {code[1]}), so it is a valid-looking basic reply."
            )
        else:
            why = "first digit must be 2 to 5" if code[0] not in "2345" else "second digit must be 0 to 5"
            notes.append(f"{code} is not a valid basic reply code ({why}).")
    if collapsed:
        ce = _standard(collapsed)
        if ce is not None:
            r = _reading(ce, "collapsed", "tools that print enhanced codes without dots")
            r.title = f"{collapsed} with its dots dropped: {ce.title}"
            readings.append(r)
            for lr in _layer_readings(collapsed, vendor):
                lr.relation = "collapsed"
                lr.title = f"{collapsed} with its dots dropped, as {lr.source} uses it: {lr.title}"
                readings.append(lr)
            if is_rfc:
                notes.append(f"{code} may also be {collapsed} printed without dots.")
            else:
                notes.append(f"Read as {collapsed}: some tools print enhanced status codes without dots.")
                use = lookup(collapsed, vendor)
                if use is not None and (use.registered or primary is None or not primary.registered):
                    # the collapsed code carries the meaning; keep the three-digit facts as a reading
                    primary = use
    if primary is None:
        raise InvalidCode(f"{code!r} is not a valid code: expected {VALID_FORMS}")
    return primary, readings, notes


def _family(query: str, vendor: str | None) -> Explanation | None:
    m = _FAMILY_RE.fullmatch(query)
    members: list[str] = []
    if m:
        cpart, spart, dpart = m.groups()
        if not any(p in ("x", "X", "*") for p in (cpart, spart, dpart)):
            return None
        for tpl, reg in _files()["iana.json"]["codes"].items():
            _x, s, d = tpl.split(".")
            if spart not in ("x", "X", "*") and int(spart) != int(s):
                continue
            if dpart not in ("x", "X", "*") and int(dpart) != int(d):
                continue
            for c in reg["classes"]:
                if cpart in ("x", "X", "*") or int(cpart) == c:
                    members.append(f"{c}.{s}.{d}")
        if vendor:
            for key in _layers()[vendor]["exact"]:
                p = _enh_parts(key)
                if p and (cpart in "xX*" or int(cpart) == p[0]) and (spart in ("x", "X", "*") or int(spart) == p[1]) \
                        and (dpart in ("x", "X", "*") or int(dpart) == p[2]) and key not in members:
                    members.append(key)
        members.sort(key=lambda k: tuple(int(x) for x in k.split(".")))
        label = query.upper().replace("*", "X") if cpart in "xX*" else query.replace("*", "x")
    else:
        b = _BASIC_FAMILY_RE.fullmatch(query)
        if not b:
            return None
        first, second, _ = b.groups()
        f = _files()
        pool = list(f["basic.toml"]["codes"]) + list(f["nonstandard.toml"]["codes"])
        members = sorted(k for k in pool if k[0] == first and (second in "xX" or k[1] == second))
        label = query.lower()
    entries = [e for e in (lookup(k, vendor) for k in members) if e is not None]
    notes = [f"{len(entries)} known codes match {label}."]
    return Explanation(query=query, kind="family", codes=[label], entries=entries, notes=notes, vendor=vendor)


def _pair_agreement(basic: str, enh: str) -> tuple[bool, list[str]]:
    notes: list[str] = []
    agree = basic[0] == enh[0]
    if not agree:
        notes.append(
            f"The reply {basic} (class {basic[0]}) and the status {enh} (class {enh[0]}) disagree: "
            "one says temporary and the other permanent (or success). Senders usually go by the reply code."
        )
    p = _enh_parts(enh)
    reg = _iana(f"X.{p[1]}.{p[2]}") if p else None
    if reg and reg["basic_codes"]:
        if basic in reg["basic_codes"] or f"{basic[0]}XX" in reg["basic_codes"]:
            notes.append(f"IANA's registry lists {basic} among the usual replies for X.{p[1]}.{p[2]}.")
        elif agree:
            notes.append(
                f"The classes agree; IANA's registry lists {', '.join(reg['basic_codes'])} for X.{p[1]}.{p[2]}, "
                f"not {basic}, but servers commonly pair them anyway."
            )
    elif agree:
        notes.append(f"The reply {basic} and the status {enh} agree on the class ({basic[0]}).")
    return agree, notes


def explain(query: str, vendor: str | None = None) -> Explanation:
    """Explain a code ("550", "5.1.1", "511"), a pair ("550 5.1.1") or a family ("5.1.x", "X.1.1").

    Raises InvalidCode for anything that is not one of those forms; ValueError for an unknown vendor.
    """
    v = _check_vendor(vendor)
    q = _clean(query)
    pair = _PAIR_RE.fullmatch(q)
    if pair:
        basic, enh_raw = pair.group(1), pair.group(2).lstrip("#")
        enh = _normal_enh(enh_raw)
        if enh is None or _BASIC_RE.fullmatch(basic) is None:
            raise InvalidCode(f"{query!r} is not a valid code pair: expected {VALID_FORMS}")
        e1, r1, n1 = _explain_basic(basic, v)
        e2, r2, n2 = _explain_enhanced(enh, v)
        agree, n3 = _pair_agreement(basic, enh)
        readings = r1 + r2
        return Explanation(
            query=query, kind="pair", codes=[basic, enh], entries=[e1, e2], readings=readings,
            ambiguous=_ambiguous(r1) or _ambiguous(r2), agree=agree, notes=n3 + n1 + n2, vendor=v,
        )
    fam = _family(q, v)
    if fam is not None:
        return fam
    if _ENH_RE.fullmatch(q):
        enh = _normal_enh(q.lstrip("#"))
        if enh is None:
            raise InvalidCode(f"{query!r}: the class of an enhanced status code must be 2, 4 or 5; expected {VALID_FORMS}")
        entry, readings, notes = _explain_enhanced(enh, v)
        return Explanation(query=query, kind="code", codes=[enh], entries=[entry], readings=readings,
                           ambiguous=_ambiguous(readings), notes=notes, vendor=v)
    if _BASIC_RE.fullmatch(q):
        entry, readings, notes = _explain_basic(q, v)
        return Explanation(query=query, kind="code", codes=[q], entries=[entry], readings=readings,
                           ambiguous=_ambiguous(readings), notes=notes, vendor=v)
    raise InvalidCode(f"{query!r} is not a valid code: expected {VALID_FORMS}")


def _ambiguous(readings: list[Reading]) -> bool:
    titles = {r.title.lower() for r in readings}
    return len(readings) > 1 and len(titles) > 1


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


# --------------------------------------------------------------------------- validation
def validate() -> list[str]:
    """Check every data file against the schema; returns a list of problems (empty when fine)."""
    from bouncewise import reasons as _reasons

    problems: list[str] = []
    reason_names = set(_reasons.names())
    f = _files()
    for name, data in f.items():
        meta = data.get("meta") if isinstance(data, dict) else None
        if not meta or not meta.get("source") or not meta.get("date"):
            problems.append(f"{name}: [meta] needs source and date")

    def check(where: str, data: dict[str, Any], required: tuple[str, ...]) -> None:
        for k in required:
            if not data.get(k):
                problems.append(f"{where}: missing {k}")
        allowed = {
            "category": CATEGORIES, "who_acts": WHO_ACTS, "retry": RETRY, "cls": CLASSES,
        }
        for k, values in allowed.items():
            if k in data and data[k] not in values:
                problems.append(f"{where}: {k}={data[k]!r} not one of {values}")
        if data.get("reason") and data["reason"] not in reason_names:
            problems.append(f"{where}: reason {data['reason']!r} is not in reasons.toml")
        for k in ("causes", "troubleshooting", "related", "references", "examples", "notes", "replies"):
            if k in data and not (isinstance(data[k], list) and all(isinstance(x, str) for x in data[k])):
                problems.append(f"{where}: {k} must be a list of strings")
        for rel in data.get("related", []):
            e = lookup(rel)
            in_layer = e is not None and any(_layer_entry(n, rel) for n in _layers())
            if e is None or not (e.registered or in_layer):
                problems.append(f"{where}: related code {rel!r} is not a registered entry")
        for k in data.get("vendor_notes", {}):
            if k not in _layers():
                problems.append(f"{where}: vendor_notes key {k!r} is not a known vendor")

    full = ("title", "summary", "category", "causes", "troubleshooting", "who_acts", "retry")
    for code, data in f["basic.toml"]["codes"].items():
        if not _basic_grammar(code):
            problems.append(f"basic.toml {code}: not a well-formed reply code")
        check(f"basic.toml {code}", data, full)
        if not data.get("references"):
            problems.append(f"basic.toml {code}: missing references")
    for code, data in f["nonstandard.toml"]["codes"].items():
        if not (len(code) == 3 and code.isdigit()):
            problems.append(f"nonstandard.toml {code}: not three digits")
        if code in f["basic.toml"]["codes"]:
            problems.append(f"nonstandard.toml {code}: also in basic.toml")
        check(f"nonstandard.toml {code}", data, full)
        col = data.get("collapsed_of")
        if col and (_standard(col) is None or not _standard(col).registered) and not any(
                _layer_entry(n, col) for n in _layers()):
            problems.append(f"nonstandard.toml {code}: collapsed_of {col} is unknown")
    iana = f["iana.json"]["codes"]
    enh = f["enhanced.toml"]["codes"]
    for tpl in iana:
        if tpl not in enh:
            problems.append(f"enhanced.toml: no entry for registry code {tpl}")
    for tpl, data in enh.items():
        if tpl not in iana:
            problems.append(f"enhanced.toml {tpl}: not in the IANA registry")
            continue
        base = {k: v for k, v in data.items() if not k.startswith("class")}
        check(f"enhanced.toml {tpl}", base, ("summary", "causes", "troubleshooting", "who_acts", "retry"))
        for k, over in data.items():
            if k.startswith("class"):
                if k not in ("class2", "class4", "class5"):
                    problems.append(f"enhanced.toml {tpl}: unknown sub-table {k}")
                check(f"enhanced.toml {tpl}.{k}", over, ())
        for c in iana[tpl]["classes"]:
            e = lookup(f"{c}.{tpl[2:]}")
            if e is None or e.reason is not None and e.reason not in reason_names:
                problems.append(f"enhanced {c}.{tpl[2:]}: bad entry")
    for name, lay in _layers().items():
        meta = lay["meta"]
        if meta.get("layer") not in ("vendor", "reference") or not meta.get("display"):
            problems.append(f"layer {name}: [meta] needs layer (vendor|reference) and display")
        if name != name.lower():
            problems.append(f"layer {name}: vendor names are lower case")
        for key, data in _vendor_items(name):
            ok = bool(_enh_parts(key) or _BASIC_RE.fullmatch(key) or _TEMPLATE_RE.fullmatch(key)
                      or _RANGE_KEY_RE.fullmatch(key))
            if not ok:
                problems.append(f"layer {name}: bad key {key!r}")
            check(f"layer {name} {key}", data, ("title", "summary"))
            for r in data.get("replies", []):
                if not _BASIC_RE.fullmatch(r):
                    problems.append(f"layer {name} {key}: bad reply {r!r}")
    return problems
