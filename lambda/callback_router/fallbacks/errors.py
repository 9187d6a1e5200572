"""How a fallback that leaves the function fails: the handler turns each into its answer and metric."""

from __future__ import annotations


class UpstreamError(Exception):
    """The proxy fallback's upstream could not be reached or answered badly."""


class UpstreamTooLarge(UpstreamError):
    """The upstream's answer is larger than the front can carry (docs/LIMITS.md)."""


class UpstreamNotText(UpstreamError):
    """The upstream's body cannot travel as text, and the front carries nothing else."""


class MalformedRequest(ValueError):
    """The event's body is not what the event says it is (e.g. ``isBase64Encoded`` on non-base64)."""
