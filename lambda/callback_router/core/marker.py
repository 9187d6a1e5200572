"""The header that marks a request the proxy fallback replays (shared with ``add_to_alb``'s bypass rule)."""

from __future__ import annotations

FALLBACK_MARKER_HEADER = "X-Junction-Callback-Router"
FALLBACK_MARKER_VALUE = "fallback"
"""Set on every request the proxy fallback replays. An ALB listener rule on this header sends the
replayed request straight to the company's service (``add_to_alb``), so a company ``state`` that
merely looks like a JWT cannot loop back into the router; a request that arrives *with* it was
already proxied once, and is never proxied again."""
