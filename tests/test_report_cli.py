"""``bouncewise report`` on the command line: outputs, formats, exit codes, --db without a store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bouncewise.cli import main
from conftest import needs_diagnosis
from report_data import records as synthetic
from report_data import write_ndjson

FIX = Path(__file__).parent / "fixtures"


def _run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, ["report", *args], input=input)


def test_html_to_a_file_with_a_closing_line(tmp_path: Path) -> None:
    src = write_ndjson(tmp_path / "r.ndjson", 400, seed=2)
    out = tmp_path / "r.html"
    res = _run(str(src), "-o", str(out))
    assert res.exit_code == 1, res.output  # the synthetic stream holds error records
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert "400 records" in res.output and f"{out.stat().st_size:,} bytes" in res.output


def test_exit_0_when_everything_was_read(tmp_path: Path) -> None:
    recs = [r for r in synthetic(300, seed=3) if r["kind"] != "error"]
    src = tmp_path / "ok.ndjson"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    res = _run(str(src), "--format", "json", "-q")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["totals"]["records"] == len(recs)
    assert rep["totals"]["errors"] == {}


def test_markdown_to_stdout_and_from_stdin(tmp_path: Path) -> None:
    recs = [json.dumps(r) for r in synthetic(200, seed=4)]
    res = _run("--format", "md", "-q", input="\n".join(recs) + "\n")
    assert res.output.startswith("# Bounce report\n")
    assert "200 records" in res.output


def test_remove_csv_writes_every_address(tmp_path: Path) -> None:
    recs = list(synthetic(1500, seed=5))
    src = tmp_path / "r.ndjson"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    out, full = tmp_path / "r.html", tmp_path / "remove.csv"
    _run(str(src), "-o", str(out), "--max-addresses", "5", "--remove-csv", str(full), "-q")
    with open(full, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    hard = {r["recipient"].lower() for r in recs if r["kind"] == "bounce" and r.get("hardbounce")}
    assert {r["address"] for r in rows} == hard and len(hard) > 5
    assert "the first 5 of" in out.read_text(encoding="utf-8")


def test_db_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    try:
        import bouncewise.store as store
    except ImportError:
        store = None
    if store is not None and hasattr(store, "open_store"):
        pytest.skip("this installation has a store; the lead's merge tests the real path")
    res = _run("--db", "sqlite:///" + str(tmp_path / "b.db"), "-o", str(tmp_path / "r.html"))
    assert res.exit_code == 2
    assert "the store is not available in this installation" in res.output
    assert not (tmp_path / "r.html").exists()


def test_no_input_on_a_terminal_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["report", "--format", "md", "-", "-"])
    assert res.exit_code == 2
    assert "only once" in res.output


@needs_diagnosis
def test_messages_and_logs_together(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = _run(str(FIX / "bounces"), str(FIX / "logs" / "postfix.log"), "--format", "json", "-o", str(out), "-q")
    assert res.exit_code in (0, 1), res.output
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert [i["kind"] for i in rep["inputs"]] == ["messages", "log"]
    assert rep["totals"]["failures"] > 0


def test_help_teaches() -> None:
    res = CliRunner().invoke(main, ["report", "--help"])
    assert res.exit_code == 0
    assert "Examples:" in res.output and "--db" in res.output and "--format" in res.output
