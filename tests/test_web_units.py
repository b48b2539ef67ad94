"""The web layer's plain-Python parts: paste splitting, message sniffing, evidence
highlighting, settings, and the view helpers that read engine dicts."""

from __future__ import annotations

import pytest

from bouncewise.web import engine, highlight, views
from bouncewise.web.settings import Settings

# ---------------------------------------------------------------- split_replies


def test_split_one_line_per_reply() -> None:
    text = (
        "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown\n"
        "452 4.2.2 Mailbox full\n"
        "\n"
        "421 4.7.0 Try again later\n"
    )
    assert engine.split_replies(text) == [
        "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown",
        "452 4.2.2 Mailbox full",
        "421 4.7.0 Try again later",
    ]


def test_split_keeps_multiline_smtp_reply_together() -> None:
    text = (
        "550-5.1.1 The account you tried to reach does not exist. Please check\n"
        "550-5.1.1 the address for typos or spaces.\n"
        "550 5.1.1 More help on the provider's site. x12si mx.example.net\n"
        "550 5.7.1 Message refused\n"
    )
    items = engine.split_replies(text)
    assert len(items) == 2
    assert items[0].startswith("550-5.1.1 The account") and items[0].endswith("mx.example.net")
    assert items[1] == "550 5.7.1 Message refused"


def test_split_wrapped_text_joins_previous_item() -> None:
    text = "550 5.1.1 <a@example.org>: Recipient address\n    rejected: User unknown"
    assert engine.split_replies(text) == [
        "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown"
    ]


def test_split_log_lines_are_separate_items() -> None:
    text = (
        "Nov 23 10:01:02 mx postfix/smtp[101]: 4A1: to=<a@example.org>, status=bounced (host said: 550 5.1.1 unknown)\n"
        "Nov 23 10:01:03 mx postfix/smtp[102]: 4A2: to=<b@example.org>, status=deferred (host said: 451 4.7.1 later)\n"
        "2026-11-23T10:01:04 mx exim[7]: 1abc ** c@example.org: 550 no such user\n"
    )
    items = engine.split_replies(text)
    assert len(items) == 3
    assert "a@example.org" in items[0] and "b@example.org" in items[1] and "c@example.org" in items[2]


def test_split_is_capped() -> None:
    text = "\n".join(f"550 5.1.1 user{i}@example.org unknown" for i in range(500))
    assert len(engine.split_replies(text, limit=10)) == 10
    assert engine.split_replies("   \n\n") == []


# ---------------------------------------------------------------- message sniffing


def test_looks_like_message() -> None:
    msg = "Return-Path: <>\nFrom: MAILER-DAEMON@example.net\nTo: jo@example.org\nSubject: Undelivered\n\nbody"
    assert engine.looks_like_message(msg)
    assert engine.looks_like_message("From MAILER-DAEMON Sun Nov 23 10:00:00 2026\nFrom: x@example.net\n")
    assert not engine.looks_like_message("550 5.1.1 <jo@example.org>: User unknown")
    assert not engine.looks_like_message("Subject: only one header looking line")
    assert not engine.looks_like_message("Nov 23 10:01:02 mx postfix/smtp[101]: 4A1: to=<a@example.org>")


def test_looks_like_json() -> None:
    assert engine.looks_like_json(b'  {"eventType": "Bounce"}')
    assert engine.looks_like_json(b"[{}]")
    assert not engine.looks_like_json(b"550 5.1.1 unknown")


# ---------------------------------------------------------------- highlighting


def test_segments_mark_each_matched_phrase_case_insensitively() -> None:
    text = "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown"
    evidence = [
        {"rule": "status", "matched": "5.1.1", "source": "status"},
        {"rule": "userunknown.phrase", "matched": "user UNKNOWN", "source": "text"},
    ]
    segs = highlight.segments(text, evidence)
    assert "".join(s.text for s in segs) == text
    marked = [(s.text, s.rule) for s in segs if s.marked]
    assert marked == [("5.1.1", "status"), ("User unknown", "userunknown.phrase")]


def test_segments_merge_overlaps_and_ignore_absent_or_bad_items() -> None:
    text = "mailbox is full; mailbox full"
    evidence = [
        {"rule": "a", "matched": "mailbox is full"},
        {"rule": "b", "matched": "is full; mail"},
        {"rule": "c", "matched": "not in the text"},
        {"rule": "d", "matched": ""},
        {"rule": "e"},
        "not a dict",
    ]
    segs = highlight.segments(text, evidence)  # type: ignore[arg-type]
    assert "".join(s.text for s in segs) == text
    assert [s.text for s in segs if s.marked] == ["mailbox is full; mail"]


