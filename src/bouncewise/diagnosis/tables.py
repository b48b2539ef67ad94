"""The diagnosis engine's data, loaded once and compiled into a word index.

Matching works on a *normalised* text: lower-cased, accents dropped, every run of characters
that is not a letter or digit turned into one space, padded with a space on both sides. A phrase
is normalised the same way and matches when `` phrase `` occurs in it, i.e. on whole words.
Each phrase is filed under its *rarest* word (the word found in the fewest phrases of the
tables; very common English words and numbers count as frequent), so that a common word of a
text ("not", "mail", "address") does not pull a long list of candidates. A text is matched by
looking up each of its distinct words and testing only the phrases filed there, so the cost
depends on the length of the text, not on the number of phrases. Hits come back in the order of
the data files, whatever the order of the words, so ties between equal phrases are decided the
same way on every run. Phrases in a script without spaces between words (Japanese, Chinese) are
tested as plain substrings, and only when the text is not ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from itertools import filterfalse
from typing import Any

from bouncewise._data import data_files, load_toml
from bouncewise.diagnosis.prefilters import (  # noqa: F401  (names read from here by the readers and tests)
    Needles,
    char_gate,
    has_needs,
    literal_needs,
    literal_starts,
    needs_beyond_starts,
    quick_search,
)

WORD_RE = re.compile(r"[^\W_]+")


@cache
def _cjk() -> re.Pattern[str]:
    """A character of a script written without spaces (only the builder needs it: compiling
    these ranges costs more than the rest of the module)."""
    return re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")


def fold(text: str) -> str:
    """Lower-case and, for non-ASCII text, case-fold and drop accents (é → e, ß → ss)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(filterfalse(unicodedata.combining, text))  # (the marks: combining class > 0)


# ASCII text: upper-case letters to lower case, letters and digits kept, all else a space
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256)
)


def normalise(text: str) -> tuple[str, list[str]]:
    """The padded word string used for matching, and its words."""
    words = words_of(text)
    return " " + " ".join(words) + " ", words


def words_of(text: str) -> list[str]:
    """The words of ``text`` as normalise() gives them (without building the padded string)."""
    if text.isascii():  # the same words as below, by a byte table (several times faster)
        return text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return WORD_RE.findall(fold(text))


class Phrase:
    """One phrase of the tables. Read-only; equal when all fields are. (A plain class, not a
    dataclass: making the dataclasses of the engine cost a tenth of its start-up.)"""

    __slots__ = ("needle", "raw", "target", "kind", "source", "provider", "status", "host_only", "extra")

    needle: tuple[str, ...]  # normalised parts, padded; one part = phrase, more = in order
    raw: str  # the phrase as written in the data file (for evidence)
    target: str  # reason name, or provider id for kind == "marker"
    kind: str  # "phrase" | "weak" | "not" | "special" | "provider" | "marker"
    source: str  # which table: "phrases.toml:userunknown:en", "providers/google.toml"
    provider: str | None  # provider rule: whose
    status: str | None  # provider rule: only with a status starting with this
    host_only: bool  # provider rule: only when the provider is known from rhost or vendor
    extra: dict[str, Any] | None  # special: retry, retry_after, explanation, advice

    def __init__(
        self,
        needle: tuple[str, ...],
        raw: str,
        target: str,
        kind: str,
        source: str,
        provider: str | None = None,
        status: str | None = None,
        host_only: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "needle", needle)
        setattr_(self, "raw", raw)
        setattr_(self, "target", target)
        setattr_(self, "kind", kind)
        setattr_(self, "source", source)
        setattr_(self, "provider", provider)
        setattr_(self, "status", status)
        setattr_(self, "host_only", host_only)
        setattr_(self, "extra", extra)

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Phrase(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__) + ")"

    def matches(self, padded: str) -> bool:
        pos = 0
        for part in self.needle:
            i = padded.find(part, pos)
            if i < 0:
                return False
            pos = i + len(part) - 1  # keep the trailing space usable as the next leading one
        return True


