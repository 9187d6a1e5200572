"""A stand-in for the Lambda ``Invoke`` API on 127.0.0.1, for tests, ``make run`` and ``make bench``.

``POST /2015-03-31/functions/{FunctionName}/invocations`` calls the Python handler registered
under that name (the function name, or its full ARN with or without qualifier) with the JSON
event and a small context, and answers as Lambda does (Lambda API reference, "Invoke"):

* ``200`` and the result as JSON;
* ``200`` with ``X-Amz-Function-Error: Unhandled`` and the error JSON
  (``errorMessage``, ``errorType``, ``stackTrace``) when the handler raises;
* ``429 TooManyRequestsException`` for a name in ``throttled``;
* ``404 ResourceNotFoundException`` for a name nobody registered;
* ``403`` when the request's SigV4 signature does not verify against :data:`TEST_CREDENTIALS`
  (checked with botocore's own ``SigV4Auth``, the reference the router's signer is tested against).

It speaks plain HTTP unless given ``tls`` (a certificate and its key, e.g. from
``tools/tls.py``): then HTTPS, as Lambda's endpoint, so a client pays the handshake it pays in AWS.

Use it as a context manager: the server stops (and its thread ends) when the block ends::

    with LocalLambda({"company": handler}) as local:
        os.environ.update(local.environ())
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]

Handler = Callable[[Any, Any], Any]
PREFIX = "/2015-03-31/functions/"
SUFFIX = "/invocations"
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIDLOCALLAMBDA",
    "AWS_SECRET_ACCESS_KEY": "local-lambda-test-secret",
    "AWS_SESSION_TOKEN": "local-lambda-test-session-token",
}
"""What the router must sign with for the stand-in to answer (not a secret: a test fixture)."""
MAX_PAYLOAD = 6 * 1024 * 1024
"""Lambda's synchronous invocation payload limit (request and response)."""


@dataclass
class Invocation:
    """One invoke as the stand-in received it."""

    function: str
    payload: bytes
    headers: dict[str, str]
    client_port: int
    """The router's side of the connection: one port for every invoke of a warm container."""


