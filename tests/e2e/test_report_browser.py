"""The report in a real headless Chromium, looked at as a person would: opened from a file
with no network at all, every chart drawn, the numbers on the page equal to the NDJSON it was
made from, the CSV download, the links from the actions to their records, a phone-width
window, and /report of `bouncewise serve`. Screenshots go to tests/e2e/screenshots/.

Inputs: the shared corpus (BOUNCEWISE_CORPUS, default ../shared/corpus beside the repository;
skipped when absent) and a generated 100,000-record NDJSON (tests/report_data.py).
Needs /usr/bin/chromium and playwright (tests/e2e/install.sh); skips without them.
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHOTS = HERE / "screenshots"
CHROMIUM = Path(os.environ.get("BOUNCEWISE_CHROMIUM", "/usr/bin/chromium"))
CORPUS = Path(os.environ.get("BOUNCEWISE_CORPUS", str(ROOT.parent / "shared" / "corpus")))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
CHARTS = {"reasons", "hardsoft", "who", "providers", "domains", "time"}

sys.path.insert(0, str(HERE.parent))


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: run `bash tests/e2e/install.sh` as root to install chromium"
    try:
        importlib.import_module("playwright.sync_api")
    except ImportError:
        return "the playwright package is not installed: run `bash tests/e2e/install.sh`"
    return None


_reason = _skip_reason()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from report_data import write_ndjson  # noqa: E402


def _cli(*args: str, stdout: Path | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    out = open(stdout, "wb") if stdout else subprocess.PIPE  # noqa: SIM115
    try:
        return subprocess.run([sys.executable, "-m", "bouncewise", *args], cwd=cwd, stdout=out,
                              stderr=subprocess.PIPE, check=False, timeout=300)
    finally:
        if stdout:
            out.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _expected(ndjson: Path) -> dict:
    recs = [json.loads(line) for line in ndjson.read_text(encoding="utf-8").splitlines() if line.strip()]
    fails = [r for r in recs if r["kind"] in ("bounce", "delayed")]
    hard = [r for r in fails if r["kind"] == "bounce" and r.get("hardbounce")]
    return {
        "records": len(recs),
        "messages": len({(r.get("file"), r.get("index")) for r in recs}),
        "kinds": Counter(r["kind"] for r in recs),
        "failures": len(fails),
        "hard": len(hard),
        "reasons": Counter(r.get("reason") or "undefined" for r in fails),
        "remove": {r["recipient"].lower() for r in hard if "@" in (r.get("recipient") or "")},
    }


def _open(browser: Browser, html: Path, width: int = 1200) -> tuple[Page, list[str], list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    return page, requests, errors


def _num(text: str) -> int:
    return int(text.replace(",", "").strip())


def _check_page(page: Page, exp: dict, *, csv_complete: bool) -> None:
    # every chart is there and has visible marks
    figs = page.locator("figure[data-chart]")
    assert {figs.nth(i).get_attribute("data-chart") for i in range(figs.count())} == CHARTS
    for name in CHARTS:
        marks = page.locator(f'figure[data-chart="{name}"] svg rect.mark')
        assert marks.count() > 0, name
        box = marks.first.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, name
        # and a text table behind it, in a <details> that opens
        details = page.locator(f'figure[data-chart="{name}"] details')
        details.locator("summary").click()
        expect(details.locator("table")).to_be_visible()

    # the numbers a person reads at the top
    def total(key: str) -> int:
        return _num(page.locator(f'dd[data-total="{key}"]').inner_text())

    assert total("records") == exp["records"]
    assert total("messages") == exp["messages"]
    assert total("failures") == exp["failures"]
    assert total("hard") == exp["hard"]
    assert total("addresses") == len(exp["remove"])
    for kind, n in exp["kinds"].items():
        assert _num(page.locator(f'table.kinds tr[data-kind="{kind}"] td').inner_text()) == n, kind
    assert _num(page.locator("table.kinds tr.sum td").inner_text()) == exp["records"]
    # failures by reason: the visible table and the drawn bars
    for reason, n in exp["reasons"].items():
        row = page.locator(f'table.reasons tr[data-reason="{reason}"] td.n').first
        assert _num(row.inner_text()) == n, reason
        bar = page.locator(f'figure[data-chart="reasons"] rect.mark[data-label="{reason}"]')
        assert int(bar.get_attribute("data-value")) == n, reason

    # what to do first: each action links to its records
    first = page.locator("ol.actions > li").first
    expect(first).to_be_visible()
    first.get_by_role("link", name="See the records behind it").click()
    target = page.evaluate("location.hash")
    assert target.startswith("#act-")
    expect(page.locator(f"{target} table.samples tbody tr").first).to_be_in_viewport()

    # the addresses to remove, downloaded as CSV
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download as CSV").click()
    path = dl.value.path()
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    got = {r["address"] for r in rows}
    assert got <= exp["remove"]
    if csv_complete:
        assert got == exp["remove"]
    else:
        assert len(got) == min(len(exp["remove"]), 10_000)


def _shot_sections(page: Page, prefix: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{prefix}-top.png"))
    for section in ("first", "reasons", "providers", "time", "replies", "remove"):
        page.locator(f"#{section}").screenshot(path=str(SHOTS / f"{prefix}-{section}.png"))


def _readme_shot(browser: Browser, html: Path) -> None:
    """The picture in the README (copied by hand to docs/report.png): the cards, the first
    actions, the reasons and the providers, with the longer parts hidden."""
    context = browser.new_context(viewport={"width": 1000, "height": 1500}, device_scale_factor=1)
    page = context.new_page()
    page.goto(html.as_uri())
    page.add_style_tag(content="#totals, #records, #replies, #domains, #hardsoft, #time, figure details, figcaption, "
                               "#first ol li:nth-child(n+4), .hosts { display: none; }")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-readme.png"), full_page=False)
    context.close()


@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    bsd = CORPUS / "maildir" / "bsd"
    if not bsd.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (set BOUNCEWISE_CORPUS)")
    tmp = tmp_path_factory.mktemp("corpus")
    nd = tmp / "bsd.ndjson"
    _cli("parse", "--format", "ndjson", "-q", str(bsd), stdout=nd)
    html = tmp / "bsd.html"
    res = _cli("report", str(bsd), "-o", str(html), "-q")
    assert res.returncode in (0, 1), res.stderr
    return html, nd


def test_corpus_report(browser: Browser, corpus_report: tuple[Path, Path]) -> None:
    html, nd = corpus_report
    page, requests, errors = _open(browser, html)
    assert requests == [html.as_uri()], requests  # nothing but the file itself
    _shot_sections(page, "report-corpus")
    _check_page(page, _expected(nd), csv_complete=True)
    assert [r for r in requests if not r.startswith(("file:", "blob:"))] == []
    assert not errors, errors


def test_100000_records(browser: Browser, tmp_path: Path) -> None:
    nd = write_ndjson(tmp_path / "bounces.ndjson", 100_000)
    html = tmp_path / "big.html"
    res = _cli("report", nd.name, "-o", str(html), "-q", cwd=tmp_path)  # a short name on the page
    assert res.returncode == 1, res.stderr  # the generated stream holds error records
    assert html.stat().st_size < 1_000_000
    page, requests, errors = _open(browser, html)
    assert requests == [html.as_uri()], requests
    _shot_sections(page, "report-100k")
    _readme_shot(browser, html)
    exp = _expected(nd)
    _check_page(page, exp, csv_complete=False)
    # the generated burst of rate limits shows as a marked spike
    assert page.locator('figure[data-chart="time"] path.spike').count() >= 1
    expect(page.locator("ul.spikes li").first).to_contain_text("2026-11-27")
    assert not errors, errors


def test_phone_width(browser: Browser, tmp_path: Path) -> None:
    nd = write_ndjson(tmp_path / "small.ndjson", 5_000, seed=3)
    html = tmp_path / "small.html"
    _cli("report", str(nd), "-o", str(html), "-q")
    page, _, errors = _open(browser, html, width=360)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    for name in CHARTS:  # each chart fits the screen, or scrolls sideways inside its own box
        box = page.locator(f'figure[data-chart="{name}"] .chartbox').bounding_box()
        assert box and box["width"] <= 360
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-phone.png"), full_page=False)
    page.locator("#reasons").screenshot(path=str(SHOTS / "report-phone-reasons.png"))
    assert not errors, errors


def test_without_javascript_the_list_is_there(browser: Browser, tmp_path: Path) -> None:
    nd = write_ndjson(tmp_path / "s.ndjson", 500, seed=4)
    html = tmp_path / "s.html"
    _cli("report", str(nd), "-o", str(html), "-q")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(html.as_uri())
    expect(page.get_by_role("button", name="Download as CSV")).to_be_hidden()
    page.locator("#remove summary").click()
    expect(page.locator("#remove-csv")).to_contain_text("address,reason,last_seen,bounces")
    context.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bouncewise", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
                pytest.fail("server did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_served_report_from_an_upload(browser: Browser, server: str, tmp_path: Path) -> None:
    nd = write_ndjson(tmp_path / "upload.ndjson", 3_000, seed=5)
    exp = _expected(nd)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, base_url=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # CSP violations land here
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server) else route.abort())
    page.goto("/report")
    page.get_by_label("Files").set_input_files(str(nd))
    page.get_by_role("button", name="Make the report").click()
    page.wait_for_load_state("load")
    expect(page.locator('dd[data-total="failures"]')).to_have_text(f"{exp['failures']:,}")
    # the linked stylesheet applies (the cards are a grid) and the script runs (the button shows)
    assert page.evaluate("getComputedStyle(document.querySelector('.cards')).display") == "grid"
    expect(page.get_by_role("button", name="Download as CSV")).to_be_visible()
    for name in CHARTS:
        assert page.locator(f'figure[data-chart="{name}"] rect.mark').count() > 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-served.png"))
    assert not errors, errors
    context.close()
