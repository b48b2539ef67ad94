"""Provider and security-gateway bounce formats (issue #5, part B), on samples the project
wrote itself (tests/fixtures/provider/*.eml, invented addresses) modelled on each format."""

from __future__ import annotations

import email
import email.policy
import importlib
from pathlib import Path

import pytest

from bouncewise.formats import REGISTRY
from conftest import first_decoder

FIXTURES = Path(__file__).parent / "fixtures" / "provider"

PROVIDER_MODULES = [
    "amazonworkmail", "receivingses", "amazonses", "googlegroups", "googleworkspace", "gsuite", "gmail",
    "yahoo", "zoho", "sendgrid", "gmx", "einsundeins", "mailru", "yandex", "ezweb", "kddi", "biglobe",
    "verizon", "outlook", "facebook", "aol", "bigfoot", "amavis", "barracuda", "mcafee", "messagelabs",
    "mimecast", "mxlogic", "surfcontrol", "interscanmss", "office365",
]


def load(name: str):
    return email.message_from_bytes((FIXTURES / name).read_bytes(), policy=email.policy.compat32)


# fixture, engine, recipient, status, replycode, reason stated by the format (None: diagnosis decides)
CASES = [
    ("gmail-userunknown.eml", "Gmail", "bob.missing@example.org", "5.1.1", "550", None),
    ("gmail-state.eml", "Gmail", "carol@example.net", "5.7.0", "554", "filtered"),
    ("gmail-delay.eml", "Gmail", "dave@slow.example.com", None, None, "expired"),
    ("gsuite-nxdomain.eml", "GSuite", "erin@no-such-domain.example", "4.0.0", None, "networkerror"),
    ("gsuite-remote.eml", "GSuite", "frank@example.de", "5.1.0", "550", None),
    ("googlegroups.eml", "GoogleGroups", "book-club@googlegroups.com", None, None, "rejected"),
    ("googleworkspace.eml", "GoogleWorkspace", "gina@example.jp", None, None, "rejected"),
    ("yahoo.eml", "Yahoo", "hank@example.org", "5.2.2", "552", None),
    ("amazonses.eml", "AmazonSES", "ivy@example.com", "4.4.2", "421", "expired"),
    ("amazonses-sns.eml", "AmazonSES", "jack@example.net", "5.1.1", "550", None),
    ("receivingses.eml", "ReceivingSES", "kate@inbound.example.org", "5.3.4", "552", None),
    ("amazonworkmail.eml", "AmazonWorkMail", "liam@example.com", "5.2.2", "550", None),
    ("sendgrid.eml", "SendGrid", "mia@example.jp", "5.1.1", "550", None),
    ("zoho.eml", "Zoho", "nina@example.co.jp", "5.1.1", "550", None),
    ("gmx.eml", "GMX", "paula@example.jp", "5.2.2", None, None),
    ("einsundeins.eml", "EinsUndEins", "quinn@example.org", None, None, "emailtoolarge"),
    ("mailru.eml", "MailRu", "rosa@example.jp", "5.1.1", "550", None),
    ("yandex.eml", "Yandex", "sam@example.jp", "5.1.1", "550", None),
    ("ezweb.eml", "EZweb", "tina-example@ezweb.ne.jp", None, "550", "suspend"),
    ("kddi.eml", "KDDI", "uma@x0000example.dion.ne.jp", None, None, "mailboxfull"),
    ("biglobe.eml", "Biglobe", "victor@example.biglobe.ne.jp", None, None, "mailboxfull"),
    ("verizon.eml", "Verizon", "5550100@vtext.com", None, "550", "userunknown"),
    ("outlook.eml", "Outlook", "wendy@example.jp", "5.2.2", "550", None),
    ("office365.eml", "Office365", "xavier@example.com", "5.1.10", "550", None),
    ("facebook.eml", "Facebook", "yuri.example@facebook.com", "5.1.1", "550", "filtered"),
    ("aol.eml", "Aol", "zoe@example.jp", "5.2.2", "550", None),
    ("bigfoot.eml", "Bigfoot", "abel@example.org", "5.1.1", "550", None),
    ("amavis.eml", "Amavis", "bea@example.co.jp", "5.1.1", "550", None),
    ("barracuda.eml", "Barracuda", "carl@example.org", "5.7.1", "550", "spamdetected"),
    ("mcafee.eml", "McAfee", "dora@example.jp", "5.1.1", "550", None),
    ("messagelabs.eml", "MessageLabs", "ella@example.org", "5.0.0", "550", "userunknown"),
    ("mimecast.eml", "Mimecast", "fred@sub.example.org", "5.1.1", None, None),
    ("mxlogic.eml", "MXLogic", "gail@example.co.jp", "5.1.1", "550", None),
    ("surfcontrol.eml", "SurfControl", "hugo@example.com", "5.0.0", "554", None),
    ("interscanmss.eml", "InterScanMSS", "iris@example.jp", None, None, "userunknown"),
]


