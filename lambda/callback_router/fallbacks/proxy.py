"""The ``proxy`` fallback: the request is replayed to the company's URL and its answer returned as is
(status, repeated headers, every ``Set-Cookie``, binary bodies; redirects are *not* followed).

HTTP/1.1 on the wire is ``h11`` (0.16, pure Python, no dependencies), chosen over
``http.client``, ``urllib3`` and ``httpcore`` on a raw loopback upstream (docs/LIMITS.md):
``http.client`` (and ``urllib3``, built on it) returns a ``103 Early Hints`` as the answer, reads
a duplicated or non-numeric ``Content-Length`` as "until close" and, read chunk by chunk, takes a
body cut short for a whole one; ``h11`` skips every interim ``1xx``, refuses ``101`` without an
upgrade, and raises on each framing error. ``httpcore`` is ``h11`` plus pools and ``certifi``.
Init cost: ``h11`` 4.5 ms, ``httpcore`` 10.3 ms, ``urllib3`` 14.0 ms (medians of 15 fresh
processes at full CPU); ``h11`` adds 31 KB zipped to the API asset and nothing to the edge asset.
Only a function whose fallback is ``proxy`` imports this module (``fallbacks.load``). The one
framing rule ``h11`` leaves to us, ``Transfer-Encoding`` with ``Content-Length``, is checked here.

What each front can carry back (body encodings, size limits) is in docs/LIMITS.md.
"""

from __future__ import annotations

import json
import re
import socket
import zlib
from collections.abc import Iterable
from typing import cast
from urllib.parse import SplitResult, urlsplit

import h11

from callback_router.adapters.api import Answer, Front
from callback_router.adapters.http_api import HTTP_API_FRONT
from callback_router.core.config import Fallback
from callback_router.core.limits import LAMBDA_RESPONSE_LIMIT
from callback_router.core.marker import FALLBACK_MARKER_HEADER, FALLBACK_MARKER_VALUE
from callback_router.core.uri import escape_query
from callback_router.fallbacks import reject
from callback_router.fallbacks.deadline import Deadline
from callback_router.fallbacks.errors import UpstreamError, UpstreamNotText, UpstreamTooLarge
from callback_router.fallbacks.request import ForwardedRequest, fallback_url
from callback_router.fallbacks.tls import tls_context

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
"""RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded (either way)."""
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", FALLBACK_MARKER_HEADER.lower()}
MAX_UPSTREAM_BODY = LAMBDA_RESPONSE_LIMIT
"""No front carries a larger answer: reading stops here instead of filling the function's memory."""
MAX_UPSTREAM_HEAD = LAMBDA_RESPONSE_LIMIT
"""Largest status line plus header block read (h11's own default, 16 KB, is less than a login
answer with many ``Set-Cookie`` lines may take); past it no front could carry the answer."""
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
"""RFC 9110 field name; anything else cannot have come over HTTP and is not sent on."""
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""Control characters a field value may not hold (horizontal tab is allowed)."""
_OBS_FOLD = re.compile(r"\r?\n[ \t]+")
"""RFC 9112 section 5.2: a proxy replaces a folded line with a space before passing it on."""
_DECODABLE = {"gzip": 47, "x-gzip": 47, "deflate": 47}
"""Content codings a REST API answer is decoded from (zlib wbits 32+15: gzip or zlib header)."""


def _connection_listed(headers: Iterable[tuple[str, str]]) -> set[str]:
    return {
        token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")
    }


def forwarded_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` less hop-by-hop ones, ``Host``, ``Content-Length`` and those ``Connection`` names."""
    dropped = _NOT_FORWARDED | _connection_listed(headers)
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def _wire_headers(headers: list[tuple[str, str]], front: Front) -> list[tuple[str, bytes]]:
    # The event holds header values as text decoded from the bytes the browser sent; UTF-8 gives
    # those bytes back (http.client would encode a str as Latin-1 and fail on `pref=€`). A field
    # HTTP/1.1 cannot carry (bad name, CR/LF) cannot have come from a browser: it is not sent on.
    wire: list[tuple[str, bytes]] = []
    for name, value in forwarded_headers(headers):
        if not _TOKEN.match(name) or _CONTROL.search(value):
            continue
        if not front.binary_bodies and name.lower() == "accept-encoding":
            continue
        try:
            # Whitespace around a value is not part of it (RFC 9110 section 5.5); h11 refuses it.
            wire.append((name, value.strip(" \t").encode("utf-8")))
        except UnicodeEncodeError:  # a lone surrogate: no bytes it could stand for
            continue
    if not front.binary_bodies:
        # A REST API without binaryMediaTypes hands a base64 body to the browser as text, so the
        # answer must be text: ask for it uncompressed (a coded answer is still decoded below).
        wire.append(("Accept-Encoding", b"identity"))
    return wire


