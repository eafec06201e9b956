"""A real HTTP server on 127.0.0.1 (loopback only) that misbehaves on request.

Each route (a URL path) maps to a behaviour: a function that writes the response through
the request handler. The live sources are pointed at it with their ``RUNOFF_<SOURCE>_URL``
endpoint variables (:func:`data.sources.http.endpoint`), so ``runoff data update`` talks
to it exactly as it talks to FRED or Yahoo: through ``requests``, sockets and all.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.hits.append(path)
        behave = self.server.routes.get(path)
        if behave is None:
            send(404, b"no such route")(self)
        else:
            behave(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class LocalServer(ThreadingHTTPServer):
    """A threading HTTP server with a route table; ``url`` is its base URL."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Behaviour] = {}
        self.hits: list[str] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@contextmanager
def local_server() -> Iterator[LocalServer]:
    """Serve on a free loopback port in a daemon thread for the duration of the block."""
    server = LocalServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- behaviours


def send(
    status: int, body: bytes | str, headers: dict[str, str] | None = None, delay: float = 0.0
) -> Behaviour:
    """A complete response (after ``delay`` seconds)."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def behave(h: BaseHTTPRequestHandler) -> None:
        if delay:
            time.sleep(delay)
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return behave


def truncated(body: bytes | str, claimed: int) -> Behaviour:
    """Announce ``claimed`` bytes, send fewer, then close the connection."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(claimed))
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()
        h.close_connection = True

    return behave


def hang_up(h: BaseHTTPRequestHandler) -> None:
    """Close the connection without any response."""
    h.close_connection = True


def redirect_loop(h: BaseHTTPRequestHandler) -> None:
    """Redirect to itself, forever."""
    h.send_response(302)
    h.send_header("Location", h.path)
    h.send_header("Content-Length", "0")
    h.end_headers()


def gzipped(body: bytes, *, valid: bool = True) -> Behaviour:
    """A ``Content-Encoding: gzip`` body (``valid=False``: the header lies)."""
    data = gzip.compress(body) if valid else body
    return send(200, data, {"Content-Encoding": "gzip"})
