"""A synchronous Lambda ``Invoke`` for the ``invoke`` fallback: SigV4 over one kept connection.

``POST /2015-03-31/functions/{FunctionName}/invocations`` with ``X-Amz-Invocation-Type:
RequestResponse`` (Lambda API reference, "Invoke"), signed with Signature Version 4 (service
``lambda``, the region the function ARN names), with what Lambda gives a function:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``. The endpoint is
``AWS_ENDPOINT_URL_LAMBDA``, else ``AWS_ENDPOINT_URL``, else ``https://lambda.{region}.amazonaws.com``,
as botocore chooses it, so a loopback stand-in (``tools/local_lambda.py``) can take AWS's place in
tests and ``make run``.

Why not botocore: ``make bench`` measures both clients under the Lambda model (init at full CPU,
each ``Invoke`` of the HTTPS loopback stand-in at the memory's CPU share; BENCHMARKS.md, "The
invoke fallback's Lambda client"). This module costs nothing measurable beyond the router's own
imports (an invoke stage imports it anyway), while ``create_client`` adds 117-238 ms to every
cold start and its calls are slower. botocore is also not in the function's bundle (the
runtime's copy is not pinned), and its client brings retries the router must not have: a
retried ``Invoke`` may run the company's code exchange twice. The signer below is checked byte
for byte against botocore's ``SigV4Auth`` in ``tests/unit/test_lambda_invoke.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import select
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from callback_router.core.limits import LAMBDA_RESPONSE_LIMIT
from callback_router.fallbacks.deadline import Deadline
from callback_router.fallbacks.errors import UpstreamError, UpstreamTooLarge
from callback_router.fallbacks.tls import tls_context

INVOKE_PATH = "/2015-03-31/functions/{}/invocations"
SERVICE = "lambda"
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL")
"""botocore's order: the service's own variable, then the general one."""
_DNS_SUFFIX = {
    "aws-cn": "amazonaws.com.cn",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
    "aws-eusc": "amazonaws.eu",
}
"""Partitions whose endpoints are not under ``amazonaws.com`` (botocore's endpoints.json)."""


class InvokeFailed(UpstreamError):
    """The company's function did not give a result; ``reason`` says why, without any event data.

    ``refused``: the Lambda API turned the invoke down (throttled, not found, access denied), so
    the function never ran; API Gateway answers that differently from a function error.
    """

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


@dataclass(frozen=True)
class Credentials:
    """What SigV4 signs with."""

    access_key: str
    secret_key: str
    token: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Credentials:
        """The function's credentials, as the Lambda runtime sets them.

        Raises:
            InvokeFailed: no key in the environment.
        """
        access, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
        if not access or not secret:
            raise InvokeFailed("no AWS credentials in the environment")
        return cls(access, secret, environ.get("AWS_SESSION_TOKEN") or None)


def region_of(function_arn: str) -> str:
    """``us-east-1`` from ``arn:aws:lambda:us-east-1:...``."""
    return function_arn.split(":")[3]


def endpoint_url(function_arn: str, environ: Mapping[str, str]) -> str:
    """Where to send the invoke: the standard endpoint variables first, as botocore reads them.

    Raises:
        InvokeFailed: the variable set is not an ``http(s)`` URL with a host (botocore refuses
            it too: "Invalid endpoint"); no host is guessed from it.
    """
    for name in ENDPOINT_VARIABLES:
        configured = environ.get(name)
        if configured:
            if not _is_http_url(configured):
                raise InvokeFailed(f"{name} is not an http(s) URL with a host")
            return configured.rstrip("/")
    partition = function_arn.split(":")[1]
    return f"https://lambda.{region_of(function_arn)}.{_DNS_SUFFIX.get(partition, 'amazonaws.com')}"


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range or not a number
    except ValueError:
        return False
    clean = url.isascii() and url.isprintable() and " " not in url
    return clean and parts.scheme in ("http", "https") and bool(parts.hostname)


def invoke_path(function_arn: str) -> str:
    """The request path, the ARN percent-encoded as botocore encodes a URI label."""
    return INVOKE_PATH.format(quote(function_arn, safe="-_.~"))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    region: str,
    credentials: Credentials,
    now: datetime,
    service: str = SERVICE,
) -> dict[str, str]:
    """``headers`` plus ``X-Amz-Date``, ``X-Amz-Security-Token`` and ``Authorization`` (SigV4).

    Every header given is signed (botocore signs all but a few hop-by-hop ones, none of which the
    router sends). The path is encoded a second time in the canonical request, as SigV4 wants
    for every service but S3. ``url`` has no query (``Invoke`` takes none).
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    signed = {**headers, "X-Amz-Date": stamp}
    if credentials.token:
        signed["X-Amz-Security-Token"] = credentials.token
    parts = urlsplit(url)
    canonical = {name.lower().strip(): " ".join(value.split()) for name, value in signed.items()}
    canonical.setdefault("host", parts.netloc)
    names = sorted(canonical)
    canonical_request = "\n".join(
        [
            method.upper(),
            quote(parts.path or "/", safe="/~"),
            "",  # no query
            "".join(f"{name}:{canonical[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    key = _hmac(("AWS4" + credentials.secret_key).encode("utf-8"), stamp[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    signed["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return signed


def event_bytes(event: object) -> bytes:
    """The event as the JSON payload: UTF-8 as received, or ``\\u`` escapes where a hand-made
    event holds text (a lone surrogate) that UTF-8 cannot carry."""
    try:
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(event, separators=(",", ":")).encode("ascii")


class _Connections:
    """One connection per endpoint, kept across the invokes of a warm container."""

    def __init__(self) -> None:
        self._kept: dict[str, http.client.HTTPConnection] = {}

    def take(self, endpoint: str, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        """A connection to ``endpoint`` and whether it was used before."""
        kept = self._kept.pop(endpoint, None)
        if kept is not None and _closed_while_idle(kept):
            kept.close()
            kept = None
        if kept is not None:
            kept.timeout = timeout
            if kept.sock is not None:
                kept.sock.settimeout(timeout)
            return kept, True
        parts = urlsplit(endpoint)
        # The port always given: http.client would read "::1" without one as host "::", port 1.
        host, https = parts.hostname or "", parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        if https:
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=tls_context()), False
        return http.client.HTTPConnection(host, port, timeout=timeout), False

    def give_back(self, endpoint: str, connection: http.client.HTTPConnection) -> None:
        """Keep ``connection`` for the next invoke (the caller closes it on any error instead)."""
        self._kept[endpoint] = connection


def _closed_while_idle(connection: http.client.HTTPConnection) -> bool:
    """Whether the endpoint closed (or reset) a kept connection while it sat idle, e.g. while the
    container was frozen: an idle connection has nothing to read, so readable means its end (the
    check urllib3 makes before reusing a connection)."""
    if connection.sock is None:
        return True
    try:
        readable, _, _ = select.select([connection.sock], [], [], 0)
    except (OSError, ValueError):  # closed, or a descriptor select cannot watch
        return True
    return bool(readable)


_CONNECTIONS = _Connections()
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
"""What a kept connection the endpoint closed raises. Sent again only when it was raised before
the whole request was written: Lambda cannot run a request it did not get whole, while one it
got whole may have run the company's function (exchanged the code) before the connection dropped."""


