"""What the browser gets on each front: coded and binary upstream bodies, and size limits.

Each front's documented rule is applied to the handler's answer to get the bytes the browser
receives (docs/LIMITS.md):

* HTTP API, Function URL, ALB: an ``isBase64Encoded`` body is decoded and sent as bytes; a text
  body is sent as its UTF-8 bytes (``api_result`` does exactly this).
* REST API with no ``binaryMediaTypes`` (an imported API usually has none): ``body`` is sent as
  its UTF-8 text, base64 or not (:func:`rest_browser_bytes`).

And every answer must fit its front: Lambda's 6 MB response payload (HTTP API, REST API,
Function URL), ALB's 1 MB, the 40 KB a viewer-request function may generate.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from callback_router.core.limits import ALB_RESPONSE_LIMIT, EDGE_GENERATED_RESPONSE_LIMIT, LAMBDA_RESPONSE_LIMIT, fits
from callback_router.core.texts import NOT_TEXT_TEXT, RESPONSE_TOO_LARGE_TEXT
from tests.functional.conftest import Configure
from tests.functional.raw_upstream import RawRequest, RawUpstream, answer_bytes, proxy_to, serve_raw
from tests.functional.sources import (
    ALB_MULTI,
    ALB_SINGLE,
    API_SOURCES,
    CLOUDFRONT,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
    Result,
    Source,
)
from tests.functional.test_proxy_wire import event_for
from tests.support.tokens import SANDBOX_US, mint_token

BINARY_FRONTS = [HTTP_API, FUNCTION_URL, ALB_SINGLE, ALB_MULTI]
binary_ids = [source.name for source in BINARY_FRONTS]
api_ids = [source.name for source in API_SOURCES]
PAGE = '<p>Welcome back, Zoë: 東京 "ok" 🙂</p>\n'.encode() * 40
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


@pytest.fixture
def upstream() -> Iterator[RawUpstream]:
    yield from serve_raw()


def limit_of(source: Source) -> int:
    return ALB_RESPONSE_LIMIT if source in (ALB_SINGLE, ALB_MULTI) else LAMBDA_RESPONSE_LIMIT


def serialized_size(result: Result) -> int:
    """The answer as the Lambda runtime writes it (ASCII-escaped JSON), in bytes."""
    return len(json.dumps(result.raw))


def rest_browser_bytes(result: Result) -> bytes:
    """What a REST API without ``binaryMediaTypes`` sends: ``body`` as UTF-8 text, even base64."""
    return str(result.raw["body"]).encode("utf-8")


def gzip_when_asked(request: RawRequest) -> bytes:
    """A company callback that compresses whenever the request allows it, as many servers do."""
    accepted = b",".join(request.header("Accept-Encoding")).lower()
    if b"gzip" in accepted:
        return answer_bytes(
            headers=[("Content-Type", b"text/html; charset=utf-8"), ("Content-Encoding", b"gzip")],
            body=gzip.compress(PAGE, mtime=0),
        )
    return answer_bytes(headers=[("Content-Type", b"text/html; charset=utf-8")], body=PAGE)


def sent_by(upstream: RawUpstream) -> bytes:
    """The body bytes the upstream sent for its one request."""
    [request] = upstream.received
    data = upstream.answer(request)
    return data.split(b"\r\n\r\n", 1)[1]


# 2. Compressed and binary upstream answers, per front.


@pytest.mark.parametrize("source", BINARY_FRONTS, ids=binary_ids)
def test_binary_capable_front_delivers_the_compressed_bytes_the_upstream_sent(
    configure: Configure, upstream: RawUpstream, source: Source
):
    upstream.answer = gzip_when_asked
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source, headers={"Accept-Encoding": BROWSER_ENCODINGS}))
    assert result.status == 200
    [request] = upstream.received
    assert request.header("Accept-Encoding") == [BROWSER_ENCODINGS.encode()]  # forwarded as sent
    assert result.raw["isBase64Encoded"] is True  # these fronts decode it to bytes for the browser
    assert result.body == sent_by(upstream)
    assert result.header("content-encoding") == "gzip"
    assert gzip.decompress(result.body) == PAGE


@pytest.mark.parametrize("source", BINARY_FRONTS, ids=binary_ids)
def test_binary_capable_front_delivers_binary_bytes(configure: Configure, upstream: RawUpstream, source: Source):
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    upstream.answer = lambda _: answer_bytes(headers=[("Content-Type", b"image/png")], body=image)
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source))
    assert result.status == 200
    assert result.body == image


def test_rest_api_asks_for_identity_and_the_browser_gets_the_page_as_text(configure: Configure, upstream: RawUpstream):
    upstream.answer = gzip_when_asked
    router = proxy_to(configure, upstream)
    result = REST_API.call(router, event_for(REST_API, headers={"Accept-Encoding": BROWSER_ENCODINGS}))
    assert result.status == 200
    [request] = upstream.received
    assert request.header("Accept-Encoding") == [b"identity"]
    assert result.raw["isBase64Encoded"] is False
    assert rest_browser_bytes(result) == sent_by(upstream) == PAGE
    assert "content-encoding" not in result.headers


def deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "coded"),
    [
        ("gzip", gzip.compress(PAGE, mtime=0)),
        ("x-gzip", gzip.compress(PAGE, mtime=0)),
        ("deflate", zlib.compress(PAGE)),
        ("deflate", deflate_raw(PAGE)),
        ("GZIP ", gzip.compress(PAGE, mtime=0)),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "gzip-odd-case"],
)
def test_rest_api_decodes_an_upstream_that_compresses_anyway(
    configure: Configure, upstream: RawUpstream, coding: str, coded: bytes
):
    headers = [("Content-Type", b"text/html; charset=utf-8"), ("Content-Encoding", coding.encode())]
    upstream.answer = lambda _: answer_bytes(headers=headers, body=coded)
    router = proxy_to(configure, upstream)
    result = REST_API.call(router, event_for(REST_API))
    assert result.status == 200
    assert result.raw["isBase64Encoded"] is False
    assert rest_browser_bytes(result) == PAGE
    assert "content-encoding" not in result.headers


NOT_TEXT = {
    "png": ([("Content-Type", b"image/png")], b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    "latin-1-html": ([("Content-Type", b"text/html; charset=iso-8859-1")], b"<p>caf\xe9</p>"),
    "brotli": ([("Content-Type", b"text/html"), ("Content-Encoding", b"br")], b"\x1b\x03\x00\xf8\xa5"),
    "broken-gzip": ([("Content-Type", b"text/html"), ("Content-Encoding", b"gzip")], b"\x1f\x8b\x08garbage"),
    "truncated-gzip": ([("Content-Type", b"text/html"), ("Content-Encoding", b"gzip")], gzip.compress(PAGE)[:40]),
    "gzip-of-binary": ([("Content-Type", b"image/png"), ("Content-Encoding", b"gzip")], gzip.compress(b"\xff" * 9)),
    "two-codings": ([("Content-Encoding", b"gzip, gzip")], gzip.compress(gzip.compress(PAGE))),
}


@pytest.mark.parametrize("case", sorted(NOT_TEXT))
def test_rest_api_answer_that_cannot_travel_as_text_is_a_clear_counted_502(
    configure: Configure, upstream: RawUpstream, output, case: str
):
    headers, body = NOT_TEXT[case]
    upstream.answer = lambda _: answer_bytes(headers=headers, body=body)
    router = proxy_to(configure, upstream)
    result = REST_API.call(router, event_for(REST_API))
    assert result.status == 502
    assert rest_browser_bytes(result) == NOT_TEXT_TEXT.encode()
    out = output()
    assert {"FallbackBodyNotText", "FallbackUpstreamError"} <= set(out.metric_names())
    assert "ResponseTooLarge" not in out.metric_names()


def test_rest_api_gzip_bomb_is_refused_without_decoding_it_whole(configure: Configure, upstream: RawUpstream, output):
    bomb = gzip.compress(b"a" * (LAMBDA_RESPONSE_LIMIT * 4), compresslevel=9)
    assert len(bomb) < 100_000
    headers = [("Content-Type", b"text/plain"), ("Content-Encoding", b"gzip")]
    upstream.answer = lambda _: answer_bytes(headers=headers, body=bomb)
    router = proxy_to(configure, upstream)
    result = REST_API.call(router, event_for(REST_API))
    assert result.status == 502
    assert rest_browser_bytes(result) == RESPONSE_TOO_LARGE_TEXT.encode()
    assert {"ResponseTooLarge", "FallbackUpstreamError"} <= set(output().metric_names())


# 8. Every answer fits its front.


def big_answer(size: int, byte: bytes = b"a", content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    return answer_bytes(headers=[("Content-Type", content_type)], body=byte * size)


@pytest.mark.parametrize("source", [ALB_SINGLE, ALB_MULTI], ids=lambda s: s.name)
def test_upstream_answer_over_albs_1_mb_is_a_clear_counted_502(
    configure: Configure, upstream: RawUpstream, output, source: Source
):
    upstream.answer = lambda _: big_answer(1_500_000)
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source))
    assert result.status == 502
    assert result.body == RESPONSE_TOO_LARGE_TEXT.encode()
    assert serialized_size(result) <= ALB_RESPONSE_LIMIT
    assert {"ResponseTooLarge", "FallbackUpstreamError"} <= set(output().metric_names())


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_answers_just_under_the_limit_still_go_through(configure: Configure, upstream: RawUpstream, source: Source):
    size = limit_of(source) - 20_000
    upstream.answer = lambda _: big_answer(size)
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source))
    assert result.status == 200
    assert result.body == b"a" * size
    assert serialized_size(result) <= limit_of(source)


QUOTES = 3_900_000
"""3.9 MB of ``"``: 7.8 MB once each is escaped in JSON text, 5.2 MB as base64."""


