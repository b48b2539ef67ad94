"""Access to the data files: the standard tables, the IANA registry and the vendor and
reference-page layers (with their aliases)."""

from __future__ import annotations

from functools import cache
from typing import Any

from bouncewise.knowledge import _store
from bouncewise.knowledge.forms import _ENH_RE, _RANGE_KEY_RE, _TEMPLATE_RE


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


def _basic_known(code: str) -> dict[str, Any] | None:
    f = _files()
    return f["basic.toml"]["codes"].get(code) or f["nonstandard.toml"]["codes"].get(code)

def _iana(tpl: str) -> dict[str, Any] | None:
    return _files()["iana.json"]["codes"].get(tpl)
