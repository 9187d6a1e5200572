"""A company's own OAuth client login app: what the router must let through untouched.

A small but real login flow, the way a Flask or Django app behind a load balancer does it:

* ``GET /login?provider=fitbit[&response_mode=form_post]`` sets a ``company_state`` cookie and a
  pre-login ``company_session`` cookie, and answers ``302`` to the provider's authorize URL with a
  ``redirect_uri`` built **from the request's scheme and host** (``X-Forwarded-Proto`` /
  ``X-Forwarded-Host`` when present, trusting one proxy hop, as werkzeug's ``ProxyFix`` does).
  The state is a JWT the company signs itself (``aud`` = the company, not Junction), so on every
  front, the ALB's ``state=eyJ*`` rule included, the router reads it and must let it through.
* ``GET`` / ``HEAD`` / ``POST`` (``response_mode=form_post``) ``/oauth_callback/{provider}``
  checks the state against its cookie and its signature, checks that the ``redirect_uri`` it would
  build now equals the one it sent (a real provider's token exchange fails on a mismatch), sets a
  new session cookie, deletes the state cookie, sets one with ``Path`` and ``Expires``, and
  answers ``302`` to ``/home`` (absolute, from the same scheme and host).

Every id is deterministic (a counter, reset by :meth:`CompanyApp.restart`), so the same flow run
twice, with and without the router, gives the same cookies, states and codes byte for byte.

One logic (:meth:`CompanyApp.handle`), two shapes: :class:`CompanyService`, a stdlib HTTP server
on 127.0.0.1 (what ``Fallback.proxy`` replays to), and :func:`lambda_handler_for`, a Lambda
handler taking API Gateway REST (1.0), HTTP API / Function URL (2.0) and ALB events (what
``Fallback.invoke`` hands the original event to).
"""

from __future__ import annotations

import hmac
import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jwt

from tools import function_events
from tools.local_gateway import HOST, QuietHandler

COMPANY_AUDIENCE = "https://auth.company.example/app"
"""The company's own ``aud`` in its state JWTs: never one of Junction's base URLs."""
SIGNING_KEY = "company-app-test-key, not a secret, at least 32 bytes"
CLIENT_ID = "company-client-id"
STATE_COOKIE = "company_state"
SESSION_COOKIE = "company_session"
DELETED = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
_SLUG = re.compile(r"[a-z0-9_]{1,40}")

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AppRequest:
    """A request as the app's framework hands it over: every header field, repeats kept."""

    method: str
    path: str
    query: str
    """The raw query string, without ``?``."""
    headers: Headers
    body: bytes = b""
    scheme: str = "http"
    """The scheme of the connection the app itself terminates (before ``X-Forwarded-Proto``)."""

    def header(self, name: str) -> str | None:
        """The field's value; repeated fields joined with ``,``, as WSGI servers do (CGI environ)."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class AppResponse:
    """Status, header fields (``Set-Cookie`` repeated) and body."""

    status: int
    headers: Headers
    body: bytes = b""


@dataclass(frozen=True)
class Seen:
    """What the callback handler saw and concluded: the record the tests compare."""

    method: str
    path: str
    query: str
    cookies: tuple[tuple[str, str], ...]
    """The cookies as the app parsed them, in order."""
    host: str
    scheme: str
    body: bytes
    outcome: str
    """``"signed in"`` or why the login failed."""


def parse_cookies(header: str | None) -> tuple[tuple[str, str], ...]:
    """``name=value`` pairs split on ``;``, as werkzeug's ``parse_cookie`` does (no comma splitting)."""
    pairs = []
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            pairs.append((name, value))
    return tuple(pairs)


def public_origin(request: AppRequest) -> tuple[str, str]:
    """Scheme and host as ``ProxyFix(x_proto=1, x_host=1)`` derives them: the last forwarded value wins."""
    forwarded_proto = request.header("X-Forwarded-Proto")
    forwarded_host = request.header("X-Forwarded-Host")
    scheme = forwarded_proto.split(",")[-1].strip() if forwarded_proto else request.scheme
    host = forwarded_host.split(",")[-1].strip() if forwarded_host else (request.header("Host") or "")
    return scheme, host


def _form(request: AppRequest) -> dict[str, str]:
    # The last value of each key, as a framework's request.args / request.form .get() gives it.
    query = dict(parse_qsl(request.query, keep_blank_values=True))
    if request.method == "POST" and (request.header("Content-Type") or "").startswith(
        "application/x-www-form-urlencoded"
    ):
        query.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return query