@pytest.mark.parametrize("source", [HTTP_API, FUNCTION_URL], ids=lambda s: s.name)
def test_text_that_json_escaping_would_double_goes_out_as_base64(
    configure: Configure, upstream: RawUpstream, source: Source
):
    upstream.answer = lambda _: big_answer(QUOTES, b'"')
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source))
    assert result.status == 200
    assert serialized_size(result) <= LAMBDA_RESPONSE_LIMIT
    assert result.raw["isBase64Encoded"] is True
    assert result.body == b'"' * QUOTES


def test_text_that_json_escaping_would_double_is_a_counted_502_through_rest(
    configure: Configure, upstream: RawUpstream, output
):
    upstream.answer = lambda _: big_answer(QUOTES, b'"')
    router = proxy_to(configure, upstream)
    result = REST_API.call(router, event_for(REST_API))
    assert result.status == 502
    assert serialized_size(result) <= LAMBDA_RESPONSE_LIMIT
    assert {"ResponseTooLarge", "FallbackUpstreamError"} <= set(output().metric_names())


@pytest.mark.parametrize("size", [4_700_000, 7_000_000], ids=["base64-over-6-MB", "over-the-read-cap"])
def test_binary_answer_over_lambdas_6_mb_is_a_counted_502(configure: Configure, upstream: RawUpstream, output, size):
    body = os.urandom(size)
    upstream.answer = lambda _: answer_bytes(headers=[("Content-Type", b"application/pdf")], body=body)
    router = proxy_to(configure, upstream)
    result = HTTP_API.call(router, event_for(HTTP_API))
    assert result.status == 502
    assert result.body == RESPONSE_TOO_LARGE_TEXT.encode()
    assert {"ResponseTooLarge", "FallbackUpstreamError"} <= set(output().metric_names())


