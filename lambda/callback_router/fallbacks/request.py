"""The request a fallback passes on, and where it goes: the configured URL or the request's own path."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from callback_router.core.config import Fallback
from callback_router.core.routes import PROVIDER_PLACEHOLDER, is_valid_slug
from callback_router.core.uri import escape_path
from callback_router.fallbacks.errors import MalformedRequest


@dataclass(frozen=True)
class ForwardedRequest:
    """The parts of a request the proxy fallback replays."""

    method: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: str | None = None
    """The event's body as it came: decoded only by :meth:`body_bytes`, i.e. only when proxied."""
    body_is_base64: bool = False

    def body_bytes(self) -> bytes | None:
        """The body's bytes.

        Raises:
            MalformedRequest: ``isBase64Encoded`` on a body that is not strict base64.
        """
        if self.body is None:
            return None
        try:
            if self.body_is_base64:
                return base64.b64decode(self.body, validate=True)
            return self.body.encode("utf-8")
        except (binascii.Error, ValueError) as error:  # UnicodeError is a ValueError
            raise MalformedRequest("the event's body cannot be turned back into bytes") from error


def target_url(template: str, provider: str | None) -> str | None:
    """The fallback URL with ``{provider}`` filled in, or ``None`` if it cannot be.

    Only a valid slug is ever put into the company's URL: request text such as ``..`` or
    ``%2F`` in the provider segment would otherwise walk the company's own paths.
    """
    if PROVIDER_PLACEHOLDER not in template:
        return template
    if provider is None or not is_valid_slug(provider):
        return None
    return template.replace(PROVIDER_PLACEHOLDER, provider)


def fallback_url(
    fallback: Fallback, provider: str | None, request: ForwardedRequest, own_path: str | None
) -> str | None:
    """Where the ``redirect`` or ``proxy`` fallback sends ``request``; ``None`` for a 404.

    Args:
        own_path: the request's path, from a front whose rule is wider than the routes (ALB's
            ``/oauth_callback/*`` also takes ``/oauth_callback/fitbit/`` and deeper paths). A
            request on no route (``provider`` ``None``) or whose provider is not a slug then goes
            to the fallback URL's *origin* with this path and the query, as it reached the
            company's service before the router stood in front of it: see :func:`own_path_url`.
    """
    if fallback.url is None:
        return None
    url = None if own_path is not None and provider is None else target_url(fallback.url, provider)
    if url is None and own_path is not None:
        url = own_path_url(fallback.url, own_path, request, redirect=fallback.mode == "redirect")
    return url


def own_path_url(fallback_url: str, path: str, request: ForwardedRequest, *, redirect: bool) -> str | None:
    """The fallback URL's origin with the request's own ``path``; ``None`` where that would loop.

    A proxied request carries the marker header, which sends it past the router to the
    company's service (``add_to_alb``'s bypass rule), whatever its path. A browser sent away by a
    redirect carries no marker: to the host it came from it would come straight back to the
    router (the same rule, the same JWT-shaped state), so that case stays a 404.

    A path with a dot segment (``..;params`` included) or an encoded ``/`` or ``\\``
    (``/oauth_callback/..``, ``/oauth_callback/..;/admin``, ``/oauth_callback/x%2F..%2Fadmin``)
    stays a 404 too: the company's server may resolve it to a path outside the callback prefix,
    which the router must never open (the fallback URL may name a host the load balancer never
    exposed).
    """
    for segment in path.split("/"):
        decoded = unquote(segment)
        # Tomcat and Jetty drop a segment's ";parameters" before resolving dots: "..;x" is "..".
        if decoded.partition(";")[0] in (".", "..") or "/" in decoded or "\\" in decoded:
            return None
    parts = urlsplit(fallback_url.replace(PROVIDER_PLACEHOLDER, "provider"))
    if redirect:
        hosts = [value.strip().lower() for name, value in request.headers if name.lower() == "host"]
        try:
            came_from = urlsplit(f"//{hosts[-1]}").hostname if hosts else None
        except ValueError:  # e.g. "[" in a hand-made Host: where it came from is unknown
            came_from = None
        if came_from is None or came_from == parts.hostname:
            return None
    try:
        escaped = escape_path(path if path.startswith("/") else "/" + path)
    except UnicodeEncodeError:  # a lone surrogate in a hand-made event: no bytes it could stand for
        return None
    return f"{parts.scheme}://{parts.netloc}{escaped}"
