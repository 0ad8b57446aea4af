"""The sandbox HTTP server: mounts every provider module's ROUTES on one loopback port.

Standard library only (``ThreadingHTTPServer``): it is a development and test fake, never a
production dependency. Built-in routes:

- ``GET /`` a small page listing what the sandbox received;
- ``GET /_sandbox/received`` the same as JSON; ``POST /_sandbox/reset`` forgets everything;
- ``POST /_sandbox/behaviour`` ``{"provider": "sms", "fail_next": 2, "status": 503,
  "delay_ms": 0, ...}`` sets a provider's switches (merged into the current ones).
"""

from __future__ import annotations

import html
import importlib
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from kmcs_site.sandbox import core

#: Provider modules mounted when present (each exports ROUTES).
PROVIDERS = ("sms", "bank", "agit", "mail")

Route = tuple[str, re.Pattern[str], Callable[[core.SandboxRequest], core.SandboxResponse]]


def load_routes() -> list[Route]:
    routes: list[Route] = []
    for name in PROVIDERS:
        try:
            module = importlib.import_module(f"kmcs_site.sandbox.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kmcs_site.sandbox.{name}":
                raise
            continue
        for method, pattern, handler in module.ROUTES:
            routes.append((method.upper(), re.compile(pattern), handler))
    return routes


def _index_page() -> bytes:
    with core.LOCK:
        rows = list(core.RECEIVED)[-200:]
    items = "".join(
        f"<tr><td>{html.escape(r['provider'])}</td><td>{html.escape(r['method'])}</td>"
        f"<td>{html.escape(r['path'])}</td><td>{html.escape(r['note'])}</td>"
        f"<td><pre>{html.escape(r['body'][:400])}</pre></td></tr>"
        for r in reversed(rows)
    )
    page = (
        "<!doctype html><meta charset='utf-8'><title>KMCS 샌드박스</title>"
        "<h1>KMCS 공급자 샌드박스</h1><p>받은 요청 (최근 200건, 새 것부터)</p>"
        "<table border='1' cellpadding='4'><tr><th>공급자</th><th>메서드</th><th>경로</th>"
        f"<th>메모</th><th>본문</th></tr>{items}</table>"
    )
    return page.encode("utf-8")


def make_handler(routes: list[Route]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "KMCSSandbox/1"
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # quiet: the index page is the log
            return

        def _send(self, response: core.SandboxResponse) -> None:
            body, headers = response.encoded()
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = core.SandboxRequest(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            if request.method == "GET" and request.path == "/":
                return self._send(
                    core.SandboxResponse(
                        200, _index_page(), {"Content-Type": "text/html; charset=utf-8"}
                    )
                )
            if request.path == "/_sandbox/received":
                with core.LOCK:
                    return self._send(core.SandboxResponse(200, list(core.RECEIVED)))
            if request.method == "POST" and request.path == "/_sandbox/reset":
                core.reset()
                return self._send(core.SandboxResponse(200, {"ok": True}))
            if request.method == "POST" and request.path == "/_sandbox/behaviour":
                data = request.json() or {}
                provider = str(data.pop("provider", ""))
                with core.LOCK:
                    core.BEHAVIOUR.setdefault(provider, {}).update(data)
                return self._send(core.SandboxResponse(200, {"ok": True}))
            for method, pattern, handler in routes:
                match = pattern.match(request.path)
                if method == request.method and match:
                    request.match = match.groupdict()
                    try:
                        return self._send(handler(request))
                    except (ValueError, KeyError, TypeError) as exc:
                        return self._send(core.SandboxResponse(400, {"error": str(exc)}))
            return self._send(core.SandboxResponse(404, {"error": "no such sandbox route"}))

        do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    return Handler


class SandboxServer:
    """Start/stop the sandbox in a background thread (tests) or serve forever (the command)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.httpd = ThreadingHTTPServer((host, port), make_handler(load_routes()))
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def serve_forever(self) -> None:
        self.httpd.serve_forever()


def set_behaviour(url: str, provider: str, **switches) -> None:
    """Client helper for tests and the chaos run: change a provider's switches."""
    from urllib import request as urlrequest

    data = json.dumps({"provider": provider, **switches}).encode()
    req = urlrequest.Request(
        f"{url}/_sandbox/behaviour",
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urlrequest.urlopen(req, timeout=5) as answer:  # nosec B310 (loopback sandbox URL)
        answer.read()