# Words so common in replies and their MTA wrappers ("host … said: …", "(in reply to RCPT TO
# command)") that a phrase is not filed under them when it has another word. Only speed
# depends on this list, never what is found.
_COMMON = frozenset(
    "a an and are as at be by for from has have in is it no not of on or our the this to was "
    "we with you your mail email message address user recipient sender domain server host said "
    "reply command rcpt data smtp remote error please try again later com org net www http https".split()
)


MEMO_SIZE = 4096  # word sequences remembered by Index.find


def needle_in(needle: tuple[str, ...], padded: str) -> bool:
    """Phrase.matches for a needle: its parts occur in ``padded`` in this order."""
    pos = 0
    for part in needle:
        i = padded.find(part, pos)
        if i < 0:
            return False
        pos = i + len(part) - 1
    return True


class PhraseList:
    """The phrases of an index, in rank order, each made into a Phrase on first use from its
    row (the fields in order, as marshal bytes): a process reads a few dozen of the two
    thousand. The same Phrase object comes back for a rank every time."""

    __slots__ = ("_rows", "_made")

    def __init__(self, rows: list[bytes]) -> None:
        self._rows = rows
        self._made: list[Phrase | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self._rows)))]
        p = self._made[i]
        if p is None:
            import marshal

            p = self._made[i] = Phrase(*marshal.loads(self._rows[i]))
        return p

    def __iter__(self) -> Iterator[Phrase]:
        for i in range(len(self._rows)):
            yield self[i]


def _row(p: Phrase) -> tuple[Any, ...]:
    return (p.needle, p.raw, p.target, p.kind, p.source, p.provider, p.status, p.host_only, p.extra)