class CompanyApp:
    """The login app's logic, framework-free: :meth:`handle` a request, read :attr:`seen`."""

    def __init__(self, authorize_url: str) -> None:
        self.authorize_url = authorize_url
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._ids = 0

    def restart(self) -> None:
        """Forget every record and start the id counter again (a fresh deployment of the app)."""
        with self._lock:
            self.seen = []
            self._ids = 0

    def _next_id(self, kind: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{kind}-{self._ids}"

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def handle(self, request: AppRequest) -> AppResponse:
        """Answer one request; never raises on bad input (a clear 4xx instead)."""
        if request.path == "/login" and request.method in ("GET", "HEAD"):
            return self._login(request)
        provider = request.path.removeprefix("/oauth_callback/")
        if request.path != provider and _SLUG.fullmatch(provider) and request.method in ("GET", "HEAD", "POST"):
            return self._callback(request, provider)
        if request.path == "/home" and request.method in ("GET", "HEAD"):
            session = dict(parse_cookies(request.header("Cookie"))).get(SESSION_COOKIE, "(none)")
            return _page(200, "Company home", f"session {session}")
        return _page(404, "Not found", request.path)

    def _login(self, request: AppRequest) -> AppResponse:
        form = _form(request)
        provider = form.get("provider", "fitbit")
        if not _SLUG.fullmatch(provider):
            return _page(400, "Bad request", "unknown provider")
        scheme, host = public_origin(request)
        redirect_uri = f"{scheme}://{host}/oauth_callback/{provider}"
        claims = {"aud": COMPANY_AUDIENCE, "nonce": self._next_id("nonce"), "redirect_uri": redirect_uri}
        state = jwt.encode(claims, SIGNING_KEY, algorithm="HS256")  # no iat: the same flow, the same state
        query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri, "state": state}
        if form.get("response_mode") == "form_post":
            query["response_mode"] = "form_post"
        secure = "; Secure" if scheme == "https" else ""
        return AppResponse(
            302,
            (
                ("Location", f"{self.authorize_url}?{urlencode(query)}"),
                ("Set-Cookie", f"{STATE_COOKIE}={state}; Path=/; HttpOnly; SameSite=Lax{secure}"),
                ("Set-Cookie", f"{SESSION_COOKIE}={self._next_id('anon')}; Path=/; HttpOnly; SameSite=Lax{secure}"),
                ("Set-Cookie", "company_legacy=1; Path=/"),
                ("Cache-Control", "no-store"),
            ),
        )

    def _check(self, request: AppRequest, redirect_uri: str) -> str:
        form = _form(request)
        state = form.get("state", "")
        if "error" in form:
            return f"provider error {form['error']}"
        cookie = dict(parse_cookies(request.header("Cookie"))).get(STATE_COOKIE, "")
        if not state or not hmac.compare_digest(cookie.encode(), state.encode()):
            return "state does not match the state cookie"
        try:
            claims = jwt.decode(state, SIGNING_KEY, algorithms=["HS256"], audience=COMPANY_AUDIENCE)
        except jwt.InvalidTokenError:
            return "state is not the company's"
        if claims.get("redirect_uri") != redirect_uri:
            return f"redirect_uri mismatch: sent {claims.get('redirect_uri')}, now {redirect_uri}"
        if not form.get("code"):
            return "no code"
        return "signed in"

    def _callback(self, request: AppRequest, provider: str) -> AppResponse:
        scheme, host = public_origin(request)
        redirect_uri = f"{scheme}://{host}/oauth_callback/{provider}"
        outcome = self._check(request, redirect_uri)
        cookies = parse_cookies(request.header("Cookie"))
        self._record(Seen(request.method, request.path, request.query, cookies, host, scheme, request.body, outcome))
        if outcome != "signed in":
            return _page(400, "Login failed", outcome)
        secure = "; Secure" if scheme == "https" else ""
        expires = (datetime.now(UTC).date() + timedelta(days=30)).strftime("%a, %d %b %Y 00:00:00 GMT")
        return AppResponse(
            302,
            (
                ("Location", f"{scheme}://{host}/home"),
                ("Set-Cookie", f"{SESSION_COOKIE}={self._next_id('session')}; Path=/; HttpOnly; SameSite=Lax{secure}"),
                ("Set-Cookie", f"{STATE_COOKIE}=; Path=/; {DELETED}"),
                ("Set-Cookie", f"company_provider={provider}; Path=/home; Expires={expires}"),
                ("Cache-Control", "no-store"),
            ),
        )


def _page(status: int, title: str, text: str) -> AppResponse:
    body = f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(text)}"
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"))
    return AppResponse(status, headers, body.encode())


# ---------------------------------------------------------------- shape 1: an HTTP service


class CompanyService(ThreadingHTTPServer):
    """The app as an HTTP service on 127.0.0.1 (ephemeral port), the upstream of ``Fallback.proxy``."""

    daemon_threads = True

    def __init__(self, app: CompanyApp) -> None:
        self.app = app
        super().__init__((HOST, 0), _ServiceHandler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.server_address[1]}"


class _ServiceHandler(QuietHandler):
    server: CompanyService

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        try:
            body = self.read_body()
        except ValueError:  # a Content-Length that is not a number
            self.reply(400, [("Content-Type", "text/plain")], b"bad request\n")
            return
        response = self.server.app.handle(AppRequest(self.command, path, query, tuple(self.headers.items()), body))
        self.reply(response.status, list(response.headers), response.body)

    do_GET = do_HEAD = do_POST = _serve


# ---------------------------------------------------------------- shape 2: a Lambda handler


def request_from_event(event: Any) -> AppRequest:
    """The request an API Gateway (1.0 or 2.0), Function URL or ALB event describes.

    Raises:
        ValueError: not one of those events.
    """
    request = function_events.request_from_event(event)
    # API Gateway, Function URLs and ALB listeners here terminate TLS; X-Forwarded-Proto says more.
    return AppRequest(request.method, request.path, request.query, request.headers, request.body, "https")


def event_answer(event: dict[str, Any], response: AppResponse) -> dict[str, Any]:
    """``response`` in the shape the event's front reads (2.0: ``cookies``; 1.0 / ALB multi-value)."""
    return function_events.event_answer(event, response.status, response.headers, response.body)


def lambda_handler_for(app: CompanyApp) -> Callable[[Any, Any], dict[str, Any]]:
    """The app as a Lambda function's handler, the target of ``Fallback.invoke``."""

    def handler(event: Any, context: Any) -> dict[str, Any]:
        try:
            request = request_from_event(event)
        except ValueError:
            return event_answer(event if isinstance(event, dict) else {}, _page(400, "Bad request", "unreadable event"))
        return event_answer(event, app.handle(request))

    return handler
