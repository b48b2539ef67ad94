"""``bouncewise explain`` / ``bouncewise codes`` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bouncewise.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_explain_plain_output():
    r = run("explain", "5.1.1")
    assert r.exit_code == 0
    assert "Bad destination mailbox address" in r.output
    assert "\x1b[" not in r.output  # plain when not a terminal


def test_explain_pair_without_quotes():
    r = run("explain", "550", "5.1.1", "--json")
    d = json.loads(r.output)
    assert d["kind"] == "pair" and d["agree"] is True
    assert d["codes"] == ["550", "5.1.1"]


@pytest.mark.parametrize(
    "query,field,value",
    [
        ("550", "kind", "basic"),
        ("4.7.1", "cls", "transient"),
        ("511", "code", "5.1.1"),
        ("5.7.606", "registered", False),
        ("421", "who_acts", "nobody"),
    ],
)
def test_explain_json_fields(query, field, value):
    r = run("explain", query, "--json")
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert d["schema"] == "bouncewise.explanation/1"
    assert d["entries"][0][field] == value


def test_explain_vendor():
    d = json.loads(run("explain", "5.7.27", "--vendor", "gmail", "--json").output)
    assert d["vendor"] == "gmail" and d["entries"][0]["title"] == "SPF did not pass"


@pytest.mark.parametrize("bad", ["999", "hello", "5..1"])
def test_explain_bad_input(bad):
    r = run("explain", bad)
    assert r.exit_code == 2
    msg = r.output.strip().splitlines()
    assert len(msg) == 1 and "expected" in msg[0] and "Traceback" not in r.output


def test_explain_unknown_vendor():
    r = run("explain", "5.1.1", "--vendor", "nosuch")
    assert r.exit_code == 2 and "unknown vendor" in r.output


def test_explain_color_forced():
    r = run("explain", "4.2.1", "--color")
    assert r.exit_code == 0 and "Readings" in r.output


def test_codes_listing():
    r = run("codes", "--class", "5", "--category", "security")
    assert r.exit_code == 0 and "5.7.1" in r.output
    d = json.loads(run("codes", "--vendor", "microsoft", "--json").output)
    assert any(e["code"] == "5.7.606-649" for e in d)
    assert run("codes", "--class", "9").exit_code == 2


def test_fresh_process_error_has_no_traceback():
    p = subprocess.run([sys.executable, "-m", "bouncewise", "explain", "5..1"], capture_output=True, text=True)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stderr.count("\n") == 1
