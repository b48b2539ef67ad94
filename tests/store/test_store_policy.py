"""The suppression policy: decide() over histories, the policy file, the sender-side list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bouncewise import reasons
from bouncewise.store.policy import DEFAULT_FILE, Policy, decide, load_policy

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def row(i: int, kind: str, reason: str | None, day: float, hard: bool = False, ftype: str | None = None) -> dict:
    return {"id": i, "kind": kind, "reason": reason, "hardbounce": hard, "feedbacktype": ftype,
            "occurred_at": T0 + timedelta(days=day)}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_FILE)


def test_defaults_are_the_documented_ones(policy):
    assert (policy.soft_threshold, policy.soft_window_days) == (3, 15)
    assert policy.hard_suppress and policy.complaint_suppress and policy.soft_reset_on_delivery
    assert "blocked" in policy.sender_side and "userunknown" not in policy.sender_side


def test_hard_bounce_suppresses_at_once(policy):
    [d] = decide("a@x", [row(7, "bounce", "userunknown", 0, hard=True)], policy)
    assert (d.list, d.rule, d.reason, d.count, d.evidence) == ("bounce", "hard", "userunknown", 1, [7])


def test_soft_bounces_need_threshold_within_window(policy):
    two = [row(1, "bounce", "mailboxfull", 0), row(2, "bounce", "mailboxfull", 5)]
    assert decide("a@x", two, policy) == []
    three = two + [row(3, "bounce", "mailboxfull", 14)]
    [d] = decide("a@x", three, policy)
    assert (d.rule, d.count, d.evidence, d.first_seen, d.last_seen) == ("soft", 3, [1, 2, 3], T0, T0 + timedelta(days=14))
    spread = [row(1, "bounce", "mailboxfull", 0), row(2, "bounce", "mailboxfull", 10), row(3, "bounce", "mailboxfull", 20)]
    assert decide("a@x", spread, policy) == []


def test_delivery_resets_soft_count_and_lifts_soft_suppression(policy):
    rows = [row(1, "bounce", "mailboxfull", 0), row(2, "bounce", "mailboxfull", 1), row(3, "delivered", "delivered", 2),
            row(4, "bounce", "mailboxfull", 3)]
    assert decide("a@x", rows, policy) == []
    suppressed = [row(i, "bounce", "mailboxfull", i) for i in range(1, 4)]
    assert decide("a@x", suppressed, policy)
    assert decide("a@x", suppressed + [row(9, "delivered", "delivered", 5)], policy) == []
    # a hard bounce stays whatever follows
    hard = [row(1, "bounce", "userunknown", 0, hard=True), row(2, "delivered", "delivered", 1)]
    assert [d.rule for d in decide("a@x", hard, policy)] == ["hard"]


def test_complaints_are_a_list_of_their_own(policy):
    rows = [row(1, "feedback", "feedback", 0, ftype="abuse"), row(2, "bounce", "userunknown", 1, hard=True)]
    got = {d.list: d for d in decide("a@x", rows, policy)}
    assert set(got) == {"bounce", "complaint"}
    assert got["complaint"].evidence == [1] and got["bounce"].evidence == [2]
    assert decide("a@x", [row(1, "feedback", "feedback", 0, ftype="auth-failure")], policy) == []


def test_sender_side_failures_never_suppress(policy):
    rows = [row(i, "bounce", r, i) for i, r in enumerate(["blocked", "ratelimited", "badreputation", "authfailure", "policyviolation"] * 3)]
    assert decide("a@x", rows, policy) == []


def test_delays_do_not_count_unless_asked(policy):
    rows = [row(i, "delayed", "expired", i) for i in range(5)]
    assert decide("a@x", rows, policy) == []
    counting = Policy(**{**{f: getattr(policy, f) for f in policy.__dataclass_fields__}, "soft_count_delays": True})
    assert [d.rule for d in decide("a@x", rows, counting)] == ["soft"]


def test_unsuppress_time_forgives_earlier_records(policy):
    rows = [row(1, "bounce", "userunknown", 0, hard=True)]
    assert decide("a@x", rows, policy, since=T0 + timedelta(hours=1)) == []
    assert decide("a@x", rows + [row(2, "bounce", "userunknown", 2, hard=True)], policy, since=T0 + timedelta(hours=1))[0].evidence == [2]


def test_policy_sender_side_follows_reasons(policy):
    """The shipped list is the rule of policy.toml's comment applied to reasons.toml."""
    expected = {n for n in reasons.names()
                if reasons.get(n).hardbounce == "no" and reasons.get(n).who_acts in ("sender", "sender's admin")
                and n not in ("feedback",)} | {"ratelimited"}
    assert set(policy.sender_side) == expected


def test_policy_file_is_checked(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text("[soft]\nthreshhold = 2\n")
    with pytest.raises(ValueError, match="threshhold"):
        load_policy(bad)
    bad.write_text("[sender_side]\nreasons = ['nosuchreason']\n")
    with pytest.raises(ValueError, match="nosuchreason"):
        load_policy(bad)
    bad.write_text("[hard]\nextra_reasons = ['blocked']\n")
    with pytest.raises(ValueError, match="blocked"):
        load_policy(bad)
    bad.write_text("[soft]\nthreshold = 0\n")
    with pytest.raises(ValueError, match="threshold"):
        load_policy(bad)
    ok = tmp_path / "ok.toml"
    ok.write_text("[soft]\nthreshold = 2\nwindow_days = 30\n")
    p = load_policy(ok)
    assert (p.soft_threshold, p.soft_window_days) == (2, 30.0)
    assert p.digest != load_policy(DEFAULT_FILE).digest