def test_huge_upstream_headers_count_towards_the_limit(configure: Configure, upstream: RawUpstream, output):
    headers = [("X-Big", b"x" * 60_000)] * 20 + [("X-Wide", "é".encode() * 30_000)] * 20
    upstream.answer = lambda _: answer_bytes(headers=headers, body=b"ok")
    router = proxy_to(configure, upstream)
    result = ALB_MULTI.call(router, event_for(ALB_MULTI))
    assert serialized_size(result) <= ALB_RESPONSE_LIMIT
    assert result.status == 502
    assert "ResponseTooLarge" in output().metric_names()


LATIN1_QUERY = "code=" + "é" * 8_000
"""An 8 KB query of Latin-1 characters: each is percent-encoded as UTF-8 (6 bytes) in the
``Location``, which grows to ~48 KB."""


def junction_query(code: str) -> str:
    return f"{code}&state={mint_token()}"


def test_edge_307_over_the_40_kb_generated_response_limit_is_a_counted_414(configure: Configure, output):
    router = configure()
    result = CLOUDFRONT.send(router, raw_query=junction_query(LATIN1_QUERY))
    assert result.status == 414
    assert len(json.dumps(result.raw)) <= EDGE_GENERATED_RESPONSE_LIMIT
    assert result.location is None
    assert result.header("cache-control") == "no-store"
    out = output()
    assert "ResponseTooLarge" in out.metric_names()
    assert LATIN1_QUERY not in out.text  # the query (code, state) never reaches a log line


def test_edge_307_under_the_limit_is_still_a_307(configure: Configure):
    router = configure()
    query = junction_query("code=" + "é" * 5_000)
    result = CLOUDFRONT.send(router, raw_query=query)
    assert result.status == 307
    assert result.location is not None
    assert result.location.startswith(f"{SANDBOX_US}/connect/fitbit?code=%C3%A9")
    assert len(json.dumps(result.raw)) <= EDGE_GENERATED_RESPONSE_LIMIT


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_api_fronts_carry_the_same_long_307(configure: Configure, source: Source):
    router = configure()
    result = source.send(router, raw_query=junction_query(LATIN1_QUERY))
    assert result.status == 307
    assert result.location is not None
    assert len(result.location) > EDGE_GENERATED_RESPONSE_LIMIT
    assert serialized_size(result) <= limit_of(source)


@pytest.mark.parametrize("source", [ALB_SINGLE, ALB_MULTI], ids=lambda s: s.name)
def test_any_answer_over_the_front_limit_becomes_a_small_502(configure: Configure, output, source: Source):
    # No ALB passes a 200,000-character query (its request line limit is far lower), but the
    # handler does not rely on that: the serialized answer itself is measured.
    router = configure()
    result = source.send(router, raw_query=junction_query("code=" + "é" * 200_000))
    assert result.status == 502
    assert result.raw["statusDescription"] == "502 Bad Gateway"
    assert result.body == RESPONSE_TOO_LARGE_TEXT.encode()
    assert ("multiValueHeaders" in result.raw) is (source is ALB_MULTI)
    assert serialized_size(result) <= ALB_RESPONSE_LIMIT
    assert "ResponseTooLarge" in output().metric_names()


def test_answer_size_is_measured_exactly_at_the_boundary() -> None:
    answer: dict[str, Any] = {"statusCode": 307, "headers": {"Location": "😀" * 10}, "body": ""}
    assert fits(answer, len(json.dumps(answer)))
    assert not fits(answer, len(json.dumps(answer)) - 1)
