"""Decision rules that make bounce analysis agree with Sisimai's reading of bounces
(issue #5): user-unknown vs filtered by SMTP stage, provider stage rules, reply-code
validation, the hard/soft fallback without codes, delay notices, and format-stated verdicts.

Every sample here is invented for the test (example.org/.net addresses, 192.0.2.x IPs)."""

from __future__ import annotations

import pytest

import bouncewise
from bouncewise import reasons
from bouncewise.diagnosis import diagnose
from bouncewise.diagnosis.engine import usable_replycode


def rules_of(d) -> list[str]:
    return [e["rule"] for e in d.evidence]


# -- user unknown vs filtered ---------------------------------------------------------------


def test_bare_reply_without_command_stays_userunknown_with_a_note() -> None:
    d = diagnose("550 <jo@example.org>: User unknown")
    assert d.reason == "userunknown" and d.hardbounce
    assert "note:stage-unknown" in rules_of(d)


def test_bounce_without_command_or_confirming_status_is_filtered() -> None:
    d = diagnose("550 <jo@example.org>: User unknown", context="bounce")
    assert d.reason == "filtered" and not d.hardbounce
    assert "context:userunknown-stage-unknown" in rules_of(d)


@pytest.mark.parametrize("status", [None, "5.0.0", "5.7.1", "5.5.0"])
def test_statuses_that_do_not_confirm_the_address(status: str | None) -> None:
    d = diagnose("550 jo@example.org... No such user", status=status, context="bounce")
    assert d.reason == "filtered"


@pytest.mark.parametrize("status", ["5.1.1", "5.1.0", "5.1.3"])
def test_status_saying_user_unknown_keeps_it(status: str) -> None:
    d = diagnose("550 jo@example.org... No such user", status=status, context="bounce")
    assert d.reason == "userunknown"


def test_rcpt_keeps_userunknown_in_a_bounce() -> None:
    d = diagnose("550 jo@example.org... No such user", command="RCPT", context="bounce")
    assert d.reason == "userunknown"


def test_after_data_is_filtered_even_without_context() -> None:
    d = diagnose("host mx.example.org[192.0.2.1] said: 550 Unknown user jo@example.org (in reply to end of DATA command)")
    assert d.command == "." and d.reason == "filtered"


def test_mailbox_status_codes_mean_filtered_unless_at_rcpt() -> None:
    text = "550 5.2.1 <jo@example.org>... User Unknown"
    assert diagnose(text, context="bounce").reason == "filtered"
    assert diagnose(text, command="RCPT", context="bounce").reason == "userunknown"


def test_text_naming_a_stronger_reason_beats_a_user_unknown_status() -> None:
    d = diagnose("550 5.1.1 <jo@example.org>: user unknown - your IP 192.0.2.9 is blacklisted")
    assert d.reason == "blocked"
    assert "context:text-names-other-reason" in rules_of(d)


def test_format_stated_userunknown_is_not_turned_into_filtered() -> None:
    # an MTA's own directory verdict (Domino) is set by the decoder, not by the context rule
    msg = (
        b"From: Postmaster <postmaster@example.net>\nTo: ann@example.org\n"
        b"Subject: DELIVERY FAILURE: User Jo Doe (jo@example.net) not listed in Domino Directory\n"
        b"Date: Mon, 2 Mar 2026 10:00:00 +0000\n\n"
        b"Your message\n\n  Subject: hello\n\nwas not delivered to:\n\n  jo@example.net\n\n"
        b"because:\n\n  User Jo Doe (jo@example.net) not listed in Domino Directory\n\n"
    )
    recs = list(bouncewise.parse(msg))
    assert [(r.recipient, r.reason, r.hardbounce) for r in recs] == [("jo@example.net", "userunknown", True)]


# -- provider rules that depend on the stage or the reply's shape --------------------------------


def test_docomo_unknown_user_after_data_is_a_sender_refusal() -> None:
    text = "550 Unknown user jo@docomo.ne.jp"
    kw = {"status": "5.0.0", "rhost": "mfsmax.docomo.ne.jp", "context": "bounce"}
    assert diagnose(text, command="DATA", **kw).reason == "rejected"
    assert diagnose(text, command="RCPT", **kw).reason == "userunknown"


def test_kddi_reply_shape_tells_filter_from_missing_address() -> None:
    kw = {"status": "5.0.0", "rhost": "lsean.ezweb.ne.jp", "context": "bounce"}
    assert diagnose("550 : User unknown", **kw).reason == "filtered"
    d = diagnose("550 <jo@ezweb.ne.jp>: User unknown", **kw)
    assert d.reason == "userunknown" and d.decided_by == "vendor"


