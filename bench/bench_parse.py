"""Benchmark `bouncewise parse` as whole processes, against peers run alternately in the same run.

Workloads (the shapes of issue #15):
  files  the corpus files (../shared/corpus/maildir/bsd, or BOUNCEWISE_CORPUS) given as paths
         to one process;
  mbox   the corpus x10 as one mbox, one process;
  one    one file, one whole process each (what a pipe transport or a per-message hook pays):
         the median over a spread of corpus files, output to a file.
Peers: Perl Sisimai 4 (Debian's libsisimai-perl; skipped with a message when absent) and any
command given with --peer NAME=COMMAND (a shell command that takes message paths, e.g.
--peer go-sisimai='sisimai dump'). Every round runs bouncewise and then each peer on the same
input; a peer's ratio is its time over bouncewise's (above 1: bouncewise is faster). Times are
the medians of the rounds, by wall clock and by CPU (user + system of the process tree): on a
shared machine wall time counts the waits for a CPU, so the CPU ratio is the steadier one.

Then, bouncewise only: --jobs 2 against --jobs 1 on the mbox (alternating; output compared
byte for byte), diagnoses per second of the corpus's Diagnostic-Code texts (in-process,
100,000 calls), and the peak RSS of one process over an mbox of --messages generated bounces.

usage: python bench/bench_parse.py [--repeat R] [--peer NAME=COMMAND ...] [--messages N]
                                   [--skip-memory] [--only files,mbox,one,jobs,diagnose,memory]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BOUNCEWISE_CORPUS") or ROOT.parent / "shared" / "corpus")
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
# Sisimai 4's own dump of each path given (JSON, like `sisimai dump`)
PERL_SISIMAI = ["perl", "-MSisimai", "-e", "print Sisimai->dump($_) for @ARGV"]
TARGETS = {"files": 2.6, "mbox": 2.8, "one": None}  # x Perl Sisimai (issue #15: go-sisimai x1.5 / x2.5)


def run_one(cmd: list[str], out: Path | None = None) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system, children included) and max RSS (KiB) of one
    process; its output goes to ``out`` (or is discarded)."""
    sink = out.open("wb") if out is not None else subprocess.DEVNULL
    try:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
    finally:
        if out is not None:
            sink.close()  # type: ignore[union-attr]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def bw(*args: str) -> list[str]:
    return [PY, "-m", "bouncewise", "parse", "-q", "--format", "ndjson", "--include", "all", *args]


def have_perl_sisimai() -> bool:
    return shutil.which("perl") is not None and subprocess.run(
        ["perl", "-MSisimai", "-e", "1"], capture_output=True
    ).returncode == 0


def corpus_mbox(dest: Path, files: list[Path], times: int) -> Path:
    """The corpus messages, ``times`` over, as one mbox (mboxrd escaping of body From_ lines)."""
    out = dest / f"corpus-x{times}.mbox"
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


def count_messages(path: Path) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from bouncewise.messages import iter_messages

    return sum(1 for _ in iter_messages(path))


class Contest:
    """bouncewise and its peers on one workload, run alternately for ``repeat`` rounds."""

    def __init__(self, peers: dict[str, list[str]], repeat: int, tmp: Path) -> None:
        self.peers = peers
        self.repeat = repeat
        self.tmp = tmp

    def measure(self, paths_per_run: list[list[str]]) -> dict[str, tuple[float, float]]:
        """Median (wall, CPU) per program of running it once on each path list in turn
        (their times summed), over the rounds."""
        programs = {"bouncewise": bw("--jobs", "1"), **self.peers}  # one process, as the peers
        rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in programs}
        for _ in range(self.repeat):
            for name, cmd in programs.items():
                wall = cpu = 0.0
                for paths in paths_per_run:
                    w, c, _ = run_one([*cmd, *paths], self.tmp / "out.txt")
                    wall += w
                    cpu += c
                rounds[name].append((wall, cpu))
        return {
            name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in rounds.items()
        }


def report(label: str, n: int, per: str, times: dict[str, tuple[float, float]], target: float | None) -> None:
    t_bw, c_bw = times["bouncewise"]
    if per == "msg":
        print(f"  {label:<6} bouncewise {n / t_bw:7.0f} msg/s wall {n / c_bw:7.0f} msg/s CPU  ({t_bw:.2f}s, {c_bw:.2f}s CPU)")
    else:
        print(f"  {label:<6} bouncewise {1000 * t_bw / n:6.1f} ms wall {1000 * c_bw / n:6.1f} ms CPU per process")
    for name, (t, c) in times.items():
        if name == "bouncewise":
            continue
        want = f" (target >= {target}x)" if target and name == "perl-sisimai" else ""
        if per == "msg":
            what = f"{n / t:7.0f} msg/s wall {n / c:7.0f} msg/s CPU"
        else:
            what = f"{1000 * t / n:6.1f} ms wall {1000 * c / n:6.1f} ms CPU per process"
        print(f"  {'':<6} {name:<10} {what} | bouncewise is {t / t_bw:4.2f}x wall, {c / c_bw:4.2f}x CPU{want}")


