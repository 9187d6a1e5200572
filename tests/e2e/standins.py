"""Local stand-ins for the outside world: an OAuth provider's consent page, and Junction.

Everything binds 127.0.0.1 on an ephemeral port. The provider stand-in serves a consent page
with an Allow and a Deny button; each answers, like a real provider, with a redirect to the
registered callback URL, carrying the exact query the test chose and Fitbit's ``#_=_``.
It also serves a standard authorization endpoint, ``/oauth/authorize`` (``redirect_uri``,
``state``, ``response_mode``), for a real client such as ``tests/e2e/company_app.py``: Allow
answers ``302`` to ``redirect_uri`` with ``code`` and ``state``, or with ``response_mode=form_post``
a page whose form POSTs them there.
Junction's stand-in is the gateway's :class:`tools.local_gateway.StandInServer`, which records
what it received.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from tools.local_gateway import HOST, QuietHandler, StandInServer

__all__ = ["Flow", "ProviderStandIn", "StandInServer"]


@dataclass(frozen=True)
class Flow:
    """One authorization the provider will answer: where to, and with which exact queries."""

    callback_url: str
    allow_query: str
    deny_query: str
    fragment: str = "_=_"  # Fitbit appends #_=_ to its redirect


class ProviderStandIn(ThreadingHTTPServer):
    """``GET /authorize?flow=N`` shows the consent page; ``POST /consent`` redirects to the callback."""

    daemon_threads = True

    def __init__(self) -> None:
        self.flows: dict[str, Flow] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__((HOST, 0), _ProviderHandler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.server_address[1]}"

    def register(self, flow: Flow) -> str:
        """Remember ``flow`` and return the consent page URL for it."""
        with self._lock:
            flow_id = str(next(self._ids))
            self.flows[flow_id] = flow
        return f"{self.url}/authorize?flow={flow_id}"


class _ProviderHandler(QuietHandler):
    server: ProviderStandIn

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/oauth/authorize":
            self._authorize(parse_qs(parts.query))
            return
        flow_id = parse_qs(parts.query).get("flow", [""])[0]
        if parts.path != "/authorize" or flow_id not in self.server.flows:
            self.reply(404, [("Content-Type", "text/plain")], b"no such page\n")
            return
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Provider consent</title></head>
<body><h1>Allow Example App to read your activity data?</h1>
<form method="post" action="/consent">
<input type="hidden" name="flow" value="{html.escape(flow_id)}">
<button id="allow" name="decision" value="allow">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button>
</form></body></html>
"""
        self.reply(200, [("Content-Type", "text/html; charset=utf-8")], page.encode())

    def do_POST(self) -> None:
        form = parse_qs(self.read_body().decode("ascii"))
        if self.path == "/oauth/consent":
            self._consent(form)
            return
        flow = self.server.flows.get(form.get("flow", [""])[0])
        decision = form.get("decision", [""])[0]
        if self.path != "/consent" or flow is None or decision not in ("allow", "deny"):
            self.reply(400, [("Content-Type", "text/plain")], b"bad consent\n")
            return
        query = flow.allow_query if decision == "allow" else flow.deny_query
        # Real providers answer a form POST with 302 or 303; the browser then GETs the callback.
        status = 303 if decision == "allow" else 302
        location = f"{flow.callback_url}?{query}" + (f"#{flow.fragment}" if flow.fragment else "")
        self.reply(status, [("Location", location), ("Cache-Control", "no-store")], b"")

    def _authorize(self, query: dict[str, list[str]]) -> None:
        fields = {key: query.get(key, [""])[0] for key in ("redirect_uri", "state", "response_mode")}
        if not fields["redirect_uri"].startswith("http") or query.get("response_type") != ["code"]:
            self.reply(400, [("Content-Type", "text/plain")], b"invalid_request\n")
            return
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">' for name, value in fields.items()
        )
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Provider consent</title></head>
<body><h1>Allow the company's app to read your activity data?</h1>
<form method="post" action="/oauth/consent">{hidden}
<button id="allow" name="decision" value="allow">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button>
</form></body></html>
"""
        self.reply(200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], page.encode())

    def _consent(self, form: dict[str, list[str]]) -> None:
        redirect_uri, state, mode = (form.get(key, [""])[0] for key in ("redirect_uri", "state", "response_mode"))
        if form.get("decision") == ["allow"]:
            # The same state gets the same code: a flow run twice gives the same callback.
            answer = {"code": "code-" + hashlib.sha256(state.encode()).hexdigest()[:16], "state": state}
        else:
            answer = {"error": "access_denied", "state": state}
        if mode != "form_post":
            self.reply(302, [("Location", f"{redirect_uri}?{urlencode(answer)}"), ("Cache-Control", "no-store")], b"")
            return
        inputs = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">' for name, value in answer.items()
        )
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Signing you in</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="{html.escape(redirect_uri)}">{inputs}</form>
</body></html>
"""
        self.reply(200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], page.encode())
