"""Behaviour of bouncewise.diagnosis.diagnose beyond the reply table."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

import bouncewise
from bouncewise.cli.diagnose import diagnose as diagnose_cmd
from bouncewise.diagnosis import Diagnosis, diagnose
from bouncewise.diagnosis.tables import tables
from bouncewise.reasons import names

FIELDS = {
    "text", "replycode", "status", "decided_by", "command", "recipient", "rhost", "rip", "provider",
    "reason", "hardbounce", "retry", "retry_after", "category", "who_acts", "explanation", "advice",
    "evidence", "confidence", "kind",
}


def test_contract_fields_and_json() -> None:
    d = diagnose("550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown")
    assert isinstance(d, Diagnosis)
    out = d.to_dict()
    assert FIELDS <= set(out)
    json.dumps(out)
    assert out["reason"] in names()
    assert out["decided_by"] in ("text", "status", "replycode", "vendor", "none")
    assert out["kind"] == "reply" and out["recipient"] == "jo@example.org"
    assert out["evidence"] and {"rule", "matched", "source"} <= set(out["evidence"][0])
    assert out["advice"] and out["explanation"]


def test_public_api_is_wired() -> None:
    assert bouncewise.diagnose("452 4.2.2 Mailbox full").reason == "mailboxfull"


def test_caller_codes_are_facts() -> None:
    d = diagnose("Mailbox full", status="5.2.2", replycode="552")
    assert (d.status, d.replycode, d.reason) == ("5.2.2", "552", "mailboxfull")
    d = diagnose("550 5.1.1 user unknown", status="5.2.1", command="DATA")
    assert d.status == "5.2.1" and d.reason == "filtered"
    assert diagnose("delivery failed").status is None  # never invented


def test_postfix_wrapper_fields() -> None:
    d = diagnose(
        "host mx.example.org[192.0.2.1] said: 550 5.1.1 <jo@example.org>: Recipient address "
        "rejected: User unknown (in reply to RCPT TO command)"
    )
    assert (d.rhost, d.rip, d.command, d.recipient) == ("mx.example.org", "192.0.2.1", "RCPT", "jo@example.org")


def test_exim_wrapper_command() -> None:
    d = diagnose("SMTP error from remote mail server after RCPT TO:<jo@example.org>: 550 5.1.1 No such user")
    assert d.command == "RCPT" and d.recipient == "jo@example.org" and d.reason == "userunknown"


def test_provider_from_rhost_and_vendor() -> None:
    assert diagnose("550 5.7.1 rejected", rhost="mx1.mail.protection.outlook.com").provider == "Microsoft"
    assert diagnose("550 5.7.1 rejected", rhost="gmail-smtp-in.l.google.com").provider == "Google"
    assert diagnose("550 5.7.1 rejected", vendor="yahoo").provider == "Yahoo"
    assert diagnose("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", vendor="yahoo").decided_by == "vendor"


def test_host_only_provider_rule_needs_the_providers_host() -> None:
    text = (
        "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume"
        " or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"
    )
    from_mx = diagnose(text, rhost="mta5.am0.yahoodns.net", context="bounce")
    assert (from_mx.reason, from_mx.decided_by) == ("rejected", "vendor")
    assert diagnose(text, vendor="yahoo").reason == "rejected"
    quoted = diagnose(text, context="bounce")  # the provider known only from the URL in the text
    assert quoted.provider == "Yahoo" and (quoted.reason, quoted.decided_by) == ("badreputation", "text")


def test_vendor_code_table_beats_generic() -> None:
    d = diagnose("550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]")
    assert d.reason == "userunknown" and d.decided_by == "vendor" and d.provider == "Orange / La Poste"
    d = diagnose("554 IB104 Connection refused. This IP address is listed", rhost="smtp.secureserver.net")
    assert d.reason == "blocked" and d.decided_by == "vendor"


def test_unknown_text_is_not_a_guess() -> None:
    d = diagnose("550 5.0.0 the frobnicator declined")
    assert d.reason in ("undefined", "onhold") and d.confidence <= 0.3
    d = diagnose("451 4.3.0 xyzzy")
    assert d.reason == "systemerror" and d.decided_by == "status"
    d = diagnose("nothing useful here")
    assert d.reason == "onhold" and d.decided_by == "none" and d.confidence <= 0.2


def test_stage_decides_when_text_does_not() -> None:
    assert diagnose("554 5.7.1 go", command="CONN").reason == "blocked"
    assert diagnose("550 5.7.1 nope", command="MAIL").reason == "rejected"


def test_retry_after_from_text() -> None:
    assert diagnose("451 4.7.1 Greylisted, please try again in 5 minutes").retry_after == 300
    assert diagnose("451 4.7.1 Greylisting in action").retry_after == 300


def test_every_data_reason_is_in_the_vocabulary() -> None:
    t = tables()
    known = set(names())
    assert set(t.order) <= known
    assert set(t.status_map.values()) <= known and set(t.reply_map.values()) <= known
    for p in t.providers.values():
        assert set(p.codes.values()) <= known
    for phrases in t.index.by_word.values():
        for ph in phrases:
            assert ph.kind == "marker" or ph.target in known, ph


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000_000,
        "a" * 100_000,
        "550 " + "user " * 200_000,
        b"\xff\xfe\x00\x01" * 1000,
        "\x00" * 50_000,
        "550-5.1.1 " * 50_000,
        "<" * 100_000 + "@" * 100_000,
        "host " * 100_000 + "[",
    ],
    ids=["10MB", "100k-a", "many-words", "binary", "nul", "continuations", "angles", "hosts"],
)
def test_hostile_input_is_bounded(text: str | bytes) -> None:
    start = time.perf_counter()
    d = diagnose(text)
    assert time.perf_counter() - start < 1.0
    assert d.reason in names()
    assert len(d.text) <= 8192
    json.dumps(d.to_dict())


def test_invalid_utf8_bytes() -> None:
    d = diagnose(b"550 5.1.1 user unknown \xc3\x28")
    assert d.reason == "userunknown"


def test_cli_text_and_json() -> None:
    r = CliRunner().invoke(diagnose_cmd, ["--json", "550 5.1.1 user unknown"])
    assert r.exit_code == 0
    assert json.loads(r.output)["reason"] == "userunknown"
    r = CliRunner().invoke(diagnose_cmd, ["452 4.2.2 Mailbox full"])
    assert r.exit_code == 0 and "mailboxfull" in r.output


def test_cli_stdin_one_record_per_line() -> None:
    data = b"550 5.1.1 user unknown\n\xff\xfe\n\n452 4.2.2 mailbox full\n"
    r = CliRunner().invoke(diagnose_cmd, ["-"], input=data)
    assert r.exit_code == 0
    recs = [json.loads(x) for x in r.output.splitlines()]
    assert [x["line"] for x in recs] == [1, 2, 3, 4]
    assert [x["reason"] for x in recs] == ["userunknown", "onhold", "undefined", "mailboxfull"]
    assert recs[1]["kind"] == "unreadable"


def test_log_line_through_diagnose() -> None:
    line = (
        "Nov 23 10:00:01 mx1 postfix/smtp[2101]: 4AB12C3D4E: to=<jo@example.org>, relay=mx.example.org"
        "[192.0.2.10]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.org"
        "[192.0.2.10] said: 550 5.1.1 User unknown (in reply to RCPT TO command))"
    )
    d = diagnose(line)
    assert (d.kind, d.reason, d.recipient, d.rhost, d.rip, d.status) == (
        "log", "userunknown", "jo@example.org", "mx.example.org", "192.0.2.10", "5.1.1"
    )


def test_an_internal_error_is_named_in_the_evidence(monkeypatch) -> None:
    from bouncewise.diagnosis import engine

    def broken(*args, **kwargs):
        raise ValueError("phrases.toml: duplicate key")

    monkeypatch.setattr(engine, "_diagnose", broken)
    d = diagnose("550 5.1.1 user unknown")
    assert d.reason == "onhold"
    assert {"rule": "internal-error", "matched": "ValueError: phrases.toml: duplicate key", "source": "engine"} in d.evidence
