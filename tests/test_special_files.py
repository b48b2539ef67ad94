"""Inputs that are not regular files, or that never end, give an error record at once:
never a hang. Each case runs in a fresh process with a generous guard time, so a hang is a
failure rather than a stuck test run."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "bounces"
GUARD = 30  # seconds before the run counts as a hang


def one_bounce() -> Path:
    return sorted(p for p in FIXTURES.iterdir() if p.is_file())[0]


def parse(*args: str, stdin=None) -> list[dict]:
    p = subprocess.run([sys.executable, "-m", "bouncewise", "parse", "--format", "ndjson", "-q", *args],
                       stdin=stdin if stdin is not None else subprocess.DEVNULL,
                       capture_output=True, timeout=GUARD, check=False)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return [json.loads(x) for x in p.stdout.splitlines()]


@pytest.fixture()
def specials(tmp_path: Path):
    d = tmp_path / "box"
    d.mkdir()
    shutil.copy(one_bounce(), d / "a-message.eml")
    os.mkfifo(d / "b-fifo")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(d / "c-socket"))
    (d / "d-zero").symlink_to("/dev/zero")
    (d / "e-urandom").symlink_to("/dev/urandom")
    (d / "f-null").symlink_to("/dev/null")
    yield d
    sock.close()


def test_not_regular_names_the_kind(specials: Path):
    from bouncewise.messages import not_regular

    assert not_regular(specials / "a-message.eml") is None
    assert "FIFO" in not_regular(specials / "b-fifo")
    assert "socket" in not_regular(specials / "c-socket")
    assert "character device" in not_regular(specials / "d-zero")


def test_walked_directory_reads_regular_files_only(specials: Path):
    recs = parse(str(specials))
    by_file = {Path(r["file"]).name: r for r in recs}
    assert set(by_file) == {"a-message.eml", "b-fifo", "c-socket", "d-zero", "e-urandom", "f-null"}
    assert by_file["a-message.eml"]["kind"] != "error"
    for name in ("b-fifo", "c-socket", "d-zero", "e-urandom", "f-null"):
        assert by_file[name]["kind"] == "error" and "not a regular file" in by_file[name]["error"], name


@pytest.mark.parametrize("name", ["b-fifo", "c-socket", "d-zero", "e-urandom"])
def test_special_file_given_by_name(specials: Path, name: str):
    recs = parse(str(specials / name))
    assert len(recs) == 1 and recs[0]["kind"] == "error" and "not a regular file" in recs[0]["error"]


def test_maildir_with_a_fifo(tmp_path: Path):
    md = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    shutil.copy(one_bounce(), md / "cur" / "1.eml")
    os.mkfifo(md / "new" / "2.fifo")
    recs = parse(str(md))
    kinds = {Path(r["file"]).name: r["kind"] for r in recs}
    assert kinds["2.fifo"] == "error" and kinds["1.eml"] != "error"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_standard_input_stops_at_the_size_limit(device: str):
    with open(device, "rb") as fh:
        recs = parse("--max-size", "1M", "-", stdin=fh)
    assert len(recs) == 1 and recs[0]["kind"] == "error" and "limit" in recs[0]["error"]


LIBRARY_READS_ZERO = """
from bouncewise.messages import Limits, iter_messages
with open("/dev/zero", "rb") as fh:
    raws = list(iter_messages(fh, Limits(max_bytes=1 << 20)))
print(len(raws), raws[0].error)
"""


def test_endless_stream_in_the_library_stops_at_the_limit():
    p = subprocess.run([sys.executable, "-c", LIBRARY_READS_ZERO], capture_output=True, text=True,
                       timeout=GUARD, check=False)
    count, _, error = p.stdout.strip().partition(" ")
    assert count == "1" and "limit" in error, p.stdout + p.stderr


def test_events_from_a_fifo_do_not_block(specials: Path):
    recs = parse("--from", "ses", str(specials / "b-fifo"))
    assert len(recs) == 1 and recs[0]["kind"] == "error" and "not a regular file" in recs[0]["error"]
