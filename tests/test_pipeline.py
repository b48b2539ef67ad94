"""bouncewise.parse / the pipeline, the writers and the `bouncewise parse` command."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import bouncewise
from bouncewise import pipeline
from bouncewise.cli import main
from bouncewise.messages import Limits
from bouncewise.record import Record
from bouncewise.writers import CSV_COLUMNS, make_writer

FIX = Path(__file__).parent / "fixtures" / "bounces"


@pytest.fixture(autouse=True)
def standard_formats_only(monkeypatch):
    """Run against the standard decoders only, so these tests do not depend on the
    home-made format decoders being written alongside."""
    monkeypatch.setenv("BOUNCEWISE_FORMATS", "arf,rfc3464,rfc3834")
    pipeline.decoders.cache_clear()
    yield
    pipeline.decoders.cache_clear()


def test_parse_is_the_public_entry():
    assert bouncewise.parse is pipeline.parse


def test_records_of_a_dsn():
    recs = list(bouncewise.parse(FIX / "dsn-two-recipients.eml"))
    assert [r.recipient for r in recs] == ["nobody@example.org", "full@example.org"]
    r = recs[0]
    assert r.kind == "bounce" and r.engine == "RFC3464" and r.action == "failed"
    assert (r.addresser, r.subject, r.messageid) == ("alice@example.com", "Quarterly figures", "q1-figures-7731@example.com")
    assert r.timestamp == "2026-03-03T10:15:02+01:00"
    assert r.file == str(FIX / "dsn-two-recipients.eml") and r.index == 1
    assert r.lhost == "mail.example.com" and r.rhost == "mx.example.org"
    assert r.reason  # a reason from the diagnosis engine, or "undefined" without it
    d = r.to_dict()
    json.dumps(d)
    assert set(d) >= {"recipient", "status", "replycode", "reason", "hardbounce", "file", "kind"}


def test_include_filter_defaults():
    all_kinds = [r.kind for r in bouncewise.parse(FIX, include="all")]
    default = [r.kind for r in bouncewise.parse(FIX)]
    assert {"delivered", "vacation", "feedback"} <= set(all_kinds)
    assert sorted(default) == sorted(all_kinds)  # nothing is left out unless asked
    none = [r.kind for r in bouncewise.parse(FIX, include="none")]
    assert "feedback" not in none and "bounce" in none and "not-a-bounce" in none
    only = {r.kind for r in bouncewise.parse(FIX, include=["vacation"])}
    assert "vacation" in only and "feedback" not in only
    with pytest.raises(ValueError):
        list(bouncewise.parse(FIX, include="bogus"))


def test_kinds_for_each_fixture():
    got = {}
    for r in bouncewise.parse(FIX, include="all"):
        got.setdefault(Path(r.file).name, []).append((r.kind, r.recipient))
    assert got["dsn-delayed.eml"] == [("delayed", "carol@example.net")]
    assert got["dsn-delivered.eml"] == [("delivered", "erin@example.net")]
    assert got["autoreply.eml"] == [("vacation", "laura@example.org")]
    assert got["arf-abuse.eml"] == [("feedback", "ivan@isp.example.net"), ("feedback", "judy@isp.example.net")]
    assert got["not-a-bounce.eml"] == [("not-a-bounce", None)]
    assert got["two.mbox"] == [("bounce", "quinn@example.net"), ("not-a-bounce", None)]


def test_delayed_is_soft_and_retried():
    (r,) = bouncewise.parse(FIX / "dsn-delayed.eml")
    assert r.kind == "delayed" and r.hardbounce is False and r.retry == "later"
    assert r.reason  # the diagnosis, or "expired" when it cannot tell


def test_decoder_reason_wins_and_hardbounce_from_table():
    (r,) = bouncewise.parse(FIX / "dsn-delivered.eml", include="all")
    assert (r.reason, r.hardbounce) == ("delivered", False)
    (v,) = bouncewise.parse(FIX / "autoreply.eml", include="all")
    assert v.addresser == "mike@example.com" and v.explanation


def test_every_message_yields_a_record_even_over_limits():
    out = list(pipeline.analyse_all([FIX, b"", b"\x00\xff" * 10], Limits(max_bytes=1500)))
    assert all(len(recs) >= 1 for recs in out)
    kinds = [recs[0].kind for recs in out]
    assert "error" in kinds  # the larger fixtures are over 1500 bytes


def test_accepts_parsed_message_and_str():
    from email import message_from_bytes

    msg = message_from_bytes((FIX / "dsn-delayed.eml").read_bytes())
    (r,) = bouncewise.parse(msg)
    assert r.recipient == "carol@example.net" and r.file is None
    (r,) = bouncewise.parse((FIX / "dsn-delayed.eml").read_text())
    assert r.recipient == "carol@example.net"


def test_jobs_keep_order():
    src = [FIX] * 3
    one = [(r.file, r.index, r.recipient) for recs in pipeline.analyse_all(src, jobs=1) for r in recs]
    two = [(r.file, r.index, r.recipient) for recs in pipeline.analyse_all(src, jobs=2, batch_size=2) for r in recs]
    assert one == two and len(one) > 20


_HERE: list[int] = []  # batch sizes analysed by the test's own process (workers keep their own copy)
_REAL_BATCH = pipeline._analyse_batch


def _counting_batch(batch, limits):
    _HERE.append(len(batch))
    return _REAL_BATCH(batch, limits)


def test_jobs_share_the_work_and_keep_order(monkeypatch):
    """With --jobs 3 two workers analyse batches and this process takes some itself
    when the workers have enough queued; the order of the output is the input's."""
    from concurrent.futures import ProcessPoolExecutor

    workers: list[int] = []
    real_init = ProcessPoolExecutor.__init__

    def init(self, max_workers=None, *a, **kw):
        workers.append(max_workers)
        real_init(self, max_workers, *a, **kw)

    monkeypatch.setattr(ProcessPoolExecutor, "__init__", init)
    src = [FIX] * 4
    one = [(r.file, r.index, r.recipient) for recs in pipeline.analyse_all(src, jobs=1) for r in recs]
    n = len(list(pipeline.analyse_all(src)))
    monkeypatch.setattr(pipeline, "_analyse_batch", _counting_batch)
    _HERE.clear()
    three = [(r.file, r.index, r.recipient) for recs in pipeline.analyse_all(src, jobs=3, batch_size=1) for r in recs]
    assert three == one and workers == [2]
    assert 0 < sum(_HERE) < n  # some batches here, the rest in the workers


