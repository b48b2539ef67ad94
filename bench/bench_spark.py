"""Benchmark bouncewise on Spark: local[1] against local[2], and single-process `bouncewise
parse` (and --jobs 2) on the same input as the baseline.

The input is --count messages (the issue's figure is 1,000,000; default here 20,000 so that a
run takes minutes on two cores), the messages of ../shared/corpus/maildir/bsd (or of
tests/fixtures when the corpus is absent) repeated, written as Unix mbox files of
--per-file messages each (an archive's usual shape; Spark reads one file per row and splits
it on the executor). Each Spark run is a fresh process (its own JVM): the time of the job
(read, analyse, write Parquet) is measured apart from the start-up of the session.

Prints records/s of each run and the ratios: local[2] / local[1] (scaling), Spark local[1] /
parse (the cost of Spark on one core), local[2] / parse --jobs 2.

usage: python bench/bench_spark.py [--count N] [--per-file M] [--keep DIR] [--skip-single]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BOUNCEWISE_CORPUS", ROOT.parent / "shared" / "corpus"))
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def sample_messages() -> list[bytes]:
    folder = CORPUS / "maildir" / "bsd"
    if not folder.is_dir():
        folder = ROOT / "tests" / "fixtures"
        print(f"(corpus not found at {CORPUS}: using the test fixtures)")
    files = sorted(p for p in folder.rglob("*.eml") if p.is_file())
    return [p.read_bytes().replace(b"\r\n", b"\n") for p in files]


def _escape(data: bytes) -> bytes:
    """mboxrd: a line starting with 'From ' (or '>From ') gains one '>'."""
    lines = data.split(b"\n")
    return b"\n".join(b">" + ln if ln.lstrip(b">").startswith(b"From ") else ln for ln in lines)


def build_input(folder: Path, count: int, per_file: int) -> tuple[int, int]:
    """Write ``count`` messages as mbox files into ``folder``; (files, bytes)."""
    msgs = [_escape(m).rstrip(b"\n") + b"\n\n" for m in sample_messages()]
    sep = b"From MAILER-DAEMON Sat Dec  5 10:00:00 2026\n"
    folder.mkdir(parents=True, exist_ok=True)
    files = size = 0
    n = 0
    while n < count:
        take = min(per_file, count - n)
        chunk = b"".join(sep + msgs[(n + i) % len(msgs)] for i in range(take))
        (folder / f"part-{files:06d}.mbox").write_bytes(chunk)
        files += 1
        size += len(chunk)
        n += take
    return files, size


def spark_worker(master: str, inputs: str, output: str) -> None:
    """Run in a child process: one Spark job, timings as JSON on stdout."""
    t0 = time.perf_counter()
    from bouncewise.spark import job, session

    spark = session(master, app_name=f"bench {master}")
    spark.range(1).count()  # the executor (and its Python daemon) started
    t1 = time.perf_counter()
    counts = job.parse_job(spark, [inputs], output, overwrite=True)
    t2 = time.perf_counter()
    spark.stop()
    print(json.dumps({"startup": t1 - t0, "job": t2 - t1, "records": counts.records, "messages": counts.messages}))


def run_spark(master: str, inputs: Path, output: Path) -> dict:
    proc = subprocess.run([PY, __file__, "--worker", master, str(inputs), str(output)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"spark run {master} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_parse(inputs: Path, jobs: int) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run([PY, "-m", "bouncewise", "parse", "--format", "ndjson", "--jobs", str(jobs), str(inputs)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t, proc.stdout.count(b"\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=20_000, help="messages (the issue's figure: 1000000)")
    ap.add_argument("--per-file", type=int, default=500, help="messages per mbox file")
    ap.add_argument("--keep", type=Path, default=None, help="build (or reuse) the input here and keep it")
    ap.add_argument("--skip-single", action="store_true", help="no single-process baseline")
    ap.add_argument("--worker", nargs=3, metavar=("MASTER", "INPUT", "OUTPUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        spark_worker(*args.worker)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    try:
        inputs = args.keep or tmp / "input"
        if not (inputs.is_dir() and any(inputs.iterdir())):
            files, size = build_input(inputs, args.count, args.per_file)
            print(f"input: {args.count} messages in {files} mbox files, {size / 1e6:.0f} MB ({inputs})")
        results: dict[str, tuple[float, int]] = {}
        if not args.skip_single:
            for jobs in (1, 2):
                secs, recs = run_parse(inputs, jobs)
                results[f"parse --jobs {jobs}"] = (secs, recs)
                print(f"parse --jobs {jobs:<8} {recs:>9} records {secs:8.1f} s {recs / secs:9.0f} records/s")
        for master in ("local[1]", "local[2]"):
            r = run_spark(master, inputs, tmp / f"out-{master[6]}")
            results[f"spark {master}"] = (r["job"], r["records"])
            print(f"spark {master:<12} {r['records']:>9} records {r['job']:8.1f} s {r['records'] / r['job']:9.0f} records/s"
                  f"  (+{r['startup']:.1f} s start-up; {r['messages']} messages)")

        def rate(name: str) -> float:
            secs, recs = results[name]
            return recs / secs

        print(f"scaling spark local[2] / local[1]:        {rate('spark local[2]') / rate('spark local[1]'):.2f}x")
        if not args.skip_single:
            print(f"spark local[1] / parse --jobs 1:          {rate('spark local[1]') / rate('parse --jobs 1'):.2f}x")
            print(f"spark local[2] / parse --jobs 2:          {rate('spark local[2]') / rate('parse --jobs 2'):.2f}x")
            same = results["parse --jobs 1"][1] == results["spark local[1]"][1] == results["spark local[2]"][1]
            print(f"same record count in every run: {'yes' if same else 'NO'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
