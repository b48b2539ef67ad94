"""Log lines scanned per second on a generated 1,000,000-line mixed mail log.

Usage: python bench/bench_logscan.py [LINES]   (default 1000000)
Writes the log to a temporary file (Postfix, Exim and Sendmail lines; about one line in ten
is a failed or deferred delivery, as in a busy real log), then compares a plain
`for line in file` loop (the baseline) with bouncewise's scan. Prints peak RSS.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bouncewise.logscan import open_log, scan  # noqa: E402

FAIL = [
    "550 5.1.1 <{r}>: Recipient address rejected: User unknown in local recipient table",
    "452 4.2.2 Mailbox full",
    "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.",
    "421 4.7.0 Too many concurrent SMTP connections; please try again later",
    "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org",
    "451 4.7.1 Greylisting in action, please come back in 5 minutes",
]
NOISE = [
    "{ts} mx1 postfix/smtpd[1{n}]: connect from unknown[192.0.2.{k}]",
    "{ts} mx1 postfix/cleanup[2{n}]: {q}: message-id=<{n}@example.com>",
    "{ts} mx1 postfix/qmgr[3{n}]: {q}: from=<s{n}@example.com>, size=1234, nrcpt=1 (queue active)",
    "{ts} mx1 postfix/smtpd[1{n}]: disconnect from unknown[192.0.2.{k}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
    "{ts} mx1 postfix/qmgr[3{n}]: {q}: removed",
    "{ts} mx1 dovecot: imap-login: Login: user=<u{n}@example.org>, method=PLAIN",
]


def generate(path: str, lines: int) -> None:
    rnd = random.Random(7)
    with open(path, "w", encoding="utf-8") as fh:
        for n in range(lines):
            ts = f"Nov 23 10:00:{n % 60:02d}"
            q = f"{n * 7919 % 0xFFFFFFFFFF:010X}"
            r = f"u{n % 50000}@example{n % 113}.org"
            x = rnd.random()
            if x < 0.08:
                fail = rnd.choice(FAIL).format(r=r)
                st, dsn = ("deferred", "4.0.0") if fail[0] == "4" else ("bounced", "5.0.0")
                fh.write(f"{ts} mx1 postfix/smtp[4{n % 999}]: {q}: to=<{r}>, relay=mx.example{n % 113}.org[192.0.2.{n % 250}]:25, delay=1, delays=0/0/0.5/0.5, dsn={dsn}, status={st} (host mx.example{n % 113}.org[192.0.2.{n % 250}] said: {fail} (in reply to RCPT TO command))\n")
            elif x < 0.10:
                fh.write(f"2026-11-23 10:00:{n % 60:02d} 1tAb{n % 99:02d}-000AbC-12 ** {r} R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.10]: SMTP error from remote mail server after RCPT TO:<{r}>: {rnd.choice(FAIL).format(r=r)}\n")
            elif x < 0.25:
                fh.write(f"{ts} mx1 postfix/smtp[4{n % 999}]: {q}: to=<{r}>, relay=mx.example.org[192.0.2.10]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)\n")
            else:
                fh.write(rnd.choice(NOISE).format(ts=ts, n=n % 9999, k=n % 250, q=q) + "\n")


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    fd, path = tempfile.mkstemp(suffix=".log")
    os.close(fd)
    try:
        generate(path, lines)
        t0 = time.perf_counter()
        with open(path, encoding="utf-8", errors="replace") as fh:
            for _line in fh:
                pass
        baseline = time.perf_counter() - t0

        t0 = time.perf_counter()
        records = 0
        with open_log(path) as fh:
            for _rec in scan(fh):
                records += 1
        took = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"lines: {lines}  records: {records}  time: {took:.2f}s  rate: {lines / took:,.0f} lines/s (target >= 200,000)")
        print(f"baseline (for line in file): {lines / baseline:,.0f} lines/s; scan costs {took / baseline:.1f}x the baseline")
        print(f"peak RSS: {rss:.1f} MiB")
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
