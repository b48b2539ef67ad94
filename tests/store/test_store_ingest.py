"""The store against SQLite and a real PostgreSQL: ingest, idempotency, counts, policies
through the store, recompute, unsuppress, hashed addresses, raw messages, the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bouncewise.messages import Limits
from bouncewise.store import Store, StoreError, open_store
from bouncewise.store.policy import load_policy
from bouncewise.store.sources import event_units, log_units, mail_units

from .helpers import (
    BLOCKED,
    MAILBOX_FULL,
    T0,
    USER_UNKNOWN,
    arf,
    days,
    dsn,
    mbox,
    write_messages,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def ingest(store: Store, source, keep_raw: bool = False):
    return store.add_units(mail_units(source, Limits(), keep_raw=keep_raw))


def history_messages() -> list[bytes]:
    """hard@: one user-unknown; soft@: three mailbox-full in ten days; spread@: three over
    thirty days; reset@: two soft, a delivery, one soft; blocked@: sender-side blocks;
    angry@: a complaint and an auth-failure report."""
    n = iter(range(1, 10_000))
    out = [dsn("hard@example.org", "5.1.1", USER_UNKNOWN.format(rcpt="hard@example.org"), T0, next(n))]
    out += [dsn("soft@example.org", "4.2.2", MAILBOX_FULL, T0 + days(d), next(n)) for d in (0, 4, 10)]
    out += [dsn("spread@example.org", "4.2.2", MAILBOX_FULL, T0 + days(d), next(n)) for d in (0, 15, 30)]
    out += [dsn("reset@example.org", "4.2.2", MAILBOX_FULL, T0 + days(d), next(n)) for d in (0, 1)]
    out += [dsn("reset@example.org", "2.0.0", "ok", T0 + days(2), next(n))]
    out += [dsn("reset@example.org", "4.2.2", MAILBOX_FULL, T0 + days(3), next(n))]
    out += [dsn("blocked@example.org", "5.7.1", BLOCKED, T0 + days(d), next(n)) for d in range(4)]
    out += [arf("angry@example.org", T0, next(n)), arf("angry@example.org", T0 + days(1), next(n), "auth-failure")]
    return out


def decided(store: Store) -> dict[tuple[str, str], dict]:
    return {(d["address"], d["list"]): d for d in store.suppressions()}


def test_ingest_is_idempotent_and_counts_reconcile(db_url, tmp_path):
    src = write_messages(tmp_path / "in", history_messages() + [b"", b"this is not a bounce\n", b"\x00\xff garbage"])
    with Store(db_url) as store:
        first = ingest(store, src)
        assert first.units == 20 and first.records == 20 and first.stored == 20
        assert first.kinds["not-a-bounce"] == 3
        counts = store.counts()
        assert counts["records"] == 20 and counts["units"] == 20
        again = ingest(store, src)
        assert (again.records, again.stored, again.already) == (20, 0, 20)
        assert store.counts() == counts
    # the same messages from an mbox (other file name, other position) are the same records
    box = mbox(tmp_path / "all.mbox", history_messages())
    with Store(db_url) as store:
        st = ingest(store, box)
        assert (st.records, st.stored) == (17, 0)
        assert store.counts()["records"] == 20


def test_decisions_follow_the_policy(db_url, tmp_path):
    with Store(db_url) as store:
        ingest(store, write_messages(tmp_path / "in", history_messages()))
        got = decided(store)
        assert set(got) == {("hard@example.org", "bounce"), ("soft@example.org", "bounce"), ("angry@example.org", "complaint")}
        assert got[("hard@example.org", "bounce")]["rule"] == "hard"
        soft = got[("soft@example.org", "bounce")]
        assert (soft["rule"], soft["reason"], soft["count"], len(soft["evidence"])) == ("soft", "mailboxfull", 3, 3)
        assert soft["first_seen"].startswith("2026-03-02T10:00:00") and soft["last_seen"].startswith("2026-03-12")
        # the evidence ids are the soft@ records
        h = store.history("Soft@Example.org")
        assert {r["id"] for r in h["timeline"]} == set(soft["evidence"])
        assert all(r["reason"] == "mailboxfull" for r in h["timeline"])


def test_recompute_applies_a_changed_policy(db_url, tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text("[soft]\nthreshold = 2\nwindow_days = 40\n[complaint]\nsuppress = false\n")
    with Store(db_url) as store:
        ingest(store, write_messages(tmp_path / "in", history_messages()))
        before = set(decided(store))
    with Store(db_url, policy=load_policy(strict)) as store:
        assert store.stale_policy()
        store.recompute()
        after = set(decided(store))
        assert not store.stale_policy()
    assert ("angry@example.org", "complaint") in before and ("angry@example.org", "complaint") not in after
    assert ("spread@example.org", "bounce") in after and ("spread@example.org", "bounce") not in before
    assert ("reset@example.org", "bounce") not in after  # the delivery still resets
    assert ("blocked@example.org", "bounce") not in after


def test_unsuppress_keeps_an_audit_trail_and_new_evidence_counts(db_url, tmp_path):
    with Store(db_url) as store:
        ingest(store, write_messages(tmp_path / "a", history_messages()))
        lifted = store.unsuppress("hard@example.org", "mailbox re-created", actor="tester")
        assert [d["rule"] for d in lifted] == ["hard"]
        assert ("hard@example.org", "bounce") not in decided(store)
        assert store.unsuppress("nobody@example.org", "x") == []
        store.recompute()  # a recompute keeps the unsuppress
        assert ("hard@example.org", "bounce") not in decided(store)
        h = store.history("hard@example.org")
        assert h["audit"][0]["note"] == "mailbox re-created" and h["audit"][0]["actor"] == "tester"
        later = dsn("hard@example.org", "5.1.1", USER_UNKNOWN.format(rcpt="hard@example.org"), T0.replace(year=2099), 777)
        ingest(store, later)
        assert decided(store)[("hard@example.org", "bounce")]["count"] == 1


def test_records_interface_gives_parse_records(db_url, tmp_path):
    import bouncewise

    src = FIXTURES / "bounces"
    with Store(db_url) as store:
        ingest(store, src)
    expected = sorted(json.dumps(r.to_dict(), sort_keys=True) for r in bouncewise.parse(src))
    store = open_store(db_url)
    try:
        got = list(store.records())
        assert sorted(json.dumps(d, sort_keys=True) for d in got) == expected
        assert list(got[0]) == list(next(iter(bouncewise.parse(src))).to_dict())  # same keys, same order
        bounces = list(store.records(kinds=["bounce"]))
        assert bounces and all(d["kind"] == "bounce" for d in bounces)
    finally:
        store.close()


def test_logs_and_events_are_ingested_once(db_url):
    with Store(db_url) as store:
        logs = store.add_units(log_units(str(FIXTURES / "logs" / "postfix.log")))
        events = store.add_units(event_units(str(FIXTURES / "events" / "sendgrid-webhook.json"), "sendgrid", Limits()))
        assert logs.stored > 0 and events.stored > 0
        assert logs.kinds["delivered"] >= 1 and logs.kinds["bounce"] >= 1
        again = store.add_units(log_units(str(FIXTURES / "logs" / "postfix.log")))
        again_ev = store.add_units(event_units(str(FIXTURES / "events" / "sendgrid-webhook.json"), "sendgrid", Limits()))
        assert again.stored == 0 and again_ev.stored == 0
        engines = {d["engine"] for d in store.records()}
        assert "log:postfix" in engines and "event:sendgrid" in engines
        assert ("jo@example.org", "bounce") in decided(store)  # the log's user-unknown line


def test_unreadable_input_is_a_stored_error(db_url, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with Store(db_url) as store:
        st = store.add_units(event_units(str(bad), "events", Limits()))
        missing = ingest(store, tmp_path / "missing.eml")
        assert st.errors == 1 and missing.errors == 1
        assert store.counts()["kinds"] == {"error": 2}
        assert store.add_units(event_units(str(bad), "events", Limits())).stored == 0


def test_hashed_addresses_keep_no_address(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BOUNCEWISE_HMAC_KEY", "a test key that is long enough")
    with Store(db_url, hash_addresses=True) as store:
        ingest(store, write_messages(tmp_path / "in", history_messages()))
        rows = list(store.records())
        text = json.dumps(rows)
        assert "hard@example.org" not in text.lower() and "soft@example.org" not in text.lower()
        assert all(r["recipient"].startswith("hmac:") for r in rows if r["recipient"])
        h = store.history("HARD@example.org")  # looked up by its clear address
        assert h["suppressed"] and h["address"].startswith("hmac:")
    monkeypatch.setenv("BOUNCEWISE_HMAC_KEY", "another key, also long enough")
    with Store(db_url) as store, pytest.raises(StoreError, match="another key"):
        store.history("hard@example.org")
    monkeypatch.delenv("BOUNCEWISE_HMAC_KEY")
    with Store(db_url) as store, pytest.raises(StoreError, match="BOUNCEWISE_HMAC_KEY"):
        ingest(store, write_messages(tmp_path / "more", [dsn("x@example.org", "5.1.1", "User unknown", T0, 5000)]))


def test_raw_messages_only_with_keep_raw(db_url, tmp_path):
    from sqlalchemy import func, select

    from bouncewise.store.schema import RAW

    src = write_messages(tmp_path / "in", history_messages()[:3])
    with Store(db_url) as store:
        ingest(store, src)
        with store.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(RAW)) == 0
    with Store(db_url) as store:
        ingest(store, write_messages(tmp_path / "in2", history_messages()[3:5]), keep_raw=True)
        with store.engine.connect() as conn:
            data = sorted(conn.scalars(select(RAW.c.data)))
        assert data == sorted(history_messages()[3:5])


def test_schema_matches_migrations(db_url):
    """The migrated database has exactly the tables generated from Record (a Record field
    added without a migration fails here)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bouncewise.store.schema import METADATA

    with Store(db_url) as store, store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = [d for d in compare_metadata(ctx, METADATA) if not (isinstance(d, tuple) and d[0] == "remove_table"
                                                                   and d[1].name == "bouncewise_alembic_version")]
        assert diffs == []


def test_bad_urls_are_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="unsupported database"):
        Store("mysql://x@y/z")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store("postgresql://nobody@127.0.0.1:1/none")


def test_event_keys_hold_facts_not_judgement():
    """A newer engine may diagnose an event differently; its key must stay the same."""
    from collections import Counter

    from bouncewise.store.sources import event_units_from_bytes, record_content_key

    body = (FIXTURES / "events" / "sendgrid-webhook.json").read_bytes()
    units = list(event_units_from_bytes(body, "a.json", None))
    rec = units[0].records[0]
    rec.reason, rec.explanation, rec.advice, rec.hardbounce, rec.file = "undefined", "other words", [], not rec.hardbounce, "b.json"
    assert record_content_key("e", rec, Counter()) == units[0].key
    rec.recipient = "someone.else@example.org"
    assert record_content_key("e", rec, Counter()) != units[0].key
