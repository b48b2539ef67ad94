"""The reply examples the seeds quote (../shared/seeds/004: the AnswersThatWork reference) are
answered as the seeds explain them. The replies themselves are rows of the reply table
(source "seeds-004"); every one of them must be right, not 98%."""

from __future__ import annotations

from pathlib import Path

import pytest

from bouncewise.diagnosis import diagnose

TABLE = Path(__file__).parent / "fixtures" / "replies" / "replies.tsv"
SEEDS = [
    line.split("\t", 4)
    for line in TABLE.read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#") and line.split("\t", 4)[3].startswith("seeds-004")
]


def test_the_seeds_examples_are_in_the_table() -> None:
    assert len(SEEDS) >= 60


@pytest.mark.parametrize(("reason", "hard", "retry", "source", "text"), SEEDS, ids=[r[4][:50] for r in SEEDS])
def test_seed_reply(reason: str, hard: str, retry: str, source: str, text: str) -> None:
    d = diagnose(text)
    assert (d.reason, "hard" if d.hardbounce else "soft", d.retry) == (reason, hard, retry), d.evidence


@pytest.mark.parametrize(
    "text",
    ["221 Goodbye", "221 Closing connection", "221 Bye", "221 2.0.0 Bye", "250 2.0.0 Ok: queued as 4ABC123",
     "250 Requested mail action okay, completed", "354 Start mail input; end with <CRLF>.<CRLF>",
     "354 End data with <CR><LF>.<CR><LF>", "SMTP Error 3.5.4", "220 mx.example.org ESMTP"],
)
@pytest.mark.parametrize("context", [None, "bounce"])
def test_positive_replies_are_not_failures(text: str, context: str | None) -> None:
    d = diagnose(text, context=context)
    assert d.failure is False and d.reason == "delivered"
    assert d.hardbounce is False and d.retry == "no"
    assert d.to_dict()["failure"] is False


@pytest.mark.parametrize(
    ("text", "code"),
    [("SMTP Error 101, Error opening connection", "101"), ("SMTP Error 101, cannot open SMTP stream", "101"),
     ("Connection refused, 111 Can't open SMTP stream", "111"), ("SMTP Error 1.0.1", "101"),
     ("SMTP Error 1.1.1", "111"), ("420 TCP Write Error", "420"), ("420 TCP Read Error", "420")],
)
def test_sending_side_connection_problems(text: str, code: str) -> None:
    d = diagnose(text)
    assert d.reason == "networkerror" and d.hardbounce is False and d.retry == "later"
    assert d.replycode == code
    assert d.failure is True


def test_dotted_positive_code_is_the_reply_it_stands_for() -> None:
    d = diagnose("SMTP Error 3.5.4")
    assert d.replycode == "354" and d.status is None


def test_dotted_code_of_a_real_status_class_stays_a_status() -> None:
    """"4.2.1" is both the seeds' rendering of 421 and RFC 3463's "mailbox disabled": a class that
    enhanced status codes have stays a status (the knowledge base explains the ambiguity)."""
    d = diagnose("SMTP Error 4.2.1")
    assert d.status == "4.2.1" and d.replycode is None


def test_a_positive_reply_followed_by_a_failure_is_a_failure() -> None:
    d = diagnose("250 2.1.0 Sender ok 550 5.1.1 <jo@example.org>... User unknown")
    assert d.failure is True and d.reason == "userunknown"


def test_a_failure_notice_is_read_as_a_failure_even_if_it_quotes_a_positive_reply() -> None:
    d = diagnose("221 Bye", context="bounce", action="failed")
    assert d.reason != "delivered" and d.failure is True
