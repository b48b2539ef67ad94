"""The server-rendered web page: works without JavaScript, accessible markup, no external
resources, stable code URLs, the paste box with highlighted evidence."""

from __future__ import annotations

import re
import warnings

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bouncewise.web import create_app  # noqa: E402
from conftest import have, needs_diagnosis, needs_knowledge  # noqa: E402
from test_web_samples import DSN, REPLY_MAILBOX_FULL, REPLY_USER_UNKNOWN  # noqa: E402

HTML = {"accept": "text/html,application/xhtml+xml"}


needs_pipeline = pytest.mark.skipif(
    not (have("bouncewise.pipeline", "parse") and have("bouncewise.diagnosis", "diagnose")),
    reason="bounce pipeline and diagnosis not built yet",
)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def assert_accessible_basics(html: str) -> None:
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert 'href="#main"' in html and 'id="main"' in html  # skip link
    # every form control has a label
    for control_id in re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', html):
        assert f'for="{control_id}"' in html, f"no label for #{control_id}"
    # nothing is loaded from another host
    for attr in re.findall(r'<(?:script|link|img|iframe)[^>]*\b(?:src|href)="([^"]+)"', html):
        assert attr.startswith("/"), f"external resource {attr}"


def test_home_page(client: TestClient) -> None:
    r = client.get("/", headers=HTML)
    assert r.status_code == 200
    html = r.text
    assert_accessible_basics(html)
    # search works without JavaScript: a GET form
    assert '<form class="search" action="/search" method="get"' in html
    # paste box works without JavaScript: a POST form with a labelled textarea
    assert '<form action="/diagnose" method="post">' in html
    assert '<textarea id="text" name="text"' in html
    for cls in ("2", "4", "5"):
        assert f'href="/codes?class={cls}"' in html


