"""Load test of `bouncewise serve` on loopback.

Starts the server (2 worker processes by default) on 127.0.0.1 on a free port, then, with a
small keep-alive HTTP/1.1 client written on asyncio (so the client costs little CPU):

- measures requests/s and p50/p99 latency for GET /healthz (the baseline: the framework
  alone), GET /v1/codes/5.1.1, POST /v1/diagnose and POST /v1/parse;
- fires a burst of 200 clients at once, each on its own new connection, and counts errors.

Every phase sends a fixed number of requests and stops by itself. Only 127.0.0.1 is ever
contacted. Target: >= 1,500 diagnose requests/s with p99 < 50 ms.

    python bench/bench_web.py [--requests 4000] [--connections 32] [--workers 2] [--burst 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"  # loopback only, never another address
ROOT = Path(__file__).resolve().parents[1]

REPLIES = [
    "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown in local recipient table",
    "452 4.2.2 <sam@example.org>: Mailbox full, try again later",
    "421 4.7.0 [192.0.2.10] Our system has detected an unusual rate of mail from your IP; try later",
    "550 5.7.1 Service unavailable; client host [192.0.2.44] blocked using a DNS blocklist",
    "554 5.7.5 Message rejected: DMARC policy of the sender's domain says reject",
    "host mx.example.org[192.0.2.1] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)",
]

# A small delivery status notification written for this benchmark (invented addresses).
DSN = (
    b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
    b"To: sender@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Date: Mon, 23 Nov 2026 10:15:02 +0000\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n"
    b"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
    b"Final-Recipient: rfc822; missing@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Remote-MTA: dns; mail.example.org\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 <missing@example.org>: Recipient address rejected: User unknown\r\n\r\n"
    b"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: sender@example.com\r\nTo: missing@example.org\r\n"
    b"Subject: hello\r\n\r\n--b1--\r\n"
)


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000


def build_request(method: str, path: str, body: bytes = b"", ctype: str = "application/json") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: bouncewise-bench\r\n"
    if method == "POST":
        head += f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def run_phase(name: str, port: int, requests: list[bytes], connections: int) -> Phase:
    phase = Phase(name)
    queue = iter(requests)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for req in queue:
                t0 = time.perf_counter()
                writer.write(req)
                try:
                    status, _ = await read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    phase.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                phase.latencies.append(time.perf_counter() - t0)
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
                if status != 200:
                    phase.errors += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    phase.seconds = time.perf_counter() - t0
    return phase


async def run_burst(port: int, clients: int, request: bytes) -> Phase:
    """``clients`` clients, each opening its own connection, all sending at the same moment."""
    phase = Phase(f"burst x{clients}")
    go = asyncio.Event()

    async def client() -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            phase.errors += 1
            return
        await go.wait()
        t0 = time.perf_counter()
        try:
            writer.write(request)
            status, _ = await read_response(reader)
            phase.latencies.append(time.perf_counter() - t0)
            phase.statuses[status] = phase.statuses.get(status, 0) + 1
            if status != 200:
                phase.errors += 1
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            phase.errors += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(0.5)  # let every client connect
    t0 = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    phase.seconds = time.perf_counter() - t0
    return phase


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "bouncewise", "serve",
        "--host", HOST, "--port", str(port), "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                "server exited: " + (proc.stderr.read().decode(errors="replace") if proc.stderr else "")
            )
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start within 30 s")


def check_endpoint(
    port: int, method: str, path: str, body: bytes = b"", ctype: str = "application/json"
) -> bool:
    req = urllib.request.Request(
        f"http://{HOST}:{port}{path}", data=body if method == "POST" else None, method=method,
        headers={"content-type": ctype},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status == 200
    except OSError:
        return False


async def bench(port: int, n: int, connections: int, burst: int) -> list[Phase]:
    diag = [build_request("POST", "/v1/diagnose", json.dumps({"text": t}).encode()) for t in REPLIES]
    phases_spec = [
        ("GET /healthz (baseline)", [build_request("GET", "/healthz")] * n),
        ("GET /v1/codes/5.1.1", [build_request("GET", "/v1/codes/5.1.1")] * n),
        ("POST /v1/diagnose", [diag[i % len(diag)] for i in range(n)]),
        ("POST /v1/parse", [build_request("POST", "/v1/parse", DSN, "message/rfc822")] * max(1, n // 4)),
    ]
    available = {
        "GET /v1/codes/5.1.1": check_endpoint(port, "GET", "/v1/codes/5.1.1"),
        "POST /v1/diagnose": check_endpoint(
            port, "POST", "/v1/diagnose", json.dumps({"text": REPLIES[0]}).encode()
        ),
        "POST /v1/parse": check_endpoint(port, "POST", "/v1/parse", DSN, "message/rfc822"),
    }
    out = []
    for name, reqs in phases_spec:
        if not available.get(name, True):
            print(f"  {name}: not available in this tree (engine part missing), skipped", flush=True)
            continue
        await run_phase(name, port, reqs[: max(50, len(reqs) // 20)], connections)  # warm-up
        out.append(await run_phase(name, port, reqs, connections))
    burst_req = diag[0] if available["POST /v1/diagnose"] else build_request("GET", "/healthz")
    out.append(await run_burst(port, burst, burst_req))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=4000, help="requests per endpoint (parse gets a quarter)")
    ap.add_argument("--connections", type=int, default=32, help="keep-alive connections per phase")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes")
    ap.add_argument("--burst", type=int, default=200, help="clients in the burst")
    ap.add_argument("--check", action="store_true", help="exit 1 when the diagnose target or the burst fails")
    args = ap.parse_args(argv)
    if args.requests < 1 or args.requests > 200_000:
        ap.error("--requests must be between 1 and 200000")

    port = free_port()
    print(f"bouncewise web bench: {args.workers} workers on {HOST}:{port}, {args.connections} connections, "
          f"{args.requests} requests per endpoint, {os.cpu_count()} CPUs (client shares them)", flush=True)  # fmt: skip
    proc = start_server(port, args.workers)
    try:
        try:
            import uvloop  # type: ignore[import-not-found]

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        phases = runner(bench(port, args.requests, args.connections, args.burst))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    print(
        f"\n{'endpoint':<26} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}"
    )
    for p in phases:
        mx = max(p.latencies) * 1000 if p.latencies else float("nan")
        print(
            f"{p.name:<26} {len(p.latencies):>8} {p.rps:>8.0f} {p.pct(50):>8.2f} {p.pct(99):>8.2f} {mx:>8.1f} {p.errors:>6}"
        )
    base = next((p for p in phases if p.name.startswith("GET /healthz")), None)
    diag = next((p for p in phases if p.name == "POST /v1/diagnose"), None)
    burst = phases[-1]
    ok = True
    if diag is not None:
        hit = diag.rps >= 1500 and diag.pct(99) < 50 and diag.errors == 0
        ok &= hit
        rel = f" ({diag.rps / base.rps:.0%} of the /healthz baseline)" if base and base.rps else ""
        print(f"\ndiagnose: {diag.rps:.0f} req/s{rel}, p99 {diag.pct(99):.1f} ms; "
              f"target >= 1500 req/s and p99 < 50 ms: {'met' if hit else 'NOT met'}")  # fmt: skip
    print(f"burst of {args.burst} concurrent clients: {burst.errors} errors, statuses {burst.statuses}, "
          f"slowest {max(burst.latencies) * 1000 if burst.latencies else 0:.0f} ms")  # fmt: skip
    ok &= burst.errors == 0
    return 1 if (args.check and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
