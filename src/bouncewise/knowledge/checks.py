"""``validate``: checks of every data file against the schema."""

from __future__ import annotations

from typing import Any

from bouncewise.knowledge.entries import CATEGORIES, CLASSES, RETRY, WHO_ACTS
from bouncewise.knowledge.forms import _BASIC_RE, _RANGE_KEY_RE, _TEMPLATE_RE, _basic_grammar, _enh_parts
from bouncewise.knowledge.listing import _vendor_items
from bouncewise.knowledge.lookups import _standard, lookup
from bouncewise.knowledge.sources import _files, _layer_entry, _layers


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
