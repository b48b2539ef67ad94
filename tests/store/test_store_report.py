"""The interface `bouncewise report --db` reads (open_store(url).records()): a report made from
the store gives the same figures as one made from the messages the store was fed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bouncewise.messages import Limits
from bouncewise.store import Store
from bouncewise.store.sources import mail_units

report = pytest.importorskip("bouncewise.report", reason="bouncewise.report is not in this tree")

BOUNCES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"


def test_report_from_the_store_equals_report_from_the_messages(db_url):
    with Store(db_url) as store:
        store.add_units(mail_units(BOUNCES, Limits()))
    from_store = report.build([], db=db_url)
    from_files = report.build([str(BOUNCES)])
    assert from_store["inputs"][0]["kind"] == "store" and from_store["inputs"][0]["error"] is None
    assert from_store["totals"]["records"] > 0
    for key in from_files:
        if key not in ("generated", "inputs"):
            assert from_store[key] == from_files[key], key
