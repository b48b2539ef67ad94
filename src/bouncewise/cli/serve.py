"""``bouncewise serve``: the HTTP API and web page (needs the ``web`` extra)."""

from __future__ import annotations

import os
import socket

import click

from bouncewise.web.settings import Settings

DEFAULTS = Settings()


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--max-body",
    default=DEFAULTS.max_body,
    show_default=True,
    type=click.IntRange(1),
    help="Largest request body in bytes (413 above).",
)
@click.option(
    "--timeout",
    default=DEFAULTS.timeout,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a request may take (503 above).",
)
@click.option(
    "--max-concurrency",
    default=DEFAULTS.max_concurrency,
    show_default=True,
    type=click.IntRange(1),
    help="Requests in progress per worker (503 above).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow cross-origin calls from ORIGIN (repeatable; '*' for any). CORS is off without it.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host: str,
    port: int,
    workers: int,
    max_body: int,
    timeout: float,
    max_concurrency: int,
    cors_origins: tuple[str, ...],
    log_level: str,
) -> None:
    """Run the HTTP API and the web page.

    \b
    Examples:
      bouncewise serve                      # http://127.0.0.1:8025/
      bouncewise serve --port 9000 --workers 2
      bouncewise serve --cors-origin https://tools.example.org

    The API lives under /v1 and is described at /openapi.json.
    """
    try:
        import uvicorn

        import bouncewise.web.app  # noqa: F401  (fail early when the web extra is missing)
    except ImportError as exc:
        raise click.ClickException(
            f"the web extra is not installed ({exc.name}); install it with: pip install 'bouncewise[web]'"
        ) from None
    settings = Settings(
        max_body=max_body, timeout=timeout, max_concurrency=max_concurrency, cors_origins=tuple(cors_origins)
    )
    # Worker processes build their own app: hand the settings over through the environment.
    os.environ.update(settings.to_env())
    click.echo(
        f"bouncewise: serving on http://{_url_host(host)}:{port}/ (API under /v1, Ctrl-C to stop)", err=True
    )
    config = uvicorn.Config(
        "bouncewise.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=5,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    _run_workers(config, _bind(host, port))


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket the worker processes share. Created with the TCP protocol number
    and TCP_NODELAY (inherited by accepted connections): uvicorn's own shared socket has
    proto 0, so asyncio leaves Nagle's algorithm on and small responses wait ~40 ms for the
    peer's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _run_workers(config: object, sock: socket.socket) -> None:
    import inspect

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    kwargs: dict[str, object] = {"sockets": [sock]}
    if "target" in inspect.signature(Multiprocess).parameters:  # older uvicorn
        kwargs["target"] = uvicorn.Server(config).run  # type: ignore[arg-type]
    try:
        Multiprocess(config, **kwargs).run()  # type: ignore[arg-type]
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
