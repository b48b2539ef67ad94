"""The column types generated from the result dataclasses (needs pyarrow, not Spark)."""

from __future__ import annotations

import dataclasses

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
    assert cols["evidence"].ddl == "array<map<string,string>>"


def test_batch_round_trip():
    rec = Record(kind="bounce", file="a.eml", index=2, recipient="jo@example.org", reason="userunknown",
                 hardbounce=True, advice=["Remove the address."], confidence=0.9,
                 evidence=[{"rule": "code:status", "matched": "5.1.1", "source": "text"}, {"rule": "n", "matched": 3}])
    err = Record(kind=ERROR, file="b.eml", index=1, error="limit: too big")
    batch = schema.batch(Record, [rec.to_dict(), err.to_dict()])
    assert batch.num_rows == 2
    back = [schema.plain(row, Record) for row in batch.to_pylist()]
    expected = rec.to_dict()
    expected["evidence"][1]["matched"] = "3"  # a value that is not a string is kept as its JSON text
    assert back == [expected, err.to_dict()]


def test_unmappable_type_is_refused():
    @dataclasses.dataclass
    class Odd:
        when: complex

    with pytest.raises(TypeError, match="when"):
        schema.columns(Odd)
