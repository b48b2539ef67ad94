"""``bouncewise diagnose`` on the command line: words rather than internals, strict input."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bouncewise.cli import main
from conftest import needs_diagnosis

pytestmark = needs_diagnosis

REPLY = ("550 5.7.1 <jo@example.org>: Recipient address rejected: Access denied. The account has been "
         "disabled by the administrator of this domain after repeated policy violations")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


def test_human_output_has_words_not_rule_ids():
    r = run("diagnose", REPLY)
    assert r.exit_code == 0
    for internal in ("@phrases.toml", "phrase:", "code:status", "after-fix", "matched"):
        assert internal not in r.output, internal
    assert "Why:" in r.output and "the text carries the enhanced status code 5.7.1" in r.output


def test_several_fitting_reasons_in_words():
    text = "552 mailbox full, user unknown"  # wording of two reasons: the engine notes the other
    r = run("diagnose", text)
    assert "matched" not in r.output  # never "also-matched matched ..."
    rules = [ev["rule"] for ev in json.loads(run("diagnose", "--json", text).output)["evidence"]]
    if "also-matched" in rules:
        assert "other reasons also fit:" in r.output


def test_json_keeps_rule_ids():
    d = json.loads(run("diagnose", "--json", REPLY).output)
    rules = [ev["rule"] for ev in d["evidence"]]
    assert "code:status" in rules and any("@" in r for r in rules)


def test_retry_in_words():
    r = run("diagnose", "550 5.7.1 Access denied by policy")
    first = r.output.splitlines()[0]
    assert "after-fix" not in first and "retry after fixing the cause" in first


def test_no_automatic_highlighting_of_codes():
    r = run("diagnose", REPLY, env={"FORCE_COLOR": "1", "COLUMNS": "100", "TERM": "xterm-256color"})
    assert "\x1b[" in r.output  # colours are on
    for line in r.output.splitlines():
        if "5.7.1" in ANSI.sub("", line):
            assert "5.7.1" in line, repr(line)  # never split by colour codes


def test_wrapped_bullets_stay_indented():
    r = run("diagnose", REPLY, env={"COLUMNS": "50"})
    lines = r.output.splitlines()
    why = lines.index("Why:")
    items = lines[why + 1:]
    assert len(items) > len([x for x in items if x.startswith("  - ")])  # something wrapped
    for line in items:
        assert line.startswith(("  - ", "    ")), repr(line)
        assert len(line) <= 50
    bullets = [x for x in lines[:why] if x.startswith(("  • ", "    "))]
    assert all(len(x) <= 50 for x in bullets)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_reply_is_a_usage_error(text):
    r = run("diagnose", text)
    assert r.exit_code == 2 and "nothing to diagnose" in r.output


def test_empty_standard_input_says_nothing_to_diagnose():
    r = run("diagnose", "-", input="")
    assert r.exit_code == 2 and "nothing to diagnose" in r.output


def test_standard_input_lines_still_diagnosed():
    r = run("diagnose", "-", input="550 5.1.1 User unknown\n452 4.2.2 Mailbox full\n")
    assert r.exit_code == 0
    assert [json.loads(x)["line"] for x in r.output.splitlines()] == [1, 2]


@pytest.mark.parametrize("option,value", [
    ("--status", "9.9"), ("--status", "5.1"), ("--status", "hello"), ("--status", "3.1.1"),
    ("--replycode", "55"), ("--replycode", "abc"), ("--replycode", "650"),
    ("--command", "FOO"), ("--command", ""),
])
def test_bad_hints_are_usage_errors(option, value):
    r = run("diagnose", option, value, "550 User unknown")
    assert r.exit_code == 2
    assert f"Invalid value for '{option}'" in r.output and "Traceback" not in r.output


def test_good_hints_are_normalised():
    d = json.loads(run("diagnose", "--json", "--status", "#5.1.1", "--replycode", "550",
                       "--command", "rcpt to", "User unknown").output)
    assert (d["status"], d["replycode"], d["command"]) == ("5.1.1", "550", "RCPT")
