"""MTA-family decoders (issue #5 part A): each is checked on a sample the project wrote,
modelled on the family's layout with invented addresses and hosts."""

from __future__ import annotations

import email
import email.policy
import importlib
import time
from pathlib import Path

import pytest

from bouncewise.formats import REGISTRY, _mta
from conftest import first_decoder

FIXTURES = Path(__file__).parent / "fixtures" / "mta"

MTA_MODULES = [
    "postfix", "sendmail", "v5sendmail", "exim", "qmail", "opensmtpd", "exchange2003", "domino",
    "notes", "imailserver", "powermta", "fml", "x3",
]

# fixture -> (module, [(recipient, status, replycode, command)], reason set by the format or None)
CASES: dict[str, tuple[str, list[tuple[str, str | None, str | None, str | None]], str | None]] = {
    "postfix-dsn.eml": ("postfix", [("bob@example.org", "5.1.1", "550", "RCPT"),
                                    ("carol@example.org", "5.2.2", "552", "DATA")], None),
    "postfix-text.eml": ("postfix", [("dave@example.com", None, "554", "CONN"),
                                     ("erin@example.com", None, None, None)], None),
    "sendmail.eml": ("sendmail", [("frank@example.org", "5.1.1", "550", "DATA")], None),
    "v5sendmail.eml": ("v5sendmail", [("gina@example.org", None, "550", "RCPT"),
                                      ("hank@example.com", None, "550", None)], None),
    # a syntax-class reply (501 to MAIL FROM) gives way to Sendmail's verdict; others do not
    "v5sendmail-mailfrom.eml": ("v5sendmail", [("ivy@example.org", None, "554", "MAIL"),
                                               ("jack@example.com", None, "552", "DATA")], None),
    "exim.eml": ("exim", [("ivan@example.org", "5.1.1", "550", "RCPT"),
                          ("judy@example.net", None, None, None)], None),
    "exim-delay.eml": ("exim", [("kate@example.org", "4.7.1", "451", "MAIL")], None),
    "qmail.eml": ("qmail", [("leo@example.org", "5.1.1", "550", "RCPT"),
                            ("mia@example.org", "5.1.2", None, None)], None),
    "opensmtpd.eml": ("opensmtpd", [("olga@example.org", "5.2.2", "550", None)], None),
    "exchange2003.eml": ("exchange2003", [("rita@example.org", None, None, None)], "userunknown"),
    "domino.eml": ("domino", [("tina@example.org", None, None, None)], "userunknown"),
    "notes.eml": ("notes", [("uma@example.org", None, None, None)], "userunknown"),
    "imailserver.eml": ("imailserver", [("victor@example.org", None, None, None)], "userunknown"),
    "powermta.eml": ("powermta", [("wendy@example.org", "5.1.1", "550", None)], "userunknown"),
    "fml.eml": ("fml", [("club@lists.example.org", None, None, None)], "rejected"),
    "x3.eml": ("x3", [("eric@example.org", "5.3.0", "553", "RCPT")], None),
}

# Families whose decoders were removed: the generic reader reads them alone (docs/parse.md,
# "Decoders"), and names the family from its headers where they tell.
# fixture -> (engine, [(recipient, status, replycode, command)])
GENERIC_FAMILIES: dict[str, tuple[str, list[tuple[str, str | None, str | None, str | None]]]] = {
    "dragonfly.eml": ("DragonFly", [("nick@example.org", "5.1.1", "550", "RCPT")]),
    "courier.eml": ("Courier", [("paul@example.org", "5.1.1", "550", "RCPT")]),
    "messagingserver.eml": ("MessagingServer", [("quinn@example.org", "5.1.1", "550", None)]),
    "exchange2007.eml": ("Exchange2007", [("sam@example.org", "5.1.1", "550", None)]),
    # the command from the notice's "RCPT TO: <addr>" line of its message details
    "apachejames.eml": ("ApacheJames", [("xavier@example.org", None, "550", "RCPT")]),
    "activehunter.eml": ("Activehunter", [("yuki@example.org", "5.1.1", "550", None)]),
    "mfilter.eml": ("mFILTER", [("zoe@example.org", "5.1.1", "550", "RCPT")]),
    "mailfoundry.eml": ("MailFoundry", [("adam@example.org", None, "550", None)]),
    "mailmarshalsmtp.eml": ("MailMarshalSMTP", [("beth@example.org", "5.1.1", "550", None)]),
    "x1.eml": ("Fallback", [("chris@example.org", None, None, None)]),
    "x2.eml": ("Fallback", [("dana@example.org", None, None, None)]),
    # Sisimai's X5: a relay's notice with a Sendmail bounce attached, which the Sendmail decoder reads
    "x5.eml": ("Sendmail", [("fiona@example.org", "5.1.1", "550", None)]),
    "x6.eml": ("X6", [("greg@example.org", "5.1.1", "550", "RCPT")]),
}


def load(name: str, newline: str = "\n"):
    data = (FIXTURES / name).read_bytes().replace(b"\r\n", b"\n")
    if newline != "\n":
        data = data.replace(b"\n", newline.encode())
        # what the pipeline does before decoding: one line-ending convention
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return email.message_from_bytes(data, policy=email.policy.compat32)


