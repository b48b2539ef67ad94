"""Bounce messages in layouts the decoders were not tuned to: variants of each family written
for the project (invented addresses and hosts), with what a careful reader of each message
would record. Each row is the whole pipeline's output: decoder, diagnosis and record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bouncewise.messages import RawMessage
from bouncewise.pipeline import analyse

FIX = Path(__file__).parent / "fixtures" / "variants"

# fixture -> (engine, [(kind, recipient, status, replycode, reason, hardbounce)])
CASES: dict[str, tuple[str | None, list[tuple[str, str | None, str | None, str | None, str, bool]]]] = {
    # Postfix: three recipients, replies wrapped over several lines (a multi-line 550-/452- reply)
    "postfix-multi-wrapped.eml": ("Postfix", [
        ("bounce", "bob@example.org", "5.1.1", "550", "userunknown", True),
        ("bounce", "carol@example.org", "4.2.2", "452", "mailboxfull", False),
        ("bounce", "dave@example.net", "5.7.1", "554", "norelaying", False),
    ]),
    # Postfix without a delivery-status part: local(8) and a mailbox command failing
    "postfix-local-textonly.eml": ("Postfix", [
        ("bounce", "hugo@example.com", None, None, "mailererror", False),
        ("bounce", "ghost@example.com", "5.1.1", None, "userunknown", True),
        ("bounce", "ida@example.com", None, None, "mailboxfull", False),
    ]),
    # local delivery through commands (pipe/maildrop, a .forward command): the text tells more
    # than the DSN's x-unix Diagnostic-Code (the command died; its output is quoted)
    "postfix-local-commands.eml": ("Postfix", [
        ("bounce", "ann@example.com", "5.3.0", None, "mailboxfull", False),
        ("bounce", "bea@example.com", "5.3.0", None, "mailererror", False),
    ]),
    # "delivered to command: ..." in a success report
    "postfix-success-command.eml": ("Postfix", [
        ("delivered", "cy@example.com", "2.0.0", None, "delivered", False),
    ]),
    # Postfix with a localised bounce template (From, Subject and notice translated)
    "postfix-german-qp.eml": ("Postfix", [
        ("bounce", "kunde@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "postfix-japanese.eml": ("Postfix", [
        ("bounce", "jiro@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "postfix-french.eml": ("Postfix", [
        ("bounce", "marie@example.org", "5.2.2", "552", "mailboxfull", False),
    ]),
    # Exim: the older layout (host on the line after "SMTP error ... after RCPT TO:<...>:")
    "exim-multi-old.eml": ("Exim", [
        ("bounce", "anna@example.org", "5.1.1", "550", "userunknown", True),
        ("bounce", "ben@example.net", None, None, "expired", False),
        ("bounce", "cleo@example.net", "5.3.4", "552", "emailtoolarge", False),
    ]),
    # Exim 4.9x: "host X [ip]" first, then the SMTP error; a DSN part with 5.0.0 statuses
    "exim-multi-new-dsn.eml": ("Exim", [
        ("bounce", "quinn@example.org", "5.7.1", "550", "blocked", False),
        ("bounce", "rosa@example.net", "5.2.1", "550", "suspend", False),
    ]),
    # Exim's own routing verdicts (no remote server asked), a pipe, a multi-line 550- reply
    "exim-routing.eml": ("Exim", [
        ("bounce", "zed@nosuchdomain.example.net", None, None, "hostunknown", True),
        ("bounce", "list-bot@example.com", None, None, "mailererror", False),
        ("bounce", "amy@example.org", "5.7.1", "550", "blocked", False),
        ("bounce", "bo@badmx.example.net", None, None, "hostunknown", True),
    ]),
    # cPanel's Exim: its own router verdict and a local mailbox over quota (an alias expanded)
    "exim-cpanel-local.eml": ("Exim", [
        ("bounce", "jo@example.net", None, None, "userunknown", True),
        ("bounce", "kit@example.net", None, None, "mailboxfull", False),
    ]),
    # a translated Exim bounce text: the layout and X-Failed-Recipients are Exim's
    "exim-german.eml": ("Exim", [
        ("bounce", "vera@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "exim-delay-hosts.eml": ("Exim", [
        ("delayed", "tom@example.org", "4.3.0", "451", "expired", False),
    ]),
    # "refused to talk to me" at the greeting; a recipient expanded from an alias, reply wrapped
    "postfix-refused-and-alias.eml": ("Postfix", [
        ("bounce", "fay@example.org", "5.7.1", "554", "blocked", False),
        ("bounce", "gwen@example.net", "5.1.1", "550", "userunknown", True),
    ]),
    # Postfix's own verdicts (X-Postfix diagnostic type): DNS, size, TLS, connection
    "postfix-own-errors.eml": ("Postfix", [
        ("bounce", "cleo@nohost.example.net", "5.4.4", None, "hostunknown", True),
        ("bounce", "dirk@example.org", "5.3.4", None, "emailtoolarge", False),
        ("bounce", "edda@example.net", "4.7.4", None, "failedstarttls", False),
        ("bounce", "finn@example.org", "4.4.1", None, "networkerror", False),
    ]),
    "postfix-success.eml": ("Postfix", [
        ("delivered", "hal@example.org", "2.0.0", "250", "delivered", False),
    ]),
    "postfix-delayed.eml": ("Postfix", [
        # a delay keeps its cause: the connection timed out (issue #13)
        ("delayed", "xia@example.org", "4.4.1", None, "networkerror", False),
    ]),
    # a delay warning: no address section, the recipient only in "<addr>... Deferred: ..."
    "sendmail-warning.eml": ("Sendmail", [
        ("delayed", "cal@example.net", "4.4.1", None, "networkerror", False),
    ]),
    "sendmail-dsn-two.eml": ("Sendmail", [
        ("bounce", "victor@example.org", "5.1.1", "550", "userunknown", True),
        ("bounce", "wanda@example.org", "5.2.2", "552", "mailboxfull", False),
    ]),
    # the remote server refused the sender's address at MAIL FROM
    "sendmail-mailfrom-rejected.eml": ("Sendmail", [
        ("bounce", "dev@example.org", "5.1.8", "553", "rejected", False),
    ]),
    "sendmail-nodsn-hostunknown.eml": ("Sendmail", [
        ("bounce", "yuri@nohost.example.org", "5.1.2", "550", "hostunknown", True),
    ]),
    "qmail-multi.eml": ("qmail", [
        ("bounce", "anne@example.org", "5.1.1", "550", "userunknown", True),
        ("bounce", "boris@example.com", "5.1.1", None, "userunknown", True),
        ("bounce", "chen@nohost.example.net", "5.1.2", None, "hostunknown", True),
        ("bounce", "dina@example.org", "5.2.2", "552", "mailboxfull", False),
    ]),
    # vpopmail's wording, qmail's "not in my control/locals" (#5.4.6, a routing error as Sisimai
    # reads it) and the headers-only copy ("--- Enclosed are the original headers")
    "qmail-vpopmail-notlocal.eml": ("qmail", [
        ("bounce", "zara@example.net", "5.1.1", None, "userunknown", True),
        ("bounce", "alan@other.example.net", "5.4.6", None, "networkerror", False),
        ("bounce", "beau@example.org", "5.7.1", "554", "norelaying", False),
    ]),
    # qmail gave up after a temporary error: as Sisimai has it, the error's own cause (the
    # connection broke) is the reason, not the expiry qmail's closing sentence reports
    "qmail-queue-expired.eml": ("qmail", [
        ("bounce", "brad@example.org", "4.4.2", None, "networkerror", False),
    ]),
    "office365-html-ndr.eml": ("Office365", [
        ("bounce", "jdoe@example.org", "5.1.10", "550", "userunknown", True),
    ]),
    "exchange-onprem-two.eml": ("Exchange2007", [
        ("bounce", "dora@example.org", "5.1.1", "550", "userunknown", True),
        ("bounce", "emil@example.net", "5.2.2", "554", "mailboxfull", False),
    ]),
    # Exchange with a German notice; Exchange 2010 "#550 ... ##" lines and no DSN part
    "exchange-german.eml": ("Exchange2007", [
        ("bounce", "elke@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "exchange-hash-textonly.eml": ("Exchange2007", [
        ("bounce", "gail@example.org", "5.2.2", "552", "mailboxfull", False),
        ("bounce", "hank@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "gmail-address-not-found.eml": ("GSuite", [
        ("bounce", "nobody@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    # Gmail's 5.7.26 (unauthenticated sender), its reply folded over "550-5.7.26" lines
    "gmail-auth-blocked.eml": ("GSuite", [
        ("bounce", "mona@example.org", "5.7.26", "550", "authfailure", False),
    ]),
    # Office 365's newer notice ("Reported error:", no "Generating server:"), a block list
    "office365-blocklist.eml": ("Office365", [
        ("bounce", "olaf@example.net", "5.7.1", "550", "blocked", False),
    ]),
    # Gmail writes its notice in the sender's language
    "gmail-german.eml": ("GSuite", [
        ("bounce", "niemand@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "gmail-delay.eml": ("GSuite", [
        ("delayed", "hana@example.net", "4.4.1", None, "expired", False),
    ]),
    "courier-two.eml": ("Courier", [
        ("bounce", "fiona@example.org", "5.1.1", "550", "userunknown", True),
        ("bounce", "gus@example.net", "5.2.2", "552", "mailboxfull", False),
    ]),
    "courier-delayed.eml": ("Courier", [
        ("delayed", "tim@example.org", "4.2.2", "452", "mailboxfull", False),
    ]),
    "opensmtpd-delayed.eml": ("OpenSMTPD", [
        ("delayed", "rex@example.org", None, None, "networkerror", False),
    ]),
    # OpenSMTPD before 6.x: one text/plain part, no delivery-status
    "opensmtpd-old-singlepart.eml": ("OpenSMTPD", [
        ("bounce", "pam@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "opensmtpd-two.eml": ("OpenSMTPD", [
        ("bounce", "kai@example.org", "5.1.1", "550", "userunknown", True),
        ("bounce", "lea@example.net", "5.2.2", "552", "mailboxfull", False),
    ]),
    # CRLF line endings, lower-case header and field names
    "rfc3464-crlf-lowercase.eml": ("RFC3464", [
        ("bounce", "lou@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    # fields as some MTAs write them: no address type, a comment after Status, "Action: Failed",
    # tab-folded Diagnostic-Code, no empty line after the per-message fields
    "rfc3464-odd-fields.eml": ("RFC3464", [
        ("bounce", "vic@example.net", "5.1.1", "550", "userunknown", True),
        ("bounce", "sales@example.net", "5.2.2", "552", "mailboxfull", False),
    ]),
    # "Final-Recipient: LOCAL;hugo" beside the rfc822 Original-Recipient; angle brackets
    "rfc3464-local-type.eml": ("RFC3464", [
        ("bounce", "hugo@example.org", "5.2.2", None, "mailboxfull", False),
        ("bounce", "ines@example.org", "5.1.1", None, "userunknown", True),
    ]),
    # one report, three recipients, three different Actions
    "rfc3464-mixed-actions.eml": ("RFC3464", [
        ("bounce", "nina@example.org", "5.2.2", "552", "mailboxfull", False),
        ("delayed", "omar@example.net", "4.4.7", "451", "expired", False),
        ("delivered", "pia@example.com", "2.0.0", "250", "delivered", False),
    ]),
    # the DSN says only 5.0.0; the quoted-printable notice quotes the remote reply
    "dsn-qp-human-only.eml": ("RFC3464", [
        ("bounce", "ruth@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    # the delivery-status part itself transfer-encoded
    "dsn-base64-status.eml": ("RFC3464", [
        ("bounce", "sven@example.org", "5.1.1", "550", "userunknown", True),
    ]),
    "dsn-qp-status.eml": ("RFC3464", [
        ("bounce", "umi@example.org", "5.2.2", "552", "mailboxfull", False),
    ]),
    "autoreply-french.eml": ("RFC3834", [
        ("vacation", "tess@example.org", None, None, "vacation", False),
    ]),
    # Exchange's out-of-office in German: "Auto-Submitted: auto-generated", a localised subject
    "autoreply-exchange-german.eml": ("RFC3834", [
        ("vacation", "karin@firma.example.com", None, None, "vacation", False),
    ]),
    # a read receipt (RFC 8098 MDN): it has a Final-Recipient field but is no bounce
    "mdn-read-receipt.eml": (None, [
        ("not-a-bounce", None, None, None, "undefined", False),
    ]),
    # a person replying to a bounce, quoting it; a provider's report from postmaster@
    "reply-quoting-bounce.eml": (None, [
        ("not-a-bounce", None, None, None, "undefined", False),
    ]),
    "postmaster-report-newsletter.eml": (None, [
        ("not-a-bounce", None, None, None, "undefined", False),
    ]),
    # a newsletter about bounces: it quotes replies but is no bounce
    "newsletter-delivery-failed.eml": (None, [
        ("not-a-bounce", None, None, None, "undefined", False),
    ]),
}


def records(name: str) -> list:
    path = FIX / name
    return list(analyse(RawMessage(file=str(path), index=1, data=path.read_bytes())))


def test_every_fixture_is_in_the_table() -> None:
    assert sorted(p.name for p in FIX.glob("*.eml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_variant(name: str) -> None:
    engine, expected = CASES[name]
    recs = records(name)
    got = [(r.kind, r.recipient, r.status, r.replycode, r.reason or "undefined", bool(r.hardbounce)) for r in recs]
    assert got == expected
    assert {r.engine for r in recs} == {engine}
    for r in recs:
        if r.kind in ("bounce", "delayed"):
            assert r.diagnosticcode, f"{r.recipient}: the notice's words are kept"


def test_remote_mta_is_named_without_the_root_dot() -> None:
    # "Remote-MTA: dns; mx.example.org. (192.0.2.60, the server for the domain example.org.)"
    assert [r.rhost for r in records("gmail-address-not-found.eml")] == ["mx.example.org"]


def test_alias_expansion_is_the_original_recipient() -> None:
    got = {r.recipient: r.original_recipient for r in records("postfix-refused-and-alias.eml")}
    assert got == {"fay@example.org": "fay@example.org", "gwen@example.net": "team@example.com"}
    got = {r.recipient: r.original_recipient for r in records("exim-cpanel-local.eml")}
    assert got == {"jo@example.net": None, "kit@example.net": "info@example.net"}


def test_qmail_diagnosis_stops_at_the_returned_headers() -> None:
    recs = records("qmail-vpopmail-notlocal.eml")
    assert not any("Enclosed" in (r.diagnosticcode or "") for r in recs)


def _key(data: bytes) -> list:
    return [(r.kind, r.recipient, r.status, r.replycode, r.reason)
            for r in analyse(RawMessage(file=None, index=1, data=data))]


@pytest.mark.parametrize("name", ["postfix-multi-wrapped.eml", "postfix-local-textonly.eml"])
def test_postfix_continuation_lines_indented_by_a_tab(name: str) -> None:
    # a continuation line that starts "<addr>" is part of the reply, not a new recipient
    data = (FIX / name).read_bytes()
    assert _key(re.sub(rb"\n    (?=\S)", b"\n\t", data)) == _key(data)


@pytest.mark.parametrize("name", sorted(CASES))
def test_trailing_spaces_and_crlf_do_not_matter(name: str) -> None:
    data = (FIX / name).read_bytes()
    assert _key(re.sub(rb"(?<=\S)\r?\n", b"  \n", data)) == _key(data)
    assert _key(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")) == _key(data)


def test_postfix_names_the_remote_host_of_its_own_verdicts() -> None:
    got = [r.rhost for r in records("postfix-own-errors.eml")]
    assert got == [None, "mx.example.org", "mx.example.net", "mx2.example.org"]
