"""Column types generated from bouncewise's result dataclasses (Record, Diagnosis, LogRecord),
so that the Spark schema is never written out by hand a second time.

Each dataclass field becomes one column of the same name, in the same order:

======================  ===============================  =================================
Python type             Arrow type                       Spark type
======================  ===============================  =================================
``str`` / ``str|None``  ``string``                       ``string``
``int`` / ``int|None``  ``int64``                        ``bigint``
``float``               ``float64``                      ``double``
``bool``                ``bool``                         ``boolean``
``list[str]``           ``list<string>``                 ``array<string>``
``list[dict]``, ``dict`` ``string`` (JSON text)          ``string`` (JSON text)
======================  ===============================  =================================

A ``list[dict]`` (the evidence of a diagnosis: items with ``rule``, ``matched``, ``source``,
``role``, ``weight``, ...) is one string column holding its JSON text, exactly as
``parse --format ndjson`` writes it (compact, UTF-8): its items' keys and value types change
as the engine grows, and a JSON text keeps them all (a weight stays a number). Read it with
``from_json`` or ``get_json_object`` in Spark, ``json.loads`` in Python. Nullability follows
the type hint (``X | None``); lists are never null (``[]``).

This module imports pyarrow, never pyspark: it runs on the executors as well.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from typing import Any

import pyarrow as pa

# Python type -> (arrow type, Spark DDL type)
_SCALARS: dict[Any, tuple[pa.DataType, str]] = {
    str: (pa.string(), "string"),
    int: (pa.int64(), "bigint"),
    float: (pa.float64(), "double"),
    bool: (pa.bool_(), "boolean"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    name: str
    arrow: pa.DataType
    ddl: str  # Spark SQL type
    nullable: bool
    shape: str  # "scalar" | "list" | "json"


def _column(name: str, hint: Any) -> Column:
    nullable = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(hint))
        if len(args) != 1:
            raise TypeError(f"field {name}: cannot map the union {hint!r} to one column type")
        hint = args[0]
        origin = typing.get_origin(hint)
    if hint in _SCALARS:
        arrow, ddl = _SCALARS[hint]
        return Column(name, arrow, ddl, nullable, "scalar")
    if origin is list:
        (item,) = typing.get_args(hint) or (str,)
        if item in _SCALARS:
            arrow, ddl = _SCALARS[item]
            return Column(name, pa.list_(arrow), f"array<{ddl}>", False, "list")
        if typing.get_origin(item) is dict or item is dict:
            return Column(name, pa.string(), "string", False, "json")
    if origin is dict or hint is dict:
        return Column(name, pa.string(), "string", nullable, "json")
    raise TypeError(f"field {name}: no column type for {hint!r}")


@cache
def columns(cls: type) -> tuple[Column, ...]:
    """The columns of a dataclass, in field order."""
    hints = typing.get_type_hints(cls)
    return tuple(_column(f.name, hints[f.name]) for f in dataclasses.fields(cls))


@cache
def arrow_schema(cls: type) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.arrow, nullable=c.nullable) for c in columns(cls)])


@cache
def ddl(cls: type) -> str:
    """The Spark schema as a DDL string ("kind string not null, file string, ...")."""
    return ", ".join(f"`{c.name}` {c.ddl}{'' if c.nullable else ' not null'}" for c in columns(cls))


def _json(value: Any) -> str | None:
    """JSON text as the ndjson writer gives it (compact, non-ASCII kept)."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def batch(cls: type, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    """An Arrow batch of ``rows`` (each what ``cls.to_dict()`` gives)."""
    arrays = []
    for c in columns(cls):
        values = [row.get(c.name) for row in rows]
        if c.shape == "json":
            values = [_json(v if v is not None or c.nullable else []) for v in values]
        elif c.shape == "list":
            values = [list(v) if v else [] for v in values]
        arrays.append(pa.array(values, type=c.arrow))
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(cls))


def plain(row: dict[str, Any], cls: type) -> dict[str, Any]:
    """A row read back from Spark (Row.asDict(recursive=True) or pyarrow's to_pylist), as
    ``cls.to_dict()`` would give it: JSON text decoded, fields in order, other columns dropped."""
    out: dict[str, Any] = {}
    for c in columns(cls):
        value = row.get(c.name)
        if c.shape == "json":
            value = json.loads(value) if isinstance(value, str) else value
        elif c.shape == "list":
            value = list(value or ())
        out[c.name] = value
    return out
