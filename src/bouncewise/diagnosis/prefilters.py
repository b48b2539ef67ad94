"""Cheap tests that tell when a regular expression or a list of strings cannot match a text.

``literal_needs`` and ``literal_starts`` read, from a pattern's parsed form, the strings every
match must contain or start with; ``quick_search`` then skips a search that cannot succeed on
lower-cased ASCII text, or starts it where a match can begin. ``Needles`` tests a fixed list of
strings, behind one rare character where there is one. The diagnosis tables (tables.py) and
the reply readers (reading.py) use them; only speed depends on them, never what is found
(tests/test_diagnose_mechanics.py compares them with the plain forms).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def literal_needs(pattern: str) -> tuple[tuple[str, ...], ...]:
    """What any match of ``pattern`` must contain, read from its parsed form: a tuple of
    conditions, each a tuple of lower-case ASCII strings of which the match contains one
    (e.g. ``aup#([0-9a-z]{2,10})`` needs ``("aup#",)``). Used to skip a regex search on
    lower-cased ASCII text that cannot match; () when nothing can be said."""
    try:
        from re import _constants as sre_c  # type: ignore[attr-defined]
        from re import _parser as sre_p  # type: ignore[attr-defined]

        tree = sre_p.parse(pattern)
    except Exception:
        return ()
    needs: list[tuple[str, ...]] = []

    def is_lit(op: Any, av: Any) -> bool:
        return op is sre_c.LITERAL and av < 128

    def lead(seq: Any) -> str:
        out = []
        for op, av in seq:
            if op is sre_c.AT and not out:  # \b, ^ …: consume nothing
                continue
            if not is_lit(op, av):
                break
            out.append(chr(av).lower())
        return "".join(out)

    def walk(seq: Any) -> None:
        run: list[str] = []
        for op, av in seq:
            if is_lit(op, av):
                run.append(chr(av).lower())
                continue
            if run:
                needs.append(("".join(run),))
                run = []
            if op is sre_c.SUBPATTERN:
                walk(av[3])
            elif op is sre_c.BRANCH:
                alts = [lead(b) for b in av[1]]
                if alts and all(alts):  # (an alternative that holds another one adds nothing)
                    needs.append(tuple(sorted({a for a in alts if not any(b != a and b in a for b in alts)})))
            elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT) and av[0] >= 1:
                walk(av[2])
            elif op is sre_c.IN and 0 < len(av) <= 4 and all(o is sre_c.LITERAL and a < 128 for o, a in av):
                needs.append(tuple(sorted({chr(a).lower() for _, a in av})))  # e.g. [_-]
        if run:
            needs.append(("".join(run),))

    try:
        walk(tree)
    except Exception:
        return ()
    return tuple(sorted(needs, key=len))


def literal_starts(pattern: str) -> tuple[str, ...]:
    """Lower-case ASCII strings one of which every match of ``pattern`` starts with (after
    zero-width tests such as ``\\b``), e.g. ``("in reply to rcpt", "after ", "rcpt to:")``;
    () when nothing can be said. A search may then begin where the first of them occurs."""
    try:
        from re import _constants as sre_c  # type: ignore[attr-defined]
        from re import _parser as sre_p  # type: ignore[attr-defined]

        tree = sre_p.parse(pattern)
    except Exception:
        return ()

    zero_width = (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT)

    def starts(seq: Any, depth: int = 0) -> tuple[set[str], bool] | None:
        """(strings, whole): every match of ``seq`` starts with one of the strings; ``whole``
        when each string is a complete match of ``seq`` (so what follows ``seq`` may be
        appended). None when nothing can be said."""
        if depth > 20:
            return None
        out = {""}
        for op, av in seq:
            if op in zero_width:  # consumes nothing
                continue
            part: tuple[set[str], bool] | None
            if op is sre_c.LITERAL and av < 128:
                part = ({chr(av).lower()}, True)
            elif op is sre_c.SUBPATTERN:
                part = starts(av[3], depth + 1)
            elif op is sre_c.BRANCH:
                alts = [starts(alt, depth + 1) for alt in av[1]]
                if any(a is None or "" in a[0] for a in alts):
                    part = None
                else:
                    part = (set().union(*(a[0] for a in alts)), all(a[1] for a in alts))  # type: ignore[index]
            elif op is sre_c.IN and av and all(o is sre_c.LITERAL and a < 128 for o, a in av):
                part = ({chr(a).lower() for _, a in av}, True)
            else:
                part = None
            if part is None or len(out) * len(part[0]) > 64:
                return (out, False) if out != {""} else None
            out = {a + b for a in out for b in part[0]}
            if not part[1]:
                return out, False
        return out, True

    try:
        res = starts(tree)
    except Exception:
        return ()
    found = res[0] if res is not None else set()
    if not found or "" in found:
        return ()
    return tuple(sorted(a for a in found if not any(b != a and a.startswith(b) for b in found)))


def quick_search(
    rx: re.Pattern[str], low: str, needs: tuple[tuple[str, ...], ...], starts: tuple[str, ...]
) -> re.Match[str] | None:
    """``rx.search(low)`` for a lower-cased text, made cheap on ASCII text: None at once when
    a string that every match contains is missing (``needs``), else the search begins at the
    first place where a match can start (``starts``); look-behinds and ``\\b`` still see the
    characters before that place, so the answer is the same."""
    if low.isascii():
        if needs and not has_needs(low, needs):
            return None
        if starts:
            pos = -1
            for a in starts:
                i = low.find(a)
                if i >= 0 and (pos < 0 or i < pos):
                    pos = i
            if pos < 0:
                return None
            return rx.search(low, pos)
    return rx.search(low)


def needs_beyond_starts(pattern: str) -> tuple[tuple[str, ...], ...]:
    """literal_needs(pattern) less the conditions that finding one of its literal_starts
    already fulfils (quick_search looks for those anyway)."""
    starts = literal_starts(pattern)
    return tuple(
        alts
        for alts in literal_needs(pattern)
        if not (starts and all(any(a in s for a in alts) for s in starts))
    )


def has_needs(low: str, needs: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``low`` holds, for each condition of ``needs``, one of its strings."""
    for alts in needs:
        for a in alts:
            if a in low:
                break
        else:
            return False
    return True


# English letters, rarest first (only speed depends on this order)
_LETTER_RARITY = {c: i for i, c in enumerate("zqjxkvbpgwyfmculdhrsnioate")}


_PUNCT_RARITY = {c: 0 for c in "#$%^&*|~`_/\\=+{}"} | {c: 1 for c in "-@<>[]()'\"!?"} | {c: 2 for c in ".,:;"}


def _char_rank(c: str) -> int:
    """How likely ``c`` is to be in a reply (lower: less likely): rare punctuation, other
    punctuation, common punctuation, digits, letters by their rarity in English, space."""
    if c.isspace():
        return 100
    if c in _LETTER_RARITY:
        return 4 + _LETTER_RARITY[c]
    if c.isdigit():
        return 3
    return _PUNCT_RARITY.get(c, 1)


def _gate_char(s: str) -> str:
    """The character of ``s`` least likely to be in a reply."""
    return min(s, key=_char_rank) if s else ""


def char_gate(needs: tuple[tuple[str, ...], ...], starts: tuple[str, ...]) -> frozenset[str] | None:
    """Characters one of which every match with these literal_needs / literal_starts
    contains (the least likely such set), or None when nothing can be said."""
    options: list[frozenset[str]] = [frozenset(alts) for alts in needs if alts and all(len(a) == 1 for a in alts)]
    if starts:
        options += [frozenset(c) for c in set.intersection(*(set(a) for a in starts))]
    if not options:
        return None
    return min(options, key=lambda cs: (max(_char_rank(c) for c in cs), len(cs), sorted(cs)))


class Needles:
    """A fixed list of strings looked for in a text. A string whose rarest character
    (``_gate_char``) is unlikely in a reply (a rare mark, or one of the letters z q j x k v)
    is only searched for when that character is in the text; any other string is searched for
    directly (a test of a common character costs as much as the search itself). Same answers
    as testing every string, in fewer steps when most are absent."""

    __slots__ = ("strings", "groups", "plain", "plain_strings", "any")

    def __init__(self, strings: Any) -> None:
        self.strings: tuple[str, ...] = tuple(strings)
        groups: dict[str, list[tuple[int, str]]] = {}
        plain: list[tuple[int, str]] = []
        for i, s in enumerate(self.strings):
            c = _gate_char(s)
            if c and (_char_rank(c) < 2 or 4 <= _char_rank(c) < 10):  # worth a test of its own
                groups.setdefault(c, []).append((i, s))
            else:
                plain.append((i, s))
        self.groups = tuple((c, tuple(items)) for c, items in groups.items())
        self.plain = tuple(plain)  # (position in strings, string), in list order
        self.plain_strings = tuple(s for _, s in plain)
        self.any: Callable[[str], bool] = self._make_any  # (replaced by the compiled test on first use)

    def _make_any(self, text: str) -> bool:
        return self.compile_any()(text)

    def compile_any(self) -> Callable[[str], bool]:
        """Compile any() (done on first use: most Needles of a process are never asked): the
        tests written out as one expression, no loop to run per string; every string is a
        repr()'d literal, so the source holds nothing but these tests."""
        terms = [f"{s!r} in t" for s in self.plain_strings]
        terms += [
            f"{c!r} in t" if all(s == c for _, s in items) else f"({c!r} in t and ({' or '.join(f'{s!r} in t' for _, s in items)}))"
            for c, items in self.groups
        ]
        self.any = eval("lambda t: " + (" or ".join(terms) or "False"))  # noqa: S307
        return self.any

    def first(self, text: str) -> str | None:
        """The first of the strings (in list order) that ``text`` contains, else None."""
        best = -1
        for i, s in self.plain:  # (in list order: the first found is the first of them)
            if s in text:
                best = i
                break
        for c, items in self.groups:
            if c in text:
                for i, s in items:
                    if (best < 0 or i < best) and s in text:
                        best = i
        return self.strings[best] if best >= 0 else None

    def any_loop(self, text: str) -> bool:
        """Whether ``text`` contains one of the strings (what ``any(text)`` answers; ``any`` is
        set per instance in __init__)."""
        for s in self.plain_strings:
            if s in text:
                return True
        for c, items in self.groups:
            if c in text:
                for _, s in items:
                    if s in text:
                        return True
        return False
