"""bouncewise.spark's DataFrame functions against the single-process engine, on Spark local[2]."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bouncewise.events import records_from_json
from bouncewise.logscan import scan
from bouncewise.messages import Limits
from bouncewise.pipeline import parse
from bouncewise.record import Record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _key(d: dict) -> str:
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def _plain(rows) -> list[dict]:
    from bouncewise.spark import schema

    return [schema.plain(r.asDict(recursive=True), Record) for r in rows]


def _rows(spark, items: list[tuple[str | None, bytes | None]]):
    return spark.createDataFrame(items, "path string, content binary")


def test_parse_messages_equals_single_process(spark):
    from bouncewise.spark import parse_messages, read_messages

    folder = FIXTURES / "mta"
    got = _plain(parse_messages(read_messages(spark, [str(folder)])).collect())
    for r in got:
        r["file"] = r["file"].removeprefix("file:")
    want = [r.to_dict() for r in parse(str(folder))]
    assert len(want) > 20
    assert sorted(map(_key, got)) == sorted(map(_key, want))


def test_an_mbox_is_split_and_gzip_read(spark):
    from bouncewise.spark import parse_messages

    mbox = (FIXTURES / "bounces" / "two.mbox").read_bytes()
    got = _plain(parse_messages(_rows(spark, [("x.mbox", mbox), ("x.mbox.gz", gzip.compress(mbox))])).collect())
    want = [r.to_dict() for r in parse(mbox)]
    assert len({r["index"] for r in want}) == 2
    for r in want:
        r["file"] = "x.mbox"
    again = [dict(r, file="x.mbox.gz") for r in want]
    assert sorted(map(_key, got)) == sorted(map(_key, want + again))


def test_bad_messages_give_error_rows_and_the_task_goes_on(spark):
    from bouncewise.spark import parse_messages

    good = (FIXTURES / "bounces" / "dsn-two-recipients.eml").read_bytes()
    nested = b"Content-Type: multipart/mixed; boundary=a0\n\n" + b"".join(
        f"--a{i}\nContent-Type: multipart/mixed; boundary=a{i + 1}\n\n".encode() for i in range(60))
    items = [("good.eml", good), ("null.eml", None), ("big.eml", b"Subject: x\n\n" + b"y" * 5000),
             ("deep.eml", nested), ("junk.bin", bytes(range(256)) * 4), ("broken.gz", gzip.compress(good)[:40])]
    df = parse_messages(_rows(spark, items), limits=Limits(max_bytes=4096)).collect()
    by_file: dict[str, list] = {}
    for r in df:
        by_file.setdefault(r["file"], []).append(r)
    assert set(by_file) == {p for p, _ in items}  # every input gave at least one row
    assert [r["kind"] for r in by_file["good.eml"]] == ["bounce", "bounce"]
    for name in ("null.eml", "big.eml", "deep.eml", "broken.gz"):
        assert [r["kind"] for r in by_file[name]] == ["error"], name
        assert by_file[name][0]["error"]
    assert "limit" in by_file["big.eml"][0]["error"] or "over the limit" in by_file["big.eml"][0]["error"]
    assert "nesting" in by_file["deep.eml"][0]["error"]
    assert by_file["junk.bin"][0]["kind"] in ("not-a-bounce", "error")


def test_workers_start_with_the_tables_loaded(spark):
    """The Python daemon (bouncewise.spark.daemon) loads the tables before it forks."""
    import pyarrow as pa

    def probe(batches):
        from bouncewise.spark import _worker

        for _ in batches:
            yield pa.RecordBatch.from_pylist([{"warm": _worker._STATE["warm"]}], schema=pa.schema([("warm", pa.bool_())]))

    assert {r["warm"] for r in spark.range(4).repartition(2).mapInArrow(probe, "warm boolean").collect()} == {True}


def test_parse_events(spark):
    from bouncewise.spark import parse_events

    files = sorted((FIXTURES / "events").iterdir())
    df = spark.createDataFrame([(p.name, p.read_text()) for p in files] + [("bad.json", "{not json")], "path string, value string")
    got = _plain(parse_events(df, "value", "path").collect())
    want = [r.to_dict() for p in files for r in records_from_json(p.read_bytes(), origin=p.name)]
    errors = [r for r in got if r["file"] == "bad.json"]
    assert len(errors) == 1 and errors[0]["kind"] == "error"
    assert sorted(map(_key, [r for r in got if r["file"] != "bad.json"])) == sorted(map(_key, want))


def test_diagnose_texts(spark):
    from bouncewise.diagnosis import diagnose
    from bouncewise.spark import diagnose_texts

    texts = [line.split("\t")[-1] for line in (FIXTURES / "replies" / "replies.tsv").read_text().splitlines()
             if line and not line.startswith("#")][:40]
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "n int, text string")
    rows = diagnose_texts(df, "text").orderBy("n").collect()
    assert [r["n"] for r in rows] == list(range(len(texts)))
    for r in rows:
        got = r["diagnosis"].asDict(recursive=True)
        got["evidence"] = json.loads(got["evidence"])
        assert _key(got) == _key(diagnose(r["text"]).to_dict())
    with pytest.raises(ValueError, match="already has a column"):
        diagnose_texts(df.withColumnRenamed("n", "diagnosis"), "text")


def test_scan_logs_whole_files(spark):
    from bouncewise.spark import scan_logs

    paths = [FIXTURES / "logs" / n for n in ("postfix.log", "exim_mainlog", "sendmail.log")]
    df = spark.createDataFrame([(p.name, p.read_text()) for p in paths], "path string, value string")
    got = [r.asDict(recursive=True) for r in scan_logs(df, "value", "path").collect()]
    want = [{"file": p.name, **r.to_dict()} for p in paths for r in scan(p.read_text().splitlines())]
    assert len(want) > 5
    for r in got:
        r["evidence"] = json.loads(r["evidence"])
    assert sorted(map(_key, got)) == sorted(map(_key, want))


def test_the_time_limit_holds_on_the_executors(spark):
    """The per-message deadline (SIGALRM) is armed in the Python workers too."""
    from bouncewise.spark import parse_messages

    good = (FIXTURES / "bounces" / "dsn-two-recipients.eml").read_bytes()
    rows = parse_messages(_rows(spark, [("slow.eml", good)]), limits=Limits(max_seconds=1e-6)).collect()
    assert [r["kind"] for r in rows] == ["error"]
    assert "longer than the limit" in rows[0]["error"]
