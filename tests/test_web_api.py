"""The HTTP API in-process (FastAPI TestClient / httpx over ASGI): endpoints, problem
details, limits, CORS, no outbound network. Tests that need a part of the engine skip, with
a message, until that part is in the tree; they use the real engine, never mocks."""

from __future__ import annotations

import asyncio
import json
import socket
import warnings

import httpx
import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bouncewise import __version__  # noqa: E402
from bouncewise.web import create_app  # noqa: E402
from conftest import have, needs_diagnosis, needs_events, needs_knowledge  # noqa: E402
from test_web_samples import DSN, REPLY_MAILBOX_FULL, REPLY_USER_UNKNOWN, SES_EVENT  # noqa: E402

needs_pipeline = pytest.mark.skipif(
    not have("bouncewise.pipeline", "parse"), reason="bounce pipeline (bouncewise.pipeline) not built yet"
)

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def assert_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


# ---------------------------------------------------------------- service endpoints


def test_healthz_and_version(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    v = client.get("/version").json()
    assert v["name"] == "bouncewise" and v["version"] == __version__


def test_openapi_schema_is_published(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "bouncewise"
    paths = schema["paths"]
    for path, method in [
        ("/v1/codes/{code}", "get"),
        ("/v1/codes", "get"),
        ("/v1/diagnose", "post"),
        ("/v1/parse", "post"),
        ("/healthz", "get"),
        ("/version", "get"),
    ]:
        assert method in paths[path], path
    diagnose = paths["/v1/diagnose"]["post"]
    assert set(diagnose["requestBody"]["content"]) == {"application/json", "text/plain"}
    assert PROBLEM in diagnose["responses"]["413"]["content"]
    params = {p["name"] for p in paths["/v1/codes"]["get"]["parameters"]}
    assert {"q", "class", "category"} <= params
    # pages are not part of the API schema
    assert "/" not in paths and "/code/{code}" not in paths


def test_interactive_docs_are_not_served(client: TestClient) -> None:
    # they would load scripts from a CDN
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_security_headers(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"


# ---------------------------------------------------------------- problem details


def test_unknown_api_route_is_a_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"


def test_wrong_method_is_a_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/diagnose"), 405)


def test_bad_query_is_a_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/codes", params={"class": "7"}), 422)
    assert "class" in body["detail"]


@pytest.mark.parametrize(
    ("content", "ctype", "needle"),
    [
        (b"", "application/json", "Send a reply"),
        (b"{not json", "application/json", "not valid JSON"),
        (b'{"nothing": 1}', "application/json", "'text'"),
        (b'{"texts": "one string"}', "application/json", "list of strings"),
        (b'{"texts": [1, 2]}', "application/json", "list of strings"),
        (b'{"text": "550", "vendor": 5}', "application/json", "'vendor'"),
        (b"42", "application/json", "must be"),
    ],
)
def test_bad_diagnose_bodies(client: TestClient, content: bytes, ctype: str, needle: str) -> None:
    body = assert_problem(client.post("/v1/diagnose", content=content, headers={"content-type": ctype}), 400)
    assert needle in body["detail"]


def test_empty_parse_body(client: TestClient) -> None:
    assert_problem(client.post("/v1/parse", content=b"  \r\n"), 400)


def test_internal_error_never_shows_a_trace() -> None:
    app = create_app()

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    c = TestClient(app, raise_server_exceptions=False)
    body = assert_problem(c.get("/v1/boom"), 500)
    assert "secret" not in json.dumps(body)


# ---------------------------------------------------------------- limits


def test_body_over_limit_by_content_length() -> None:
    c = TestClient(create_app(max_body=1000))
    body = assert_problem(c.post("/v1/parse", content=b"x" * 1001), 413)
    assert "1000" in body["detail"] and body["limit"] == 1000


def test_body_over_limit_while_streaming() -> None:
    c = TestClient(create_app(max_body=1000))

    def chunks():
        for _ in range(10):
            yield b"y" * 300

    # a generator body goes out chunked, without Content-Length
    r = c.post("/v1/diagnose", content=chunks(), headers={"content-type": "text/plain"})
    assert_problem(r, 413)


def test_body_limit_default_is_ten_megabytes() -> None:
    app = create_app()
    assert app.state.settings.max_body == 10 * 1024 * 1024


def test_too_many_items_in_one_request() -> None:
    c = TestClient(create_app(max_items=3))
    r = c.post("/v1/diagnose", json={"texts": ["550 a", "550 b", "550 c", "550 d"]})
    assert_problem(r, 413)


def test_concurrency_limit_gives_503() -> None:
    app = create_app(max_concurrency=1)
    gate = asyncio.Event()
    entered = asyncio.Event()

    @app.get("/v1/hold")
    async def hold() -> dict:
        entered.set()
        await gate.wait()
        return {"held": True}

    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ac:
            first = asyncio.create_task(ac.get("/v1/hold"))
            await entered.wait()
            second = await ac.get("/v1/hold")
            health = await ac.get("/healthz")  # not counted against the limit
            gate.set()
            return await first, second, health

    first, second, health = asyncio.run(scenario())
    assert first.status_code == 200
    body = assert_problem(second, 503)
    assert "busy" in body["detail"]
    assert second.headers["retry-after"] == "1"
    assert health.status_code == 200


def test_time_limit_gives_503() -> None:
    app = create_app(timeout=0.2)

    @app.get("/v1/slow")
    async def slow() -> dict:
        await asyncio.sleep(5)
        return {}

    c = TestClient(app)
    body = assert_problem(c.get("/v1/slow"), 503)
    assert "0.2 seconds" in body["detail"]


def test_time_limit_covers_work_in_threads() -> None:
    """Work in a thread cannot be interrupted, but the client gets its 503 on time."""
    import time

    app = create_app(timeout=0.2)

    @app.get("/v1/busy")
    async def busy() -> dict:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, time.sleep, 1.0)
        return {}

    async def scenario() -> tuple[httpx.Response, float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ac:
            t0 = time.monotonic()
            r = await ac.get("/v1/busy")
            return r, time.monotonic() - t0

    r, elapsed = asyncio.run(scenario())
    assert_problem(r, 503)
    assert elapsed < 0.9


# ---------------------------------------------------------------- CORS


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.get("/healthz", headers={"origin": "https://elsewhere.example.org"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/v1/diagnose",
        headers={"origin": "https://elsewhere.example.org", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_when_configured() -> None:
    c = TestClient(create_app(cors_origins=("https://tools.example.org",)))
    r = c.get("/healthz", headers={"origin": "https://tools.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://tools.example.org"
    other = c.get("/healthz", headers={"origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in other.headers
    pre = c.options(
        "/v1/diagnose",
        headers={
            "origin": "https://tools.example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"]


# ---------------------------------------------------------------- the engine through the API


@needs_knowledge
def test_explain_a_status_code(client: TestClient) -> None:
    r = client.get("/v1/codes/5.1.1")
    assert r.status_code == 200, r.text
    d = r.json()
    assert "5.1.1" in json.dumps(d)
    assert r.headers["cache-control"].startswith("public")


@needs_knowledge
@pytest.mark.parametrize("code", ["550", "4.2.2", "5.1.x", "550 5.7.1"])
def test_explain_forms_of_code(client: TestClient, code: str) -> None:
    r = client.get(f"/v1/codes/{code}")
    assert r.status_code == 200, r.text


@needs_knowledge
def test_explain_with_vendor(client: TestClient) -> None:
    r = client.get("/v1/codes/5.7.1", params={"vendor": "gmail"})
    assert r.status_code == 200, r.text


@needs_knowledge
@pytest.mark.parametrize("code", ["hello", "999", "5.1"])
def test_explain_malformed_code(client: TestClient, code: str) -> None:
    body = assert_problem(client.get(f"/v1/codes/{code}"), 400)
    assert body["title"] == "Invalid code"


@needs_knowledge
def test_search_codes(client: TestClient) -> None:
    r = client.get("/v1/codes", params={"q": "quota"})
    assert r.status_code == 200
    d = r.json()
    assert d["count"] >= 1 and len(d["results"]) >= 1
    assert "quota" in json.dumps(d).lower()


@needs_knowledge
def test_list_codes_by_class_with_paging(client: TestClient) -> None:
    d = client.get("/v1/codes", params={"class": "4"}).json()
    assert d["count"] >= 5
    from bouncewise.web.views import class_digit

    assert {class_digit(e) for e in d["results"]} == {"4"}
    page = client.get("/v1/codes", params={"class": "4", "limit": 2, "offset": 1}).json()
    assert len(page["results"]) == 2 and page["results"][0] == d["results"][1]


@needs_diagnosis
def test_diagnose_one_reply(client: TestClient) -> None:
    r = client.post("/v1/diagnose", json={"text": REPLY_USER_UNKNOWN})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["reason"] == "userunknown"
    assert d["hardbounce"] is True
    assert d["status"] == "5.1.1" and d["replycode"] == "550"
    assert all({"rule", "matched"} <= set(e) for e in d["evidence"])


@needs_diagnosis
def test_diagnose_a_list(client: TestClient) -> None:
    r = client.post("/v1/diagnose", json={"texts": [REPLY_USER_UNKNOWN, REPLY_MAILBOX_FULL]})
    d = r.json()
    assert d["count"] == 2
    assert [x["reason"] for x in d["results"]] == ["userunknown", "mailboxfull"]
    same = client.post("/v1/diagnose", json=[REPLY_USER_UNKNOWN, REPLY_MAILBOX_FULL]).json()
    assert same == d


@needs_diagnosis
def test_diagnose_plain_text_lines(client: TestClient) -> None:
    text = f"{REPLY_USER_UNKNOWN}\n{REPLY_MAILBOX_FULL}\n"
    r = client.post("/v1/diagnose", content=text.encode(), headers={"content-type": "text/plain"})
    d = r.json()
    assert d["count"] == 2
    assert d["results"][1]["reason"] == "mailboxfull"
    assert d["results"][1]["hardbounce"] is False


@needs_pipeline
def test_parse_a_bounce_message(client: TestClient) -> None:
    r = client.post("/v1/parse", content=DSN, headers={"content-type": "message/rfc822"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["count"] == 1
    rec = d["records"][0]
    assert rec["recipient"] == "nobody-here@example.org"
    assert rec["status"] == "5.1.1"
    assert rec["kind"] == "bounce"


@needs_pipeline
@needs_diagnosis
def test_parse_diagnoses_the_recipient(client: TestClient) -> None:
    rec = client.post("/v1/parse", content=DSN).json()["records"][0]
    assert rec["reason"] == "userunknown" and rec["hardbounce"] is True


@needs_pipeline
def test_parse_something_that_is_not_a_bounce(client: TestClient) -> None:
    msg = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: lunch?\r\n\r\nNoon at the usual place.\r\n"
    d = client.post("/v1/parse", content=msg).json()
    assert d["count"] == 1 and d["records"][0]["kind"] == "not-a-bounce"


@needs_events
def test_parse_an_esp_event(client: TestClient) -> None:
    r = client.post("/v1/parse", content=SES_EVENT, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    rec = r.json()["records"][0]
    assert rec["recipient"] == "gone@example.org"
    assert rec["status"] == "5.1.1"
    assert rec["engine"] == "event:ses"


@needs_events
def test_parse_event_with_unknown_provider(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/parse", params={"provider": "nosuchesp"}, content=SES_EVENT), 400)
    assert "nosuchesp" in body["detail"]


@needs_events
def test_parse_event_that_is_not_json(client: TestClient) -> None:
    r = client.post("/v1/parse", params={"provider": "ses"}, content=b"{broken")
    assert_problem(r, 400)


# ---------------------------------------------------------------- no outbound network


def test_no_outbound_network_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every endpoint works with outbound connections forbidden (TestClient needs none)."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"outbound network call attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    c = TestClient(create_app(), raise_server_exceptions=True)
    calls = [
        ("get", "/healthz", {}),
        ("get", "/v1/codes/5.1.1", {}),
        ("get", "/v1/codes", {"params": {"q": "mailbox"}}),
        ("post", "/v1/diagnose", {"json": {"text": REPLY_USER_UNKNOWN}}),
        ("post", "/v1/parse", {"content": DSN}),
        ("post", "/v1/parse", {"content": SES_EVENT}),
        ("get", "/", {}),
        ("post", "/diagnose", {"data": {"text": REPLY_USER_UNKNOWN}}),
    ]
    for method, url, kwargs in calls:
        r = getattr(c, method)(url, **kwargs)
        assert r.status_code in (200, 503), (url, r.status_code, r.text[:300])
