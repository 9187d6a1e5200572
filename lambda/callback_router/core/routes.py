"""Callback routes and provider slugs."""

from __future__ import annotations

import re
from dataclasses import dataclass

PROVIDER_SLUG = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
"""A Junction provider slug as used in ``/connect/{provider}``, e.g. ``whoop_v2``."""

PROVIDER_PLACEHOLDER = "{provider}"

ROUTE_SEGMENT_CHARACTERS = "A-Z a-z 0-9 - . _ ~"
"""The one path rule, the same on every front: a route segment is made of RFC 3986 *unreserved*
characters only. Each of them means itself on API Gateway (REST and HTTP API routes), in ALB
and CloudFront path patterns (where ``*`` and ``?`` are wildcards) and in :func:`match_routes`,
so a route matches the same literal paths wherever it is deployed. Anything else is refused
at config validation (and so at ``cdk synth``) by :func:`route_path_problem`."""

_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_PLACEHOLDER_LOOKALIKES = (":provider", "<provider>", "{{provider}}", "${provider}", "*")
# A whole segment written as another framework's placeholder ({name}, {proxy+}, :slug, <id>,
# ${x}, {{x}}): the user meant a placeholder, so the advice is the one placeholder a route takes.
_PLACEHOLDER_SHAPE = re.compile(r"\{\{?\$?\w*\+?\}\}?|\$\{\w*\}|:\w+|<\w+>|\*+")


def is_valid_slug(slug: str) -> bool:
    """Whether ``slug`` has the form of a provider slug (``^[a-z0-9][a-z0-9_]{0,63}$``)."""
    return PROVIDER_SLUG.fullmatch(slug) is not None


def is_valid_route_path(path: str) -> bool:
    """Whether ``path`` is an absolute path with at most one ``{provider}`` whole segment."""
    return route_path_problem(path) is None


def route_path_problem(path: str) -> str | None:
    """What is wrong with a route ``path``, in words with what to write instead; ``None`` if fine.

    The rule (:data:`ROUTE_SEGMENT_CHARACTERS`): an absolute path of ``/``-separated segments, each
    made of letters, digits and ``- . _ ~`` only, or exactly ``{provider}`` (at most once).
    """
    if not path.startswith("/"):
        return f"{path!r} must start with '/': write '/{path}'"
    if path != "/" and path.endswith("/"):
        return f"{path!r} ends with '/': write {path.rstrip('/')!r} (every front matches the path exactly)"
    if path.count(PROVIDER_PLACEHOLDER) > 1:
        return f"{path!r} has {{provider}} more than once: a route takes one provider, from one segment"
    for segment in path[1:].split("/"):
        if segment == PROVIDER_PLACEHOLDER or _PATH_SEGMENT.fullmatch(segment):
            continue
        if not segment:
            return (
                f"{path!r} has an empty segment ('//' or a lone '/'): write a path such as "
                "'/oauth_callback/{provider}'"
            )
        if segment in _PLACEHOLDER_LOOKALIKES or _PLACEHOLDER_SHAPE.fullmatch(segment):
            example = (
                f"e.g. {path.replace(segment, PROVIDER_PLACEHOLDER, 1)!r}"
                if PROVIDER_PLACEHOLDER not in path
                else "and every other segment literal"
            )
            return (
                f"{path!r}: {segment!r} is not a placeholder here; use '{{provider}}', the one placeholder a "
                f"route takes (the provider's slug), {example}"
            )
        if PROVIDER_PLACEHOLDER in segment:
            return (
                f"{path!r}: {{provider}} must be a whole segment on its own, e.g. '/oauth_callback/{{provider}}', "
                f"not part of {segment!r}"
            )
        bad = "".join(sorted({char for char in segment if not _PATH_SEGMENT.fullmatch(char)}))
        return (
            f"{path!r}: segment {segment!r} contains {bad!r}; route segments may use only letters, digits and "
            "'- . _ ~', matched literally on every front (characters such as ( ) + * ? $ [ ] are patterns "
            "on some fronts); rename the path, e.g. 'stravav2' or 'strava-v2' for 'strava(v2)' or 'strava+v2'"
        )
    return None


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


ALB_STATE_PATTERN = "eyJ*"
"""The ALB query-string condition that lets only JWT-shaped states through to the router: a JWS
header is a JSON object, whose base64url encoding starts with ``eyJ`` (``{"``; see
``link_token.JWS_HEADER_PREFIX``). ALB compares query values case-insensitively (ELB guide,
"Query string conditions"), so ``EYJ...`` passes too; the function checks the shape exactly."""


def path_patterns(routes: tuple[Route, ...]) -> list[str]:
    """ALB and CloudFront path patterns for ``routes``: ``{provider}`` becomes ``*``.

    Wider than the routes (``*`` also spans ``/``): the handlers match the path again, literally.
    """
    return [route.path.replace(PROVIDER_PLACEHOLDER, "*") for route in routes]
