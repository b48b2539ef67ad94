"""Benchmark bouncewise on Spark: local[1] against local[2], and single-process `bouncewise
parse` (and --jobs 2) on the same input as the baseline.

The input is --count messages (the issue's figure is 1,000,000; default here 20,000 so that a
run takes minutes on two cores), the messages of ../shared/corpus/maildir/bsd (or of
tests/fixtures when the corpus is absent) repeated, written as Unix mbox files of
--per-file messages each (an archive's usual shape; Spark reads one file per row and splits
it on the executor). Each Spark run is a fresh process (its own JVM): the time of the job
(read, analyse, write Parquet) is measured apart from the start-up of the session.

Prints records/s (wall time) and records per CPU-second (all processes of the run: the JVM,
PySpark's Python workers, parse's workers) of each run, and the wall-time ratios: local[2] / local[1] (scaling), Spark local[1] /
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


def _redate(data: bytes, day: int) -> bytes:
    """The message with its own Date header set to one of the first days of December 2026
    (a day's archive has bounces of a few dates, not the corpus's thirty years)."""
    head_end = data.find(b"\n\n")
    head = data[: head_end if head_end >= 0 else len(data)]
    start = 0 if head.startswith(b"Date:") else head.find(b"\nDate:") + 1
    if start == 0 and not head.startswith(b"Date:"):
        return data
    end = data.find(b"\n", start)
    while end >= 0 and data[end + 1 : end + 2] in (b" ", b"\t"):  # folded header
        end = data.find(b"\n", end + 1)
    end = len(data) if end < 0 else end
    return data[:start] + f"Date: Fri, {day} Dec 2026 10:00:00 +0000".encode() + data[end:]


def build_input(folder: Path, count: int, per_file: int, dates: int = 3) -> tuple[int, int]:
    """Write ``count`` messages as mbox files into ``folder``; (files, bytes). ``dates`` > 0:
    each message's Date header becomes one of that many days."""
    msgs = [_escape(m).rstrip(b"\n") + b"\n\n" for m in sample_messages()]
    if dates > 0:
        msgs = [_redate(m, 1 + i % dates) for i, m in enumerate(msgs)]
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


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and all its descendants (the JVM,
    PySpark's daemon and workers), read from /proc (Linux); 0.0 elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in Path("/proc").glob("[0-9]*"):
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(fields[1])
        cpu[int(d.name)] = sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
    total = 0.0
    for pid, t in cpu.items():
        p = pid
        while p and p != root:
            p = parent.get(p, 0)
        if p == root:
            total += t
    return total


def spark_worker(master: str, inputs: str, output: str) -> None:
    """Run in a child process: one Spark job, timings as JSON on stdout."""
    t0 = time.perf_counter()
    from bouncewise.spark import frames, job, session

    spark = session(master, app_name=f"bench {master}")
    one = spark.createDataFrame([("warm.eml", b"Subject: x\n\nhello\n")], "path string, content binary")
    frames.parse_messages(one).count()  # the executor and its Python daemon started
    t1, c1 = time.perf_counter(), tree_cpu(os.getpid())
    analysed = frames.parse_messages(frames.read_messages(spark, [inputs])).count()
    t2, c2 = time.perf_counter(), tree_cpu(os.getpid())
    counts = job.parse_job(spark, [inputs], output, overwrite=True)
    t3, c3 = time.perf_counter(), tree_cpu(os.getpid())
    spark.stop()
    print(json.dumps({"startup": t1 - t0, "analyse": t2 - t1, "analyse_cpu": c2 - c1, "analysed": analysed,
                      "job": t3 - t2, "cpu": c3 - c2, "records": counts.records, "messages": counts.messages}))


def run_spark(master: str, inputs: Path, output: Path) -> dict:
    proc = subprocess.run([PY, __file__, "--worker", master, str(inputs), str(output)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"spark run {master} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_parse(inputs: Path, jobs: int) -> tuple[float, float, int]:
    """Wall time, CPU time (the process and its workers) and records of `bouncewise parse`."""
    t = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "bouncewise", "parse", "--format", "ndjson", "--jobs", str(jobs), str(inputs)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: proc.stdout.read(1 << 20), b""))
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=20_000, help="messages (the issue's figure: 1000000)")
    ap.add_argument("--per-file", type=int, default=100, help="messages per mbox file")
    ap.add_argument("--dates", type=int, default=3,
                    help="days the messages' Date headers are spread over (0: keep the corpus's own dates)")
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
            files, size = build_input(inputs, args.count, args.per_file, args.dates)
            print(f"input: {args.count} messages in {files} mbox files, {size / 1e6:.0f} MB ({inputs})")
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        results: dict[str, tuple[float, float, int]] = {}

        def show(name: str, secs: float, cpu: float, recs: int, note: str = "") -> None:
            results[name] = (secs, cpu, recs)
            print(f"{name:<16} {recs:>9} records {secs:7.1f} s {recs / secs:7.0f} records/s"
                  f"   CPU {cpu:7.1f} s {recs / cpu if cpu else 0:7.0f} records/CPU-s{note}")

        if not args.skip_single:
            for jobs in (1, 2):
                show(f"parse --jobs {jobs}", *run_parse(inputs, jobs))
        for master in ("local[1]", "local[2]"):
            r = run_spark(master, inputs, tmp / f"out-{master[6]}")
            show(f"analyse {master}", r["analyse"], r["analyse_cpu"], r["analysed"],
                 f"   (mapInArrow and count; +{r['startup']:.1f} s start-up)")
            show(f"spark {master}", r["job"], r["cpu"], r["records"],
                 f"   (the CLI's job: Parquet by date, counts read back; {r['messages']} messages)")

        def rate(name: str) -> float:
            secs, _, recs = results[name]
            return recs / secs

        print(f"scaling analyse local[2] / local[1]:      {rate('analyse local[2]') / rate('analyse local[1]'):.2f}x")
        print(f"scaling spark local[2] / local[1]:        {rate('spark local[2]') / rate('spark local[1]'):.2f}x")
        if not args.skip_single:
            print(f"analyse local[1] / parse --jobs 1:        {rate('analyse local[1]') / rate('parse --jobs 1'):.2f}x")
            print(f"spark local[1] / parse --jobs 1:          {rate('spark local[1]') / rate('parse --jobs 1'):.2f}x")
            print(f"spark local[2] / parse --jobs 2:          {rate('spark local[2]') / rate('parse --jobs 2'):.2f}x")
            same = results["parse --jobs 1"][2] == results["spark local[1]"][2] == results["spark local[2]"][2]
            print(f"same record count in every run: {'yes' if same else 'NO'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
