"""A company callback on 127.0.0.1 that speaks raw HTTP/1.1, byte for byte.

``http.server`` decodes header bytes as Latin-1 and writes only well-formed answers; these tests
need to see the exact bytes the router sends and to answer with exact bytes (UTF-8 header
values, folded lines, gzip bodies, a status line trickled a byte at a time). Each connection
gets ``answer(request)``; with ``trickle`` set, the answer goes out one byte every ``trickle``
seconds. The server stops by itself at the end of the test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tests.functional.conftest import Configure, Router


@dataclass(frozen=True)
class RawRequest:
    """One request as it arrived: the head's bytes and the body."""

    head: bytes
    body: bytes

    @property
    def request_line(self) -> bytes:
        return self.head.split(b"\r\n", 1)[0]

    def header(self, name: str) -> list[bytes]:
        """Every value of ``name``, as bytes."""
        values = []
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                values.append(value.strip())
        return values


def answer_bytes(status: str = "200 OK", headers: list[tuple[str, bytes]] | None = None, body: bytes = b"") -> bytes:
    """An HTTP/1.1 answer with ``Content-Length`` and ``Connection: close`` added."""
    lines = [f"HTTP/1.1 {status}".encode()]
    lines += [name.encode() + b": " + value for name, value in headers or []]
    lines += [f"Content-Length: {len(body)}".encode(), b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


Answer = Callable[[RawRequest], bytes]


@dataclass
class RawUpstream:
    url: str
    answer: Answer = field(default=lambda request: answer_bytes(body=b"ok"))
    trickle: float | None = None
    """Seconds between answer bytes; ``None`` sends the answer at once."""
    at_once: int = 0
    """With ``trickle``: how many leading bytes go out at once before the trickle starts."""
    read_request: bool = True
    """``False``: answer without waiting for an HTTP request (e.g. a TLS client's hello)."""
    received: list[RawRequest] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)


def _read_request(connection: socket.socket) -> RawRequest:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawRequest(head, body)


def _serve_one(upstream: RawUpstream, connection: socket.socket) -> None:
    with connection:
        connection.settimeout(5)
        request = _read_request(connection) if upstream.read_request else RawRequest(b"", b"")
        upstream.received.append(request)
        data = upstream.answer(request)
        with contextlib.suppress(OSError):  # the router hung up (a deadline test): expected
            if upstream.trickle is None:
                connection.sendall(data)
                return
            connection.sendall(data[: upstream.at_once])
            for index in range(upstream.at_once, len(data)):
                if upstream.stopping.is_set():
                    return
                connection.sendall(data[index : index + 1])
                time.sleep(upstream.trickle)


def _serve(upstream: RawUpstream, listener: socket.socket) -> None:
    workers = []
    while not upstream.stopping.is_set():
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            break
        worker = threading.Thread(target=_serve_one, args=(upstream, connection), daemon=True)
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join(timeout=5)


def serve_raw(host: str = "127.0.0.1") -> Iterator[RawUpstream]:
    """Generator for a fixture: a raw company callback, stopped when the generator is closed.

    ``host``: the loopback address to listen on (``::1`` for an IPv6 literal URL).
    """
    ipv6 = ":" in host
    listener = socket.create_server((host, 0), family=socket.AF_INET6 if ipv6 else socket.AF_INET)
    listener.settimeout(0.05)
    upstream = RawUpstream(url=f"http://{f'[{host}]' if ipv6 else host}:{listener.getsockname()[1]}")
    thread = threading.Thread(target=_serve, args=(upstream, listener), daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        upstream.stopping.set()
        thread.join(timeout=10)
        listener.close()
        assert not thread.is_alive()


def proxy_to(configure: Configure, upstream: RawUpstream, timeout: float = 2.0) -> Router:
    """The router with the proxy fallback pointed at ``upstream``'s ``/company/{provider}``."""
    return configure(
        {
            "environments": ["sandbox-us"],
            "fallback": {"mode": "proxy", "url": f"{upstream.url}/company/{{provider}}", "timeout_seconds": timeout},
        }
    )
