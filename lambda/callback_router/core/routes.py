"""Callback routes and provider slugs."""

from __future__ import annotations

import re
from dataclasses import dataclass

PROVIDER_SLUG = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
"""A Junction provider slug as used in ``/connect/{provider}``, e.g. ``whoop_v2``."""

PROVIDER_PLACEHOLDER = "{provider}"

_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")


def is_valid_slug(slug: str) -> bool:
    """Whether ``slug`` has the form of a provider slug (``^[a-z0-9][a-z0-9_]{0,63}$``)."""
    return PROVIDER_SLUG.fullmatch(slug) is not None


def is_valid_route_path(path: str) -> bool:
    """Whether ``path`` is an absolute path with at most one ``{provider}`` whole segment."""
    if not path.startswith("/") or path.count(PROVIDER_PLACEHOLDER) > 1:
        return False
    segments = path[1:].split("/")
    return all(segment == PROVIDER_PLACEHOLDER or _PATH_SEGMENT.fullmatch(segment) is not None for segment in segments)


@dataclass(frozen=True)
class Route:
    """One callback path: either templated with ``{provider}`` or bound to a fixed provider."""

    path: str
    provider: str | None = None

    @property
    def has_placeholder(self) -> bool:
        """Whether the provider comes from the path itself."""
        return PROVIDER_PLACEHOLDER in self.path

    def match(self, request_path: str) -> str | None:
        """The provider for ``request_path`` if it is this route's path, else ``None``.

        For a templated route the returned text is whatever stood in the ``{provider}``
        segment, still to be validated as a slug by the caller.
        """
        if not self.has_placeholder:
            return self.provider if request_path == self.path else None
        prefix, _, suffix = self.path.partition(PROVIDER_PLACEHOLDER)
        if len(request_path) <= len(prefix) + len(suffix):
            return None
        if not (request_path.startswith(prefix) and request_path.endswith(suffix)):
            return None
        segment = request_path[len(prefix) : len(request_path) - len(suffix)]
        return None if "/" in segment else segment


def match_routes(routes: tuple[Route, ...], request_path: str) -> str | None:
    """The provider text of the first route that matches ``request_path``, else ``None``."""
    for route in routes:
        provider = route.match(request_path)
        if provider is not None:
            return provider
    return None