def answer(
    fallback: Fallback, provider: str | None, request: ForwardedRequest, front: Front, own_path: str | None = None
) -> Answer:
    """The upstream's answer to ``request`` replayed to the fallback URL (see ``fallback_url``), or a 404.

    Raises:
        UpstreamError: from :func:`proxy`, and on a request that was already proxied once.
        MalformedRequest: from :func:`proxy`.
    """
    url = fallback_url(fallback, provider, request, own_path)
    if url is None:
        return reject.answer(fallback, provider, request, front, own_path)
    if any(name.lower() == FALLBACK_MARKER_HEADER.lower() for name, _ in request.headers):
        # Proxying again would replay the request to the URL that just sent it here, forever.
        raise UpstreamError("loop: the fallback URL leads back to the router (see FALLBACK_MARKER_HEADER)")
    return proxy(url, request, fallback.timeout_seconds, front)


def proxy(url: str, request: ForwardedRequest, timeout: float, front: Front = HTTP_API_FRONT) -> Answer:
    """Replay ``request`` to ``url`` and return the upstream's final answer unchanged.

    Connect, request, status line, headers and body share one deadline of ``timeout`` seconds
    (name resolution excepted: it has no socket to cut; Lambda's resolver has its own timeout).
    Interim ``1xx`` answers are skipped (RFC 9110 section 15.2); an answer whose framing is wrong
    or that ends early is an error, never passed on in part (RFC 9112 sections 6.3 and 8).

    Raises:
        MalformedRequest: the event's body cannot be decoded; the upstream is not contacted.
        UpstreamError: on refusal, timeout or a malformed upstream answer; its subclasses
            :class:`UpstreamTooLarge` and :class:`UpstreamNotText` when the answer does not fit
            the front.
    """
    body = request.body_bytes()
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{escape_query(request.raw_query)}" if request.raw_query else "")
    deadline = Deadline(timeout)
    sock: socket.socket | None = None
    try:
        # The URL's own host (a configured URL, ASCII; anything else fails here as a 502).
        headers = [(b"Host", parts.netloc.rpartition("@")[2].encode("ascii"))]
        headers += [(name.encode("ascii"), value) for name, value in _wire_headers(request.headers, front)]
        headers.append((FALLBACK_MARKER_HEADER.encode(), FALLBACK_MARKER_VALUE.encode()))
        if body is not None:
            headers.append((b"Content-Length", str(len(body)).encode()))
        head = h11.Request(method=request.method, target=target, headers=headers)
        sock = _connect(parts, timeout, deadline)
        status, fields, payload = _exchange(sock, head, body, deadline)
        deadline.check()
    except UpstreamError:
        raise
    except (OSError, h11.ProtocolError, ValueError) as error:
        cause = "TimeoutError" if deadline.expired.is_set() else type(error).__name__
        raise UpstreamError(cause) from error
    finally:
        deadline.cancel()
        if sock is not None:
            sock.close()
    return upstream_response(status, fields, payload, front)


def _connect(parts: SplitResult, timeout: float, deadline: Deadline) -> socket.socket:
    """A connected socket to ``parts``' host (TLS for ``https``), handed to ``deadline`` at once."""
    host = parts.hostname or ""
    https = parts.scheme == "https"
    sock = socket.create_connection((host, parts.port or (443 if https else 80)), timeout=timeout)
    try:
        deadline.sock = sock
        deadline.check()  # the timer fired while there was no socket yet to cut
        if https:
            # Handshake only once the deadline holds the TLS socket: a trickled handshake is cut too.
            sock = tls_context().wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
            deadline.sock = sock
            deadline.check()
            sock.do_handshake()
    except BaseException:
        sock.close()
        raise
    return sock