# -- reply codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [("550", "5.1.1", "550"), ("421", None, "421"), ("554", "4.0.0", None), ("522", None, None),
     ("426", "4.0.0", None), ("542", "5.0.0", None), ("250", "5.0.0", None)],
)
def test_usable_replycode(code: str, status: str | None, expected: str | None) -> None:
    assert usable_replycode(code, status) == expected


def test_reply_code_in_text_that_contradicts_the_status_is_ignored() -> None:
    d = diagnose("host mx.example.org[192.0.2.1] refused to talk to me: 554 Blocked", status="4.0.0")
    assert d.replycode is None and "code:reply-ignored" in rules_of(d)
    assert diagnose("426 connection timed out", status="4.0.0").replycode is None
    assert diagnose("522 5.2.0 Delivery failed: Over quota").replycode is None


# -- hard or soft without any code ---------------------------------------------------------------


def test_if_permanent_reasons_use_the_notice_verdict_without_codes() -> None:
    assert reasons.is_hardbounce("notaccept", None, None, action="failed")
    assert not reasons.is_hardbounce("notaccept", None, None, action="delayed")
    assert not reasons.is_hardbounce("notaccept", None, None)
    assert not reasons.is_hardbounce("notaccept", "4.4.4", None, action="failed")  # the code wins


def test_diagnose_uses_action_or_permanent_wording_for_hard() -> None:
    text = "an MX or SRV record indicated no SMTP service"
    assert not diagnose(text).hardbounce
    assert diagnose(text, action="failed").hardbounce
    assert diagnose("This is a permanent error. " + text).hardbounce


# -- SMTP stage and delay notices ----------------------------------------------------------------


def test_address_refused_at_mail_from_is_the_senders() -> None:
    d = diagnose("553 5.1.0 ann example.org does not exist", command="MAIL")
    assert d.reason == "rejected"


def test_vague_server_error_at_connection_is_a_block() -> None:
    d = diagnose("554 IP=192.0.2.9 - A problem occurred. (Ask your postmaster for help.)", command="CONN")
    assert d.reason == "blocked"


def test_delay_notice_with_only_a_generic_code_is_expired() -> None:
    assert diagnose("421", command="CONN", status="4.5.0").reason == "blocked"
    d = diagnose("421", command="CONN", status="4.5.0", action="delayed")
    assert d.reason == "expired" and "context:delay-notice" in rules_of(d)
    assert diagnose("mailbox is full", status="4.2.2", action="delayed").reason == "mailboxfull"


def test_missing_domain_wording() -> None:
    assert diagnose("553 mail.example.net does not exist", command="DATA").reason == "hostunknown"
    assert diagnose("553 <jo@example.net> does not exist", command="RCPT").reason == "userunknown"


def test_queue_lifetime_turns_a_connection_failure_into_expired() -> None:
    gave_up = " I'm not going to try again; this message has been in the queue too long."
    assert diagnose("Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)").reason == "networkerror"
    assert diagnose("Sorry, I wasn't able to establish an SMTP connection." + gave_up).reason == "expired"
    # only connection trouble is re-read: a server fault stays what it is
    assert diagnose("Unable to contact LDAP server." + gave_up).reason == "systemerror"


# -- verdicts stated by the format itself (decoders) ---------------------------------------------


def _powermta(status_line: str, diag: str) -> bytes:
    return (
        "From: Mail Delivery <postmaster@mta.example.net>\nTo: ann@example.org\n"
        "Subject: Delivery report\nDate: Mon, 2 Mar 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain\n\nHello, this is the mail server on mta.example.net.\n\n"
        "I am sending you this message to inform you on the delivery status of a message you\n"
        "previously sent.\n\n<jo@example.com>    delivery failed; will not continue trying\n\n"
        "--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mta.example.net\n\n"
        f"Final-Recipient: rfc822;jo@example.com\nAction: failed\n{status_line}\n"
        f"Remote-MTA: dns;mx.example.com (192.0.2.7)\nDiagnostic-Code: smtp;{diag}\n"
        "X-PowerMTA-BounceCategory: bad-mailbox\n\n--b1--\n"
    ).encode()


def test_powermta_status_comment_and_bounce_category() -> None:
    disabled = _powermta("Status: 5.2.1 (mailbox disabled, not accepting messages)",
                         "550 5.2.1 <jo@example.com>... User Unknown")
    plain = _powermta("Status: 5.0.0 (undefined status)", "554 delivery error: this account is not here")
    assert [r.reason for r in bouncewise.parse(disabled)] == ["suspend"]
    assert [(r.reason, r.hardbounce) for r in bouncewise.parse(plain)] == [("userunknown", True)]


