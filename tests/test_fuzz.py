"""Property-based tests (hypothesis), bounded in time: whatever the bytes, parse() gives
at least one record per message, never raises, and the records are JSON-ready."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bouncewise.messages import Limits, iter_messages
from bouncewise.pipeline import analyse_all

SETTINGS = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
LIMITS = Limits(max_seconds=2.0)

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


def check(data: bytes) -> None:
    n_messages = len(list(iter_messages(data, LIMITS)))
    out = list(analyse_all(data, LIMITS))
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
    a = [[(r.kind, r.recipient, r.status) for r in recs] for recs in analyse_all(data, LIMITS)]
    b = [[(r.kind, r.recipient, r.status) for r in recs] for recs in analyse_all(data.replace(b"\n", eol), LIMITS)]
    assert a == b