def test_every_module_is_registered_before_the_generic_decoders():
    for name in PROVIDER_MODULES:
        assert name in REGISTRY, name
        assert REGISTRY.index(name) < REGISTRY.index("rfc3464"), name


def test_every_family_has_a_sample():
    engines = {importlib.import_module(f"bouncewise.formats.{n}").NAME for n in PROVIDER_MODULES}
    assert engines <= {c[1] for c in CASES}


@pytest.mark.parametrize(("fixture", "engine", "recipient", "status", "replycode", "reason"), CASES)
def test_decoder_facts(fixture, engine, recipient, status, replycode, reason):
    mod, blocks = first_decoder(load(fixture))
    assert mod is not None, f"no decoder took {fixture}"
    assert mod.NAME == engine
    b = blocks[0]
    assert b.recipient == recipient
    assert b.status == status
    assert b.replycode == replycode
    assert b.reason == reason
    assert b.diagnosis or b.reason


def test_zoho_lists_each_recipient_with_its_own_reply():
    _, blocks = first_decoder(load("zoho.eml"))
    assert [(b.recipient, b.replycode, b.reason) for b in blocks] == [
        ("nina@example.co.jp", "550", None),
        ("oscar@example.co.jp", "421", "expired"),
    ]


def test_mailru_bilingual_notice_gives_one_block_per_recipient():
    _, blocks = first_decoder(load("mailru.eml"))
    assert len(blocks) == 1
    assert blocks[0].command == "RCPT" and blocks[0].rhost == "mx.example.jp"


def test_gmail_keeps_the_remote_reply_and_host():
    _, blocks = first_decoder(load("gmail-userunknown.eml"))
    b = blocks[0]
    assert b.rhost == "mx1.example.org"
    assert b.diagnosis.startswith("550 5.1.1")
    assert "Google tried" not in b.diagnosis


def test_gmail_delay_is_marked_delayed():
    _, blocks = first_decoder(load("gmail-delay.eml"))
    assert blocks[0].action == "delayed"


def test_amazonses_sns_wrapped_line_breaks_are_undone():
    _, blocks = first_decoder(load("amazonses-sns.eml"))
    assert blocks[0].diagnosis == "550 5.1.1 user unknown"


def test_yahoo_reads_the_smtp_stage():
    _, blocks = first_decoder(load("yahoo.eml"))
    assert blocks[0].command == "RCPT"


def test_decoders_say_not_mine_for_other_notices():
    # A Gmail header with a body of another kind: Google's decoders must step aside.
    raw = (
        b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        b"Subject: Delivery Status Notification (Failure)\n\nSomething else entirely.\n"
    )
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for name in ("gmail", "gsuite", "googlegroups", "googleworkspace"):
        mod = importlib.import_module(f"bouncewise.formats.{name}")
        assert mod.detect(msg)
        assert not mod.decode(msg)


def test_detect_is_false_for_an_ordinary_message():
    raw = b"From: friend@example.org\nTo: ana@sender.example.com\nSubject: lunch?\n\nnoon?\n"
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for name in PROVIDER_MODULES:
        mod = importlib.import_module(f"bouncewise.formats.{name}")
        assert not (mod.detect(msg) and mod.decode(msg)), name


def test_pipeline_records_for_stated_reasons():
    from bouncewise.pipeline import parse

    recs = {r.recipient: r for r in parse(str(FIXTURES), include="all") if r.recipient}
    assert recs["book-club@googlegroups.com"].reason == "rejected"
    assert recs["uma@x0000example.dion.ne.jp"].reason == "mailboxfull"
    assert recs["dave@slow.example.com"].kind == "delayed"
    assert recs["iris@example.jp"].hardbounce is True
    assert recs["jack@example.net"].engine == "AmazonSES"


def test_hostile_long_lines_stay_fast():
    import time

    body = "Delivery to the following recipient failed permanently:\n\n     " + "a" * 200_000 + "@x\n"
    raw = (
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        "Subject: Delivery Status Notification (Failure)\n\n" + body + ("(state 14) " * 20_000)
    ).encode()
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    start = time.perf_counter()
    for name in PROVIDER_MODULES:
        mod = importlib.import_module(f"bouncewise.formats.{name}")
        if mod.detect(msg):
            mod.decode(msg)
    assert time.perf_counter() - start < 2.0
