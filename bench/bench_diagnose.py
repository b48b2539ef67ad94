"""Replies diagnosed per second on one core, against a baseline measured in the same run.

Usage: python bench/bench_diagnose.py [N]   (default 200000 replies)
The replies are the project's reply table (tests/fixtures/replies/replies.tsv) with the
addresses varied, so no two consecutive texts are equal (5,000 distinct texts). The engine's
caches key on the facts read from a text (docs/diagnose.md, Performance), never on the text
itself, so every call still reads its whole text. Prints peak RSS.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bouncewise.diagnosis import diagnose  # noqa: E402


def replies() -> list[str]:
    out = []
    for line in (ROOT / "tests" / "fixtures" / "replies" / "replies.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.append(line.split("\t", 4)[4])
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    base = replies()
    texts = [f"{t} <user{i % 9973}@example{i % 97}.org>" for i, t in zip(range(5000), base * 50, strict=False)]
    diagnose(texts[0])  # load the tables once

    t0 = time.perf_counter()
    for i in range(n):
        texts[i % len(texts)].lower()
    baseline = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i in range(n):
        diagnose(texts[i % len(texts)])
    took = time.perf_counter() - t0

    rate = n / took
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"replies: {n}  time: {took:.2f}s  rate: {rate:,.0f} replies/s (target >= 50,000)")
    print(f"baseline (str.lower per reply): {n / baseline:,.0f}/s; diagnose costs {took / baseline:.1f}x the baseline")
    print(f"peak RSS: {rss:.1f} MiB")


if __name__ == "__main__":
    main()