def invoke(function_arn: str, payload: bytes, timeout: float, environ: Mapping[str, str] | None = None) -> object:
    """Invoke ``function_arn`` with ``payload`` and return its result, parsed from JSON.

    Raises:
        InvokeFailed: the function raised (``X-Amz-Function-Error``), Lambda refused the call
            (throttled, not found, access denied...), the answer was not JSON, or ``timeout``
            passed. Never carries the payload or the function's error text.
    """
    environ = os.environ if environ is None else environ
    credentials = Credentials.from_environ(environ)
    endpoint = endpoint_url(function_arn, environ)
    url = endpoint + invoke_path(function_arn)
    path = urlsplit(url).path  # after the endpoint's own path, if it has one, as botocore sends it
    ends = time.monotonic() + timeout  # one deadline, also across the retry below
    for _ in range(2):  # a second time only when a kept connection fails before the request is out
        left = ends - time.monotonic()
        if left <= 0:
            raise InvokeFailed("timeout")
        connection, reused = _CONNECTIONS.take(endpoint, left)
        headers = sign(
            "POST",
            url,
            {"Host": _host(endpoint), "X-Amz-Invocation-Type": "RequestResponse", "Content-Type": "application/json"},
            payload,
            region=region_of(function_arn),
            credentials=credentials,
            now=datetime.now(UTC),
        )
        try:
            return _exchange(connection, reused, endpoint, path, headers, payload, left)
        except InvokeFailed as error:
            if not (reused and isinstance(error.__cause__, _STALE) and error.reason.startswith("stale")):
                raise
    raise InvokeFailed("unreachable")  # pragma: no cover -- the loop always returns or raises


def _host(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets in Host (RFC 9110 section 7.2)
        host = f"[{host}]"
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _read_result(response: http.client.HTTPResponse, deadline: Deadline) -> bytes:
    """The whole answer body, bounded; one cut short of its ``Content-Length`` raises."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(65536):
        deadline.check()
        size += len(chunk)
        if size > LAMBDA_RESPONSE_LIMIT:  # no front carries a larger result
            raise UpstreamTooLarge("invoke result over every front's response limit")
        chunks.append(chunk)
    if response.length:  # http.client counts down what Content-Length promised and read1 stops short silently
        raise http.client.IncompleteRead(b"".join(chunks), response.length)
    return b"".join(chunks)


def _exchange(
    connection: http.client.HTTPConnection,
    reused: bool,
    endpoint: str,
    path: str,
    headers: Mapping[str, str],
    payload: bytes,
    timeout: float,
) -> object:
    deadline = Deadline(timeout)
    sent = answered = False
    try:
        if connection.sock is None:
            connection.connect()
        deadline.sock = connection.sock
        deadline.check()
        connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders(payload)
        sent = True
        response = connection.getresponse()
        answered = True
        body = _read_result(response, deadline)
        deadline.check()
        response.close()  # read to its end: the connection is free for the next invoke
        failed = response.getheader("X-Amz-Function-Error")
        keep = not response.will_close
    except UpstreamTooLarge as error:
        connection.close()
        raise InvokeFailed("result larger than any front carries") from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        connection.close()
        if deadline.expired.is_set():
            raise InvokeFailed("timeout") from error
        unanswered = "" if answered else "stale connection: " if reused and not sent else "no answer: "
        raise InvokeFailed(unanswered + type(error).__name__) from error
    finally:
        deadline.cancel()
    if keep:
        _CONNECTIONS.give_back(endpoint, connection)
    else:
        connection.close()
    if failed is not None:
        # The body is the function's error JSON (message, stack trace): never passed on or logged.
        raise InvokeFailed(f"function error ({failed[:32]})")
    if response.status != 200:
        raise InvokeFailed(f"Lambda answered {response.status}", refused=True)
    try:
        return json.loads(body)
    except ValueError as error:  # UnicodeDecodeError is a ValueError
        raise InvokeFailed("result is not JSON") from error
    except RecursionError as error:  # valid JSON nested deeper than Python's recursion limit
        raise InvokeFailed("result nested too deep to read") from error
