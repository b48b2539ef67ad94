"""The Store: records in, decisions out, over SQLAlchemy Core (SQLite or PostgreSQL).

Writes go in batches, one transaction each, and take the store's write lock first (SQLite:
BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE on the store_meta "lock" row). Inside the
lock a batch (1) leaves out the keys already stored, (2) inserts the rest, (3) re-decides the
addresses it touched. So two ingest processes lose and duplicate nothing, and a process
killed mid-way leaves the batches before it whole and nothing of the one it was writing.
"""

from __future__ import annotations

import getpass
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from bouncewise.record import Record
from bouncewise.store import engine as _engine
from bouncewise.store.policy import Policy, decide, load_policy
from bouncewise.store.privacy import Hasher, normalise
from bouncewise.store.schema import AUDIT, DECISIONS, META, RAW, RECORD_FIELDS, RECORDS
from bouncewise.store.sources import Unit
from bouncewise.store.times import aware, occurred, utcnow

_CHUNK = 500  # values in one IN (...) list
_POLICY_KINDS = ("bounce", "delayed", "delivered", "feedback")


class StoreError(Exception):
    """A store that cannot be used as asked (wrong key, unreachable server...)."""


# What a store operation may raise that a caller should report as a message, not a traceback.
ERRORS: tuple[type[BaseException], ...] = (StoreError, SQLAlchemyError, ValueError, OSError)


@dataclass(slots=True)
class IngestStats:
    units: int = 0
    records: int = 0
    stored: int = 0  # new rows
    kinds: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # error records among the input

    @property
    def already(self) -> int:
        return self.records - self.stored

    def to_dict(self) -> dict[str, Any]:
        return {"units": self.units, "records": self.records, "stored": self.stored, "already_stored": self.already,
                "errors": self.errors, "kinds": dict(self.kinds.most_common())}