class Index:
    """The phrase index. Built by add() and freeze() (tables' builder), or from the plain
    data that plain() gives (from_plain: the derived cache); both answer the same."""

    __slots__ = ("_adding", "phrases", "_raw_idx", "_keys", "_fast_ranks", "_raw_ranks", "_vocab", "_memo")

    def __init__(self) -> None:
        self._adding: list[Phrase] = []
        # every phrase, in the order of the data files (its position is its rank among hits)
        self.phrases: list[Phrase] | PhraseList = self._adding
        self._raw_idx: list[int] = []  # ranks of the CJK phrases (substring tests)
        self._keys: frozenset[str] = frozenset()
        # anchor word -> ((needle when it has one part else None, the needle, (rank, ...) of
        # every phrase with that needle), ...): what search_ranks tests
        self._fast_ranks: dict[str, tuple[tuple[str | None, tuple[str, ...], tuple[int, ...]], ...]] = {}
        self._raw_ranks: tuple[tuple[int, str], ...] = ()  # (rank, raw) of the CJK phrases
        # every word of every word phrase (word -> word): what search_ranks can see of a text
        self._vocab: dict[str, str] = {}
        # words of a text, reduced to the vocabulary (None for any other word) -> search_ranks
        self._memo: dict[tuple[str | None, ...], tuple[int, ...]] = {}

    @property
    def by_word(self) -> dict[str, list[Phrase]]:
        """Anchor word -> the phrases filed under it (in rank order)."""
        phrases = self.phrases
        return {w: [phrases[r] for r in sorted(r for *_, same in groups for r in same)] for w, groups in self._fast_ranks.items()}

    @property
    def raw(self) -> list[Phrase]:
        """The CJK phrases (tested as substrings of the folded text)."""
        return [self.phrases[r] for r in self._raw_idx]

    def add(self, phrase: Phrase) -> None:
        if not any(part.split() for part in phrase.needle):
            return
        self._adding.append(phrase)
        self._fast_ranks = {}  # rebuilt by freeze()

    def freeze(self) -> None:
        """File every phrase under its rarest word (call once, after the last add())."""
        df: dict[str, int] = {}
        plain: list[tuple[int, Phrase, list[str]]] = []
        self._raw_idx = []
        for rank, phrase in enumerate(self._adding):
            if _cjk().search(phrase.raw):
                self._raw_idx.append(rank)
                continue
            words = [w for part in phrase.needle for w in part.split()]
            for w in set(words):
                df[w] = df.get(w, 0) + 1
            plain.append((rank, phrase, words))
        fast: dict[str, dict[tuple[str, ...], list[int]]] = {}
        for rank, phrase, words in plain:
            anchor = min(words, key=lambda w: (w in _COMMON or w.isdigit() or len(w) < 3, df[w], -len(w), w))
            fast.setdefault(anchor, {}).setdefault(phrase.needle, []).append(rank)
        self._fast_ranks = {
            w: tuple((needle[0] if len(needle) == 1 else None, needle, tuple(same)) for needle, same in groups.items())
            for w, groups in fast.items()
        }
        self._keys = frozenset(self._fast_ranks)
        self._raw_ranks = tuple((r, self._adding[r].raw) for r in self._raw_idx)
        self._vocab = {w: w for w in df}
        self._memo = {}

    def plain(self) -> dict[str, Any]:
        """The frozen index as plain data (what marshal stores); from_plain(plain()) answers
        as this index does."""
        import marshal

        if not self._fast_ranks and self._adding:
            self.freeze()
        return {
            # one marshal string per phrase: loading the table then makes 2,000 bytes
            # objects, not 2,000 rows of tuples; a row is read when its phrase is first used
            "phrases": [marshal.dumps(_row(p)) for p in self.phrases],
            "raw_text": [self.phrases[r].raw for r in self._raw_idx],
            "raw": self._raw_idx,
            "fast": self._fast_ranks,
            "vocab": list(self._vocab),
        }

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> Index:
        index = cls()
        rows = data["phrases"]
        index.phrases = PhraseList(rows)
        index._adding = []
        index._raw_idx = data["raw"]
        index._fast_ranks = data["fast"]
        index._keys = frozenset(index._fast_ranks)
        index._raw_ranks = tuple(zip(index._raw_idx, data["raw_text"], strict=True))
        index._vocab = {w: w for w in data["vocab"]}
        return index

    def _ready(self) -> None:
        if not self._fast_ranks and self._adding:
            self.freeze()

    def search(self, padded: str, words: list[str], folded: str | None) -> list[Phrase]:
        """Every phrase found in ``padded`` (word phrases, in table order), then CJK phrases."""
        phrases = self.phrases
        return [phrases[r] for r in self.search_ranks(padded, words, folded)]

    def find(self, padded: str, words: list[str], folded: str | None) -> tuple[int, ...]:
        """search_ranks(), remembered for the last MEMO_SIZE word sequences. A word phrase
        matches on whole words in a row, so a word that is in no phrase can only stand
        between matches, never take part in one: replacing it by any other such word (here:
        None) changes nothing that is found. The text's words so reduced are therefore a
        complete key for what is found ("550 5.1.1 <ann@example.org>: user unknown" and
        "550 5.1.1 <bo@example.net>: user unknown" share one). Not used for non-ASCII text
        (CJK phrases are substring tests) or very long texts."""
        if folded is not None or len(words) > 160:
            return self.search_ranks(padded, words, folded)
        if not self._fast_ranks:
            self._ready()
        key = tuple(map(self._vocab.get, words))
        found = self._memo.get(key)
        if found is None:
            found = self.search_ranks(padded, words, folded)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = found
        return found

    def find_words(self, words: list[str], folded: str | None) -> tuple[int, ...]:
        """find() for the words of a text (words_of), the padded string built only when the
        memo does not know the word sequence: the same answer as find(*normalise(text), folded)."""
        if folded is None and len(words) <= 160:
            vocab = self._vocab
            if vocab:
                found = self._memo.get(tuple(map(vocab.get, words)))
                if found is not None:
                    return found
        return self.find(" " + " ".join(words) + " ", words, folded)

    def search_ranks(self, padded: str, words: list[str], folded: str | None) -> tuple[int, ...]:
        """What search() finds, as ranks (positions in ``phrases``): a hashable answer that
        the engine uses as part of its cache key."""
        if not self._fast_ranks:
            self._ready()
        fast = self._fast_ranks
        keys = self._keys.intersection(words)
        if not keys and folded is None:
            return ()
        found: list[int] = []
        for w in keys:
            for single, needle, same in fast[w]:
                if single is not None:
                    if single in padded:
                        found += same
                elif needle_in(needle, padded):
                    found += same
        if len(found) > 1:
            found.sort()
        if folded is not None:
            for r, raw in self._raw_ranks:
                if raw in folded:
                    found.append(r)
        return tuple(found)


