"""`bouncewise serve`: options, the shared listening socket, a real server with two worker
processes on loopback, and that the core never imports the web stack."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from bouncewise.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_serve_help_lists_the_options() -> None:
    r = CliRunner().invoke(main, ["serve", "--help"])
    assert r.exit_code == 0, r.output
    for opt in (
        "--host",
        "--port",
        "--workers",
        "--max-body",
        "--timeout",
        "--max-concurrency",
        "--cors-origin",
    ):
        assert opt in r.output
    assert "127.0.0.1" in r.output and "8025" in r.output


def test_serve_rejects_a_bad_port() -> None:
    r = CliRunner().invoke(main, ["serve", "--port", "70000"])
    assert r.exit_code == 2


def test_core_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, bouncewise, bouncewise.cli, bouncewise.cli.serve, bouncewise.web; "
        "import bouncewise.reasons; bouncewise.reasons.names(); "
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_shared_socket_turns_nagle_off() -> None:
    pytest.importorskip("uvicorn")
    from bouncewise.cli.serve import _bind

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert sock.get_inheritable()
    finally:
        sock.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_server_with_two_workers() -> None:
    pytest.importorskip("uvicorn")
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "bouncewise", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", "2", "--max-body", "2000", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    assert json.load(r) == {"status": "ok"}
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"server did not start: {err[-2000:]}")
                time.sleep(0.1)
        # the settings reach the worker processes
        req = urllib.request.Request(base + "/v1/parse", data=b"x" * 3000, method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        assert info.value.code == 413
        assert info.value.headers["content-type"] == "application/problem+json"
        assert json.loads(info.value.read())["limit"] == 2000
        # several requests over several connections all succeed
        for _ in range(20):
            with urllib.request.urlopen(base + "/version", timeout=5) as r:
                assert r.status == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