@dataclass
class _Context:
    """The parts of a Lambda context a handler commonly reads."""

    function_name: str
    aws_request_id: str = "local-lambda-request"
    memory_limit_in_mb: int = 128

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class LocalLambda:
    """The stand-in; ``url`` is its endpoint (for ``AWS_ENDPOINT_URL_LAMBDA``) once started."""

    handlers: Mapping[str, Handler]
    throttled: frozenset[str] = frozenset()
    region: str = "us-east-1"
    drop_kept_connections: bool = False
    """Close each connection after its answer without saying so (no ``Connection: close``), as
    an endpoint does with a connection left idle while the router's container was frozen."""
    tls: tuple[Path, Path] | None = None
    """Certificate and key (PEM files): serve HTTPS with them instead of plain HTTP."""
    dropped: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    """Released once per connection dropped that way, after its end is on the wire: a test waits
    for it where a frozen container would have slept through it."""
    invocations: list[Invocation] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set when the block ends: a slow handler waits on it, so no thread outlives the test."""
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __enter__(self) -> LocalLambda:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        server.daemon_threads = True
        self._server = server
        scheme = "http"
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def environ(self) -> dict[str, str]:
        """What the router's process needs to invoke through this stand-in: its endpoint and the
        test credentials (for ``os.environ.update``, or a subprocess's ``env``)."""
        return {**TEST_CREDENTIALS, "AWS_ENDPOINT_URL_LAMBDA": self.url, "AWS_REGION": self.region}

    def handler_for(self, name: str) -> tuple[str, Handler | None]:
        """The registered short name and handler for a FunctionName (name, ARN, ARN:qualifier)."""
        short = name.split(":")[6] if name.startswith("arn:") and name.count(":") >= 6 else name.split(":")[0]
        return short, self.handlers.get(name) or self.handlers.get(short)

    def verified(self, path: str, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the request carries a valid SigV4 signature by :data:`TEST_CREDENTIALS`."""
        given = headers.get("Authorization", "")
        stamp = headers.get("X-Amz-Date", "")
        if not given.startswith("AWS4-HMAC-SHA256 ") or "SignedHeaders=" not in given:
            return False
        signed_names = given.split("SignedHeaders=")[1].split(",")[0].split(";")
        signed = {name: value for name, value in headers.items() if name.lower() in signed_names}
        signed.pop("X-Amz-Date", None)
        signed.pop("X-Amz-Security-Token", None)
        request = AWSRequest(method="POST", url=self.url + path, data=body, headers=signed)
        credentials = Credentials(
            TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            TEST_CREDENTIALS["AWS_SESSION_TOKEN"],
        )
        try:
            when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
        except ValueError:
            return False
        signer = FixedTimeSigV4(credentials, "lambda", self.region, when)
        signer.add_auth(request)
        return bool(request.headers["Authorization"] == given)


class FixedTimeSigV4(SigV4Auth):  # type: ignore[misc]
    """botocore's ``SigV4Auth.add_auth`` at a given time instead of now (to verify a signature, or
    to compare with another signer); the steps are botocore's own."""

    def __init__(self, credentials: Any, service: str, region: str, when: datetime) -> None:
        super().__init__(credentials, service, region)
        self._when = when

    def add_auth(self, request: Any) -> None:
        """Sign ``request`` as botocore does, dated ``when``."""
        request.context["timestamp"] = self._when.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


def _handler_class(local: LocalLambda) -> type[BaseHTTPRequestHandler]:
    class InvokeHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Lambda's endpoint

        def setup(self) -> None:
            super().setup()
            # Head and body go out in two writes: without this, Nagle's algorithm holds the body
            # for the client's delayed ACK (40 ms a call on Linux loopback), a cost AWS does not have.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: test output stays readable."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if 0 < length <= MAX_PAYLOAD else b""
            if length > MAX_PAYLOAD:
                self._json(413, {"Type": "User", "message": "Request must be smaller than 6291456 bytes"})
                return
            path = self.path
            if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
                self._json(404, {"Type": "User", "message": "Unknown operation"})
                return
            headers = dict(self.headers.items())
            if not local.verified(path, headers, body):
                self._json(403, {"message": "The request signature we calculated does not match"})
                return
            name = unquote(path[len(PREFIX) : -len(SUFFIX)])
            local.invocations.append(Invocation(name, body, headers, self.client_address[1]))
            short, handler = local.handler_for(name)
            if short in local.throttled:
                self._json(429, {"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrency"})
                return
            if handler is None:
                self._json(404, {"Type": "User", "message": f"Function not found: {name}"})
                return
            if headers.get("X-Amz-Invocation-Type", "RequestResponse") != "RequestResponse":
                self._json(400, {"Type": "User", "message": "only RequestResponse is served here"})
                return
            self._invoke(short, handler, body)

        def _invoke(self, name: str, handler: Handler, body: bytes) -> None:
            try:
                result = handler(json.loads(body), _Context(function_name=name))
            except Exception as error:  # noqa: BLE001 -- reported as Lambda reports an unhandled error
                error_json = {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
                self._send(200, json.dumps(error_json).encode(), {"X-Amz-Function-Error": "Unhandled"})
                return
            if isinstance(result, RawResult):  # a handler that wants to send bytes Lambda never would
                self._send(200, result.body, {})
                return
            self._send(200, json.dumps(result).encode(), {})

        def _json(self, status: int, document: dict[str, Any]) -> None:
            self._send(status, json.dumps(document).encode(), {"X-Amzn-ErrorType": str(document.get("Type", ""))})

        def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            if local.drop_kept_connections:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_WR)  # the end, sent now rather than after the handler
                local.dropped.release()

    return InvokeHandler


@dataclass(frozen=True)
class RawResult:
    """Returned by a handler: these exact bytes are the answer body (hostile-endpoint tests)."""

    body: bytes


@contextmanager
def local_lambda(handlers: Mapping[str, Handler], **options: Any) -> Iterator[LocalLambda]:
    """:class:`LocalLambda` as a function, for ``with local_lambda({...}) as local:``."""
    with LocalLambda(handlers, **options) as local:
        yield local