def _norm_phrase(text: str) -> str:
    if _cjk().search(text):
        return fold(text)
    padded, _ = normalise(text)
    return padded


def _phrase(raw: str | list[str], **kw: Any) -> Phrase:
    parts = [raw] if isinstance(raw, str) else list(raw)
    needle = tuple(_norm_phrase(p) for p in parts)
    shown = raw if isinstance(raw, str) else " … ".join(parts)
    return Phrase(needle=needle, raw=shown if not _cjk().search(shown) else fold(shown), **kw)


class Provider:
    """A provider's data: its hosts and vendor names, and its own codes."""

    __slots__ = ("id", "name", "hosts", "vendors", "code_pattern", "codes", "anywhere", "code_needs", "code_starts", "_rx")

    def __init__(
        self,
        id: str,  # noqa: A002
        name: str,
        hosts: tuple[str, ...],
        vendors: tuple[str, ...],
        code_pattern: str | None,
        codes: dict[str, str],
        anywhere: bool = False,
        code_needs: tuple[tuple[str, ...], ...] = (),
        code_starts: tuple[str, ...] = (),
    ) -> None:
        self.id = id
        self.name = name
        self.hosts = hosts
        self.vendors = vendors
        self.code_pattern = code_pattern  # the codes' pattern (case-insensitive), compiled on first use
        self.codes = codes
        self.anywhere = anywhere  # apply the code pattern even when the provider was not recognised
        self.code_needs = code_needs  # needs_beyond_starts(code pattern)
        self.code_starts = code_starts  # literal_starts(code pattern)
        self._rx: re.Pattern[str] | None = None

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__[:-1])

    __hash__ = None  # type: ignore[assignment]  # (mutable, like the dataclass it was)

    def __repr__(self) -> str:
        return "Provider(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__[:-1]) + ")"

    @property
    def code_re(self) -> re.Pattern[str] | None:
        """The compiled code pattern (None when the provider has none)."""
        if self._rx is None and self.code_pattern is not None:
            self._rx = re.compile(self.code_pattern, re.I)
        return self._rx

    def code_search(self, low: str) -> re.Match[str] | None:
        """``code_re.search(low)`` on the lower-cased text (see quick_search)."""
        rx = self._rx
        if rx is None:
            rx = self.code_re
            if rx is None:
                return None
        return quick_search(rx, low, self.code_needs, self.code_starts)