_PARENT = os.getpid()


def _dying_batch(batch, limits):
    if os.getpid() != _PARENT:
        os._exit(3)  # a worker killed mid-run (as by the kernel's out-of-memory killer)
    return _REAL_BATCH(batch, limits)


def test_a_dead_worker_loses_nothing(monkeypatch):
    src = [FIX] * 2
    one = [(r.file, r.index, r.recipient) for recs in pipeline.analyse_all(src, jobs=1) for r in recs]
    monkeypatch.setattr(pipeline, "_analyse_batch", _dying_batch)
    two = [(r.file, r.index, r.recipient) for recs in pipeline.analyse_all(src, jobs=2, batch_size=3) for r in recs]
    assert two == one


def test_render_all_gives_text_and_leaves_out_what_include_excludes():
    from bouncewise.writers import NdjsonWriter

    render = NdjsonWriter.render
    expected = [(r.kind, r.reason) for recs in pipeline.analyse_all(FIX) for r in recs]
    for jobs in (1, 2):
        got = [r for recs in pipeline.render_all(FIX, render, include="none", jobs=jobs, batch_size=2) for r in recs]
        assert [(r.kind, r.reason) for r in got] == expected
        for r in got:
            if r.kind in pipeline.OPTIONAL_KINDS:
                assert r.text is None
            else:
                assert json.loads(r.text)["kind"] == r.kind and r.text.endswith("\n")
    assert any(r.text is None for recs in pipeline.render_all(FIX, render, include="none") for r in recs)


