"""Benchmark `bouncewise report` as a whole process, against baselines run in the same process
tree (so that a busy machine weighs on both alike).

1. ../shared/corpus/maildir/bsd: `report -o FILE` against `parse --format ndjson` of the same
   directory (the analysis alone). Prints both wall times and the ratio (target: the report
   costs at most 1.5x the parse it includes; and under 5 s, the issue's limit).
2. 100,000 generated NDJSON records (tests/report_data.py): `report -o FILE` against reading
   and decoding the same file in a bare Python process (json.loads per line). Prints the
   ratio, the report's max RSS and its size (target: < 1 MB).

usage: python bench/bench_report.py [--repeat R] [--records N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BOUNCEWISE_CORPUS", str(ROOT.parent / "shared" / "corpus")))
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
READ_ONLY = "import json,sys\nfor line in open(sys.argv[1], 'rb'):\n    json.loads(line)\n"


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall time and max RSS (KiB) of one process, output discarded."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - t, usage.ru_maxrss


def best_pair(a: list[str], b: list[str], repeat: int) -> tuple[tuple[float, int], tuple[float, int]]:
    ra, rb = [], []
    for _ in range(repeat):
        ra.append(run(a))
        rb.append(run(b))
    return min(ra), min(rb)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--records", type=int, default=100_000)
    args = ap.parse_args()
    bw = [PY, "-m", "bouncewise"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.html"
        bsd = CORPUS / "maildir" / "bsd"
        if bsd.is_dir():
            (rep, _), (par, _) = best_pair(
                [*bw, "report", str(bsd), "-o", str(out), "-q"], [*bw, "parse", "--format", "ndjson", "-q", str(bsd)],
                args.repeat,
            )
            verdict = "ok" if rep <= 5 and rep / par <= 1.5 else "OVER TARGET"
            print(f"corpus bsd: report {rep:.2f} s, parse {par:.2f} s, ratio {rep / par:.2f}x, "
                  f"page {out.stat().st_size:,} bytes [{verdict}]")
        else:
            print(f"corpus not found at {CORPUS}: part 1 skipped")
        sys.path.insert(0, str(ROOT / "tests"))
        from report_data import write_ndjson

        nd = write_ndjson(Path(tmp) / "big.ndjson", args.records)
        (rep, rss), (base, _) = best_pair([*bw, "report", str(nd), "-o", str(out), "-q"], [PY, "-c", READ_ONLY, str(nd)],
                                          args.repeat)
        size = out.stat().st_size
        print(f"{args.records:,} NDJSON records ({nd.stat().st_size:,} bytes): report {rep:.2f} s, json.loads alone "
              f"{base:.2f} s, ratio {rep / base:.2f}x, max RSS {rss / 1024:.0f} MB, page {size:,} bytes "
              f"[{'ok' if size < 1_000_000 else 'OVER 1 MB'}]")


if __name__ == "__main__":
    main()