class Tables:
    """Everything the engine reads from the data files (see tables())."""

    __slots__ = (
        "order", "index", "providers", "host_map", "vendor_map", "status_map", "reply_map", "advice",
        "anywhere", "anywhere_tests", "anywhere_starts", "anywhere_chars", "anywhere_gate",
    )

    def __init__(
        self,
        order: dict[str, int],
        index: Index,
        providers: dict[str, Provider],
        host_map: dict[str, str],
        vendor_map: dict[str, str],
        status_map: dict[str, str],
        reply_map: dict[str, str],
        advice: dict[str, list[str]],
        anywhere: list[str],
        anywhere_tests: tuple[tuple[tuple[tuple[str, ...], ...], tuple[str, ...]], ...] | None = None,
        anywhere_starts: Needles | None = None,
        anywhere_chars: tuple[str, ...] | None = None,
        anywhere_gate: Callable[[str], bool] | None = None,
    ) -> None:
        self.order = order
        self.index = index
        self.providers = providers
        self.host_map = host_map  # host suffix -> provider id
        self.vendor_map = vendor_map  # vendor name -> provider id
        self.status_map = status_map
        self.reply_map = reply_map
        self.advice = advice
        self.anywhere = anywhere  # providers whose codes are read in any text
        # (code_needs, code_starts) of each "anywhere" provider; None when one has neither
        self.anywhere_tests = anywhere_tests
        # the literal_starts of the "anywhere" providers whose codes need nothing else
        self.anywhere_starts = anywhere_starts
        # characters one of which every "anywhere" provider's code contains (None: no such set)
        self.anywhere_chars = anywhere_chars
        # Needles(anywhere_chars).any when maybe_anywhere tests those characters, else None: for
        # ASCII text, False means maybe_anywhere is False (the engine calls it only after this)
        self.anywhere_gate = anywhere_gate

    def maybe_anywhere(self, low: str) -> bool:
        """False when no "anywhere" provider's code can be in the lower-cased text ``low``
        (ASCII, and for each provider a string its code needs is missing): their searches
        can then be skipped."""
        tests = self.anywhere_tests
        if tests is None or not low.isascii():
            return True
        chars = self.anywhere_chars
        if chars is not None:
            for c in chars:
                if c in low:
                    break
            else:
                return False
        if self.anywhere_starts is not None and self.anywhere_starts.any(low):
            return True
        for needs, starts in tests:
            if not needs:  # (its starts are in anywhere_starts)
                continue
            if not has_needs(low, needs):
                continue
            if not starts:
                return True
            for a in starts:
                if a in low:
                    return True
        return False


# what the tables are made from: the data files, this module (the builder: its phrase
# normalisation and anchor choice are part of what is cached) and the prefilters it stores
_SOURCES = (
    "diagnosis/tables.py",
    "diagnosis/prefilters.py",
    "diagnosis/data/phrases.toml",
    "diagnosis/data/codes.toml",
    "diagnosis/data/advice.toml",
)


def sources() -> tuple[str, ...]:
    """The files the diagnosis tables are derived from (relative to the package)."""
    return _SOURCES + tuple(data_files("diagnosis/data/providers"))


@cache
def tables() -> Tables:
    """The tables, once per process: from the derived cache (bouncewise._data.load_derived,
    keyed by the bytes of every source file) when it holds them, else built from the data
    files and stored there. Regular expressions and generated tests are made on first use."""
    from bouncewise._data import load_derived

    return from_plain(load_derived("diagnosis-tables", sources(), build_plain))


