"""The fronts' own HTTP clients: CloudFront passing a request on to its origin, an ALB forward action.

These are the only parts of the emulated fronts that open sockets (to the company's service).
"""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlsplit

from tools.local_gateway.alb import ALB_BAD_GATEWAY
from tools.local_gateway.cloudfront import cf_header_list
from tools.local_gateway.standins import HOP_BY_HOP, HOST


def forward_to_origin(
    origin: str, request: dict[str, Any], body: bytes, timeout: float = 10.0, *, viewer_host: bool = False
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send the (possibly modified) viewer request on to the origin, as CloudFront would.

    Redirects are not followed; every response header, repeated ``Set-Cookie`` included, is kept.
    ``viewer_host``: pass the viewer's ``Host`` on (an origin request policy such as
    ``AllViewer``) instead of the origin's domain name, CloudFront's default.
    """
    parts = urlsplit(origin)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=timeout)
    target = request.get("uri", "/") + (f"?{request['querystring']}" if request.get("querystring") else "")
    try:
        connection.putrequest(request.get("method", "GET"), target, skip_host=True, skip_accept_encoding=True)
        viewer = [value for name, value in cf_header_list(request.get("headers")) if name.lower() == "host"]
        # CloudFront sends the origin's domain name by default.
        connection.putheader("Host", viewer[0] if viewer_host and viewer else parts.netloc)
        for name, value in cf_header_list(request.get("headers")):
            if name.lower() not in HOP_BY_HOP | {"host"}:
                connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    except (OSError, http.client.HTTPException) as error:
        text = f"502 ERROR: CloudFront could not connect to the origin ({type(error).__name__}).\n".encode()
        return 502, [("Content-Type", "text/plain; charset=utf-8")], text
    finally:
        connection.close()


def forward_to_target(
    target_url: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes, timeout: float = 10.0
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send a request to an HTTP target as an ALB forward action does: target and ``Host`` unchanged.

    Redirects are not followed; every response header, repeated ``Set-Cookie`` included, is kept.
    """
    parts = urlsplit(target_url)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    except (OSError, http.client.HTTPException):
        return 502, [("Content-Type", "text/html")], ALB_BAD_GATEWAY
    finally:
        connection.close()
