"""The store's tables, generated from the Record type (bouncewise.record.Record).

Each field of Record becomes a column of ``records`` with a type taken from the field's type
hint (str -> Text, int -> Integer, float -> Float, bool -> Boolean, list -> JSON). The store
adds its own columns: ``id`` (the evidence id the suppressions cite), ``key`` (what makes an
ingest idempotent), ``unit`` (the message, event or log line the record came from),
``address`` (the normalised recipient, or its HMAC), ``occurred_at`` and ``ingested_at``.

A Record field added later needs a migration (see migrations/versions): the test
``test_schema_matches_migrations`` compares the migrated database with these tables.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from bouncewise.record import Record

# Store columns that are not Record fields.
STORE_COLUMNS = ("id", "key", "unit", "address", "occurred_at", "ingested_at")

# Short, indexed Record fields get a bounded String instead of Text.
_SHORT = {"kind": 20, "reason": 40, "status": 20, "replycode": 8}


def _column_type(name: str, hint: object) -> TypeEngine:
    args = typing.get_args(hint)
    base = hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        base = next(a for a in args if a is not type(None))
    origin = typing.get_origin(base) or base
    if origin is str:
        return String(_SHORT[name]) if name in _SHORT else Text()
    if origin is bool:
        return Boolean()
    if origin is int:
        return Integer()
    if origin is float:
        return Float()
    if origin in (list, dict):
        return JSON()
    raise TypeError(f"Record.{name}: no column type for {hint!r}")


def record_columns(names: typing.Iterable[str] | None = None) -> list[Column]:
    """Columns for the Record fields (all of them, or those named, in Record's order)."""
    hints = typing.get_type_hints(Record)
    wanted = None if names is None else set(names)
    out = []
    for f in fields(Record):
        if wanted is not None and f.name not in wanted:
            continue
        nullable = f.name not in ("kind", "hardbounce")
        out.append(Column(f.name, _column_type(f.name, hints[f.name]), nullable=nullable))
    return out


RECORD_FIELDS = tuple(f.name for f in fields(Record))


def build(metadata: MetaData, record_fields: typing.Iterable[str] | None = None) -> dict[str, Table]:
    """The store's tables on ``metadata``; ``record_fields`` limits the Record columns (a
    migration names the fields of its time, so it stays what it was)."""
    records = Table(
        "records",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(120), nullable=False, unique=True),
        Column("unit", String(80), nullable=False),
        Column("address", String(320), nullable=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("ingested_at", DateTime(timezone=True), nullable=False),
        *record_columns(record_fields),
        Index("ix_records_address_time", "address", "occurred_at"),
        Index("ix_records_unit", "unit"),
    )
    decisions = Table(
        "decisions",
        metadata,
        Column("address", String(320), primary_key=True),
        Column("list", String(20), primary_key=True),  # bounce | complaint
        Column("rule", String(40), nullable=False),  # hard | soft | complaint
        Column("reason", String(40), nullable=True),
        Column("count", Integer, nullable=False),
        Column("first_seen", DateTime(timezone=True), nullable=False),
        Column("last_seen", DateTime(timezone=True), nullable=False),
        Column("evidence", JSON, nullable=False),  # ids of records rows
        Column("decided_at", DateTime(timezone=True), nullable=False),
        Column("policy", String(64), nullable=False),  # digest of the policy that decided
    )
    audit = Table(
        "audit",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("address", String(320), nullable=False, index=True),
        Column("action", String(20), nullable=False),  # unsuppress
        Column("note", Text, nullable=True),
        Column("actor", String(200), nullable=True),
        Column("at", DateTime(timezone=True), nullable=False),
    )
    raw = Table(
        "raw_messages",
        metadata,
        Column("unit", String(80), primary_key=True),
        Column("data", LargeBinary, nullable=False),
    )
    meta = Table(
        "store_meta",
        metadata,
        Column("name", String(40), primary_key=True),
        Column("value", Text, nullable=True),
    )
    return {"records": records, "decisions": decisions, "audit": audit, "raw_messages": raw, "store_meta": meta}


METADATA = MetaData()
TABLES = build(METADATA)
RECORDS = TABLES["records"]
DECISIONS = TABLES["decisions"]
AUDIT = TABLES["audit"]
RAW = TABLES["raw_messages"]
META = TABLES["store_meta"]