def _exchange(
    sock: socket.socket, head: h11.Request, body: bytes | None, deadline: Deadline
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send one request and read its final answer: status, header fields (Latin-1 text), body."""
    connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_UPSTREAM_HEAD)
    wire = connection.send(head) or b""
    if body:
        wire += connection.send(h11.Data(data=body)) or b""
    sock.sendall(wire + (connection.send(h11.EndOfMessage()) or b""))
    status, fields, chunks, size = 0, [], [], 0
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            if error.error_status_hint == 431:  # h11: "Receive buffer too long"
                raise UpstreamTooLarge("upstream header block over every front's response limit") from error
            raise
        if event is h11.NEED_DATA:
            deadline.check()
            connection.receive_data(sock.recv(65536))  # b"": the upstream closed
        elif isinstance(event, h11.Response):
            status = event.status_code
            fields = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers.raw_items()]
            names = {name for name, _ in event.headers}
            if b"transfer-encoding" in names and b"content-length" in names:
                # RFC 9112 section 6.3: a sign of request smuggling or response splitting.
                raise UpstreamError("answer framed by both Transfer-Encoding and Content-Length")
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > MAX_UPSTREAM_BODY:
                raise UpstreamTooLarge("upstream body over every front's response limit")
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            return status, fields, b"".join(chunks)
        elif isinstance(event, h11.ConnectionClosed):
            raise UpstreamError("upstream closed the connection without an answer")
        # h11.InformationalResponse: an interim 1xx (RFC 9110 section 15.2), skipped; h11 itself
        # refuses a 101, which only an upgrade we never ask for could bring.


def _header_text(text: str) -> str:
    # http.client decodes header bytes as Latin-1; the function's answer is JSON text that the
    # front writes out as UTF-8. Undoing Latin-1 and reading UTF-8 keeps the upstream's bytes
    # (`café` stays `café`, not `cafÃ©`); bytes that are not UTF-8 cannot be kept by any front,
    # and stay Latin-1 characters.
    raw = text.encode("latin-1", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def _identity_body(body: bytes, coding: str) -> bytes:
    """``body`` without its content coding, bounded like any upstream body."""
    wbits = _DECODABLE.get(coding)
    if wbits is None:
        raise UpstreamNotText(f"content coding {coding[:32]!r} cannot be undone for a text-only front")
    attempts = (wbits, -zlib.MAX_WBITS) if coding == "deflate" else (wbits,)  # some send raw deflate
    for attempt in attempts:
        decoder = zlib.decompressobj(attempt)
        try:
            decoded = decoder.decompress(body, MAX_UPSTREAM_BODY + 1)
        except zlib.error:
            continue
        if len(decoded) > MAX_UPSTREAM_BODY:
            raise UpstreamTooLarge("decoded upstream body over every front's response limit")
        if decoder.eof:
            return decoded
    raise UpstreamNotText("content-coded upstream body does not decode")


def _body_payload(body: bytes, coded: bool) -> str | bytes:
    # Binary-capable fronts: text when the body is UTF-8 and not content-coded (the front writes
    # it out as UTF-8: the same bytes), unless its JSON escapes make it larger than base64
    # (3.9 MB of `"` is 7.8 MB as JSON text, 5.2 MB as base64).
    if coded:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    return text if len(json.dumps(text)) <= 4 * ((len(body) + 2) // 3) + 2 else body


def upstream_response(
    status: int, headers: Iterable[tuple[str, str]], body: bytes, front: Front = HTTP_API_FRONT
) -> Answer:
    """Turn an upstream answer into the front's :class:`Answer` without losing repeated headers.

    Raises:
        UpstreamTooLarge: the answer would exceed ``front.response_limit``.
        UpstreamNotText: ``front`` carries text only and the body is not UTF-8 (after undoing a
            ``gzip``/``deflate`` coding).
    """
    fields = [(_header_text(name), _OBS_FOLD.sub(" ", _header_text(value))) for name, value in headers]
    dropped = _NOT_FORWARDED | _connection_listed(fields)
    grouped: dict[str, list[str]] = {}
    cookies: list[str] = []
    names: dict[str, str] = {}
    for name, value in fields:
        lower = name.lower()
        if lower in dropped or not _TOKEN.match(name) or _CONTROL.search(value):
            continue
        if lower == "set-cookie":
            cookies.append(value)
            continue
        grouped.setdefault(names.setdefault(lower, name), []).append(value)
    coding_name = names.get("content-encoding")
    coding = ", ".join(grouped[coding_name]).strip().lower() if coding_name else ""
    coded = coding not in ("", "identity")
    payload: str | bytes = ""
    if body and front.binary_bodies:
        payload = _body_payload(body, coded)
    elif body:
        if coded:
            body = _identity_body(body, coding)
            del grouped[cast("str", coding_name)]
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UpstreamNotText("upstream body is not UTF-8 text") from error
    size = len(json.dumps([grouped, cookies])) + 8 * len(grouped) + 16 * len(cookies) + 256
    size += 4 * ((len(payload) + 2) // 3) if isinstance(payload, bytes) else len(json.dumps(payload))
    if size > front.response_limit:  # an upper bound of the JSON each front's serializer writes
        raise UpstreamTooLarge(f"answer of about {size} bytes; {front.name} takes {front.response_limit}")
    # The upstream's Set-Cookie lines are already serialized: they pass through byte for byte.
    return Answer(status, dict(grouped), payload, cookies)
