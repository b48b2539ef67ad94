"""The format-agnostic fallback decoder (formats/fallback.py) and the Microsoft JMRP
complaint decoder (formats/jmrp.py), on notices the project wrote itself in layouts no
specific decoder knows (tests/fixtures/fallback), and on ordinary messages that must never
become bounces (tests/fixtures/fallback/not)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bouncewise.formats import REGISTRY, fallback, jmrp
from bouncewise.messages import RawMessage
from bouncewise.pipeline import _parse_bytes, analyse
from conftest import CORPUS

FIX = Path(__file__).parent / "fixtures" / "fallback"
NOT = FIX / "not"


def load(name: str):
    return _parse_bytes((FIX / name).read_bytes())


def records(path: Path):
    return analyse(RawMessage(file=str(path), index=1, data=path.read_bytes()))


# fixture -> [(recipient, action, status, replycode, command)]
BOUNCES = {
    "relay-plain.eml": [("alice@example.org", "failed", "5.1.1", "550", "RCPT")],
    "german.eml": [("bernd@example.de", "failed", "5.2.2", "552", None)],
    "french-qp.eml": [("claire@example.fr", "failed", "5.1.1", "550", None)],
    "spanish.eml": [("dario@example.es", "failed", "5.7.1", "554", None)],
    "portuguese-base64.eml": [("joao@example.com.br", "failed", "5.1.1", "550", None)],
    "japanese-iso2022jp.eml": [("hanako@example.jp", "failed", "5.1.1", "550", None)],
    "multi-recipients.eml": [
        ("one@example.net", "failed", "5.1.1", "550", None),
        ("two@example.net", "failed", "5.2.2", "552", None),
        ("three@example.com", "failed", "5.7.1", "554", None),
    ],
    "forwarded-inline.eml": [("gina@example.net", "failed", "5.1.1", "550", "RCPT")],
    "forwarded-attached.eml": [("ines@example.org", "failed", "5.2.1", "550", None)],
    "delay-warning.eml": [("henry@example.org", "delayed", "4.4.1", "451", None)],
    "x-failed-recipients.eml": [("ivan@example.org", "failed", "5.7.1", "554", None)],
    "html-only.eml": [("jane@example.org", "failed", "5.1.10", "550", None)],
    "transcript.eml": [("kate@example.org", "failed", "5.7.1", "550", "RCPT")],
    "original-to-only.eml": [("leo@example.org", "failed", "5.1.1", "550", None)],
}

NOT_BOUNCES = sorted(p.name for p in NOT.glob("*.eml"))


def test_fallback_is_last_and_jmrp_before_rfc3464():
    assert REGISTRY[-1] == "fallback"
    assert REGISTRY.index("jmrp") < REGISTRY.index("rfc3464")
    assert fallback.NAME and jmrp.NAME == "ARF"


@pytest.mark.parametrize("name", sorted(BOUNCES))
def test_fallback_reads_unfamiliar_notices(name: str):
    msg = load(name)
    assert fallback.detect(msg)
    blocks = fallback.decode(msg)
    assert blocks, name
    got = [(b.recipient, b.action, b.status, b.replycode, b.command) for b in blocks]
    assert got == BOUNCES[name]
    for b in blocks:
        assert b.diagnosis  # the server's reply or the notice's own words
        assert len(b.diagnosis) <= fallback.MAX_DIAG


def test_diagnosis_is_the_quoted_reply():
    (b,) = fallback.decode(load("relay-plain.eml"))
    assert b.diagnosis == '550 5.1.1 mailbox "alice" does not exist here'
    assert b.rhost == "mx.example.org"
    (g,) = fallback.decode(load("forwarded-inline.eml"))
    # a wrapped reply is joined; the command comes from "(in reply to RCPT TO command)"
    assert g.diagnosis.startswith("550 5.1.1 <gina@example.net>: Recipient address rejected")
    assert "virtual mailbox table" in g.diagnosis and g.rhost == "mx.example.net"
    (k,) = fallback.decode(load("transcript.eml"))
    assert k.rhost == "mx.example.org" and "blocklist" in k.diagnosis


def test_non_english_replies_survive_decoding():
    (h,) = fallback.decode(load("japanese-iso2022jp.eml"))
    assert "ユーザーが存在しません" in h.diagnosis
    (c,) = fallback.decode(load("french-qp.eml"))
    assert "Utilisateur inconnu" in c.diagnosis
    (b,) = fallback.decode(load("german.eml"))
    assert "überschritten" in b.diagnosis


def test_sender_postmaster_and_author_are_never_recipients():
    # relay-plain names the sender ("sent by <sender@example.com>"), the postmaster and, in
    # the quoted original, the author: only the failed recipient is reported
    (b,) = fallback.decode(load("relay-plain.eml"))
    assert b.recipient == "alice@example.org"
    # the transcript's MAIL FROM address is the sender's
    assert [x.recipient for x in fallback.decode(load("transcript.eml"))] == ["kate@example.org"]
    # "Sent by organiser@..." after the list is not a fourth recipient
    assert len(fallback.decode(load("multi-recipients.eml"))) == 3


def test_recipient_from_the_original_only_when_the_text_has_none():
    (b,) = fallback.decode(load("original-to-only.eml"))
    assert b.recipient == "leo@example.org"
    assert fallback.FROM_ORIGINAL_NOTE in b.diagnosis  # says where the address came from


@pytest.mark.parametrize("name", sorted(BOUNCES))
def test_pipeline_gives_bounce_records(name: str):
    recs = records(FIX / name)
    expected = BOUNCES[name]
    assert [r.recipient for r in recs] == [e[0] for e in expected]
    for r, e in zip(recs, expected, strict=True):
        assert r.kind == ("delayed" if e[1] == "delayed" else "bounce")
        assert r.reason and r.reason not in ("vacation", "feedback", "delivered")


def test_pipeline_reasons_for_clear_cases():
    by_name = {n: records(FIX / n) for n in ("german.eml", "multi-recipients.eml", "delay-warning.eml")}
    assert by_name["german.eml"][0].reason == "mailboxfull"
    assert [r.reason for r in by_name["multi-recipients.eml"]][1] == "mailboxfull"
    delayed = by_name["delay-warning.eml"][0]
    assert delayed.kind == "delayed" and delayed.hardbounce is False and delayed.retry == "later"


@pytest.mark.parametrize("name", NOT_BOUNCES)
def test_ordinary_messages_stay_ordinary(name: str):
    msg = _parse_bytes((NOT / name).read_bytes())
    assert not (fallback.detect(msg) and fallback.decode(msg))
    kinds = {r.kind for r in records(NOT / name)}
    assert kinds <= {"not-a-bounce", "vacation", "feedback"}, (name, kinds)
    assert "bounce" not in kinds and "delayed" not in kinds


def test_at_least_six_non_bounces():
    assert len(NOT_BOUNCES) >= 6


def test_jmrp_complaint_is_feedback():
    msg = load("jmrp-complaint.eml")
    assert jmrp.detect(msg)
    (b,) = jmrp.decode(msg)
    assert (b.recipient, b.reason, b.feedbacktype) == ("victor@hotmail.example", "feedback", "abuse")
    (r,) = records(FIX / "jmrp-complaint.eml")
    assert (r.kind, r.reason, r.feedbacktype, r.engine) == ("feedback", "feedback", "abuse", "ARF")
    assert r.addresser == "offers@example.com"
    # an ordinary message with an attached message is not a complaint
    assert not jmrp.detect(load("spanish.eml"))


def test_hostile_text_is_fast():
    junk = ("a" * 120 + "@") * 2000 + "\n" + "550 " * 20000 + "\n" + ("x@y." * 5000)
    data = (
        "From: MAILER-DAEMON@example.org\nTo: s@example.com\nSubject: Undeliverable\n"
        "Content-Type: text/plain\n\n" + junk + "\n" + ("\n" * 50000)
    ).encode()
    msg = _parse_bytes(data)
    start = time.perf_counter()
    fallback.decode(msg)
    assert time.perf_counter() - start < 5


def test_corpus_non_bounces_are_not_claimed():
    folder = CORPUS / "maildir" / "not"
    if not folder.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    for path in sorted(folder.glob("is-not-bounce-*.eml")):
        msg = _parse_bytes(path.read_bytes())
        assert not (fallback.detect(msg) and fallback.decode(msg)), path.name
