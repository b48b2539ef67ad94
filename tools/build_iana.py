#!/usr/bin/env python3
"""Rebuild ``src/bouncewise/knowledge/data/iana.json`` from IANA's registry CSV.

The IANA "SMTP Enhanced Status Codes" registry is published as a CSV file
(``smtp-enhanced-status-codes-3.csv``: columns Code, Sample Text, Associated basic status
code, Description, Reference, Submitter, Change Controller).  This script turns it into the
JSON file the knowledge base reads, much as dateutil rebuilds its zoneinfo tarball from the
upstream tz database.

Usage (from the repository root)::

    python tools/build_iana.py                       # reads ../shared/iana/smtp-enhanced-status-codes-3.csv
    python tools/build_iana.py path/to/registry.csv  # any copy of the registry
    python tools/build_iana.py --check               # exit 1 if iana.json is out of date

What is kept: the code template (``X.Y.Z``), the registry's sample text (used as the title),
the associated basic reply codes, the references, submitter and change controller, and the
classes (2, 4, 5) in which the code is valid.  The registry's long descriptions are *not*
copied: bouncewise's own summaries live in ``enhanced.toml``.  Only the facts the
descriptions state about which classes a code suits are extracted (see ``classes_for``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT.parent / "shared" / "iana" / "smtp-enhanced-status-codes-3.csv"
OUT = ROOT / "src" / "bouncewise" / "knowledge" / "data" / "iana.json"
DATE = "2026-11-23"

# Phrases in a registry description that say which classes the code suits. Plain substring
# tests on lower-cased text, no regular expressions.
_PERMANENT = ("only useful for permanent", "useful only as a permanent", "used as a permanent failure")
_TRANSIENT = ("useful only as a persistent transient", "used as a persistent transient")
_BOTH = (
    "both permanent and persistent transient",
    "permanent or persistent temporary",
    "permanent failure or a persistent transient",
    "permanent error if the mailbox will never",
    "might be temporary",
)
_SUCCESS = ("positive delivery reports", "delivery was successful", "successful delivery code")
_ALSO_PERMANENT = ("may also be a permanent error",)
_ALL = ("permanent, transient persistent, or successful",)

_CODE_RE = re.compile(r"\b([2-5])(?:[0-9]{2}|XX)\b")  # a basic code, or "5XX"
_REF_RE = re.compile(r"\[([A-Za-z0-9-]{1,60})\]")
_TEMPLATE_RE = re.compile(r"X\.[0-9]{1,3}\.[0-9]{1,3}")


def _squash(text: str) -> str:
    return " ".join(text.split())


def basic_codes(field: str) -> list[str]:
    """The associated basic reply codes a registry row lists ("451, 550", "5XX", "451/550")."""
    out: list[str] = []
    for m in _CODE_RE.finditer(field[:500]):
        code = m.group(0)
        if code not in out:
            out.append(code)
    return out


def classes_for(description: str, basics: list[str], associated: str) -> tuple[list[int], str]:
    """The classes (2, 4, 5) a code is valid in, and a short note on how that was decided.

    The union of the classes of the associated basic codes and of the classes the description
    names. "Any" means all three. When neither says anything, the registry puts no limit on
    the class, so all three are allowed.
    """
    text = _squash(description).lower()
    found: set[int] = set()
    basis: list[str] = []
    if associated.strip().lower() == "any":
        found |= {2, 4, 5}
        basis.append("associated codes: any")
    digits = {int(c[0]) for c in basics if c[0] in "245"}
    if digits:
        found |= digits
        basis.append("associated codes " + ", ".join(basics))
    said: set[int] = set()
    if any(p in text for p in _ALL):
        said |= {2, 4, 5}
    if any(p in text for p in _PERMANENT):
        said.add(5)
    if any(p in text for p in _TRANSIENT):
        said.add(4)
    if any(p in text for p in _BOTH):
        said |= {4, 5}
    if any(p in text for p in _SUCCESS):
        said.add(2)
    if any(p in text for p in _ALSO_PERMANENT):
        said.add(5)
    if said:
        found |= said
        basis.append("description: class " + "/".join(str(c) for c in sorted(said)))
    if not found:
        found = {2, 4, 5}
        basis.append("no restriction given")
    return sorted(found), "; ".join(basis)


def references(field: str) -> list[str]:
    refs: list[str] = []
    for m in _REF_RE.finditer(field[:500]):
        name = m.group(1)
        if name.upper().startswith("RFC"):
            name = "RFC " + name[3:]
        if name not in refs:
            refs.append(name)
    return refs


def build(csv_path: Path) -> dict[str, Any]:
    raw = csv_path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines(keepends=True)))
    codes: dict[str, Any] = {}
    for row in rows:
        code = row["Code"].strip()
        if not _TEMPLATE_RE.fullmatch(code):
            raise SystemExit(f"unexpected code in registry: {code!r}")
        description = row["Description"]
        associated = _squash(row["Associated basic status code"])
        basics = basic_codes(associated)
        classes, basis = classes_for(description, basics, associated)
        title = _squash(row["Sample Text"])
        deprecated = "deprecated" in description.lower()
        duplicate_of = None
        if deprecated:
            m = _TEMPLATE_RE.search(description)
            duplicate_of = m.group(0) if m else None
            if not title:
                title = f"Deprecated duplicate of {duplicate_of}" if duplicate_of else "Deprecated"
        codes[code] = {
            "title": title,
            "basic_codes": basics,
            "basic_codes_text": associated if associated not in ("", ".") else "Not given",
            "classes": classes,
            "class_basis": basis,
            "references": references(row["Reference"]),
            "reference_text": _squash(row["Reference"]),
            "submitter": _squash(row["Submitter"]),
            "change_controller": _squash(row["Change Controller"]),
            "deprecated": deprecated,
            "duplicate_of": duplicate_of,
        }
    for entry in codes.values():
        dup = entry["duplicate_of"]
        if dup and dup in codes:
            entry["classes"] = list(codes[dup]["classes"])
            entry["class_basis"] = f"same as {dup}, which it duplicates"
    return {
        "meta": {
            "source": "IANA registry 'SMTP Enhanced Status Codes', enumerated status codes "
            "(smtp-enhanced-status-codes-3.csv), https://www.iana.org/assignments/smtp-enhanced-status-codes",
            "date": DATE,
            "generated_by": "tools/build_iana.py",
            "csv_sha256": hashlib.sha256(raw).hexdigest(),
            "count": len(codes),
            "note": "Titles are the registry's sample texts; summaries are bouncewise's own (enhanced.toml).",
        },
        "codes": codes,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    ap.add_argument("--check", action="store_true", help="only check that iana.json is up to date")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not args.csv.is_file():
        print(f"registry CSV not found: {args.csv}", file=sys.stderr)
        return 2
    text = render(build(args.csv))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"{args.out} is out of date; run: python tools/build_iana.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(json.loads(text)['codes'])} codes)")
    if args.out == OUT:
        # keep the knowledge base's combined cache in step with the new iana.json
        sys.path.insert(0, str(ROOT / "src"))
        from bouncewise.knowledge import _store

        print(f"wrote {_store.write_cache()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
