"""One deadline for a whole exchange over a socket: the proxy fallback's and the invoke fallback's."""

from __future__ import annotations

import contextlib
import socket
import threading


class Deadline:
    """Cuts a connection when the fallback's time is up, whatever it is waiting for.

    The socket timeout bounds each connect and each recv, not the whole exchange: an upstream
    trickling its status line, headers or body a byte at a time would outlive the function's own
    timeout, and the user would get the front's error page instead of our 502 (and no metric).
    Shutting the socket down from a timer ends any blocked read or write at once.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self.sock: socket.socket | None = None
        """The connected (TLS) socket, once there is one."""
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.expired.set()
        sock = self.sock
        if sock is not None:
            # The plain socket's shutdown, also for TLS: ssl.SSLSocket.shutdown would first drop
            # its TLS state under the reading thread's feet. OSError: already closed.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def check(self) -> None:
        """Raise if the time is up (a read cut short by the timer may look like a clean end)."""
        if self.expired.is_set():
            raise TimeoutError("upstream answer not complete before the fallback timeout")

    def cancel(self) -> None:
        """Stop the timer: the exchange is over."""
        self._timer.cancel()