def test_every_family_is_registered_before_the_generic_decoders() -> None:
    generic = REGISTRY.index("rfc3464")
    for name in MTA_MODULES:
        assert name in REGISTRY, name
        assert REGISTRY.index(name) < generic, name
    assert REGISTRY.index("v5sendmail") < REGISTRY.index("sendmail")


def test_every_family_has_a_fixture() -> None:
    assert {module for module, _, _ in CASES.values()} == set(MTA_MODULES)


@pytest.mark.parametrize("fixture", sorted(GENERIC_FAMILIES))
def test_generic_reader_reads_the_families_without_a_decoder(fixture: str) -> None:
    from bouncewise.messages import RawMessage
    from bouncewise.pipeline import analyse

    engine, expected = GENERIC_FAMILIES[fixture]
    records = analyse(RawMessage(data=(FIXTURES / fixture).read_bytes(), file=fixture, index=1))
    got = [(r.recipient, r.status, r.replycode, r.smtpcommand) for r in records]
    assert got == expected
    assert {r.engine for r in records} == {engine}
    assert all(r.kind == "bounce" and r.diagnosticcode for r in records)


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_decoder_reads_the_facts(fixture: str) -> None:
    module_name, expected, reason = CASES[fixture]
    mod = importlib.import_module(f"bouncewise.formats.{module_name}")
    msg = load(fixture)
    assert mod.detect(msg)
    blocks = mod.decode(msg)
    assert blocks, fixture
    got = [(b.recipient, b.status, b.replycode, b.command) for b in blocks]
    assert got == expected
    for b in blocks:
        assert b.diagnosis, "every block carries the diagnostic text"
        assert b.reason == reason
        assert b.action in ("failed", "delayed")
    assert mod.NAME


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_registry_picks_the_family(fixture: str) -> None:
    module_name = CASES[fixture][0]
    mod, _ = first_decoder(load(fixture))
    assert mod is not None and mod.__name__ == f"bouncewise.formats.{module_name}"


@pytest.mark.parametrize("fixture", ["postfix-dsn.eml", "sendmail.eml", "exim.eml", "qmail.eml"])
@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings_do_not_matter(fixture: str, newline: str) -> None:
    base = first_decoder(load(fixture))[1]
    other = first_decoder(load(fixture, newline))[1]
    assert [(b.recipient, b.status, b.replycode, b.diagnosis) for b in other] == [
        (b.recipient, b.status, b.replycode, b.diagnosis) for b in base
    ]


def test_postfix_keeps_the_fuller_reply_and_alias() -> None:
    blocks = importlib.import_module("bouncewise.formats.postfix").decode(load("postfix-dsn.eml"))
    assert blocks[0].rhost == "mx1.example.org"
    assert "no such mailbox here" in blocks[0].diagnosis
    assert blocks[1].original_recipient == "team@example.org"


def test_exim_delay_is_marked_delayed() -> None:
    blocks = importlib.import_module("bouncewise.formats.exim").decode(load("exim-delay.eml"))
    assert blocks[0].action == "delayed"
    assert blocks[0].rhost == "mx.example.org"


def test_qmail_leaves_out_its_give_up_sentences() -> None:
    blocks = importlib.import_module("bouncewise.formats.qmail").decode(load("qmail.eml"))
    assert "Giving up" not in blocks[0].diagnosis


def test_decoders_decline_other_formats() -> None:
    # a qmail notice is not Postfix's, Exim's or Sendmail's even when headers look alike
    msg = load("qmail.eml")
    for name in ("postfix", "sendmail", "exim", "opensmtpd", "exchange2003"):
        assert not importlib.import_module(f"bouncewise.formats.{name}").decode(msg), name


def test_helpers_find_codes_not_addresses() -> None:
    assert _mta.find_status("host [10.5.1.1] said: 550 5.7.1 denied") == "5.7.1"
    assert _mta.find_replycode("mx[203.0.113.5]: 550 5.1.1 unknown") == "550"
    assert _mta.find_replycode("said: 522 over quota") is None  # not a reply code servers use
    assert _mta.find_command("(in reply to end of DATA command)") == "DATA"
    assert _mta.find_command("SMTP error from remote mail server after RCPT TO:<a@b.example>:") == "RCPT"


def test_hostile_input_is_fast() -> None:
    big = "<" + "a" * 200_000 + "@" + "b." * 50_000 + ">: " + "5.5.5 " * 50_000
    text = (
        "From: MAILER-DAEMON@x.example (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n\n"
        "This is the mail system at host x.example.\n\n" + big + "\n" + ("    " + "x" * 5000 + "\n") * 200
    )
    msg = email.message_from_string(text, policy=email.policy.compat32)
    start = time.perf_counter()
    for name in MTA_MODULES:
        mod = importlib.import_module(f"bouncewise.formats.{name}")
        mod.detect(msg)
        mod.decode(msg)
    assert time.perf_counter() - start < 5.0
