"""The header fields the proxy fallback replays that the router itself writes.

* ``Cookie``: one field, the browser's cookie fields joined with ``"; "`` (RFC 9113 section
  8.2.3; RFC 6265 section 5.4), whatever the front did with them: payload 2.0 moves them into
  ``cookies``, a REST API or ALB multi-value event keeps one ``cookie`` entry per HTTP/2 field.
  Replayed as several ``Cookie:`` lines they reach a werkzeug/Flask handler as one value joined
  with ``,`` (``oauth_state="s1,session=abc"``, no session).
* ``X-Forwarded-Host`` / ``-Proto`` / ``-Port`` / ``-For`` and ``Forwarded`` (RFC 7239): the public
  host, scheme, port and client address *as the front saw them*, since the replayed request's
  ``Host`` is the fallback URL's. Whatever the client sent under these names (and any other
  ``X-Forwarded-*``) is dropped, never passed on: the company's handler trusts them to build
  ``redirect_uri``, cookie domains and post-login redirects.

Every value is taken from the event only if it has the strict form of its kind (a host name or
IP literal, ``http``/``https``, a port number, an IP address): a hand-made event can hold
anything, and a field that does not fit is left out rather than sent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

COOKIE = "cookie"
_HOST = re.compile(r"(?:[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?\Z")
"""A DNS name or IP literal, with an optional port: what a ``Host`` field can truthfully hold."""
_RFC7239_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MAX_HOST = 255


def joined_cookie(headers: Iterable[tuple[str, str]], cookies: Iterable[object] = ()) -> str | None:
    """Every cookie field's text (``Cookie`` headers, then payload 2.0 ``cookies``) as one value.

    A piece that HTTP/1.1 cannot carry (CR, LF, another control character) is left out on its
    own, so one hostile piece cannot cost the browser its other cookies.
    """
    pieces = [value for name, value in headers if name.lower() == COOKIE]
    pieces += [cookie for cookie in cookies if isinstance(cookie, str)]
    kept = [piece.strip(" \t;") for piece in pieces if not _CONTROL.search(piece)]
    joined = "; ".join(piece for piece in kept if piece)
    return joined or None


def without_cookies_or_forwarding(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` less ``Cookie`` (the router joins it) and every forwarding field the client sent."""
    return [(name, value) for name, value in headers if not _is_cookie_or_forwarding(name.lower())]


def _is_cookie_or_forwarding(lower: str) -> bool:
    return lower in (COOKIE, "forwarded") or lower.startswith("x-forwarded-")


def _last(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The last comma-separated element of the last ``name`` field: what the front itself wrote.

    A front that appends (``X-Forwarded-For`` on API Gateway and ALB) puts its own value last.
    """
    values = [value for key, value in headers if key.lower() == name]
    return values[-1].rsplit(",", 1)[-1].strip() if values else None


def _dig(event: Mapping[str, Any], *keys: str) -> object:
    value: object = event
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _host(headers: list[tuple[str, str]], event: Mapping[str, Any]) -> str | None:
    # The Host field is the name the browser used (a custom domain included); a REST or HTTP API
    # event also names it in requestContext.domainName.
    hosts = [value.strip() for name, value in headers if name.lower() == "host"]
    for candidate in (hosts[-1] if hosts else None, _dig(event, "requestContext", "domainName")):
        if isinstance(candidate, str) and len(candidate) <= MAX_HOST and _HOST.match(candidate):
            return candidate
    return None


def _client_ip(
    headers: list[tuple[str, str]], event: Mapping[str, Any]
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    # API Gateway names the address it saw in requestContext (REST: identity.sourceIp; HTTP API
    # and Function URL: http.sourceIp); ALB only appends it to X-Forwarded-For.
    candidates = (
        _dig(event, "requestContext", "identity", "sourceIp"),
        _dig(event, "requestContext", "http", "sourceIp"),
        _last(headers, "x-forwarded-for"),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and len(candidate) <= 64:
            try:
                return ipaddress.ip_address(candidate.strip())
            except ValueError:
                continue
    return None


def _quoted(value: str) -> str:
    """An RFC 7239 value: a token as is, anything else (``:``, ``[``) as a quoted string."""
    return value if _RFC7239_TOKEN.match(value) else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def forwarding_fields(
    headers: list[tuple[str, str]], event: Mapping[str, Any], *, default_proto: str | None
) -> list[tuple[str, str]]:
    """The router's ``X-Forwarded-*`` and ``Forwarded`` fields for the request in ``event``.

    Args:
        headers: the event's header fields (name, value), as the front handed them over.
        event: the raw event (for ``requestContext``).
        default_proto: the scheme (on its default port) when the event does not name one the
            front wrote: ``https`` for API Gateway and Function URLs, which serve nothing else;
            ``None`` for ALB, which always writes its own.

    Scheme and port are the ``X-Forwarded-Proto`` / ``-Port`` the front wrote (the last element:
    what the company's handler would have read without the router), when they have the strict
    form of a scheme and a port.
    """
    fields: list[tuple[str, str]] = []
    forwarded: list[str] = []
    address = _client_ip(headers, event)
    if address is not None:
        fields.append(("X-Forwarded-For", str(address)))
        forwarded.append("for=" + (f'"[{address}]"' if address.version == 6 else str(address)))
    host = _host(headers, event)
    if host is not None:
        fields.append(("X-Forwarded-Host", host))
        forwarded.append("host=" + _quoted(host))
    proto = (_last(headers, "x-forwarded-proto") or "").lower()
    port = _last(headers, "x-forwarded-port") or ""
    if proto not in ("http", "https"):
        proto, port = default_proto or "", ""
    if proto:
        if not (len(port) <= 5 and port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            port = "443" if proto == "https" else "80"
        fields += [("X-Forwarded-Proto", proto), ("X-Forwarded-Port", str(int(port)))]
        forwarded.append(f"proto={proto}")
    if forwarded:
        fields.append(("Forwarded", ";".join(forwarded)))
    return fields
