#!/usr/bin/env python3
"""How fast does ``bouncewise explain`` answer as a fresh process?

Runs each command N times as a new process (output piped, as in scripts; and with colours
forced, which loads rich) and prints the median and worst wall time, next to a
``python -c pass`` baseline measured in the same run and the ratio to it. The target is an
answer in under 150 ms.

    python bench/bench_explain.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

TARGET_MS = 150.0


def measure(cmd: list[str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    py = sys.executable
    cases = {
        "python -c pass (baseline)": [py, "-c", "pass"],
        "explain 5.1.1 (piped)": [py, "-m", "bouncewise", "explain", "5.1.1"],
        "explain '550 5.1.1' (piped)": [py, "-m", "bouncewise", "explain", "550 5.1.1"],
        "explain 5.7.606 --json": [py, "-m", "bouncewise", "explain", "5.7.606", "--json"],
        "explain 4.2.1 --color (rich)": [py, "-m", "bouncewise", "explain", "4.2.1", "--color"],
        "codes --class 5 (piped)": [py, "-m", "bouncewise", "codes", "--class", "5"],
    }
    measure(cases["explain 5.1.1 (piped)"], 2)  # warm the file cache and .pyc files
    base = None
    worst_explain = 0.0
    print(f"{'command':<32} {'median ms':>10} {'max ms':>8} {'x baseline':>11}")
    for name, cmd in cases.items():
        t = measure(cmd, n)
        med = statistics.median(t)
        if base is None:
            base = med
        if name.startswith("explain"):
            worst_explain = max(worst_explain, med)
        print(f"{name:<32} {med:>10.1f} {max(t):>8.1f} {med / base:>10.1f}x")
    verdict = "OK" if worst_explain < TARGET_MS else "OVER TARGET"
    print(f"slowest explain median: {worst_explain:.1f} ms (target < {TARGET_MS:.0f} ms): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