def diagnose_rate(corpus_files: list[Path], calls: int) -> tuple[int, float]:
    """(distinct texts, diagnoses per second) over the Diagnostic-Code texts of the corpus,
    cycled to ``calls`` calls (in-process, tables loaded first)."""
    sys.path.insert(0, str(ROOT / "src"))
    from bouncewise.diagnosis import diagnose
    from bouncewise.messages import iter_messages
    from bouncewise.pipeline import analyse

    texts = []
    for raw in iter_messages(corpus_files):
        for rec in analyse(raw):
            if rec.diagnosticcode:
                texts.append(rec.diagnosticcode)
    if not texts:
        return 0, 0.0
    diagnose(texts[0])
    t = time.perf_counter()
    for i in range(calls):
        diagnose(texts[i % len(texts)], context="bounce")
    return len(texts), calls / (time.perf_counter() - t)


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


def load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:  # pragma: no cover
        return "load unknown"
    return f"load average {one:.1f} / {five:.1f} (1 / 5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="rounds per workload (medians are printed)")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=COMMAND",
                    help="another program to compare: a command that takes message paths")
    ap.add_argument("--one-files", type=int, default=12, help="files (one process each) in the 'one' workload")
    ap.add_argument("--messages", type=int, default=100_000, help="messages in the generated mbox (memory)")
    ap.add_argument("--calls", type=int, default=100_000, help="diagnoses in the diagnosis workload")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--only", default="files,mbox,one,jobs,diagnose,memory", help="workloads to run (comma separated)")
    a = ap.parse_args()
    only = {w.strip() for w in a.only.split(",")}
    if a.skip_memory:
        only.discard("memory")

    # An installed package has its modules byte-compiled and its data caches built; a
    # checkout would otherwise measure compiling them in the first run.
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "src" / "bouncewise")], stdout=subprocess.DEVNULL, check=False)
    subprocess.run([PY, "-m", "bouncewise._data"], stdout=subprocess.DEVNULL, check=False, cwd=ROOT / "src")

    peers: dict[str, list[str]] = {}
    if have_perl_sisimai():
        peers["perl-sisimai"] = PERL_SISIMAI
    else:
        print("Perl Sisimai not installed (apt-get install -y libsisimai-perl): that peer is skipped")
    for spec in a.peer:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command.strip():
            ap.error(f"--peer wants NAME=COMMAND, not {spec!r}")
        cmd = shlex.split(command)
        if shutil.which(cmd[0]) is None:
            print(f"peer {name}: {cmd[0]!r} not found, skipped")
            continue
        peers[name] = cmd

    print(f"bouncewise parse benchmark; {load()}")
    bsd = CORPUS / "maildir" / "bsd"
    with tempfile.TemporaryDirectory(prefix="bw-bench-") as tmp:
        tmpd = Path(tmp)
        contest = Contest(peers, a.repeat, tmpd)
        if bsd.is_dir():
            files = sorted(bsd.glob("*.eml"))
            big = corpus_mbox(tmpd, files, 10)
            n_big = count_messages(big)
            print(f"corpus {bsd}: {len(files)} files; x10 mbox: {n_big} messages; {a.repeat} alternating rounds")
            if "files" in only:
                report("files", len(files), "msg", contest.measure([[str(f) for f in files]]), TARGETS["files"])
            if "mbox" in only:
                report("mbox", n_big, "msg", contest.measure([[str(big)]]), TARGETS["mbox"])
            if "one" in only:
                step = max(1, len(files) // a.one_files)
                some = files[::step][: a.one_files]
                report("one", len(some), "process", contest.measure([[str(f)] for f in some]), TARGETS["one"])
                print("         (target: one message <= 60 ms wall on an idle machine)")
            if "jobs" in only:
                one_out, two_out = tmpd / "jobs1.ndjson", tmpd / "jobs2.ndjson"
                auto_out = tmpd / "jobs-auto.ndjson"
                r1: list[tuple[float, float, int]] = []
                r2: list[tuple[float, float, int]] = []
                ra: list[tuple[float, float, int]] = []
                for _ in range(a.repeat):
                    r1.append(run_one(bw("--jobs", "1", str(big)), one_out))
                    r2.append(run_one(bw("--jobs", "2", str(big)), two_out))
                    ra.append(run_one(bw(str(big)), auto_out))
                t1 = statistics.median(w for w, _, _ in r1)
                t2 = statistics.median(w for w, _, _ in r2)
                ta = statistics.median(w for w, _, _ in ra)
                same = one_out.read_bytes() == two_out.read_bytes() == auto_out.read_bytes()
                print(
                    f"  jobs   mbox --jobs 1 {t1:.2f}s, --jobs 2 {t2:.2f}s, default {ta:.2f}s wall: --jobs 2 is"
                    f" {t1 / t2:4.2f}x --jobs 1 (target >= 1.8x), the default {t1 / ta:4.2f}x;"
                    f" outputs identical and in order: {'yes' if same else 'NO'}"
                )
            if "diagnose" in only:
                distinct, rate = diagnose_rate(files, a.calls)
                print(f"  diagnose {a.calls} Diagnostic-Code texts ({distinct} distinct, cycled): {rate:,.0f}/s (target >= 60,000/s)")
        else:
            print(f"corpus not found at {CORPUS} (set BOUNCEWISE_CORPUS): the corpus workloads are skipped")
        if "memory" in only:
            gen = generated_mbox(tmpd, a.messages)
            secs, cpu, rss = run_one(bw(str(gen)))
            print(
                f"  memory {a.messages} generated messages ({gen.stat().st_size / 1e6:.0f} MB mbox) in {secs:.1f}s"
                f" ({a.messages / secs:.0f} msg/s), max RSS {rss / 1024:.0f} MB (target <= 50 MB)"
            )
    print(f"done; {load()}")


if __name__ == "__main__":
    main()
