"""Benchmark `bouncewise parse` as a whole process.

1. Throughput on ../shared/corpus/maildir/bsd (and on an mbox of it repeated 10 times),
   against Debian's Perl Sisimai (`apt-get install -y libsisimai-perl`) in the same run:
   messages/s of each and the ratio (target: bouncewise >= 3x Sisimai), by wall time and
   by CPU time (the two programs run alternately; best of --repeat runs each).
2. --jobs 2 against --jobs 1 on the repeated mbox (target: >= 1.7x).
3. Memory: an mbox of 100,000 generated bounces (written by this script), max RSS of the
   parse process (target: < 200 MB).

usage: python bench/bench_parse.py [--messages N] [--repeat R] [--skip-memory]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BOUNCEWISE_CORPUS") or ROOT.parent / "shared" / "corpus")
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
SISIMAI = ["perl", "-MSisimai", "-e", "print Sisimai->dump(shift)"]


def run_full(cmd: list[str]) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system) and max RSS (KiB) of one process, output discarded."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall time and max RSS (KiB) of one process, output discarded."""
    wall, _, rss = run_full(cmd)
    return wall, rss


def best(cmd: list[str], repeat: int) -> float:
    return min(run(cmd)[0] for _ in range(repeat))


def best_pair(a: list[str], b: list[str], repeat: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best (wall, CPU) of each of two commands, run alternately so that a busy machine
    weighs on both alike. With only one process at a time, CPU time is what the work
    costs; wall time also counts waiting for a CPU another program holds."""
    ra: list[tuple[float, float]] = []
    rb: list[tuple[float, float]] = []
    for _ in range(repeat):
        ra.append(run_full(a)[:2])
        rb.append(run_full(b)[:2])
    return (min(w for w, _ in ra), min(c for _, c in ra)), (min(w for w, _ in rb), min(c for _, c in rb))


def bw(*args: str) -> list[str]:
    return [PY, "-m", "bouncewise", "parse", "-q", "--format", "ndjson", "--include", "all", *args]


def count_messages(path: Path) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from bouncewise.messages import iter_messages

    return sum(1 for _ in iter_messages(path))


def have_sisimai() -> bool:
    return shutil.which("perl") is not None and subprocess.run(
        ["perl", "-MSisimai", "-e", "1"], capture_output=True
    ).returncode == 0


def corpus_mbox(dest: Path, times: int) -> Path:
    """The corpus messages, `times` over, as one mbox (mboxrd escaping of body From_ lines)."""
    out = dest / f"corpus-x{times}.mbox"
    files = sorted((CORPUS / "maildir" / "bsd").glob("*.eml"))
    with out.open("wb") as fh:
        for _ in range(times):
            for f in files:
                data = f.read_bytes().replace(b"\r\n", b"\n")
                if data.startswith(b"From "):
                    fh.write(data.rstrip(b"\n") + b"\n\n")
                    continue
                fh.write(b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n")
                fh.write(data.replace(b"\nFrom ", b"\n>From ").rstrip(b"\n") + b"\n\n")
    return out


DSN = """From MAILER-DAEMON Mon Mar  2 10:00:00 2026
From: MAILER-DAEMON@mx.example.com
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 2 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b{n}"

--b{n}
Content-Type: text/plain

Your message to user{n}@example.org could not be delivered.

--b{n}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; user{n}@example.org
Action: failed
Status: 5.{a}.{b}
Diagnostic-Code: smtp; 55{c} 5.{a}.{b} mailbox problem number {n}

--b{n}
Content-Type: text/rfc822-headers

From: sender@example.com
To: user{n}@example.org
Subject: Newsletter {n}
Message-ID: <nl-{n}@example.com>

--b{n}--

"""


def generated_mbox(dest: Path, n: int) -> Path:
    out = dest / f"generated-{n}.mbox"
    with out.open("w") as fh:
        for i in range(n):
            fh.write(DSN.format(n=i, a=1 + i % 3, b=i % 2, c=i % 4))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=100_000, help="messages in the generated mbox (memory test)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    ap.add_argument("--skip-memory", action="store_true")
    a = ap.parse_args()

    # An installed package has its modules byte-compiled; a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module from source in every
    # process and measure that instead. (Stale .pyc files are ignored by Python.)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "src" / "bouncewise")], stdout=subprocess.DEVNULL, check=False)
    # Likewise the parsed-data caches of the TOML tables (bouncewise._data), which the first
    # run would write anyway.
    subprocess.run([PY, "-m", "bouncewise._data"], stdout=subprocess.DEVNULL, check=False, cwd=ROOT / "src")
    with tempfile.TemporaryDirectory(prefix="bw-bench-") as tmp:
        tmpd = Path(tmp)
        if (CORPUS / "maildir" / "bsd").is_dir():
            bsd = CORPUS / "maildir" / "bsd"
            big = corpus_mbox(tmpd, 10)
            n_bsd, n_big = count_messages(bsd), count_messages(big)
            sis = have_sisimai()
            print(f"corpus maildir/bsd: {n_bsd} messages; x10 mbox: {n_big} messages")
            for label, path, n in (("maildir/bsd", bsd, n_bsd), ("x10 mbox", big, n_big)):
                if not sis:
                    t_bw = best(bw(str(path)), a.repeat)
                    print(f"  {label:<12} bouncewise {t_bw:6.2f}s {n / t_bw:8.0f} msg/s")
                    continue
                (t_bw, c_bw), (t_s, c_s) = best_pair(bw(str(path)), [*SISIMAI, str(path)], a.repeat)
                print(
                    f"  {label:<12} bouncewise {t_bw:6.2f}s {n / t_bw:8.0f} msg/s | Perl Sisimai {t_s:6.2f}s"
                    f" {n / t_s:8.0f} msg/s | ratio {t_s / t_bw:4.2f}x wall, {c_s / c_bw:4.2f}x CPU"
                    f" ({c_bw:.2f}s vs {c_s:.2f}s) (target >= 3x)"
                )
            if not sis:
                print("  (Perl Sisimai not installed: apt-get install -y libsisimai-perl)")
            t1 = best(bw("--jobs", "1", str(big)), a.repeat)
            t2 = best(bw("--jobs", "2", str(big)), a.repeat)
            print(f"  --jobs 1 {t1:6.2f}s  --jobs 2 {t2:6.2f}s  speed-up {t1 / t2:4.2f}x (target >= 1.7x; {os.cpu_count()} CPUs)")
        else:
            print(f"corpus not found at {CORPUS}: throughput comparison skipped")
        if not a.skip_memory:
            gen = generated_mbox(tmpd, a.messages)
            secs, rss = run(bw(str(gen)))
            print(
                f"memory: {a.messages} generated messages ({gen.stat().st_size / 1e6:.0f} MB mbox) in {secs:.1f}s"
                f" ({a.messages / secs:.0f} msg/s), max RSS {rss / 1024:.0f} MB (target < 200 MB)"
            )


if __name__ == "__main__":
    main()
