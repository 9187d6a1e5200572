"""The test company's login app itself: its two shapes agree, and it is as strict as a real one.

The transparency test (``test_transparency.py``) is only as good as this app: it must fail a login
when the host it derives, or the cookies it parses, differ from what it sent. And its Lambda shape
(for ``Fallback.invoke``) must log in through every event source the router's fronts produce,
exactly as the HTTP shape does.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.company_app import AppRequest, CompanyApp, CompanyService, lambda_handler_for
from tests.e2e.conftest import serving
from tests.functional import sources
from tests.support.contexts import LambdaContext

PUBLIC_HOST = "auth.company.example"
AUTHORIZE = "https://provider.example/oauth/authorize"
HEADERS = {"host": PUBLIC_HOST, "x-forwarded-proto": "https"}
"""What every API Gateway / ALB event carries: the public host, and the scheme the client used."""

Answer = tuple[int, str | None, list[str]]
"""Status, ``Location``, every ``Set-Cookie``."""


def _http_api(path: str, query: str, cookies: list[str], template: str = "http_api_v2") -> dict[str, Any]:
    return sources.http_api_event(path, query, template=template, headers=dict(HEADERS), cookies=cookies or None)


def _rest(path: str, query: str, cookies: list[str]) -> dict[str, Any]:
    headers = {name: [value] for name, value in HEADERS.items()}
    if cookies:
        headers["cookie"] = ["; ".join(cookies)]
    return sources.rest_api_event(path, query, headers=headers)


def _alb(path: str, query: str, cookies: list[str]) -> dict[str, Any]:
    headers = {name: [value] for name, value in HEADERS.items()}
    if cookies:
        headers["cookie"] = ["; ".join(cookies)]
    return sources.alb_event(path, query, multi_value=True, headers=headers)


EVENTS: dict[str, Callable[[str, str, list[str]], dict[str, Any]]] = {
    "http_api": _http_api,
    "function_url": lambda path, query, cookies: _http_api(path, query, cookies, "function_url"),
    "rest": _rest,
    "alb": _alb,
}


def _event_answer(answer: dict[str, Any]) -> Answer:
    multi = answer.get("multiValueHeaders") or {name: [value] for name, value in (answer.get("headers") or {}).items()}
    location = next((values[0] for name, values in multi.items() if name.lower() == "location"), None)
    set_cookies = [value for name, values in multi.items() if name.lower() == "set-cookie" for value in values]
    return answer["statusCode"], location, set_cookies + list(answer.get("cookies") or [])


def _pairs(set_cookies: list[str]) -> list[str]:
    """The ``name=value`` a browser sends back for each cookie set (none deleted here)."""
    return [line.split(";", 1)[0] for line in set_cookies]


def _callback_query(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    return f"code=code-1&state={query['state'][0]}"


@pytest.fixture
def app() -> CompanyApp:
    return CompanyApp(AUTHORIZE)


@pytest.fixture
def service(app: CompanyApp) -> Iterator[CompanyService]:
    server = CompanyService(app)
    with serving(server):
        yield server


def _over_http(service: CompanyService, target: str, cookies: list[str]) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", service.server_address[1], timeout=10)
    try:
        headers = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"}
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location"), response.headers.get_all("Set-Cookie") or []
    finally:
        connection.close()


@pytest.mark.parametrize("source", EVENTS)
def test_the_lambda_shape_logs_in_like_the_http_shape(source, app: CompanyApp, service: CompanyService):
    handler = lambda_handler_for(app)
    event = EVENTS[source]
    login = _event_answer(handler(event("/login", "provider=fitbit", []), LambdaContext()))
    callback_query = _callback_query(str(login[1]))
    callback = _event_answer(
        handler(event("/oauth_callback/fitbit", callback_query, _pairs(login[2])), LambdaContext())
    )
    lambda_saw = app.seen

    app.restart()
    assert _over_http(service, "/login?provider=fitbit", []) == login
    assert _over_http(service, f"/oauth_callback/fitbit?{callback_query}", _pairs(login[2])) == callback
    assert app.seen == lambda_saw

    redirect_uri = parse_qs(urlsplit(str(login[1])).query)["redirect_uri"]
    assert redirect_uri == [f"https://{PUBLIC_HOST}/oauth_callback/fitbit"]  # from the request's host and scheme
    assert callback[:2] == (302, f"https://{PUBLIC_HOST}/home")
    assert [line.split("=", 1)[0] for line in callback[2]] == ["company_session", "company_state", "company_provider"]
    assert all("Secure" in line for line in login[2][:2])
    assert [(seen.host, seen.scheme, seen.outcome) for seen in lambda_saw] == [(PUBLIC_HOST, "https", "signed in")]


def _login(app: CompanyApp, host: str) -> tuple[str, list[str]]:
    response = app.handle(AppRequest("GET", "/login", "provider=oura", (("Host", host),)))
    location = dict(response.headers)["Location"]
    cookies = _pairs([value for name, value in response.headers if name == "Set-Cookie"])
    return _callback_query(location), cookies


def test_a_callback_on_another_host_fails_like_a_token_exchange(app: CompanyApp):
    query, cookies = _login(app, PUBLIC_HOST)
    headers = (("Host", "fallback.internal:8443"), ("Cookie", "; ".join(cookies)))
    response = app.handle(AppRequest("GET", "/oauth_callback/oura", query, headers))
    assert response.status == 400
    assert app.seen[-1].outcome.startswith("redirect_uri mismatch")
    # Told the public host, as a proxy that sets X-Forwarded-Host does, it logs in.
    query, cookies = _login(app, PUBLIC_HOST)
    told = (("Host", "fallback.internal:8443"), ("X-Forwarded-Host", PUBLIC_HOST), ("Cookie", "; ".join(cookies)))
    assert app.handle(AppRequest("GET", "/oauth_callback/oura", query, told)).status == 302


def test_cookie_fields_split_over_several_lines_fail_as_they_do_in_a_wsgi_app(app: CompanyApp):
    # A WSGI server joins repeated fields with "," and werkzeug splits cookies on ";" only: the
    # state cookie then swallows the next one (RFC 9113 section 8.2.3 says to join with "; ").
    query, cookies = _login(app, PUBLIC_HOST)
    split = (("Host", PUBLIC_HOST), *(("Cookie", cookie) for cookie in cookies))
    response = app.handle(AppRequest("GET", "/oauth_callback/oura", query, split))
    assert response.status == 400
    assert app.seen[-1].cookies == (("company_state", ",".join(cookies).removeprefix("company_state=")),)
    assert app.seen[-1].outcome == "state does not match the state cookie"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"version": "2.0"},
        {"version": "2.0", "requestContext": {"http": {}}, "rawPath": "/login"},
        {"httpMethod": "GET"},
        {"httpMethod": "GET", "path": "/login", "body": "%%%", "isBase64Encoded": True},
        {"httpMethod": "GET", "path": "/login", "multiValueHeaders": {"host": 5}},
        {"httpMethod": "GET", "path": "/login", "multiValueHeaders": {"host": [5]}},
        {"httpMethod": ["GET"], "path": "/login"},
        {"version": "2.0", "requestContext": {"http": {"method": "GET"}}, "rawPath": "/login", "cookies": [1]},
        "not an event",
        None,
    ],
)
def test_an_unreadable_event_gets_a_400_not_a_crash(event, app: CompanyApp):
    answer = lambda_handler_for(app)(event, LambdaContext())
    assert answer["statusCode"] == 400
    assert app.seen == []


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/oauth_callback/fitbit;%20Domain=evil.example", "code=c&state=s", 404),
        ("/oauth_callback/../login", "", 404),
        ("/oauth_callback/", "code=c", 404),
        ("/login", "provider=fitbit%3B%20Path%3D%2F", 400),
    ],
)
def test_request_text_never_reaches_a_set_cookie_or_a_url(path, query, status, app: CompanyApp):
    response = app.handle(AppRequest("GET", path, query, (("Host", PUBLIC_HOST),)))
    assert response.status == status
    assert not [name for name, _ in response.headers if name == "Set-Cookie"]
