"""The written forms of codes: what a query may look like and how its parts are read."""

from __future__ import annotations

import re

from bouncewise.errors import InvalidCode

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

def _basic_grammar(code: str) -> bool:
    """RFC 5321 reply grammar: first digit 2-5, second 0-5, third 0-9."""
    return len(code) == 3 and code.isdigit() and code[0] in "2345" and code[1] in "012345"


def looks_enhanced(word: str) -> bool:
    """True for a word written like one enhanced status code (5.1.1, #5.1.1; not a family)."""
    return _ENH_RE.fullmatch(word.lstrip("#")) is not None
