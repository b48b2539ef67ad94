"""The store under real processes: the CLI end to end, two ingests at once, an ingest killed
half-way. Against SQLite and the test PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bouncewise.store import Store

from .helpers import MAILBOX_FULL, T0, USER_UNKNOWN, days, dsn, write_messages

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    e = {**os.environ, **(env or {})}
    e.pop("BOUNCEWISE_DB", None)
    return subprocess.run([sys.executable, "-m", "bouncewise", *args], capture_output=True, text=True, env=e, timeout=timeout,
                          cwd=ROOT)


def many(n: int, start: int = 0) -> list[bytes]:
    """n reports: every third a user-unknown, the rest mailbox-full, over 200 addresses."""
    out = []
    for i in range(start, start + n):
        rcpt = f"user{i % 200}@example.org"
        if i % 3 == 0:
            out.append(dsn(rcpt, "5.1.1", USER_UNKNOWN.format(rcpt=rcpt), T0 + days(i % 30), i))
        else:
            out.append(dsn(rcpt, "4.2.2", MAILBOX_FULL, T0 + days(i % 30), i))
    return out


def test_cli_end_to_end(db_url, tmp_path):
    src = write_messages(tmp_path / "in", many(30) + [b"not a bounce at all\n"])
    r = cli("ingest", "--db", db_url, "--json", str(src))
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert (stats["records"], stats["stored"]) == (31, 31)
    assert "31 records from 31 inputs" in r.stderr and "Traceback" not in r.stderr
    r2 = cli("ingest", "--db", db_url, "--json", str(src))
    assert json.loads(r2.stdout)["stored"] == 0 and json.loads(r2.stdout)["store"] == stats["store"]

    out = cli("suppressions", "--db", db_url, "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    hard = {r["address"] for r in rows if r["rule"] == "hard"}
    assert hard == {f"user{i}@example.org" for i in range(0, 30, 3)}
    assert all(r["evidence"] and r["first_seen"] and r["count"] for r in rows)
    nd = cli("suppressions", "--db", db_url, "--format", "ndjson", "--list", "bounce")
    assert len(nd.stdout.splitlines()) == len(rows)
    assert json.loads(cli("suppressions", "--db", db_url, "--format", "json").stdout) == [json.loads(x) for x in nd.stdout.splitlines()]

    h = cli("history", "user3@example.org", "--db", db_url, "--format", "json")
    assert h.returncode == 0 and json.loads(h.stdout)["suppressed"] is True
    assert cli("history", "never@example.org", "--db", db_url).returncode == 1

    u = cli("unsuppress", "user3@example.org", "--note", "asked by the customer", "--db", db_url)
    assert u.returncode == 0 and "unsuppressed user3@example.org" in u.stdout
    assert cli("unsuppress", "user3@example.org", "--note", "again", "--db", db_url).returncode == 1
    h = json.loads(cli("history", "user3@example.org", "--db", db_url, "--format", "json").stdout)
    assert h["suppressed"] is False and h["audit"][0]["note"] == "asked by the customer"

    policy = tmp_path / "p.toml"
    policy.write_text("[soft]\nthreshold = 1\n")
    rc = cli("suppressions", "--db", db_url, "--policy", str(policy), "--recompute", "--format", "csv")
    assert rc.returncode == 0 and "re-decided" in rc.stderr
    assert len(list(csv.DictReader(io.StringIO(rc.stdout)))) == 29  # every address but the unsuppressed one


def test_cli_usage_and_store_errors(tmp_path):
    assert cli("ingest", "--db", "mysql://a@b/c", str(tmp_path)).returncode == 1
    r = cli("ingest", "--hash-addresses", "--keep-raw", "--db", str(tmp_path / "x.db"), str(tmp_path))
    assert r.returncode == 2 and "--keep-raw" in r.stderr
    assert cli("unsuppress", "a@b").returncode == 2  # --note is required
    r = cli("ingest", "--db", str(tmp_path / "x.db"), str(tmp_path / "missing.eml"))
    assert r.returncode == 1 and "errors: 1" in r.stderr and "Traceback" not in r.stderr


def test_core_cli_does_not_import_the_store():
    code = ("import sys; from click.testing import CliRunner; from bouncewise.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert 'ingest' in r.output; "
            "CliRunner().invoke(main, ['explain', '5.1.1']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'psycopg')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def _consistent(url: str) -> dict:
    """Checks that hold in any committed state; the counts."""
    with Store(url) as store:
        counts = store.counts()
        before = {(d["address"], d["list"]): (d["rule"], d["count"], d["evidence"]) for d in store.suppressions()}
        store.recompute()
        after = {(d["address"], d["list"]): (d["rule"], d["count"], d["evidence"]) for d in store.suppressions()}
        assert before == after  # the decisions are those of the records stored
        ids = [r["index"] for r in store.records()]
        assert len(ids) == counts["records"]
    return counts


def test_two_ingests_at_once_lose_and_duplicate_nothing(db_url, tmp_path):
    shared = write_messages(tmp_path / "shared", many(600))
    own_a = write_messages(tmp_path / "a", many(150, start=10_000))
    own_b = write_messages(tmp_path / "b", many(150, start=20_000))
    e = {k: v for k, v in os.environ.items() if k != "BOUNCEWISE_DB"}
    procs = [subprocess.Popen([sys.executable, "-m", "bouncewise", "ingest", "--db", db_url, "--batch-size", "25", "--json",
                               str(shared), str(own)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e, cwd=ROOT)
             for own in (own_a, own_b)]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    stored = [json.loads(out)["stored"] for out, _ in results]
    assert sum(stored) == 900  # each shared message stored by exactly one of them
    counts = _consistent(db_url)
    assert counts["records"] == 900 and counts["units"] == 900


def test_killed_ingest_leaves_a_consistent_store(db_url, tmp_path):
    src = write_messages(tmp_path / "in", many(2500))
    e = {k: v for k, v in os.environ.items() if k != "BOUNCEWISE_DB"}
    p = subprocess.Popen([sys.executable, "-m", "bouncewise", "ingest", "--db", db_url, "--batch-size", "20", str(src)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=e, cwd=ROOT)
    deadline = time.monotonic() + 120
    seen = 0
    while time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.3)
        try:
            with Store(db_url) as store:
                seen = store.counts()["records"]
        except Exception:
            continue
        if seen >= 200:
            break
    if p.poll() is not None:
        pytest.fail("the ingest ended before it could be killed; make the input larger")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    counts = _consistent(db_url)
    assert 200 <= counts["records"] < 2500 and counts["records"] % 20 == 0  # whole batches only
    r = cli("ingest", "--db", db_url, "--json", str(src))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["stored"] == 2500 - counts["records"]
    assert _consistent(db_url)["records"] == 2500


def test_progress_bar_on_a_terminal(tmp_path):
    """On a terminal, stderr shows the bar: percentage, ETA, records and rate."""
    import pty

    src = write_messages(tmp_path / "in", many(300))
    e = {k: v for k, v in os.environ.items() if k != "BOUNCEWISE_DB"}
    e.update(COLUMNS="160", TERM="xterm")
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "bouncewise", "ingest", "--db", str(tmp_path / "p.db"), "--batch-size", "20", str(src)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=e, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=120)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert p.returncode == 0
    assert "records/s" in text and "%" in text and "300 records from 300 inputs" in text
    # not on a terminal: no bar
    r = cli("ingest", "--db", str(tmp_path / "q.db"), str(src))
    assert "records/s" not in r.stderr
