"""The company's stand-ins: an HTTP server and a Lambda handler that show what they received.

:class:`StandInServer` is the company's own OAuth callback (and, in the tests, Junction's);
:class:`CompanyFunctionStandIn` is the same logic as a Lambda function (the ``invoke`` fallback's
target). :class:`QuietHandler` is the silent keep-alive request handler every local server here
(and the tests' own stand-ins) builds on.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools.function_events import event_answer, request_from_event

HOST = "127.0.0.1"
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
)
COMPANY_STAND_IN_COOKIES = ("company_seen=1; Path=/", "company_theme=dark; Path=/; HttpOnly")
"""What the company stand-ins set: two cookies, so a front that keeps only one is seen at once."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as a stand-in server received it."""

    method: str
    target: str
    """The request target exactly as sent: raw path, ``?`` and raw query."""
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        """The raw path (before ``?``)."""
        return self.target.partition("?")[0]

    @property
    def raw_query(self) -> str:
        """The raw query string (after the first ``?``), untouched."""
        return self.target.partition("?")[2]

    @property
    def cookie(self) -> str:
        """Every ``Cookie`` header, joined as a browser would send them."""
        return "; ".join(value for name, value in self.headers if name.lower() == "cookie")


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive capable, silent request handler base (every local server here builds on it)."""

    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle keep-alive connection frees its thread after this many seconds
    # Headers and body go out in separate writes; with Nagle on, the second small write waits
    # for the peer's delayed ACK (~40 ms per keep-alive request on Linux loopback).
    disable_nagle_algorithm = True
    server_version = "local-gateway"

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the handlers' structured log lines say what happened."""

    def read_body(self) -> bytes:
        """The request body (``Content-Length`` only; clients here do not send chunked bodies)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def reply(self, status: int, headers: list[tuple[str, str]], body: bytes, reason: str | None = None) -> None:
        """Send a complete answer with ``Content-Length`` (so the connection can be kept alive)."""
        self.send_response(status, reason)
        for name, value in headers:
            # send_response() already wrote this server's own Server and Date.
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)


class StandInServer(ThreadingHTTPServer):
    """A server that records each request and answers with a page showing what it received.

    Used for the company's own callback (here) and for the Junction stand-in (in the tests).
    The answer carries ``X-Stand-In-Target`` (the raw target received) so that a client can
    check, without parsing HTML, exactly what arrived.
    """

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, title: str, port: int = 0, set_cookies: tuple[str, ...] = ()) -> None:
        self.title = title
        self.set_cookies = set_cookies
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self.keep_requests = True
        super().__init__((HOST, port), _StandInHandler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{HOST}:{self.server_address[1]}"

    def record(self, request: RecordedRequest) -> None:
        """Remember one request (thread-safe)."""
        if self.keep_requests:
            with self._lock:
                self.requests.append(request)

    def received(self) -> list[RecordedRequest]:
        """A snapshot of what was received so far."""
        with self._lock:
            return list(self.requests)


def stand_in_answer(
    title: str, request: RecordedRequest, set_cookies: tuple[str, ...] = ()
) -> tuple[int, list[tuple[str, str]], bytes]:
    """A stand-in's answer: a page showing what it received, ``X-Stand-In`` (its title) and
    ``X-Stand-In-Target`` (the raw target), and its ``Set-Cookie`` lines."""
    rows = [
        ("method", request.method),
        ("path", request.path),
        ("query", request.raw_query),
        ("cookies", request.cookie or "(none)"),
        ("body", request.body.decode("utf-8", "replace") if request.body else "(none)"),
    ]
    text = "\n".join(f"{name:8} {value}" for name, value in rows)
    escaped = html.escape(title)
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escaped}</title></head>"
        f"<body><h1>{escaped}</h1><pre id='received'>{html.escape(text)}</pre></body></html>\n"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("X-Stand-In", title),
        ("X-Stand-In-Target", request.target),
    ]
    headers += [("Set-Cookie", cookie) for cookie in set_cookies]
    return 200, headers, page.encode("utf-8")


class _StandInHandler(QuietHandler):
    server: StandInServer

    def _serve(self) -> None:
        body = self.read_body()
        request = RecordedRequest(self.command, self.path, tuple(self.headers.items()), body)
        self.server.record(request)
        self.reply(*stand_in_answer(self.server.title, request, self.server.set_cookies))

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class CompanyFunctionStandIn:
    """The company's callback as a Lambda function: the stand-in's logic behind a handler.

    It takes whatever event its front builds (HTTP API / Function URL 2.0, REST 1.0, ALB single or
    multi-value), records it in :attr:`events`, and answers, in that front's format, the page
    :func:`stand_in_answer` shows: what it received. ``make run`` registers it on the local Lambda
    Invoke API under the ``invoke`` fallback's ARN.
    """

    title = "Company callback function stand-in"
    set_cookies = COMPANY_STAND_IN_COOKIES

    def __init__(self) -> None:
        self.events: list[Any] = []
        """Every event received, as the function got it (parsed from the invoke's JSON)."""
        self._lock = threading.Lock()

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        """The Lambda handler."""
        with self._lock:
            self.events.append(event)
        try:
            request = request_from_event(event)
        except ValueError:
            return event_answer(event, 400, [("Content-Type", "text/plain")], b"not an API Gateway or ALB event\n")
        target = request.path + (f"?{request.query}" if request.query else "")
        recorded = RecordedRequest(request.method, target, request.headers, request.body)
        return event_answer(event, *stand_in_answer(self.title, recorded, self.set_cookies))
