"""The FastAPI application: JSON API under /v1, server-rendered pages, static files.

Handlers read request bodies themselves (no pydantic models on the hot path) and hand the
engine's CPU work to a small thread pool, so the event loop stays free and the time limit can
answer for a request whose work runs long. Errors are RFC 9457 problem details for the API and
an HTML page for browsers; no stack trace is ever sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from bouncewise import __version__
from bouncewise.errors import InputError, InvalidCode, LimitExceeded
from bouncewise.web import engine, schemas, views
from bouncewise.web.limits import LimitsMiddleware, problem_bytes
from bouncewise.web.settings import Settings

log = logging.getLogger("bouncewise.web")
HERE = Path(__file__).resolve().parent
T = TypeVar("T")

PROBLEM = "application/problem+json"
API_PREFIXES = ("/v1/", "/healthz", "/version", "/openapi.json")
CACHE_STATIC = "public, max-age=3600"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def _is_api(request: Request) -> bool:
    path = request.url.path
    if path.startswith(API_PREFIXES):
        return True
    return "text/html" not in request.headers.get("accept", "")


def build_app(settings: Settings | None = None, **overrides: Any) -> FastAPI:
    settings = (settings or Settings.from_env()).with_overrides(**overrides)
    executor = ThreadPoolExecutor(max_workers=max(1, settings.threads), thread_name_prefix="bouncewise")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="bouncewise",
        version=__version__,
        summary="Explain SMTP codes and diagnose bounced email.",
        description=schemas.API_DESCRIPTION,
        docs_url=None,  # the interactive docs load scripts from a CDN: not served
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        openapi_tags=[
            {"name": "knowledge", "description": "The SMTP code knowledge base."},
            {"name": "diagnosis", "description": "Diagnose replies, log lines and bounce messages."},
            {"name": "service", "description": "Health and version."},
            {"name": "store", "description": "ESP webhooks into the store; suppressions and address histories."},
        ],
    )
    app.state.settings = settings
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(version=__version__, class_names=views.CLASS_NAMES)
    templates.env.filters["is_code"] = views.is_code
    templates.env.tests["code"] = views.is_code
    templates.env.filters["codeurl"] = lambda c: "/code/" + quote(str(c).strip(), safe=".")
    templates.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)

    async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, lambda: fn(*args, **kwargs))

    def problem_response(
        request: Request,
        status: int,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Response:
        if _is_api(request):
            body = problem_bytes(status, title, detail, request.url.path[:200], **extra)
            return Response(body, status_code=status, media_type=PROBLEM, headers=headers)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "title": title, "detail": detail},
            status_code=status,
            headers=headers,
        )

    # ------------------------------------------------------------------ errors

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(request, exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(InvalidCode)
    async def _invalid_code(request: Request, exc: InvalidCode) -> Response:
        return problem_response(request, 400, "Invalid code", str(exc) or "That is not an SMTP code.")

    @app.exception_handler(engine.NotFound)
    async def _not_found(request: Request, exc: engine.NotFound) -> Response:
        return problem_response(request, 404, "Not Found", str(exc))

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> Response:
        return problem_response(request, 400, "Unreadable input", str(exc) or "The input could not be read.")

    @app.exception_handler(LimitExceeded)
    async def _limit(request: Request, exc: LimitExceeded) -> Response:
        return problem_response(request, 413, "Content Too Large", str(exc) or "The input is over a limit.")

    @app.exception_handler(engine.EngineMissing)
    async def _missing(request: Request, exc: engine.EngineMissing) -> Response:
        return problem_response(request, 503, "Service Unavailable", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request"}
        detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is nothing at {request.url.path[:200]}."
        return problem_response(
            request, exc.status_code, titles.get(exc.status_code, "Error"), detail, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()[:20]
        ]
        detail = "; ".join(f"{e['where']}: {e['message']}" for e in errors) or "Invalid request."
        return problem_response(request, 422, "Invalid request", detail, errors=errors)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path[:200])
        return problem_response(
            request, 500, "Internal Server Error", "Something went wrong on the server; it has been logged."
        )

    # ------------------------------------------------------------------ service

    @app.get("/healthz", tags=["service"], summary="Liveness check", responses=schemas.ok(schemas.HEALTH))
    async def healthz() -> Response:
        return JSONResponse({"status": "ok"})

    @app.get("/version", tags=["service"], summary="Version", responses=schemas.ok(schemas.VERSION))
    async def version() -> Response:
        return JSONResponse(
            {"name": "bouncewise", "version": __version__, "python": platform.python_version()}
        )

    # ------------------------------------------------------------------ API: knowledge

    @app.get(
        "/v1/codes/{code}",
        tags=["knowledge"],
        summary="Explain a code",
        description="A reply code (550), an enhanced status code (5.1.1), both ('550 5.1.1') "
        "or a family (5.1.x). `vendor` adds that provider's reading.",
        responses={**schemas.ok(schemas.EXPLANATION), **schemas.problems(400, 404)},
    )
    async def api_code(
        code: str, vendor: str | None = Query(None, max_length=64, description="provider, e.g. gmail")
    ) -> Response:
        body = await run(engine.explain_json, code, vendor)
        return Response(body, media_type="application/json", headers={"cache-control": CACHE_STATIC})

    @app.get(
        "/v1/codes",
        tags=["knowledge"],
        summary="Search or list the knowledge base",
        responses=schemas.ok(schemas.CODE_LIST),
    )
    async def api_codes(
        q: str | None = Query(None, max_length=200, description="a code, a family (5.1.x) or words"),
        cls: str | None = Query(None, alias="class", pattern="^[245]$", description="2, 4 or 5"),
        category: str | None = Query(None, max_length=64),
        vendor: str | None = Query(None, max_length=64),
        limit: int = Query(200, ge=1, le=2000),
        offset: int = Query(0, ge=0),
    ) -> Response:
        entries = await run(engine.codes, q, cls, category, vendor)
        page = entries[offset : offset + limit]
        return JSONResponse({"count": len(entries), "offset": offset, "results": page})

    # ------------------------------------------------------------------ API: diagnosis

    @app.post(
        "/v1/diagnose",
        tags=["diagnosis"],
        summary="Diagnose a reply or log line, or a list of them",
        description=schemas.DIAGNOSE_DESCRIPTION,
        openapi_extra={"requestBody": schemas.DIAGNOSE_BODY},
        responses={**schemas.ok(schemas.DIAGNOSE_RESULT), **schemas.problems(400, 413, 503)},
    )
    async def api_diagnose(request: Request) -> Response:
        body = await request.body()
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not body.strip():
            raise Problem(400, "Empty request", "Send a reply or log line to diagnose.")
        if ctype == "application/json" or (ctype != "text/plain" and engine.looks_like_json(body)):
            try:
                payload = engine.load_json(body)
            except ValueError as exc:
                raise Problem(400, "Invalid JSON", f"The body is not valid JSON: {exc}") from None
            single, texts, hints = _diagnose_request(payload, settings)
        else:
            text = body.decode("utf-8", "replace")
            single, texts, hints = False, engine.split_replies(text, settings.max_items), {}
        if single:
            result = await run(engine.diagnose, texts[0], max_text=settings.max_text, **hints)
            return JSONResponse(result)
        results = await run(engine.diagnose_many, texts, max_text=settings.max_text, **hints)
        return JSONResponse({"count": len(results), "results": results})

    @app.post(
        "/v1/parse",
        tags=["diagnosis"],
        summary="Analyse a bounce message or ESP event",
        description=schemas.PARSE_DESCRIPTION,
        openapi_extra={"requestBody": schemas.PARSE_BODY},
        responses={**schemas.ok(schemas.PARSE_RESULT), **schemas.problems(400, 413, 503)},
    )
    async def api_parse(
        request: Request,
        provider: str | None = Query(
            None,
            pattern="^[a-z]{2,20}$",
            description="ESP of an event body: ses, sendgrid, mailgun, postmark",
        ),
    ) -> Response:
        body = await request.body()
        if not body.strip():
            raise Problem(400, "Empty request", "Send a bounce message (or an ESP event) as the body.")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if provider or ctype == "application/json" or engine.looks_like_json(body):
            records = await run(engine.parse_events, body, provider)
        else:
            records = await run(engine.parse_message, body)
        return JSONResponse({"count": len(records), "records": records})

    # ------------------------------------------------------------------ pages

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return page(request, "index.html", categories=await _categories(run))

    @app.get("/search", include_in_schema=False, response_class=HTMLResponse)
    async def search(request: Request, q: str = Query("", max_length=200)) -> Response:
        q = q.strip()
        if not q:
            return RedirectResponse("/", status_code=303)
        if views.is_code(q) or _looks_like_code_pair(q):
            try:
                await run(engine.explain, q, None)
            except (InvalidCode, engine.NotFound):
                pass
            else:
                return RedirectResponse("/code/" + quote(q, safe="."), status_code=303)
        try:
            entries = await run(engine.codes, q, None, None, None)
        except InvalidCode:
            entries = []
        rows = [views.entry_summary(e) for e in entries[:200]]
        return page(request, "search.html", q=q, rows=rows, count=len(entries))

    @app.get("/code/{code}", include_in_schema=False, response_class=HTMLResponse)
    async def code_page(
        request: Request, code: str, vendor: str | None = Query(None, max_length=64)
    ) -> Response:
        data = await run(engine.explain, code, vendor)
        view = views.code_page_view(data, code)
        return page(request, "code.html", view=view, query=code, vendors=await run(engine.vendors))

    @app.get("/codes", include_in_schema=False, response_class=HTMLResponse)
    async def codes_page(
        request: Request,
        cls: str | None = Query(None, alias="class", pattern="^[245]?$"),
        category: str | None = Query(None, max_length=64),
    ) -> Response:
        entries = await run(engine.codes, None, cls or None, category or None, None)
        rows = [views.entry_summary(e) for e in entries]
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row["class"] or "?", []).append(row)
        return page(
            request,
            "codes.html",
            groups=sorted(groups.items()),
            count=len(rows),
            cls=cls or "",
            category=category or "",
            categories=await _categories(run),
        )

    @app.get("/diagnose", include_in_schema=False, response_class=HTMLResponse)
    async def diagnose_form(request: Request, text: str = Query("", max_length=20_000)) -> Response:
        if text.strip():
            return await _diagnose_page(request, text, None)
        return page(request, "diagnose.html", text="", outcome=None)

    @app.post("/diagnose", include_in_schema=False, response_class=HTMLResponse)
    async def diagnose_post(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        text = form.get("text")
        vendor = form.get("vendor")
        if not isinstance(text, str):
            text = ""
        return await _diagnose_page(request, text, vendor if isinstance(vendor, str) else None)

    async def _diagnose_page(request: Request, text: str, vendor: str | None) -> Response:
        outcome = await run(engine.analyse_paste, text, vendor=vendor or None, max_text=settings.max_text)
        results = [views.result_view(item) for item in outcome["results"]]
        return page(request, "diagnose.html", text=text, outcome=outcome, results=results)

    @app.get("/api", include_in_schema=False, response_class=HTMLResponse)
    async def api_page(request: Request) -> Response:
        # the examples use the address this server was reached at (its real port), not a default
        return page(request, "api.html", schema=app.openapi(), base=str(request.base_url).rstrip("/"))

    # /report: the report of `bouncewise report`, from uploads or the store
    from bouncewise.web.report_routes import router as report_router

    app.include_router(report_router)

    # ------------------------------------------------------------------ store (bouncewise[store])

    from bouncewise.web.store_routes import add_store_routes

    add_store_routes(app, run=run, page=page, problem=Problem)

    static = StaticFiles(directory=str(HERE / "static"))
    app.mount("/static", static, name="static")

    app.add_middleware(LimitsMiddleware, settings=settings)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=600,
        )
    return app


def _looks_like_code_pair(q: str) -> bool:
    parts = q.split()
    return len(parts) == 2 and all(views.is_code(p) for p in parts)


async def _categories(run: Callable[..., Any]) -> list[str]:
    return await run(engine.categories)


def _diagnose_request(payload: Any, settings: Settings) -> tuple[bool, list[str], dict[str, Any]]:
    """JSON body -> (single?, texts, hints). Accepted: {"text": ...}, {"texts": [...]},
    a list of strings, plus optional hints vendor/status/replycode/command/rhost."""
    hints: dict[str, Any] = {}
    if isinstance(payload, dict):
        for key in ("vendor", "status", "replycode", "command", "rhost"):
            value = payload.get(key)
            if value is not None and not isinstance(value, str):
                raise Problem(400, "Invalid request", f"'{key}' must be a string.")
            if value:
                hints[key] = value[:200]
        if isinstance(payload.get("text"), str):
            return True, [payload["text"]], hints
        items = payload.get("texts")
        if items is None:
            raise Problem(400, "Invalid request", "Give 'text' (one reply) or 'texts' (a list of replies).")
    elif isinstance(payload, list):
        items = payload
    elif isinstance(payload, str):
        return True, [payload], hints
    else:
        raise Problem(400, "Invalid request", "The body must be an object, a list of strings or a string.")
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise Problem(400, "Invalid request", "'texts' must be a list of strings.")
    if len(items) > settings.max_items:
        raise Problem(
            413,
            "Content Too Large",
            f"{len(items)} replies in one request; the limit is {settings.max_items}.",
            limit=settings.max_items,
        )
    return False, items, hints
