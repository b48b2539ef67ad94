"""``/report`` for ``bouncewise serve``: upload files (messages, logs, NDJSON) or read the
store, and get the report of ``bouncewise report`` - as a page of this site (its CSS and JS
linked from /report/assets, as the site's security policy wants), as one self-contained HTML
file to download, or as Markdown. Included into the app by ``bouncewise.web.app``."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from bouncewise import __version__

HERE = Path(__file__).resolve().parent
MAX_FILES = 20
STORE_ENV = "BOUNCEWISE_DB"  # the store the server reads for /report/store (never given by a visitor)
ASSETS_URL = "/report/assets"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(version=__version__)


def _store_url() -> str | None:
    url = os.environ.get(STORE_ENV, "").strip()
    if not url:
        return None
    try:
        import bouncewise.store as store
    except ImportError:
        return None
    return url if hasattr(store, "open_store") else None


def _respond(rep: dict[str, Any], how: str) -> Response:
    from bouncewise.report import render_html, render_markdown

    if how == "md":
        return PlainTextResponse(render_markdown(rep), media_type="text/markdown; charset=utf-8")
    if how == "file":
        return Response(
            render_html(rep), media_type="text/html; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="bounce-report.html"'},
        )
    return HTMLResponse(render_html(rep, assets_url=ASSETS_URL))


@router.get("/report", response_class=HTMLResponse)
async def report_form(request: Request) -> Response:
    settings = request.app.state.settings
    return templates.TemplateResponse(
        request, "report_form.html",
        {"store": _store_url() is not None, "max_files": MAX_FILES, "max_mb": round(settings.max_body / 1024 / 1024, 1)},
    )


@router.post("/report")
async def report_upload(request: Request) -> Response:
    form = await request.form(max_files=MAX_FILES, max_fields=5)
    how = form.get("as") if form.get("as") in ("page", "file", "md") else "page"
    uploads = [f for f in form.getlist("files") if hasattr(f, "read") and getattr(f, "filename", None)]
    if not uploads:
        raise HTTPException(400, "Choose one or more files to make a report from.")
    with tempfile.TemporaryDirectory(prefix="bouncewise-report-") as tmp:
        paths = []
        for i, up in enumerate(uploads, 1):
            name = _SAFE_NAME.sub("_", os.path.basename(str(up.filename)))[:100] or f"upload-{i}"
            path = os.path.join(tmp, f"{i:02d}-{name}")
            with open(path, "wb") as fh:
                while chunk := await up.read(1024 * 1024):
                    fh.write(chunk)
            paths.append(path)
        rep = await run_in_threadpool(_build, paths, tmp)
    return _respond(rep, str(how))


def _build(paths: list[str], tmp: str) -> dict[str, Any]:
    from bouncewise.report.build import collect

    agg = collect(paths)
    for item in agg.inputs:  # show the uploaded names, not the temporary paths
        item["name"] = os.path.basename(item["name"])[3:]
    return agg.finish()


@router.get("/report/store")
async def report_store(how: str = Query("page", alias="as", pattern="^(page|file|md)$")) -> Response:
    url = _store_url()
    if url is None:
        raise HTTPException(
            503, f"No store here: the store is not available in this installation, or {STORE_ENV} is not set."
        )
    from bouncewise.report.build import collect

    agg = await run_in_threadpool(collect, [], db=url)
    return _respond(agg.finish(), how)


@router.get("/report/assets/{name}")
async def report_asset(name: str) -> Response:
    from bouncewise.report.html import ASSETS, asset

    if name not in ASSETS:
        raise HTTPException(404, f"There is nothing at /report/assets/{name[:100]}.")
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return Response(asset(name), media_type=f"{media}; charset=utf-8", headers={"cache-control": "public, max-age=3600"})
