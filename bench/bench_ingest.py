"""Records stored per second by the store (bouncewise.store), SQLite and PostgreSQL, against a
baseline measured in the same run (the same records written as NDJSON to a file).

Usage: python bench/bench_ingest.py [N]   (default 100000 records)

The records are those of the project's sample bounces (tests/fixtures/bounces, analysed once)
repeated with 20,000 recipients and times spread over 60 days, each its own unit (key), so
every one is a new row and the policy re-decides its address in the same transaction.
The second pass ingests them again (all already stored). PostgreSQL: env BOUNCEWISE_BENCH_PG,
else the server tests/store/install.sh starts (tests/store/.pg-url); skipped when neither is up.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import bouncewise  # noqa: E402
from bouncewise.store import Store  # noqa: E402
from bouncewise.store.sources import Unit  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def records(n: int) -> list[Unit]:
    templates = list(bouncewise.parse(ROOT / "tests" / "fixtures" / "bounces"))
    out = []
    for i in range(n):
        rec = copy.copy(templates[i % len(templates)])
        rec.advice = list(rec.advice)
        rec.evidence = [dict(e) for e in rec.evidence]
        if rec.recipient or rec.kind in ("bounce", "delayed", "delivered", "feedback"):
            rec.recipient = f"user{(i * 7919) % 20000}@example{i % 50}.org"
        rec.timestamp = (T0 + timedelta(minutes=(i * 37) % (60 * 24 * 60))).isoformat()
        out.append(Unit(f"bench:{i}", [rec]))
    return out


def pg_url() -> str | None:
    url = os.environ.get("BOUNCEWISE_BENCH_PG") or ""
    f = ROOT / "tests" / "store" / ".pg-url"
    if not url and f.exists():
        url = f.read_text().strip()
    if not url:
        return None
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except Exception as exc:
        print(f"PostgreSQL at {url}: not reachable ({type(exc).__name__}); skipped")
        return None
    return url


def run(name: str, url: str, units: list[Unit], baseline: float) -> None:
    with Store(url) as store:
        t0 = time.perf_counter()
        first = store.add_units(units)
        took = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = store.add_units(units)
        again = time.perf_counter() - t0
        counts = store.counts()
    n = first.records
    assert first.stored == n and second.stored == 0 and counts["records"] == n
    target = " (target >= 5,000)" if name == "SQLite" else ""
    print(f"{name}: {n} records in {took:.2f}s: {n / took:,.0f} records/s{target}; "
          f"{took / baseline:.1f}x the NDJSON baseline; again (all already stored): {n / again:,.0f} records/s; "
          f"suppressed {counts['suppressed']}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    units = records(n)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with open(Path(tmp) / "baseline.ndjson", "w") as fh:
            for u in units:
                for r in u.records:
                    fh.write(json.dumps(r.to_dict()) + "\n")
        baseline = time.perf_counter() - t0
        print(f"baseline (NDJSON to a file): {n / baseline:,.0f} records/s")
        run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", units, baseline)
    url = pg_url()
    if url:
        run("PostgreSQL", url, units, baseline)


if __name__ == "__main__":
    main()
