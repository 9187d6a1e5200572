"""Any header, any body: what the proxy sends on and hands back stays within HTTP and the fronts.

Property tests of the proxy's two translation steps (event text -> request bytes, upstream
answer -> the front's JSON), and of the handlers with arbitrary bodies outside proxy mode.
"""

from __future__ import annotations

import re
from typing import Any

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callback_router.adapters.alb import ALB_FRONT
from callback_router.adapters.api import Front
from callback_router.adapters.http_api import HTTP_API_FRONT
from callback_router.adapters.rest_api import REST_API_FRONT
from callback_router.fallbacks.errors import UpstreamError, UpstreamNotText
from callback_router.fallbacks.forwarding import forwarding_fields, joined_cookie
from callback_router.fallbacks.proxy import HOP_BY_HOP, _wire_headers, upstream_response
from tests.functional.conftest import Configure
from tests.functional.sources import API_SOURCES, FUNCTION_URL, HTTP_API, alb_event, http_api_event, rest_api_event

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
FIELD_VALUE = re.compile(rb"[^\x00-\x08\x0a-\x1f\x7f]*\Z")
FRONTS = st.sampled_from([HTTP_API_FRONT, REST_API_FRONT, ALB_FRONT])
names = st.one_of(
    st.sampled_from(["Cookie", "Connection", "Accept-Encoding", "Host", "TE", "X-A", "Content-Length"]),
    st.text(max_size=12),
)
texts = st.text(max_size=40)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@given(headers=st.lists(st.tuples(names, texts), max_size=8), front=FRONTS)
def test_forwarded_header_fields_are_always_valid_http_and_keep_their_utf8_bytes(headers, front: Front):
    wire = _wire_headers(headers, front)
    for name, value in wire:
        assert TOKEN.match(name.encode("ascii"))
        assert FIELD_VALUE.match(value)
        assert name.lower() not in HOP_BY_HOP | {"host", "content-length"}
    listed = {
        token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")
    }
    dropped = HOP_BY_HOP | listed | {"host", "content-length", "x-junction-callback-router"}
    if not front.binary_bodies:
        dropped |= {"accept-encoding"}
        assert [value for name, value in wire if name.lower() == "accept-encoding"] == [b"identity"]
    for name, value in headers:
        carried = _encodable(name) and _encodable(value) and TOKEN.match(name.encode())
        if carried and FIELD_VALUE.match(value.encode()) and name.lower() not in dropped:
            # The browser's bytes, unchanged but for whitespace around the value (not part of it).
            assert (name, value.strip(" \t").encode("utf-8")) in wire
    # h11 refuses to send what HTTP/1.1 cannot carry: every field that is left, it sends.
    fields = [(b"Host", b"company.test"), *((name.encode(), value) for name, value in wire)]
    h11.Connection(h11.CLIENT).send(h11.Request(method="GET", target="/", headers=fields))


# The proxy hands header fields over as Latin-1 text of the upstream's bytes.
latin1 = st.binary(max_size=30).map(lambda data: data.decode("latin-1"))
upstream_names = st.one_of(
    st.sampled_from(["Content-Type", "Content-Encoding", "Set-Cookie", "Connection", "Keep-Alive", "X-B"]), latin1
)


def browser_bytes(answer: Any, front: Front) -> bytes:
    """The body as the front sends it: decoded when base64 (binary fronts), UTF-8 text otherwise."""
    if isinstance(answer.body, bytes):
        assert front.binary_bodies
        return answer.body
    return str(answer.body).encode("utf-8")


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.tuples(upstream_names, latin1), max_size=8),
    body=st.binary(max_size=300),
    front=FRONTS,
)
def test_any_upstream_answer_is_delivered_exactly_or_refused_cleanly(headers, body: bytes, front: Front):
    try:
        answer = upstream_response(200, headers, body, front)
    except UpstreamError as error:
        # A clear, counted 502 (the handler's side is tested against a real upstream), and here only
        # ever for the one reason this input allows: a text-only front and a body that is not UTF-8
        # text (a body this small is never too large).
        assert isinstance(error, UpstreamNotText) and not front.binary_bodies, error
        if not any(name.lower() == "content-encoding" for name, _ in headers):
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
        return
    fields = [(name, value) for name, values in answer.headers.items() for value in values] + [
        ("Set-Cookie", str(cookie)) for cookie in answer.cookies
    ]
    connection_listed = {
        token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")
    }
    for name, value in fields:
        assert TOKEN.match(name.encode("utf-8"))
        assert FIELD_VALUE.match(value.encode("utf-8"))
        assert name.lower() not in HOP_BY_HOP | connection_listed | {"content-length"}
    coded = any(name.lower() == "content-encoding" for name, _ in fields)
    if front.binary_bodies or not coded:
        delivered = browser_bytes(answer, front)
        if front.binary_bodies:
            assert delivered == body
        elif not any(name.lower() == "content-encoding" for name, _ in headers):
            assert delivered == body  # REST, no coding: the same UTF-8 text


