"""``bouncewise spark parse`` against ``bouncewise parse``: same records, same counts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from bouncewise.cli import main
from bouncewise.pipeline import parse
from bouncewise.record import Record

ROOT = Path(__file__).resolve().parents[2]


def _key(d: dict) -> str:
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def _read_back(spark, out: Path, fmt: str = "parquet") -> list[dict]:
    from bouncewise.spark import job, schema

    return [schema.plain(r.asDict(recursive=True), Record) for r in job.read_back(spark, str(out), fmt).collect()]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["spark", "parse", "--master", "local[2]", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


_KINDS = ("bounce", "delayed", "delivered", "vacation", "feedback", "not-a-bounce", "error")


def _summary_counts(text: str) -> tuple[int, int, Counter]:
    """Messages, records and records by kind from the summary (parse's: a line of totals, then
    tables; the kind table's rows are "<kind> <count>")."""
    m = re.search(r"(\d+) messages? read.*?(\d+) records?", text)
    assert m, text
    kinds = Counter()
    for kind in _KINDS:
        k = re.search(r"(?m)^\s*" + re.escape(kind) + r"\s+(\d+)\b", text) or re.search(
            r"\s" + re.escape(kind) + r"\s+(\d+)\b", text
        )
        if k:
            kinds[kind] = int(k.group(1))
    return int(m.group(1)), int(m.group(2)), kinds


def test_corpus_equals_single_process_parse(spark, corpus, tmp_path):
    out = tmp_path / "records"
    code, err = _run(str(corpus), "--output", str(out))
    assert code == 0, err
    got = _read_back(spark, out)
    want = [r.to_dict() for r in parse(str(corpus))]
    assert len(got) == len(want)
    assert sorted(map(_key, got)) == sorted(map(_key, want))
    messages, written, kinds = _summary_counts(err)
    assert (messages, written) == (len({(r["file"], r["index"]) for r in want}), len(want))
    assert kinds == Counter(r["kind"] for r in want)


def test_paths_show_as_parse_shows_them_and_missing_inputs_are_errors(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    inputs = ["tests/fixtures/bounces", "tests/fixtures/mta/courier.eml", "tests/fixtures/no-such-dir"]
    out = tmp_path / "records"
    code, err = _run(*inputs, "--output", str(out))
    assert code == 1  # as parse: some input could not be read
    assert "1 could not be read" in err
    got = _read_back(spark, out)
    want = [r.to_dict() for r in parse(inputs)]
    assert any(r["index"] == 2 for r in want)  # the mbox was split
    assert sorted(map(_key, got)) == sorted(map(_key, want))
    dirs = [p.name for p in out.iterdir() if p.is_dir()]
    assert dirs and all(re.fullmatch(r"date=([0-9]{4}-[0-9]{2}-[0-9]{2}|__HIVE_DEFAULT_PARTITION__)", d) for d in dirs)


def test_a_glob_and_files_over_max_file(spark, tmp_path):
    folder = ROOT / "tests" / "fixtures" / "bounces"
    files = sorted(folder.glob("dsn-*.eml"))
    big = {str(p) for p in files if p.stat().st_size > 800}
    assert big and len(big) < len(files)
    out = tmp_path / "records"
    code, err = _run(str(folder / "dsn-*.eml"), "--output", str(out), "--max-file", "800")
    assert code == 1, err
    got = _read_back(spark, out)
    assert {r["file"] for r in got} == {str(p) for p in files}  # the glob expanded by Spark, shown as paths
    for r in got:
        if r["file"] in big:
            assert r["kind"] == "error" and "over the limit of 800" in r["error"]
    want = [r.to_dict() for p in files if str(p) not in big for r in parse(str(p))]
    assert sorted(map(_key, [r for r in got if r["file"] not in big])) == sorted(map(_key, want))
    assert f"{len(big)} could not be read" in err


def test_json_output_and_existing_output(spark, tmp_path):
    folder = ROOT / "tests" / "fixtures" / "variants"
    out = tmp_path / "records.json"
    code, err = _run(str(folder), "--output", str(out), "--format", "json")
    assert code == 0, err
    got = _read_back(spark, out, "json")
    assert sorted(map(_key, got)) == sorted(_key(r.to_dict()) for r in parse(str(folder)))
    line = next(p for p in out.rglob("part-*.json")).read_text().splitlines()[0]
    assert set(json.loads(line)) == set(Record.__dataclass_fields__)  # null fields kept; the date is in the path
    code, err = _run(str(folder), "--output", str(out), "--format", "json")
    assert code == 1 and "already exists" in err and "Traceback" not in err
    code, err = _run(str(folder), "--output", str(out), "--format", "json", "--overwrite", "--quiet")
    assert code == 0 and err == ""


def test_events(spark, tmp_path):
    from bouncewise.events import records_from_json

    folder = ROOT / "tests" / "fixtures" / "events"
    out = tmp_path / "events"
    code, err = _run("--from", "auto", str(folder), "--output", str(out))
    assert code == 0, err
    want = [r.to_dict() for p in sorted(folder.iterdir()) for r in records_from_json(p.read_bytes(), origin=str(p))]
    assert sorted(map(_key, _read_back(spark, out))) == sorted(map(_key, want))
    assert _summary_counts(err)[0] == len(list(folder.iterdir()))


def test_watch_takes_new_files_once(spark, tmp_path):
    src = ROOT / "tests" / "fixtures" / "bounces"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = ["dsn-two-recipients.eml", "dsn-delayed.eml", "autoreply.eml"]
    for n in names[:2]:
        (inbox / n).write_bytes((src / n).read_bytes())
    out = tmp_path / "records"
    code, err = _run(str(inbox), "--output", str(out), "--watch", "--once")
    assert code == 0, err
    first = _read_back(spark, out)
    assert {Path(r["file"]).name for r in first} == set(names[:2])
    (inbox / names[2]).write_bytes((src / names[2]).read_bytes())
    code, err = _run(str(inbox), "--output", str(out), "--watch", "--once")
    assert code == 0, err
    assert "1 message read" in err  # only the new file
    got = _read_back(spark, out)
    want = [r.to_dict() for r in parse(str(inbox))]
    assert sorted(map(_key, got)) == sorted(map(_key, want))


def test_usage_errors():
    result = CliRunner().invoke(main, ["spark", "parse", "a", "b", "--output", "x", "--watch"])
    assert result.exit_code == 2 and "one INPUT" in result.output
    result = CliRunner().invoke(main, ["spark", "parse", "a", "--output", "x", "--once"])
    assert result.exit_code == 2


@pytest.mark.skipif(os.environ.get("BOUNCEWISE_SPARK_SUBPROCESS") == "0", reason="BOUNCEWISE_SPARK_SUBPROCESS=0")
def test_entry_script_in_a_fresh_process(tmp_path):
    """The command as a user runs it (its own JVM): Parquet that reads back without Spark."""
    pq = pytest.importorskip("pyarrow.parquet")
    script = subprocess.run([sys.executable, "-m", "bouncewise", "spark", "script"], capture_output=True, text=True, check=True)
    assert script.stdout.strip().endswith(os.path.join("bouncewise", "spark", "__main__.py"))
    folder = ROOT / "tests" / "fixtures" / "bounces"
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, script.stdout.strip(), "parse", str(folder), "--output", str(out),
                           "--master", "local[1]"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = pq.read_table(str(out))
    want = list(parse(str(folder)))
    assert table.num_rows == len(want)
    assert sorted(table.column("recipient").to_pylist(), key=str) == sorted((r.recipient for r in want), key=str)
    assert f"{len(want)} records written" in proc.stderr
