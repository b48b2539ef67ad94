"""Dispatch by cheap keys (formats/_dispatch.py): a decoder whose gate is closed on a message
must be one whose detect() is false there, so skipping it changes nothing; and decoders
are imported only when a message may be theirs."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from email.message import Message
from pathlib import Path

import pytest

from bouncewise.formats import REGISTRY
from bouncewise.formats._dispatch import GATES, candidates
from bouncewise.messages import iter_messages
from bouncewise.pipeline import _parse_bytes

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BOUNCEWISE_CORPUS") or ROOT.parent / "shared" / "corpus")
MODULES = {name: importlib.import_module(f"bouncewise.formats.{name}") for name in REGISTRY}


def _messages(root: Path):
    for raw in iter_messages(root):
        if raw.data and raw.data.strip():
            yield f"{raw.file}#{raw.index}", _parse_bytes(raw.data)


def _closed_gates_that_detect(msg: Message) -> list[str]:
    open_ = set(candidates(msg))
    wrong = []
    for name, mod in MODULES.items():
        if name in open_:
            continue
        try:
            claimed = mod.detect(msg)
        except Exception:
            claimed = False
        if claimed:
            wrong.append(name)
    return wrong


@pytest.fixture(autouse=True)
def all_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOUNCEWISE_FORMATS", raising=False)


def test_every_gate_lets_through_what_detect_claims_in_the_fixtures() -> None:
    seen = 0
    for where, msg in _messages(FIXTURES):
        seen += 1
        assert _closed_gates_that_detect(msg) == [], where
    assert seen > 100


@pytest.mark.skipif(not (CORPUS / "maildir").is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_every_gate_lets_through_what_detect_claims_in_the_corpus() -> None:
    seen = 0
    for where, msg in _messages(CORPUS / "maildir"):
        seen += 1
        assert _closed_gates_that_detect(msg) == [], where
    assert seen > 500


def _msg(headers: str) -> Message:
    return _parse_bytes((headers.strip() + "\n\nbody\n").encode())


def test_gates_are_opened_by_the_keys_they_name() -> None:
    plain = candidates(_msg("From: a@example.com\nSubject: hello"))
    assert "gmail" not in plain and "postfix" not in plain and "mcafee" not in plain
    for name in ("arf", "jmrp", "rfc3464", "rfc3834", "fallback"):  # no gate: always tried
        assert name in plain
    assert "gmail" in candidates(_msg("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: x"))
    assert "mcafee" in candidates(_msg("From: a@example.com\nX-NAI-Header: yes\nSubject: x"))
    assert "qmail" in candidates(_msg("Received: (qmail 1 invoked for bounce); 1 Jan 2026\nFrom: a@b.c\nSubject: x"))
    # RFC 2047: the gate reads the decoded Subject, as detect() does
    assert "postfix" in candidates(_msg("From: a@b.c\nSubject: =?utf-8?q?Undelivered_Mail_Returned_to_Sender?="))


def test_candidates_keep_registry_order_and_every_gate_names_a_decoder() -> None:
    assert set(GATES) <= set(REGISTRY)
    got = candidates(_msg("From: MAILER-DAEMON@example.net (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender"))
    assert got == [n for n in REGISTRY if n in got]
    assert "postfix" in got and "exim" in got


def test_a_dsn_imports_only_the_decoders_it_may_need(tmp_path: Path) -> None:
    sample = next(p for p in sorted((FIXTURES / "bounces").iterdir()) if p.name.startswith("dsn-"))
    code = (
        "import sys; import bouncewise; list(bouncewise.parse(sys.argv[1])); "
        "print(' '.join(sorted(m.rsplit('.', 1)[-1] for m in sys.modules if m.startswith('bouncewise.formats.'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("BOUNCEWISE_FORMATS", None)
    out = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True, text=True, env=env, check=True)
    loaded = set(out.stdout.split())
    assert "rfc3464" in loaded
    providers = {"gmail", "yahoo", "zoho", "mcafee", "messagelabs", "facebook", "bigfoot", "verizon"}
    assert not loaded & providers, loaded
