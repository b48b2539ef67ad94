"""Scanning the project's own sample logs (tests/fixtures/logs)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bouncewise.cli.diagnose import scan_log
from bouncewise.logscan import open_log, parse_line, scan

LOGS = Path(__file__).parent / "fixtures" / "logs"


def _scan(name: str, **kw: bool) -> list[dict]:
    with open_log(LOGS / name) as fh:
        return [r.to_dict() for r in scan(fh, **kw)]


def test_postfix_records() -> None:
    recs = _scan("postfix.log")
    got = [(r["recipient"], r["state"], r["reason"], r["status"]) for r in recs]
    assert got == [
        ("jo@example.org", "bounced", "userunknown", "5.1.1"),
        ("ann@example.net", "deferred", "mailboxfull", "4.2.2"),
        # a deferral keeps its cause (the connection timed out); "expired" is the later give-up
        ("cy@example.edu", "deferred", "networkerror", "4.4.1"),
        ("cy@example.edu", "expired", "expired", "4.4.7"),
        ("dee@gmail.com", "bounced", "authfailure", "5.7.26"),
    ]
    assert recs[0]["hardbounce"] is True and recs[0]["rhost"] == "mx.example.org" and recs[0]["rip"] == "192.0.2.10"
    assert recs[0]["command"] == "RCPT"
    assert recs[1]["hardbounce"] is False and recs[1]["retry"] == "later"
    assert recs[4]["provider"] == "Google"


def test_postfix_all_adds_sent() -> None:
    recs = _scan("postfix.log", include_sent=True)
    sent = [r for r in recs if r["state"] == "sent"]
    assert [r["recipient"] for r in sent] == ["bo@example.com"]
    assert sent[0]["reason"] == "delivered"


def test_exim_records() -> None:
    recs = _scan("exim_mainlog")
    got = [(r["recipient"], r["state"], r["reason"]) for r in recs]
    assert got == [
        ("jo@example.org", "bounced", "userunknown"),
        ("ann@example.net", "deferred", "blocked"),
        ("cy@example.edu", "expired", "expired"),
    ]
    assert recs[1]["retry"] == "later" and recs[1]["rhost"] == "mx.example.net"


def test_sendmail_records_and_gzip() -> None:
    for name in ("sendmail.log", "sendmail.log.gz"):
        recs = _scan(name)
        got = [(r["recipient"], r["state"], r["reason"], r["status"]) for r in recs]
        assert got == [
            ("jo@example.org", "bounced", "userunknown", "5.1.1"),
            ("ann@example.net", "deferred", "ratelimited", "4.0.0"),
        ]
        assert recs[0]["rhost"] == "mx.example.org"


def test_parse_line_ignores_other_lines() -> None:
    assert parse_line("Nov 23 10:00:04 mx1 postfix/qmgr[1999]: 6CD34E5F6A: removed") is None
    assert parse_line("hello world") is None
    assert parse_line("x" * 100_000) is None


def test_cli_scan_log_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    result = CliRunner().invoke(
        scan_log, [str(LOGS / "postfix.log"), str(LOGS / "exim_mainlog"), "--summary", str(summary)]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == 8
    s = json.loads(summary.read_text())
    assert s["records"] == 8
    assert s["by_reason"]["userunknown"] == 2
    assert s["by_domain"]["example.org"] == 2


def test_cli_scan_log_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(scan_log, [str(tmp_path / "nope.log"), "--no-summary"])
    assert result.exit_code == 1