# -- writers -----------------------------------------------------------------------------


def sample_records() -> list[Record]:
    return list(bouncewise.parse(FIX, include="all"))


def test_ndjson_and_json_writers():
    recs = sample_records()
    buf = io.StringIO()
    w = make_writer("ndjson", buf)
    for r in recs:
        w.write(r)
    w.close()
    lines = buf.getvalue().splitlines()
    assert [json.loads(x)["recipient"] for x in lines] == [r.recipient for r in recs]
    buf = io.StringIO()
    w = make_writer("json", buf)
    for r in recs:
        w.write(r)
    w.close()
    assert [d["kind"] for d in json.loads(buf.getvalue())] == [r.kind for r in recs]
    buf = io.StringIO()
    make_writer("json", buf).close()
    assert json.loads(buf.getvalue()) == []


def test_csv_writer():
    recs = sample_records()
    buf = io.StringIO()
    w = make_writer("csv", buf)
    for r in recs:
        w.write(r)
    w.close()
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [row["recipient"] for row in rows] == [r.recipient or "" for r in recs]
    assert {row["hardbounce"] for row in rows} <= {"true", "false"}


def test_table_writer():
    buf = io.StringIO()
    w = make_writer("table", buf)
    for r in sample_records():
        w.write(r)
    w.close()
    text = buf.getvalue()
    assert text.startswith("KIND") and "nobody@example.org" in text and "\x1b[" not in text


def test_unknown_writer():
    with pytest.raises(ValueError):
        make_writer("xml", io.StringIO())


# -- CLI ---------------------------------------------------------------------------------


def run(args, input=None):
    return CliRunner().invoke(main, ["parse", *args], input=input)


def test_cli_ndjson_and_summary():
    res = run([str(FIX), "--include", "delivered,vacation,feedback"])
    assert res.exit_code == 0, res.stderr
    recs = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(recs) == 13
    assert "11 messages read" in res.stderr and "13 records written" in res.stderr


def test_cli_default_outputs_every_kind_and_include_reports_filtered():
    res = run([str(FIX)])
    assert res.exit_code == 0
    kinds = {json.loads(x)["kind"] for x in res.stdout.splitlines()}
    assert {"delivered", "vacation", "feedback", "bounce"} <= kinds
    assert "not output" not in res.stderr
    res = run([str(FIX), "--include", "feedback"])
    kinds = {json.loads(x)["kind"] for x in res.stdout.splitlines()}
    assert "delivered" not in kinds and "feedback" in kinds
    assert "not output" in res.stderr and re.search(r"^delivered +1\b", res.stderr, re.M)


def test_cli_stdin_and_formats():
    data = (FIX / "dsn-two-recipients.eml").read_bytes()
    res = run(["-", "--format", "csv"], input=data)
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["recipient"] for r in rows] == ["nobody@example.org", "full@example.org"]
    assert rows[0]["file"] == "-"
    res = run(["--format", "json", "-q"], input=data)
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 2 and res.stderr == ""
    res = run([str(FIX / "dsn-delayed.eml"), "--format", "table"])
    assert "carol@example.net" in res.stdout


def test_cli_exit_1_when_unreadable(tmp_path):
    res = run([str(FIX / "autoreply.eml"), str(tmp_path / "missing.eml")])
    assert res.exit_code == 1
    recs = [json.loads(x) for x in res.stdout.splitlines()]
    assert recs[-1]["kind"] == "error" and "1 message read, 1 could not be read" in res.stderr
    res = run([str(FIX / "dsn-two-recipients.eml"), "--max-size", "1K"])
    assert res.exit_code == 1 and json.loads(res.stdout)["kind"] == "error"


