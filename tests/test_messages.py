"""bouncewise.messages: every kind of input becomes a stream of raw messages."""

from __future__ import annotations

import gzip
import io
from email.message import Message
from pathlib import Path

import pytest

from bouncewise.errors import LimitExceeded
from bouncewise.messages import Limits, check_structure, is_from_line, iter_messages, normalise_newlines

FIX = Path(__file__).parent / "fixtures" / "bounces"
ONE = b"From: a@example.com\nSubject: one\n\nbody\n"


def test_single_file():
    (raw,) = list(iter_messages(FIX / "autoreply.eml"))
    assert raw.file == str(FIX / "autoreply.eml") and raw.index == 1 and raw.data.startswith(b"From: Laura")


def test_path_as_given_is_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.eml").write_bytes(ONE)
    (raw,) = list(iter_messages("m.eml"))
    assert raw.file == "m.eml"


def test_directory_sorted_and_recursive(tmp_path):
    (tmp_path / "b.eml").write_bytes(ONE)
    (tmp_path / "a.eml").write_bytes(ONE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.eml").write_bytes(ONE)
    (tmp_path / ".hidden").write_bytes(ONE)
    files = [Path(r.file).relative_to(tmp_path).as_posix() for r in iter_messages(tmp_path)]
    assert files == ["a.eml", "b.eml", "sub/c.eml"]


def test_maildir_reads_cur_and_new_not_tmp(tmp_path):
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / f"1.{sub}").write_bytes(ONE)
    files = sorted(Path(r.file).parent.name for r in iter_messages(tmp_path))
    assert files == ["cur", "new"]


def test_mbox_file_split_with_indexes():
    raws = list(iter_messages(FIX / "two.mbox"))
    assert [r.index for r in raws] == [1, 2]
    assert b">From the postmaster" not in raws[0].data and b"\nFrom the postmaster" in raws[0].data
    assert raws[1].data.startswith(b"From: nina@example.com")
    assert b"From the start this is just a letter." in raws[1].data


def test_gzip_file_and_gzip_mbox(tmp_path):
    p = tmp_path / "one.eml.gz"
    p.write_bytes(gzip.compress(ONE))
    (raw,) = list(iter_messages(p))
    assert raw.data == ONE
    p2 = tmp_path / "box.gz"
    p2.write_bytes(gzip.compress((FIX / "two.mbox").read_bytes()))
    assert [r.index for r in iter_messages(p2)] == [1, 2]


def test_bytes_str_message_and_stream():
    assert list(iter_messages(ONE))[0].data == ONE
    assert list(iter_messages(ONE.decode()))[0].data == ONE
    m = Message()
    m["Subject"] = "x"
    (raw,) = list(iter_messages(m))
    assert raw.message is m and raw.data is None
    (raw,) = list(iter_messages(io.BytesIO(ONE)))
    assert raw.data == ONE


def test_gzip_stream():
    (raw,) = list(iter_messages(io.BytesIO(gzip.compress(ONE))))
    assert raw.data == ONE


def test_list_of_sources_keeps_order(tmp_path):
    (tmp_path / "x.eml").write_bytes(ONE)
    raws = list(iter_messages([ONE, tmp_path / "x.eml", FIX / "two.mbox"]))
    assert [r.file is None for r in raws] == [True, False, False, False]


def test_missing_path_is_an_error_message():
    (raw,) = list(iter_messages("/nonexistent/dir/file.eml"))
    assert raw.error and "no such file" in raw.error


@pytest.mark.parametrize("eol", [b"\r\n", b"\r"])
def test_line_endings_normalised(eol):
    data = ONE.replace(b"\n", eol)
    (raw,) = list(iter_messages(data))
    assert raw.data == ONE


@pytest.mark.parametrize("eol", [b"\r\n", b"\r"])
def test_mbox_with_other_line_endings(eol):
    data = (FIX / "two.mbox").read_bytes().replace(b"\n", eol)
    raws = list(iter_messages(data))
    assert [r.index for r in raws] == [1, 2]
    assert b"\r" not in raws[0].data


def test_normalise_newlines():
    assert normalise_newlines(b"a\r\nb\rc\n") == b"a\nb\nc\n"


def test_from_line_detection():
    assert is_from_line(b"From MAILER-DAEMON Thu Sep 18 17:54:04 2008")
    assert is_from_line(b"From user@example.com  Sat Oct  4 08:00:09 2025")
    assert not is_from_line(b"From the desk of the postmaster")
    assert not is_from_line(b"From: a@example.com")


def test_size_limit_on_single_message_and_in_mbox():
    lim = Limits(max_bytes=100)
    (raw,) = list(iter_messages(ONE + b"x" * 200, lim))
    assert raw.error and "size" in raw.error
    mbox = b"From a Mon Mar  2 10:00:00 2026\n" + ONE + b"x" * 300 + b"\n\nFrom b Mon Mar  2 10:00:00 2026\n" + ONE
    raws = list(iter_messages(mbox, lim))
    assert raws[0].error and raws[1].data == ONE


def test_long_line_in_mbox_is_skipped_through():
    lim = Limits(max_line=1000)
    mbox = b"From a Mon Mar  2 10:00:00 2026\nX: " + b"y" * 5000 + b"\n\nFrom b Mon Mar  2 10:00:00 2026\n" + ONE
    raws = list(iter_messages(mbox, lim))
    assert raws[1].data == ONE
    from bouncewise.pipeline import analyse

    (rec,) = analyse(raws[0], lim)
    assert rec.kind == "error" and "line" in rec.error


def test_check_structure_limits():
    check_structure(ONE, Limits())
    with pytest.raises(LimitExceeded):
        check_structure(b"x" * 101, Limits(max_bytes=100))
    with pytest.raises(LimitExceeded):
        check_structure(b"a\n" + b"y" * 50 + b"\n", Limits(max_line=20))
    siblings = b"".join(
        b'Content-Type: multipart/mixed; boundary="s%d"\n\n--s%d\n\nx\n--s%d--\n' % (i, i, i) for i in range(60)
    )
    check_structure(siblings, Limits(max_depth=10))  # many siblings, none nested: fine


def test_unsupported_source_type():
    with pytest.raises(TypeError):
        list(iter_messages(12345))
