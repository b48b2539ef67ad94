"""The shared corpus (env BOUNCEWISE_CORPUS, default ../shared/corpus): every file is analysed without an error record,
and the score against expected.jsonl reaches a minimum. Skipped when the corpus is absent."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bouncewise.pipeline import analyse_all
from conftest import CORPUS

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "score.py").is_file(), reason=f"shared corpus not found at {CORPUS}"),
]

MIN_SCORE = 97.5  # percent of expected records fully right (all formats, diagnosis engine)
MIN_GENERIC_SCORE = 92.0  # the same with the generic decoders alone (formats without a decoder)
GENERIC = "arf,rfc3464,rfc3834,fallback"


def files(sub: str) -> list[Path]:
    return sorted(p for p in (CORPUS / sub).iterdir() if p.is_file())


@pytest.mark.parametrize("sub", ["maildir/bsd", "maildir/dos", "maildir/mac", "maildir/not", "mailbox"])
def test_every_file_gives_records_without_errors(sub):
    for path in files(sub):
        out = list(analyse_all(path))
        assert out, f"{path}: no messages"
        for recs in out:
            assert recs, f"{path}: a message without records"
            errors = [r.error for r in recs if r.kind == "error"]
            assert not errors, f"{path}: {errors}"


# Files of maildir/not that are delivery notices all the same: the Sisimai issue each comes from
# was about something else (a crash), not about whether the message is a bounce.
REAL_NOTICES = {
    # "email bounce notification" from postmaster@: "reject reason: Mailbox full", "target mail
    # address: ...", the bounced message below: a mailbox-full notice in a home-made template
    "rb-issue-368-bug.eml": "bounce",
}


def test_not_bounces_are_not_invented():
    for path in files("maildir/not"):
        kinds = {r.kind for recs in analyse_all(path) for r in recs}
        if path.name in REAL_NOTICES:
            # (an mbox: the bounced message quoted after a "From " line is a message of its own)
            assert REAL_NOTICES[path.name] in kinds <= {"bounce", "not-a-bounce"}, f"{path}: {kinds}"
            continue
        assert kinds <= {"not-a-bounce", "vacation"}, f"{path}: {kinds}"


def test_mbox_files_are_split():
    counts = {p.name: len(list(analyse_all(p))) for p in files("mailbox")}
    assert counts["mbox-0"] > 10 and counts["size-0"] == 1


def test_dos_and_mac_copies_match_the_originals():
    for sub in ("maildir/dos", "maildir/mac"):
        for path in files(sub)[:40]:
            orig = CORPUS / "maildir" / "bsd" / path.name
            if not orig.exists():
                continue
            a = [(r.kind, r.recipient, r.status, r.replycode) for recs in analyse_all(orig) for r in recs]
            b = [(r.kind, r.recipient, r.status, r.replycode) for recs in analyse_all(path) for r in recs]
            assert a == b, path


def test_score(tmp_path):
    try:
        from bouncewise.diagnosis import diagnose  # noqa: F401
    except ImportError:
        pytest.skip("the diagnosis engine (bouncewise.diagnosis.diagnose) is not available yet")
    out = tmp_path / "out.ndjson"
    with out.open("w") as fh:
        for recs in analyse_all(CORPUS / "maildir" / "bsd"):
            for r in recs:
                fh.write(json.dumps(r.to_dict()) + "\n")
    res = subprocess.run(
        [sys.executable, str(CORPUS / "score.py"), str(out), "--misses", "0"], capture_output=True, text=True, check=True
    )
    m = re.search(r"score: ([\d.]+)%", res.stdout)
    assert m, res.stdout
    assert float(m.group(1)) >= MIN_SCORE, res.stdout


def _score_of(out: Path) -> float:
    res = subprocess.run(
        [sys.executable, str(CORPUS / "score.py"), str(out), "--misses", "0"], capture_output=True, text=True, check=True
    )
    m = re.search(r"score: ([\d.]+)%", res.stdout)
    assert m, res.stdout
    return float(m.group(1))


def test_generic_path_score(tmp_path):
    """How well formats without a decoder are read: the corpus through the generic reader and
    the standard decoders alone (BOUNCEWISE_FORMATS, in a process of its own)."""
    import os

    out = tmp_path / "generic.ndjson"
    env = dict(os.environ, BOUNCEWISE_FORMATS=GENERIC)
    with out.open("w") as fh:
        subprocess.run(
            [sys.executable, "-m", "bouncewise", "parse", "--format", "ndjson", "-q", str(CORPUS / "maildir" / "bsd")],
            stdout=fh, env=env, check=False,
        )
    assert _score_of(out) >= MIN_GENERIC_SCORE
