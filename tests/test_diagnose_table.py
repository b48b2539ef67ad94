"""The labelled reply table: real reply texts, each with its source, and the reason, hard/soft
and retry it must get (tests/fixtures/replies/replies.tsv, sources in sources.toml).

The table as a whole must be at least 98% right; the misses are printed so that a change which
costs a few rows shows which ones."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

from bouncewise import reasons
from bouncewise.diagnosis import diagnose

HERE = Path(__file__).parent / "fixtures" / "replies"
TABLE = HERE / "replies.tsv"
SOURCES = tomllib.loads((HERE / "sources.toml").read_text(encoding="utf-8"))["sources"]
MIN_ROWS = 800
MIN_RIGHT = 0.98


def _rows() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        reason, hard, retry, source, text = line.split("\t", 4)
        rows.append((reason, hard, retry, source, text))
    return rows


ROWS = _rows()


def test_table_is_large_and_sourced() -> None:
    assert len(ROWS) >= MIN_ROWS, len(ROWS)
    assert len({text for *_, text in ROWS}) == len(ROWS), "a reply text is listed twice"
    for reason, hard, retry, source, text in ROWS:
        assert source.split()[0] in SOURCES, f"unknown source {source!r} for {text!r}"
        assert reason in reasons.names(), reason
        assert hard in ("hard", "soft") and retry in ("no", "later", "after-fix"), (hard, retry)
        assert text.strip() == text and text


def test_sources_are_used_and_described() -> None:
    used = Counter(source.split()[0] for *_, source, _ in ROWS)
    assert set(SOURCES) == set(used), set(SOURCES) ^ set(used)
    for key, src in SOURCES.items():
        assert src.get("title"), key


def test_table_is_right() -> None:
    misses = []
    for reason, hard, retry, source, text in ROWS:
        d = diagnose(text)
        got = (d.reason, "hard" if d.hardbounce else "soft", d.retry)
        if got != (reason, hard, retry):
            misses.append(f"  want {reason}/{hard}/{retry} got {'/'.join(got)} [{source.split()[0]}] {text[:120]}")
        assert 0.0 <= d.confidence <= 1.0
    right = 1 - len(misses) / len(ROWS)
    print(f"reply table: {len(ROWS) - len(misses)}/{len(ROWS)} right ({right:.2%})")
    print("\n".join(misses))
    assert right >= MIN_RIGHT, f"{right:.2%} right; misses:\n" + "\n".join(misses)


def test_every_reason_family_is_covered() -> None:
    """The table is not about one kind of failure: most of the 34 reasons have rows."""
    have = {reason for reason, *_ in ROWS}
    missing = set(reasons.names()) - have
    # reasons that a bare reply cannot give (they come from the notice's own form)
    assert missing <= {"feedback", "vacation", "suppressed", "undefined", "onhold", "mailererror"}, missing
