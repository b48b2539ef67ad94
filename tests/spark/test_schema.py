"""The column types generated from the result dataclasses (needs pyarrow, not Spark)."""

from __future__ import annotations

import dataclasses
import json

import pytest

pa = pytest.importorskip("pyarrow", reason="pyarrow not installed: run `bash tests/spark/install.sh`")

from bouncewise.diagnosis import Diagnosis  # noqa: E402
from bouncewise.logscan import LogRecord  # noqa: E402
from bouncewise.record import ERROR, Record  # noqa: E402
from bouncewise.spark import schema  # noqa: E402


@pytest.mark.parametrize("cls", [Record, Diagnosis, LogRecord])
def test_columns_follow_the_dataclass(cls):
    names = [f.name for f in dataclasses.fields(cls)]
    assert [c.name for c in schema.columns(cls)] == names
    assert schema.arrow_schema(cls).names == names
    assert schema.ddl(cls).count("`") == 2 * len(names)


def test_record_types():
    cols = {c.name: c for c in schema.columns(Record)}
    assert cols["kind"].ddl == "string" and not cols["kind"].nullable
    assert cols["index"].ddl == "bigint" and cols["index"].nullable
    assert cols["hardbounce"].ddl == "boolean" and not cols["hardbounce"].nullable
    assert cols["confidence"].ddl == "double"
    assert cols["advice"].ddl == "array<string>"
    assert cols["evidence"].ddl == "string" and not cols["evidence"].nullable  # JSON text


def test_batch_round_trip():
    rec = Record(kind="bounce", file="a.eml", index=2, recipient="jo@example.org", reason="userunknown",
                 hardbounce=True, advice=["Remove the address."], confidence=0.9,
                 evidence=[{"rule": "code:status", "matched": "5.1.1", "source": "text"},
                           {"rule": "status:5.1.1", "weight": 0.7, "matched": "é"}])
    err = Record(kind=ERROR, file="b.eml", index=1, error="limit: too big")
    batch = schema.batch(Record, [rec.to_dict(), err.to_dict()])
    assert batch.num_rows == 2
    back = [schema.plain(row, Record) for row in batch.to_pylist()]
    assert back == [rec.to_dict(), err.to_dict()]  # a weight stays a number
    from bouncewise.writers import ndjson_line

    assert json.loads(ndjson_line(rec))["evidence"] == json.loads(batch.column("evidence")[0].as_py())
    assert batch.column("evidence")[1].as_py() == "[]"


def test_unmappable_type_is_refused():
    @dataclasses.dataclass
    class Odd:
        when: complex

    with pytest.raises(TypeError, match="when"):
        schema.columns(Odd)