def build_plain() -> dict[str, Any]:
    """Read every data file and build the tables as plain data (what marshal stores)."""
    data = load_toml("diagnosis/data/phrases.toml")
    index = Index()
    for reason, groups in data["reasons"].items():
        for key, items in groups.items():
            kind = {"weak": "weak", "not": "not"}.get(key, "phrase")
            for item in items:
                index.add(_phrase(item, target=reason, kind=kind, source=f"phrases.toml:{reason}:{key}"))
    for n, sp in enumerate(data.get("special", [])):
        extra = {k: v for k, v in sp.items() if k not in ("phrases", "reason")}
        for item in sp["phrases"]:
            index.add(
                _phrase(
                    item, target=sp["reason"], kind="special", source=f"phrases.toml:special:{n}", extra=extra
                )
            )

    providers: list[tuple[Any, ...]] = []
    host_map: dict[str, str] = {}
    vendor_map: dict[str, str] = {}
    for rel in data_files("diagnosis/data/providers"):
        raw = load_toml(rel)
        meta = raw["provider"]
        pid = meta["id"]
        pattern = meta.get("code_pattern") or None
        providers.append((
            pid,
            meta["name"],
            tuple(meta.get("hosts", ())),
            tuple(v.lower() for v in meta.get("vendors", ())),
            pattern,
            {str(k).lower(): v for k, v in raw.get("codes", {}).items()},
            bool(meta.get("anywhere", False)),
            needs_beyond_starts(pattern) if pattern is not None else (),
            literal_starts(pattern) if pattern is not None else (),
        ))
        for h in meta.get("hosts", ()):
            host_map[h.lower().strip(".")] = pid
        for v in meta.get("vendors", ()):
            vendor_map[v.lower()] = pid
        vendor_map[pid] = pid
        for m in meta.get("markers", ()):
            index.add(_phrase(m, target=pid, kind="marker", source=rel.split("/", 2)[-1]))
        for rule in raw.get("rules", []):
            for item in rule["phrases"]:
                index.add(
                    _phrase(
                        item,
                        target=rule["reason"],
                        kind="provider",
                        source=rel.split("/", 2)[-1],
                        provider=pid,
                        status=rule.get("status"),
                        host_only=bool(rule.get("from_host", False)),
                    )
                )
    index.freeze()
    codes = load_toml("diagnosis/data/codes.toml")
    adv = load_toml("diagnosis/data/advice.toml")
    return _shared({
        "order": {name: i for i, name in enumerate(data["order"])},
        "index": index.plain(),
        "providers": providers,
        "host_map": host_map,
        "vendor_map": vendor_map,
        "status_map": dict(codes["status"]),
        "reply_map": dict(codes["replycode"]),
        "advice": {k: list(v) for k, v in adv["advice"].items()},
    })


def _shared(obj: Any, memo: dict[str, str] | None = None) -> Any:
    """``obj`` with equal strings made one object (marshal then stores each once)."""
    memo = {} if memo is None else memo
    if isinstance(obj, str):
        return memo.setdefault(obj, obj)
    if isinstance(obj, tuple):
        return tuple(_shared(x, memo) for x in obj)
    if isinstance(obj, list):
        return [_shared(x, memo) for x in obj]
    if isinstance(obj, dict):
        return {_shared(k, memo): _shared(v, memo) for k, v in obj.items()}
    return obj


def from_plain(data: dict[str, Any]) -> Tables:
    """The Tables made from build_plain()'s data (fresh or from the cache)."""
    providers = {row[0]: Provider(*row) for row in data["providers"]}
    coded = [p for p in providers.values() if p.anywhere and p.code_pattern is not None]
    anywhere_chars = _anywhere_chars(coded)
    anywhere_tests = _anywhere_tests(coded)
    return Tables(
        order=data["order"],
        index=Index.from_plain(data["index"]),
        providers=providers,
        host_map=data["host_map"],
        vendor_map=data["vendor_map"],
        status_map=data["status_map"],
        reply_map=data["reply_map"],
        advice=data["advice"],
        anywhere=[p.id for p in coded],
        anywhere_tests=anywhere_tests,
        anywhere_chars=anywhere_chars,
        anywhere_gate=Needles(anywhere_chars).compile_any() if anywhere_chars and anywhere_tests is not None else None,
        anywhere_starts=Needles(a for p in coded if not p.code_needs for a in p.code_starts),
    )


def _anywhere_tests(
    provs: list[Provider],
) -> tuple[tuple[tuple[tuple[str, ...], ...], tuple[str, ...]], ...] | None:
    if any(not p.code_starts and not p.code_needs for p in provs):
        return None
    return tuple((p.code_needs, p.code_starts) for p in provs)


def _anywhere_chars(provs: list[Provider]) -> tuple[str, ...] | None:
    gates = [char_gate(p.code_needs, p.code_starts) for p in provs]
    if not gates or any(g is None for g in gates):
        return None
    return tuple(sorted(set().union(*gates)))  # type: ignore[arg-type]