def test_static_files(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert "@media (max-width" in css.text  # phone layout
    js = client.get("/static/app.js")
    assert js.status_code == 200
    assert "innerHTML" not in js.text  # results are built with textContent only
    assert "http://" not in js.text and "https://" not in js.text


def test_empty_search_goes_home(client: TestClient) -> None:
    r = client.get("/search", params={"q": "  "}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_unknown_page_is_html_for_browsers(client: TestClient) -> None:
    r = client.get("/no/such/page", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "404" in r.text and "Traceback" not in r.text


def test_api_page_lists_endpoints(client: TestClient) -> None:
    html = client.get("/api", headers=HTML).text
    for path in ("/v1/codes/{code}", "/v1/diagnose", "/v1/parse", "/healthz"):
        assert path in html


@needs_knowledge
def test_search_for_a_code_goes_to_its_page(client: TestClient) -> None:
    r = client.get("/search", params={"q": "5.1.1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/code/5.1.1"


@needs_knowledge
def test_search_for_words_lists_codes(client: TestClient) -> None:
    r = client.get("/search", params={"q": "quota"}, headers=HTML)
    assert r.status_code == 200
    assert 'href="/code/' in r.text


@needs_knowledge
@pytest.mark.parametrize("code", ["5.1.1", "550", "4.2.2"])
def test_code_page(client: TestClient, code: str) -> None:
    r = client.get(f"/code/{code}", headers=HTML)
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert_accessible_basics(html)
    assert f'<span class="code big">{code}</span>' in html
    assert "<h2" in html  # at least one section
    assert f'href="/v1/codes/{code}"' in html  # the same entry as JSON


@needs_knowledge
def test_code_page_for_a_family(client: TestClient) -> None:
    r = client.get("/code/5.1.x", headers=HTML)
    assert r.status_code == 200


@needs_knowledge
def test_code_page_for_malformed_code(client: TestClient) -> None:
    r = client.get("/code/hello", headers=HTML)
    assert r.status_code == 400
    assert "Invalid code" in r.text


@needs_knowledge
def test_browse_by_class(client: TestClient) -> None:
    html = client.get("/codes", params={"class": "4"}, headers=HTML).text
    assert_accessible_basics(html)
    assert 'href="/code/4.' in html
    assert 'href="/code/5.' not in html


@needs_knowledge
def test_browse_all_codes(client: TestClient) -> None:
    html = client.get("/codes", headers=HTML).text
    for digit in ("2", "4", "5"):
        assert f'id="g-{digit}"' in html


@needs_diagnosis
def test_paste_replies_are_diagnosed_with_highlights(client: TestClient) -> None:
    text = f"{REPLY_USER_UNKNOWN}\n{REPLY_MAILBOX_FULL}"
    r = client.post("/diagnose", data={"text": text}, headers=HTML)
    assert r.status_code == 200
    html = r.text
    assert "2 replies diagnosed" in html
    assert html.count('<article class="result') == 2
    assert "<mark" in html
    assert "hard bounce" in html and "soft bounce" in html
    assert 'href="/code/5.1.1"' in html


@needs_diagnosis
def test_paste_escapes_markup(client: TestClient) -> None:
    r = client.post(
        "/diagnose", data={"text": "550 5.1.1 <script>alert(1)</script> user unknown"}, headers=HTML
    )
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;" in r.text


@needs_diagnosis
def test_diagnose_link_with_query_text(client: TestClient) -> None:
    r = client.get("/diagnose", params={"text": REPLY_USER_UNKNOWN}, headers=HTML)
    assert "1 reply diagnosed" in r.text


@needs_pipeline
def test_paste_a_whole_bounce_message(client: TestClient) -> None:
    r = client.post("/diagnose", data={"text": DSN.decode()}, headers=HTML)
    assert r.status_code == 200
    html = r.text
    assert "1 recipient in the message" in html
    assert "nobody-here@example.org" in html
    assert "<mark" in html


def test_diagnose_form_without_input(client: TestClient) -> None:
    html = client.get("/diagnose", headers=HTML).text
    assert_accessible_basics(html)
    assert '<form class="card paste" action="/diagnose" method="post">' in html


def test_limit_errors_are_pages_for_browsers() -> None:
    c = TestClient(create_app(max_body=100))
    r = c.post("/diagnose", data={"text": "x" * 500}, headers=HTML)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "Content Too Large" in r.text and "at most 100" in r.text
    api = c.post("/v1/diagnose", content=b"y" * 500, headers=HTML)
    assert api.headers["content-type"] == "application/problem+json"


PASTED_NOTICE = """This is the mail system at host mail.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<jo@example.org>: host mx.example.org[192.0.2.10] said: 550 5.1.1
    <jo@example.org>: Recipient address rejected: User unknown (in reply to RCPT
    TO command)
"""


@needs_diagnosis
def test_paste_of_a_notice_body_without_headers_is_read_as_a_notice(client: TestClient) -> None:
    r = client.post("/diagnose", data={"text": PASTED_NOTICE}, headers=HTML)
    assert r.status_code == 200
    assert "1 recipient in the message" in r.text  # read as a notice, not as reply lines
    assert html_count(r.text) == 1
    assert "jo@example.org" in r.text and "hard bounce" in r.text


def html_count(html: str) -> int:
    return html.count('<article class="result')


@needs_diagnosis
def test_evidence_on_the_page_is_in_words_not_rule_ids(client: TestClient) -> None:
    r = client.post("/diagnose", data={"text": "550 5.1.1 <jo@example.org>: User unknown"}, headers=HTML)
    assert r.status_code == 200
    evidence = r.text[r.text.index('<details class="evidence">'):]
    evidence = evidence[: evidence.index("</details>")]
    assert "point to userunknown" in evidence  # what was seen, in words
    assert "@phrases.toml" not in evidence.replace('title="', "\x00").split("\x00", 1)[0]  # no rule id shown
    assert ">phrase:" not in evidence