def _chunks(items: list[Any], n: int = _CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class Store:
    """A bounce store. ``url``: see bouncewise.store.engine.resolve_url."""

    def __init__(self, url: str | None = None, *, policy: Policy | None = None, hash_addresses: bool = False,
                 hasher: Hasher | None = None, migrate: bool = True) -> None:
        try:
            self.url = _engine.resolve_url(url)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        self.engine = _engine.make_engine(self.url)
        self.policy = policy or load_policy()
        self._hash_wanted = hash_addresses
        self._hasher = hasher
        try:
            if migrate:
                _engine.upgrade(self.engine)
        except Exception as exc:
            self.engine.dispose()
            raise StoreError(f"cannot open the store {self.shown_url}: {_short(exc)}") from None
        self._mode: str | None = None

    @property
    def shown_url(self) -> str:
        return _engine.shown(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- address mode --------------------------------------------------------------------

    def _stored_mode(self, conn: Connection) -> str | None:
        return conn.scalar(select(META.c.value).where(META.c.name == "addresses"))

    def _hasher_for(self, mode: str | None) -> Hasher | None:
        if mode is None or mode == "clear":
            return None
        if self._hasher is None:
            try:
                self._hasher = Hasher.from_env()
            except ValueError as exc:
                raise StoreError(f"this store keeps hashed addresses: {exc}") from None
        if mode != "hmac:" + self._hasher.fingerprint:
            raise StoreError("this store keeps addresses hashed with another key than the one given")
        return self._hasher

    def _write_mode(self, conn: Connection) -> Hasher | None:
        """The hasher for writes, fixing the store's mode on its first write."""
        mode = self._stored_mode(conn)
        if mode is None:
            if self._hash_wanted:
                if self._hasher is None:
                    try:
                        self._hasher = Hasher.from_env()
                    except ValueError as exc:
                        raise StoreError(str(exc)) from None
                mode = "hmac:" + self._hasher.fingerprint
            else:
                mode = "clear"
            conn.execute(insert(META), [{"name": "addresses", "value": mode}])
        elif mode == "clear" and self._hash_wanted:
            raise StoreError("this store keeps addresses in clear; --hash-addresses needs a new store")
        return self._hasher_for(mode)

    def lookup_address(self, address: str) -> str | None:
        """The stored form of ``address`` (normalised, or its HMAC in a hashed store)."""
        if address.startswith("hmac:"):
            return address
        with self.engine.connect() as conn:
            mode = self._stored_mode(conn)
        hasher = self._hasher_for(mode)
        return hasher.address(address) if hasher else normalise(address)

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(bw_write=True)
            with conn.begin():
                conn.execute(select(META.c.value).where(META.c.name == "lock").with_for_update())
                yield conn

    def add_units(self, units: Iterable[Unit], *, batch_size: int = 2000,
                  progress: Callable[[int, int], None] | None = None) -> IngestStats:
        """Store the records of ``units`` in batches of about ``batch_size`` records (and
        the bytes of units that carry them: see sources.mail_units' keep_raw);
        ``progress(records_read, bytes_read)`` after each unit."""
        stats = IngestStats()
        batch: list[Unit] = []
        held = read = done_bytes = 0
        for unit in units:
            batch.append(unit)
            held += len(unit.records)
            read += len(unit.records)
            done_bytes += unit.size
            if held >= batch_size:
                self._write_batch(batch, stats)
                batch, held = [], 0
            if progress:
                progress(read, done_bytes)
        if batch:
            self._write_batch(batch, stats)
        return stats

    def add_records(self, unit_key: str, records: list[Record]) -> IngestStats:
        return self.add_units([Unit(unit_key, records)])

    def _write_batch(self, units: list[Unit], stats: IngestStats) -> None:
        now = utcnow()
        rows: dict[str, dict[str, Any]] = {}
        raws: dict[str, bytes] = {}
        for unit in units:
            stats.units += 1
            for i, rec in enumerate(unit.records):
                stats.records += 1
                stats.kinds[rec.kind] += 1
                if rec.kind == "error":
                    stats.errors += 1
                key = f"{unit.key}:{i}"
                if key in rows:
                    continue
                d = rec.to_dict()
                d.update(key=key, unit=unit.key, address=normalise(rec.recipient),
                         occurred_at=occurred(rec.timestamp, now), ingested_at=now)
                rows[key] = d
            if unit.raw is not None:
                raws[unit.key] = unit.raw
        with self._write() as conn:
            hasher = self._write_mode(conn)
            existing: set[str] = set()
            for part in _chunks(list(rows)):
                existing.update(conn.scalars(select(RECORDS.c.key).where(RECORDS.c.key.in_(part))))
            new = [d for k, d in rows.items() if k not in existing]
            if hasher is not None:
                for d in new:
                    hasher.row(d)
                    d["address"] = d["recipient"]
            if new:
                conn.execute(insert(RECORDS), new)
            if raws:
                have: set[str] = set()
                for part in _chunks(list(raws)):
                    have.update(conn.scalars(select(RAW.c.unit).where(RAW.c.unit.in_(part))))
                fresh = [{"unit": k, "data": v} for k, v in raws.items() if k not in have]
                if fresh:
                    conn.execute(insert(RAW), fresh)
            self._decide(conn, sorted({d["address"] for d in new if d["address"] and d["kind"] in _POLICY_KINDS}))
        stats.stored += len(new)

    # -- decisions -----------------------------------------------------------------------

    def _decide(self, conn: Connection, addresses: list[str]) -> int:
        made = 0
        cols = (RECORDS.c.id, RECORDS.c.address, RECORDS.c.kind, RECORDS.c.reason, RECORDS.c.hardbounce,
                RECORDS.c.feedbacktype, RECORDS.c.occurred_at)
        digest = self.policy.digest
        now = utcnow()
        for part in _chunks(addresses):
            history: dict[str, list[dict[str, Any]]] = {a: [] for a in part}
            q = select(*cols).where(RECORDS.c.address.in_(part), RECORDS.c.kind.in_(_POLICY_KINDS))
            for row in conn.execute(q).mappings():
                d = dict(row)
                d["occurred_at"] = aware(d["occurred_at"])
                history[d["address"]].append(d)
            since: dict[str, datetime] = {}
            q2 = (select(AUDIT.c.address, func.max(AUDIT.c.at)).where(AUDIT.c.address.in_(part), AUDIT.c.action == "unsuppress")
                  .group_by(AUDIT.c.address))
            for addr, at in conn.execute(q2):
                since[addr] = aware(at)
            conn.execute(delete(DECISIONS).where(DECISIONS.c.address.in_(part)))
            out = []
            for addr, rows in history.items():
                for dec in decide(addr, rows, self.policy, since.get(addr)):
                    out.append({"address": addr, "list": dec.list, "rule": dec.rule, "reason": dec.reason,
                                "count": dec.count, "first_seen": dec.first_seen, "last_seen": dec.last_seen,
                                "evidence": dec.evidence, "decided_at": now, "policy": digest})
            if out:
                conn.execute(insert(DECISIONS), out)
            made += len(out)
        return made

    def recompute(self) -> int:
        """Re-decide every address of the store with the current policy; the number of
        suppressions (address, list) that result."""
        with self._write() as conn:
            conn.execute(delete(DECISIONS))
            addresses = list(conn.scalars(select(RECORDS.c.address).where(RECORDS.c.address.is_not(None),
                                                                          RECORDS.c.kind.in_(_POLICY_KINDS)).distinct()))
            return self._decide(conn, sorted(addresses))

    def unsuppress(self, address: str, note: str | None, actor: str | None = None) -> list[dict[str, Any]]:
        """Lift the suppressions of ``address`` (everything seen up to now is forgiven; new
        evidence counts again) and keep an audit entry; the lifted decisions. Nothing is
        written when the address is not suppressed."""
        stored = self.lookup_address(address)
        with self._write() as conn:
            lifted = [self._decision_dict(r) for r in conn.execute(select(DECISIONS).where(DECISIONS.c.address == stored)).mappings()]
            if not lifted:
                return []
            conn.execute(insert(AUDIT), [{"address": stored, "action": "unsuppress", "note": note,
                                          "actor": actor or _actor(), "at": utcnow()}])
            self._decide(conn, [stored])
        return lifted

    # -- reading -------------------------------------------------------------------------

    @staticmethod
    def _decision_dict(r: Any) -> dict[str, Any]:
        return {"address": r["address"], "list": r["list"], "rule": r["rule"], "reason": r["reason"], "count": r["count"],
                "first_seen": aware(r["first_seen"]).isoformat(), "last_seen": aware(r["last_seen"]).isoformat(),
                "evidence": list(r["evidence"] or []), "decided_at": aware(r["decided_at"]).isoformat(), "policy": r["policy"]}

    def suppressions(self, list_name: str | None = None, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        q = select(DECISIONS).order_by(DECISIONS.c.address, DECISIONS.c.list)
        if list_name:
            q = q.where(DECISIONS.c.list == list_name)
        if limit is not None:
            q = q.limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [self._decision_dict(r) for r in conn.execute(q).mappings()]

    def stale_policy(self) -> bool:
        """True when some decision was made by another policy than the current one."""
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(DECISIONS).where(DECISIONS.c.policy != self.policy.digest)) > 0

    def history(self, address: str) -> dict[str, Any]:
        """One address's records (oldest first), its decisions and its audit trail."""
        stored = self.lookup_address(address)
        cols = [RECORDS.c.id, RECORDS.c.occurred_at, RECORDS.c.kind, RECORDS.c.reason, RECORDS.c.hardbounce,
                RECORDS.c.status, RECORDS.c.replycode, RECORDS.c.diagnosticcode, RECORDS.c.feedbacktype,
                RECORDS.c.engine, RECORDS.c.file, RECORDS.c.index, RECORDS.c.messageid, RECORDS.c.rhost]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(RECORDS.c.address == stored)
                                .order_by(RECORDS.c.occurred_at, RECORDS.c.id)).mappings().all()
            decisions = conn.execute(select(DECISIONS).where(DECISIONS.c.address == stored)).mappings().all()
            audit = conn.execute(select(AUDIT).where(AUDIT.c.address == stored).order_by(AUDIT.c.at, AUDIT.c.id)).mappings().all()
        timeline = []
        for r in rows:
            d = dict(r)
            d["occurred_at"] = aware(d["occurred_at"]).isoformat()
            timeline.append(d)
        return {
            "address": stored,
            "suppressed": bool(decisions),
            "decisions": [self._decision_dict(r) for r in decisions],
            "timeline": timeline,
            "audit": [{"action": a["action"], "note": a["note"], "actor": a["actor"], "at": aware(a["at"]).isoformat()} for a in audit],
        }

    def records(self, kinds: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every stored record as ``Record.to_dict()`` gives it (the fields of
        ``bouncewise parse --format ndjson``), in the order they were stored."""
        cols = [RECORDS.c[name] for name in RECORD_FIELDS]
        q = select(*cols).order_by(RECORDS.c.id)
        if kinds is not None:
            q = q.where(RECORDS.c.kind.in_(list(kinds)))
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=2000).execute(q)
            for row in result:
                d = dict(zip(RECORD_FIELDS, row, strict=True))
                d["hardbounce"] = bool(d["hardbounce"])
                d["advice"] = list(d["advice"] or [])
                d["evidence"] = list(d["evidence"] or [])
                yield d

    def counts(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            kinds = dict(conn.execute(select(RECORDS.c.kind, func.count()).group_by(RECORDS.c.kind)).all())
            units = conn.scalar(select(func.count(RECORDS.c.unit.distinct())))
            lists = dict(conn.execute(select(DECISIONS.c.list, func.count()).group_by(DECISIONS.c.list)).all())
        return {"records": sum(kinds.values()), "units": units, "kinds": kinds, "suppressed": lists}


def _actor() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def open_store(url: str | None = None) -> Store:
    """The store at ``url`` (or env BOUNCEWISE_DB, or the default SQLite file), its schema
    brought up to date. See docs/store.md."""
    return Store(url)
