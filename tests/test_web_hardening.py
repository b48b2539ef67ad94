"""Hostile JSON bodies get a 400 problem (never a 500), and the API page's example commands
use the address the server was reached at."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bouncewise.web import create_app  # noqa: E402

PROBLEM = "application/problem+json"
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def assert_400(r) -> str:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == 400 and "Traceback" not in r.text
    return body["detail"]


@pytest.mark.parametrize("path", ["/v1/diagnose", "/v1/parse"])
@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_a_400(client: TestClient, path: str, body: bytes) -> None:
    assert "nested deeper" in assert_400(client.post(path, content=body, headers=JSON))


@pytest.mark.parametrize("path,body", [
    ("/v1/diagnose", b'{"text": "550 5.1.1 \\ud800 user unknown"}'),
    ("/v1/diagnose", b'{"texts": ["452 4.2.2 full", "\\udfff"]}'),
    ("/v1/parse", b'{"email": "jo@example.org", "event": "bounce", "reason": "\\ud800", "sg_event_id": "x"}'),
])
def test_lone_surrogate_is_a_400(client: TestClient, path: str, body: bytes) -> None:
    assert "surrogate" in assert_400(client.post(path, content=body, headers=JSON))


def test_surrogate_pair_is_fine(client: TestClient) -> None:
    r = client.post("/v1/diagnose", content=b'{"text": "550 5.1.1 user unknown \\ud83d\\ude00"}', headers=JSON)
    assert r.status_code == 200


def test_moderate_nesting_still_reads() -> None:
    from bouncewise.errors import InputError
    from bouncewise.events import MAX_JSON_DEPTH, load_json

    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(ok) is not None
    with pytest.raises(InputError):
        load_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


@pytest.mark.parametrize("base", ["http://127.0.0.1:9123", "http://localhost:8080"])
def test_api_page_examples_use_the_real_port(base: str) -> None:
    c = TestClient(create_app(), base_url=base, raise_server_exceptions=False)
    html = c.get("/api", headers={"accept": "text/html"}).text
    assert f"curl -s {base}/v1/codes/5.1.1" in html
    assert "8025" not in html