def test_segments_plain_text_without_evidence() -> None:
    assert [(s.text, s.marked) for s in highlight.segments("hello", None)] == [("hello", False)]
    assert [(s.text, s.marked) for s in highlight.segments("", [])] == [("", False)]


def test_segments_survive_case_folding_that_changes_length() -> None:
    text = "İstanbul relay said: 550 user unknown"
    segs = highlight.segments(text, [{"rule": "r", "matched": "user unknown"}])
    assert "".join(s.text for s in segs) == text
    assert [s.text for s in segs if s.marked] == ["user unknown"]


# ---------------------------------------------------------------- settings


def test_settings_from_env_and_back() -> None:
    env = {
        "BOUNCEWISE_MAX_BODY": "2048",
        "BOUNCEWISE_TIMEOUT": "2.5",
        "BOUNCEWISE_MAX_CONCURRENCY": "7",
        "BOUNCEWISE_CORS_ORIGINS": "https://a.example.org, https://b.example.org",
    }
    s = Settings.from_env(env)
    assert (s.max_body, s.timeout, s.max_concurrency) == (2048, 2.5, 7)
    assert s.cors_origins == ("https://a.example.org", "https://b.example.org")
    assert Settings.from_env(s.to_env()) == s
    assert Settings.from_env({}) == Settings()
    assert Settings().max_body == 10 * 1024 * 1024
    assert Settings().cors_origins == ()


def test_settings_overrides_skip_none() -> None:
    s = Settings().with_overrides(max_body=5, timeout=None)
    assert s.max_body == 5 and s.timeout == Settings().timeout


# ---------------------------------------------------------------- views over engine dicts


def test_explanation_view_orders_known_sections_and_keeps_unknown_fields() -> None:
    d = {
        "code": "5.1.1",
        "title": "Bad destination mailbox address",
        "class": "5",
        "category": "addressing",
        "troubleshooting": ["Check the address for typos."],
        "meaning": "The mailbox does not exist.",
        "causes": ["A typo", "The account was closed"],
        "brand_new_field": "kept",
        "empty": [],
    }
    v = views.explanation_view(d)
    assert v["code"] == "5.1.1" and v["title"] == "Bad destination mailbox address"
    assert v["class"] == "5" and v["class_label"] == "Permanent failure"
    assert [s["label"] for s in v["sections"]] == ["Meaning", "Typical causes", "Troubleshooting"]
    assert [m["key"] for m in v["more"]] == ["brand_new_field"]


def test_entry_summary_derives_class_from_code() -> None:
    row = views.entry_summary({"code": "4.2.2", "title": "Mailbox full", "summary": "Over quota."})
    assert row == {
        "code": "4.2.2",
        "title": "Mailbox full",
        "class": "4",
        "class_label": "Temporary failure",
        "category": None,
        "meaning": "Over quota.",
    }


@pytest.mark.parametrize("value", ["550", "5.1.1", "4.7.x", "5.x.x", " 2.0.0 "])
def test_is_code_accepts_codes(value: str) -> None:
    assert views.is_code(value)


@pytest.mark.parametrize("value", ["650", "5.1", "hello", "5.1.1.1", "", None, 550])
def test_is_code_rejects_others(value: object) -> None:
    assert not views.is_code(value)


def test_result_view_reads_a_diagnosis_dict() -> None:
    item = {
        "kind": "reply",
        "text": "452 4.2.2 Mailbox full",
        "data": {
            "reason": "mailboxfull",
            "hardbounce": False,
            "retry": "later",
            "status": "4.2.2",
            "replycode": "452",
            "advice": ["Retry later."],
            "evidence": [{"rule": "mailboxfull", "matched": "Mailbox full", "source": "text"}],
        },
    }
    r = views.result_view(item)
    assert r["codes"] == ["452", "4.2.2"]
    assert r["reason_title"]  # from the reasons vocabulary
    assert [s.text for s in r["segments"] if s.marked] == ["Mailbox full"]


def test_segments_mark_each_part_of_a_split_phrase() -> None:
    text = "550 5.1.1 <jo@example.org>: User is unknown here"
    for phrase in ("user … unknown", "user ... unknown"):
        segs = highlight.segments(text, [{"rule": "pairs", "matched": phrase}])
        assert [s.text for s in segs if s.marked] == ["User", "unknown"]


def test_split_phrase_parts_are_found_in_order() -> None:
    text = "unknown host said: user jo is unknown"
    segs = highlight.segments(text, [{"rule": "pairs", "matched": "user … unknown"}])
    marked = [(s.text, text.index(s.text, 10)) for s in segs if s.marked]
    assert [m[0] for m in marked] == ["user", "unknown"]
    assert not segs[0].marked  # the first "unknown" comes before "user": not marked
