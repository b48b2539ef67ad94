"""End to end in a real headless Chromium: `bouncewise serve` on loopback, a search, a code
page, a pasted bounce diagnosed. Screenshots go to tests/e2e/screenshots/ (git-ignored).

Needs Debian's /usr/bin/chromium and the `playwright` Python package (tests/e2e/install.sh
installs both; Playwright's own browser download is never used). Skips with a message when
either is missing, or when the engine parts the page needs are not built yet.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHOTS = HERE / "screenshots"
CHROMIUM = Path(os.environ.get("BOUNCEWISE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sys.path.insert(0, str(HERE.parent))
from conftest import have  # noqa: E402
from test_web_samples import DSN  # noqa: E402


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: run `bash tests/e2e/install.sh` as root to install chromium"
    try:
        importlib.import_module("playwright.sync_api")
    except ImportError:
        return "the playwright package is not installed: run `bash tests/e2e/install.sh`"
    try:
        importlib.import_module("fastapi")
    except ImportError:
        return "the web extra is not installed"
    for module, attr in [
        ("bouncewise.knowledge", "explain"),
        ("bouncewise.diagnosis", "diagnose"),
        ("bouncewise.pipeline", "parse"),
    ]:
        if not have(module, attr):
            return f"{module}.{attr} is not built yet"
    return None


_reason = _skip_reason()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bouncewise", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"server did not start:\n{out[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _page(browser: Browser, base: str, width: int = 1200, height: int = 900) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=base)
    page = context.new_page()
    # Only the server on loopback may be reached.
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(base) else route.abort(),
    )
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_search_open_code_page_and_diagnose(server: str, browser: Browser) -> None:
    page = _page(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("bounce")
    _shot(page, "01-home")

    # instant results while typing
    box = page.get_by_label("Look up a code, a family or a few words")
    box.press_sequentially("5.1.1", delay=30)
    results = page.locator("#q-results a")
    expect(results.first).to_be_visible()
    expect(page.locator("#q-results")).to_contain_text("5.1.1")
    _shot(page, "02-instant-results")

    # Enter submits the form: an exact code goes straight to its page
    box.press("Enter")
    page.wait_for_url("**/code/5.1.1")
    expect(page.locator("h1")).to_contain_text("5.1.1")
    expect(page.locator("main h2").first).to_be_visible()
    _shot(page, "03-code-page")

    # paste a whole bounce message and diagnose it
    page.goto("/diagnose")
    page.get_by_label("Paste a reply, a mail-log line or a whole bounce message").fill(DSN.decode())
    page.get_by_role("button", name="Diagnose").click()
    page.wait_for_url("**/diagnose")
    result = page.locator("article.result").first
    expect(result).to_contain_text("nobody-here@example.org")
    expect(result.locator("mark").first).to_be_visible()
    _shot(page, "04-diagnosis")

    assert not errors, errors


def test_works_without_javascript(server: str, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=server)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Look up a code, a family or a few words").fill("550")
    page.get_by_role("button", name="Look up").click()
    page.wait_for_url("**/code/550")
    expect(page.locator("h1")).to_contain_text("550")
    page.goto("/codes?class=4")
    expect(page.locator("table.codes a").first).to_be_visible()
    context.close()


def test_phone_screen(server: str, browser: Browser) -> None:
    page = _page(browser, server, width=390, height=844)
    page.goto("/code/5.7.1")
    expect(page.locator("h1")).to_contain_text("5.7.1")
    page.wait_for_load_state("load")
    # nothing wider than the screen
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    _shot(page, "05-phone-code-page")
    page.goto("/diagnose")
    page.get_by_label("Paste a reply, a mail-log line or a whole bounce message").fill(
        "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown\n"
        "452 4.2.2 <sam@example.org>: Mailbox full, try again later"
    )
    page.get_by_role("button", name="Diagnose").click()
    expect(page.locator("article.result")).to_have_count(2)
    page.wait_for_load_state("load")  # the stylesheet too
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    _shot(page, "06-phone-diagnosis")


def test_keyboard_navigation(server: str, browser: Browser) -> None:
    page = _page(browser, server)
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    box = page.get_by_label("Look up a code, a family or a few words")
    box.focus()
    box.press_sequentially("quota", delay=20)
    expect(page.locator("#q-results a").first).to_be_visible()
    box.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('#q-results') !== null")
    page.keyboard.press("Enter")
    page.wait_for_url("**/code/**")
    expect(page.locator("h1")).to_be_visible()
