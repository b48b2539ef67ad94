"""A delay keeps its cause. A delay notice (action "delayed") whose reply names a cause (a rate
limit, reputation, greylisting, a full mailbox, a failed connection) is reported with that
cause; "expired" is for a notice that gave up after the retry period, and (as the shared corpus
reads them) for delay notices that name no cause at all."""

from __future__ import annotations

import pytest

from bouncewise.diagnosis import diagnose

DELAYS = [
    ("451 4.7.1 Greylisted, try again after some time (in reply to RCPT TO command)", "blocked"),
    ("421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user "
     "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes", "badreputation"),
    ("452 4.2.2 The email account that you tried to reach is over quota. - gsmtp", "mailboxfull"),
    ("connect to mx.example.org[192.0.2.1]:25: Connection timed out", "networkerror"),
    ("connect to mx.example.org[192.0.2.1]:25: Connection refused", "networkerror"),
    ("450 4.2.1 The user you are trying to contact is receiving mail too quickly. - gsmtp", "ratelimited"),
    ("451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation.", "badreputation"),
    ("450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]", "requireptr"),
]


@pytest.mark.parametrize(("text", "reason"), DELAYS)
def test_a_delay_keeps_its_cause(text: str, reason: str) -> None:
    d = diagnose(text, context="bounce", action="delayed", status="4.4.1" if "connect to" in text else None)
    assert d.reason == reason, d.evidence
    assert d.hardbounce is False and d.retry in ("later", "after-fix")


def test_a_delay_notice_without_a_cause_is_read_as_expired() -> None:
    d = diagnose("Deferred: 421", context="bounce", action="delayed", command="CONN")
    assert d.reason == "expired"
    assert any(e["rule"] == "context:delay-notice" for e in d.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, I wasn't able to establish an SMTP connection. I'm not going to try again; this message has been in the queue too long.",
        "550 5.4.316 Message expired, connection refused(Socket error code 10061)",
        "retry timeout exceeded",
        "Cannot send message for 5 days",
    ],
)
def test_given_up_after_the_retry_period_is_expired(text: str) -> None:
    assert diagnose(text, context="bounce", action="failed").reason == "expired"


def test_a_failure_notice_whose_last_attempt_timed_out_is_expired() -> None:
    text = "connect to mx.example.org[192.0.2.1]:25: Connection timed out"
    failed = diagnose(text, context="bounce", action="failed", status="4.4.1")
    assert failed.reason == "expired"
    assert any(e["rule"] == "context:failed-after-retries" for e in failed.evidence)
    # the same reply in a delay notice keeps the cause
    assert diagnose(text, context="bounce", action="delayed", status="4.4.1").reason == "networkerror"
    # a refused connection is not a timeout: it stays a network error in a failure notice too
    refused = "connect to mx.example.org[192.0.2.1]:25: Connection refused"
    assert diagnose(refused, context="bounce", action="failed", status="4.4.1").reason == "networkerror"
