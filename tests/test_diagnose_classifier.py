"""The evidence-weighing classifier (bouncewise.diagnosis.classifier, data/weights.toml)."""

from __future__ import annotations

import tomllib
from importlib.resources import files

import pytest

from bouncewise.diagnosis import classifier, diagnose
from bouncewise.diagnosis.tables import tables

WEIGHTS = tomllib.loads(files("bouncewise").joinpath("diagnosis/data/weights.toml").read_text(encoding="utf-8"))


def roles(d) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in d.evidence:
        out.setdefault(e.get("role", "?"), []).append(e["rule"])
    return out


def test_weights_file_is_complete_and_sourced() -> None:
    assert WEIGHTS["meta"]["source"] and WEIGHTS["meta"]["date"]
    w = WEIGHTS["weights"]
    assert set(w) == set(classifier.DECIDED_BY), "every kind of evidence has a weight and a decided_by"
    assert all(0.0 < v <= 1.0 for v in w.values())
    # the precedence the issue asks for
    assert w["provider-phrase"] > w["phrase"] > w["status"] > w["weak-phrase"] > w["replycode"]
    assert w["status"] > w["weak-phrase"], "a specific code beats a vague text"
    assert w["phrase"] > w["status"] > w["status-generic"], "a specific text beats a generic code"


def test_a_specific_text_beats_a_generic_code() -> None:
    d = diagnose("550 5.7.1 Message rejected as spam by Content Filtering")
    assert d.reason == "spamdetected" and d.decided_by == "text"
    assert "status:5.7.1" in roles(d)["outweighed"]


def test_a_specific_code_beats_a_vague_text() -> None:
    d = diagnose("550 5.2.2 rejected")
    assert d.reason == "mailboxfull" and d.decided_by == "status"
    # the vague word is no evidence once a code has a meaning
    assert not any("weak" in e["rule"] for e in d.evidence)


def test_a_vague_text_decides_only_without_a_meaningful_code() -> None:
    assert diagnose("550 invalid").reason == "userunknown"
    assert diagnose("550 invalid").decided_by == "text"


def test_evidence_says_what_decided_and_what_was_outweighed() -> None:
    d = diagnose("550 5.7.1 <jo@example.org>: Recipient address rejected: User unknown; blocked using zen.spamhaus.org")
    r = roles(d)
    assert len(r["decided"]) == 1
    assert any(rule.startswith("phrase:blocked") for rule in r["outweighed"])
    for e in d.evidence:
        assert {"rule", "matched", "source", "role"} <= set(e)
        if e["role"] in ("decided", "supported", "outweighed"):
            assert isinstance(e["weight"], float)


def test_conflicting_evidence_lowers_confidence() -> None:
    clear = diagnose("550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown")
    mixed = diagnose("550 5.7.1 <jo@example.org>: Recipient address rejected: User unknown; blocked using zen.spamhaus.org")
    assert clear.reason == mixed.reason == "userunknown"
    assert mixed.confidence < clear.confidence
    assert any(e["role"] == "supported" for e in clear.evidence)


def test_a_context_rule_that_changes_the_reason_is_listed_as_deciding() -> None:
    d = diagnose("550 User unknown", command="DATA", context="bounce")
    assert d.reason == "filtered"
    decided = roles(d)["decided"]
    assert decided == ["context:userunknown-after-data"]


@pytest.mark.parametrize("kind", sorted(WEIGHTS["weights"]))
def test_every_weight_is_used_by_the_classifier(kind: str) -> None:
    import inspect

    assert f'"{kind}"' in inspect.getsource(classifier), kind


def test_ties_follow_the_reason_order() -> None:
    # two phrases of equal weight: the reason that comes first in phrases.toml's order wins
    d = diagnose("550 mailbox full; user unknown")
    order = tables().order
    assert order[d.reason] == min(order["mailboxfull"], order["userunknown"])


def test_decide_is_cached_on_facts() -> None:
    classifier.decide.cache_clear()
    diagnose("550 5.1.1 <a@example.org>: User unknown")
    diagnose("550 5.1.1 <b@example.net>: User unknown")
    assert classifier.decide.cache_info().hits >= 1
