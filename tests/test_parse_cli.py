"""``bouncewise parse`` for a new user: event files are recognised, a wrong --from is refused,
unreadable paths are counted as such, the summary is a table and the table output fits the
terminal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bouncewise.cli import main
from conftest import needs_events

HERE = Path(__file__).parent
EVENTS = HERE / "fixtures" / "events"
BOUNCES = HERE / "fixtures" / "bounces"
LOGS = HERE / "fixtures" / "logs"
LONG = "a.rather.long.recipient.name.for.wrapping@mail.subdivision.example-company.example.org"


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


def records(output: str) -> list[dict]:
    return [json.loads(x) for x in output.splitlines() if x.startswith("{")]


@needs_events
@pytest.mark.parametrize("name,provider", [
    ("sendgrid-webhook.json", "sendgrid"), ("ses-bounce.json", "ses"), ("postmark-bounce.json", "postmark"),
    ("mailgun-webhook-failed.json", "mailgun"), ("ses-events.ndjson", "ses"),
])
def test_event_file_without_from_is_read_as_events(name, provider):
    r = run("parse", "--format", "ndjson", "-q", str(EVENTS / name))
    assert r.exit_code == 0, r.output
    recs = records(r.output)
    assert recs and {x["engine"] for x in recs if x["kind"] != "not-a-bounce"} == {f"event:{provider}"}


@needs_events
def test_events_on_standard_input_without_from():
    with open(EVENTS / "sendgrid-webhook.json", "rb") as fh:  # a real standard input (it can be peeked)
        p = subprocess.run([sys.executable, "-m", "bouncewise", "parse", "--format", "ndjson", "-q", "-"],
                           stdin=fh, capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0 and {x["engine"] for x in records(p.stdout)} == {"event:sendgrid"}


@needs_events
def test_messages_and_event_files_together_keep_their_order():
    r = run("parse", "--format", "ndjson", "-q", str(BOUNCES / "autoreply.eml"), str(EVENTS / "ses-bounce.json"),
            str(BOUNCES / "dsn-delayed.eml"))
    files = [Path(x["file"]).name for x in records(r.output)]
    assert files[0] == "autoreply.eml" and files[-1] == "dsn-delayed.eml" and "ses-bounce.json" in files


@needs_events
def test_wrong_from_is_an_error_naming_the_format():
    r = run("parse", "--from", "ses", str(EVENTS / "sendgrid-webhook.json"))
    assert r.exit_code == 2
    assert "look like sendgrid's, not ses's" in r.output and "Traceback" not in r.output


@needs_events
def test_right_from_still_works():
    r = run("parse", "--from", "sendgrid", "--format", "ndjson", "-q", str(EVENTS / "sendgrid-webhook.json"))
    assert r.exit_code == 0 and records(r.output)


def test_unreadable_path_is_counted_as_could_not_be_read(tmp_path: Path):
    r = run("parse", "--format", "ndjson", str(BOUNCES / "autoreply.eml"), str(tmp_path / "missing.eml"))
    assert r.exit_code == 1
    head = r.stderr.splitlines()[0]
    assert "1 message read" in head and "1 could not be read" in head


def test_summary_is_a_table_by_kind_reason_and_provider():
    r = run("parse", "--format", "ndjson", str(BOUNCES), env={"COLUMNS": "120"})
    assert r.exit_code == 0
    err = r.stderr
    assert re.search(r"^kind +records +reason +failures +provider +failures", err, re.M), err
    assert re.search(r"^bounce +\d+ +userunknown +\d+", err, re.M), err


def test_summary_follows_the_terminal_width():
    narrow = run("parse", "--format", "ndjson", str(BOUNCES), env={"COLUMNS": "40"}).stderr
    assert all(len(line) <= 40 for line in narrow.splitlines()), narrow
    assert re.search(r"^reason +failures", narrow, re.M)  # the tables stack


def test_summary_flag_prints_tables_instead_of_records():
    r = run("parse", "--summary", str(BOUNCES), env={"COLUMNS": "160"})
    assert r.exit_code == 0
    assert not records(r.output)
    assert re.search(r"^kind +records", r.output, re.M) and "domain" in r.output and "example.org" in r.output


def test_scan_log_summary_flag_prints_tables():
    r = run("scan-log", str(LOGS / "postfix.log"), "--summary", env={"COLUMNS": "160"})
    assert r.exit_code == 0 and not records(r.output)
    assert re.search(r"^state +records +reason +records", r.output, re.M)


def test_scan_log_summary_file_still_works(tmp_path: Path):
    out = tmp_path / "s.json"
    r = run("scan-log", str(LOGS / "postfix.log"), "--summary", str(out))
    assert r.exit_code == 0 and records(r.output) and json.loads(out.read_text())["records"]


def _long_bounce(tmp_path: Path) -> Path:
    src = (BOUNCES / "dsn-two-recipients.eml").read_text()
    p = tmp_path / "long.eml"
    p.write_text(src.replace("nobody@example.org", LONG).replace("Nobody@Example.org", LONG))
    return p


@pytest.mark.parametrize("columns", [70, 80, 140])
def test_table_fits_the_terminal_and_cuts_nothing(tmp_path: Path, columns: int):
    r = run("parse", "--format", "table", "-q", str(_long_bounce(tmp_path)), env={"COLUMNS": str(columns)})
    lines = r.output.splitlines()
    assert all(len(line) <= columns for line in lines), "\n".join(lines)
    assert "…" not in r.output
    header = lines[0]
    start = header.index("RECIPIENT")
    end = header.index("STATUS")
    rows = [line[start:end].strip() for line in lines[1:] if not re.match(r"    \S", line)]
    assert LONG in "".join(rows)  # wrapped over lines, but whole
    engine = header.index("ENGINE")
    assert "Postfix" in "".join(line[engine:] for line in lines[1:])


def test_scan_log_summary_never_overwrites_a_log(tmp_path: Path):
    log = tmp_path / "mail.log"
    log.write_bytes((LOGS / "postfix.log").read_bytes())
    r = run("scan-log", "--summary", str(log), str(LOGS / "exim_mainlog"))
    assert r.exit_code == 2 and "would overwrite" in r.output
    assert log.read_bytes() == (LOGS / "postfix.log").read_bytes()
    r = run("scan-log", "--summary", str(log))  # the log taken as the summary file, no FILES left
    assert r.exit_code == 2 and log.read_bytes() == (LOGS / "postfix.log").read_bytes()
