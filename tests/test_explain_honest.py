"""``explain`` tells the truth: success is success, a pair whose codes point to different
reasons says so, several codes can be asked at once, a temporary code is explained as one."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bouncewise import knowledge as kb
from bouncewise.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("code", ["2.0.0", "250", "2.1.5"])
def test_success_codes_are_explained_as_success(code):
    r = run("explain", code)
    assert r.exit_code == 0
    text = r.output
    assert "Nothing failed" in text
    for failure_word in ("Who acts", "Retry", "Typical causes:\n    - The server had no better code", "retries on its own"):
        assert failure_word not in text
    meta = text.splitlines()[1]
    assert "success" in meta and "mail system" not in meta and "address" not in meta
    e = json.loads(run("explain", code, "--json").output)["entries"][0]
    assert (e["who_acts"], e["retry"], e["reason"]) == ("nobody", "no", "delivered")
    assert all("fail" not in c.lower() for c in e["causes"])
    assert all(x.startswith("2") for x in e["examples"])


def test_every_success_entry_has_nobody_acting_and_no_retry():
    for e in kb.codes(cls="2"):
        assert (e.who_acts, e.retry) == ("nobody", "no"), e.code


def test_pair_with_different_reasons_says_so():
    r = run("explain", "550", "5.7.1")
    assert r.exit_code == 0
    together = r.output[r.output.index("Together:"):].split("\n\n")[0]
    assert "agree" not in together
    assert "different reasons" in together and "userunknown" in together
    assert "pair means securityerror" in together
    d = json.loads(run("explain", "550 5.7.1", "--json").output)
    assert d["reasons_agree"] is False and d["reason"] == "securityerror"


def test_pair_with_the_same_reason_agrees():
    r = run("explain", "550", "5.1.1")
    assert "the two codes agree: userunknown" in r.output
    d = json.loads(run("explain", "550 5.1.1", "--json").output)
    assert d["reasons_agree"] is True and d["reason"] == "userunknown" and d["agree"] is True


def test_pair_with_different_classes_never_says_agree():
    r = run("explain", "450", "5.1.1")
    together = r.output[r.output.index("Together:"):].split("\n\n")[0]
    assert "classes disagree" in together and "codes agree" not in together


def test_several_codes_at_once():
    r = run("explain", "5.1.1", "5.2.2")
    assert r.exit_code == 0
    assert "Bad destination mailbox address" in r.output and "Mailbox full" in r.output
    d = json.loads(run("explain", "5.1.1", "5.2.2", "--json").output)
    assert [x["codes"] for x in d] == [["5.1.1"], ["5.2.2"]]
    # a reply code followed by an enhanced code stays a pair among several
    d = json.loads(run("explain", "421", "550", "5.1.1", "--json").output)
    assert [x["kind"] for x in d] == ["code", "pair"]


def test_several_codes_with_a_bad_one_is_a_usage_error():
    r = run("explain", "5.1.1", "bogus")
    assert r.exit_code == 2 and "'bogus' is not a valid code" in r.output


def test_help_promises_several_codes():
    assert "one or more" in run("explain", "--help").output


def test_transient_code_has_examples_and_steps_of_its_class():
    r = run("explain", "4.2.1")
    assert r.exit_code == 0
    examples = r.output[r.output.index("Examples:"):].split("\n  ")[0] if "Examples:" in r.output else ""
    assert "550" not in examples
    steps = r.output[r.output.index("What to do:"):]
    assert "1. Nothing needs doing at once" in steps


def test_no_temporary_enhanced_code_shows_a_permanent_example():
    first_step = kb.lookup("4.0.0").troubleshooting[0]
    for e in kb.codes(cls="4"):
        if e.kind != "enhanced":
            continue
        assert not any(x[:1] == "5" for x in e.examples), (e.code, e.examples)
        assert e.troubleshooting[0] == first_step, e.code
    for e in kb.codes(cls="5"):
        if e.kind == "enhanced":
            assert not any(x[:1] == "4" for x in e.examples), (e.code, e.examples)


def test_coloured_output_keeps_wrapped_bullets_indented():
    import re

    r = CliRunner().invoke(main, ["explain", "5.7.1", "--color"], env={"COLUMNS": "60"})
    assert r.exit_code == 0 and "\x1b[" in r.output
    lines = re.sub(r"\x1b\[[0-9;]*m", "", r.output).splitlines()
    causes = lines.index("  Typical causes:")
    wrapped = 0
    for line in lines[causes + 1:]:
        if not line.startswith("    "):
            break
        if not line.startswith("    - "):
            assert line.startswith("      "), repr(line)  # under the first word of its bullet
            wrapped += 1
    assert wrapped
    assert "5.7.1" in r.output  # not split into differently coloured pieces


def test_reply_code_and_family_are_two_questions():
    d = json.loads(run("explain", "550", "5.1.x", "--json").output)
    assert [x["kind"] for x in d] == ["code", "family"]