def event_with_body(source: Any, body: str, is_base64: bool, method: str) -> dict[str, Any]:
    if source in (HTTP_API, FUNCTION_URL):
        template = "function_url" if source is FUNCTION_URL else "http_api_v2"
        return http_api_event(
            raw_query="code=1", method=method, template=template, body=body, is_base64_encoded=is_base64
        )
    if source.handler == "rest_api_handler":
        return rest_api_event(raw_query="code=1", method=method, body=body, is_base64_encoded=is_base64)
    return alb_event(
        raw_query="code=1",
        method=method,
        multi_value=source.name == "alb_multi",
        body=body,
        is_base64_encoded=is_base64,
    )


@pytest.mark.parametrize(
    ("fallback", "status"),
    [({"mode": "reject"}, 404), ({"mode": "redirect", "url": "https://auth.company.test/cb/{provider}"}, 307)],
    ids=["reject", "redirect"],
)
def test_any_body_gets_the_reject_and_redirect_answers(configure: Configure, fallback, status: int):
    router = configure({"environments": ["sandbox-us"], "fallback": fallback})

    @settings(max_examples=80, deadline=None)
    @given(
        body=st.text(max_size=60),
        is_base64=st.booleans(),
        method=st.sampled_from(["GET", "POST", "PUT"]),
        source=st.sampled_from(API_SOURCES),
    )
    def check(body: str, is_base64: bool, method: str, source: Any) -> None:
        result = source.call(router, event_with_body(source, body, is_base64, method))
        assert result.status == status

    check()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=80)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)),
    max_leaves=8,
)
forwarding_names = st.sampled_from(
    ["Host", "host", "X-Forwarded-For", "x-forwarded-proto", "X-Forwarded-Port", "Cookie"]
)
request_contexts = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "domainName": json_values,
            "identity": st.one_of(json_values, st.fixed_dictionaries({"sourceIp": json_values})),
            "http": st.one_of(json_values, st.fixed_dictionaries({"sourceIp": json_values})),
        },
    ),
)


@given(
    headers=st.lists(st.tuples(forwarding_names, st.text(max_size=300)), max_size=8),
    context=request_contexts,
    default_proto=st.sampled_from([None, "https"]),
    cookies=st.lists(st.one_of(st.text(max_size=30), st.integers(), st.none()), max_size=4),
)
def test_forwarding_and_cookie_fields_are_always_sendable_whatever_the_event_holds(
    headers, context, default_proto, cookies
):
    # Whatever a hand-made event holds where the front's facts belong, the router's own fields
    # are valid HTTP/1.1 that h11 sends, each at most once, or are left out.
    fields = forwarding_fields(headers, {"requestContext": context}, default_proto=default_proto)
    cookie = joined_cookie(headers, cookies)
    if cookie is not None:
        fields.append(("Cookie", cookie))
    names = [name for name, _ in fields]
    assert len(names) == len(set(names))
    wire = [(b"Host", b"company.test"), *((name.encode(), value.encode("utf-8")) for name, value in fields)]
    h11.Connection(h11.CLIENT).send(h11.Request(method="GET", target="/", headers=wire))
    for name, value in fields:
        if name != "Cookie":
            assert value.isascii() and len(value) < 600, (name, value)
