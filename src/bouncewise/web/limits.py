"""Request limits as a plain ASGI middleware (cheap: no per-request task groups).

- body size: a Content-Length over the limit is refused at once; a body that grows over the
  limit while it is read (chunked uploads) is cut off. Both get 413.
- concurrency: requests in progress in this process; one over the limit gets 503 at once,
  with Retry-After. /healthz, /version and static files are not counted.
- time: a request that has not started its response within ``timeout`` seconds gets 503.
  (The engine's work runs in worker threads, so the event loop stays free to answer.)

Every response also gets a few security headers (nosniff, CSP, no referrer).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bouncewise.web.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("bouncewise.web")

EXEMPT = ("/healthz", "/version")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP.encode()),
]


class BodyTooLarge(Exception):
    pass


def problem_bytes(status: int, title: str, detail: str, instance: str | None = None, **extra: Any) -> bytes:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return json.dumps(body).encode()


_HTML_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>{status} {title} · bouncewise</title><link rel="stylesheet" href="/static/style.css"></head>'
    '<body><main id="main" class="wrap"><section class="error-page"><p class="code big">{status}</p>'
    '<h1>{title}</h1><p>{detail}</p><p><a href="/">Back to the start page</a></p></section></main></body></html>'
)


def wants_html(scope: Scope) -> bool:
    """A browser asking for a page (not the API): it gets errors as HTML."""
    path: str = scope.get("path", "")
    if path.startswith(("/v1/", "/healthz", "/version", "/openapi.json")):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"text/html" in value
    return False


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    html: bool = False,
    **extra: Any,
) -> None:
    if html:
        from html import escape

        body = _HTML_PAGE.format(status=status, title=escape(title), detail=escape(detail)).encode()
        ctype = b"text/html; charset=utf-8"
    else:
        body = problem_bytes(status, title, detail, instance, **extra)
        ctype = b"application/problem+json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = self.settings
        path: str = scope.get("path", "")
        instance = path[:200]
        html = wants_html(scope)
        exempt = path in EXEMPT or path.startswith("/static/")

        length = _content_length(scope)
        if length is not None and length > settings.max_body:
            await send_problem(
                send,
                413,
                "Content Too Large",
                f"The request body is {length} bytes; this server accepts at most {settings.max_body}.",
                instance,
                html=html,
                limit=settings.max_body,
            )
            return
        if not exempt and self.in_flight >= settings.max_concurrency:
            await send_problem(
                send,
                503,
                "Service Unavailable",
                f"The server is busy ({settings.max_concurrency} requests in progress); retry in a moment.",
                instance,
                headers=[(b"retry-after", b"1")],
                html=html,
            )
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > settings.max_body:
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        self.in_flight += 1
        try:
            async with asyncio.timeout(settings.timeout):
                await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await send_problem(
                    send,
                    413,
                    "Content Too Large",
                    f"The request body is over the limit of {settings.max_body} bytes.",
                    instance,
                    html=html,
                    limit=settings.max_body,
                )
        except TimeoutError:
            log.warning("request over the time limit: %s %s", scope.get("method"), instance)
            if not started:
                await send_problem(
                    send,
                    503,
                    "Service Unavailable",
                    f"The request took longer than the limit of {settings.timeout:g} seconds.",
                    instance,
                    headers=[(b"retry-after", b"5")],
                    html=html,
                )
        finally:
            self.in_flight -= 1


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
