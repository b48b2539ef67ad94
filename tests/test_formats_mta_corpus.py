"""The MTA families (their decoders, or the generic reader for those it reads alone) against the shared corpus (facts only: recipient, status, reply
code; the reason is the diagnosis engine's). Skips when ../shared/corpus is absent."""

from __future__ import annotations

import email
import email.policy
import importlib
import json
import re
from pathlib import Path

import pytest

from bouncewise.formats import REGISTRY
from conftest import CORPUS

ENGINES = {
    "Postfix", "Sendmail", "V5sendmail", "Exim", "qmail", "Courier", "OpenSMTPD", "DragonFly",
    "Exchange2003", "Exchange2007", "Domino", "Notes", "MessagingServer", "IMailServer",
    "ApacheJames", "PowerMTA", "FML", "X1", "X2", "X3", "X5", "X6", "MailMarshalSMTP",
    "Activehunter", "mFILTER", "MailFoundry",
}

pytestmark = pytest.mark.corpus


def _status_ok(expected: str | None, got: str | None) -> bool:
    if expected and re.fullmatch(r"\d\.0\.9\d\d", expected):
        return got is None or got[0] == expected[0]  # Sisimai's made-up code: any of the class
    return expected == got


def _decode(path: Path):
    data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for name in REGISTRY:
        mod = importlib.import_module(f"bouncewise.formats.{name}")
        if mod.detect(msg):
            blocks = mod.decode(msg)
            if blocks:
                namer = getattr(mod, "engine", None)  # the generic reader names the family
                return (namer(msg) if namer else None) or mod.NAME, blocks
    return None, []


def test_mta_families_read_the_corpus_facts() -> None:
    expected_file = CORPUS / "expected.jsonl"
    if not expected_file.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    by_file: dict[str, list[dict]] = {}
    for line in expected_file.read_text().splitlines():
        rec = json.loads(line)
        if rec["engine"] in ENGINES:
            by_file.setdefault(rec["file"], []).append(rec)
    total = right = named = 0
    for rel, records in sorted(by_file.items()):
        engine, blocks = _decode(CORPUS / rel)
        for i, rec in enumerate(records):
            total += 1
            block = next((b for b in blocks if b.recipient and rec["recipient"]
                          and b.recipient.lower() == rec["recipient"].lower()), None)
            if block is None and i < len(blocks):
                block = blocks[i]
            named += engine == rec["engine"]
            if (block is not None
                    and (block.recipient or "").lower() == (rec["recipient"] or "").lower()
                    and _status_ok(rec["status"], block.status) and block.replycode == rec["replycode"]):
                right += 1
    assert total > 200
    assert right / total >= 0.97, f"{right}/{total}"
    # the family is named as Sisimai names it, but for Sisimai's unnamed MTAs (X1, X2, X5),
    # which the generic reader names after itself
    assert named / total >= 0.95, f"{named}/{total}"
