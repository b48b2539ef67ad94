"""The speed devices of the diagnosis engine and the log scanner give the same answers as the
plain forms they replace (word index vs. testing every phrase, shifted word boundaries vs.
``\\b``, substring pre-tests vs. a full regex search, the "sent line" shortcut vs. parse_line).
Texts are generated here from a fixed seed and from the project's own reply table."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bouncewise import logscan
from bouncewise.diagnosis import engine
from bouncewise.diagnosis.tables import (
    WORD_RE,
    fold,
    literal_needs,
    literal_starts,
    needs_beyond_starts,
    normalise,
    quick_search,
    tables,
)

REPLIES = Path(__file__).parent / "fixtures" / "replies" / "replies.tsv"

PIECES = [
    "550", "5.1.1", "4.7.0", "452-", "#5.", " ", "  ", "\t", ".", "-", ":", "<", ">", "@", "[", "]", "(", ")",
    "=", "_", "/", "é", "İ", "K", "host ", "relay=", "H=", "Connected to ", "mx.example.org", "[192.0.2.1]",
    "in reply to ", "RCPT TO:", "rcpt to:<jo@example.org>", "MAIL FROM:", "after DATA", "end of data",
    ">>> ", "<<< ", "EHLO", "greeting", "try again in ", "5 minutes", "2 HOURS", "wait ", "user@example.org",
    "sender", "User unknown", "mailbox full", "aup#", "rcp-p1", "ofr_123", "mail.i.ua/err/5", "ib123",
]


def _replies() -> list[str]:
    rows = [ln for ln in REPLIES.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return [r.split("\t", 4)[4] for r in rows]


def _texts(n: int = 4000, seed: int = 17) -> list[str]:
    rnd = random.Random(seed)
    base = _replies()
    out = list(base)
    out += [t.upper() for t in base] + [t.lower() for t in base]
    out += ["".join(rnd.choice(PIECES) for _ in range(rnd.randrange(1, 24))) for _ in range(n)]
    out += [rnd.choice(base) + " " + "".join(rnd.choice(PIECES) for _ in range(6)) for _ in range(n // 4)]
    return out


def test_index_finds_what_testing_every_phrase_finds_in_table_order() -> None:
    index = tables().index
    cjk = {id(p) for p in index.raw}
    plain = [p for p in index.phrases if id(p) not in cjk]
    for text in _texts(600):
        t = engine.CODES_RE.sub(" ", text)
        padded, words = normalise(t)
        folded = fold(text) if not text.isascii() else None
        want = [p for p in plain if p.matches(padded)]
        if folded is not None:
            want += [p for p in index.raw if p.raw in folded]
        assert [id(p) for p in index.search(padded, words, folded)] == [id(p) for p in want], text


def test_normalise_ascii_path_equals_the_general_one() -> None:
    rnd = random.Random(3)
    for text in _texts(500) + ["".join(chr(rnd.randrange(128)) for _ in range(30)) for _ in range(3000)]:
        words = WORD_RE.findall(fold(text))
        assert normalise(text) == (" " + " ".join(words) + " ", words)


PLAIN = {
    "_STATUS_FAST": r"\b([245])\.\d{1,3}\.\d{1,3}\b",
    "_PAIR_FAST": r"\b([245][0-5][0-9])[ -]#?([245]\.\d{1,3}\.\d{1,3})\b",
    "REPLY_RE": r"(?<![\w.#/\[=:-])([245][0-5][0-9])(?=[ \t\-:,;)\]'\"]|\.(?!\d)|$)",
    "CODES_RE": r"\b[245][0-5]\d[ -]#?[245]\.\d{1,3}\.\d{1,3}\b|\b[245]\.\d{1,3}\.\d{1,3}\b|\b[245][0-5]\d-",
    "HOST_RE": r"\bhost\s([A-Za-z0-9][A-Za-z0-9.-]{0,252})\s?\[([0-9A-Fa-f.:]{2,45})\]"
    r"|\brelay=([A-Za-z0-9][A-Za-z0-9.-]{0,252})\.?\s?\[([0-9A-Fa-f.:]{2,45})\]"
    r"|\bH=([A-Za-z0-9][A-Za-z0-9.-]{0,252})\s\[([0-9A-Fa-f.:]{2,45})\]"
    r"|\[([A-Za-z0-9][A-Za-z0-9.-]{0,252}\.[A-Za-z]{2,63})\]\s*$"
    r"|\bConnected to ([0-9A-Fa-f.:]{7,45})\b",
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_shifted_word_boundaries_match_like_the_plain_patterns(name: str) -> None:
    plain, fast = re.compile(PLAIN[name]), getattr(engine, name)
    for text in _texts():
        assert [(m.span(), m.groups()) for m in fast.finditer(text)] == [
            (m.span(), m.groups()) for m in plain.finditer(text)
        ], text


def _patterns() -> list[re.Pattern[str]]:
    out = [fast for fast, *_ in engine._COMMANDS_LOW if fast is not None]
    out += [p.code_re for p in tables().providers.values() if p.code_re is not None]
    out += [re.compile(p) for p in (r"\bfoo(?:bar|baz)+x", r"(?:ab|cd)?ef", r"[ab]c\b", r"^ab|cd$", r"a(?=b)c|bd")]
    return out


def test_literal_prefilters_never_skip_a_match() -> None:
    assert literal_needs(r"aup#([0-9a-z]{2,10})") == (("aup#",),)
    assert literal_starts(r"\b(?:ofr|lpn)[0-9]") == ("lpn", "ofr")
    pats = [(rx, needs_beyond_starts(rx.pattern), literal_starts(rx.pattern)) for rx in _patterns()]
    for text in _texts(2500):
        low = text.lower()
        for rx, needs, starts in pats:
            a = rx.search(low)
            b = quick_search(rx, low, needs, starts)
            assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), (rx.pattern, text)


def test_anywhere_gate_only_skips_providers_that_cannot_match() -> None:
    t = tables()
    provs = [t.providers[pid] for pid in t.anywhere]
    for text in _texts(2500) + ["550 AUP#CDRBL", "RCP-P1 x", "ofr_416 y", "mail.i.ua/err/5"]:
        low = text.lower()
        if not t.maybe_anywhere(low):
            assert all(p.code_search(low) is None for p in provs), text


def test_caseless_patterns_only_for_lowercase_safe_sources() -> None:
    assert engine._caseless(re.compile(r"after data\b", re.I)) is not None
    assert engine._caseless(re.compile(r"RCPT TO:", re.I)) is None
    assert engine._caseless(re.compile(r"\x41b", re.I)) is None
    assert engine._caseless(re.compile(r"(?-i:a)b", re.I)) is None


LOG_PIECES = [
    "to=<", "to=", " relay=", "dsn=5.1.1", "status=sent", "status=sentx", "status=bounced", " status=deferred (",
    "stat=", "stat=Sent", "status=deliverable", "status=undeliverable", "xstatus=sent", "a@b.example", " ",
    ")", "(", ",", " ** ", " == ", " => ",
]
LOG_HEADS = [
    "Nov 23 10:00:01 mx1 postfix/smtp[123]: ABCDEF1234: ",
    "Nov 23 10:00:01 mx1 sendmail[123]: x1ABCDEF: ",
    "2026-11-23T10:00:01+00:00 mx1 postfix/smtp[9]: ABCDEF1234: ",
    "2026-11-23 10:00:01 1tAb01-000AbC-12 ** ",
    "junk ",
]


def test_sent_shortcut_agrees_with_parse_line() -> None:
    rnd = random.Random(5)
    for _ in range(20000):
        line = rnd.choice(LOG_HEADS) + "".join(rnd.choice(LOG_PIECES) for _ in range(rnd.randrange(1, 12)))
        if logscan._only_sent(line):
            p = logscan.parse_line(line)
            assert p is None or p.state == "sent", line


# ----------------------------------------------------------------------------- second round


def _swap_free_words(text: str, rnd: random.Random) -> str:
    """``text`` with its address-like and host-like tokens (words in no phrase) replaced."""
    vocab = tables().index._vocab
    out = []
    for tok in re.split(r"(\W+)", text):
        if tok and tok.isalnum() and tok.lower() not in vocab and not tok.isdigit():
            tok = rnd.choice(["zz", "qx1", "Xyzzy", "ab12", "m9"])
        out.append(tok)
    return "".join(out)


def test_index_memo_gives_what_a_fresh_search_gives() -> None:
    index = tables().index
    rnd = random.Random(41)
    for text in _texts(1500):
        for t in (text, _swap_free_words(text, rnd), _swap_free_words(text, rnd)):
            padded, words = normalise(engine.CODES_RE.sub(" ", t))
            folded = fold(t) if not t.isascii() else None
            assert index.find(padded, words, folded) == index.search_ranks(padded, words, folded), t


def test_decision_cache_gives_the_same_as_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """_decide and Index.find are cached on facts read from the text: with the caches warm
    (full of other texts' answers) the engine answers as it does without them."""
    texts = _texts(300)
    hints = [{}, {"context": "bounce"}, {"command": "DATA"}, {"status": "4.2.2"}, {"action": "delayed"},
             {"vendor": "gmail", "rhost": "mx.example.org"}, {"action": "failed", "context": "bounce"}]
    warm = [[engine.diagnose(t, **kw).to_dict() for t in texts] for kw in hints]
    index = tables().index
    monkeypatch.setattr(engine, "_decide", engine._decide.__wrapped__)
    monkeypatch.setattr(type(index), "find", type(index).search_ranks)
    plain = [[engine.diagnose(t, **kw).to_dict() for t in texts] for kw in hints]
    for kw, a, b in zip(hints, warm, plain, strict=True):
        assert a == b, kw


def test_to_dict_equals_asdict() -> None:
    from dataclasses import asdict

    for text in _texts(200)[:600] + [b"\x00\x01bin", "", "Nov 23 10:00:01 mx1 postfix/smtp[1]: ABCDEF1234: to=<a@b.example>, "
                                       "relay=mx.b.example[192.0.2.1]:25, dsn=5.1.1, status=bounced (550 5.1.1 no such user)"]:
        d = engine.diagnose(text)
        assert d.to_dict() == asdict(d)
        assert list(d.to_dict()) == list(asdict(d))
    log = Path(__file__).parent / "fixtures" / "logs" / "postfix.log"
    with logscan.open_log(log) as fh:
        for rec in logscan.scan(fh, include_sent=True):
            assert rec.to_dict() == asdict(rec) and list(rec.to_dict()) == list(asdict(rec))


def test_needles_agree_with_testing_every_string() -> None:
    from bouncewise.diagnosis.tables import Needles

    rnd = random.Random(8)
    lists = [("to=", "status=", " ** ", " == ", " => ", " -> "), ("b", "ab", "zz#", ""), engine._COMMAND_NEEDLES.strings,
             engine._queue_expiry().strings, ("q'#", 'k"\\', "x\n-", "{t}"), ()]
    for strings in lists:
        nd = Needles(strings)
        for text in _texts(300) + ["".join(rnd.choice("ab#z =>*-q'k\"\\x\n{t}") for _ in range(8)) for _ in range(2000)]:
            low = text.lower()
            assert nd.any(low) == any(s in low for s in strings)
            assert nd.any_loop(low) == any(s in low for s in strings)
            assert nd.first(low) == next((s for s in strings if s in low), None)


def test_literal_starts_reach_past_alternations() -> None:
    assert literal_starts(r"\b((?:rcp|pol)-[a-z][0-9])\b") == ("pol-", "rcp-")
    assert literal_starts(r"(?:ab|cd)?ef") == ()
    assert literal_starts(r"(?:|a)b") == ()
    assert literal_starts(r"in reply to (?:ehlo|helo)") == ("in reply to ehlo", "in reply to helo")


def test_find_words_equals_find_on_the_padded_string() -> None:
    from bouncewise.diagnosis.tables import words_of

    index = tables().index
    for t in _texts(400):
        cut = engine.CODES_RE.sub(" ", t)
        folded = fold(cut) if not cut.isascii() else None
        padded, words = normalise(cut)
        assert words_of(cut) == words
        assert index.find_words(words, folded) == index.search_ranks(padded, words, folded), t


def test_recipient_local_run_equals_the_regex_run() -> None:
    rnd = random.Random(12)
    for _ in range(3000):
        text = "".join(rnd.choice("ab.<>@ _-+é'\"x1") for _ in range(rnd.randrange(1, 40)))
        at = text.find("@")
        if at <= 0:
            continue
        before = text[max(0, at - 130) : at]
        assert len(before) - len(before.rstrip(engine._LOCAL_CHARS)) == engine._LOCAL_RUN.match(before[::-1]).end()


def _find_codes_plain(text: str) -> tuple[str | None, str | None]:
    """find_codes as first written: every search from the start of the text."""
    if "." in text:
        m = engine._first(engine._PAIR_FAST, text)
        if m:
            return m.group(1), m.group(2)
    r = engine.REPLY_RE.search(text)
    s = engine._first(engine._STATUS_FAST, text) if "." in text else None
    return (r.group(1) if r else None), (s.group(0) if s else None)


def test_find_codes_equals_searching_from_the_start() -> None:
    rnd = random.Random(21)
    bits = ["5", "4", "2", "0", "1", ".", ".", "-", "#", " ", "a", "_", "550", "5.1.1", "4.2.2", "x5", "9"]
    texts = _texts(300) + ["".join(rnd.choice(bits) for _ in range(rnd.randrange(1, 30))) for _ in range(20000)]
    texts += ["1.5.1.1 550 5.1.1", "5.1.5.2.3", "a5.1.1 550-5.1.1", "550 #5.1.1.2 450 4.2.2", "x.5.1.1 5.1.1"]
    for text in texts:
        assert engine.find_codes(text) == _find_codes_plain(text), text
        d = engine._STATUS_DOT.search(text)
        s = engine._STATUS_FAST.search(text)
        assert (d.start() - 1 if d else None) == (s.start() if s else None), text


def test_strip_codes_equals_the_codes_substitution() -> None:
    rnd = random.Random(22)
    bits = ["5", "4", "2", "0", "1", ".", "-", "#", " ", "a", "_", "550", "550-", "5.1.1", "4.2.2", "x5", "9", "-"]
    texts = _texts(300) + ["".join(rnd.choice(bits) for _ in range(rnd.randrange(1, 30))) for _ in range(20000)]
    texts += ["550 5.1.1 ok", "550 5.1.1 a 451-x", "550 5.1.1-5.1.2", "550 5.1.1 x5.1.1 -", "a550-b", "550-"]
    for text in texts:
        assert engine.strip_codes(text) == engine.CODES_RE.sub(" ", text), text


def test_anywhere_gate_never_skips_a_text_maybe_anywhere_lets_through() -> None:
    tb = tables()
    rnd = random.Random(23)
    texts = _texts(300) + ["".join(rnd.choice("ab#_/- x1.é") for _ in range(12)) for _ in range(3000)]
    for text in texts:
        low = text.lower()
        if tb.anywhere_gate is not None and not tb.anywhere_gate(low) and low.isascii():
            assert not tb.maybe_anywhere(low), text