def test_cli_usage_errors():
    assert run(["--include", "nonsense", str(FIX)]).exit_code == 2
    assert run(["--format", "xml", str(FIX)]).exit_code == 2
    assert run(["--max-size", "lots", str(FIX)]).exit_code == 2
    assert run(["-", "-"], input=b"").exit_code == 2


def test_cli_jobs_same_output():
    a = run([str(FIX), "--include", "all", "-q"]).stdout
    b = run([str(FIX), "--include", "all", "-q", "--jobs", "2"]).stdout
    assert a == b


# -- the parsed-data cache of bouncewise._data ------------------------------------------


@pytest.fixture
def data_pkg(tmp_path, monkeypatch):
    """A stand-in package folder with one TOML data file, and a user cache folder."""
    from bouncewise import _data

    pkg = tmp_path / "pkg"
    (pkg / "formats" / "data").mkdir(parents=True)
    (pkg / "formats" / "data" / "t.toml").write_text('[meta]\nsource = "test"\n[t]\nvalue = "one"\nn = [1, 2.5, true]\n')
    monkeypatch.setattr(_data, "_PKG", str(pkg))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BOUNCEWISE_NO_DATA_CACHE", raising=False)
    return pkg


def _load(relpath: str = "formats/data/t.toml"):
    from bouncewise import _data

    return _data.load_toml.__wrapped__(relpath)  # past the per-process memo


def test_data_cache_is_written_then_used(data_pkg, monkeypatch):
    import tomllib

    first = _load()
    assert first == {"meta": {"source": "test"}, "t": {"value": "one", "n": [1, 2.5, True]}}
    assert list((data_pkg / "__pycache__").glob("data-formats-data-t.toml.*.marshal"))

    def no_parse(*a, **k):
        raise AssertionError("parsed although the cache is valid")

    monkeypatch.setattr(tomllib, "loads", no_parse)
    assert _load() == first


def test_stale_data_cache_is_never_used(data_pkg):
    import os

    f = data_pkg / "formats" / "data" / "t.toml"
    assert _load()["t"]["value"] == "one"
    st = f.stat()
    # same size, same modification time: only the bytes tell the change
    f.write_text(f.read_text().replace('"one"', '"two"'))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _load()["t"]["value"] == "two"
    assert _load()["t"]["value"] == "two"  # and the cache now holds the new content


def test_damaged_data_cache_is_ignored(data_pkg):
    _load()
    for c in (data_pkg / "__pycache__").glob("data-*.marshal"):
        c.write_bytes(b"\x00garbage")
    assert _load()["t"]["value"] == "one"


def test_data_cache_falls_back_to_user_cache_then_to_none(data_pkg, tmp_path):
    (data_pkg / "__pycache__").write_text("a file where the folder would be: not writable")
    assert _load()["t"]["value"] == "one"
    assert list((tmp_path / "xdg" / "bouncewise").glob("data-*.marshal"))
    # neither place can be written: parsed every time, still right
    for c in (tmp_path / "xdg" / "bouncewise").iterdir():
        c.unlink()
    (tmp_path / "xdg" / "bouncewise").rmdir()
    (tmp_path / "xdg" / "bouncewise").write_text("not a folder")
    assert _load()["t"]["value"] == "one"


def test_data_cache_can_be_turned_off(data_pkg, monkeypatch):
    monkeypatch.setenv("BOUNCEWISE_NO_DATA_CACHE", "1")
    assert _load()["t"]["value"] == "one"
    assert not (data_pkg / "__pycache__").exists()


def test_data_cache_gives_what_tomllib_gives_for_every_data_file():
    import tomllib

    from bouncewise import _data

    for rel in _data.all_toml_files():
        assert _data.load_toml.__wrapped__(rel) == _data.parse_toml(rel), rel
        with open(_data._path(rel), "rb") as fh:
            assert _data.parse_toml(rel) == tomllib.load(fh)