def test_apple_mail_unsubscribe_is_opt_out_feedback() -> None:
    msg = (
        b"From: jo@example.com\nTo: leave-123@lists.example.org\nSubject: unsubscribe\n"
        b"Date: Mon, 2 Mar 2026 10:00:00 +0000\nAuto-Submitted: auto-replied\n"
        b"X-Apple-Unsubscribe: true\nContent-Type: text/plain\n\n"
        b"Apple Mail sent this email to unsubscribe from the message.\n"
    )
    recs = list(bouncewise.parse(msg, include="all"))
    assert [(r.kind, r.recipient, r.feedbacktype, r.engine) for r in recs] == [
        ("feedback", "jo@example.com", "opt-out", "ARF")
    ]


def test_amavis_header_defect_is_not_rfc_compliant() -> None:
    msg = (
        b'From: "Content-filter at example.net" <postmaster@example.net>\nTo: ann@example.org\n'
        b"Subject: Considered UNSOLICITED BULK EMAIL, apparently from you\n"
        b"Date: Mon, 2 Mar 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b2"\n\n'
        b"--b2\nContent-Type: text/plain\n\nA message from <ann@example.org> to:\n-> jo@example.net\n"
        b"was considered unsolicited bulk e-mail (UBE).\n\n"
        b'Duplicate header field: "Subject"\n\n'
        b"--b2\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.net\n\n"
        b"Final-Recipient: rfc822;jo@example.net\nAction: failed\nStatus: 5.7.0\n"
        b"Diagnostic-Code: smtp; 554 5.7.0 Reject, id=12345-01 - spam\n\n--b2--\n"
    )
    assert [r.reason for r in bouncewise.parse(msg)] == ["notcompliantrfc"]


def test_remote_mta_comment_does_not_hide_the_provider() -> None:
    # Remote-MTA with the server's own comment: the host name alone identifies au (KDDI)
    msg = (
        b"From: postmaster@example.org\nTo: ann@example.org\nSubject: Delivery failure\n"
        b"Date: Mon, 2 Mar 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b3"\n\n'
        b"--b3\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        b"--b3\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mail.example.org\n\n"
        b"Final-Recipient: rfc822;jo@ezweb.ne.jp\nAction: failed\nStatus: 5.0.0\n"
        b"Remote-MTA: dns;lsean.ezweb.ne.jp (TCP|192.0.2.3|25) (au mail)\n"
        b"Diagnostic-Code: smtp;550 <jo@ezweb.ne.jp>: User unknown\n\n--b3--\n"
    )
    recs = list(bouncewise.parse(msg))
    assert [(r.rhost, r.reason) for r in recs] == [("lsean.ezweb.ne.jp", "userunknown")]


def test_mbox_separator_right_after_a_closing_mime_boundary() -> None:
    one = (
        b"From: MAILER-DAEMON@example.net\nTo: ann@example.org\nSubject: Undelivered Mail Returned to Sender\n"
        b"Date: Mon, 2 Mar 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b4"\n\n'
        b"--b4\nContent-Type: text/plain\n\nThe mail system\n\n"
        b"--b4\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.net\n\n"
        b"Final-Recipient: rfc822; jo@example.com\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 <jo@example.com>: User unknown\n\n--b4--\n"
    )
    mbox = b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n" + one + b"From MAILER-DAEMON Mon Mar  2 10:00:01 2026\n" + one
    recs = list(bouncewise.parse(mbox))
    assert [(r.index, r.recipient, r.reason) for r in recs] == [
        (1, "jo@example.com", "userunknown"),
        (2, "jo@example.com", "userunknown"),
    ]


def test_user_not_local_reply_code_means_moved() -> None:
    """'not our customer' is user-unknown wording (the seeds list "550 Not our Customer" among
    addresses that do not exist); with RFC 5321's 551 "user not local" it says the user moved."""
    assert diagnose("550 Not our Customer").reason == "userunknown"
    assert diagnose("551 not our customer").reason == "hasmoved"
    assert diagnose("551 not our customer", status="5.1.6", command="DATA", context="bounce").reason == "hasmoved"
    # Exchange's 5.1.6 for a malformed address is not a move
    assert diagnose("501 5.1.6 Recipient addresses in single label domains not accepted").reason == "userunknown"
