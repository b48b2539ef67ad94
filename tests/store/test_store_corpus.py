"""Done-when check on the shared corpus (../shared/corpus, or env BOUNCEWISE_CORPUS): after
`bouncewise ingest maildir/bsd`, `bouncewise suppressions` lists exactly the recipients the
engine calls hard-bounced; ingesting again changes no count. Skipped when the corpus is absent."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

import bouncewise
from bouncewise.store.privacy import normalise

from .test_store_processes import cli

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("BOUNCEWISE_CORPUS") or ROOT.parent / "shared" / "corpus")
BSD = CORPUS / "maildir" / "bsd"

pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not BSD.is_dir(), reason=f"shared corpus not found at {CORPUS} (set BOUNCEWISE_CORPUS)")]


def test_corpus_hard_bounces_are_suppressed(db_url):
    first = cli("ingest", "--db", db_url, "--json", str(BSD))
    assert first.returncode == 0, first.stderr
    out = cli("suppressions", "--db", db_url, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    policy_hard = {r["address"] for r in rows if r["list"] == "bounce" and r["rule"] == "hard"}
    expected = {normalise(r.recipient) for r in bouncewise.parse(BSD) if r.kind == "bounce" and r.hardbounce and r.recipient}
    assert expected and policy_hard == expected
    again = cli("ingest", "--db", db_url, "--json", str(BSD))
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert b["stored"] == 0 and b["records"] == a["records"] == a["stored"] + a["already_stored"]
    assert b["store"] == a["store"]
    assert list(csv.DictReader(io.StringIO(cli("suppressions", "--db", db_url, "--format", "csv").stdout))) == rows
