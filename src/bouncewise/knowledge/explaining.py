"""``explain``: a code, a pair or a family, with every reading of it and notes."""

from __future__ import annotations

from bouncewise.errors import InvalidCode
from bouncewise.knowledge.entries import Entry, Explanation, Reading
from bouncewise.knowledge.forms import (
    _BASIC_FAMILY_RE,
    _BASIC_RE,
    _ENH_RE,
    _FAMILY_RE,
    _PAIR_RE,
    VALID_FORMS,
    _basic_grammar,
    _clean,
    _enh_parts,
    _normal_enh,
)
from bouncewise.knowledge.lookups import _apply_layer, _basic_entry, _standard, _standard_enhanced, lookup
from bouncewise.knowledge.sources import (
    _basic_known,
    _check_vendor,
    _files,
    _iana,
    _layer_entry,
    _layer_names,
    _layers,
)


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


_VAGUE = (None, "undefined")


def _pair_reason(basic: Entry, enh: Entry) -> tuple[str | None, bool | None, list[str]]:
    """What the pair means together, whether the two codes point to the same reason (None when
    one of them names none), and a note when they do not."""
    r1, r2 = basic.reason, enh.reason
    together = r2 if r2 not in _VAGUE else (r1 if r1 not in _VAGUE else r2 or r1)
    if r1 in _VAGUE or r2 in _VAGUE:
        return together, None, []
    if r1 == r2:
        return together, True, []
    note = (
        f"The two codes point to different reasons: the reply {basic.code} alone most often means "
        f"{r1}, the status {enh.code} means {r2}. Together they mean {together}: the enhanced status "
        "code is the more specific of the two."
    )
    return together, False, [note]


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
        together, same, n4 = _pair_reason(e1, e2)
        readings = r1 + r2
        return Explanation(
            query=query, kind="pair", codes=[basic, enh], entries=[e1, e2], readings=readings,
            ambiguous=_ambiguous(r1) or _ambiguous(r2), agree=agree, notes=n4 + n3 + n1 + n2, vendor=v,
            reason=together, reasons_agree=same,
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
