"""ESP events (SES, SendGrid, Mailgun, Postmark) on JSON samples the project wrote from the
providers' published documentation (tests/fixtures/events/, invented addresses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bouncewise import events
from bouncewise.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "events"


def read(name: str):
    return json.loads((FIXTURES / name).read_text())


def recs(name: str, provider: str | None = None):
    return events.records_from_json((FIXTURES / name).read_bytes(), origin=name, provider=provider)


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("ses-bounce.json", "ses"),
        ("ses-sns-complaint.json", "ses"),
        ("sendgrid-webhook.json", "sendgrid"),
        ("mailgun-webhook-failed.json", "mailgun"),
        ("mailgun-events-page.json", "mailgun"),
        ("postmark-bounce.json", "postmark"),
        ("postmark-mixed.json", "postmark"),
    ],
)
def test_detect_provider(name, provider):
    assert events.detect_provider(read(name)) == provider


def test_detect_provider_unknown():
    assert events.detect_provider({"hello": "world"}) is None
    assert events.detect_provider([1, 2, 3]) is None
    assert events.detect_provider("text") is None


def test_ses_bounce_one_block_per_recipient():
    blocks = events.parse_event(read("ses-bounce.json"))
    assert [(b.recipient, b.status, b.replycode, b.action) for b in blocks] == [
        ("gone.user@example.org", "5.1.1", "550", "failed"),
        ("full.box@example.net", "5.2.2", "552", "failed"),
    ]
    assert blocks[0].diagnosis.startswith("550 5.1.1")  # the "smtp;" type is removed
    assert blocks[0].lhost == "b1-2.smtp-out.eu-west-1.amazonses.com"
    assert blocks[0].rhost == "192.0.2.10"


def test_ses_records_carry_the_original_message():
    out = recs("ses-bounce.json")
    assert out[0].addresser == "news@sender.example.com"
    assert out[0].subject == "Monthly notes"
    assert out[0].messageid == "notes-2026-11@sender.example.com"
    assert out[0].engine == "event:ses"
    assert out[0].kind == "bounce"
    assert out[0].reason  # decided by the diagnosis engine


def test_ses_complaint_inside_sns_envelope():
    blocks = events.parse_event(read("ses-sns-complaint.json"))
    assert len(blocks) == 1
    assert blocks[0].recipient == "annoyed@example.org"
    assert (blocks[0].reason, blocks[0].feedbacktype) == ("feedback", "abuse")
    out = recs("ses-sns-complaint.json")
    assert out[0].kind == "feedback" and out[0].hardbounce is False


def test_ses_ndjson_delivery_suppression_and_delay():
    out = recs("ses-events.ndjson")
    by = {r.recipient: r for r in out}
    assert by["reader@example.org"].kind == "delivered"
    assert (by["reader@example.org"].status, by["reader@example.org"].replycode) == ("2.0.0", "250")
    assert by["listed@example.org"].reason == "suppressed"
    assert by["slow@example.net"].kind == "delayed"
    assert by["slow@example.net"].status == "4.2.2"


def test_sendgrid_events():
    blocks = events.parse_event(read("sendgrid-webhook.json"))
    by = {b.recipient: b for b in blocks}
    assert "reader@example.com" not in by  # an "open" is no delivery outcome
    assert (by["nobody@example.org"].status, by["nobody@example.org"].replycode) == ("5.1.1", "550")
    assert by["again@example.org"].reason == "suppressed"
    assert by["later@example.com"].action == "delayed"
    assert by["happy@example.com"].reason == "delivered"
    assert by["grumpy@example.com"].reason == "feedback"
    out = {r.recipient: r for r in recs("sendgrid-webhook.json")}
    assert out["nobody@example.org"].timestamp.startswith("2025-")
    assert out["nobody@example.org"].messageid == "sg-1@sender.example.com"


def test_mailgun_webhook_failed():
    blocks = events.parse_event(read("mailgun-webhook-failed.json"))
    assert len(blocks) == 1
    b = blocks[0]
    assert (b.recipient, b.status, b.replycode, b.rhost) == ("ghost@example.org", "5.1.1", "550", "mx.example.org")
    r = recs("mailgun-webhook-failed.json")[0]
    assert r.addresser == "hello@sender.example.com"
    assert r.subject == "Your receipt"


def test_mailgun_events_page():
    blocks = events.parse_event(read("mailgun-events-page.json"))
    by = {b.recipient: b for b in blocks}
    assert by["busy@example.net"].action == "delayed"
    assert by["known-bad@example.org"].reason == "suppressed"
    assert by["known-bad@example.org"].replycode is None  # 605 is Mailgun's own number
    assert by["angry@example.com"].reason == "feedback"
    assert by["fine@example.com"].reason == "delivered"
    assert len(blocks) == 4  # "opened" gives nothing


def test_postmark_bounce_and_mixed():
    b = events.parse_event(read("postmark-bounce.json"))[0]
    assert (b.recipient, b.status, b.replycode) == ("missing@example.org", "5.1.1", "550")
    by = {x.recipient: x for x in events.parse_event(read("postmark-mixed.json"))}
    assert by["complainer@example.net"].reason == "feedback"
    assert by["glad@example.com"].reason == "delivered"
    assert by["someone@nonexistent-domain.example"].reason == "hostunknown"  # typed, no SMTP reply
    assert by["stuffed@example.org"].status == "4.2.2"
    assert by["stuffed@example.org"].reason is None  # the reply is there: diagnosis decides


def test_forced_provider_and_bad_input():
    assert events.parse_event(read("ses-bounce.json"), provider="postmark") == []
    with pytest.raises(ValueError):
        events.parse_event({}, provider="nope")
    with pytest.raises(InputError):
        events.records_from_json(b"not json at all {", origin="x")
    out = events.records_from_json(b'{"hello": "world"}', origin="x")
    assert [r.kind for r in out] == ["not-a-bounce"]


def test_hostile_values_do_not_break():
    ugly = {"notificationType": "Bounce", "mail": {}, "bounce": {"bouncedRecipients": [None, 3, {"emailAddress": ["x"]},
            {"emailAddress": "ok@example.org", "diagnosticCode": "5" * 100_000}]}}
    blocks = events.parse_event(ugly)
    assert [b.recipient for b in blocks] == ["ok@example.org"]
    assert len(blocks[0].diagnosis) <= 4_000


def test_to_dict_is_json_ready():
    for r in recs("postmark-mixed.json"):
        json.dumps(r.to_dict())


def test_cli_parse_from_esp(tmp_path):
    cmd = [sys.executable, "-m", "bouncewise", "parse", "--from", "sendgrid", "--format", "ndjson",
           "--include", "all", "--quiet", str(FIXTURES / "sendgrid-webhook.json")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert {r["recipient"] for r in rows} >= {"nobody@example.org", "happy@example.com"}
    assert all(r["engine"] == "event:sendgrid" for r in rows)
