"""The store's face in ``bouncewise serve``: ESP webhooks in, suppressions and address
histories out (JSON under /v1 and two pages). Needs the ``store`` extra; without it these
routes answer 503 and the rest of the service is unaffected.

The store is the one ``bouncewise ingest`` uses: env BOUNCEWISE_DB, else the default SQLite
file; it is opened on the first request. Webhook authentication: bouncewise.store.webhooks.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

PROVIDERS = ("ses", "sendgrid", "mailgun", "postmark")
_TITLES = {401: "Unauthorized", 403: "Forbidden"}


def add_store_routes(app: FastAPI, *, run: Callable[..., Awaitable[Any]], page: Callable[..., Response],
                     problem: Callable[..., Exception]) -> None:
    """Add the store's routes to ``app``. ``run(fn, *args)`` runs blocking work in the
    app's threads; ``page(request, template, **context)`` renders a page; ``problem(status,
    title, detail)`` makes the exception the app turns into a problem response."""
    state: dict[str, Any] = {"store": None}
    lock = threading.Lock()

    def store() -> Any:
        if state["store"] is None:
            with lock:
                if state["store"] is None:
                    try:
                        from bouncewise.store import Store, StoreError
                    except ImportError:
                        raise problem(503, "Service Unavailable", "the store is not installed (pip install 'bouncewise[store]')") from None
                    try:
                        state["store"] = Store(hash_addresses=os.environ.get("BOUNCEWISE_HASH_ADDRESSES", "") in ("1", "true", "yes"))
                    except StoreError as exc:
                        raise problem(503, "Service Unavailable", str(exc)) from None
        return state["store"]

    def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            from bouncewise.store import ERRORS

            try:
                return fn(*args)
            except ERRORS as exc:  # the database is down, a hashed store without its key...
                detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                raise problem(503, "Service Unavailable", f"the store cannot answer: {detail}") from None
        return call

    def store_events(body: bytes, provider: str) -> dict[str, Any]:
        from bouncewise.store.sources import event_units_from_bytes

        stats = store().add_units(event_units_from_bytes(body, f"webhook:{provider}", provider))
        return {"records": stats.records, "stored": stats.stored, "already_stored": stats.already}

    @app.post("/v1/events/{provider}", tags=["store"], summary="Receive an ESP webhook (ses, sendgrid, mailgun, postmark)",
              description="Stores the bounce, complaint and delivery events of the body after checking the request's "
                          "signature or shared secret (see docs/store.md). Amazon SNS subscription confirmations are "
                          "confirmed. A refused request is stored nowhere.")
    async def receive(provider: str, request: Request) -> Response:
        if provider not in PROVIDERS:
            raise problem(404, "Not Found", f"unknown ESP {provider[:40]!r}; expected one of {', '.join(PROVIDERS)}")
        body = await request.body()
        if not body.strip():
            raise problem(400, "Empty request", "Send the ESP's webhook body.")
        from bouncewise.store import webhooks

        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            await run(webhooks.check, provider, body, headers, dict(request.query_params))
        except webhooks.Rejected as exc:
            raise problem(exc.status, _TITLES.get(exc.status, "Forbidden"), exc.detail) from None
        try:
            payload = json.loads(body)
        except ValueError:
            raise problem(400, "Invalid JSON", "The body is not JSON; nothing was stored.") from None
        if provider == "ses" and isinstance(payload, dict) and payload.get("Type") in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
            if payload["Type"] == "UnsubscribeConfirmation":
                return JSONResponse({"status": "unsubscribe noted; nothing stored"})
            try:
                await run(webhooks.fetch, str(payload.get("SubscribeURL", "")))
            except webhooks.Rejected as exc:
                raise problem(400, "Bad Request", f"subscription not confirmed: {exc.detail}") from None
            except OSError as exc:
                raise problem(502, "Bad Gateway", f"subscription not confirmed: {type(exc).__name__}") from None
            return JSONResponse({"status": "subscription confirmed"})
        return JSONResponse(await run(guarded(store_events), body, provider))

    @app.get("/v1/suppressions", tags=["store"], summary="Suppressed addresses and why")
    async def api_suppressions(list_name: str | None = Query(None, alias="list", pattern="^(bounce|complaint)$"),
                               limit: int = Query(1000, ge=1, le=10_000), offset: int = Query(0, ge=0)) -> Response:
        rows = await run(guarded(lambda: store().suppressions(list_name)))
        return JSONResponse({"count": len(rows), "offset": offset, "results": rows[offset : offset + limit]})

    @app.get("/v1/addresses/{address}", tags=["store"], summary="One address's history, suppressions and audit trail")
    async def api_address(address: str) -> Response:
        h = await run(guarded(lambda: store().history(address[:400])))
        if not h["timeline"] and not h["audit"]:
            raise problem(404, "Not Found", "nothing is stored for this address")
        return JSONResponse(h)

    @app.get("/suppressions", include_in_schema=False, response_class=HTMLResponse)
    async def suppressions_page(request: Request, list_name: str = Query("", alias="list", pattern="^(bounce|complaint)?$")) -> Response:
        rows = await run(guarded(lambda: store().suppressions(list_name or None)))
        return page(request, "store_suppressions.html", rows=rows[:5000], count=len(rows), list_name=list_name)

    @app.get("/addresses/{address}", include_in_schema=False, response_class=HTMLResponse)
    async def address_page(request: Request, address: str) -> Response:
        h = await run(guarded(lambda: store().history(address[:400])))
        status = 200 if h["timeline"] or h["audit"] else 404
        return page(request, "store_address.html", status=status, h=h, query=address[:400])
