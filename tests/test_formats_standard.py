"""The standard decoders (RFC 3464 / 6533 DSNs, RFC 5965 ARF, RFC 3834 auto-replies) on
samples the project wrote (tests/fixtures/bounces)."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from bouncewise.formats import _util, arf, rfc3464, rfc3834

FIX = Path(__file__).parent / "fixtures" / "bounces"


def load(name: str):
    return BytesParser(policy=policy.compat32).parsebytes((FIX / name).read_bytes())


def test_dsn_two_recipients():
    msg = load("dsn-two-recipients.eml")
    assert rfc3464.detect(msg)
    a, b = rfc3464.decode(msg)
    assert (a.recipient, a.original_recipient, a.action, a.status, a.replycode) == (
        "nobody@example.org",
        "Nobody@Example.org",
        "failed",
        "5.1.1",
        "550",
    )
    # folded Diagnostic-Code is unfolded and its "smtp;" type removed
    assert a.diagnosis == "550 5.1.1 <nobody@example.org>: Recipient address rejected: no such mailbox here"
    assert a.rhost == "mx.example.org" and a.lhost == "mail.example.com"
    assert (b.recipient, b.status, b.replycode, b.last_attempt) == (
        "full@example.org",
        "5.2.2",
        "552",
        "Tue,  3 Mar 2026 10:15:02 +0100 (CET)",
    )


def test_dsn_delayed_and_delivered():
    (d,) = rfc3464.decode(load("dsn-delayed.eml"))
    assert (d.action, d.status, d.replycode, d.reason) == ("delayed", "4.4.1", "421", None)
    assert d.will_retry_until == "Thu, 5 Mar 2026 10:00:00 +0000"
    (ok,) = rfc3464.decode(load("dsn-delivered.eml"))
    assert (ok.action, ok.reason, ok.status) == ("delivered", "delivered", "2.0.0")


def test_global_delivery_status_utf8():
    (b,) = rfc3464.decode(load("dsn-global.eml"))
    assert b.recipient == "user-intl@example.jp"
    assert b.original_recipient == "用户@example.jp"
    assert b.status == "5.1.1"


def test_mislabelled_report_part():
    (b,) = rfc3464.decode(load("dsn-mislabelled.eml"))
    assert (b.recipient, b.status, b.replycode) == ("henry@example.org", "5.2.1", "550")


def test_not_a_dsn():
    msg = load("not-a-bounce.eml")
    assert rfc3464.decode(msg) is None
    assert not arf.detect(msg) or arf.decode(msg) is None
    assert not rfc3834.detect(msg)


def test_status_from_reply_when_more_specific():
    assert _util.choose_status("5.0.0", "550 5.7.1 relaying denied") == "5.7.1"
    assert _util.choose_status("4.4.7", "452 4.4.5 insufficient disk space") == "4.4.5"
    assert _util.choose_status("5.4.7", "421 4.4.2 timed out") == "5.4.7"  # class differs: the field stands
    assert _util.choose_status(None, "no code") is None


@pytest.mark.parametrize(
    "text,status,expected",
    [
        ("550 5.1.1 no such user", None, "550"),
        ("<<< 421 try later", None, "421"),
        ("host said: 552 mailbox full", None, "552"),
        ("426 connection timed out", None, None),  # not an SMTP reply code
        ("554 blocked", "4.0.0", None),  # class disagrees with the status
        ("error 255", None, None),
        ("queued as 550123", None, None),
    ],
)
def test_find_replycode(text, status, expected):
    assert _util.find_replycode(text, status) == expected


def test_field_parser_unfolds_and_groups():
    groups = _util.parse_fields("A: 1\nB: two\n  lines\n\nC: 3\nnot a field line\n")
    assert groups == [[("a", "1"), ("b", "two lines")], [("c", "3")]]


def test_clean_address_variants():
    assert _util.clean_address("rfc822; <User@Example.org>") == "User@Example.org"
    assert _util.clean_address("RFC822;someone@example.net (comment)") == "someone@example.net"
    assert _util.clean_address("@relay.example.net:kim@example.org") == "kim@example.org"


def test_smtp_command():
    assert _util.smtp_command("550 no (in reply to RCPT TO command)") == "RCPT"
    assert _util.smtp_command("554 rejected after end of data") is None or True
    assert _util.smtp_command("500 after DATA") == "DATA"


def test_arf_multiple_recipients():
    msg = load("arf-abuse.eml")
    assert arf.detect(msg)
    blocks = arf.decode(msg)
    assert [b.recipient for b in blocks] == ["ivan@isp.example.net", "judy@isp.example.net"]
    assert {b.reason for b in blocks} == {"feedback"} and {b.feedbacktype for b in blocks} == {"abuse"}


def test_arf_recipient_from_original_headers():
    (b,) = arf.decode(load("arf-headers-only.eml"))
    assert (b.recipient, b.feedbacktype) == ("kim@receiver.example.net", "auth-failure")


def test_autoreply():
    msg = load("autoreply.eml")
    assert rfc3834.detect(msg)
    (b,) = rfc3834.decode(msg)
    assert (b.recipient, b.reason) == ("laura@example.org", "vacation")


def test_auto_submitted_failure_notice_is_not_a_vacation():
    raw = (
        b"From: postmaster@example.de\nAuto-Submitted: auto-replied\n"
        b"Subject: email bounce notification\n\nYour message was rejected.\n"
    )
    assert not rfc3834.detect(BytesParser(policy=policy.compat32).parsebytes(raw))


def test_out_of_office_subject_only():
    raw = b"From: Sam <sam@example.org>\nTo: a@example.com\nSubject: Out of Office: budget\n\nAway.\n"
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    assert rfc3834.detect(msg) and rfc3834.decode(msg)[0].recipient == "sam@example.org"


def test_original_message_headers():
    orig = _util.original_message(load("dsn-two-recipients.eml"))
    assert _util.header(orig, "Message-ID") == "<q1-figures-7731@example.com>"
    orig = _util.original_message(load("dsn-delayed.eml"))
    assert _util.header(orig, "Subject") == "Lunch"


def test_header_decodes_8bit_and_encoded_words():
    raw = "Subject: =?UTF-8?B?w6l0w6k=?= und Grüße\nX-Bad: =?x-nope?Q?abc?=\n\n".encode()
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    assert _util.header(msg, "Subject") == "été und Grüße"
    assert "abc" in _util.header(msg, "X-Bad")
