"""``/report`` in ``bouncewise serve``: the upload form, reports from uploaded files in the three
forms, the page's assets under the site's security policy, the store when there is none."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bouncewise.web import create_app  # noqa: E402
from conftest import needs_diagnosis  # noqa: E402
from report_data import records as synthetic  # noqa: E402

FIX = Path(__file__).parent / "fixtures"
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def _ndjson(n: int, seed: int = 1) -> tuple[bytes, list[dict]]:
    recs = list(synthetic(n, seed=seed))
    return "".join(json.dumps(r) + "\n" for r in recs).encode(), recs


def test_form(client: TestClient) -> None:
    r = client.get("/report", headers=HTML)
    assert r.status_code == 200
    assert 'enctype="multipart/form-data"' in r.text and 'type="file"' in r.text
    assert '<label for="files">' in r.text


def test_upload_gives_the_page_with_linked_assets(client: TestClient) -> None:
    body, recs = _ndjson(600)
    r = client.post("/report", files={"files": ("bounces.ndjson", body, "application/x-ndjson")}, data={"as": "page"})
    assert r.status_code == 200, r.text[:500]
    html = r.text
    # the site's policy forbids inline code: the page links its CSS and JS and has no inline style
    assert '<link rel="stylesheet" href="/report/assets/report.css">' in html
    assert '<script src="/report/assets/report.js"></script>' in html
    assert "<style>" not in html and " style=" not in html
    failures = sum(1 for x in recs if x["kind"] in ("bounce", "delayed"))
    assert re.search(rf'data-total="failures">{failures:,}<', html)
    assert "bounces.ndjson (ndjson)" in html  # the uploaded name, not a temporary path
    for name in ("report.css", "report.js"):
        a = client.get(f"/report/assets/{name}")
        assert a.status_code == 200 and len(a.text) > 100
    assert client.get("/report/assets/../app.py").status_code == 404


def test_upload_as_one_file_and_as_markdown(client: TestClient) -> None:
    body, recs = _ndjson(300, seed=2)
    r = client.post("/report", files={"files": ("x.ndjson", body)}, data={"as": "file"})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    assert "default-src 'none'" in r.text and "<style>" in r.text
    m = client.post("/report", files={"files": ("x.ndjson", body)}, data={"as": "md"})
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/markdown")
    assert m.text.startswith("# Bounce report") and "300 records" in m.text


@needs_diagnosis
def test_upload_of_messages_and_a_log(client: TestClient) -> None:
    files = [
        ("files", ("dsn.eml", (FIX / "bounces" / "dsn-two-recipients.eml").read_bytes())),
        ("files", ("mail.log", (FIX / "logs" / "postfix.log").read_bytes())),
    ]
    r = client.post("/report", files=files, data={"as": "md"})
    assert r.status_code == 200, r.text[:300]
    assert "dsn.eml (messages)" in r.text and "mail.log (log)" in r.text


def test_no_file_is_a_400(client: TestClient) -> None:
    r = client.post("/report", data={"as": "page"}, headers=HTML)
    assert r.status_code == 400


def test_store_without_a_store(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOUNCEWISE_DB", raising=False)
    r = client.get("/report/store", headers=HTML)
    assert r.status_code == 503
    assert "store" in r.text
    assert "/report/store" not in client.get("/report", headers=HTML).text
