"""The reason vocabulary: Sisimai's 34 names, each with a complete, valid entry."""

import pytest

import bouncewise
from bouncewise import reasons

SISIMAI_NAMES = {
    "authfailure", "badreputation", "blocked", "contenterror", "delivered", "emailtoolarge",
    "expired", "failedstarttls", "feedback", "filtered", "hasmoved", "hostunknown",
    "mailboxfull", "mailererror", "networkerror", "norelaying", "notaccept", "notcompliantrfc",
    "onhold", "policyviolation", "ratelimited", "rejected", "requireptr", "securityerror",
    "spamdetected", "suppressed", "suspend", "syntaxerror", "systemerror", "systemfull",
    "undefined", "userunknown", "vacation", "virusdetected",
}
CATEGORIES = {"address", "mailbox", "mail system", "network and routing", "protocol", "content",
              "security and policy"}
WHO = {"sender", "sender's admin", "recipient", "recipient's admin", "nobody"}


def test_exactly_the_34_sisimai_names():
    assert set(reasons.names()) == SISIMAI_NAMES
    assert len(bouncewise.REASONS) == 34
    assert "userunknown" in bouncewise.REASONS


@pytest.mark.parametrize("name", sorted(SISIMAI_NAMES))
def test_entry_is_complete(name):
    r = reasons.get(name)
    assert r.title and r.summary.endswith(".")
    assert r.category in CATEGORIES
    assert r.hardbounce in {"yes", "no", "if-permanent"}
    assert r.retry in {"no", "later", "after-fix"}
    assert r.who_acts in WHO
    assert r.to_dict()["name"] == name


@pytest.mark.parametrize(
    ("reason", "status", "hard"),
    [
        ("userunknown", "5.1.1", True),
        ("hostunknown", "5.1.2", True),
        ("hasmoved", "5.1.6", True),
        ("notaccept", "5.1.10", True),
        ("notaccept", "4.4.1", False),
        ("mailboxfull", "5.2.2", False),
        ("blocked", "5.7.1", False),
        ("feedback", None, False),
        (None, "5.1.1", False),
        ("no-such-reason", "5.1.1", False),
    ],
)
def test_hardbounce_rule(reason, status, hard):
    assert reasons.is_hardbounce(reason, status) is hard


def test_unknown_reason_raises():
    with pytest.raises(KeyError):
        reasons.get("nosuchreason")
