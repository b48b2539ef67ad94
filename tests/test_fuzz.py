"""Property-based tests (hypothesis), bounded in time: whatever the bytes, parse() gives
at least one record per message, never raises, and the records are JSON-ready.

CI runs a small budget (150 inputs per test). A longer fuzz run outside CI sets the number of
inputs per test, and then every call must also finish within a second::

    BOUNCEWISE_FUZZ_EXAMPLES=7500 python -m pytest -q -s -p no:cacheprovider tests/test_fuzz.py

(four tests: 30,000 random and mutated inputs); the last test prints how many inputs were
checked and the slowest call."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bouncewise.messages import Limits, iter_messages
from bouncewise.pipeline import analyse_all

FUZZ = int(os.environ.get("BOUNCEWISE_FUZZ_EXAMPLES", "0") or 0)  # 0: the CI budget
SETTINGS = settings(
    max_examples=FUZZ or 150,
    deadline=1000 if FUZZ else 2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None if FUZZ else settings.default.database,
)
LIMITS = Limits(max_seconds=2.0)
STATS = {"inputs": 0, "slowest": 0.0}
if FUZZ:  # the tables load on the first call: not a call the fuzz run is timing
    from bouncewise.pipeline import warm

    warm()
    list(analyse_all(b"Subject: warm-up\n\n550 5.1.1 user unknown\n", LIMITS))
SAMPLES = [p.read_bytes() for d in ("bounces", "mta", "provider", "variants")
           for p in sorted((Path(__file__).parent / "fixtures" / d).rglob("*")) if p.is_file()]

FIELD_NAMES = ["Final-Recipient", "Original-Recipient", "Action", "Status", "Diagnostic-Code", "Remote-MTA",
               "Reporting-MTA", "Feedback-Type", "Original-Rcpt-To", "Content-Type", "Auto-Submitted", "From",
               "Subject", "Content-Transfer-Encoding", "X-Failed-Recipients"]
VALUES = st.one_of(
    st.sampled_from(["rfc822; a@example.org", "failed", "delayed", "delivered", "5.1.1", "4.4.7", "2.0.0",
                     "smtp; 550 5.1.1 no such user", "dns; mx.example.org", "abuse", "auto-replied",
                     'multipart/report; report-type=delivery-status; boundary="x"', "message/delivery-status",
                     "base64", "quoted-printable", "=?utf-8?B?w6k=?=", "MAILER-DAEMON@example.com", "--x", "--x--"]),
    st.text(max_size=60),
)
LINE = st.one_of(
    st.builds(lambda n, v: f"{n}: {v}", st.sampled_from(FIELD_NAMES), VALUES),
    st.sampled_from(["", "--x", "--x--", "From MAILER-DAEMON Mon Mar  2 10:00:00 2026", ">From here", " folded"]),
    st.text(max_size=80),
)
MESSAGE = st.lists(LINE, max_size=60).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


def _note(seconds: float, data: bytes) -> None:
    STATS["inputs"] += 1
    if seconds > STATS["slowest"]:
        STATS["slowest"] = seconds
        STATS["slowest_input"] = data


def check(data: bytes) -> None:
    start = time.perf_counter()
    n_messages = len(list(iter_messages(data, LIMITS)))
    out = list(analyse_all(data, LIMITS))
    _note(time.perf_counter() - start, data)
    assert len(out) == n_messages
    for recs in out:
        assert recs, "a message without records"
        for r in recs:
            json.dumps(r.to_dict())
            assert r.kind in ("bounce", "delayed", "delivered", "vacation", "feedback", "not-a-bounce", "error")


@SETTINGS
@given(MESSAGE)
def test_structured_noise(data):
    check(data)


@SETTINGS
@given(st.binary(max_size=4000))
def test_random_bytes(data):
    check(data)


@SETTINGS
@given(st.lists(LINE, max_size=30), st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_line_endings_do_not_change_the_records(lines, eol):
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    # carriage returns inside the generated text would make the comparison meaningless
    data = data.replace(b"\r", b"")
    start = time.perf_counter()
    a = [[(r.kind, r.recipient, r.status) for r in recs] for recs in analyse_all(data, LIMITS)]
    middle = time.perf_counter()
    b = [[(r.kind, r.recipient, r.status) for r in recs] for recs in analyse_all(data.replace(b"\n", eol), LIMITS)]
    _note(max(middle - start, time.perf_counter() - middle), data)
    assert a == b


def _mutate(sample: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``sample`` with each (kind, position, bytes) edit applied: 0 overwrite, 1 insert,
    2 delete a stretch, 3 duplicate a stretch (positions wrap round the current length)."""
    data = bytearray(sample)
    for kind, pos, chunk in edits:
        if not data:
            data.extend(chunk)
            continue
        i = pos % len(data)
        if kind == 0:
            data[i : i + len(chunk)] = chunk
        elif kind == 1:
            data[i:i] = chunk
        elif kind == 2:
            del data[i : i + 1 + len(chunk) * 8]
        else:
            data[i:i] = data[i : i + 1 + len(chunk) * 16]
    return bytes(data)


EDIT = st.tuples(st.integers(0, 3), st.integers(0, 1 << 20),
                 st.one_of(st.binary(min_size=1, max_size=16),
                           st.sampled_from([b"\n", b"\r\n", b"--", b":", b";", b"=", b"\x00", b"\xff", b"=?",
                                            b"boundary=", b"charset=idna", b"Content-Type: multipart/mixed"])))


@SETTINGS
@given(st.integers(0, max(0, len(SAMPLES) - 1)), st.lists(EDIT, min_size=1, max_size=12))
def test_mutated_fixtures(which, edits):
    check(_mutate(SAMPLES[which], edits) if SAMPLES else b"")


def test_zz_fuzz_figures():
    """Runs last in this file: with a fuzz budget, reports the figures and holds every call
    under a second."""
    if FUZZ:
        slow = STATS.get("slowest_input", b"")
        print(f"\nfuzz: {STATS['inputs']} inputs checked, slowest call {STATS['slowest'] * 1000:.0f} ms "
              f"({len(slow)} bytes: {slow[:60]!r})")
        out = os.environ.get("BOUNCEWISE_FUZZ_SLOWEST")
        if out:  # keep the slowest input, to look at it
            Path(out).write_bytes(slow)
        assert STATS["slowest"] < 1.0
