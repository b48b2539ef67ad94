"""The reply table: real-world reply texts with the expected reason, hard/soft and retry."""

from __future__ import annotations

from pathlib import Path

import pytest

from bouncewise.diagnosis import diagnose

TABLE = Path(__file__).parent / "fixtures" / "replies" / "replies.tsv"


def _rows() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        reason, hard, retry, source, text = line.split("\t", 4)
        rows.append((reason, hard, retry, source, text))
    return rows


ROWS = _rows()


def test_table_is_large_enough() -> None:
    assert len(ROWS) >= 200
    assert all(src for _, _, _, src, _ in ROWS), "every row names its source"


@pytest.mark.parametrize(("reason", "hard", "retry", "source", "text"), ROWS, ids=[r[4][:60] for r in ROWS])
def test_reply(reason: str, hard: str, retry: str, source: str, text: str) -> None:
    d = diagnose(text)
    assert d.reason == reason, (d.reason, d.evidence)
    assert d.hardbounce is (hard == "hard")
    assert d.retry == retry
    assert 0.0 <= d.confidence <= 1.0
